"""VAPI's live events and refused posts share the journal, and the exports, with Fishjam's
notifications: one timeline for a bug report."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from live_helpers import T0, event, transcript

from voicepanel.core.notifications import Notification
from voicepanel.core.redact import Redactor
from voicepanel.core.vapi_events import CallEvent, RejectedPost
from voicepanel.session.export import export_csv, export_jsonl
from voicepanel.session.journal import NotificationJournal, read_journal

SECRET = "events-secret-8d1f0c"


def timeline() -> list:
    from dataclasses import replace

    said = replace(transcript("user", f"my code is {SECRET}", T0 + 1), room_id="r1", peer_id="v1")
    return [
        Notification(T0, "PeerConnected", "r1", "v1"),
        said,
        RejectedPost(
            T0 + 2,
            413,
            "The post declares 10,485,760 bytes; events are limited to 1,000,000.",
            10485760,
        ),
        Notification(T0 + 3, "PeerDisconnected", "r1", "v1"),
        event("end-of-call-report", T0 + 4, endedReason="customer-ended-call", cost=0.01),
    ]


def test_every_record_kind_reads_back_in_order(tmp_path: Path) -> None:
    journal = NotificationJournal(tmp_path)
    for entry in timeline():
        journal.append(entry)
    journal.close()
    back = read_journal(journal.path)
    assert [type(e).__name__ for e in back] == [
        "Notification",
        "CallEvent",
        "RejectedPost",
        "Notification",
        "CallEvent",
    ]
    said = back[1]
    assert isinstance(said, CallEvent)
    assert said.kind == "vapi.transcript" and said.call_id == "call-1" and said.room_id == "r1"
    assert said.details["transcript"].startswith("my code is")
    assert back == timeline()


def test_a_record_kind_from_a_newer_version_is_skipped_not_fatal(tmp_path: Path) -> None:
    journal = NotificationJournal(tmp_path)
    journal.append(Notification(T0, "RoomCreated", "r1"))
    journal.close()
    with open(journal.path, "a", encoding="utf-8") as f:
        f.write(json.dumps({"record": "vapi-something-new", "received_at": T0 + 1}) + "\n")
        f.write(json.dumps(Notification(T0 + 2, "RoomDeleted", "r1").to_json()) + "\n")
    assert [e.kind for e in read_journal(journal.path)] == ["RoomCreated", "RoomDeleted"]


def test_exports_put_vapi_events_on_the_notifications_timeline_without_secrets(
    tmp_path: Path,
) -> None:
    redactor = Redactor([SECRET])
    jsonl, table = tmp_path / "all.jsonl", tmp_path / "all.csv"
    assert export_jsonl(timeline(), jsonl, redactor) == 5
    assert export_csv(timeline(), table, redactor) == 5
    assert SECRET not in jsonl.read_text(encoding="utf-8")
    assert SECRET not in table.read_text(encoding="utf-8-sig")
    rows = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert [r["kind"] for r in rows] == [
        "PeerConnected",
        "vapi.transcript",
        "vapi.rejected",
        "PeerDisconnected",
        "vapi.end-of-call-report",
    ]
    assert rows[1]["room_id"] == "r1" and rows[1]["details"]["call"] == {"id": "call-1"}
    assert rows[2]["details"]["status"] == 413
    with open(table, encoding="utf-8-sig") as f:
        kinds = [r["kind"] for r in csv.DictReader(f)]
    assert kinds == [r["kind"] for r in rows]
