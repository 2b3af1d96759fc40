"""The question asked when an earlier run left calls or agents running: End all, Keep, or
Decide later. Nothing is ended unless the person says so."""

from __future__ import annotations

from enum import Enum
from typing import Any

from PySide6.QtWidgets import QMessageBox, QWidget

from voicepanel.ui.async_qt import run_dialog


class RecoveryChoice(Enum):
    END_ALL = "end all"
    KEEP = "keep"
    LATER = "decide later"


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


async def ask_about_leftovers(parent: QWidget, leftovers: list[Any]) -> RecoveryChoice:
    """Lists the leftovers and returns what the person chose (closing the box: later)."""
    calls = sum(1 for f in leftovers if f.entry.kind == "call")
    agents = len(leftovers) - calls
    parts = []
    if calls:
        parts.append(_plural(calls, "VAPI call", "VAPI calls"))
    if agents:
        parts.append(_plural(agents, "agent", "agents"))
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        "Still running from last time",
        f"VoicePanel stopped without ending what it started: {' and '.join(parts)}"
        " may still be running and billing.",
        QMessageBox.StandardButton.NoButton,
        parent,
    )
    box.setObjectName("leftoversBox")
    box.setInformativeText("End them now?")
    box.setDetailedText("\n".join(f.description for f in leftovers))
    end = box.addButton("End all", QMessageBox.ButtonRole.AcceptRole)
    keep = box.addButton("Keep running", QMessageBox.ButtonRole.DestructiveRole)
    later = box.addButton("Decide later", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(end)
    box.setEscapeButton(later)
    await run_dialog(box)
    clicked = box.clickedButton()
    box.deleteLater()
    if clicked is end:
        return RecoveryChoice.END_ALL
    if clicked is keep:
        return RecoveryChoice.KEEP
    return RecoveryChoice.LATER
