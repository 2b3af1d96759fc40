"""A private PulseAudio sound server, so the real sounddevice -> PortAudio -> ALSA ->
PulseAudio path runs on a machine with no sound card: for the audio tests (conftest.py),
the audio benchmarks and the screenshot script.

Two null sinks: what the app plays goes to ``spk`` (record ``spk.monitor``), and what is
played into ``mic`` is what the app's default input (``vp_mic``, a remap of ``mic.monitor``)
hears. Idle null sinks render in ~2 s blocks, so each is kept busy by a loopback from a
silent source (shared/notes/audio-on-a-silent-machine.md).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

APT_HINT = (
    "PulseAudio is needed for the audio tests: "
    "sudo apt-get install -y pulseaudio pulseaudio-utils libportaudio2 libasound2-plugins"
)


@dataclass
class SpeakerRecording:
    """``parec`` from spk.monitor into a file (a pipe nobody reads would cut it short)."""

    path: Path
    process: subprocess.Popen[bytes]
    rate: int

    def stop(self) -> np.ndarray:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        raw = self.path.read_bytes()
        raw = raw[: len(raw) - len(raw) % 2]
        return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0


@dataclass
class PulseRig:
    runtime_dir: Path
    env: dict[str, str]
    pid: int

    def pactl(self, *args: str) -> str:
        done = subprocess.run(
            ["pactl", *args], env=self.env, capture_output=True, text=True, timeout=10
        )
        if done.returncode != 0:
            raise RuntimeError(f"pactl {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout.strip()

    @contextmanager
    def room_echo(self, latency_ms: int, volume: float) -> Iterator[None]:
        """What the speaker plays reaches the microphone, delayed and attenuated (linear
        ``volume``), as in a room; removed afterwards so other tests keep a dry mic."""
        module = self.pactl(
            "load-module",
            "module-loopback",
            "source=spk.monitor",
            "sink=mic",
            f"latency_msec={latency_ms}",
            "source_dont_move=true",
            "sink_dont_move=true",
        )
        try:
            inputs = json.loads(self.pactl("--format=json", "list", "sink-inputs"))
            (loopback,) = [i for i in inputs if str(i.get("owner_module")) == module]
            self.pactl("set-sink-input-volume", str(loopback["index"]), str(volume))
            yield
        finally:
            self.pactl("unload-module", module)

    def record_speaker(self, path: Path, rate: int = 16000) -> SpeakerRecording:
        cmd = [
            "parec",
            "-d",
            "spk.monitor",
            "--raw",
            "--format=s16le",
            f"--rate={rate}",
            "--channels=1",
            "--latency-msec=20",
            str(path),
        ]
        process = subprocess.Popen(cmd, env=self.env, stderr=subprocess.DEVNULL)
        return SpeakerRecording(path, process, rate)

    def play_into_mic(
        self, samples: np.ndarray, rate: int, folder: Path
    ) -> subprocess.Popen[bytes]:
        """Start playing ``samples`` into the virtual microphone; returns the paplay process."""
        path = folder / f"mic-{time.monotonic_ns()}.wav"
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
        return subprocess.Popen(
            ["paplay", "-d", "mic", "--latency-msec=20", str(path)], env=self.env
        )


class PulseUnavailable(RuntimeError):
    """PulseAudio is not installed, or its daemon did not start."""


def start_daemon() -> PulseRig:
    """Starts a private daemon (own XDG_RUNTIME_DIR) with the sinks described above."""
    if shutil.which("pulseaudio") is None or shutil.which("pactl") is None:
        raise PulseUnavailable(APT_HINT)
    runtime = Path(tempfile.mkdtemp(prefix="vp-pulse-"))
    runtime.chmod(0o700)
    env = dict(os.environ)
    env.update(
        XDG_RUNTIME_DIR=str(runtime),
        HOME=str(runtime),
        PULSE_SERVER=f"unix:{runtime}/pulse/native",
    )
    env.pop("PULSE_SINK", None)
    env.pop("PULSE_SOURCE", None)
    log = open(runtime / "pulseaudio.log", "wb")  # noqa: SIM115 - the daemon keeps it
    subprocess.run(
        [
            "pulseaudio",
            "--daemonize=yes",
            "--exit-idle-time=-1",
            "--disallow-exit",
            "-n",
            "--use-pid-file=yes",
            "--log-target=stderr",
            "--load=module-native-protocol-unix auth-anonymous=1",
            "--load=module-null-sink sink_name=spk",
            "--load=module-null-sink sink_name=mic",
        ],
        env=env,
        stdout=log,
        stderr=log,
        check=False,
        timeout=30,
    )
    pid_file = runtime / "pulse" / "pid"
    deadline = time.monotonic() + 15
    rig: PulseRig | None = None
    while time.monotonic() < deadline:
        if pid_file.exists() and pid_file.read_text().strip():
            rig = PulseRig(runtime, env, int(pid_file.read_text().strip()))
            try:
                rig.pactl("info")
                break
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
        time.sleep(0.1)
    else:
        raise PulseUnavailable(
            f"PulseAudio did not start; its log: {(runtime / 'pulseaudio.log').read_text()}"
        )
    assert rig is not None
    rig.pactl("load-module", "module-remap-source", "master=mic.monitor", "source_name=vp_mic")
    rig.pactl("load-module", "module-null-source", "source_name=silence")
    for sink in ("spk", "mic"):
        rig.pactl(
            "load-module",
            "module-loopback",
            "source=silence",
            f"sink={sink}",
            "latency_msec=40",
            "source_dont_move=true",
            "sink_dont_move=true",
        )
    rig.pactl("set-default-sink", "spk")
    rig.pactl("set-default-source", "vp_mic")
    return rig


def stop_daemon(rig: PulseRig) -> None:
    try:
        os.kill(rig.pid, signal.SIGTERM)
        for _ in range(50):
            os.kill(rig.pid, 0)
            time.sleep(0.1)
        os.kill(rig.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    shutil.rmtree(rig.runtime_dir, ignore_errors=True)
