"""The question asked before leaving a workspace whose VAPI calls are still running."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QMessageBox, QWidget

from voicepanel.ui.async_qt import run_dialog


async def ask_end_calls(parent: QWidget, workspace: Any, default: bool, title: str) -> bool | None:
    """True: end the live calls; False: leave them running; None: the person cancelled.
    Asks only when calls this panel started are live; otherwise returns ``default``."""
    if workspace is None or not workspace.has_live_calls:
        return default
    live = len(workspace.calls.live)
    box = QMessageBox(
        QMessageBox.Icon.Question,
        title,
        f"{live} VAPI call{'s are' if live != 1 else ' is'} still running and may be billing.",
        QMessageBox.StandardButton.NoButton,
        parent,
    )
    box.setObjectName("endCallsBox")
    box.setInformativeText("End them before leaving this profile?")
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
