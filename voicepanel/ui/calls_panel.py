"""The VAPI calls dock: one card per call this panel started, newest first, each with its
live conversation when VAPI's live events arrive."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QLabel, QScrollArea, QVBoxLayout, QWidget

from voicepanel.ui.call_card import VapiCallCard
from voicepanel.ui.dialogs.responder_rules import ResponderRulesDialog

TICK_MS = 200  # durations, countdowns and the timeline's growing speech


class CallsDock(QDockWidget):
    """Mirrors the CallBook; ticks while any call is live. Gives the cards what they do
    with a call (``LiveCallActions``) from the book and the workspace's live events."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("VAPI calls", parent)
        self.setObjectName("callsDock")
        self._book: Any = None
        self._live: Any = None  # the workspace's LiveEvents, when it has them
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
        # Always there: a card growing taller than the dock (its live tabs) must not take
        # the scroll bar's width from every card, cutting their ids, the moment it does.
        scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        scroll.setWidget(self._body)
        self.setWidget(scroll)
        self._clock = QTimer(self)
        self._clock.setInterval(TICK_MS)
        self._clock.timeout.connect(self._tick)
        self._tasks: set[asyncio.Task[Any]] = set()

    def set_book(self, book: Any, live: Any = None) -> None:
        """Shows another workspace's calls (after a profile switch)."""
        self._book = book
        self._live = live
        for card in self.cards.values():
            self._spawn(card.close_live())
            card.setParent(None)
            card.deleteLater()
        self.cards.clear()
        self.sync()

    def sync(self) -> None:
        records = list(self._book.records) if self._book is not None else []
        for record in records:
            card = self.cards.get(record.id)
            if card is None:
                card = VapiCallCard(
                    record,
                    self._say,
                    self._end,
                    name_of=lambda i: self.name_of(i),
                    live=self if self._live is not None else None,
                )
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

    def conversations_changed(self, call_ids: frozenset[str]) -> None:
        """The bridge's batched signal: these calls' conversations changed."""
        for call_id in call_ids:
            card = self.cards.get(call_id)
            if card is not None:
                card.show_conversation()

    def _tick(self) -> None:
        for card in self.cards.values():
            if card.record.live:
                card.tick()

    def _spawn(self, coro: Any) -> None:
        try:
            task = asyncio.ensure_future(coro)
        except RuntimeError:  # no loop (a test without one): nothing is playing anyway
            coro.close()
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- what the cards do ----------------------------------------------------------------

    async def _say(self, call_id: str, text: str, end_after: bool) -> None:
        await self._book.say(call_id, text, end_after)

    async def _end(self, call_id: str) -> Any:
        return await self._book.end(call_id)

    def conversation(self, call_id: str) -> Any:
        return self._live.conversation(call_id) if self._live is not None else None

    def answer_tool_call(
        self, call_id: str, tool_call_id: str, result: str | None, error: str | None
    ) -> Any:
        return self._live.answer_tool_call(call_id, tool_call_id, result=result, error=error)

    async def add_message(self, call_id: str, role: str, content: str, reply: bool) -> None:
        await self._book.add_message(call_id, role, content, reply)

    async def set_assistant_muted(self, call_id: str, muted: bool) -> Any:
        return await self._book.set_assistant_muted(call_id, muted)

    def listener(self, call_id: str, on_status: Callable[[Any], None], volume: float) -> Any:
        return self._book.listener(call_id, on_status, volume)

    def edit_rules(self, parent: QWidget) -> None:
        dialog = ResponderRulesDialog(self._live.rules, parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
