"""The notifications dock: batched inserts, capped view, filters, pause, export."""

from __future__ import annotations

import csv
import json
import sys
import time
from pathlib import Path
from typing import Any

from panel_helpers import until
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QTableView

from voicepanel.core.fishjam_gateway import RoomSpec
from voicepanel.core.notifications import Notification
from voicepanel.ui.feedback import Feedback
from voicepanel.ui.notification_model import NotificationFilter, NotificationTableModel
from voicepanel.ui.notifications_dock import NotificationsDock


def _burst(n: int, kind: str = "RoomCreated", room: str = "room") -> list[Notification]:
    now = time.time()
    return [Notification(now, kind, f"{room}-{i}", None, None, {"i": i}) for i in range(n)]


def test_a_burst_of_ten_thousand_is_one_insert_not_ten_thousand(qtbot: Any) -> None:
    model = NotificationTableModel(row_cap=50_000)
    inserts: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _p, first, last: inserts.append((first, last)))
    model.append(_burst(10_000))
    assert inserts == [(0, 9_999)]
    assert model.rowCount() == 10_000


def test_the_view_keeps_only_the_newest_rows_up_to_its_cap(qtbot: Any) -> None:
    model = NotificationTableModel(row_cap=1_000)
    model.append(_burst(800))
    model.append(_burst(700, room="later"))
    assert model.rowCount() == 1_000
    assert model.notifications()[-1].room_id == "later-699"
    assert model.notifications()[0].room_id == "room-500"


def test_filters_by_kind_room_peer_and_text(qtbot: Any) -> None:
    model = NotificationTableModel()
    proxy = NotificationFilter()
    proxy.setSourceModel(model)
    now = time.time()
    model.append(
        [
            Notification(now, "RoomCreated", "alpha", None, None, {}),
            Notification(now, "PeerAdded", "alpha", "peer-1", None, {"peer_type": "WEBRTC"}),
            Notification(now, "PeerCrashed", "beta", "peer-2", None, {"reason": "bad call id"}),
        ]
    )
    proxy.set_filters(kind="PeerAdded")
    assert [n.peer_id for n in proxy.shown()] == ["peer-1"]
    proxy.set_filters(kind="", room="beta")
    assert [n.kind for n in proxy.shown()] == ["PeerCrashed"]
    proxy.set_filters(room="", peer="peer-")
    assert len(proxy.shown()) == 2
    proxy.set_filters(peer="", text="BAD CALL")
    assert [n.room_id for n in proxy.shown()] == ["beta"]


def test_pausing_holds_rows_and_resuming_loses_none(qtbot: Any) -> None:
    dock = NotificationsDock(Feedback())
    qtbot.addWidget(dock)
    dock.add_batch(_burst(3))
    dock.pause_button.setChecked(True)
    dock.add_batch(_burst(5, room="held"))
    assert dock.model.rowCount() == 3
    assert "5 waiting" in dock.summary.text()
    dock.pause_button.setChecked(False)
    assert dock.model.rowCount() == 8
    dock.search_edit.setText("held-4")
    qtbot.waitUntil(lambda: dock.proxy.rowCount() == 1, timeout=2000)  # after typing pauses
    assert "1 shown of 8" in dock.summary.text()
    dock.clear_view()
    assert dock.model.rowCount() == 0


def _hint_pixels(dock: NotificationsDock) -> int:
    """How many pixels of a band across the table's middle (below a few rows) are not the
    table's background: the hint's text, when it is shown."""
    viewport = dock.findChild(QTableView, "notificationsTable").viewport()
    image = viewport.grab().toImage()
    background = viewport.palette().base().color().rgb()
    middle = image.height() // 2
    return sum(
        image.pixel(x, y) != background
        for x in range(image.width())
        for y in range(middle - 8, middle + 8)
    )


def test_an_empty_table_says_what_fills_it_and_when_filters_hide_every_row(qtbot: Any) -> None:
    dock = NotificationsDock(Feedback())
    qtbot.addWidget(dock)
    dock.resize(900, 300)
    dock.show()
    assert "Ctrl+N" in dock.empty_hint.text
    assert _hint_pixels(dock) > 0
    dock.add_batch(_burst(3))
    assert _hint_pixels(dock) == 0
    dock.search_edit.setText("no row has this")
    qtbot.waitUntil(lambda: dock.proxy.rowCount() == 0, timeout=2000)
    assert dock.empty_hint.text == "No notification matches these filters."
    assert _hint_pixels(dock) > 0


