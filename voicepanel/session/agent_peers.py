"""Who the local agent hears: each remote peer's type for its strip ("agent", "vapi",
"webrtc"), from the workspace's room tree or, failing that, one REST read of the room;
and peers that left the room, from the workspace's notifications."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

from voicepanel.core.fishjam_gateway import RoomInfo
from voicepanel.core.notifications import Notification
from voicepanel.session.state import PeerView

UNKNOWN_KIND = "peer"
LEFT_ROOM = ("PeerDeleted", "PeerDisconnected", "PeerCrashed")


class RoomReader(Protocol):
    async def get_room(self, room_id: str) -> RoomInfo: ...


class PeerTree(Protocol):
    def peer(self, room_id: str, peer_id: str) -> PeerView | None: ...


class PeerDirectory:
    def __init__(
        self,
        room_id: str,
        rest: RoomReader,
        tree: PeerTree | None = None,
        on_left: Callable[[str], None] | None = None,
    ) -> None:
        self.room_id = room_id
        self._rest = rest
        self._tree = tree
        self._on_left = on_left
        self.kinds: dict[str, str] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def kind(self, peer_id: str) -> str:
        return self.kinds.get(peer_id, UNKNOWN_KIND)

    def appeared(self, peer_id: str) -> None:
        """A peer was first heard: name it from the tree, or read the room once."""
        peer = self._tree.peer(self.room_id, peer_id) if self._tree is not None else None
        if peer is not None and peer.type != "unknown":
            self.kinds[peer_id] = peer.type
            return
        self.kinds[peer_id] = UNKNOWN_KIND
        task = asyncio.create_task(self._read_room(), name="local-agent-peer-kinds")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _read_room(self) -> None:
        try:
            room = await self._rest.get_room(self.room_id)
        except Exception:
            return  # only a label: the strip says "peer" until the next try
        for peer in room.peers:
            if peer.id in self.kinds:
                self.kinds[peer.id] = peer.type

    def notification(self, n: Notification) -> None:
        """A remote peer that left the room loses its strip and its buffer."""
        if n.room_id != self.room_id or n.kind not in LEFT_ROOM or not n.peer_id:
            return
        self.kinds.pop(n.peer_id, None)
        if self._on_left is not None:
            self._on_left(n.peer_id)

    def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
