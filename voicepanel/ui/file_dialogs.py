"""Save and open dialogs awaited from coroutines (no ``exec()``, no static helpers)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialog, QFileDialog, QWidget

from voicepanel.ui.async_qt import run_dialog


async def ask_save_path(
    parent: QWidget, title: str, suggested: Path, filters: list[str]
) -> tuple[Path, str] | None:
    """The path the person chose and the name filter they picked, or None if cancelled."""
    dialog = QFileDialog(parent, title, str(suggested))
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    dialog.setNameFilters(filters)
    dialog.selectFile(str(suggested))
    code = await run_dialog(dialog)
    files = dialog.selectedFiles()
    chosen_filter = dialog.selectedNameFilter()
    dialog.deleteLater()
    if code != QDialog.DialogCode.Accepted or not files:
        return None
    return Path(files[0]), chosen_filter
