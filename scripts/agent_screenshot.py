"""Regenerates the local agent's screenshots: the agent in a sandbox room, through a private
PulseAudio daemon with null sinks.

    python scripts/agent_screenshot.py [--out docs/screenshots]
        [--scene echo|greeter|all]

echo (agent-panel.png): the "user" is a few voiced tone bursts played into the virtual
microphone, so the meters, the assistant's strip and the latency table show a real
conversation with the Echo assistant.
greeter (greeter-heard.png, greeter-transcript.png): the Greeter joins and says its first
message in words, which the agent's window shows arriving; the call is then ended and its
card shows the transcript, the sentence it said.
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
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.audio_pulse import PulseRig, start_pulse, stop_daemon  # noqa: E402
from scripts.screenshots import (  # noqa: E402
    CHECKOUT_ROOM,
    SUPPORT_ROOM,
    _isolate,
    _sandbox_window,
    _save,
    _settle,
    _until,
)

RATE = 16000


def _bursts_wav(path: Path, count: int = 3) -> None:
    """Voiced bursts (a 220 Hz tone with harmonics), 0.6 s each, 3 s apart (the reply
    starts 1.9 s after a burst, VAPI's default end of turn and reply delay); the file
    ends with the last burst, so the last reply comes after the player has finished."""
    t = np.arange(int(0.6 * RATE)) / RATE
    voiced = sum(np.sin(2 * np.pi * 220 * k * t) / k for k in (1, 2, 3)) * 0.25
    gap = np.zeros(int(3.0 * RATE))
    pcm = np.concatenate([voiced, *(np.concatenate([gap, voiced]) for _ in range(count - 1))])
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes((pcm * 32767).astype("<i2").tobytes())


async def _join(window: Any, room_id: str) -> Any:
    """The agent window as Room › Join as agent opens it (placed, titled by the room's name)."""
    from PySide6.QtWidgets import QApplication

    from voicepanel.ui.agent_panel import AgentPanel

    def panel() -> Any:
        return next(
            (
                w
                for w in QApplication.topLevelWidgets()
                if isinstance(w, AgentPanel) and w.agent.room_id == room_id and w.isVisible()
            ),
            None,
        )

    window.select_key((room_id, None, None))
    window.actions_.join_as_agent()
    await _until(lambda: panel() is not None)
    return panel()


def _assistant_heard(panel: Any) -> bool:
    """The assistant's meter is moving."""
    return any(w.meter.rms_dbfs > -40 for w in panel._strips.values())  # noqa: SLF001


async def echo_scene(window: Any, ws: Any, room_id: str, out: Path, pulse: PulseRig) -> None:
    echo = next(a for a in await ws.list_assistants() if a.name == "Echo")
    record = await ws.add_vapi_assistant(room_id, assistant_id=echo.id)
    await _until(lambda: ws.calls.get(record.id).status == "in-progress", 15)

    panel = await _join(window, room_id)
    await asyncio.sleep(3)  # join, open the devices, let the echo canceller settle
    wav = Path(tempfile.mkdtemp()) / "user.wav"
    _bursts_wav(wav)
    player = subprocess.Popen(["paplay", "--device=mic", str(wav)], env=pulse.env)
    # A turn is counted at the first sound of the reply: grab a moment into the last one,
    # so the assistant's meter is moving.
    await _until(lambda: len(panel.agent.turns) >= 3, 20)
    await _until(lambda: _assistant_heard(panel), 5)
    player.wait(timeout=5)
    await _settle()
    _save(panel, out / "agent-panel.png")
    panel.close()


async def greeter_scene(window: Any, ws: Any, room_id: str, out: Path, _: PulseRig) -> None:
    panel = await _join(window, room_id)
    await asyncio.sleep(3)  # join and open the devices before the Greeter speaks
    greeter = next(a for a in await ws.list_assistants() if a.name == "Greeter")
    record = await ws.add_vapi_assistant(room_id, assistant_id=greeter.id)
    await _until(lambda: ws.calls.get(record.id).status == "in-progress", 15)
    await _until(lambda: _assistant_heard(panel), 15)  # into the sentence
    await _settle()
    _save(panel, out / "greeter-heard.png")

    await asyncio.sleep(3.5)  # the rest of the sentence
    await ws.end_call(record.id)
    await _until(lambda: ws.calls.get(record.id).ended, 10)
    await asyncio.sleep(3.5)  # the end-of-call report is read a little after the end
    window.calls.sync()
    await _settle()
    _save(window.calls.cards[record.id], out / "greeter-transcript.png")
    panel.close()


SCENES = {"echo": echo_scene, "greeter": greeter_scene}
SCENE_ROOMS = {"echo": SUPPORT_ROOM, "greeter": CHECKOUT_ROOM}


async def take(out: Path, pulse: PulseRig, scenes: list[str]) -> None:
    from voicepanel.core.fishjam_gateway import RoomSpec

    window, host, ws = await _sandbox_window()
    for scene in scenes:
        room = await ws.create_room(RoomSpec(room_type="audio_only"))
        ws.names.name_room(room.id, SCENE_ROOMS[scene])
        await SCENES[scene](window, ws, room.id, out, pulse)
    window._quitting = True  # noqa: SLF001 - no quit prompt in a script
    await host.close()
    window.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--scene", choices=[*SCENES, "all"], default="all")
    args = parser.parse_args()
    scenes = list(SCENES) if args.scene == "all" else [args.scene]
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
            loop.run_until_complete(take(args.out, pulse, scenes))
    finally:
        stop_daemon(pulse)
    return 0


if __name__ == "__main__":
    sys.exit(main())
