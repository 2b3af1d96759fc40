"""Names people give rooms and peers: kept per profile on this computer, alive across a
restart, forgotten when the room or peer is gone, and sent as a new peer's metadata."""

from __future__ import annotations

from pathlib import Path

import pytest

from voicepanel.core.errors import VoicePanelError
from voicepanel.core.fishjam_gateway import FishjamGateway, RoomSpec
from voicepanel.sandbox.server import Sandbox
from voicepanel.session.names import NameBook, peer_metadata, titled
from voicepanel.session.profiles import Profile, ProfileKind, SecretName, SecretStore
from voicepanel.session.workspace import Workspace


def _cloud(sandbox: Sandbox) -> tuple[Profile, SecretStore]:
    # The sandbox standing in for Fishjam Cloud: its rooms outlive the panel's restart.
    profile = Profile("Staging", ProfileKind.CLOUD, fishjam_id=sandbox.fishjam_url)
    secrets = SecretStore()
    secrets.set(profile.name, SecretName.MANAGEMENT_TOKEN, sandbox.config.token)
    return profile, secrets


async def test_names_survive_a_restart_of_the_panel(sandbox: Sandbox, tmp_path: Path) -> None:
    profile, secrets = _cloud(sandbox)
    first = Workspace(profile, secrets, tmp_path)
    await first.open()
    room = await first.create_room(RoomSpec())
    peer, _ = await first.create_peer(room.id, peer_metadata("Alice's phone", None))
    first.names.name_room(room.id, "Demo room")
    first.names.name_peer(peer.id, "Alice's phone")
    await first.close()

    again = Workspace(profile, secrets, tmp_path)
    await again.open()
    try:
        assert again.names.room(room.id) == "Demo room"
        assert again.names.peer(peer.id) == "Alice's phone"
        # Written into the peer's metadata too, where every client can read it.
        server_peer = (await again.get_room(room.id)).peers[0]
        assert "Alice's phone" in str(server_peer.metadata)
    finally:
        await again.close()


async def test_names_of_rooms_deleted_meanwhile_are_forgotten_at_the_next_start(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    profile, secrets = _cloud(sandbox)
    first = Workspace(profile, secrets, tmp_path)
    await first.open()
    kept = await first.create_room(RoomSpec())
    gone = await first.create_room(RoomSpec())
    first.names.name_room(kept.id, "Kept")
    first.names.name_room(gone.id, "Gone")
    await first.close()
    # Someone else deletes a room while the panel is closed (the dashboard, a script).
    other = FishjamGateway(sandbox.fishjam_url, sandbox.config.token)
    await other.delete_room(gone.id)
    await other.close()

    again = Workspace(profile, secrets, tmp_path)
    await again.open()
    try:
        assert again.names.room(kept.id) == "Kept"
        assert again.names.room(gone.id) is None
        assert NameBook.for_profile("Staging").room(gone.id) is None, "forgotten on disk too"
    finally:
        await again.close()


def test_each_profile_keeps_its_own_names(tmp_path: Path) -> None:
    staging = NameBook.for_profile("Staging", tmp_path)
    production = NameBook.for_profile("Production", tmp_path)
    staging.name_room("r1", "Demo room")
    assert NameBook.for_profile("Staging", tmp_path).room("r1") == "Demo room"
    assert production.room("r1") is None


def test_an_empty_name_forgets_and_spaces_are_tidied(tmp_path: Path) -> None:
    book = NameBook.for_profile("Staging", tmp_path)
    changed: list[str] = []
    book.on_change.subscribe(changed.append)
    book.name_peer("p1", "  Alice's   phone ")
    assert book.peer("p1") == "Alice's phone"
    book.name_peer("p1", "")
    assert book.peer("p1") is None
    assert changed == ["p1", "p1"]


def test_a_name_that_cannot_be_saved_says_so_and_is_kept_for_this_run(tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder should be")
    book = NameBook.for_profile("Staging", blocked)
    with pytest.raises(VoicePanelError, match="Could not save the name"):
        book.name_room("r1", "Demo room")
    assert book.room("r1") == "Demo room"


def test_sentences_name_things_by_name_with_a_short_id() -> None:
    assert titled("Demo room", "6aefffae38c8411caad0f84dd0230361") == "“Demo room” (6aefffae…)"
    assert titled(None, "6aefffae38c8411caad0f84dd0230361") == "6aefffae38c8411caad0f84dd0230361"
    assert peer_metadata("Alice", {"role": "tester"}) == {"role": "tester", "name": "Alice"}
    assert peer_metadata("Alice", {"name": "Set by hand"}) == {"name": "Set by hand"}
    assert peer_metadata("", None) is None
