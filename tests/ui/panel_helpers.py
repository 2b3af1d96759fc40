"""Waiting and finding helpers for the panel's tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QApplication, QWidget


async def until(predicate: Callable[[], Any], timeout_s: float = 10.0, what: str = "") -> Any:
    """Waits, letting the Qt loop run, until ``predicate()`` is truthy; returns it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.02)


def find_top(kind: type[QWidget], name: str | None = None) -> QWidget | None:
    """A visible top-level widget of ``kind`` (optionally with that object name)."""
    for widget in QApplication.topLevelWidgets():
        visible = isinstance(widget, kind) and widget.isVisible()
        if visible and (name is None or widget.objectName() == name):
            return widget
    return None
