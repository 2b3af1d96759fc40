"""What a scored run becomes for the people and machines reading it: JUnit XML a CI system
reads, latency percentiles across repeated runs, Locust request events, and the load
table, each from results built here (no servers)."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from voicepanel.scenarios.checks import Measured, score
from voicepanel.scenarios.cli import print_summary
from voicepanel.scenarios.junit import junit_tree
from voicepanel.scenarios.load.scoring import (
    CONVERSATION,
    TURN,
    ExpectationFailed,
    conversation_events,
    from_wire,
    to_wire,
)
from voicepanel.scenarios.model import (
    AssistantChoice,
    Expectations,
    Scenario,
    ScenarioTurn,
    ToolExpectation,
    TurnKind,
)
from voicepanel.scenarios.report import render_report
from voicepanel.scenarios.results import (
    Outcome,
    RunResult,
    Span,
    ToolUse,
    TurnResult,
    outcome_of,
)
from voicepanel.scenarios.stats import turn_latencies

TURN_ONE = ScenarioTurn(1, TurnKind.SAY, text="Hi", expect=Expectations(reply_within_ms=800))
TURN_TWO = ScenarioTurn(
    2,
    TurnKind.SAY,
    text="Order 1234?",
    expect=Expectations(
        transcript_contains=("shipped",),
        tools_called=(ToolExpectation("lookup_order", {"orderNumber": "1234"}),),
    ),
)
SCENARIO = Scenario(
    Path("demo.toml"), "Demo", AssistantChoice(assistant_id="a1"), (TURN_ONE, TURN_TWO)
)


def run(latency_ms: float, repeat: int = 1, said: str = "it shipped on Monday") -> RunResult:
    first = TurnResult(
        TURN_ONE,
        0.0,
        reply=Span(1.0, 2.0),
        latency_ms=latency_ms,
        checks=score(TURN_ONE.expect, Measured(latency_ms, Span(1.0, 2.0), ("Hi",), ())),
    )
    tools = (ToolUse("lookup_order", {"orderNumber": "1234", "extra": 1}, 3.0),)
    second = TurnResult(
        TURN_TWO,
        2.5,
        latency_ms=500.0,
        transcript=(said,),
        tools=tools,
        checks=score(TURN_TWO.expect, Measured(500.0, None, (said,), tools)),
    )
    turns = (first, second)
    return RunResult(SCENARIO, 1_700_000_000.0, 5.0, outcome_of(turns), turns, repeat=repeat)


def test_a_slow_reply_fails_its_turn_with_expected_and_measured_values():
    result = run(1234.0)
    assert result.outcome is Outcome.FAILED
    (check,) = result.turns[0].failures
    assert (check.name, check.expected, check.measured) == (
        "reply starts within",
        "800 ms",
        "1234 ms",
    )
    assert result.turns[1].passed  # the tool's extra argument does not matter


def test_junit_has_one_case_per_turn_and_the_failure_names_expected_and_measured():
    root = junit_tree([run(1234.0), run(700.0, repeat=2)]).getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("4", "1", "0")
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["Demo", "Demo (run 2)"]
    failure = suites[0].find("testcase/failure")
    assert failure is not None
    assert failure.get("message") == "reply starts within: expected 800 ms, measured 1234 ms"
    cases = [c.get("name") for c in suites[0].findall("testcase")]
    assert cases == ['turn 1: says "Hi"', 'turn 2: says "Order 1234?"']
    ET.fromstring(ET.tostring(root))  # well-formed


def test_a_run_that_could_not_start_is_a_junit_error_on_its_turns():
    broken = RunResult(SCENARIO, 0.0, 0.1, Outcome.ERROR, error="Could not create the room.")
    root = junit_tree([broken]).getroot()
    assert root.get("errors") == "2"
    assert root.find("testsuite/testcase/error").get("message") == "Could not create the room."


def test_repeated_runs_give_nearest_rank_percentiles_per_turn():
    rows = turn_latencies(
        [run(float(ms), repeat=i + 1) for i, ms in enumerate(range(100, 1100, 100))]
    )
    first = rows[0]
    assert (first.runs, first.heard, first.limit_ms) == (10, 10, 800)
    assert first.percentile(50) == 500 and first.percentile(90) == 900 and first.max_ms == 1000
    assert first.passed == 8


def test_each_turn_is_a_locust_request_event_failed_by_kind():
    events = conversation_events(run(1234.0), waited_ms=5000.0)
    turns = [e for e in events if e["request_type"] == TURN]
    assert [e["name"] for e in turns] == [
        'Demo / turn 1: says "Hi"',
        'Demo / turn 2: says "Order 1234?"',
    ]
    assert turns[0]["response_time"] == 1234.0
    assert isinstance(turns[0]["exception"], ExpectationFailed)
    assert str(turns[0]["exception"]) == "reply starts within 800 ms"  # no measured value
    conversation = [e for e in events if e["request_type"] == CONVERSATION]
    assert conversation[0]["response_time"] == 5000.0 and conversation[0]["exception"]
    again = [from_wire(to_wire(e)) for e in events]
    assert [type(e["exception"]) for e in again] == [type(e["exception"]) for e in events]


def test_the_html_report_shows_turns_transcript_and_latency_plot_without_recordings():
    html = render_report([run(1234.0)], Path("."))
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html
    assert 'class="latency-plot"' in html and html.count('class="latency-bar"') == 2
    assert "1234 ms" in html and "reply starts within" in html
    assert re.search(r"Not recorded\.", html)


def test_repeated_runs_print_their_percentiles_on_the_terminal():
    out = io.StringIO()
    results = [run(float(ms), repeat=i + 1) for i, ms in enumerate(range(100, 1100, 100))]
    print_summary(results, repeat=10, out=out)
    lines = out.getvalue().splitlines()
    row = next(line for line in lines if 'Demo / turn 1: says "Hi"' in line)
    assert row.split()[-6:] == ["10", "500", "900", "1000", "1000", "800"]
    assert lines[-1] == "8 passed, 2 failed, 0 could not run"