class _Emitter(QObject):
    fired = Signal(bool)


def test_twenty_thousand_signal_emits_leave_refcounts_alone(qtbot: Any) -> None:
    """PySide6 6.12 on Python 3.11 dropped a reference to True on every emit and aborted
    after a few thousand; qasync emits on every call_soon_threadsafe."""
    emitter = _Emitter()
    received = []
    emitter.fired.connect(received.append)
    before = sys.getrefcount(True)
    for _ in range(20_000):
        emitter.fired.emit(True)
    assert len(received) == 20_000
    received.clear()
    assert abs(sys.getrefcount(True) - before) < 100


async def test_exports_parse_and_hold_no_secret(panel: Any, tmp_path: Path) -> None:
    ws = panel.host.workspace
    token = ws.sandbox.config.token
    vapi_key = ws.sandbox.config.vapi_key
    room = await ws.create_room(RoomSpec())
    # A tester pasting a secret into metadata must not leak it through an export.
    await ws.create_peer(room.id, {"note": f"token is {token}", "key": vapi_key}, "auto")
    await until(lambda: panel.notifications.model.rowCount() >= 2, what="notifications")

    written = {}
    for name, shown_only in (("shown.jsonl", True), ("all.jsonl", False), ("shown.csv", True)):
        path = tmp_path / name
        count = await panel.notifications.export_to(path, shown_only=shown_only)
        assert count and count >= 2
        written[name] = path.read_text(encoding="utf-8")

    for text in written.values():
        assert token not in text and vapi_key not in text
    rows = [json.loads(line) for line in written["all.jsonl"].splitlines()]
    assert {"RoomCreated", "PeerAdded"} <= {r["kind"] for r in rows}
    shown = [json.loads(line) for line in written["shown.jsonl"].splitlines()]
    assert len(shown) == panel.notifications.proxy.rowCount()
    table = list(csv.DictReader(written["shown.csv"].splitlines()))
    assert table and "kind" in {k.lower() for k in table[0]}


async def test_ctrl_e_asks_where_and_writes_the_shown_rows(panel: Any, tmp_path: Path) -> None:
    from panel_helpers import find_top
    from PySide6.QtWidgets import QFileDialog, QLineEdit

    await panel.host.workspace.create_room(RoomSpec())
    await until(lambda: panel.notifications.model.rowCount() >= 1, what="a notification")
    panel.act_export.trigger()
    dialog = await until(lambda: find_top(QFileDialog), what="the save dialog")
    target = tmp_path / "bug-report.csv"
    # As a person types it: selectFile() does not replace the suggested name here.
    dialog.findChild(QLineEdit, "fileNameEdit").setText(str(target))
    dialog.accept()
    await until(lambda: target.exists() and target.stat().st_size > 0, what="the export")
    rows = list(csv.DictReader(target.read_text(encoding="utf-8").splitlines()))
    assert [r for r in rows if "RoomCreated" in r.values()]
    await until(lambda: "Exported" in panel.banner.text, what="the confirmation")


async def test_a_gap_in_the_live_notifications_shows_as_a_row(panel: Any) -> None:
    dock = panel.notifications
    panel.host.workspace.reconnect_notifier()  # the link drops and comes back

    def rows() -> list[tuple[str, str]]:
        model = dock.model
        return [
            (model.index(r, 1).data(), model.index(r, 5).data()) for r in range(model.rowCount())
        ]

    await until(lambda: any(kind == "RoomsReRead" for kind, _ in rows()), 20, "the re-read row")
    texts = dict(rows())
    assert texts["NotifierDisconnected"].startswith("Live notifications stopped")
    assert "Gap in live notifications" in texts["NotifierConnected"]
    assert "may be missing" in texts["NotifierConnected"]
    assert texts["RoomsReRead"] == "The re-read found: no change."
