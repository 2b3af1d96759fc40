"""The notification journal keeps every event, even when the writing process is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from voicepanel.core.notifications import Notification
from voicepanel.session.journal import NotificationJournal, list_journals, read_journal
from voicepanel.session.paths import journal_dir


def test_every_appended_notification_reads_back_in_order(tmp_path: Path) -> None:
    journal = NotificationJournal(tmp_path / "journal")
    sent = [
        Notification(1000.0 + i, "PeerAdded", "r1", f"p{i}", None, {"peer_type": "PEER_TYPE_AGENT"})
        for i in range(5)
    ]
    for n in sent:
        journal.append(n)
    assert journal.count == 5
    assert read_journal(journal.path) == sent  # readable while still open
    journal.close()
    journal.append(sent[0])  # after close: ignored, not an error
    assert journal.read() == sent


def test_two_sessions_in_the_same_second_get_two_files(tmp_path: Path) -> None:
    first = NotificationJournal(tmp_path)
    second = NotificationJournal(tmp_path)
    assert first.path != second.path
    assert list_journals(tmp_path) == [first.path, second.path] or set(list_journals(tmp_path)) == {
        first.path,
        second.path,
    }
    first.close()
    second.close()


def test_a_torn_last_line_is_skipped(tmp_path: Path) -> None:
    journal = NotificationJournal(tmp_path)
    journal.append(Notification(1.0, "RoomCreated", "r1"))
    journal.append(Notification(2.0, "RoomDeleted", "r1"))
    journal.close()
    with open(journal.path, "ab") as f:
        f.write(b'{"received_at": 3.0, "kind": "Peer')
    assert [n.kind for n in read_journal(journal.path)] == ["RoomCreated", "RoomDeleted"]


def test_the_journal_folder_is_in_the_user_data_folder() -> None:
    # conftest points XDG_DATA_HOME at a temporary folder.
    assert journal_dir().parent.parent == Path(os.environ["XDG_DATA_HOME"])
    assert journal_dir().name == "journal"


WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from voicepanel.core.notifications import Notification
    from voicepanel.session.journal import NotificationJournal

    journal = NotificationJournal(Path(sys.argv[1]))
    print(journal.path, flush=True)
    for i in range(int(sys.argv[2])):
        journal.append(Notification(time.time(), "PeerAdded", "r1", f"p{i}", None, {"i": i}))
    print("written", flush=True)
    time.sleep(60)  # killed here, journal never closed
    """
)


def test_the_journal_holds_every_event_after_the_writer_is_killed(tmp_path: Path) -> None:
    count = 500
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path), str(count)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        path = Path(proc.stdout.readline().strip())
        assert proc.stdout.readline().strip() == "written"
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    found = read_journal(path)
    assert len(found) == count
    assert [n.details["i"] for n in found] == list(range(count))
    assert time.time() - found[-1].received_at < 60
