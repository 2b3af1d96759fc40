"""A Workspace on the real sandbox, over real sockets: the panel's actions end to end."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from voicepanel.core.errors import VoicePanelError
from voicepanel.core.notifications import Notification
from voicepanel.core.notifier import NotifierState
from voicepanel.core.vapi_gateway import VapiGateway
from voicepanel.sandbox.server import Sandbox
from voicepanel.session.profiles import (
    SANDBOX_PROFILE,
    Profile,
    ProfileKind,
    SecretName,
    SecretStore,
)
from voicepanel.session.state import PeerState
from voicepanel.session.workspace import Workspace


async def eventually(check: Callable[[], object], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout_s} s: {check}")
        await asyncio.sleep(0.05)


@pytest.fixture
async def workspace(sandbox: Sandbox, tmp_path: Path) -> AsyncIterator[Workspace]:
    ws = Workspace(SANDBOX_PROFILE, SecretStore(), tmp_path, sandbox=sandbox)
    await ws.open()
    try:
        yield ws
    finally:
        await ws.close()


async def echo_id(ws: Workspace) -> str:
    assistants = await ws.list_assistants()
    return next(a.id for a in assistants if a.name == "Echo")


def kinds(ws: Workspace) -> list[str]:
    return [n.kind for n in ws.journal.read()]


async def test_creating_a_room_puts_it_in_the_tree_and_the_journal(workspace: Workspace) -> None:
    assert workspace.notifier_status.state is NotifierState.LIVE
    room = await workspace.create_room()
    assert room.id in workspace.tree.rooms
    await eventually(lambda: "RoomCreated" in kinds(workspace))
    created = next(n for n in workspace.journal.read() if n.kind == "RoomCreated")
    assert created.room_id == room.id
    assert workspace.tree.rooms[room.id].config_known


async def test_every_notification_is_journaled_before_listeners_hear_it(
    workspace: Workspace,
) -> None:
    heard: list[tuple[str, int]] = []

    def listener(n: Notification) -> None:
        heard.append((n.kind, workspace.journal.count))

    workspace.on_notification(listener)
    room = await workspace.create_room()
    await workspace.delete_room(room.id)
    await eventually(lambda: any(kind == "RoomDeleted" for kind, _ in heard))
    for position, (_, count_when_heard) in enumerate(heard, start=1):
        assert count_when_heard >= position
    assert room.id not in workspace.tree.rooms


async def test_a_room_created_elsewhere_gets_its_config_from_rest(
    workspace: Workspace, sandbox: Sandbox
) -> None:
    from voicepanel.core.fishjam_gateway import FishjamGateway, RoomSpec

    other = FishjamGateway(sandbox.fishjam_url, sandbox.config.token)
    room = await other.create_room(RoomSpec(max_peers=3))
    await eventually(
        lambda: room.id in workspace.tree.rooms and workspace.tree.rooms[room.id].config_known
    )
    assert workspace.tree.rooms[room.id].config.max_peers == 3


async def test_a_peer_gets_a_token_a_fresh_one_on_refresh_and_goes_on_delete(
    workspace: Workspace,
) -> None:
    room = await workspace.create_room()
    peer, token = await workspace.create_peer(room.id, {"name": "tester"})
    assert token
    assert peer.id in workspace.tree.rooms[room.id].peers
    fresh = await workspace.refresh_peer_token(room.id, peer.id)
    assert fresh and fresh != token
    await workspace.delete_peer(room.id, peer.id)
    assert peer.id not in workspace.tree.rooms[room.id].peers
    await eventually(lambda: "PeerDeleted" in kinds(workspace))
    with pytest.raises(VoicePanelError) as info:
        await workspace.delete_peer(room.id, peer.id)
    assert info.value.status == 404


async def test_an_echo_assistant_joins_as_a_vapi_peer_and_its_call_ends_with_a_reason(
    workspace: Workspace,
) -> None:
    room = await workspace.create_room()
    record = await workspace.add_vapi_assistant(room.id, assistant_id=await echo_id(workspace))
    assert record.started_by_us and record.room_id == room.id and record.peer_id
    peer = workspace.tree.rooms[room.id].peers[record.peer_id]
    assert peer.type == "vapi"
    await eventually(lambda: workspace.tree.rooms[room.id].peers.get(record.peer_id) is not None)
    assert workspace.has_live_calls

    changes: list[str] = []
    workspace.calls.on_change(lambda r: changes.append(r.status))
    await workspace.end_call(record.id)
    ended = await workspace.calls.wait_ended(record.id, 10.0)
    assert ended.status == "ended"
    assert ended.call.ended_reason
    assert not workspace.has_live_calls
    assert "ended" in changes


async def test_say_reaches_a_live_call(workspace: Workspace) -> None:
    room = await workspace.create_room()
    record = await workspace.add_vapi_assistant(room.id, assistant_id=await echo_id(workspace))
    await workspace.say(record.id, "Hello there")
    await workspace.say(record.id, "Goodbye", end_after=True)
    ended = await workspace.calls.wait_ended(record.id, 15.0)
    assert ended.ended


async def test_calls_are_polled_until_they_end(sandbox: Sandbox, tmp_path: Path) -> None:
    ws = Workspace(
        SANDBOX_PROFILE, SecretStore(), tmp_path, sandbox=sandbox, call_poll_interval_s=0.2
    )
    await ws.open()
    try:
        room = await ws.create_room()
        record = await ws.add_vapi_assistant(room.id, assistant_id=await echo_id(ws))
        await eventually(lambda: ws.calls.get(record.id).status == "in-progress")  # type: ignore[union-attr]
        # Ended behind the panel's back: only polling can notice.
        other = VapiGateway(sandbox.config.vapi_key, sandbox.vapi_base_url)
        await other.end_call(record.call)
        await other.close()
        await eventually(lambda: ws.calls.get(record.id).ended)  # type: ignore[union-attr]
    finally:
        await ws.close()


async def test_closing_ends_the_live_calls_it_started(sandbox: Sandbox, tmp_path: Path) -> None:
    ws = Workspace(SANDBOX_PROFILE, SecretStore(), tmp_path, sandbox=sandbox)
    await ws.open()
    room = await ws.create_room()
    record = await ws.add_vapi_assistant(room.id, assistant_id=await echo_id(ws))
    await ws.close(end_calls=True)
    assert ws.journal.closed
    vapi = VapiGateway(sandbox.config.vapi_key, sandbox.vapi_base_url)
    try:
        call = await vapi.get_call(record.id)
    finally:
        await vapi.close()
    assert call.status == "ended"


async def test_closing_without_ending_calls_leaves_them_running(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    ws = Workspace(SANDBOX_PROFILE, SecretStore(), tmp_path, sandbox=sandbox)
    await ws.open()
    room = await ws.create_room()
    record = await ws.add_vapi_assistant(room.id, assistant_id=await echo_id(ws))
    await ws.close(end_calls=False)
    vapi = VapiGateway(sandbox.config.vapi_key, sandbox.vapi_base_url)
    try:
        assert (await vapi.get_call(record.id)).status != "ended"
        await vapi.end_call(record.call)
    finally:
        await vapi.close()


async def test_a_failed_vapi_peer_ends_the_call_so_nothing_bills(workspace: Workspace) -> None:
    with pytest.raises(VoicePanelError) as info:
        await workspace.add_vapi_assistant("no-such-room", assistant_id=await echo_id(workspace))
    assert info.value.status == 404
    assert "bill" in info.value.hint
    calls = await workspace.vapi.list_calls()
    # Never connected, so never started: VAPI refuses to end it and it costs nothing.
    assert calls and all(c.status in ("queued", "ended") for c in calls)


async def test_a_vapi_peer_with_a_bad_call_id_shows_as_crashed_with_the_reason(
    workspace: Workspace,
) -> None:
    room = await workspace.create_room()
    key = workspace.sandbox.config.vapi_key  # type: ignore[union-attr]
    # A call the book tracks, whose peer was (wrongly) given another call's id.
    call = await workspace.vapi.create_call(assistant_id=await echo_id(workspace))
    workspace.calls.add(call, room.id)
    peer = await workspace.fishjam.create_vapi_peer(room.id, key, "no-such-call")
    workspace.calls.set_peer(call.id, peer.id)
    workspace.tree.upsert_peer(room.id, peer)

    def crashed() -> bool:
        view = workspace.tree.rooms[room.id].peers.get(peer.id)
        return view is not None and view.state is PeerState.CRASHED

    await eventually(crashed)
    reason = workspace.tree.rooms[room.id].peers[peer.id].crash_reason
    assert reason
    assert "PeerCrashed" in kinds(workspace)
    record = workspace.calls.get(call.id)
    assert record is not None and record.peer_crash_reason == reason


async def test_close_hooks_run_first_and_agents_are_deleted(workspace: Workspace) -> None:
    room = await workspace.create_room()
    agent = await workspace.create_agent(room.id)
    order: list[str] = []

    async def hook() -> None:
        order.append("hook")
        assert workspace.fishjam  # still usable inside the hook

    workspace.add_close_hook(hook)
    await workspace.close()
    assert order == ["hook"]
    # The workspace's gateway is gone; ask the sandbox with a fresh one.
    from voicepanel.core.fishjam_gateway import FishjamGateway

    assert workspace.sandbox is not None
    other = FishjamGateway(workspace.sandbox.fishjam_url, workspace.sandbox.config.token)
    rooms = {r.id: r for r in await other.list_rooms()}
    assert agent.id not in {p.id for p in rooms[room.id].peers}


async def test_a_workspace_starts_and_stops_its_own_sandbox(tmp_path: Path) -> None:
    ws = Workspace(SANDBOX_PROFILE, SecretStore(), tmp_path)
    await ws.open()
    assert ws.sandbox is not None
    url = ws.fishjam_url
    room = await ws.create_room()
    assert room.id in ws.tree.rooms
    await ws.close()
    host, port = url.removeprefix("http://").split(":")
    with pytest.raises(OSError):
        _, writer = await asyncio.open_connection(host, int(port))
        writer.close()


async def test_a_wrong_token_says_so_without_showing_it(sandbox: Sandbox, tmp_path: Path) -> None:
    wrong = "wrong-management-token-123456"
    secrets = SecretStore()
    secrets.set("Local", SecretName.MANAGEMENT_TOKEN, wrong)
    profile = Profile("Local", ProfileKind.CLOUD, sandbox.fishjam_url, sandbox.vapi_base_url)
    ws = Workspace(profile, secrets, tmp_path)
    with pytest.raises(VoicePanelError) as info:
        await ws.open()
    error = info.value
    assert error.status == 401
    assert error.message.endswith(".") and " " in error.message
    assert wrong not in f"{error.message} {error.hint} {error!s} {error!r}"


async def test_a_cloud_profile_without_a_token_says_what_to_do(tmp_path: Path) -> None:
    profile = Profile("Empty", ProfileKind.CLOUD, "http://127.0.0.1:9")
    with pytest.raises(VoicePanelError) as info:
        await Workspace(profile, SecretStore(), tmp_path).open()
    assert "management token" in info.value.message
