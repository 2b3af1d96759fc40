"""The HTML report of a run of scenarios: one self-contained file (styles, drawings and the
recordings inside it) that opens in any browser and can be attached to a bug or a CI job.

Per scenario run: the verdict; each turn's expectations with expected and measured values;
the transcript; the waveform of both sides with the turns marked; the reply latency of
every turn against its limit; the recordings, playable; the Fishjam and VAPI events in
order. With repeated runs, the latency percentiles across them come first.
"""

from __future__ import annotations

import base64
import io
from datetime import datetime
from html import escape
from pathlib import Path

import numpy as np
import soundfile

from voicepanel import __version__
from voicepanel.core.audio.audio_file import read_audio
from voicepanel.core.errors import VoicePanelError
from voicepanel.core.wording import plural
from voicepanel.scenarios.loader import display_path
from voicepanel.scenarios.results import Outcome, RunResult, TurnResult
from voicepanel.scenarios.stats import turn_latencies
from voicepanel.scenarios.svg import Wave, latency_svg, waveform_svg

REPORT_NAME = "report.html"
EMBED_LIMIT_BYTES = 40_000_000  # beyond this, recordings are linked, not embedded

STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto;
       max-width: 1000px; color: #111827; padding: 0 16px; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 36px; border-top: 1px solid #e5e7eb;
padding-top: 18px; } h3 { font-size: 15px; margin: 18px 0 6px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #f3f4f6;
         vertical-align: top; }
