"""The window as a whole: quitting with live calls, layout memory, About, the welcome,
the command line, and failures shown as sentences."""

from __future__ import annotations

from typing import Any

import pytest
from panel_helpers import find_top, until
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from voicepanel.core.errors import VoicePanelError
from voicepanel.core.fishjam_gateway import RoomSpec
from voicepanel.ui.about import version_lines
from voicepanel.ui.refresh_policy import RefreshBackoff


async def _live_call(panel: Any) -> Any:
    ws = panel.host.workspace
    room = await ws.create_room(RoomSpec())
    assistants = await ws.list_assistants()
    echo = next(a for a in assistants if a.name == "Echo")
    return await ws.add_vapi_assistant(room.id, assistant_id=echo.id)


async def test_quitting_with_a_live_call_asks_and_cancel_keeps_the_window(panel: Any) -> None:
    await _live_call(panel)
    quits: list[bool] = []
    panel.quit_requested.connect(lambda: quits.append(True))

    panel.close()
    box = await until(lambda: find_top(QMessageBox, "endCallsBox"), what="the question")
    assert "still running" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    await until(lambda: find_top(QMessageBox, "endCallsBox") is None)
    assert panel.isVisible() and not quits

    panel.close()
    box = await until(lambda: find_top(QMessageBox, "endCallsBox"), what="the question")
    next(b for b in box.buttons() if b.text() == "Leave them running").click()
    await until(lambda: quits, what="quit requested")
    assert panel.end_calls_on_quit is False
    assert not panel.isVisible()


async def test_quitting_without_live_calls_does_not_ask(panel: Any) -> None:
    quits: list[bool] = []
    panel.quit_requested.connect(lambda: quits.append(True))
    panel.close()
    await until(lambda: quits, what="quit requested")
    assert find_top(QMessageBox, "endCallsBox") is None
    assert panel.end_calls_on_quit is True


async def test_an_error_escaping_a_slot_is_a_sentence_not_a_traceback(panel: Any) -> None:
    from voicepanel.app import install_excepthook

    install_excepthook(panel.banner.show_error)
    import sys

    try:
        raise VoicePanelError("Could not do the thing.", "Try the other thing.")
    except VoicePanelError:
        sys.excepthook(*sys.exc_info())
    assert panel.banner.isVisible()
    assert "Could not do the thing." in panel.banner.text
    assert "Try the other thing." in panel.banner.text
    try:
        raise KeyError("internal")
    except KeyError:
        sys.excepthook(*sys.exc_info())
    assert "Traceback" not in panel.banner.text and "KeyError" not in panel.banner.text
    assert "log" in panel.banner.text


async def test_layout_is_remembered_between_runs(panel: Any, ui_settings: Any) -> None:
    panel.resize(700, 500)  # within the offscreen screen
    panel.splitter.setSizes([300, 700])
    panel.calls.hide()
    panel.save_layout()  # what closing the window does
    from voicepanel.ui.main_window import MainWindow

    again = MainWindow(panel.host, panel.profiles, panel.secrets, ui_settings, panel.log_folder)
    try:
        assert again.size().width() == 700
        assert not again.calls.isVisibleTo(again)
        left, right = again.splitter.sizes()
        assert left < right
    finally:
        again._quitting = True
        again.deleteLater()


async def test_the_welcome_shows_once(panel: Any, ui_settings: Any) -> None:
    from voicepanel.ui.first_run import FirstRunDialog

    ui_settings.first_run_done = False
    panel.show_welcome_once()
    dialog = await until(lambda: find_top(FirstRunDialog), what="the welcome")
    assert "sandbox" in dialog.findChildren(type(panel.counts_label))[0].text().lower()
    dialog.accept()
    await until(lambda: find_top(FirstRunDialog) is None)
    panel.show_welcome_once()
    assert find_top(FirstRunDialog) is None


async def test_the_sandbox_badge_and_title_show_the_profile_without_secrets(panel: Any) -> None:
    assert panel.sandbox_badge_action.isVisible()
    assert panel.windowTitle() == "VoicePanel — Sandbox"
    token = panel.host.workspace.sandbox.config.token
    assert token not in panel.windowTitle()
    assert token not in panel.connection_label.text()


def test_about_lists_the_versions_a_bug_report_needs() -> None:
    names = dict(version_lines())
    assert set(names) >= {"VoicePanel", "Qt", "Fishjam SDK", "VAPI SDK", "PortAudio"}
    assert names["Fishjam SDK"] != "not installed"


def test_the_command_line_knows_its_options(capsys: Any) -> None:
    from voicepanel.app import parse_args

    with pytest.raises(SystemExit):
        parse_args(["--version"])
    assert "VoicePanel" in capsys.readouterr().out
    assert parse_args(["--sandbox"]).sandbox
    assert parse_args(["--profile", "Staging"]).profile == "Staging"
    with pytest.raises(SystemExit):
        parse_args(["--sandbox", "--profile", "Staging"])


def test_refresh_backs_off_while_nothing_changes() -> None:
    backoff = RefreshBackoff(min_s=5, max_s=40)
    assert [backoff.after_refresh(False) for _ in range(4)] == [10, 20, 40, 40]
    assert backoff.after_refresh(True) == 5


def test_qsettings_fixture_is_isolated(ui_settings: Any, tmp_path: Any) -> None:
    assert QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat).contains(
        "ui/firstRunDone"
    )


async def test_an_unknown_profile_on_the_command_line_opens_the_sandbox(panel: Any) -> None:
    from voicepanel.app import choose_profile, parse_args

    profile, notice = choose_profile(parse_args(["--profile", "Nope"]), panel)
    assert profile.is_sandbox
    assert '"Nope"' in notice
    profile, notice = choose_profile(parse_args([]), panel)
    assert profile.name == panel.profiles.last_used.name and notice == ""


def test_the_log_file_masks_secrets(tmp_path: Any) -> None:
    import logging

    from voicepanel.app import setup_logging
    from voicepanel.core.redact import REDACTOR

    secret = "a-very-secret-management-token"
    REDACTOR.add(secret)
    root = logging.getLogger()
    before = list(root.handlers)
    path = setup_logging(tmp_path / "logs")
    try:
        logging.getLogger("voicepanel.test").warning("token is %s", secret)
    finally:
        for handler in root.handlers[:]:
            if handler not in before:
                handler.close()
                root.removeHandler(handler)
    text = path.read_text(encoding="utf-8")
    assert "token is" in text and secret not in text
