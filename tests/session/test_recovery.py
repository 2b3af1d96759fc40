"""After a crash: what an earlier run left running is found, and nothing is ended unless the
person chooses End all (Keep stops the asking, Decide later asks again next time)."""

from __future__ import annotations

from pathlib import Path

from test_ledger import as_dead_run

from voicepanel.core.fishjam_gateway import FishjamGateway, RoomSpec
from voicepanel.sandbox.server import Sandbox
from voicepanel.session.ledger import StartedKind, StartedLedger
from voicepanel.session.profiles import Profile, ProfileKind, SecretName, SecretStore
from voicepanel.session.workspace import Workspace


async def crashed_run_with_an_agent(sandbox: Sandbox, data: Path) -> tuple[str, str]:
    """What a run that was killed leaves: an agent peer in a room, and its ledger entry."""
    gateway = FishjamGateway(sandbox.fishjam_url, sandbox.config.token)
    room = await gateway.create_room(RoomSpec())
    ledger = StartedLedger(data / "ledger", "Lab")
    key = ledger.starting(StartedKind.AGENT, room.id)
    agent = await gateway.create_agent(room.id)
    ledger.started(key, agent.id)
    assert ledger.path is not None
    as_dead_run(ledger.path)
    await gateway.close()
    return room.id, agent.id


def lab(sandbox: Sandbox, data: Path) -> Workspace:
    secrets = SecretStore()
    secrets.set("Lab", SecretName.MANAGEMENT_TOKEN, sandbox.config.token)
    return Workspace(Profile("Lab", ProfileKind.CLOUD, sandbox.fishjam_url), secrets, data)


async def test_decide_later_asks_again_keep_stops_asking_and_nothing_ends_unasked(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    room_id, agent_id = await crashed_run_with_an_agent(sandbox, tmp_path)
    for _ in range(2):  # Decide later: two starts, asked both times
        ws = lab(sandbox, tmp_path)
        await ws.open()
        assert ws.recovery is not None
        found = await ws.recovery.find()
        assert [f.entry.object_id for f in found] == [agent_id]
        assert agent_id in found[0].description and room_id in found[0].description
        room = await ws.fishjam.get_room(room_id)
        await ws.close()
        assert agent_id in [p.id for p in room.peers]  # not ended without asking
    ws = lab(sandbox, tmp_path)
    await ws.open()
    assert ws.recovery is not None
    ws.recovery.keep(await ws.recovery.find())
    assert await ws.recovery.find() == []
    await ws.close()


async def test_end_all_removes_the_agent_and_closes_the_entry(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    room_id, agent_id = await crashed_run_with_an_agent(sandbox, tmp_path)
    ws = lab(sandbox, tmp_path)
    await ws.open()
    try:
        assert ws.recovery is not None
        assert await ws.recovery.end_all(await ws.recovery.find()) == []
        room = await ws.fishjam.get_room(room_id)
        assert agent_id not in [p.id for p in room.peers]
        assert await ws.recovery.find() == []
    finally:
        await ws.close()
    assert list((tmp_path / "ledger").glob("*.jsonl")) == []
