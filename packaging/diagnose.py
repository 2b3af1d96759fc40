"""voicepanel-diagnose: what an installed VoicePanel finds on this computer.

Prints the versions inside the bundle (VoicePanel, Python, Qt, PortAudio), where the audio
libraries were loaded from, the audio devices PortAudio lists, and then plays a short tone
while recording for the same time, to prove sound goes out and comes in. A support person
can ask for this output; the installer's smoke test runs it too.

    voicepanel-diagnose                 # everything, plays and records 0.5 s
    voicepanel-diagnose --no-audio-io   # versions and devices only
    voicepanel-diagnose --device pulse  # a device by name or index (both directions)

Exit code: 0 all good, 1 audio could not be played or recorded, 2 no audio library or device.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path

TONE_HZ = 440.0


def _print(label: str, value: object) -> None:
    print(f"{label:<22} {value}")


def _bundle_dir() -> Path | None:
    return Path(getattr(sys, "_MEIPASS", "")) if getattr(sys, "frozen", False) else None


def versions() -> None:
    try:
        import voicepanel

        _print("VoicePanel", voicepanel.__version__)
    except Exception as exc:  # noqa: BLE001 - a diagnostic reports, it does not crash
        _print("VoicePanel", f"not importable ({exc})")
    _print("Python", f"{platform.python_version()} ({sys.executable})")
    _print("System", f"{platform.system()} {platform.release()} {platform.machine()}")
    bundle = _bundle_dir()
    _print("Bundle", bundle if bundle else "not frozen (running from source)")
    try:
        import PySide6
        from PySide6.QtCore import QLibraryInfo, qVersion

        plugins = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath))
        platforms = sorted(p.stem for p in (plugins / "platforms").glob("*")) if plugins else []
        _print("PySide6 / Qt", f"{PySide6.__version__} / {qVersion()}")
        _print("Qt platform plugins", ", ".join(platforms) or "none found")
    except Exception as exc:  # noqa: BLE001
        _print("PySide6", f"not importable ({exc})")


def _loaded_libraries(*needles: str) -> list[str]:
    """Shared libraries of this process whose path contains one of the needles (Linux)."""
    maps = Path("/proc/self/maps")
    if not maps.exists():
        return []
    found: set[str] = set()
    for line in maps.read_text().splitlines():
        path = line.split(maxsplit=5)[-1] if len(line.split()) >= 6 else ""
        if any(n in path for n in needles):
            found.add(path)
    return sorted(found)


def audio(device: str | None, play_record: bool, seconds: float) -> int:
    try:
        import numpy as np
        import sounddevice as sd
    except OSError as exc:
        print(f"AUDIO FAIL PortAudio library not found: {exc}")
        print("  On Debian/Ubuntu: sudo apt install libportaudio2")
        return 2
    _print("sounddevice", sd.__version__)
    _print("PortAudio", sd.get_portaudio_version()[1])
    _print("PortAudio library", getattr(sd, "_libname", "?"))
    try:
        devices = sd.query_devices()
        hostapis = sd.query_hostapis()
    except Exception as exc:  # noqa: BLE001
        print(f"AUDIO FAIL cannot list devices: {exc}")
        return 2
    print("Host APIs:")
    for api in hostapis:
        print(f"  {api['name']} (devices {list(api['devices'])})")
    print("Devices:")
    for index, dev in enumerate(devices):
        print(
            f"  [{index}] {dev['name']!r} in={dev['max_input_channels']} "
            f"out={dev['max_output_channels']} rate={dev['default_samplerate']:.0f}"
        )
    for lib in _loaded_libraries("libasound.so", "libportaudio", "libpulse.so"):
        _print("loaded", lib)
    if not len(devices):
        print("AUDIO FAIL no audio device (is a sound server running?)")
        return 2
    if not play_record:
        print("AUDIO DEVICES OK")
        return 0

    chosen: int | str | None = int(device) if device and device.isdigit() else device
    try:
        out_info = sd.query_devices(chosen, "output")
        in_info = sd.query_devices(chosen, "input")
    except Exception as exc:  # noqa: BLE001
        print(f"AUDIO FAIL no default input/output device: {exc}")
        return 2
    rate = int(out_info["default_samplerate"]) or 48000
    t = np.arange(int(rate * seconds)) / rate
    tone = (0.3 * np.sin(2 * np.pi * TONE_HZ * t)).astype(np.float32)
    # The last tens of ms of a stream are lost when it stops: pad with silence.
    padded = np.concatenate([tone, np.zeros(int(rate * 0.3), np.float32)])
    try:
        recorded = sd.playrec(
            padded,
            samplerate=rate,
            channels=1,
            dtype="float32",
            device=(chosen, chosen),
            latency="high",
            blocking=True,
        )
    except Exception as exc:  # noqa: BLE001
        print(f"AUDIO FAIL could not play and record: {exc}")
        return 1
    mono = recorded[:, 0]
    rms = float(np.sqrt(np.mean(mono**2))) if mono.size else 0.0
    spectrum = np.abs(np.fft.rfft(mono)) if mono.size else np.zeros(1)
    peak_hz = (
        float(np.fft.rfftfreq(mono.size, 1 / rate)[int(np.argmax(spectrum))]) if mono.size else 0.0
    )
    _print("played", f"{seconds:.2f} s of {TONE_HZ:.0f} Hz on {out_info['name']!r} at {rate} Hz")
    _print("recorded", f"{mono.size / rate:.2f} s from {in_info['name']!r}")
    _print("recording level", f"rms {rms:.4f}, strongest frequency {peak_hz:.0f} Hz")
    for lib in _loaded_libraries("alsa-lib", "libasound_module"):
        _print("ALSA plugin", lib)
    heard = rms > 1e-3 and abs(peak_hz - TONE_HZ) < 20
    print(
        "AUDIO OK played and recorded"
        + (
            " (the recording heard the tone)"
            if heard
            else " (the recording did not hear the tone;"
            " normal unless the input listens to the output)"
        )
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="voicepanel-diagnose", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--no-audio-io", action="store_true", help="list devices, do not play or record"
    )
    parser.add_argument("--device", help="audio device name or index for both directions")
    parser.add_argument("--seconds", type=float, default=0.5, help="tone length (default 0.5)")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    versions()
    return audio(args.device, not args.no_audio_io, args.seconds)


if __name__ == "__main__":
    sys.exit(main())
