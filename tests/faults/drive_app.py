"""Runs the real VoicePanel app (``voicepanel.app.main``) in this process and acts as the
person at the window, so a test can kill the process from outside.

    python drive_app.py start  PROFILE CALLS AGENTS   # start calls and agents, then idle
    python drive_app.py start  PROFILE CALLS AGENTS SECOND  # the same in a second window too
    python drive_app.py idle   PROFILE                # open the profile, then idle
    python drive_app.py recover PROFILE               # answer the leftovers box: End all

It prints one line per step (``OPEN``, ``STARTED {json}``, ``LEFTOVERS {json}``,
``SETTLED``...) that the test reads. The app itself is unchanged: the driver hooks in where
app.py builds the window, and waits for the window's own signals.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import voicepanel.app as app_module

MODE, PROFILE = sys.argv[1], sys.argv[2]
LEFTOVERS_WAIT_S = 30.0


def say(*parts: object) -> None:
    print(*parts, flush=True)


async def start_things(window: Any, calls: int, agents: int) -> dict[str, Any]:
    ws = window.host.workspace
    echo = next(a for a in await ws.list_assistants() if a.name == "Echo")
    rooms = [(await ws.create_room()).id for _ in range(2)]
    # Without auto-close, as a tester keeping an assistant in a room chooses: the calls
    # then run on after the agents leave, until someone ends them.
    records = [
        await ws.add_vapi_assistant(rooms[i % 2], assistant_id=echo.id, auto_close=False)
        for i in range(calls)
    ]
    joined: list[str] = []
    holds: list[asyncio.Future[None]] = []

    async def disconnect() -> None:  # as the local agent does, when the workspace closes
        for hold_task in holds:
            hold_task.cancel()
        await asyncio.gather(*holds, return_exceptions=True)

    ws.add_close_hook(disconnect)
    for i in range(agents):
        agent = await ws.create_agent(rooms[i % 2])
        connected = asyncio.Event()

        async def hold(agent: Any = agent, connected: asyncio.Event = connected) -> None:
            async with agent.connect():
                connected.set()
                await asyncio.Event().wait()

        holds.append(asyncio.ensure_future(hold()))
        await asyncio.wait_for(connected.wait(), 20)
        joined.append(agent.id)
    for record in records:  # live means in progress: Fishjam connected the VAPI peer
        for _ in range(200):
            current = await ws.calls.refresh(record.id)
            if current.status == "in-progress":
                break
            await asyncio.sleep(0.1)
    ledger = str(ws.ledger.path)
    return {"calls": [r.id for r in records], "agents": joined, "rooms": rooms, "ledger": ledger}


async def start_in_windows(windows: Any, calls: int, agents: int) -> None:
    """Starts things in the first window and, given a second profile, in a second window
    opened on it (File > New window); says what it started in all of them."""
    started = [await start_things(windows.first, calls, agents)]
    if len(sys.argv) > 5:
        from voicepanel.session.profiles import ProfileStore

        second = ProfileStore().get(sys.argv[5])
        window = await windows.open_window(second, beside=windows.first)
        started.append(await start_things(window, calls, agents))
    say(
        "STARTED",
        json.dumps(
            {
                "calls": [c for s in started for c in s["calls"]],
                "agents": [a for s in started for a in s["agents"]],
                "ledgers": [s["ledger"] for s in started],
                "windows": [w.windowTitle() for w in windows.windows],
            }
        ),
    )


async def recover(window: Any) -> None:
    from PySide6.QtWidgets import QApplication, QMessageBox

    loop = asyncio.get_running_loop()
    deadline = loop.time() + LEFTOVERS_WAIT_S
    box = None
    while box is None and loop.time() < deadline:
        box = next(
            (
                w
                for w in QApplication.topLevelWidgets()
                if isinstance(w, QMessageBox) and w.objectName() == "leftoversBox" and w.isVisible()
            ),
            None,
        )
        await asyncio.sleep(0.05)
    if box is None:
        say("NO LEFTOVERS")
    else:
        settled = asyncio.Event()
        window.leftovers_settled.connect(lambda _choice: settled.set())
        say("LEFTOVERS", json.dumps({"text": box.text(), "details": box.detailedText()}))
        end = next(b for b in box.buttons() if b.text() == "End all")
        end.click()
        await asyncio.wait_for(settled.wait(), 30)
        say("SETTLED")
    window.quit_unattended("the test is done")


def drive(windows: Any) -> None:
    window = windows.first
    window._driver_tasks = []

    def opened(*_: Any) -> None:
        say("OPEN", json.dumps({"journal": str(window.host.workspace.journal.path)}))
        if MODE == "start":
            task = start_in_windows(windows, int(sys.argv[3]), int(sys.argv[4]))
        elif MODE == "recover":
            task = recover(window)
        else:
            return
        window._driver_tasks.append(asyncio.ensure_future(task))

    window.host.opened.connect(opened)
    window.host.failed.connect(lambda _p, error: say("FAILED", error))


def main() -> int:
    build_windows = app_module.build_windows

    def build_and_drive() -> Any:
        windows = build_windows()
        drive(windows)
        return windows

    app_module.build_windows = build_and_drive
    return app_module.main(["--profile", PROFILE])


if __name__ == "__main__":
    raise SystemExit(main())
