"""Regenerates docs/screenshots/greeter-heard.png and greeter-transcript.png: an offline demo
of an assistant that speaks in words.

    QT_QPA_PLATFORM=offscreen python scripts/greeter_screenshot.py [--out docs/screenshots]

The local agent joins a sandbox room through a private PulseAudio daemon with null sinks;
the Greeter joins as a VAPI peer and says its first message in words, which the agent's
window shows arriving; then the call is ended and its card shows the transcript.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.audio_pulse import PulseRig, start_pulse, stop_daemon  # noqa: E402
from scripts.screenshots import SIZE, _isolate, _settle, _until  # noqa: E402


async def take(out: Path, pulse: PulseRig) -> None:
    from voicepanel.app import build_window
    from voicepanel.core.fishjam_gateway import RoomSpec
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
    panel = open_agent_panel(window, ws, room.id)
    panel.resize(900, 640)
    await asyncio.sleep(3)  # join and open the devices before the Greeter speaks

    greeter = next(a for a in await ws.list_assistants() if a.name == "Greeter")
    record = await ws.add_vapi_assistant(room.id, assistant_id=greeter.id)
    await _until(lambda: ws.calls.get(record.id).status == "in-progress", 15)
    await asyncio.sleep(2.0)  # into the sentence: the assistant's meter is moving
    await _settle()
    panel.grab().save(str(out / "greeter-heard.png"))
    print(out / "greeter-heard.png")

    await asyncio.sleep(3.5)  # the rest of the sentence
    await ws.end_call(record.id)
    await _until(lambda: ws.calls.get(record.id).ended, 10)
    await asyncio.sleep(3.5)  # the end-of-call report is read a little after the end
    window.calls.sync()
    await _settle()
    window.calls.cards[record.id].grab().save(str(out / "greeter-transcript.png"))
    print(out / "greeter-transcript.png")

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