th { background: #f9fafb; font-weight: 600; }
.passed { color: #15803d; font-weight: 600; } .failed { color: #b91c1c; font-weight: 600; }
.error { color: #92400e; font-weight: 600; }
.verdict { display: inline-block; padding: 2px 10px; border-radius: 10px; font-weight: 600; }
.verdict.passed { background: #dcfce7; } .verdict.failed { background: #fee2e2; }
.verdict.error { background: #fef3c7; }
.transcript .user { color: #1d4ed8; } .transcript .assistant { color: #047857; }
.muted { color: #6b7280; } .note { color: #92400e; }
audio { width: 100%; max-width: 460px; display: block; margin: 4px 0 10px; }
.timeline td:first-child { white-space: nowrap; font-variant-numeric: tabular-nums; }
.src-fishjam { color: #7c3aed; } .src-vapi { color: #0369a1; } .src-runner { color: #6b7280; }
.legend span { margin-right: 14px; } .sw { display: inline-block; width: 12px; height: 12px;
vertical-align: -2px; margin-right: 4px; }
"""


def write_report(results: list[RunResult], folder: Path) -> Path:
    """Writes ``folder/report.html``; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / REPORT_NAME
    path.write_text(render_report(results, folder), encoding="utf-8")
    return path


def render_report(results: list[RunResult], folder: Path) -> str:
    passed = sum(1 for r in results if r.outcome is Outcome.PASSED)
    failed = sum(1 for r in results if r.outcome is Outcome.FAILED)
    errors = sum(1 for r in results if r.outcome is Outcome.ERROR)
    when = datetime.fromtimestamp(results[0].started_at) if results else datetime.now()
    budget = [EMBED_LIMIT_BYTES]
    body = [
        f"<h1>VoicePanel scenario report</h1>"
        f'<p class="muted">{when:%Y-%m-%d %H:%M:%S} · VoicePanel {escape(__version__)} · '
        f"{plural(len(results), 'run')}: "
        f'<span class="passed">{passed} passed</span>, <span class="failed">{failed} failed</span>'
        + (f', <span class="error">{errors} could not run</span>' if errors else "")
        + "</p>",
        _summary(results),
    ]
    if any(r.repeat > 1 for r in results):
        body.append(_percentiles(results))
    for number, result in enumerate(results, start=1):
        body.append(_run_section(number, result, folder, budget))
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>VoicePanel scenario report</title>"
        f"<style>{STYLE}</style></head><body>{''.join(body)}</body></html>"
    )


def _verdict(outcome: Outcome) -> str:
    words = {Outcome.PASSED: "passed", Outcome.FAILED: "failed", Outcome.ERROR: "could not run"}
    return f'<span class="verdict {outcome.value}">{words[outcome]}</span>'


def _summary(results: list[RunResult]) -> str:
    rows = "".join(
        f'<tr><td><a href="#run-{i}">{escape(r.scenario.name)}</a>'
        + (f" (run {r.repeat})" if r.repeat > 1 else "")
        + f"</td><td>{_verdict(r.outcome)}</td><td>{len(r.turns)}</td>"
        f"<td>{len(r.failed_turns)}</td><td>{r.duration_s:.1f} s</td></tr>"
        for i, r in enumerate(results, start=1)
    )
    return (
        '<table class="summary"><tr><th>Scenario</th><th>Result</th><th>Turns</th>'
        f"<th>Failed turns</th><th>Time</th></tr>{rows}</table>"
    )


def _percentiles(results: list[RunResult]) -> str:
    rows = []
    for row in turn_latencies(results):
        cells = "".join(
            f"<td>{v:.0f}</td>" if v is not None else "<td>-</td>"
            for v in [row.percentile(50), row.percentile(90), row.percentile(95), row.max_ms]
        )
        limit = f"{row.limit_ms}" if row.limit_ms is not None else "-"
        rows.append(
            f"<tr><td>{escape(row.scenario)}</td><td>{escape(row.turn)}</td><td>{row.runs}</td>"
            f"<td>{row.passed}</td>{cells}<td>{limit}</td></tr>"
        )
    return (
        '<h2>Reply latency across runs</h2><p class="muted">Measured at the local agent, from '
        "the end of what it said to the first audible frame of the reply, in ms (nearest-rank "
        'percentiles).</p><table class="percentiles"><tr><th>Scenario</th><th>Turn</th>'
        "<th>Runs</th><th>Passed</th><th>p50</th><th>p90</th><th>p95</th><th>max</th>"
        f"<th>limit</th></tr>{''.join(rows)}</table>"
    )


def _run_section(number: int, result: RunResult, folder: Path, budget: list[int]) -> str:
    scenario = result.scenario
    title = escape(scenario.name) + (f" (run {result.repeat})" if result.repeat > 1 else "")
    head = [
        f'<h2 id="run-{number}">{title} {_verdict(result.outcome)}</h2>',
        f'<p class="muted">{escape(display_path(scenario.path))}'
        f" · assistant {escape(scenario.assistant.label)}"
        f" · {result.duration_s:.1f} s"
        + (f" · call ended: <b>{escape(result.ended_reason)}</b>" if result.ended_reason else "")
        + "</p>",
    ]
    if scenario.description:
        head.append(f"<p>{escape(scenario.description)}</p>")
    if result.error:
        head.append(f'<p class="error">{escape(result.error)}</p>')
    head.extend(f'<p class="note">{escape(n)}</p>' for n in result.notes)
    return "".join(
        head
        + [
            _turn_table(result.turns),
            _transcript(result),
            _waveform(result),
            "<h3>Reply latency per turn</h3>",
            '<p class="legend muted"><span><i class="sw" style="background:#16a34a"></i>within its '
            'limit</span><span><i class="sw" style="background:#dc2626"></i>over it</span>'
            '<span><i class="sw" style="background:#111827"></i>the limit</span></p>',
            latency_svg(result.turns),
            _recordings(result, folder, budget),
            _timeline(result),
        ]
    )


def _turn_table(turns: tuple[TurnResult, ...]) -> str:
    if not turns:
        return '<p class="muted">No turn was played.</p>'
    rows = []
    for turn in turns:
        checks = turn.checks or ()
        verdict = (
            '<span class="passed">passed</span>'
            if turn.passed
            else '<span class="failed">failed</span>'
        )
        heard = []
        if turn.latency_ms is not None:
            heard.append(f"reply after {turn.latency_ms:.0f} ms")
        if turn.reply is not None and turn.reply.duration_s is not None:
            heard.append(f"{turn.reply.duration_s:.2f} s long")
        heard_text = ", ".join(heard) or escape(turn.note) or "&nbsp;"
        span = max(len(checks), 1)
        first = (
            f'<td rowspan="{span}">{escape(turn.turn.title)}'
            f'<br><span class="muted">{heard_text}</span>'
            + (f'<br><span class="note">{escape(turn.note)}</span>' if turn.note and heard else "")
            + f'</td><td rowspan="{span}">{verdict}</td>'
        )
        if not checks:
            rows.append(f'<tr>{first}<td colspan="4" class="muted">no expectations</td></tr>')
            continue
        for i, check in enumerate(checks):
            mark = (
                '<span class="passed">ok</span>'
                if check.passed
                else '<span class="failed">failed</span>'
            )
            cells = (
                f"<td>{escape(check.name)}</td><td>{escape(check.expected)}</td>"
                f"<td>{escape(check.measured)}</td><td>{mark}</td>"
            )
            rows.append(f'<tr class="check">{first if i == 0 else ""}{cells}</tr>')
    return (
        '<h3>Turns</h3><table class="turns"><tr><th>Turn</th><th>Result</th><th>Expectation</th>'
        f"<th>Expected</th><th>Measured</th><th></th></tr>{''.join(rows)}</table>"
    )


def _transcript(result: RunResult) -> str:
    if not result.transcript:
        return '<h3>Transcript</h3><p class="muted">No transcript: no live events arrived.</p>'
    rows = "".join(
        f'<tr class="{escape(line.role)}"><td class="muted">{line.at:.1f} s</td>'
        f"<td>{'You' if line.role == 'user' else 'Assistant'}</td><td>{escape(line.text)}</td></tr>"
        for line in result.transcript
    )
    return f'<h3>Transcript</h3><table class="transcript">{rows}</table>'


def _waves(result: RunResult) -> list[Wave]:
    waves = []
    for recording in result.recordings:
        try:
            samples, rate = read_audio(recording.path)
        except VoicePanelError:
            continue
        waves.append(Wave(recording.label, samples, rate, recording.offset_s))
    return waves


def _waveform(result: RunResult) -> str:
    waves = _waves(result)
    if not waves:
        return '<h3>Waveform</h3><p class="muted">Not recorded.</p>'
    legend = (
        '<p class="legend muted"><span><i class="sw" style="background:rgba(37,99,235,.25)"></i>'
        'what was said</span><span><i class="sw" style="background:rgba(5,150,105,.3)"></i>'
        "the reply, as heard</span><span>dashed: each turn's start</span></p>"
    )
    return "<h3>Waveform</h3>" + legend + waveform_svg(waves, result.turns, result.duration_s)


def _recordings(result: RunResult, folder: Path, budget: list[int]) -> str:
    if not result.recordings:
        return ""
    items = []
    for recording in result.recordings:
        label = {"you": "What the agent said", "room": "What the agent heard"}.get(
            recording.label, recording.label
        )
        source = _embedded(recording.path, budget) or _relative(recording.path, folder)
        items.append(
            f"<div><b>{escape(label)}</b> "
            f'<span class="muted">({escape(recording.path.name)})</span>'
            f'<audio controls preload="none" src="{source}"></audio></div>'
        )
    return "<h3>Recordings</h3>" + "".join(items)


def _embedded(path: Path, budget: list[int]) -> str | None:
    """The recording as a FLAC data URL (about half a WAV's size), within the budget."""
    try:
        samples, rate = read_audio(path)
        buffer = io.BytesIO()
        soundfile.write(buffer, np.asarray(samples), rate, format="FLAC", subtype="PCM_16")
    except (VoicePanelError, RuntimeError, OSError):
        return None
    data = buffer.getvalue()
    if len(data) > budget[0]:
        return None
    budget[0] -= len(data)
    return "data:audio/flac;base64," + base64.b64encode(data).decode("ascii")


def _relative(path: Path, folder: Path) -> str:
    try:
        return escape(path.resolve().relative_to(folder.resolve()).as_posix())
    except ValueError:
        return escape(path.resolve().as_uri())


def _timeline(result: RunResult) -> str:
    if not result.timeline:
        return ""
    rows = "".join(
        f'<tr class="src-{escape(e.source)}"><td>{e.at:7.2f} s</td><td>{escape(e.source)}</td>'
        f"<td>{escape(e.kind)}</td><td>{escape(e.details)}</td></tr>"
        for e in result.timeline
    )
    return (
        "<h3>Fishjam and VAPI events</h3>"
        '<table class="timeline"><tr><th>Time</th><th>From</th><th>Event</th><th>Details</th></tr>'
        f"{rows}</table>"
    )
