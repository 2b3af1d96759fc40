"""The story of rooms in the panel: create one through the dialog, see it, delete it."""

from __future__ import annotations

from typing import Any

from panel_helpers import find_top, until
from PySide6.QtWidgets import QMessageBox

from voicepanel.ui.dialogs.create_room import CreateRoomDialog


def _room_ids(window: Any) -> list[str]:
    model = window.tree_model
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def _kinds(window: Any) -> list[str]:
    return [n.kind for n in window.notifications.model.notifications()]


async def _create_room_through_dialog(window: Any, **fields: Any) -> str:
    before = set(_room_ids(window))
    window.act_new_room.trigger()
    dialog = await until(lambda: find_top(CreateRoomDialog), what="the create-room dialog")
    dialog.fill(**fields)
    assert dialog.ok_button.isEnabled()
    dialog.ok_button.click()
    new = await until(lambda: set(_room_ids(window)) - before, what="the room in the tree")
    room_id = next(iter(new))
    await until(lambda: window.selected_key() == (room_id, None, None), what="it selected")
    return room_id


async def test_creating_a_room_through_the_dialog_shows_it_in_the_tree_and_the_log(
    panel: Any,
) -> None:
    room_id = await _create_room_through_dialog(panel, max_peers="4", room_type="audio_only")
    await until(lambda: "RoomCreated" in _kinds(panel), what="RoomCreated in the log")
    row = next(n for n in panel.notifications.model.notifications() if n.kind == "RoomCreated")
    assert row.room_id == room_id
    room = panel.host.workspace.tree.rooms[room_id]
    assert room.config.room_type == "audio_only"
    assert room.config.max_peers == 4


async def test_the_create_room_dialog_explains_a_bad_field_and_keeps_ok_disabled(
    panel: Any,
) -> None:
    dialog = CreateRoomDialog(None, panel)
    dialog.fill(max_peers="lots", webhook_url="ftp://nope")
    assert not dialog.ok_button.isEnabled()
    assert "whole number" in dialog.error_text("maxPeers")
    assert "http" in dialog.error_text("webhookUrl")
    dialog.fill(max_peers="3", webhook_url="https://example.com/hook")
    assert dialog.ok_button.isEnabled()
    dialog.deleteLater()


async def test_deleting_a_room_asks_first_and_removes_it_from_the_tree(panel: Any) -> None:
    room_id = await _create_room_through_dialog(panel)

    # Cancel keeps the room.
    panel.act_delete.trigger()
    box = await until(lambda: find_top(QMessageBox, "confirmBox"), what="the confirmation")
    assert room_id in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    await until(lambda: find_top(QMessageBox, "confirmBox") is None)
    assert room_id in _room_ids(panel)

    panel.select_key((room_id, None, None))
    panel.act_delete.trigger()
    box = await until(lambda: find_top(QMessageBox, "confirmBox"), what="the confirmation")
    delete = next(b for b in box.buttons() if b.text() == "Delete room")
    delete.click()
    await until(lambda: room_id not in _room_ids(panel), what="the room to leave the tree")
    await until(lambda: "RoomDeleted" in _kinds(panel), what="RoomDeleted in the log")


async def test_join_as_agent_opens_the_agent_panel_for_the_room(
    panel: Any, monkeypatch: Any
) -> None:
    import voicepanel.ui.agent_panel as agent_panel

    room_id = await _create_room_through_dialog(panel)
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(
        agent_panel, "open_agent_panel", lambda *args, **options: calls.append((args, options))
    )
    panel.act_agent.trigger()
    [((window, workspace, room, build), options)] = calls
    assert (window, workspace, room) == (panel, panel.host.workspace, room_id)
    agent = build()  # the window is handed an agent of this workspace, for this room
    assert agent.room_id == room_id and agent.state.value == "idle"
    workspace.names.name_peer("peer-1", "Alice's phone")
    assert options["name_of"]("peer-1") == "Alice's phone"  # other peers, by their names


async def test_the_panels_own_agent_is_called_local_agent_in_the_tree(panel: Any) -> None:
    from voicepanel.ui.agent_panel import AgentPanel

    room_id = await _create_room_through_dialog(panel)
    panel.act_agent.trigger()
    agent = await until(lambda: find_top(AgentPanel), what="the agent window")
    ws = panel.host.workspace
    peer_id = await until(lambda: next(iter(ws.tree.rooms[room_id].peers), None), 30, "agent")
    key = (room_id, peer_id, None)
    await until(
        lambda: panel.tree_model.index_of(key).data() == "Local agent",
        what="the agent's name in the tree",
    )
    agent.close()


async def test_join_as_agent_says_so_when_the_build_has_no_local_agent(
    panel: Any, monkeypatch: Any
) -> None:
    import sys

    from voicepanel.ui.room_actions import AGENT_UNAVAILABLE

    await _create_room_through_dialog(panel)
    monkeypatch.setitem(sys.modules, "voicepanel.ui.agent_panel", None)  # import fails
    panel.act_agent.trigger()
    assert AGENT_UNAVAILABLE in panel.banner.text


def test_the_shortcuts_are_the_documented_ones(qtbot: Any, tmp_path: Any) -> None:
    from PySide6.QtCore import QSettings

    from voicepanel.session.profiles import ProfileStore, SecretStore
    from voicepanel.ui.main_window import MainWindow
    from voicepanel.ui.settings import UiSettings
    from voicepanel.ui.workspace_host import WorkspaceHost

    settings = UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    window = MainWindow(
        WorkspaceHost(lambda p: None),
        ProfileStore(tmp_path / "profiles.json"),
        SecretStore(),
        settings,
        tmp_path,
    )
    qtbot.addWidget(window)
    shortcuts = {
        "act_new_room": "Ctrl+N",
        "act_delete": "Del",
        "act_refresh": "F5",
        "act_export": "Ctrl+E",
        "act_search": "Ctrl+F",
        "act_add_vapi": "Ctrl+Shift+V",
        "act_quit": "Ctrl+Q",
    }
    for name, keys in shortcuts.items():
        assert getattr(window, name).shortcut().toString() == keys, name
    window._quitting = True


def test_create_room_opens_on_its_name_and_tab_visits_the_fields_before_the_buttons(
    qtbot: Any,
) -> None:
    dialog = CreateRoomDialog(None)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.focusWidget() is dialog.name  # not the OK button, which a space would press
    qtbot.keyClicks(dialog.focusWidget(), "Support demo")
    assert dialog.room_name == "Support demo"
    assert _tab_after(dialog.name) is dialog.room_type
    assert _tab_after(dialog.batch) is dialog.ok_button


def test_add_vapi_assistant_opens_on_the_list_so_the_arrow_keys_choose_an_assistant(
    qtbot: Any,
) -> None:
    from PySide6.QtCore import Qt

    from voicepanel.ui.dialogs.add_vapi import AddVapiDialog

    dialog = AddVapiDialog("Support demo", None, None)
    qtbot.addWidget(dialog)
    dialog.assistants.addItems(["Echo", "Greeter", "Scripted"])
    dialog.assistants.setCurrentRow(0)
    dialog.show()
    assert dialog.focusWidget() is dialog.assistants
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Down)
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Down)
    assert dialog.use_saved.isChecked()
    assert dialog.assistants.currentItem().text() == "Scripted"


def _tab_after(widget: Any) -> Any:
    """Where Tab goes from ``widget``: the next widget in the chain that takes Tab."""
    from PySide6.QtCore import Qt

    following = widget.nextInFocusChain()
    while not (following.focusPolicy() & Qt.FocusPolicy.TabFocus and following.isVisible()):
        following = following.nextInFocusChain()
    return following
