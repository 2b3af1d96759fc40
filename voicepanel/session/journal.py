"""NotificationJournal: every server notification of a session, and every live VAPI event,
appended to one JSON Lines file and flushed as it goes, so what the panel showed survives a
crash and can be exported, Fishjam's and VAPI's on one timeline.

Each line is one record. A Fishjam notification has no ``record`` key (as in journals
written before VAPI events existed); a VAPI event says ``"record": "vapi-event"`` and a
refused post ``"record": "vapi-rejected"``. A line of a kind this version does not know is
skipped with a warning, like a torn one.

Flushing per line hands the bytes to the OS, which keeps them if the process dies; an fsync
per event would only add safety against a power cut, at a cost the event rate cannot pay.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import IO, Any

from voicepanel.core.notifications import Notification
from voicepanel.core.vapi_events import CallEvent, RejectedPost

log = logging.getLogger(__name__)

FILE_PREFIX = "notifications-"
FILE_SUFFIX = ".jsonl"

JournalEntry = Notification | CallEvent | RejectedPost
"""One line of the journal; each has received_at, kind, room_id, peer_id, track_id, details."""

_RECORDS: dict[str, Any] = {CallEvent.RECORD: CallEvent, RejectedPost.RECORD: RejectedPost}


class NotificationJournal:
    """One append-only file per session in ``folder``."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime())
        self.path, file = _open_new(folder, f"{FILE_PREFIX}{stamp}")
        self._file: IO[str] | None = file
        self.count = 0

    @property
    def closed(self) -> bool:
        return self._file is None

    def append(self, n: JournalEntry) -> None:
        """Writes one line and flushes it; after close() it is a no-op."""
        if self._file is None:
            return
        line = json.dumps(n.to_json(), ensure_ascii=False, separators=(",", ":"), default=str)
        self._file.write(line + "\n")
        self._file.flush()
        self.count += 1

    def read(self) -> list[JournalEntry]:
        """Everything written so far in this session."""
        return read_journal(self.path)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _open_new(folder: Path, stem: str) -> tuple[Path, IO[str]]:
    # Two sessions may start within the same second (tests, a quick reconnect).
    for attempt in range(1000):
        name = stem + (f"-{attempt}" if attempt else "") + FILE_SUFFIX
        path = folder / name
        try:
            return path, open(path, "x", encoding="utf-8", newline="\n")  # noqa: SIM115
        except FileExistsError:
            continue
    raise FileExistsError(f"No free journal file name in {folder}")


def read_journal(path: Path) -> list[JournalEntry]:
    """The records in a journal file; a torn last line (a crash mid-write) is skipped,
    and so is any other unreadable line, with a warning."""
    data = path.read_bytes()
    lines = data.split(b"\n")
    result: list[JournalEntry] = []
    for index, raw in enumerate(lines):
        if not raw.strip():
            continue
        try:
            result.append(_entry(json.loads(raw.decode("utf-8"))))
        except (ValueError, KeyError, TypeError):
            if index != len(lines) - 1:
                log.warning("Skipped unreadable line %d of %s", index + 1, path)
    return result


def _entry(data: Any) -> JournalEntry:
    if not isinstance(data, dict):
        raise TypeError("a journal line must be a JSON object")
    record = data.get("record")
    if record is None:
        return Notification.from_json(data)
    kind = _RECORDS.get(record)
    if kind is None:
        raise ValueError(f"unknown journal record {record!r}")
    entry: JournalEntry = kind.from_json(data)
    return entry


def list_journals(folder: Path) -> list[Path]:
    """Journal files in ``folder``, oldest first (names sort by start time)."""
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"{FILE_PREFIX}*{FILE_SUFFIX}"), key=lambda p: p.stat().st_mtime)
