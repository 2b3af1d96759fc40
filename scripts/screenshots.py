"""Regenerates docs/screenshots/*.png: the main views, offscreen, on the built-in sandbox.

    QT_QPA_PLATFORM=offscreen python scripts/screenshots.py [--out docs/screenshots] [--dark]
    python scripts/screenshots.py --two-profiles   # under a desktop, or offscreen

``--dark`` gives the app a dark palette, as a desktop in dark mode would, and saves
main-window-dark.png only: a check that nothing in the panel assumes a light theme.

``--presenter`` saves presenter-dark.png and presenter-light.png only: presenter mode on a
1920x1080 screen, during a real conversation with the sandbox's Scripted assistant, the
local agent speaking eSpeak sentences from a file as its microphone.

``--two-profiles`` saves two-profiles.png only: two windows side by side on a 1920x1080
screen, the built-in sandbox and a "Staging" profile (on a second sandbox). On a desktop
(or Xvfb with a window manager) it grabs the screen, window frames and titles included;
offscreen it lays the two windows' pictures on a screen-sized image.

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
    from voicepanel.app import build_windows
    from voicepanel.session.profiles import SANDBOX_PROFILE

    window = build_windows().first
    host = window.host
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


TWO_SCREEN = (1920, 1080)  # two windows side by side; presenter mode on a projector


def _offscreen_screen(width: int, height: int) -> None:
    """Offscreen, Qt's one virtual screen is small: make it ``width`` x ``height``."""
    if not os.environ.get("QT_QPA_PLATFORM", "").startswith("offscreen"):
        return
    config = Path(tempfile.mkdtemp(prefix="voicepanel-screen-")) / "screen.json"
    screen = {"name": "Screen", "x": 0, "y": 0, "width": width, "height": height}
    screen |= {"logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}
    config.write_text(json.dumps({"screens": [screen]}), encoding="utf-8")
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"


async def _fill(ws: Any, rooms: list[str], peers: list[str], *, call: bool) -> Any:
    """Named rooms with named peers (and an Echo call in the first): returns the first."""
    from voicepanel.core.fishjam_gateway import RoomSpec

    first = None
    for name in rooms:
        room = await ws.create_room(RoomSpec(max_peers=8))
        ws.names.name_room(room.id, name)
        first = first or room
    assert first is not None
    for name in peers:
        await ws.create_peer(first.id, {"name": name}, "auto")
    if call:
        echo = next(a for a in await ws.list_assistants() if a.name == "Echo")
        record = await ws.add_vapi_assistant(first.id, assistant_id=echo.id)
        await _until(lambda: ws.calls.get(record.id).status == "in-progress", 15)
    return first


async def take_two_profiles(out: Path) -> None:
    """Staging beside the sandbox, as File > New window opens it."""
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QGuiApplication, QImage, QPainter

    from voicepanel.app import build_windows
    from voicepanel.sandbox.server import Sandbox, SandboxConfig
    from voicepanel.session.profiles import (
        SANDBOX_PROFILE,
        Profile,
        ProfileKind,
        SecretName,
    )

    staging_server = Sandbox(SandboxConfig(port=0))
    await staging_server.start()
    windows = build_windows()
    first = windows.first
    first.settings.first_run_done = True
    url = staging_server.fishjam_url
    staging = Profile("Staging", ProfileKind.CLOUD, url, vapi_base_url=f"{url}/vapi")
    first.profiles.save(staging)
    first.secrets.set("Staging", SecretName.MANAGEMENT_TOKEN, staging_server.config.token)
    first.secrets.set("Staging", SecretName.VAPI_KEY, staging_server.config.vapi_key)
    first.show()
    assert await first.open_profile(SANDBOX_PROFILE)
    second = await windows.open_window(staging, beside=first)
    assert second is not None and second.host.workspace is not None

    screen = QGuiApplication.primaryScreen()
    area = screen.availableGeometry()
    half = area.width() // 2
    for window, left in ((first, area.left()), (second, area.left() + half)):
        frame, client = window.frameGeometry(), window.geometry()
        top_left = client.topLeft() - frame.topLeft()
        extra = frame.size() - client.size()
        window.setGeometry(
            QRect(
                left + top_left.x(),
                area.top() + top_left.y(),
                half - extra.width(),
                area.height() - extra.height(),
            )
        )
    sandbox_room = await _fill(
        first.host.workspace,
        ["Demo stage", "Backstage"],
        ["Alice (presenter)", "Bob (phone)"],
        call=True,
    )
    staging_room = await _fill(
        second.host.workspace, ["QA run 12", "Load test", "Smoke"], ["Tester 1"], call=False
    )
    await _until(lambda: first.notifications.model.rowCount() >= 5)
    await _until(lambda: second.notifications.model.rowCount() >= 4)
    for window in (first, second):
        # Half a screen is narrow for the calls dock beside the rooms: the call shows in
        # the tree (Echo), and the rooms keep the room they need.
        window.calls.hide()
        window.splitter.setSizes([540, 420])
    first.select_key((sandbox_room.id, None, None))
    second.select_key((staging_room.id, None, None))
    for window in (first, second):
        window.tree.expandAll()
    await asyncio.sleep(1.0)
    await _settle()
    path = str(out / "two-profiles.png")
    if QGuiApplication.platformName() == "offscreen":
        image = QImage(area.size(), QImage.Format.Format_RGB32)
        image.fill(0x3B4252)
        painter = QPainter(image)
        for window in (first, second):
            painter.drawPixmap(window.geometry().topLeft(), window.grab())
        painter.end()
        image.save(path)
    else:
        screen.grabWindow(0).save(path)
    for window in list(windows.windows):
        window.close_quietly()
    await windows.close_all()
    await staging_server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--dark", action="store_true", help="dark palette check only")
    parser.add_argument("--presenter", action="store_true", help="presenter mode only")
    parser.add_argument(
        "--two-profiles", action="store_true", help="two profile windows side by side only"
    )
    args = parser.parse_args()
    _isolate()
    if args.two_profiles or args.presenter:
        _offscreen_screen(*TWO_SCREEN)
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
        elif args.two_profiles:
            loop.run_until_complete(take_two_profiles(args.out))
        else:
            loop.run_until_complete(take(args.out, args.dark))
    for png in sorted(args.out.glob("*.png")):
        print(png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
