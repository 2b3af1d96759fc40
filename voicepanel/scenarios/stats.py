"""Latency across repeated runs: per turn of a scenario, the percentiles of the reply
latency measured at the local agent (nearest rank, so every figure is one that was
measured), and how many runs heard no reply."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from voicepanel.scenarios.results import RunResult

PERCENTILES = (50, 90, 95, 99)


def nearest_rank(ordered: Sequence[float], percent: float) -> float:
    """The value at ``percent`` of ``ordered`` (sorted, not empty), by nearest rank."""
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class TurnLatency:
    scenario: str
    turn: str  # the turn's title
    limit_ms: int | None
    runs: int
    heard: int  # runs with a reply
    passed: int
    percentiles_ms: tuple[tuple[int, float], ...]  # (50, 812.0), ...
    max_ms: float | None

    def percentile(self, percent: int) -> float | None:
        return dict(self.percentiles_ms).get(percent)


def turn_latencies(results: Iterable[RunResult]) -> list[TurnLatency]:
    """One row per scenario turn, over every run of that scenario, in file order."""
    grouped: dict[tuple[str, int], list] = {}
    order: list[tuple[str, int]] = []
    for result in results:
        for turn in result.turns:
            key = (str(result.scenario.path), turn.turn.index)
            if key not in grouped:
                grouped[key] = []
                order.append(key)
            grouped[key].append((result, turn))
    rows = []
    for key in order:
        pairs = grouped[key]
        result, first = pairs[0]
        values = sorted(t.latency_ms for _, t in pairs if t.latency_ms is not None)
        rows.append(
            TurnLatency(
                scenario=result.scenario.name,
                turn=first.turn.title,
                limit_ms=first.turn.expect.reply_within_ms,
                runs=len(pairs),
                heard=len(values),
                passed=sum(1 for _, t in pairs if t.passed),
                percentiles_ms=tuple((p, nearest_rank(values, p)) for p in PERCENTILES)
                if values
                else (),
                max_ms=values[-1] if values else None,
            )
        )
    return rows
