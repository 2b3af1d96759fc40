"""`python -m voicepanel.sandbox`: one ready line, a clean stop, a clear refusal of a busy port."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys

import pytest
from fishjam import FishjamClient

run = asyncio.to_thread


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def start_cli(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "voicepanel.sandbox",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
async def test_the_sandbox_command_announces_itself_serves_and_stops_cleanly(
    stop_signal: signal.Signals,
) -> None:
    port = free_port()
    process = await start_cli(
        "--port", str(port), "--token", "tok", "--vapi-key", "vk", "--webhook-secret", "whs"
    )
    assert process.stdout is not None and process.stderr is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
    url = f"http://127.0.0.1:{port}"
    assert url in line and f"{url}/vapi" in line and "tok" in line and "vk" in line
    assert "webhooks signed with secret whs" in line

    await run(FishjamClient(url, "tok").check_credentials)

    process.send_signal(stop_signal)
    assert await asyncio.wait_for(process.wait(), 30) == 0
    assert await process.stdout.read() == b""  # exactly one line
    assert b"Traceback" not in await process.stderr.read()


async def test_a_port_already_in_use_is_a_one_line_message_and_exit_code_2() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        process = await start_cli("--port", str(port))
        stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    assert stdout == b""
    message = stderr.decode().strip()
    assert len(message.splitlines()) == 1
    assert str(port) in message and "Traceback" not in message


async def test_without_a_secret_each_start_prints_a_new_random_one() -> None:
    secrets = []
    for _ in range(2):
        process = await start_cli("--port", "0")
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        secrets.append(line.rsplit("secret ", 1)[1].strip())
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    assert secrets[0] != secrets[1] and all(len(s) >= 24 for s in secrets)
