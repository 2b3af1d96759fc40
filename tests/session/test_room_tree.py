"""RoomTree from REST reads and notifications, without a server or a QApplication."""

from __future__ import annotations

import time
from typing import Any

from voicepanel.core.fishjam_gateway import PeerInfo, RoomConfigInfo, RoomInfo, TrackInfo
from voicepanel.core.notifications import Notification
from voicepanel.session.state import PeerState, RoomTree, TreeChange

CONFIG = RoomConfigInfo(
    max_peers=4,
    video_codec="h264",
    room_type="conference",
    webhook_url=None,
    public=False,
    batch_webhook_notifications=False,
)


def note(
    kind: str, room: str | None = "r1", peer: str | None = None, **details: Any
) -> Notification:
    track = details.get("track")
    track_id = track["id"] if isinstance(track, dict) else None
    return Notification(time.time(), kind, room, peer, track_id, details)


def peer_info(
    peer_id: str, status: str = "connected", tracks: tuple[TrackInfo, ...] = ()
) -> PeerInfo:
    return PeerInfo(peer_id, "agent", status, "auto", {"peer": {}, "server": {}}, tracks, {})


def tree_with_room() -> tuple[RoomTree, list[TreeChange]]:
    tree = RoomTree()
    changes: list[TreeChange] = []
    tree.subscribe(changes.append)
    tree.replace_all([RoomInfo("r1", CONFIG, ())])
    changes.clear()
    return tree, changes


def test_replace_all_builds_rooms_peers_and_tracks_and_emits_one_reset() -> None:
    tree = RoomTree()
    changes: list[TreeChange] = []
    tree.subscribe(changes.append)
    track = TrackInfo("t1", "audio", None)
    tree.replace_all([RoomInfo("r1", CONFIG, (peer_info("p1", tracks=(track,)),))])
    assert changes == [TreeChange("reset")]
    peer = tree.rooms["r1"].peers["p1"]
    assert peer.state is PeerState.CONNECTED
    assert peer.tracks["t1"].type == "audio"
    assert tree.peer_count("r1") == 1 and tree.connected_count("r1") == 1


def test_room_created_adds_a_room_whose_config_is_not_known_yet() -> None:
    tree, changes = tree_with_room()
    tree.apply(note("RoomCreated", "r2"))
    assert "r2" in tree.rooms and not tree.rooms["r2"].config_known
    assert changes == [TreeChange("room", "r2")]
    tree.upsert_room(RoomInfo("r2", CONFIG, ()))
    assert tree.rooms["r2"].config_known and tree.rooms["r2"].config.max_peers == 4


def test_a_late_config_read_keeps_the_peers_notifications_added_meanwhile() -> None:
    tree, _ = tree_with_room()
    tree.apply(note("RoomCreated", "r2"))
    tree.apply(note("PeerAdded", "r2", "p1", peer_type="PEER_TYPE_AGENT"))
    tree.fill_config("r2", CONFIG)  # read from REST before p1 existed
    room = tree.rooms["r2"]
    assert room.config_known and room.config.max_peers == 4
    assert "p1" in room.peers


def test_deleting_a_room_removes_it_from_the_tree() -> None:
    tree, changes = tree_with_room()
    tree.apply(note("RoomDeleted"))
    assert tree.rooms == {}
    assert changes == [TreeChange("room", "r1", removed=True)]


def test_room_crashed_marks_the_room() -> None:
    tree, _ = tree_with_room()
    tree.apply(note("RoomCrashed"))
    assert tree.rooms["r1"].crashed


def test_a_peer_lives_through_added_connected_disconnected_deleted() -> None:
    tree, changes = tree_with_room()
    tree.apply(note("PeerAdded", peer="p1", peer_type="PEER_TYPE_VAPI"))
    peer = tree.rooms["r1"].peers["p1"]
    assert peer.type == "vapi" and peer.state is PeerState.DISCONNECTED
    tree.apply(note("PeerConnected", peer="p1", peer_type="PEER_TYPE_VAPI"))
    assert peer.state is PeerState.CONNECTED and tree.connected_count("r1") == 1
    tree.apply(note("PeerDisconnected", peer="p1"))
    assert peer.state is PeerState.DISCONNECTED and tree.connected_count("r1") == 0
    tree.apply(note("PeerDeleted", peer="p1"))
    assert tree.peer_count("r1") == 0
    assert [c.kind for c in changes] == ["peer"] * 4
    assert changes[-1].removed


def test_a_peer_crashed_notification_marks_the_peer_crashed() -> None:
    tree, _ = tree_with_room()
    tree.apply(note("PeerAdded", peer="p1", peer_type="PEER_TYPE_VAPI"))
    tree.apply(note("PeerCrashed", peer="p1", reason="Invalid call id", peer_type="PEER_TYPE_VAPI"))
    peer = tree.rooms["r1"].peers["p1"]
    assert peer.state is PeerState.CRASHED
    assert peer.crash_reason == "Invalid call id"
    # A later disconnect does not hide the crash.
    tree.apply(note("PeerDisconnected", peer="p1"))
    assert peer.state is PeerState.CRASHED


