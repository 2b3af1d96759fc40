"""People's names for rooms and peers: "Demo room", "Alice's phone" instead of 32-character
ids. Kept on this computer, one file per profile in the settings folder, so they survive a
restart; ids stay the truth and are always one click away in the window.

Fishjam rooms carry no metadata, so a room's name lives only here. A peer's name is also
written into its metadata when the panel creates it (``peer_metadata``), where every
client in the room can read it.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from voicepanel.core.errors import VoicePanelError
from voicepanel.session.json_file import read_json, write_json
from voicepanel.session.observable import Callbacks
from voicepanel.session.paths import config_dir

log = logging.getLogger(__name__)

NAMES_FOLDER = "names"
MAX_NAME = 80


def short_id(value: str) -> str:
    """The first characters of an id, enough to tell it apart at a glance."""
    return f"{value[:8]}…" if len(value) > 12 else value


def titled(name: str | None, value: str) -> str:
    """How a sentence names a room or peer: “Demo room” (6aefffae…), or the bare id."""
    return f"“{name}” ({short_id(value)})" if name else value


def peer_metadata(name: str, metadata: dict[str, Any] | None) -> dict[str, Any] | None:
    """The metadata to create a peer with: its name added unless the metadata has one."""
    if not name:
        return metadata
    merged = dict(metadata or {})
    merged.setdefault("name", name)
    return merged


def _file_for(profile_name: str) -> str:
    # Readable, safe on every file system, and distinct for names that clean up alike.
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", profile_name).strip("-")[:40] or "profile"
    digest = hashlib.sha1(profile_name.encode("utf-8")).hexdigest()[:8]
    return f"{slug}-{digest}.json"


class NameBook:
    """Names by id for one profile's rooms and peers; ``on_change`` says which id changed."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path  # None: names for this run only
        self._rooms: dict[str, str] = {}
        self._peers: dict[str, str] = {}
        self.on_change: Callbacks[str] = Callbacks("names")
        self._load()

    @classmethod
    def for_profile(cls, profile_name: str, folder: Path | None = None) -> NameBook:
        folder = folder if folder is not None else config_dir() / NAMES_FOLDER
        return cls(folder / _file_for(profile_name))

    # -- reading -------------------------------------------------------------------------

    def room(self, room_id: str) -> str | None:
        return self._rooms.get(room_id)

    def peer(self, peer_id: str) -> str | None:
        return self._peers.get(peer_id)

    def __len__(self) -> int:
        return len(self._rooms) + len(self._peers)

    # -- changing ------------------------------------------------------------------------

    def name_room(self, room_id: str, name: str) -> None:
        """Names a room (an empty name forgets it); raises VoicePanelError if it cannot
        be saved."""
        self._set(self._rooms, room_id, name)

    def name_peer(self, peer_id: str, name: str) -> None:
        self._set(self._peers, peer_id, name)

    def keep_only(self, room_ids: Iterable[str], peer_ids: Iterable[str]) -> None:
        """Forgets the names of rooms and peers that no longer exist (ids are never reused,
        so a room missing from a full listing is gone for good)."""
        rooms, peers = set(room_ids), set(peer_ids)
        gone = [r for r in self._rooms if r not in rooms] + [
            p for p in self._peers if p not in peers
        ]
        if not gone:
            return
        for key in gone:
            self._rooms.pop(key, None)
            self._peers.pop(key, None)
        try:
            self._save()
        except VoicePanelError as exc:
            log.warning("%s %s", exc.message, exc.hint)

    def _set(self, names: dict[str, str], key: str, name: str) -> None:
        name = " ".join(name.split())[:MAX_NAME]
        if names.get(key) == (name or None):
            return
        if name:
            names[key] = name
        else:
            names.pop(key, None)
        try:
            self._save()
        finally:
            self.on_change.emit(key)  # shown even when only this run keeps it

    # -- the file ------------------------------------------------------------------------

    def _load(self) -> None:
        data = read_json(self.path) if self.path is not None else None
        for field, names in (("rooms", self._rooms), ("peers", self._peers)):
            found = data.get(field) if isinstance(data, dict) else None
            if isinstance(found, dict):
                names.update({str(k): str(v) for k, v in found.items() if v})

    def _save(self) -> None:
        if self.path is None:
            return
        try:
            write_json(self.path, {"version": 1, "rooms": self._rooms, "peers": self._peers})
        except OSError as exc:
            raise VoicePanelError(
                "Could not save the name.",
                f"{exc.strerror or exc} ({self.path.parent}). It is kept for this run only.",
                cause=exc,
            ) from exc
