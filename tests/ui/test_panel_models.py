"""The tree model and the call card, from session values alone."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from voicepanel.core.fishjam_gateway import PeerInfo, RoomConfigInfo, RoomInfo, TrackInfo
from voicepanel.core.notifications import Notification
from voicepanel.core.vapi_gateway import CallInfo
from voicepanel.session.calls import CallRecord
from voicepanel.session.state import RoomTree
from voicepanel.ui.call_card import VapiCallCard, format_duration
from voicepanel.ui.details_pane import DetailsPane
from voicepanel.ui.room_tree_model import NodeKeyRole, RoomTreeModel
from voicepanel.ui.state_style import Tone, dot_icon, tone_colour

CONFIG = RoomConfigInfo(None, None, "conference", None, False, False)


def _peer(pid: str, tracks: int = 0) -> PeerInfo:
    return PeerInfo(
        pid,
        "webrtc",
        "connected",
        "auto",
        {},
        tuple(TrackInfo(f"{pid}-t{i}", "audio", {}) for i in range(tracks)),
        {},
    )


def test_the_tree_keeps_rows_and_marks_a_crashed_peer_red(qtbot: Any) -> None:
    tree = RoomTree()
    tree.replace_all([RoomInfo("r1", CONFIG, (_peer("p1", 2), _peer("p2")))])
    model = RoomTreeModel(tree)
    room = model.index(0, 0)
    assert model.rowCount(room) == 2
    assert model.index(0, 2).data() == "2 peers, 2 connected"
    p1 = model.index(0, 0, room)
    assert model.rowCount(p1) == 2
    persistent_p2 = model.index(1, 0, room)
    assert persistent_p2.data(NodeKeyRole) == ("r1", "p2", None)

    tree.apply(Notification(time.time(), "PeerCrashed", "r1", "p2", None, {"reason": "boom"}))
    model.sync()
    state = model.index(1, 2, room)
    assert state.data().startswith("crashed")
    assert state.data(0x0009) == tone_colour(Tone.BAD)  # ForegroundRole
    assert "boom" in model.index(1, 0, room).data(0x0003)  # ToolTipRole

    tree.apply(Notification(time.time(), "PeerDeleted", "r1", "p1", None, {}))
    model.sync()
    assert model.rowCount(room) == 1
    assert model.index(0, 0, room).data(NodeKeyRole) == ("r1", "p2", None)
    assert model.index_of(("r1", "p2", None)).isValid()


def test_a_running_room_has_one_colour_in_the_tree_and_in_its_details(qtbot: Any) -> None:
    tree = RoomTree()
    tree.replace_all([RoomInfo("r1", CONFIG, (_peer("p1"),))])
    model = RoomTreeModel(tree)
    icon = model.index(0, 0).data(0x0001)  # DecorationRole
    assert icon.cacheKey() == dot_icon(Tone.GOOD).cacheKey()
    details = DetailsPane()
    qtbot.addWidget(details)
    details.show_item("room", tree.rooms["r1"])
    state = next(label for label in details.findChildren(QLabel) if label.text() == "● running")
    assert state.palette().color(state.foregroundRole()) == tone_colour(Tone.GOOD)


def _call(status: str, reason: str | None = None, **extra: Any) -> CallInfo:
    fields = dict(
        id="call-1",
        status=status,
        ended_reason=reason,
        assistant_id="a",
        assistant_name="Echo",
        created_at="2026-01-01T00:00:00Z",
        started_at="2026-01-01T00:00:00Z",
        ended_at="2026-01-01T00:01:05Z" if status == "ended" else None,
        websocket_call_url=None,
        control_url=None,
        listen_url=None,
        transcript=None,
        summary=None,
        cost=None,
    )
    fields.update(extra)
    return CallInfo(**fields)


async def _nothing(*_: Any) -> None:
    return None


def test_a_card_says_why_a_call_ended_and_shows_the_report(qtbot: Any) -> None:
    card = VapiCallCard(CallRecord(_call("in-progress"), "r1", "p1"), _nothing, _nothing)
    qtbot.addWidget(card)
    assert card.status_label.text() == "in progress"
    assert card.controls.isVisibleTo(card)

    ended = _call(
        "ended",
        "silence-timed-out",
        transcript="AI: hello\nUser: hi",
        summary="A short chat.",
        cost=0.0123,
    )
    card.update_record(CallRecord(ended, "r1", "p1"))
    assert card.why.text() == "silence timeout (silence-timed-out)"
    assert card.duration_label.text() == "1:05"
    assert card.report.isVisibleTo(card)
    assert "A short chat." in card.summary.text()
    assert "$0.0123" in card.cost.text()
    assert "User: hi" in card.transcript.toPlainText()
    assert not card.controls.isVisibleTo(card)


def test_a_card_says_why_the_vapi_peer_crashed(qtbot: Any) -> None:
    record = CallRecord(_call("queued"), "r1", "p1", peer_crash_reason="call not found")
    card = VapiCallCard(record, _nothing, _nothing)
    qtbot.addWidget(card)
    assert "The VAPI peer crashed: call not found" in card.why.text()


def test_durations_read_like_a_clock() -> None:
    assert format_duration(5) == "0:05"
    assert format_duration(3725) == "1:02:05"


def test_a_change_in_one_room_redraws_only_that_room(qtbot: Any) -> None:
    tree = RoomTree()
    tree.replace_all([RoomInfo(f"r{i}", CONFIG, (_peer(f"r{i}p", 1),)) for i in range(50)])
    model = RoomTreeModel(tree)
    touched: set[str] = set()
    model.dataChanged.connect(lambda top, _bottom: touched.add(top.data(NodeKeyRole)[0]))
    tree.apply(Notification(time.time(), "PeerDisconnected", "r7", "r7p", None, {}))
    model.sync({"r7"})
    assert touched == {"r7"}
    assert model.index(0, 2, model.index(7, 0)).data().startswith("disconnected")


def test_peers_show_the_name_their_client_gave(qtbot: Any) -> None:
    named = PeerInfo("p1", "webrtc", "connected", "auto", {"peer": {"name": "Alice"}}, (), {})
    tree = RoomTree()
    tree.replace_all([RoomInfo("r1", CONFIG, (named, _peer("p2")))])
    model = RoomTreeModel(tree)
    room = model.index(0, 0)
    alice = model.index(0, 0, room)
    assert alice.data() == "Alice"
    assert "p1" in alice.data(Qt.ItemDataRole.ToolTipRole)  # the id is a hover away
    assert model.index(1, 0, room).data() == "p2"
