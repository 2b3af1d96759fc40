"""A workspace listens for VAPI's live events of the calls it starts: on the sandbox over
loopback, on the cloud through the profile's public address, each post checked against
the profile's own secret."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from live_helpers import vapi_message

from voicepanel.core.redact import MASK
from voicepanel.core.vapi_events import CallEvent, RejectedPost
from voicepanel.sandbox.server import Sandbox
from voicepanel.session.calls import CallBook
from voicepanel.session.conversation import Speaker
from voicepanel.session.live_events import NO_PUBLIC_URL, SERVER_MESSAGES, LiveEvents
from voicepanel.session.profiles import SANDBOX_PROFILE_NAME, ProfileStore, SecretName, SecretStore
from voicepanel.session.tool_responders import ResponderRules
from voicepanel.session.workspace import Workspace


@pytest.fixture
def store(tmp_path: Path) -> ProfileStore:
    return ProfileStore(tmp_path / "profiles.json")


@pytest.fixture
def secrets() -> SecretStore:
    return SecretStore()


@pytest.fixture
async def workspace(
    sandbox: Sandbox, tmp_path: Path, store: ProfileStore, secrets: SecretStore
) -> AsyncIterator[Workspace]:
    ws = Workspace(
        store.get(SANDBOX_PROFILE_NAME), secrets, tmp_path, sandbox=sandbox, profile_store=store
    )
    await ws.open()
    try:
        yield ws
    finally:
        await ws.close()


async def echo_call(ws: Workspace):
    room = await ws.create_room()
    echo = next(a.id for a in await ws.list_assistants() if a.name == "Echo")
    return await ws.add_vapi_assistant(room.id, assistant_id=echo)


async def post(url: str, body: object, secret: str | None) -> int:
    headers = {"X-Vapi-Secret": secret} if secret else {}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=body, headers=headers) as r,
    ):
        return r.status


async def test_a_call_the_panel_starts_asks_vapi_to_post_its_events_to_the_panel(
    workspace: Workspace, secrets: SecretStore
) -> None:
    live = workspace.live
    assert live is not None and live.port
    record = await echo_call(workspace)
    assert record.events_missing is None
    # What the SDK sent, as the sandbox's VAPI echoes the call back.
    overrides = record.call.raw["assistantOverrides"]
    assert overrides["server"]["url"] == f"http://127.0.0.1:{live.port}/vapi/events"
    assert overrides["server"]["timeoutSeconds"] == 20
    assert overrides["server"]["headers"] == {"X-Vapi-Secret": MASK}  # masked in the panel
    assert overrides["serverMessages"] == list(SERVER_MESSAGES)
    secret = secrets.get(SANDBOX_PROFILE_NAME, SecretName.EVENTS_SECRET)
    assert secret and secret not in repr(record)


async def test_posted_events_reach_the_calls_conversation_and_the_journal(
    workspace: Workspace, secrets: SecretStore
) -> None:
    record = await echo_call(workspace)
    live = workspace.live
    assert live is not None
    url = live.receiver.local_url
    secret = secrets.get(SANDBOX_PROFILE_NAME, SecretName.EVENTS_SECRET)
    posted_here = ("vapi.speech-update", "vapi.transcript", "vapi.rejected")
    heard: list[object] = []
    live.on_entry.subscribe(lambda e: heard.append(e) if e.kind in posted_here else None)
    for body in (
        vapi_message("speech-update", record.id, time.time(), role="user", status="started"),
        vapi_message(
            "transcript",
            record.id,
            time.time(),
            role="user",
            transcriptType="final",
            transcript="fifteen",
        ),
    ):
        assert await post(url, body, secret) == 200
    assert await post(url, vapi_message("hang", record.id), "forged") == 401
    assert await post(url, {"message": {"type": "nonsense"}}, secret) == 400

    conversation = workspace.calls.conversation(record.id)
    assert conversation.final_lines(Speaker.USER) == ["fifteen"]
    assert conversation.speaking(Speaker.USER)
    # The sandbox posts the call's own status too; these are the posts made here.
    journal = [e for e in workspace.journal.read() if e.kind in posted_here]
    assert [e.kind for e in journal] == ["vapi.speech-update", "vapi.transcript", "vapi.rejected"]
    said = journal[1]
    assert isinstance(said, CallEvent)
    assert (said.room_id, said.peer_id) == (record.room_id, record.peer_id)
    assert isinstance(journal[2], RejectedPost) and journal[2].event_type == "nonsense"
    assert [type(e).__name__ for e in heard] == ["CallEvent", "CallEvent", "RejectedPost"]


async def test_a_status_event_updates_the_call_before_the_next_poll(workspace: Workspace) -> None:
    record = await echo_call(workspace)
    live = workspace.live
    assert live is not None
    changes: list[str] = []
    workspace.calls.on_change(lambda r: changes.append(r.status))
    ended = vapi_message(
        "status-update", record.id, time.time(), status="ended", endedReason="customer-ended-call"
    )
    await post(
        live.receiver.local_url,
        ended,
        workspace._secrets.get(SANDBOX_PROFILE_NAME, SecretName.EVENTS_SECRET),
    )
    now = workspace.calls.get(record.id)
    assert now is not None and now.status == "ended"
    assert now.call.ended_reason == "customer-ended-call"
    # A poll may land in between and report the call as it was; the event needs no poll.
    assert "ended" in changes


async def test_the_port_is_remembered_per_profile_and_a_taken_one_is_replaced(
    sandbox: Sandbox, tmp_path: Path, store: ProfileStore, secrets: SecretStore
) -> None:
    first = Workspace(
        store.get(SANDBOX_PROFILE_NAME), secrets, tmp_path, sandbox=sandbox, profile_store=store
    )
    await first.open()
    assert first.live is not None
    port = first.live.port
    secret = secrets.get(SANDBOX_PROFILE_NAME, SecretName.EVENTS_SECRET)
    await first.close()
    assert ProfileStore(store.path).get(SANDBOX_PROFILE_NAME).events_port == port

    again = Workspace(
        store.get(SANDBOX_PROFILE_NAME), secrets, tmp_path, sandbox=sandbox, profile_store=store
    )
    await again.open()
    assert again.live is not None and again.live.port == port
    assert secrets.get(SANDBOX_PROFILE_NAME, SecretName.EVENTS_SECRET) == secret
    # Another program takes the port while the profile is closed.
    await again.close()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        third = Workspace(
            store.get(SANDBOX_PROFILE_NAME), secrets, tmp_path, sandbox=sandbox, profile_store=store
        )
        await third.open()
        try:
            assert third.live is not None and third.live.port not in (None, port)
            assert store.get(SANDBOX_PROFILE_NAME).events_port == third.live.port
        finally:
            await third.close()


async def test_on_the_cloud_without_a_public_address_calls_say_why_events_are_missing(
    tmp_path: Path,
) -> None:
    calls = CallBook()
    live = LiveEvents(calls, "s", ResponderRules("Cloud", tmp_path / "r.json"), journal=print)
    await live.start()
    try:
        assert live.subscription is None and live.missing_reason == NO_PUBLIC_URL
        live.public_url = "https://quiet-fox.trycloudflare.com/"
        subscription = live.subscription
        assert subscription is not None and live.missing_reason is None
        assert subscription.url == "https://quiet-fox.trycloudflare.com/vapi/events"
        assert subscription.server()["headers"] == {"X-Vapi-Secret": "s"}
    finally:
        await live.stop()
