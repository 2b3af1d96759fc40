"""Where VoicePanel keeps its files on each platform: settings, data (the journal) and logs.

Follows each platform's convention without a dependency: the XDG base directories on Linux
and other Unix systems, %APPDATA% / %LOCALAPPDATA% on Windows, ~/Library on macOS. The
functions only name the folders; whoever writes there creates them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "VoicePanel"
_UNIX_NAME = "voicepanel"


def _env_path(var: str, default: Path) -> Path:
    value = os.environ.get(var, "")
    # The XDG spec says relative paths are invalid and must be ignored.
    return Path(value) if value and os.path.isabs(value) else default


def config_dir() -> Path:
    """Settings such as profiles.json (never secrets)."""
    home = Path.home()
    if sys.platform == "win32":
        return _env_path("APPDATA", home / "AppData" / "Roaming") / APP_NAME
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / APP_NAME
    return _env_path("XDG_CONFIG_HOME", home / ".config") / _UNIX_NAME


def data_dir() -> Path:
    """Data the user may want later: the notification journals, recordings."""
    home = Path.home()
    if sys.platform == "win32":
        return _env_path("LOCALAPPDATA", home / "AppData" / "Local") / APP_NAME
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / APP_NAME
    return _env_path("XDG_DATA_HOME", home / ".local" / "share") / _UNIX_NAME


def log_dir() -> Path:
    """Log files a person can attach to a bug report."""
    home = Path.home()
    if sys.platform == "win32":
        return _env_path("LOCALAPPDATA", home / "AppData" / "Local") / APP_NAME / "Logs"
    if sys.platform == "darwin":
        return home / "Library" / "Logs" / APP_NAME
    # XDG puts logs under the state folder.
    return _env_path("XDG_STATE_HOME", home / ".local" / "state") / _UNIX_NAME / "log"


def journal_dir() -> Path:
    """The notification journals, one file per session."""
    return data_dir() / "journal"
