"""The VAPI calls dock: one card per call this panel started, newest first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QLabel, QScrollArea, QVBoxLayout, QWidget

from voicepanel.ui.call_card import VapiCallCard


class CallsDock(QDockWidget):
    """Mirrors the CallBook; durations tick once a second while any call is live."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("VAPI calls", parent)
        self.setObjectName("callsDock")
        self._book: Any = None
        # The name people gave a room or peer (None: show the id); set by the window.
        self.name_of: Callable[[str], str | None] = lambda _id: None
        self.cards: dict[str, VapiCallCard] = {}
        self._body = QWidget()
        self._column = QVBoxLayout(self._body)
        self._column.setContentsMargins(6, 6, 6, 6)
        self._column.setSpacing(8)
        self._empty = QLabel(
            "No VAPI calls yet.\nSelect a room and press Ctrl+Shift+V to add an assistant."
        )
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty.setEnabled(False)
        self._empty.setWordWrap(True)
        self._column.addWidget(self._empty)
        self._column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._body)
        self.setWidget(scroll)
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick)

    def set_book(self, book: Any) -> None:
        """Shows another workspace's calls (after a profile switch)."""
        self._book = book
        for card in self.cards.values():
            card.setParent(None)
            card.deleteLater()
        self.cards.clear()
        self.sync()

    def sync(self) -> None:
        records = list(self._book.records) if self._book is not None else []
        for record in records:
            card = self.cards.get(record.id)
            if card is None:
                card = VapiCallCard(record, self._say, self._end, name_of=lambda i: self.name_of(i))
                self.cards[record.id] = card
                # Newest first: right under the placeholder.
                self._column.insertWidget(1, card)
            else:
                card.update_record(record)
        self._empty.setVisible(not records)
        live = any(r.live for r in records)
        if live and not self._clock.isActive():
            self._clock.start()
        elif not live:
            self._clock.stop()

    def _tick(self) -> None:
        for card in self.cards.values():
            if card.record.live:
                card.tick()

    async def _say(self, call_id: str, text: str, end_after: bool) -> None:
        await self._book.say(call_id, text, end_after)

    async def _end(self, call_id: str) -> Any:
        return await self._book.end(call_id)
