"""The ledger of what the panel started survives a kill, and only a dead run's entries are
offered as leftovers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from voicepanel.session.ledger import (
    Settled,
    StartedKind,
    StartedLedger,
    leftovers,
    read_ledger,
    settle_leftover,
)


def dead_pid() -> int:
    """The id of a process that has ended."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def as_dead_run(path: Path) -> None:
    """Rewrites the file's run line as if a process that ended had written it."""
    lines = path.read_text(encoding="utf-8").splitlines()
    run = json.loads(lines[0])
    run["pid"] = dead_pid()
    path.write_text("\n".join([json.dumps(run), *lines[1:]]) + "\n", encoding="utf-8")


def test_an_entry_is_on_disk_before_the_thing_starts_and_gone_once_all_ended(
    tmp_path: Path,
) -> None:
    ledger = StartedLedger(tmp_path, "Lab")
    key = ledger.starting(StartedKind.CALL, "room-1")
    assert ledger.path is not None
    _, entries = read_ledger(ledger.path)
    assert [(e.kind, e.room_id, e.object_id) for e in entries] == [("call", "room-1", None)]
    ledger.started(key, "call-1", "peer-1")
    assert read_ledger(ledger.path)[1][0].object_id == "call-1"
    path = ledger.path
    ledger.settle(key, Settled.ENDED)
    assert not path.exists()


def test_a_live_runs_entries_are_not_leftovers_a_dead_runs_are(tmp_path: Path) -> None:
    ledger = StartedLedger(tmp_path, "Lab")
    ledger.started(ledger.starting(StartedKind.AGENT, "room-1"), "agent-1")
    assert leftovers(tmp_path, "Lab") == []  # this process is alive
    assert ledger.path is not None
    as_dead_run(ledger.path)
    found = leftovers(tmp_path, "Lab")
    assert [(e.kind, e.object_id) for e in found] == [(StartedKind.AGENT, "agent-1")]
    assert leftovers(tmp_path, "Other profile") == []
    settle_leftover(found[0], Settled.KEPT)
    assert leftovers(tmp_path, "Lab") == [] and not ledger.path.exists()


def test_a_torn_last_line_is_skipped(tmp_path: Path) -> None:
    ledger = StartedLedger(tmp_path, "Lab")
    ledger.started(ledger.starting(StartedKind.CALL, "r"), "call-1")
    assert ledger.path is not None
    with open(ledger.path, "ab") as file:
        file.write(b'{"event": "settled", "key": "')
    pid, entries = read_ledger(ledger.path)
    assert pid == os.getpid() and [e.object_id for e in entries] == ["call-1"]
