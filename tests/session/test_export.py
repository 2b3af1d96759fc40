"""Exports parse back and never contain a secret."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from voicepanel.core.notifications import Notification
from voicepanel.core.redact import MASK, Redactor
from voicepanel.session.export import COLUMNS, export_csv, export_jsonl, iso_time

SECRET = "mgmt-token-5f3a9c0e1d2b"


def notifications() -> list[Notification]:
    return [
        Notification(1763894483.123456, "RoomCreated", "r1"),
        Notification(
            1763894484.5,
            "PeerMetadataUpdated",
            "r1",
            "p1",
            None,
            {"metadata": {"note": f"token={SECRET}", SECRET: ["x", SECRET]}, "n": 3},
        ),
        Notification(1763894485.0, "TrackAdded", "r1", "p1", "t1", {"track": {"id": "t1"}}),
    ]


def test_iso_time_is_utc_with_milliseconds() -> None:
    assert iso_time(1763894483.123456) == "2025-11-23T10:41:23.123Z"


def test_jsonl_export_parses_and_masks_the_secret(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    assert export_jsonl(notifications(), path, Redactor([SECRET])) == 3
    text = path.read_text(encoding="utf-8")
    assert SECRET not in text
    rows = [json.loads(line) for line in text.splitlines()]
    assert [tuple(r) for r in rows] == [COLUMNS] * 3
    assert rows[0]["time"] == "2025-11-23T10:41:23.123Z"
    assert rows[1]["details"]["metadata"]["note"] == f"token={MASK}"
    assert rows[1]["details"]["n"] == 3
    assert rows[2]["track_id"] == "t1"


def test_csv_export_parses_and_masks_the_secret(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    assert export_csv(notifications(), path, Redactor([SECRET])) == 3
    text = path.read_text(encoding="utf-8-sig")
    assert SECRET not in text
    rows = list(csv.DictReader(text.splitlines()))
    assert len(rows) == 3
    assert rows[0]["kind"] == "RoomCreated" and rows[0]["peer_id"] == ""
    details = json.loads(rows[1]["details"])
    assert details["metadata"]["note"] == f"token={MASK}"
    assert rows[2]["time"] == "2025-11-23T10:41:25.000Z"


def test_bearer_tokens_are_masked_even_when_not_registered(tmp_path: Path) -> None:
    n = Notification(1.0, "PeerCrashed", "r1", "p1", None, {"reason": "Bearer abcdefghijklmnop"})
    path = tmp_path / "events.csv"
    export_csv([n], path, Redactor())
    assert "abcdefghijklmnop" not in path.read_text(encoding="utf-8-sig")
