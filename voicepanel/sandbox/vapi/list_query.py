"""The query of `GET /call` and `GET /assistant`: `limit` and the createdAt/updatedAt
bounds the SDK's `list` sends (plus `id`, `assistantId`, `phoneNumberId` for calls).
A value that cannot be read is a 400 naming the parameter."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from .errors import bad_request

T = TypeVar("T")
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000  # VAPI's own maximum page size
_BOUNDS = {
    "Gt": lambda a, b: a > b,
    "Lt": lambda a, b: a < b,
    "Ge": lambda a, b: a >= b,
    "Le": lambda a, b: a <= b,
}


@dataclass(frozen=True)
class ListQuery:
    limit: int = DEFAULT_LIMIT
    # (field, comparison suffix, bound): e.g. ("createdAt", "Gt", 2026-01-01T00:00Z)
    bounds: tuple[tuple[str, str, datetime], ...] = field(default=())

    def select(self, items: Iterable[T], moments: Callable[[T], Mapping[str, datetime]]) -> list[T]:
        """The items within every bound, at most `limit` of them, in the order given."""
        chosen = []
        for item in items:
            if len(chosen) >= self.limit:
                break
            at = moments(item)
            if all(_BOUNDS[op](at[name], bound) for name, op, bound in self.bounds):
                chosen.append(item)
        return chosen


def list_query(query: Mapping[str, str]) -> ListQuery:
    bounds = []
    for name in ("createdAt", "updatedAt"):
        for op in _BOUNDS:
            raw = query.get(name + op)
            if raw is not None:
                bounds.append((name, op, _moment(raw, name + op)))
    return ListQuery(_limit(query.get("limit")), tuple(bounds))


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    try:
        value = float(raw)  # the SDK sends limit as a float, e.g. "10.0"
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not 0 <= value <= MAX_LIMIT:
        raise bad_request(f"limit must be a number from 0 to {MAX_LIMIT}, not {raw[:40]!r}.")
    return int(value)


def _moment(raw: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f"{name} must be an ISO 8601 date and time, not {raw[:40]!r}.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
