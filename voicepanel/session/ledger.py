"""StartedLedger: what the panel started that may bill (VAPI calls, agent peers), on disk
before it starts, so that after a crash or a power cut the next start can find it.

One append-only JSON Lines file per opened workspace (``started-<time>-<pid>.jsonl`` in the
ledger folder). An entry is written and fsynced *before* the call or agent is created, then
updated with its id once the server gave one, and closed when it ends, when the person chose
to keep it running, or when a later start found it gone. A file whose entries are all closed
is deleted. Files of processes still running are never read as leftovers.

Reading tolerates a torn last line (the writer killed mid-write), like the journal.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
import uuid
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)

FILE_PREFIX = "started-"
FILE_SUFFIX = ".jsonl"


class StartedKind(StrEnum):
    CALL = "call"  # a VAPI call (its id), carried into a room by a VAPI peer
    AGENT = "agent"  # an agent peer (its id) in a room


class Settled(StrEnum):
    """How an entry was closed."""

    ENDED = "ended"  # the panel ended it, or saw it end
    KEPT = "kept"  # the person chose to leave it running
    GONE = "gone"  # a later start found it no longer running
    ABANDONED = "abandoned"  # creation failed; nothing to end


@dataclass(frozen=True)
class StartedEntry:
    key: str  # the ledger's own id, known before the server's
    kind: StartedKind
    profile: str
    room_id: str | None
    started_at: float
    object_id: str | None = None  # the VAPI call id or the agent's peer id, once known
    peer_id: str | None = None  # for a call: the VAPI peer carrying it, once known
    path: Path | None = None  # the ledger file it lives in

    def describe(self) -> str:
        """A line for a person (and the log): what it is and where."""
        where = f" in room {self.room_id}" if self.room_id else ""
        if self.kind is StartedKind.CALL:
            what = f"VAPI call {self.object_id}" if self.object_id else "a VAPI call being started"
        else:
            what = f"agent peer {self.object_id}" if self.object_id else "an agent being added"
        return f"{what}{where}"


def _write(file: IO[str], record: dict[str, Any], durable: bool) -> None:
    file.write(json.dumps(record, separators=(",", ":")) + "\n")
    file.flush()
    if durable:
        # Power-cut safe: these lines are rare (one per call or agent) and worth a disk sync.
        os.fsync(file.fileno())


class StartedLedger:
    """This workspace's ledger file; created on the first entry."""

    def __init__(self, folder: Path, profile: str) -> None:
        self.folder = folder
        self.profile = profile
        self.path: Path | None = None
        self._file: IO[str] | None = None
        self._open: dict[str, StartedEntry] = {}

    @property
    def open_entries(self) -> list[StartedEntry]:
        """What this workspace started and has not seen end, oldest first."""
        return sorted(self._open.values(), key=lambda e: e.started_at)

    def starting(self, kind: StartedKind, room_id: str | None) -> str:
        """Records that ``kind`` is about to be started; returns the entry's key. Raises
        OSError when the ledger cannot be written (the caller decides whether to go on)."""
        key = uuid.uuid4().hex
        now = time.time()
        self._append(
            {
                "event": "starting",
                "key": key,
                "kind": kind.value,
                "profile": self.profile,
                "room_id": room_id,
                "at": now,
            }
        )
        self._open[key] = StartedEntry(key, kind, self.profile, room_id, now, path=self.path)
        return key

    def started(self, key: str, object_id: str, peer_id: str | None = None) -> None:
        """The server gave the thing its id (and, for a call, the peer carrying it)."""
        entry = self._open.get(key)
        if entry is None:
            return
        self._open[key] = replace(entry, object_id=object_id, peer_id=peer_id or entry.peer_id)
        self._append({"event": "started", "key": key, "object_id": object_id, "peer_id": peer_id})

    def find(self, object_id: str) -> str | None:
        """The key of the open entry for a call id or peer id."""
        return next((e.key for e in self._open.values() if e.object_id == object_id), None)

    def settle(self, key: str, how: Settled) -> None:
        """Closes an entry; the file goes once nothing in it is open."""
        if self._open.pop(key, None) is None:
            return
        self._append({"event": "settled", "key": key, "how": how.value})
        if not self._open:
            self.close()

    def close(self) -> None:
        """Closes the file; deletes it when nothing in it is still open."""
        if self._file is not None:
            self._file.close()
            self._file = None
        if self.path is not None and not self._open:
            with contextlib.suppress(OSError):
                self.path.unlink()
            self.path = None

    def _append(self, record: dict[str, Any]) -> None:
        if self._file is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            stamp = time.strftime("%Y%m%d-%H%M%S")
            name = f"{FILE_PREFIX}{stamp}-{os.getpid()}-{uuid.uuid4().hex[:6]}{FILE_SUFFIX}"
            self.path = self.folder / name
            self._file = open(self.path, "a", encoding="utf-8", newline="\n")  # noqa: SIM115
            _write(self._file, {"event": "run", "pid": os.getpid(), "at": time.time()}, False)
        _write(self._file, {"at": time.time(), **record}, True)


def read_ledger(path: Path) -> tuple[int | None, list[StartedEntry]]:
    """(the writer's process id, its entries still open); unreadable lines are skipped."""
    pid: int | None = None
    entries: dict[str, StartedEntry] = {}
    try:
        lines = path.read_bytes().split(b"\n")
    except OSError as exc:
        log.warning("Could not read the ledger %s: %s", path, exc)
        return None, []
    for raw in lines:
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
            event = record["event"]
            if event == "run":
                pid = int(record["pid"])
            elif event == "starting":
                entries[record["key"]] = StartedEntry(
                    key=str(record["key"]),
                    kind=StartedKind(record["kind"]),
                    profile=str(record["profile"]),
                    room_id=record.get("room_id"),
                    started_at=float(record["at"]),
                    path=path,
                )
            elif event == "started" and record["key"] in entries:
                entry = entries[record["key"]]
                entries[entry.key] = replace(
                    entry, object_id=record["object_id"], peer_id=record.get("peer_id")
                )
            elif event == "settled":
                entries.pop(record["key"], None)
        except (ValueError, KeyError, TypeError):
            continue  # a torn line (killed mid-write) or a foreign one
    return pid, sorted(entries.values(), key=lambda e: e.started_at)


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":
        return False  # no safe probe without a dependency; the person decides anyway
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def leftovers(folder: Path, profile: str) -> list[StartedEntry]:
    """Entries for ``profile`` still open in the ledgers of processes that have ended."""
    found: list[StartedEntry] = []
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob(f"{FILE_PREFIX}*{FILE_SUFFIX}")):
        pid, entries = read_ledger(path)
        if pid is not None and _process_alive(pid):
            continue
        if not entries:
            with contextlib.suppress(OSError):
                path.unlink()
            continue
        found += [e for e in entries if e.profile == profile]
    return found


def settle_leftover(entry: StartedEntry, how: Settled) -> None:
    """Closes an entry found in an ended process's ledger; deletes the file once empty."""
    if entry.path is None:
        return
    try:
        with open(entry.path, "a", encoding="utf-8", newline="\n") as file:
            _write(file, {"event": "settled", "key": entry.key, "how": how.value}, True)
        _, still_open = read_ledger(entry.path)
        if not still_open:
            entry.path.unlink()
    except OSError as exc:
        log.warning("Could not update the ledger %s: %s", entry.path, exc)
