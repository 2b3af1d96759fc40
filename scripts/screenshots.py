"""Regenerates docs/screenshots/*.png: the main views, offscreen, on the built-in sandbox.

    QT_QPA_PLATFORM=offscreen python scripts/screenshots.py [--out docs/screenshots] [--dark]

``--dark`` gives the app a dark palette, as a desktop in dark mode would, and saves
main-window-dark.png only: a check that nothing in the panel assumes a light theme.

``--presenter`` saves presenter-dark.png and presenter-light.png only: presenter mode on a
1920x1080 screen, during a real conversation with the sandbox's Scripted assistant, the
local agent speaking eSpeak sentences from a file as its microphone.

Runs against throwaway settings folders, so it never touches the user's profiles. Token
fields are masked before anything is grabbed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

SIZE = (1440, 900)


def _isolate() -> None:
    home = Path(tempfile.mkdtemp(prefix="voicepanel-shots-"))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        os.environ[var] = str(home / var.lower())
    os.environ["HOME"] = str(home)
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


async def _until(predicate, timeout_s: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("the panel did not reach the expected state")
        await asyncio.sleep(0.05)


async def _settle() -> None:
    # Let Qt lay out and paint through the loop; processEvents() here would re-enter it.
    await asyncio.sleep(0.3)


def _dark_palette() -> Any:
    from PySide6.QtGui import QColor, QPalette

    palette = QPalette()
    roles = QPalette.ColorRole
    for role, colour in (
        (roles.Window, "#2b2b2b"),
        (roles.WindowText, "#e6e6e6"),
        (roles.Base, "#1e1e1e"),
        (roles.AlternateBase, "#262626"),
        (roles.Text, "#e6e6e6"),
        (roles.Button, "#353535"),
        (roles.ButtonText, "#e6e6e6"),
        (roles.Highlight, "#3a7bd5"),
        (roles.HighlightedText, "#ffffff"),
        (roles.ToolTipBase, "#353535"),
        (roles.ToolTipText, "#e6e6e6"),
        (roles.PlaceholderText, "#8a8a8a"),
    ):
        palette.setColor(role, QColor(colour))
    palette.setColor(QPalette.ColorGroup.Disabled, roles.WindowText, QColor("#7a7a7a"))
    palette.setColor(QPalette.ColorGroup.Disabled, roles.Text, QColor("#7a7a7a"))
    palette.setColor(QPalette.ColorGroup.Disabled, roles.ButtonText, QColor("#7a7a7a"))
    return palette


async def _sandbox_window() -> tuple[Any, Any, Any]:
    """The main window, shown at SIZE, on the built-in sandbox: (window, host, workspace)."""
    from voicepanel.app import build_window
    from voicepanel.session.profiles import SANDBOX_PROFILE

    window, host = build_window()
    window.settings.first_run_done = True
    window.resize(*SIZE)
    window.show()
    assert await window.open_profile(SANDBOX_PROFILE)
    assert host.workspace is not None
    return window, host, host.workspace


async def take(out: Path, dark: bool = False) -> None:
    from PySide6.QtWidgets import QLineEdit

    from voicepanel.core.fishjam_gateway import RoomSpec
    from voicepanel.session.profiles import SANDBOX_PROFILE
    from voicepanel.ui.dialogs.create_room import CreateRoomDialog
    from voicepanel.ui.dialogs.peer_token import PeerTokenDialog
    from voicepanel.ui.dialogs.profiles import ProfilesDialog

    window, host, ws = await _sandbox_window()
    await _settle()
    window.grab().save(str(out / "first-launch.png"))

    demo = await ws.create_room(RoomSpec(max_peers=8, room_type="conference"))
    await ws.create_room(RoomSpec(room_type="audio_only"))
    await ws.create_peer(demo.id, {"name": "Alice (tester)", "device": "laptop"}, "auto")
    await ws.create_peer(demo.id, {"name": "Bob"}, "manual")
    assistants = await ws.list_assistants()
    echo = next(a for a in assistants if a.name == "Echo")
    record = await ws.add_vapi_assistant(demo.id, assistant_id=echo.id)
    await _until(lambda: ws.calls.get(record.id).status == "in-progress", 10)
    await ws.say(record.id, "Hello, this is the panel speaking.")
    await _until(lambda: window.notifications.model.rowCount() >= 6)
    window.select_key((demo.id, record.peer_id, None))
    window.calls.sync()
    await asyncio.sleep(1.2)
    await _settle()
    if dark:
        window.banner.show_message("A note in the banner", "Shown in the dark palette.")
        await _settle()
        window.grab().save(str(out / "main-window-dark.png"))
        window._quitting = True  # noqa: SLF001 - no quit prompt in a script
        await host.close()
        window.close()
        return
    window.grab().save(str(out / "main-window.png"))

    card = window.calls.cards[record.id]
    card.line.setText("Tell me about Fishjam")
    await _settle()
    card.grab().save(str(out / "vapi-call-card.png"))

    await ws.end_call(record.id)
    await _until(lambda: ws.calls.get(record.id).ended, 10)
    await asyncio.sleep(3.5)  # the end-of-call report is read a little after the end
    window.calls.sync()
    await _settle()
    window.calls.cards[record.id].grab().save(str(out / "vapi-call-ended.png"))

    dialog = CreateRoomDialog(None, window)
    dialog.fill(max_peers="abc", webhook_url="https://example.com/hooks/fishjam")
    dialog.show()
    await _settle()
    dialog.grab().save(str(out / "create-room-dialog.png"))
    dialog.close()

    peer, token = await ws.create_peer(demo.id, {"name": "Carol"}, "auto")
    tokens = PeerTokenDialog(
        demo.id, peer.id, token, lambda: ws.refresh_peer_token(demo.id, peer.id), window
    )
    # The token is shown to the person who asked for it, never to a screenshot's readers.
    tokens.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
    tokens.status.setText("Copied to the clipboard.")
    tokens.show()
    await _settle()
    assert token not in tokens.token_edit.displayText()
    tokens.grab().save(str(out / "peer-token.png"))
    tokens.close()

    welcome = window.show_welcome()
    await _settle()
    welcome.grab().save(str(out / "first-run.png"))
    welcome.close()

    profiles = ProfilesDialog(window.profiles, window.secrets, SANDBOX_PROFILE, window)
    profiles.add_profile()
    profiles.name.setText("Staging")
    profiles.fishjam_id.setText("a1b2c3d4e5f6")
    profiles.token.setText("a-secret-management-token")
    profiles.show()
    for edit in profiles.findChildren(QLineEdit):
        assert edit.objectName() not in ("managementToken", "vapiKey") or (
            edit.echoMode() == QLineEdit.EchoMode.Password
        ), "secrets must be masked in screenshots"
    await _settle()
    profiles.grab().save(str(out / "profile-dialog.png"))
    profiles.close()

    window._quitting = True  # noqa: SLF001 - no quit prompt in a script
    await host.close()
    window.close()


PRESENTER_SCREEN = {
    "screens": [
        {
            "name": "Projector 1920x1080",
            "x": 0,
            "y": 0,
            "width": 1920,
            "height": 1080,
            "logicalDpi": 96,
            "logicalBaseDpi": 96,
            "dpr": 1,
        }
    ]
}
PRESENTER_LINES = (
    "Hi, I would like to check on my order.",
    "It is order number fifteen.",
)


async def take_presenter(out: Path) -> None:
    """Presenter mode in dark and light, mid-conversation."""
    import numpy as np

    from voicepanel.core.audio.audio_file import write_wav
    from voicepanel.core.fishjam_gateway import RoomSpec
    from voicepanel.session.conversation import Speaker
    from voicepanel.speech import synthesize
    from voicepanel.ui.agent_panel import AgentPanel
    from voicepanel.ui.presenter_window import PresenterWindow

    window, host, ws = await _sandbox_window()
    room = await ws.create_room(RoomSpec())
    ws.names.name_room(room.id, "Product demo")
    scripted = next(a for a in await ws.list_assistants() if a.name == "Scripted")
    record = await ws.add_vapi_assistant(room.id, assistant_id=scripted.id)
    window.select_key((room.id, None, None))
    window.act_agent.trigger()
    await _until(lambda: _top(AgentPanel) is not None, 10)
    agent = _top(AgentPanel).agent
    window.act_presenter.trigger()
    await _until(lambda: _top(PresenterWindow) is not None, 10)
    presenter = _top(PresenterWindow)
    if presenter.theme.value != "dark":
        presenter.toggle_theme()
    presenter.toggle_full_screen()  # F11, as on a projector
    conversation = ws.calls.conversation(record.id)

    def said(role: Speaker) -> int:
        return len(conversation.final_lines(role))

    async def speak(line: str) -> None:
        """The sentence in eSpeak's voice, played as the agent's microphone."""
        speech = np.frombuffer(synthesize(line, 16000), "<i2") / 32768.0
        path = Path(os.environ["HOME"]) / "line.wav"  # the throwaway home of _isolate
        write_wav(path, speech.astype(np.float32), 16000)
        await agent.play_file(path)

    await _until(lambda: said(Speaker.ASSISTANT) >= 1, 30)  # its first message
    for number, line in enumerate(PRESENTER_LINES, start=1):
        await speak(line)
        await _until(lambda n=number: said(Speaker.USER) >= n, 30)
        await _until(lambda n=number: said(Speaker.ASSISTANT) >= n + 1, 30)
    # The third turn, caught while the caller speaks: the line being heard shows.
    await speak("Thank you, that is all for today.")
    await _until(lambda: Speaker.USER in conversation.partials, 10)
    await asyncio.sleep(0.6)
    await _settle()
    presenter.grab().save(str(out / "presenter-dark.png"))
    presenter.toggle_theme()
    await _settle()
    presenter.grab().save(str(out / "presenter-light.png"))
    presenter.toggle_theme()  # the next run starts dark again
    presenter.close()
    window._quitting = True  # noqa: SLF001 - no quit prompt in a script
    await host.close()
    window.close()


def _top(kind: type) -> Any:
    from PySide6.QtWidgets import QApplication

    return next((w for w in QApplication.topLevelWidgets() if isinstance(w, kind)), None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--dark", action="store_true", help="dark palette check only")
    parser.add_argument("--presenter", action="store_true", help="presenter mode only")
    args = parser.parse_args()
    _isolate()
    if args.presenter:
        screen = Path(os.environ["HOME"]) / "screen-1920x1080.json"
        screen.write_text(json.dumps(PRESENTER_SCREEN))
        os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={screen}"
    args.out.mkdir(parents=True, exist_ok=True)
    from voicepanel.app import build_app

    app = build_app()
    if args.dark:
        app.setPalette(_dark_palette())
    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        if args.presenter:
            loop.run_until_complete(take_presenter(args.out))
        else:
            loop.run_until_complete(take(args.out, args.dark))
    for png in sorted(args.out.glob("*.png")):
        print(png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
