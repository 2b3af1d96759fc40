"""Regenerates docs/screenshots/agent-panel.png: the local agent in a sandbox room, talking
to the Echo assistant through a private PulseAudio daemon with null sinks.

    QT_QPA_PLATFORM=offscreen python scripts/agent_screenshot.py [--out docs/screenshots]

The "user" is a few voiced tone bursts played into the virtual microphone, so the meters,
the assistant's strip and the latency table show a real conversation.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.audio_pulse import PulseRig, start_pulse, stop_daemon  # noqa: E402
from scripts.screenshots import SIZE, _isolate, _settle, _until  # noqa: E402

RATE = 16000


def _bursts_wav(path: Path, count: int = 3) -> None:
    """Voiced bursts (a 220 Hz tone with harmonics), 0.6 s each, 2.2 s apart; the file
    ends with the last burst, so the last reply comes after the player has finished."""
    t = np.arange(int(0.6 * RATE)) / RATE
    voiced = sum(np.sin(2 * np.pi * 220 * k * t) / k for k in (1, 2, 3)) * 0.25
    gap = np.zeros(int(2.2 * RATE))
    pcm = np.concatenate([voiced, *(np.concatenate([gap, voiced]) for _ in range(count - 1))])
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes((pcm * 32767).astype("<i2").tobytes())


async def take(out: Path, pulse: PulseRig) -> None:
    from voicepanel.app import build_window
    from voicepanel.core.fishjam_gateway import RoomSpec
    from voicepanel.session.local_agent import LocalAgent
    from voicepanel.session.profiles import SANDBOX_PROFILE
    from voicepanel.ui.agent_panel import open_agent_panel

    window, host = build_window()
    window.settings.first_run_done = True
    window.resize(*SIZE)
    window.show()
    assert await window.open_profile(SANDBOX_PROFILE)
    ws = host.workspace
    assert ws is not None
    room = await ws.create_room(RoomSpec(room_type="audio_only"))
    echo = next(a for a in await ws.list_assistants() if a.name == "Echo")
    record = await ws.add_vapi_assistant(room.id, assistant_id=echo.id)
    await _until(lambda: ws.calls.get(record.id).status == "in-progress", 15)

    panel = open_agent_panel(window, ws, room.id, lambda: LocalAgent.in_workspace(ws, room.id))
    panel.resize(900, 640)
    await asyncio.sleep(3)  # join, open the devices, let the echo canceller settle
    wav = Path(tempfile.mkdtemp()) / "user.wav"
    _bursts_wav(wav)
    player = subprocess.Popen(["paplay", "--device=mic", str(wav)], env=pulse.env)
    # A turn is counted at the first sound of the reply: grab a moment into the last one,
    # so the assistant's meter is moving.
    await _until(lambda: len(panel.agent.turns) >= 3, 20)
    await asyncio.sleep(0.25)
    player.wait(timeout=5)
    await _settle()
    panel.grab().save(str(out / "agent-panel.png"))
    print(out / "agent-panel.png")

    panel.close()
    window._quitting = True  # noqa: SLF001 - no quit prompt in a script
    await host.close()
    window.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args()
    _isolate()
    args.out.mkdir(parents=True, exist_ok=True)
    pulse = start_pulse()
    try:
        # PortAudio reads the sound server's address when it starts, in this process.
        os.environ.update({k: pulse.env[k] for k in ("XDG_RUNTIME_DIR", "PULSE_SERVER")})
        import qasync

        from voicepanel.app import build_app

        app = build_app()
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        with loop:
            loop.run_until_complete(take(args.out, pulse))
    finally:
        stop_daemon(pulse)
    return 0


if __name__ == "__main__":
    sys.exit(main())
