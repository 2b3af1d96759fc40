"""Help → About: the versions a bug report needs."""

from __future__ import annotations

import importlib.metadata
import platform

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QMessageBox, QWidget

import voicepanel
from voicepanel.ui.placement import fit_on_screen


def _package_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def portaudio_version() -> str:
    try:
        import sounddevice
    except (ImportError, OSError):  # OSError: the PortAudio library itself is missing
        return "not installed"
    try:
        return str(sounddevice.get_portaudio_version()[1])
    except Exception:  # noqa: BLE001 - a broken audio stack must not break About
        return "not installed"


def version_lines() -> list[tuple[str, str]]:
    return [
        ("VoicePanel", voicepanel.__version__),
        ("Qt", f"{qVersion()} (PySide6 {pyside_version})"),
        ("Fishjam SDK", _package_version("fishjam-server-sdk")),
        ("VAPI SDK", _package_version("vapi-server-sdk")),
        ("PortAudio", portaudio_version()),
        ("Python", f"{platform.python_version()} on {platform.system()} {platform.machine()}"),
    ]


def open_about(parent: QWidget) -> QMessageBox:
    """Opens the About box without blocking (``open()``, never ``exec()``)."""
    rows = "".join(
        f"<tr><td style='padding-right:12px; white-space:nowrap'><b>{k}</b></td><td>{v}</td></tr>"
        for k, v in version_lines()
    )
    box = QMessageBox(parent)
    box.setObjectName("aboutBox")
    box.setWindowTitle("About VoicePanel")
    box.setIconPixmap(parent.windowIcon().pixmap(64, 64))
    box.setText(
        "<h3>VoicePanel</h3><p>One window over Fishjam rooms and VAPI voice assistants.</p>"
        f"<table>{rows}</table>"
    )
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    fit_on_screen(box, center_on_parent=True)
    box.open()
    return box
