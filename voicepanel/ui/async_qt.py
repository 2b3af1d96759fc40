"""Awaiting Qt dialogs from coroutines without nested event loops.

``QDialog.exec()`` inside a qasync coroutine starts a second event loop and deadlocks
or re-enters the first; every dialog here is opened with ``open()`` and awaited through
a future set from its ``finished`` signal.
"""

from __future__ import annotations

import asyncio

from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from voicepanel.ui.placement import fit_on_screen


async def run_dialog(dialog: QDialog) -> int:
    """Opens ``dialog`` window-modally and returns its result code when it closes."""
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def finished(code: int) -> None:
        if not future.done():
            future.set_result(code)

    dialog.finished.connect(finished)
    fit_on_screen(dialog, center_on_parent=True)
    dialog.open()
    try:
        return await future
    finally:
        dialog.finished.disconnect(finished)


async def confirm(parent: QWidget, title: str, text: str, *, action: str = "Delete") -> bool:
    """Asks a yes/no question; True only when the person chose ``action``."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton)
    box.setParent(parent, box.windowFlags())
    yes = box.addButton(action, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.setObjectName("confirmBox")
    await run_dialog(box)
    clicked = box.clickedButton() is yes
    box.deleteLater()
    return clicked
