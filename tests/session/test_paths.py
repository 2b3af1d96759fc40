"""User folders follow each platform's convention, through platformdirs."""

from __future__ import annotations

import sys
from pathlib import Path

import platformdirs.windows
import pytest

from voicepanel.session import paths


def test_linux_honours_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "c"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "d"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "s"))
    assert paths.config_dir() == tmp_path / "c" / "voicepanel"
    assert paths.data_dir() == tmp_path / "d" / "voicepanel"
    assert paths.state_dir() == tmp_path / "s" / "voicepanel"
    assert paths.log_dir() == tmp_path / "s" / "voicepanel" / "log"
    assert paths.journal_dir() == tmp_path / "d" / "voicepanel" / "journal"


def test_linux_defaults_to_the_home_folders(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("HOME", str(tmp_path))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        monkeypatch.delenv(var, raising=False)
    assert paths.config_dir() == tmp_path / ".config" / "voicepanel"
    assert paths.data_dir() == tmp_path / ".local" / "share" / "voicepanel"


def test_windows_roams_settings_and_keeps_data_and_logs_local(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    folders = {"CSIDL_APPDATA": tmp_path / "Roaming", "CSIDL_LOCAL_APPDATA": tmp_path / "Local"}
    # The shell-folder lookup needs Windows itself; it is the only part replaced here.
    monkeypatch.setattr(platformdirs.windows, "get_win_folder", lambda name: str(folders[name]))
    assert paths.config_dir() == tmp_path / "Roaming" / "VoicePanel"
    assert paths.data_dir() == tmp_path / "Local" / "VoicePanel"
    assert paths.log_dir() == tmp_path / "Local" / "VoicePanel" / "Logs"


def test_macos_uses_library(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setenv("HOME", str(tmp_path))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        monkeypatch.delenv(var, raising=False)
    support = tmp_path / "Library" / "Application Support" / "VoicePanel"
    assert paths.config_dir() == support
    assert paths.data_dir() == support
    assert paths.log_dir() == tmp_path / "Library" / "Logs" / "VoicePanel"
