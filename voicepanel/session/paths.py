"""Where VoicePanel keeps its files on each platform: settings, data (the journal), state
and logs, named by ``platformdirs``; and the one-time move of files from older folders.

Every setting lives in one folder, ``config_dir()``: the profiles (session/), the window's
preferences (ui/settings.py writes its INI file there) and the per-profile names. The
functions only name the folders; whoever writes there creates them.
"""

from __future__ import annotations

import sys
from pathlib import Path

from platformdirs.api import PlatformDirsABC

APP_NAME = "VoicePanel"
# Linux folders are lower case by convention (~/.config/voicepanel); Windows and macOS
# show the name as people read it.
_UNIX_NAME = "voicepanel"


def _dirs(*, roaming: bool = False) -> PlatformDirsABC:
    # Chosen at each call from sys.platform, so one test run can check every platform.
    if sys.platform == "win32":
        from platformdirs.windows import Windows

        return Windows(APP_NAME, appauthor=False, roaming=roaming)
    if sys.platform == "darwin":
        from platformdirs.macos import MacOS

        return MacOS(APP_NAME, appauthor=False)
    from platformdirs.unix import Unix

    return Unix(_UNIX_NAME, appauthor=False)


def config_dir() -> Path:
    """Settings: profiles.json, the window's settings.ini, names (never secrets).
    Roams with a Windows profile."""
    return _dirs(roaming=True).user_config_path


def data_dir() -> Path:
    """Data the user may want later: the notification journals, the encrypted secrets."""
    return _dirs().user_data_path


def state_dir() -> Path:
    """What the app keeps between runs that is neither a setting nor data."""
    return _dirs().user_state_path


def log_dir() -> Path:
    """Log files a person can attach to a bug report."""
    return _dirs().user_log_path


def journal_dir() -> Path:
    """The notification journals, one file per session."""
    return data_dir() / "journal"
