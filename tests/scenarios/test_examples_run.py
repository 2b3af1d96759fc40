"""The examples, run as CI runs them: ``voicepanel run examples/scenarios/*.toml --sandbox
--junit out.xml --report out/`` with no display and no sound card. Every example passes
but the one that fails on purpose, the exit status says so, the JUnit file names the
failing turn with the expected and the measured value, and the HTML report, opened in
headless Chromium, shows the waveform, the transcript and the latency plot."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from browser import rendered_dom, screenshot

ROOT = Path(__file__).resolve().parents[2]
NO_QT_CHECK = (
    "import sys; from voicepanel.app import main; code = main(sys.argv[1:]); "
    "qt = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'qasync')); "
    "print('Qt modules imported:', qt); sys.exit(code)"
)


@pytest.fixture(scope="module")
def example_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("example-run")
    home = tmp_path_factory.mktemp("example-home")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        QT_QPA_PLATFORM="",
    )
    examples = sorted(
        str(p.relative_to(ROOT)) for p in (ROOT / "examples/scenarios").glob("*.toml")
    )
    done = subprocess.run(
        [sys.executable, "-c", NO_QT_CHECK, "run", *examples, "--sandbox"]
        + ["--junit", str(out / "out.xml"), "--report", str(out)],
        capture_output=True,
        text=True,
        timeout=400,
        cwd=ROOT,
        env=env,
    )
    return done, out


def test_every_example_passes_but_the_deliberate_failure_and_the_exit_status_says_so(example_run):
    done, _ = example_run
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "Qt modules imported: []" in done.stdout
    assert "4 passed, 1 failed, 0 could not run" in done.stdout
    failing = [line for line in done.stdout.splitlines() if line.strip().startswith("FAILED")]
    assert len(failing) == 2, done.stdout  # the turn, then its scenario
    assert re.search(
        r'turn 1: says "Are you fast enough\?": reply starts within 300 ms, measured \d+ ms',
        failing[0],
    )
    for name in ("Greeter says hello", "Echo answers in time", "Order lookup", "Barge in"):
        block = done.stdout.split(name, 1)[1].split("\n  ", 3)
        assert any(
            part.startswith(("passed", "  passed")) or "passed in" in part for part in block
        ), (
            name,
            done.stdout,
        )


def test_the_junit_file_names_the_failing_turn_with_expected_and_measured(example_run):
    _, out = example_run
    tree = ET.parse(out / "out.xml")
    root = tree.getroot()
    assert root.get("tests") == "7" and root.get("failures") == "1" and root.get("errors") == "0"
    failures = root.findall(".//testcase[failure]")
    assert len(failures) == 1
    case = failures[0]
    assert case.get("classname") == "Echo within 300 ms (fails on purpose)"
    assert case.get("name") == 'turn 1: says "Are you fast enough?"'
    message = case.find("failure").get("message")
    measured = int(
        re.fullmatch(r"reply starts within: expected 300 ms, measured (\d+) ms", message).group(1)
    )
    assert measured > 400  # the Echo waits 0.4 s after the turn ends before it answers


def test_the_report_opens_in_a_browser_with_waveform_transcript_and_latency_plot(example_run):
    _, out = example_run
    page = out / "report.html"
    dom = rendered_dom(page)
    assert dom.count('class="waveform"') == 5
    assert dom.count('class="wave wave-you"') == 5 and dom.count('class="wave wave-room"') == 5
    assert dom.count('class="latency-plot"') == 5
    assert 'class="latency-bar"' in dom and 'class="latency-limit"' in dom
    # The Greeter's words, and the tool's answer said back by the order desk.
    assert "Hello from the VoicePanel sandbox" in dom
    assert "lookup_order says: shipped on Monday" in dom
    assert 'class="turn-boundary"' in dom
    assert dom.count("data:audio/flac;base64,") == 10
    assert "RoomCreated" in dom and "status-update" in dom
    shot = screenshot(page, out / "report.png")
    assert shot.exists()
