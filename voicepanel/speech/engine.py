"""The eSpeak NG library through ctypes: loaded once per process, used by one thread at a time.

eSpeak NG keeps global state (one initialisation, one voice, one callback), so every call
goes through `render` under a lock. In synchronous mode `espeak_Synth` hands 22,050 Hz int16
samples to the callback and returns when the text is spoken.
"""

from __future__ import annotations

import ctypes
import threading
from pathlib import Path

import numpy as np

NATIVE_SAMPLE_RATE = 22050

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000  # report a missing data folder instead of exiting
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PARAMETER_RATE = 1
_EE_OK = 0

_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


class SpeechUnavailable(RuntimeError):
    """The speech engine cannot be used; the message says why, `hint` what to try."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint or (
            "Reinstall VoicePanel (the espeakng-loader package carries the speech engine)."
        )


class Engine:
    def __init__(self) -> None:
        try:
            import espeakng_loader

            library_path = espeakng_loader.get_library_path()
            data_path = espeakng_loader.get_data_path()
        except (ImportError, OSError) as exc:
            raise SpeechUnavailable(f"The speech engine is not installed ({exc}).") from exc
        try:
            lib = ctypes.CDLL(str(_existing(Path(library_path))))
        except OSError as exc:
            raise SpeechUnavailable(f"The speech engine could not be loaded ({exc}).") from exc
        self._declare(lib)
        rate = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, str(data_path).encode(), _INITIALIZE_DONT_EXIT
        )
        if rate <= 0:
            raise SpeechUnavailable(
                f"The speech engine could not start: its voice data in {data_path} is missing."
            )
        self.sample_rate = int(rate)
        self._lib = lib
        self._chunks: list[bytes] = []
        self._callback = _SynthCallback(self._on_samples)  # kept alive as long as the engine
        lib.espeak_SetSynthCallback(self._callback)
        self._voice: str | None = None
        self._words_per_minute: int | None = None
        self._lock = threading.Lock()

    @staticmethod
    def _declare(lib: ctypes.CDLL) -> None:
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.POINTER(ctypes.c_uint),
            ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_Synchronize.argtypes = []
        lib.espeak_Synchronize.restype = ctypes.c_int

    def render(self, text: str, voice: str, words_per_minute: int) -> np.ndarray:
        """`text` spoken as int16 samples at `sample_rate`."""
        data = text.encode("utf-8") + b"\0"
        with self._lock:
            self._select(voice, words_per_minute)
            self._chunks = []
            status = self._lib.espeak_Synth(
                data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
            )
            self._lib.espeak_Synchronize()
            chunks, self._chunks = self._chunks, []
        if status != _EE_OK:
            raise SpeechUnavailable(f"The speech engine failed to speak (error {status}).")
        return np.frombuffer(b"".join(chunks), dtype=np.int16)

    def _select(self, voice: str, words_per_minute: int) -> None:
        if voice != self._voice:
            if self._lib.espeak_SetVoiceByName(voice.encode()) != _EE_OK:
                raise ValueError(f"The speech engine has no voice named {voice!r}.")
            self._voice = voice
            self._words_per_minute = None  # a new voice resets the rate
        if words_per_minute != self._words_per_minute:
            self._lib.espeak_SetParameter(_PARAMETER_RATE, words_per_minute, 0)
            self._words_per_minute = words_per_minute

    def _on_samples(self, wav: ctypes.Array[ctypes.c_short], count: int, _events: int) -> int:
        if wav and count > 0:
            self._chunks.append(ctypes.string_at(wav, count * 2))
        return 0  # go on


def _existing(library: Path) -> Path:
    """The library, or its versioned name beside it: an installer built with PyInstaller
    keeps libespeak-ng.so.1 but not the unversioned copy the loader names."""
    if library.exists():
        return library
    return next(iter(sorted(library.parent.glob(library.name + ".*"))), library)


_engine: Engine | None = None
_failure: SpeechUnavailable | None = None
_load_lock = threading.Lock()


def engine() -> Engine:
    """The process's engine, loaded on first use; the same failure is raised every time."""
    global _engine, _failure
    if _engine is not None:
        return _engine
    with _load_lock:
        if _engine is None and _failure is None:
            try:
                _engine = Engine()
            except SpeechUnavailable as unavailable:
                _failure = unavailable
        if _failure is not None:
            raise _failure
        assert _engine is not None
        return _engine
