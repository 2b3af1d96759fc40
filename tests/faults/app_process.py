"""The real app and the sandbox as separate processes, for tests that kill them.

The sandbox runs as ``python -m voicepanel.sandbox`` so that it outlives the app's kill;
the app runs through drive_app.py on a Cloud profile that points at it, with its secrets in
a file keyring (this machine has no Secret Service) and every folder in the test's home.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from fishjam import FishjamClient
from tally import TALLY

from voicepanel.session.profiles import Profile, ProfileKind, ProfileStore, SecretName

HERE = Path(__file__).parent
TOKEN = "fault-suite-management-token-7c1d"
VAPI_KEY = "fault-suite-vapi-key-93be"
PROFILE = "Lab"
SECOND_PROFILE = "Lab B"  # the same server, for a second window
SECRETS = (TOKEN, VAPI_KEY)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LineReader:
    """Reads a process's stdout on a thread, so a test can wait for a line with a timeout."""

    def __init__(self, stream: Any) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: Any) -> None:
        for line in stream:
            self.lines.put(line.rstrip("\n"))
        self.lines.put("")  # end of stream

    def expect(self, prefix: str, timeout_s: float = 60.0) -> str:
        """The rest of the first line starting with ``prefix``; fails at end of output."""
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {prefix!r} line within {timeout_s} s: {self.seen}")
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line == "":
                raise AssertionError(f"the process ended before {prefix!r}: {self.seen}")
            self.seen.append(line)
            if line.startswith(prefix):
                return line[len(prefix) :].strip()


class SandboxProcess:
    """``python -m voicepanel.sandbox`` on a fixed port; can be killed and started again."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "voicepanel.sandbox",
                "--port",
                str(self.port),
                "--token",
                TOKEN,
                "--vapi-key",
                VAPI_KEY,
                "--reply-delay-ms",
                "100",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        LineReader(self.proc.stdout).expect("Sandbox ready", 60)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def client(self) -> FishjamClient:
        return FishjamClient(self.url, TOKEN)

    def vapi_calls(self) -> list[dict[str, Any]]:
        import httpx

        response = httpx.get(
            f"{self.url}/vapi/call", headers={"Authorization": f"Bearer {VAPI_KEY}"}, timeout=10
        )
        response.raise_for_status()
        return list(response.json())

    def live_calls(self) -> list[str]:
        return [c["id"] for c in self.vapi_calls() if c.get("status") != "ended"]

    def agent_peers(self) -> list[str]:
        client = self.client()
        try:
            return [
                p.id
                for room in client.get_all_rooms()
                for p in room.peers
                if str(getattr(p.type_, "value", p.type_)) == "agent"
            ]
        finally:
            client.client.get_httpx_client().close()


def write_profile(sandbox: SandboxProcess, keyring_file: Path) -> None:
    """The Lab profiles in the (test's) config folder and their secrets in the file keyring."""
    store = ProfileStore()
    secrets: dict[str, str] = {}
    for name in (PROFILE, SECOND_PROFILE):
        store.save(
            Profile(name, ProfileKind.CLOUD, sandbox.url, vapi_base_url=f"{sandbox.url}/vapi")
        )
        secrets[f"VoicePanel/{name}:{SecretName.MANAGEMENT_TOKEN}"] = TOKEN
        secrets[f"VoicePanel/{name}:{SecretName.VAPI_KEY}"] = VAPI_KEY
    keyring_file.write_text(json.dumps(secrets), encoding="utf-8")


class AppProcess:
    """The real app, driven by drive_app.py."""

    def __init__(self, keyring_file: Path, *args: str) -> None:
        env = dict(os.environ)
        env.update(
            QT_QPA_PLATFORM="offscreen",
            PYTHON_KEYRING_BACKEND="file_keyring.FileKeyring",
            VOICEPANEL_TEST_KEYRING_FILE=str(keyring_file),
            PYTHONPATH=os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")]),
        )
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "drive_app.py"), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.out = LineReader(self.proc.stdout)
        self.err: list[str] = []
        threading.Thread(target=self._drain_err, daemon=True).start()

    def _drain_err(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.err.append(line)

    def expect_json(self, prefix: str, timeout_s: float = 60.0) -> Any:
        return json.loads(self.out.expect(prefix, timeout_s))

    def signal(self, number: int) -> None:
        self.proc.send_signal(number)

    def wait(self, timeout_s: float) -> int:
        return self.proc.wait(timeout_s)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def assert_no_secret_in_files_under(folder: Path) -> int:
    """Scans every file under ``folder``; returns how many were read."""
    scanned = 0
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            scanned += 1
            for secret in SECRETS:
                assert secret.encode() not in data, f"{secret[:6]}… found in {path}"
    TALLY["files scanned for secrets"] += scanned
    return scanned
