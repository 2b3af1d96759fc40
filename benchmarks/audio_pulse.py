"""A private PulseAudio daemon for the audio benchmarks (null sinks ``spk`` and ``mic``,
default input ``vp_mic`` hearing ``mic``, default output ``spk``, sinks kept busy).
The same setup as tests/audio/conftest.py, for scripts outside pytest."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Pulse:
    runtime: Path
    env: dict[str, str]
    pid: int

    def pactl(self, *args: str) -> str:
        done = subprocess.run(["pactl", *args], env=self.env, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"pactl {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout.strip()

    def stop(self) -> None:
        try:
            os.kill(self.pid, signal.SIGTERM)
            for _ in range(50):
                os.kill(self.pid, 0)
                time.sleep(0.1)
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        shutil.rmtree(self.runtime, ignore_errors=True)


def start_pulse() -> Pulse:
    if shutil.which("pulseaudio") is None:
        raise SystemExit(
            "PulseAudio is needed: sudo apt-get install -y pulseaudio pulseaudio-utils "
            "libportaudio2 libasound2-plugins"
        )
    runtime = Path(tempfile.mkdtemp(prefix="vp-bench-pulse-"))
    runtime.chmod(0o700)
    env = dict(os.environ)
    env.update(
        XDG_RUNTIME_DIR=str(runtime),
        HOME=str(runtime),
        PULSE_SERVER=f"unix:{runtime}/pulse/native",
    )
    subprocess.run(
        [
            "pulseaudio",
            "--daemonize=yes",
            "--exit-idle-time=-1",
            "--disallow-exit",
            "-n",
            "--use-pid-file=yes",
            "--load=module-native-protocol-unix auth-anonymous=1",
            "--load=module-null-sink sink_name=spk",
            "--load=module-null-sink sink_name=mic",
        ],
        env=env,
        capture_output=True,
        timeout=30,
        check=False,
    )
    pid_file = runtime / "pulse" / "pid"
    for _ in range(150):
        if pid_file.exists() and pid_file.read_text().strip():
            pulse = Pulse(runtime, env, int(pid_file.read_text()))
            try:
                pulse.pactl("info")
                break
            except RuntimeError:
                pass
        time.sleep(0.1)
    else:
        raise SystemExit("PulseAudio did not start")
    pulse.pactl("load-module", "module-remap-source", "master=mic.monitor", "source_name=vp_mic")
    pulse.pactl("load-module", "module-null-source", "source_name=silence")
    for sink in ("spk", "mic"):
        pulse.pactl(
            "load-module",
            "module-loopback",
            "source=silence",
            f"sink={sink}",
            "latency_msec=40",
            "source_dont_move=true",
            "sink_dont_move=true",
        )
    pulse.pactl("set-default-sink", "spk")
    pulse.pactl("set-default-source", "vp_mic")
    return pulse
