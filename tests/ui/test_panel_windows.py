"""Two profiles side by side: File > New window opens a second window on another profile,
each with its own rooms, notifications, journal and live events; a profile opens in one
window at a time; closing one window leaves the other working."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from panel_helpers import find_top, until
from PySide6.QtWidgets import QMessageBox

from voicepanel.core.fishjam_gateway import FishjamGateway, RoomSpec
from voicepanel.session.profiles import (
    SANDBOX_PROFILE,
    Profile,
    ProfileKind,
    ProfileStore,
    SecretName,
    SecretStore,
)
from voicepanel.ui.dialogs.profiles import ProfilesDialog


@pytest.fixture
async def windows(
    qtbot: Any, tmp_path: Path, ui_settings: Any, threaded_sandbox: Any
) -> AsyncIterator[Any]:
    """The app's windows as app.py builds them: the first on the built-in sandbox, and a
    "Staging" profile (Fishjam and VAPI) on another sandbox, ready for a second window."""
    from voicepanel.session.workspace import Workspace
    from voicepanel.ui.main_window import MainWindow
    from voicepanel.ui.profile_windows import ProfileWindows
    from voicepanel.ui.workspace_host import OpenProfiles, WorkspaceHost

    secrets = SecretStore()
    profiles = ProfileStore(tmp_path / "profiles.json")
    url = threaded_sandbox.fishjam_url
    profiles.save(Profile("Staging", ProfileKind.CLOUD, url, vapi_base_url=f"{url}/vapi"))
    secrets.set("Staging", SecretName.MANAGEMENT_TOKEN, threaded_sandbox.config.token)
    secrets.set("Staging", SecretName.VAPI_KEY, threaded_sandbox.config.vapi_key)
    open_profiles = OpenProfiles()

    def make_window(number: int) -> MainWindow:
        host = WorkspaceHost(
            lambda p: Workspace(p, secrets, tmp_path / "data", call_poll_interval_s=0.3),
            open_profiles=open_profiles,
        )
        return MainWindow(host, profiles, secrets, ui_settings.for_window(number), tmp_path)

    app_windows = ProfileWindows(make_window)
    first = app_windows.first
    first.resize(640, 700)
    first.move(0, 0)
    first.show()
    assert await first.open_profile(SANDBOX_PROFILE)
    try:
        yield app_windows
    finally:
        for window in list(app_windows.windows):
            window.end_calls_on_quit = True
            window.close_quietly()
        await app_windows.close_all()


async def _open_staging_beside(windows: Any) -> Any:
    """File > New window, pick Staging, open it: the second window, connected."""
    opened: list[Any] = []
    windows.window_opened.connect(opened.append)
    windows.first.act_new_window.trigger()
    dialog = await until(lambda: find_top(ProfilesDialog, "newWindowDialog"), what="the picker")
    assert dialog.windowTitle() == "Open a profile in a new window"
    row = next(i for i in range(dialog.list.count()) if dialog.list.item(i).text() == "Staging")
    dialog.list.setCurrentRow(row)
    assert dialog.connect_button.text() == "Save and open in a new window"
    dialog.connect_button.click()
    second = (await until(lambda: opened, 30, "the second window"))[0]
    assert second.host.workspace is not None
    return second


async def _live_call(workspace: Any) -> Any:
    room = await workspace.create_room(RoomSpec())
    echo = next(a for a in await workspace.list_assistants() if a.name == "Echo")
    record = await workspace.add_vapi_assistant(room.id, assistant_id=echo.id)
    await until(lambda: workspace.has_live_calls, what="the live call")
    return record


def _status_on_server(sandbox: Any, call_id: str) -> str:
    """What the VAPI side of ``sandbox`` says of the call (asked from outside the app)."""
    call = httpx.get(
        f"{sandbox.vapi_base_url}/call/{call_id}",
        headers={"Authorization": f"Bearer {sandbox.config.vapi_key}"},
        timeout=10,
    ).json()
    return str(call["status"])


def _kinds(window: Any) -> list[str]:
    return [n.kind for n in window.notifications.proxy.shown()]


async def test_a_second_window_shows_another_profile_with_its_own_rooms_and_notifications(
    windows: Any, threaded_sandbox: Any
) -> None:
    first = windows.first
    second = await _open_staging_beside(windows)
    assert first.windowTitle() == "VoicePanel — Sandbox"
    assert second.windowTitle() == "VoicePanel — Staging"
    assert first.sandbox_badge_action.isVisible() and not second.sandbox_badge_action.isVisible()

    local = await first.host.workspace.create_room(RoomSpec())
    gateway = FishjamGateway(threaded_sandbox.fishjam_url, threaded_sandbox.config.token)
    staging = await gateway.create_room(RoomSpec())
    await gateway.close()
    await until(lambda: first.tree_model.rowCount() == 1, what="the sandbox room")
    await until(lambda: second.tree_model.rowCount() == 1, what="the staging room")
    assert first.host.workspace.tree.rooms.keys() == {local.id}
    assert second.host.workspace.tree.rooms.keys() == {staging.id}

    def rooms_notified(window: Any) -> set[str]:
        return {n.room_id for n in window.notifications.proxy.shown() if n.kind == "RoomCreated"}

    await until(lambda: rooms_notified(first) == {local.id}, what="the sandbox's notification")
    await until(lambda: rooms_notified(second) == {staging.id}, what="staging's notification")
    one, two = first.host.workspace, second.host.workspace
    assert one.journal.path != two.journal.path
    assert one.live.port != two.live.port  # each window's receiver of VAPI's live events
    assert {w.settings.window for w in windows.windows} == {1, 2}  # each its own geometry


async def test_a_profile_open_in_one_window_is_not_opened_in_another(windows: Any) -> None:
    first = windows.first
    second = await _open_staging_beside(windows)
    sandbox_workspace = first.host.workspace

    # The second window's profile switcher, asked for the sandbox the first window has.
    second.profile_box.activated.emit(second.profile_box.findData("Sandbox"))
    await until(lambda: first.banner.isVisible(), what="the first window saying why")
    assert '"Sandbox" is open in this window.' in first.banner.text
    assert second.host.workspace is not None and second.host.workspace.profile.name == "Staging"
    assert second.profile_box.currentData() == "Staging"
    assert first.host.workspace is sandbox_workspace  # untouched

    # New window on Staging again: no third window, the second one comes forward.
    assert await windows.open_window(second.host.profile, beside=first) is None
    assert len(windows.windows) == 2
    assert '"Staging" is open in this window.' in second.banner.text


async def test_closing_one_window_ends_its_calls_and_leaves_the_other_working(
    windows: Any, threaded_sandbox: Any
) -> None:
    first = windows.first
    second = await _open_staging_beside(windows)
    staging = second.host.workspace
    record = await _live_call(staging)

    second.close()
    box = await until(lambda: find_top(QMessageBox, "endCallsBox"), what="the question")
    assert box.windowTitle() == "Close window"
    assert "Other windows stay open" in box.informativeText()
    next(b for b in box.buttons() if b.text() == "End calls").click()
    await until(lambda: second not in windows.windows and not second.isVisible(), 20)
    await until(lambda: staging.state.name == "CLOSED", 20, "staging's workspace closed")

    assert _status_on_server(threaded_sandbox, record.id) == "ended"
    assert first.host.open_profiles.holder("Staging") is None  # free for a window again

    # The first window carries on: still connected, still live.
    assert first.isVisible() and first.other_windows() == 0
    await first.host.workspace.create_room(RoomSpec())
    await until(lambda: first.tree_model.rowCount() == 1, what="a new room in the first window")
    await until(lambda: "RoomCreated" in _kinds(first), what="its notification")


async def test_quit_from_one_window_asks_about_the_other_windows_calls_and_ends_them(
    windows: Any, threaded_sandbox: Any
) -> None:
    first = windows.first
    second = await _open_staging_beside(windows)
    staging = second.host.workspace
    record = await _live_call(staging)
    quits: list[bool] = []
    windows.quit_requested.connect(lambda: quits.append(True))

    first.act_quit.trigger()  # Ctrl+Q in the window without calls
    box = await until(lambda: find_top(QMessageBox, "endCallsBox"), what="the question")
    assert box.windowTitle() == "Quit VoicePanel" and box.parent() is second
    box.button(QMessageBox.StandardButton.Cancel).click()
    await until(lambda: find_top(QMessageBox, "endCallsBox") is None)
    assert not quits and first.isVisible() and second.isVisible()

    first.act_quit.trigger()
    box = await until(lambda: find_top(QMessageBox, "endCallsBox"), what="the question again")
    next(b for b in box.buttons() if b.text() == "End calls").click()
    await until(lambda: quits, what="quit requested")
    assert not first.isVisible() and not second.isVisible()
    await windows.close_all()  # what app.py does next
    assert _status_on_server(threaded_sandbox, record.id) == "ended"


async def test_each_window_remembers_its_own_place(windows: Any, ui_settings: Any) -> None:
    first = windows.first
    second = await _open_staging_beside(windows)
    first.setGeometry(0, 0, 620, 600)
    second.setGeometry(640, 0, 620, 600)
    windows.save_layouts()

    saved = [ui_settings.for_window(n).window_state("geometry") for n in (1, 2)]
    assert saved == [first.saveGeometry(), second.saveGeometry()]
    assert saved[0] != saved[1]  # neither overwrote the other


async def test_a_profile_added_for_the_second_window_shows_in_the_first_windows_switcher(
    windows: Any,
) -> None:
    first = windows.first
    assert first.profile_box.findData("Staging") >= 0  # saved before the first window opened
    first.profiles.save(Profile("Production", ProfileKind.CLOUD, "abc123"))
    await _open_staging_beside(windows)
    assert first.profile_box.findData("Production") >= 0
    assert first.profile_box.currentData() == "Sandbox"
