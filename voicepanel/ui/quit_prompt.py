"""The question asked before leaving a workspace whose VAPI calls are still running."""

from __future__ import annotations

from enum import Enum
from typing import Any

from PySide6.QtWidgets import QMessageBox, QWidget

from voicepanel.core.wording import plural
from voicepanel.ui.async_qt import run_dialog


class Leaving(Enum):
    """Why the workspace is being left: the box's title and its question."""

    QUIT = ("Quit VoicePanel", "End them before VoicePanel quits?")
    SWITCH = ("Switch profile", "End them before switching to the other profile?")
    CLOSE = ("Close window", "End them before this window closes? Other windows stay open.")

    def __init__(self, title: str, question: str) -> None:
        self.title = title
        self.question = question


async def ask_end_calls(
    parent: QWidget, workspace: Any, default: bool, leaving: Leaving
) -> bool | None:
    """True: end the live calls; False: leave them running; None: the person cancelled.
    Asks only when calls this panel started are live; otherwise returns ``default``."""
    if workspace is None or not workspace.has_live_calls:
        return default
    live = len(workspace.calls.live)
    box = QMessageBox(
        QMessageBox.Icon.Question,
        leaving.title,
        f"{plural(live, 'VAPI call')} {'is' if live == 1 else 'are'} still running and may be "
        "billing.",
        QMessageBox.StandardButton.NoButton,
        parent,
    )
    box.setObjectName("endCallsBox")
    box.setInformativeText(leaving.question)
    end = box.addButton("End calls", QMessageBox.ButtonRole.AcceptRole)
    keep = box.addButton("Leave them running", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(end)
    await run_dialog(box)
    clicked = box.clickedButton()
    box.deleteLater()
    if clicked is end:
        return True
    if clicked is keep:
        return False
    return None