def test_a_crash_survives_a_rest_read_that_shows_the_peer_disconnected() -> None:
    tree, _ = tree_with_room()
    tree.apply(note("PeerCrashed", peer="p1", reason="boom"))
    tree.replace_all([RoomInfo("r1", CONFIG, (peer_info("p1", status="disconnected"),))])
    assert tree.rooms["r1"].peers["p1"].state is PeerState.CRASHED
    assert tree.rooms["r1"].peers["p1"].crash_reason == "boom"


def test_peer_metadata_updated_parses_json_text() -> None:
    tree, _ = tree_with_room()
    tree.apply(note("PeerAdded", peer="p1"))
    tree.apply(note("PeerMetadataUpdated", peer="p1", metadata='{"name": "Ann"}'))
    assert tree.rooms["r1"].peers["p1"].metadata == {"name": "Ann"}


def test_tracks_are_added_updated_and_removed() -> None:
    tree, changes = tree_with_room()
    tree.apply(note("PeerAdded", peer="p1"))
    track = {"id": "t1", "type": "TRACK_TYPE_AUDIO", "metadata": ""}
    tree.apply(note("TrackAdded", peer="p1", track=track))
    view = tree.rooms["r1"].peers["p1"].tracks["t1"]
    assert view.type == "audio"
    tree.apply(
        note("TrackMetadataUpdated", peer="p1", track={**track, "metadata": {"muted": True}})
    )
    assert view.metadata == {"muted": True}
    tree.apply(note("TrackRemoved", peer="p1", track=track))
    assert tree.rooms["r1"].peers["p1"].tracks == {}
    assert [c.kind for c in changes] == ["peer", "track", "track", "track"]
    assert changes[-1] == TreeChange("track", "r1", "p1", "t1", removed=True)


def test_repeated_and_stale_notifications_never_raise() -> None:
    tree, _ = tree_with_room()
    tree.apply(note("PeerAdded", peer="p1"))
    tree.apply(note("PeerAdded", peer="p1"))  # twice
    assert tree.peer_count("r1") == 1
    tree.apply(note("RoomCreated"))  # a room that already exists keeps its config
    assert tree.rooms["r1"].config_known
    for kind in (
        "PeerAdded",
        "PeerConnected",
        "PeerDisconnected",
        "PeerCrashed",
        "PeerMetadataUpdated",
        "PeerDeleted",
        "RoomDeleted",
        "RoomCrashed",
    ):
        tree.apply(note(kind, room="gone", peer="p9"))
    for kind in ("TrackAdded", "TrackRemoved", "TrackMetadataUpdated"):
        tree.apply(note(kind, room="gone", peer="p9", track={"id": "t9"}))
        tree.apply(note(kind, peer="nobody", track={"id": "t9"}))
    tree.apply(note("PeerDeleted", peer="nobody"))
    tree.apply(note("VadNotification", peer="p1"))  # kinds the tree does not track
    tree.apply(note("PeerAdded", room=None, peer=None))
    assert set(tree.rooms) == {"r1"}


def test_a_failing_listener_does_not_stop_the_others() -> None:
    tree = RoomTree()
    seen: list[TreeChange] = []

    def broken(change: TreeChange) -> None:
        raise RuntimeError("listener bug")

    tree.subscribe(broken)
    tree.subscribe(seen.append)
    tree.apply(note("RoomCreated"))
    assert len(seen) == 1


def test_unsubscribe_stops_the_callbacks() -> None:
    tree = RoomTree()
    seen: list[TreeChange] = []
    unsubscribe = tree.subscribe(seen.append)
    unsubscribe()
    unsubscribe()
    tree.apply(note("RoomCreated"))
    assert seen == []


def test_find_peer_and_totals() -> None:
    tree, _ = tree_with_room()
    tree.apply(note("RoomCreated", "r2"))
    tree.apply(note("PeerConnected", peer="a"))
    tree.apply(note("PeerAdded", room="r2", peer="b"))
    assert tree.find_peer("b") is tree.rooms["r2"].peers["b"]
    assert tree.find_peer("zzz") is None
    assert tree.total_peers == 2 and tree.total_connected == 1


def test_a_re_read_says_what_appeared_vanished_and_changed_unseen() -> None:
    tree = RoomTree()
    track = TrackInfo("t1", "audio", None)
    tree.replace_all(
        [
            RoomInfo("r1", CONFIG, (peer_info("p1", tracks=(track,)), peer_info("p2"))),
            RoomInfo("gone", CONFIG, ()),
        ]
    )
    found = tree.replace_all(
        [
            RoomInfo("r1", CONFIG, (peer_info("p1", status="disconnected"), peer_info("p3"))),
            RoomInfo("new", CONFIG, ()),
        ]
    )
    said = {(d.kind, d.room_id, d.peer_id, d.track_id) for d in found}
    assert said == {
        ("RoomVanished", "gone", None, None),
        ("RoomAppeared", "new", None, None),
        ("PeerVanished", "r1", "p2", None),
        ("PeerAppeared", "r1", "p3", None),
        ("PeerStateChanged", "r1", "p1", None),
        ("TrackVanished", "r1", "p1", "t1"),
    }
