"""A dialog with inline field errors that runs its action while open and stays on failure."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from voicepanel.ui.busy import BusyIndicator
from voicepanel.ui.error_banner import ErrorBanner, log_failure
from voicepanel.ui.state_style import Tone, tone_colour

Submit = Callable[[Any], Awaitable[Any]]


class FormDialog(QDialog):
    """Subclasses add fields, implement ``errors()`` and ``value()``.

    OK stays disabled while any field is invalid; each invalid field shows why right
    under it. When OK is pressed, ``submit(value)`` runs with a busy bar and disabled
    buttons; success closes the dialog (the result is in ``result_value``), failure
    shows the message and hint in the dialog's banner and leaves it open to fix.
    """

    def __init__(
        self, title: str, ok_text: str, submit: Submit | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(True)
        self._submit = submit
        self.result_value: Any = None
        self._notes: dict[str, tuple[QLabel, str]] = {}  # field -> (note line, its hint)
        self._errors: dict[str, str] = {}
        self._submitting = False
        self._field_order: list[QWidget] = []  # the fields as added: the Tab order

        self.outer = QVBoxLayout(self)
        self.outer.setSpacing(10)
        self.banner = ErrorBanner(self)
        self.outer.addWidget(self.banner)
        self.fields = QWidget()
        self.form = QFormLayout(self.fields)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.outer.addWidget(self.fields)

        bottom = QHBoxLayout()
        self.busy = BusyIndicator(self)
        bottom.addWidget(self.busy)
        bottom.addStretch(1)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button: QPushButton = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(ok_text)
        self.ok_button.setObjectName("okButton")
        self.buttons.accepted.connect(self._on_ok)
        self.buttons.rejected.connect(self.reject)
        bottom.addWidget(self.buttons)
        self.outer.addLayout(bottom)

    def add_row(
        self,
        label: str,
        field: QWidget | Any,
        name: str = "",
        hint: str = "",
        *,
        note_lines: int = 1,
    ) -> None:
        """Adds a field with a note line under it: the grey ``hint``, replaced by what is
        wrong with the field while it is invalid. The line keeps its room (``note_lines``
        lines) either way, so typing never makes the dialog grow under the pointer."""
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        if isinstance(field, QWidget):
            column.addWidget(field)
            self._field_order.append(field)
        else:
            column.addLayout(field)
        if hint or name:
            note = QLabel(hint)
            note.setObjectName(f"{name}Error" if name else "")
            note.setWordWrap(True)
            note.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            note.setMinimumHeight(note.fontMetrics().lineSpacing() * note_lines)
            column.addWidget(note)
            if name:
                self._notes[name] = (note, hint)
            self._show_note(note, hint, "")
        self.form.addRow(label, box)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        # The buttons were made before the fields: without this, the dialog would open with
        # its OK button focused (a typed space would press it) and Tab would visit the
        # buttons first. Fields in the order added, then the buttons; the first one focused.
        if self._field_order and not event.spontaneous():
            chain = [*self._field_order, *self.buttons.buttons()]
            for before, after in zip(chain, chain[1:], strict=False):
                QWidget.setTabOrder(before, after)
            first = next((w for w in self._field_order if w.isEnabled()), None)
            if first is not None and self.focusWidget() not in self._field_order:
                first.setFocus(Qt.FocusReason.OtherFocusReason)
        super().showEvent(event)

    def _show_note(self, note: QLabel, hint: str, error: str) -> None:
        note.setText(error or hint)
        palette = self.palette()
        if error:
            palette.setColor(note.foregroundRole(), tone_colour(Tone.BAD))
        else:
            disabled = palette.color(QPalette.ColorGroup.Disabled, note.foregroundRole())
            palette.setColor(note.foregroundRole(), disabled)
        note.setPalette(palette)

    def errors(self) -> dict[str, str]:
        """Field name -> what is wrong with it; empty when the form can be submitted."""
        return {}

    def value(self) -> Any:
        """What ``submit`` receives; only called when ``errors()`` is empty."""
        return None

    def revalidate(self) -> bool:
        self._errors = self.errors()
        for name, (note, hint) in self._notes.items():
            self._show_note(note, hint, self._errors.get(name, ""))
        self.ok_button.setEnabled(not self._errors)
        return not self._errors

    def error_text(self, name: str) -> str:
        return self._errors.get(name, "")

    @asyncSlot()
    async def _on_ok(self) -> None:
        if not self.revalidate():
            return
        value = self.value()
        if self._submit is None:
            self.result_value = value
            self.accept()
            return
        self.banner.hide()
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self._submitting = True
        try:
            with self.busy.busy(self.ok_button, cancel, self.fields):
                self.result_value = await self._submit(value)
        except Exception as error:  # noqa: BLE001 - shown here, cause logged
            self.banner.show_error(error)
            log_failure(error)
            return
        finally:
            self._submitting = False
        self.accept()

    def reject(self) -> None:
        # Closing while the action runs would leave it reporting to a deleted dialog;
        # the action is bounded by the gateways' timeouts, so waiting is short.
        if not self._submitting:
            super().reject()
