"""Exports the journal's records (Fishjam notifications, the panel's own records and VAPI's
call events, one timeline) for a bug report, as JSON Lines or CSV, with every field passed
through the redactor so no secret leaves the machine in a file. The ``source`` column tells
server notifications from the panel's own records (gaps), synthetic re-read records and
VAPI's events."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from voicepanel.core.redact import Redactor
from voicepanel.session.journal import JournalEntry

COLUMNS = ("time", "kind", "room_id", "peer_id", "track_id", "details", "source")


def iso_time(timestamp: float) -> str:
    """ISO-8601 in UTC with milliseconds: 2026-11-23T10:41:23.123Z."""
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _redacted(value: Any, redactor: Redactor) -> Any:
    """The same structure with every string (keys too) redacted."""
    if isinstance(value, str):
        return redactor.redact(value)
    if isinstance(value, dict):
        return {_redacted(str(k), redactor): _redacted(v, redactor) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(v, redactor) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return redactor.redact(str(value))


def _row(n: JournalEntry, redactor: Redactor) -> dict[str, Any]:
    return {
        "time": iso_time(n.received_at),
        "kind": _redacted(n.kind, redactor),
        "room_id": _redacted(n.room_id, redactor),
        "peer_id": _redacted(n.peer_id, redactor),
        "track_id": _redacted(n.track_id, redactor),
        "details": _redacted(n.details, redactor),
        "source": str(n.source),
    }


def export_jsonl(items: Iterable[JournalEntry], path: Path, redactor: Redactor) -> int:
    """One JSON object per line with the CSV's columns (details as an object); returns
    how many notifications were written."""
    count = 0
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for n in items:
            out.write(json.dumps(_row(n, redactor), ensure_ascii=False) + "\n")
            count += 1
    return count


def export_csv(items: Iterable[JournalEntry], path: Path, redactor: Redactor) -> int:
    """A header row, then one row per notification (details as JSON text); returns how
    many notifications were written."""
    count = 0
    # utf-8-sig so spreadsheet programs on Windows read accents and the mask correctly.
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for n in items:
            row = _row(n, redactor)
            row["details"] = json.dumps(row["details"], ensure_ascii=False, sort_keys=True)
            writer.writerow(["" if row[c] is None else row[c] for c in COLUMNS])
            count += 1
    return count
