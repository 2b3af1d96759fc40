"""User folders follow each platform's convention."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from voicepanel.session import paths


def test_linux_honours_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "c"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "d"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "s"))
    assert paths.config_dir() == tmp_path / "c" / "voicepanel"
    assert paths.data_dir() == tmp_path / "d" / "voicepanel"
    assert paths.log_dir() == tmp_path / "s" / "voicepanel" / "log"
    assert paths.journal_dir() == tmp_path / "d" / "voicepanel" / "journal"


def test_linux_ignores_relative_xdg_paths(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/dir")
    assert paths.config_dir() == tmp_path / ".config" / "voicepanel"


def test_windows_uses_appdata(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("APPDATA", str(tmp_path / "Roaming"))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "Local"))
    assert paths.config_dir() == tmp_path / "Roaming" / "VoicePanel"
    assert paths.data_dir() == tmp_path / "Local" / "VoicePanel"
    assert paths.log_dir() == tmp_path / "Local" / "VoicePanel" / "Logs"


def test_macos_uses_library(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setenv("HOME", str(tmp_path))
    support = tmp_path / "Library" / "Application Support" / "VoicePanel"
    assert paths.config_dir() == support
    assert paths.data_dir() == support
    assert paths.log_dir() == tmp_path / "Library" / "Logs" / "VoicePanel"
