"""A tester in the room as a local agent talks to the sandbox's Echo assistant: each turn
shows the reply delay VAPI saw beside the voice-to-voice latency heard at the speaker."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import numpy as np
from speaking_agent import RATE, voice

from voicepanel.core.audio.audio_file import write_wav
from voicepanel.sandbox.server import Sandbox
from voicepanel.session.local_agent import LocalAgent
from voicepanel.session.profiles import SANDBOX_PROFILE, SecretStore
from voicepanel.session.workspace import Workspace


async def test_each_turn_pairs_vapis_reply_delay_with_the_latency_heard(
    pulse, sandbox: Sandbox, tmp_path: Path
) -> None:
    ws = Workspace(SANDBOX_PROFILE, SecretStore(), tmp_path, sandbox=sandbox)
    await ws.open()
    agent = None
    try:
        assert ws.live is not None
        room = await ws.create_room()
        echo = next(a.id for a in await ws.list_assistants() if a.name == "Echo")
        record = await ws.add_vapi_assistant(room.id, assistant_id=echo)
        agent = LocalAgent(ws, room.id)
        stop_watching = ws.live.watch_agent(agent)
        await agent.join()
        await agent.load_devices()
        assert await agent.set_output_device(None)
        # Two sentences, each followed by enough quiet for the Echo's end of turn and reply.
        quiet = np.zeros(int(4.5 * RATE), np.float32)
        wav = tmp_path / "user.wav"
        write_wav(wav, np.concatenate([voice(0.8), quiet, voice(0.8), quiet]), RATE)
        await agent.play_file(wav)
        conversation = ws.calls.conversation(record.id)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (
            len(conversation.turns) >= 2 and all(t.local_latency_s for t in conversation.turns)
        ):
            await asyncio.sleep(0.1)
        stop_watching()
    finally:
        if agent is not None:
            await agent.leave()
        await ws.close()
    turns = conversation.turns[:2]
    assert len(turns) == 2, conversation.turns
    for turn in turns:
        # Heard at the speaker: the end of the sentence, the sandbox's end of turn and
        # reply delay, and the way back; VAPI's own count starts at its end of turn.
        assert turn.local_latency_s is not None
        assert 0 < turn.reply_delay_s < turn.local_latency_s < turn.reply_delay_s + 3.0
    assert [round(t.local_latency_s or 0, 3) for t in turns] == [
        round(t.latency_s, 3) for t in agent.turns[:2]
    ]
