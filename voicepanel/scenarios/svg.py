"""Inline SVG for the HTML report: the waveform of both sides with the turns marked on it,
and each turn's reply latency against its limit. Plain SVG text, no plotting library: two
small drawings do not earn one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np

from voicepanel.scenarios.results import TurnResult

WIDTH = 960
LANE = 70
PAD_LEFT = 130
COLORS = {"you": "#2563eb", "room": "#059669"}
SPOKE_FILL = "rgba(37, 99, 235, 0.12)"
REPLY_FILL = "rgba(5, 150, 105, 0.14)"


@dataclass(frozen=True)
class Wave:
    label: str
    samples: np.ndarray  # mono float32
    rate: int
    offset_s: float  # run seconds at its first sample


def envelope(samples: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """Minimum and maximum per column (the classic waveform outline)."""
    if samples.size == 0 or columns <= 0:
        return np.zeros(max(columns, 0)), np.zeros(max(columns, 0))
    edges = np.linspace(0, samples.size, columns + 1).astype(int)
    low = np.zeros(columns)
    high = np.zeros(columns)
    for i in range(columns):
        chunk = samples[edges[i] : max(edges[i + 1], edges[i] + 1)]
        low[i] = float(chunk.min())
        high[i] = float(chunk.max())
    return low, high


def waveform_svg(waves: Sequence[Wave], turns: Sequence[TurnResult], duration_s: float) -> str:
    """Both sides, one lane each, on the run's time axis; each turn's utterance and reply
    shaded, and its start marked with its number."""
    end = max(duration_s, max((w.offset_s + w.samples.size / w.rate for w in waves), default=0))
    # From a second before the first turn: set-up time (loading, joining) is not drawn.
    origin = max(0.0, min((t.started_at for t in turns), default=0.0) - 1.0)
    span = max(end - origin, 0.1)
    plot = WIDTH - PAD_LEFT - 10
    height = LANE * max(len(waves), 1) + 40

    def x(t: float) -> float:
        return PAD_LEFT + plot * min(max(t - origin, 0.0), span) / span

    parts = [
        f'<svg class="waveform" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}"'
        f' width="100%" role="img" aria-label="Waveform of both sides with turn boundaries">'
    ]
    for turn in turns:
        if turn.spoke is not None:
            parts.append(
                _band(x(turn.spoke.start), x(turn.spoke.end or span), height, SPOKE_FILL, "spoke")
            )
        if turn.reply is not None:
            parts.append(
                _band(x(turn.reply.start), x(turn.reply.end or span), height, REPLY_FILL, "reply")
            )
        left = x(turn.started_at)
        parts.append(
            f'<line class="turn-boundary" x1="{left:.1f}" y1="0" x2="{left:.1f}" y2="{height - 20}"'
            ' stroke="#6b7280" stroke-dasharray="4 3"/>'
            f'<text x="{left + 3:.1f}" y="12" font-size="11" fill="#374151">'
            f"turn {turn.turn.index}</text>"
        )
    for lane, wave in enumerate(waves):
        middle = 20 + lane * LANE + LANE / 2
        skip = int(max(0.0, origin - wave.offset_s) * wave.rate)
        samples = wave.samples[skip:]
        start = x(wave.offset_s + skip / wave.rate)
        stop = x(wave.offset_s + wave.samples.size / wave.rate)
        columns = max(1, int(stop - start))
        low, high = envelope(samples, columns)
        scale = LANE / 2 - 4
        top = " ".join(f"{start + i:.1f},{middle - high[i] * scale:.1f}" for i in range(columns))
        bottom = " ".join(
            f"{start + i:.1f},{middle - low[i] * scale:.1f}" for i in reversed(range(columns))
        )
        color = COLORS.get(wave.label, "#7c3aed")
        parts.append(
            f'<text x="4" y="{middle + 4:.1f}" font-size="12" fill="{color}">'
            f"{escape(_lane_name(wave.label))}</text>"
            f'<line x1="{PAD_LEFT}" y1="{middle:.1f}" x2="{WIDTH - 10}" y2="{middle:.1f}"'
            ' stroke="#e5e7eb"/>'
            f'<polygon class="wave wave-{escape(wave.label)}" points="{top} {bottom}"'
            f' fill="{color}" stroke="{color}" stroke-width="0.5"/>'
        )
    parts.append(_time_axis(origin, span, height, x))
    parts.append("</svg>")
    return "".join(parts)


def _lane_name(label: str) -> str:
    return {"you": "you (sent)", "room": "assistant (heard)"}.get(label, label)


def _band(left: float, right: float, height: int, fill: str, kind: str) -> str:
    width = max(right - left, 1.0)
    return (
        f'<rect class="band-{kind}" x="{left:.1f}" y="16" width="{width:.1f}"'
        f' height="{height - 36}"'
        f' fill="{fill}"/>'
    )


def _time_axis(origin: float, span: float, height: int, x) -> str:  # noqa: ANN001 - the scale
    step = next(s for s in (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600) if span / s <= 12)
    ticks = []
    t = step * int(origin / step + 0.999)
    while t <= origin + span + 1e-9:
        ticks.append(
            f'<text x="{x(t):.1f}" y="{height - 4}" font-size="10" fill="#6b7280"'
            f' text-anchor="middle">{t:g} s</text>'
        )
        t += step
    return "".join(ticks)


def latency_svg(turns: Sequence[TurnResult]) -> str:
    """A bar per turn: the reply latency heard at the local agent, green when within its
    limit, red when not (grey with no limit); the limit as a dark tick across the bar."""
    rows = [t for t in turns if t.latency_ms is not None or t.latency_limit_ms is not None]
    bar, gap, left = 22, 10, 220
    height = max(1, len(rows)) * (bar + gap) + 30
    top_ms = max(
        [t.latency_ms or 0 for t in rows] + [t.latency_limit_ms or 0 for t in rows] + [100]
    )
    top_ms *= 1.1
    plot = WIDTH - left - 70

    def x(ms: float) -> float:
        return left + plot * ms / top_ms

    parts = [
        '<svg class="latency-plot" xmlns="http://www.w3.org/2000/svg"'
        f' viewBox="0 0 {WIDTH} {height}"'
        ' width="100%" role="img" aria-label="Reply latency of each turn against its limit">'
    ]
    if not rows:
        parts.append('<text x="10" y="20" font-size="12">No turn expected or heard a reply.</text>')
    for i, turn in enumerate(rows):
        y = 10 + i * (bar + gap)
        title = turn.turn.title if len(turn.turn.title) <= 34 else turn.turn.title[:31] + "..."
        parts.append(
            f'<text x="4" y="{y + bar * 0.7:.1f}" font-size="12" fill="#111827">'
            f"{escape(title)}</text>"
        )
        limit = turn.latency_limit_ms
        if turn.latency_ms is not None:
            within = limit is None or turn.latency_ms <= limit
            color = "#9ca3af" if limit is None else ("#16a34a" if within else "#dc2626")
            parts.append(
                f'<rect class="latency-bar" x="{left}" y="{y}"'
                f' width="{max(x(turn.latency_ms) - left, 1):.1f}"'
                f' height="{bar}" fill="{color}"/>'
                f'<text x="{x(turn.latency_ms) + 4:.1f}" y="{y + bar * 0.7:.1f}" font-size="11">'
                f"{turn.latency_ms:.0f} ms</text>"
            )
        else:
            parts.append(
                f'<text x="{left + 4}" y="{y + bar * 0.7:.1f}" font-size="11" fill="#dc2626">'
                "no reply heard</text>"
            )
        if limit is not None:
            parts.append(
                f'<line class="latency-limit" x1="{x(limit):.1f}" y1="{y - 3}" x2="{x(limit):.1f}"'
                f' y2="{y + bar + 3}" stroke="#111827" stroke-width="2"/>'
            )
    axis_y = height - 8
    for ms in _ms_ticks(top_ms):
        parts.append(
            f'<text x="{x(ms):.1f}" y="{axis_y}" font-size="10" fill="#6b7280"'
            ' text-anchor="middle">'
            f"{ms:g} ms</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _ms_ticks(top_ms: float) -> list[float]:
    step = next(s for s in (50, 100, 200, 250, 500, 1000, 2000, 5000, 10000) if top_ms / s <= 8)
    return [i * step for i in range(int(top_ms // step) + 1)]
