"""LeftoverRecovery: after a crash, finds what an earlier run started and left running.

When a workspace opens, the ledgers of runs that ended (crashed, killed, power cut) are
read for its profile; each open entry is checked with the server (is the VAPI call still
running, is the agent peer still in its room?). Entries found gone are closed quietly; the
live ones are handed to the person, who chooses End all, Keep, or Decide later. Nothing is
ended without that choice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path

from voicepanel.core.errors import VoicePanelError, failure_of
from voicepanel.core.fishjam_gateway import FishjamGateway
from voicepanel.core.vapi_gateway import CallInfo, VapiGateway
from voicepanel.session.ledger import Settled, StartedEntry, StartedKind, leftovers, settle_leftover

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Leftover:
    """Something an earlier run started that the server says is still running."""

    entry: StartedEntry
    call: CallInfo | None = None  # for a call: as VAPI reports it now

    @property
    def description(self) -> str:
        if self.call is not None and self.call.assistant_name:
            return f"{self.entry.describe()} ({self.call.assistant_name}, {self.call.status})"
        return self.entry.describe()


class LeftoverRecovery:
    """Reads the ledger folder for one profile and checks each entry with the servers."""

    def __init__(
        self, folder: Path, profile: str, fishjam: FishjamGateway, vapi: VapiGateway | None
    ) -> None:
        self._folder = folder
        self._profile = profile
        self._fishjam = fishjam
        self._vapi = vapi

    async def find(self) -> list[Leftover]:
        """What is still live; entries found gone are closed. Never raises: an entry that
        cannot be checked (server unreachable) is kept for the next start."""
        entries = await asyncio.to_thread(leftovers, self._folder, self._profile)
        found: list[Leftover] = []
        for entry in entries:
            try:
                leftover = await self._check(entry)
            except VoicePanelError as exc:
                log.warning("Could not check %s: %s", entry.describe(), exc)
                continue
            if leftover is None:
                settle_leftover(entry, Settled.GONE)
            else:
                found.append(leftover)
        if found:
            log.warning(
                "An earlier run left %d thing(s) running: %s",
                len(found),
                "; ".join(f.description for f in found),
            )
        return found

    async def _check(self, entry: StartedEntry) -> Leftover | None:
        if entry.object_id is None:
            # Killed between writing the entry and the server's answer: there is no id to
            # look for. An agent never connected (so it never billed); a call that VAPI
            # made was never put in a room, so nothing connects it and VAPI drops it.
            log.warning("An earlier run was killed while starting %s", entry.describe())
            return None
        if entry.kind is StartedKind.CALL:
            if self._vapi is None:
                raise VoicePanelError("This profile has no VAPI key to check the call with.")
            try:
                call = await self._vapi.get_call(entry.object_id)
            except VoicePanelError as exc:
                if exc.status == 404:
                    return None
                raise
            return None if call.ended else Leftover(entry, call)
        if entry.room_id is None:
            return None
        try:
            room = await self._fishjam.get_room(entry.room_id)
        except VoicePanelError as exc:
            if exc.status == 404:
                return None
            raise
        present = any(peer.id == entry.object_id for peer in room.peers)
        return Leftover(entry) if present else None

    async def end_all(self, found: list[Leftover]) -> list[VoicePanelError]:
        """Ends every leftover (calls hung up, their peers and agent peers removed);
        returns what failed, and leaves those entries for the next start."""
        results = await asyncio.gather(*(self._end(f) for f in found), return_exceptions=True)
        errors: list[VoicePanelError] = []
        for leftover, result in zip(found, results, strict=True):
            failure = failure_of(result, f"end {leftover.description}")
            if failure is None:
                settle_leftover(leftover.entry, Settled.ENDED)
            else:
                errors.append(failure)
        return errors

    async def _end(self, leftover: Leftover) -> None:
        entry = leftover.entry
        if leftover.call is not None and self._vapi is not None:
            await self._vapi.end_call(leftover.call)
        peer_id = entry.object_id if entry.kind is StartedKind.AGENT else entry.peer_id
        if entry.room_id and peer_id:
            with contextlib.suppress(VoicePanelError):  # gone already: that is the goal
                await self._fishjam.delete_peer(entry.room_id, peer_id)

    def keep(self, found: list[Leftover]) -> None:
        """The person leaves them running: they are not asked about again."""
        for leftover in found:
            settle_leftover(leftover.entry, Settled.KEPT)
