"""Notification: one record of the journal as a plain, JSON-ready value, most often a
Fishjam server notification.

``notification_from_sdk`` converts any of the SDK's betterproto notification messages;
the journal, the room tree and the filters all work on Notification, never on the SDK types.
A record's ``source`` says who wrote it (RecordSource): Fishjam's notifier, the panel itself
(the notifier's connection coming and going), a re-read after a gap (synthetic records of
what changed unseen), or VAPI's call events. Journals written before ``source`` existed read
as Fishjam records.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import betterproto
from fishjam.events.allowed_notifications import ALLOWED_NOTIFICATIONS

_PREFIX = "ServerMessage"

NOTIFICATION_KINDS: tuple[str, ...] = tuple(
    cls.__name__.removeprefix(_PREFIX) for cls in ALLOWED_NOTIFICATIONS
)
"""Every kind the notifier can deliver, in the SDK's order (for filter menus)."""


class RecordSource(StrEnum):
    """Who wrote a journal record."""

    FISHJAM = "fishjam"  # a server notification, as Fishjam sent it
    PANEL = "panel"  # the panel's own record: the notifier's link dropped or came back
    RESYNC = "resync"  # synthetic: a difference a re-read found after a gap, not a notification
    VAPI = "vapi"  # an event VAPI posted about a call


class PanelKind(StrEnum):
    """Kinds of the panel's own records (source PANEL)."""

    NOTIFIER_DISCONNECTED = "NotifierDisconnected"  # details: from_state, to_state, reason
    NOTIFIER_CONNECTED = "NotifierConnected"  # details: from_state, to_state, reason, gap
    ROOMS_RE_READ = "RoomsReRead"  # details: resync ("ok" or why not), differences (counts)


class ResyncKind(StrEnum):
    """Kinds of synthetic records (source RESYNC): what appeared or vanished unseen."""

    ROOM_APPEARED = "RoomAppeared"
    ROOM_VANISHED = "RoomVanished"
    PEER_APPEARED = "PeerAppeared"
    PEER_VANISHED = "PeerVanished"
    PEER_STATE_CHANGED = "PeerStateChanged"
    TRACK_APPEARED = "TrackAppeared"
    TRACK_VANISHED = "TrackVanished"


@dataclass(frozen=True)
class Notification:
    """One journal record: a server notification as received, or a record of the panel."""

    received_at: float  # time.time() when it arrived
    kind: str  # "RoomCreated", "PeerCrashed", ... (SDK class name minus "ServerMessage")
    room_id: str | None = None
    peer_id: str | None = None
    track_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    source: str = RecordSource.FISHJAM  # a RecordSource value

    @property
    def synthetic(self) -> bool:
        """Not something a server sent: the panel's inference after a gap."""
        return self.source == RecordSource.RESYNC

    def to_json(self) -> dict[str, Any]:
        return {
            "received_at": self.received_at,
            "source": str(self.source),
            "kind": self.kind,
            "room_id": self.room_id,
            "peer_id": self.peer_id,
            "track_id": self.track_id,
            "details": self.details,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Notification:
        details = data.get("details")
        return cls(
            received_at=float(data.get("received_at") or 0.0),
            kind=str(data.get("kind") or "Unknown"),
            room_id=_opt_str(data.get("room_id")),
            peer_id=_opt_str(data.get("peer_id")),
            track_id=_opt_str(data.get("track_id")),
            details=dict(details) if isinstance(details, dict) else {},
            source=str(data.get("source") or RecordSource.FISHJAM),
        )


def _opt_str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def parse_metadata(text: str) -> Any:
    """Metadata arrives as a string; show it as JSON when it is JSON."""
    if not text:
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _enum_name(value: Any, enum_type: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(enum_type, type) and issubclass(enum_type, enum.Enum):
        try:
            return enum_type(value).name
        except ValueError:
            return value  # a wire value this SDK does not know: keep the number
    return value


def _track_dict(track: Any) -> dict[str, Any]:
    return {
        "id": str(getattr(track, "id", "") or ""),
        "type": _enum_name(getattr(track, "type", 0), _track_type_enum(track)),
        "metadata": parse_metadata(str(getattr(track, "metadata", "") or "")),
    }


def _track_type_enum(track: Any) -> Any:
    return track._betterproto.cls_by_field.get("type") if _is_message(track) else None


def _is_message(value: Any) -> bool:
    return isinstance(value, betterproto.Message)


def _plain(value: Any, enum_type: Any = None) -> Any:
    """A JSON-serialisable form of one message field."""
    if enum_type is not None:
        return _enum_name(value, enum_type)
    if isinstance(value, enum.Enum):
        return value.name
    if _is_message(value):
        if {"id", "type", "metadata"} <= {f.name for f in dataclasses.fields(value)}:
            return _track_dict(value)
        return _fields(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _fields(message: Any) -> dict[str, Any]:
    """Every set field of a betterproto message, with unset oneof branches left out."""
    meta = message._betterproto
    chosen = {
        group: betterproto.which_one_of(message, group)[0] for group in meta.oneof_field_by_group
    }
    out: dict[str, Any] = {}
    for f in dataclasses.fields(message):
        group = meta.oneof_group_by_field.get(f.name)
        if group is not None and chosen.get(group) != f.name:
            continue
        try:
            value = getattr(message, f.name)
        except AttributeError:
            continue
        enum_type = _enum_field_type(meta, f.name)
        if f.name == "metadata" and isinstance(value, str):
            out[f.name] = parse_metadata(value)
        else:
            out[f.name] = _plain(value, enum_type)
    return out


def _enum_field_type(meta: Any, name: str) -> Any:
    cls = meta.cls_by_field.get(name)
    if isinstance(cls, type) and issubclass(cls, enum.Enum):
        return cls
    return None


def notification_from_sdk(message: Any, received_at: float | None = None) -> Notification:
    """Convert one SDK notification (e.g. ServerMessagePeerCrashed) to a Notification."""
    kind = type(message).__name__.removeprefix(_PREFIX)
    details = _fields(message) if _is_message(message) else {}
    room_id = _opt_str(details.pop("room_id", None))
    peer_id = _opt_str(details.pop("peer_id", None))
    track = details.get("track")
    track_id = _opt_str(track.get("id")) if isinstance(track, dict) else None
    if track_id is None:
        track_id = _opt_str(details.get("track_id"))
        details.pop("track_id", None)
    return Notification(
        received_at=time.time() if received_at is None else received_at,
        kind=kind,
        room_id=room_id,
        peer_id=peer_id,
        track_id=track_id,
        details=details,
    )
