"""Keeping the assistant from hearing itself: echo cancellation (WebRTC APM), a half-duplex
fallback, ERLE measurement and the headset hint, as parts the local agent plugs in."""

from voicepanel.core.audio.echo.apm import (
    EchoCancellationUnavailable,
    EchoCanceller,
    EchoStages,
    EchoState,
)
from voicepanel.core.audio.echo.control import (
    EchoControl,
    EchoMode,
    EchoStatus,
    HalfDuplexSettings,
    describe,
)
from voicepanel.core.audio.echo.delay import DelayEstimate, estimate_echo_delay, stream_delay_ms
from voicepanel.core.audio.echo.erle import ErleMeter, ErleReading
from voicepanel.core.audio.echo.half_duplex import GateMode, HalfDuplexGate
from voicepanel.core.audio.echo.rechunk import FrameRechunker
from voicepanel.core.audio.echo.speakers import (
    OutputKind,
    classify_output_device,
    looks_like_builtin_speakers,
)

__all__ = [
    "DelayEstimate",
    "EchoCancellationUnavailable",
    "EchoCanceller",
    "EchoControl",
    "EchoMode",
    "EchoStatus",
    "EchoStages",
    "EchoState",
    "ErleMeter",
    "ErleReading",
    "FrameRechunker",
    "GateMode",
    "HalfDuplexGate",
    "HalfDuplexSettings",
    "OutputKind",
    "classify_output_device",
    "describe",
    "estimate_echo_delay",
    "looks_like_builtin_speakers",
    "stream_delay_ms",
]
