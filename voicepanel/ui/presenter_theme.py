"""Presenter mode's two looks, dark and light, and its type scale.

Projectors wash out mid-tones, so both themes keep text at a contrast well above WCAG's
7:1 and state colours saturated; every size is a multiple of one base size taken from the
window's height, so the same layout reads from the back of a small room on a laptop screen
and of a hall on a 1080p projector.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from PySide6.QtGui import QColor, QPalette

from voicepanel.ui.state_style import Tone

BASE_MIN_PX = 14
LINES_PER_HEIGHT = 34  # the base size: the window's height over this many lines


class PresenterTheme(Enum):
    DARK = "dark"
    LIGHT = "light"

    @property
    def other(self) -> PresenterTheme:
        return PresenterTheme.LIGHT if self is PresenterTheme.DARK else PresenterTheme.DARK


@dataclass(frozen=True)
class Colours:
    background: str
    panel: str  # the tiles' background
    border: str
    trough: str  # an empty level meter
    text: str
    muted: str  # captions and the line still being heard
    tones: dict[Tone, str]
    user: str  # the user's lines in the transcript
    assistant: str  # the assistant's lines


COLOURS = {
    PresenterTheme.DARK: Colours(
        background="#0f1115",
        panel="#1a1d23",
        border="#2c313a",
        trough="#0b0d10",
        text="#f4f5f7",
        muted="#a3a9b3",
        tones={
            Tone.GOOD: "#3ddc84",
            Tone.INFO: "#5aa9ff",
            Tone.WARN: "#ffb020",
            Tone.BAD: "#ff5c5c",
            Tone.IDLE: "#8a919c",
        },
        user="#8cc4ff",
        assistant="#7ff0b0",
    ),
    PresenterTheme.LIGHT: Colours(
        background="#ffffff",
        panel="#f3f4f6",
        border="#d5d9df",
        trough="#e2e5ea",
        text="#111418",
        muted="#4b5360",
        tones={
            Tone.GOOD: "#12813c",
            Tone.INFO: "#1f5fbf",
            Tone.WARN: "#a35f00",
            Tone.BAD: "#c0262d",
            Tone.IDLE: "#5f6672",
        },
        user="#1f5fbf",
        assistant="#12813c",
    ),
}

SANDBOX_BADGE = "#d08a12"  # the main window's badge colour: the same badge everywhere


def base_size(height: int) -> int:
    """The base type size in pixels for a window ``height`` pixels tall."""
    return max(BASE_MIN_PX, height // LINES_PER_HEIGHT)


def palette(theme: PresenterTheme) -> QPalette:
    c = COLOURS[theme]
    result = QPalette()
    roles = QPalette.ColorRole
    for role, colour in (
        (roles.Window, c.background),
        (roles.WindowText, c.text),
        (roles.Base, c.panel),
        (roles.AlternateBase, c.panel),
        (roles.Text, c.text),
        (roles.Button, c.panel),
        (roles.ButtonText, c.text),
        (roles.Mid, c.border),
        (roles.PlaceholderText, c.muted),
    ):
        result.setColor(role, QColor(colour))
    return result


def stylesheet(theme: PresenterTheme, base: int) -> str:
    """The presenter window's style at base size ``base`` px (object names select)."""
    c = COLOURS[theme]
    return f"""
    QWidget#presenterWindow {{ background: {c.background}; }}
    QLabel {{ color: {c.text}; font-size: {base}px; }}
    QLabel#presenterRoom {{ font-size: {round(base * 2.0)}px; font-weight: 600; }}
    QLabel#presenterCaption, QLabel#presenterKeys, QLabel#tileNote {{
        color: {c.muted}; font-size: {round(base * 0.8)}px; }}
    QLabel#presenterSandbox {{ background: {SANDBOX_BADGE}; color: white; font-weight: bold;
        font-size: {round(base * 0.8)}px; border-radius: {base // 3}px;
        padding: {base // 5}px {base // 2}px; }}
    QFrame#presenterLatency {{
        background: {c.panel}; border: 1px solid {c.border}; border-radius: {base // 2}px; }}
    QLabel#tileName {{ font-size: {round(base * 1.15)}px; font-weight: 600; }}
    QLabel#tileState {{ font-size: {round(base * 1.6)}px; font-weight: 700; }}
    QLabel#latencyTitle {{ color: {c.muted}; font-size: {round(base * 0.8)}px; }}
    QLabel#latencyTurn {{ color: {c.muted}; font-size: {round(base * 0.8)}px; }}
    QLabel#latencyValue {{ font-size: {round(base * 1.2)}px; font-weight: 600; }}
    QPushButton {{ color: {c.text}; background: {c.panel}; border: 1px solid {c.border};
        border-radius: {base // 3}px; font-size: {round(base * 0.8)}px;
        padding: {base // 4}px {base // 2}px; }}
    QPushButton:hover {{ border-color: {c.muted}; }}
    """
