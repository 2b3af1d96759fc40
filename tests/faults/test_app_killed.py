"""The real app killed mid-burst (SIGKILL: no cleanup runs): its journal is intact and in
step with what a separate notifier client saw; and no file the app wrote holds a secret."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from pathlib import Path

from app_process import PROFILE, TOKEN, AppProcess, SandboxProcess, assert_no_secret_in_files_under
from fishjam import FishjamNotifier
from tally import TALLY

from voicepanel.core.fishjam_gateway import FishjamGateway, RoomSpec
from voicepanel.core.notifications import PanelKind, RecordSource
from voicepanel.session.journal import read_journal

BURST = 200
KILL_AFTER = 100


async def test_sigkill_mid_burst_leaves_a_journal_in_step_with_a_separate_client(
    sandbox_process: SandboxProcess, keyring_file: Path
) -> None:
    app = AppProcess(keyring_file, "idle", PROFILE)
    seen: list[tuple[str, str]] = []
    client = FishjamNotifier(sandbox_process.url, TOKEN)
    client.on_server_notification(
        lambda m: seen.append((type(m).__name__.removeprefix("ServerMessage"), m.room_id))
    )
    listening = asyncio.create_task(client.connect())
    gateway = FishjamGateway(sandbox_process.url, TOKEN)
    try:
        journal = Path((await asyncio.to_thread(app.expect_json, "OPEN"))["journal"])
        await asyncio.wait_for(client.wait_ready(), 20)
        made: list[str] = []
        for i in range(BURST):
            made.append((await gateway.create_room(RoomSpec())).id)
            if i + 1 == KILL_AFTER:
                app.signal(signal.SIGKILL)
        assert await asyncio.to_thread(app.wait, 10) == -signal.SIGKILL
        for _ in range(500):
            if sum(1 for _, room in seen if room in made) >= BURST:
                break
            await asyncio.sleep(0.02)
    finally:
        app.kill()
        listening.cancel()
        with contextlib.suppress(BaseException):
            await listening
        await gateway.close()

    ours = set(made)
    witness = [(kind, room) for kind, room in seen if room in ours]
    assert len(witness) == BURST  # the separate client saw the whole burst
    lines = journal.read_bytes().split(b"\n")
    records = read_journal(journal)
    # Every line but a possibly torn last one parsed.
    assert len([raw for raw in lines[:-1] if raw.strip()]) == len(records)
    journaled = [
        (n.kind, n.room_id)
        for n in records
        if n.source == RecordSource.FISHJAM and n.room_id in ours
    ]
    print(f"SIGKILL after {KILL_AFTER} of {BURST} rooms: the journal kept {len(journaled)}")
    TALLY["app SIGKILLs"] += 1
    assert journaled, "the app journaled nothing of the burst before it was killed"
    # In order, with nothing missing or added, up to the moment of the kill.
    assert journaled == witness[: len(journaled)]
    assert records[0].kind == PanelKind.NOTIFIER_CONNECTED
    assert assert_no_secret_in_files_under(Path(os.environ["HOME"])) > 0
