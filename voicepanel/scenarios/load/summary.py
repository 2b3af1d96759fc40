"""What a load test showed, read from Locust's own aggregated statistics (so a master with
workers reports everyone's): per-turn reply latency percentiles, failures by kind, Fishjam
and VAPI errors, and how many conversations were scored. A table for the terminal and a
section of HTML for the load report."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from voicepanel.core.wording import plural
from voicepanel.scenarios.load.scoring import CONVERSATION, ERROR, TURN
from voicepanel.scenarios.report import STYLE

PERCENTS = (0.5, 0.9, 0.95, 0.99)
CUT_SHORT = "cut short by the end of the test"


@dataclass(frozen=True)
class TurnRow:
    name: str
    count: int
    failures: int
    percentiles_ms: tuple[float, ...]  # p50, p90, p95, p99
    max_ms: float


@dataclass(frozen=True)
class FailureRow:
    kind: str  # "turn", "conversation", "error"
    name: str
    error: str
    occurrences: int


@dataclass(frozen=True)
class LoadSummary:
    users: int
    conversations: int  # scored (ended and reported)
    failed_conversations: int
    cut_short: int
    turns: tuple[TurnRow, ...]
    failures: tuple[FailureRow, ...]

    @property
    def errors(self) -> tuple[FailureRow, ...]:
        return tuple(f for f in self.failures if f.kind == ERROR)


def summarize(stats: Any, users: int) -> LoadSummary:
    """From ``environment.stats`` (locust.stats.RequestStats)."""
    turns = []
    conversations = failed = 0
    for (name, method), entry in sorted(stats.entries.items()):
        if method == TURN and entry.num_requests:
            turns.append(
                TurnRow(
                    name,
                    entry.num_requests,
                    entry.num_failures,
                    tuple(float(entry.get_response_time_percentile(p)) for p in PERCENTS),
                    float(entry.max_response_time or 0),
                )
            )
        elif method == CONVERSATION:
            conversations += entry.num_requests
            failed += entry.num_failures
    failures = []
    cut = 0
    for error in stats.errors.values():
        text = _error_text(error.error)
        if CUT_SHORT in text:
            cut += error.occurrences
        failures.append(FailureRow(error.method, error.name, text, error.occurrences))
    failures.sort(key=lambda f: (-f.occurrences, f.kind, f.name))
    return LoadSummary(users, conversations - cut, failed - cut, cut, tuple(turns), tuple(failures))


def _error_text(error: Any) -> str:
    """Locust keeps an error as repr() of the exception: ExpectationFailed('reply ...')."""
    text = str(error)
    if "(" in text and text.endswith(")"):
        inner = text[text.index("(") + 1 : -1]
        if len(inner) >= 2 and inner[0] in "'\"" and inner[-1] == inner[0]:
            return inner[1:-1]
    return text


def terminal_table(summary: LoadSummary) -> str:
    lines = [
        "",
        f"VoicePanel load: {plural(summary.conversations, 'conversation')} scored "
        f"({summary.failed_conversations} failed"
        + (f", {summary.cut_short} cut short by the end of the test" if summary.cut_short else "")
        + f") with {plural(summary.users, 'user')}",
        "",
        "Reply latency at the local agents (ms)",
        f"  {'turn':<56} {'count':>6} {'fails':>6} "
        + " ".join(f"{h:>6}" for h in ("p50", "p90", "p95", "p99", "max")),
    ]
    for row in summary.turns:
        name = row.name if len(row.name) <= 56 else row.name[:53] + "..."
        cells = " ".join(f"{v:>6.0f}" for v in (*row.percentiles_ms, row.max_ms))
        lines.append(f"  {name:<56} {row.count:>6} {row.failures:>6} {cells}")
    lines.append("")
    if summary.failures:
        lines.append("Failures by kind")
        for f in summary.failures:
            lines.append(f"  {f.occurrences:>5} x  {f.kind:<12} {f.name}: {f.error}")
    else:
        lines.append("No failures, no Fishjam or VAPI errors.")
    return "\n".join(lines)


def load_report_html(summary: LoadSummary, scenario: Path, duration: str) -> str:
    turn_rows = "".join(
        f"<tr><td>{escape(r.name)}</td><td>{r.count}</td><td>{r.failures}</td>"
        + "".join(f"<td>{v:.0f}</td>" for v in (*r.percentiles_ms, r.max_ms))
        + "</tr>"
        for r in summary.turns
    )
    failure_rows = (
        "".join(
            f"<tr><td>{f.occurrences}</td><td>{escape(f.kind)}</td><td>{escape(f.name)}</td>"
            f"<td>{escape(f.error)}</td></tr>"
            for f in summary.failures
        )
        or '<tr><td colspan="4">None.</td></tr>'
    )
    cut = f", {summary.cut_short} cut short" if summary.cut_short else ""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>VoicePanel load report</title><style>{STYLE}</style></head><body>"
        f'<h1>VoicePanel load report</h1><p class="muted">{escape(str(scenario))} · '
        f"{summary.users} users · {escape(duration)}</p>"
        f"<p><b>{summary.conversations}</b> conversations scored, "
        f"<b>{summary.failed_conversations}</b> failed{cut}.</p>"
        "<h2>Reply latency per turn (ms, at the local agents)</h2>"
        '<table class="load-turns"><tr><th>Turn</th><th>Count</th><th>Failures</th><th>p50</th>'
        f"<th>p90</th><th>p95</th><th>p99</th><th>max</th></tr>{turn_rows}</table>"
        "<h2>Failures by kind, Fishjam and VAPI errors</h2>"
        '<table class="load-failures"><tr><th>Times</th><th>Kind</th><th>Name</th><th>Error</th>'
        f"</tr>{failure_rows}</table></body></html>"
    )
