"""One settings folder: the window's preferences sit beside the profiles, and what an
older version left in its own QSettings folder moves there once."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from voicepanel.session.paths import config_dir
from voicepanel.session.profiles import ProfileStore
from voicepanel.ui.settings import UiSettings, migrate_legacy_settings, open_settings


def _legacy(folder: Path) -> QSettings:
    # What QSettings("VoicePanel", "VoicePanel") wrote on Linux: an INI file in its own folder.
    return QSettings(str(folder / "VoicePanel" / "VoicePanel.conf"), QSettings.Format.IniFormat)


def test_the_window_preferences_live_in_the_profiles_folder() -> None:
    settings = UiSettings()
    settings.end_calls_on_quit = False
    settings.sync()
    written = Path(settings.qsettings.fileName())
    assert written.is_file()
    assert written.parent == ProfileStore().path.parent == config_dir()


def test_old_settings_move_into_the_settings_folder_once(tmp_path: Path) -> None:
    old = _legacy(tmp_path)
    old.setValue("session/endCallsOnQuit", False)
    old.setValue("window/geometry", QByteArray(b"\x01\x02geometry"))
    old.setValue("agent/recordFolder", "/home/me/takes")
    old.sync()
    assert (tmp_path / "VoicePanel" / "VoicePanel.conf").is_file()

    target = open_settings(tmp_path / "voicepanel" / "settings.ini")
    assert migrate_legacy_settings(target, _legacy(tmp_path)) == 3

    moved = UiSettings(open_settings(tmp_path / "voicepanel" / "settings.ini"))
    assert moved.end_calls_on_quit is False
    assert moved.window_state("geometry") == QByteArray(b"\x01\x02geometry")
    assert moved.qsettings.value("agent/recordFolder") == "/home/me/takes"
    assert not (tmp_path / "VoicePanel").exists(), "the second folder is gone"

    # Once: a later start finds nothing to move and changes nothing.
    moved.end_calls_on_quit = True
    moved.sync()
    assert migrate_legacy_settings(moved.qsettings, _legacy(tmp_path)) == 0
    assert moved.end_calls_on_quit is True


def test_settings_already_in_the_new_folder_are_never_overwritten(tmp_path: Path) -> None:
    target = open_settings(tmp_path / "voicepanel" / "settings.ini")
    target.setValue("session/endCallsOnQuit", True)
    target.sync()
    old = _legacy(tmp_path)
    old.setValue("session/endCallsOnQuit", False)
    old.sync()
    assert migrate_legacy_settings(target, _legacy(tmp_path)) == 0
    assert UiSettings(target).end_calls_on_quit is True
    assert (tmp_path / "VoicePanel" / "VoicePanel.conf").is_file(), "left for the person"
