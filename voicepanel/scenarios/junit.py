"""JUnit XML for CI systems: one test suite per scenario run, one test case per turn.

A failed turn is a ``<failure>`` whose message names each expectation that did not hold
with the expected and the measured value; a run that could not be made is an ``<error>``
on its first turn. Every check, held or not, is also listed in the case's ``system-out``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from voicepanel.scenarios.results import Outcome, RunResult, TurnResult


def junit_tree(results: list[RunResult]) -> ET.ElementTree[ET.Element]:
    root = ET.Element("testsuites", name="voicepanel scenarios")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for result in results:
        suite = _suite(result)
        root.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{sum(r.duration_s for r in results):.3f}")
    ET.indent(root)
    return ET.ElementTree(root)


def write_junit(results: list[RunResult], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    junit_tree(results).write(path, encoding="utf-8", xml_declaration=True)


def _suite_name(result: RunResult) -> str:
    suffix = f" (run {result.repeat})" if result.repeat > 1 else ""
    return f"{result.scenario.name}{suffix}"


def _suite(result: RunResult) -> ET.Element:
    name = _suite_name(result)
    suite = ET.Element(
        "testsuite",
        name=name,
        timestamp=datetime.fromtimestamp(result.started_at, tz=UTC).isoformat(timespec="seconds"),
        time=f"{result.duration_s:.3f}",
        file=str(result.scenario.path),
    )
    played = {t.turn.index: t for t in result.turns}
    failures = errors = 0
    for turn in result.scenario.turns:
        case = ET.SubElement(suite, "testcase", name=turn.title, classname=name)
        measured = played.get(turn.index)
        if measured is not None:
            _fill(case, measured)
            if not measured.passed:
                failures += 1
        elif result.outcome is Outcome.ERROR:
            error = ET.SubElement(case, "error", message=result.error, type="ScenarioError")
            error.text = result.error
            errors += 1
        else:
            ET.SubElement(case, "skipped", message="not reached")
    suite.set("tests", str(len(result.scenario.turns)))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    if result.notes or result.ended_reason:
        out = ET.SubElement(suite, "system-out")
        lines = [f"note: {n}" for n in result.notes]
        if result.ended_reason:
            lines.append(f"call ended: {result.ended_reason}")
        out.text = "\n".join(lines)
    return suite


def _fill(case: ET.Element, turn: TurnResult) -> None:
    if turn.reply is not None and turn.reply.duration_s is not None:
        case.set("time", f"{turn.reply.duration_s:.3f}")
    failures = turn.failures
    if failures:
        message = "; ".join(
            f"{c.name}: expected {c.expected}, measured {c.measured}" for c in failures
        )
        failure = ET.SubElement(case, "failure", message=message, type="ExpectationFailed")
        failure.text = "\n".join(c.sentence() for c in turn.checks)
    lines = [c.sentence() for c in turn.checks]
    if turn.transcript:
        lines.append("assistant said: " + " ".join(turn.transcript))
    if turn.note:
        lines.append(f"note: {turn.note}")
    if lines:
        ET.SubElement(case, "system-out").text = "\n".join(lines)
