"""CallBook behaviour that a real server cannot easily provoke (VAPI failing, then coming
back), with a small stand-in for the VAPI gateway; the sandbox tests cover the real path."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Any

import pytest

from voicepanel.core.errors import VoicePanelError
from voicepanel.core.vapi_events import CallEvent
from voicepanel.core.vapi_gateway import CallInfo
from voicepanel.session.calls import CallBook, CallRecord


async def eventually(check: Any, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"not true after {timeout_s} s"
        await asyncio.sleep(0.02)


def call(call_id: str, status: str = "in-progress", reason: str | None = None) -> CallInfo:
    return CallInfo(
        id=call_id,
        status=status,
        ended_reason=reason,
        assistant_id="a1",
        assistant_name="Echo",
        created_at=None,
        started_at=None,
        ended_at=None,
        websocket_call_url=None,
        control_url=f"http://control/{call_id}",
        listen_url=None,
        transcript=None,
        summary=None,
        cost=None,
    )


class StandInVapi:
    """Answers get_call from a dict; fails while ``failing`` is set."""

    def __init__(self) -> None:
        self.calls: dict[str, CallInfo] = {}
        self.failing = False
        self.gets: list[float] = []
        self.said: list[tuple[str, str, bool]] = []
        self.refuse_end = False

    async def get_call(self, call_id: str) -> CallInfo:
        self.gets.append(time.monotonic())
        if self.failing:
            raise VoicePanelError("Could not read the call. VAPI is not reachable.", status=503)
        return self.calls[call_id]

    async def end_call(self, info: CallInfo) -> None:
        if self.refuse_end:
            raise VoicePanelError("Could not end the call. VAPI said no.", status=500)
        self.calls[info.id] = replace(self.calls[info.id], status="ended", ended_reason="x-ended")

    async def say(self, info: CallInfo, text: str, end_call_after: bool = False) -> None:
        self.said.append((info.id, text, end_call_after))


def book(vapi: StandInVapi, **kwargs: Any) -> CallBook:
    options: dict[str, Any] = {"poll_interval_s": 0.05, "max_backoff_s": 0.4}
    options.update(kwargs)
    options.setdefault("report_delay_s", 0.05)
    options.setdefault("start_wait_s", 0.5)
    return CallBook(vapi, **options)  # type: ignore[arg-type]


async def test_a_call_is_polled_until_it_ends_then_read_once_more_for_the_report() -> None:
    vapi = StandInVapi()
    vapi.calls["c1"] = call("c1")
    calls = book(vapi)
    seen: list[CallRecord] = []
    calls.on_change(seen.append)
    calls.add(vapi.calls["c1"], "r1", "p1")
    await eventually(lambda: len(vapi.gets) >= 2)
    vapi.calls["c1"] = call("c1", "ended", "customer-ended-call")
    await eventually(lambda: calls.get("c1").ended)  # type: ignore[union-attr]
    record = calls.get("c1")
    assert record is not None and record.call.ended_reason == "customer-ended-call"
    await eventually(lambda: all(t.done() for t in calls._pollers.values()))
    count = len(vapi.gets)
    await asyncio.sleep(0.3)
    assert len(vapi.gets) == count  # polling stopped
    assert any(r.ended for r in seen)
    await calls.close()


async def test_polling_backs_off_while_vapi_fails_and_recovers() -> None:
    vapi = StandInVapi()
    vapi.calls["c1"] = call("c1")
    vapi.failing = True
    calls = book(vapi, poll_interval_s=0.02, max_backoff_s=0.32)
    calls.add(vapi.calls["c1"], "r1")
    await asyncio.sleep(1.0)
    gaps = [b - a for a, b in zip(vapi.gets, vapi.gets[1:], strict=False)]
    assert len(vapi.gets) < 12  # 0.02 s without back-off would be ~50 reads
    assert gaps[-1] > gaps[0]
    record = calls.get("c1")
    assert record is not None and record.last_error and "not reachable" in record.last_error
    vapi.failing = False
    await eventually(lambda: calls.get("c1").last_error is None)  # type: ignore[union-attr]
    await calls.close()


async def test_a_crashed_vapi_peer_puts_its_reason_on_the_call() -> None:
    vapi = StandInVapi()
    vapi.calls["c1"] = call("c1")
    calls = book(vapi)
    calls.add(vapi.calls["c1"], "r1")
    calls.set_peer("c1", "p1")
    assert calls.peer_crashed("other-peer", "nope") is None
    record = calls.peer_crashed("p1", "Invalid call id")
    assert record is not None and record.peer_crash_reason == "Invalid call id"
    await calls.close()


def status_event(call_id: str, status: str) -> CallEvent:
    now = time.time()
    return CallEvent(now, "status-update", call_id, now, {"status": status})


async def test_a_live_status_that_arrives_before_its_call_is_kept_for_it() -> None:
    """VAPI (and the sandbox) may post "in-progress" while the panel is still putting the
    call in the book; the card read "queued" for 10 s, until polling resumed."""
    vapi = StandInVapi()
    vapi.calls["c1"] = call("c1", status="queued")
    calls = book(vapi)
    calls.apply_event(status_event("c1", "in-progress"))
    record = calls.add(vapi.calls["c1"], "r1")
    assert record.call.status == "in-progress"
    calls.add(call("c2", status="queued"), "r1")  # nothing came for it: as created
    assert calls.get("c2").call.status == "queued"  # type: ignore[union-attr]
    await calls.close()


async def test_say_and_end_go_to_vapi_and_an_ended_call_refuses_to_speak() -> None:
    vapi = StandInVapi()
    vapi.calls["c1"] = call("c1")
    calls = book(vapi)
    calls.add(vapi.calls["c1"], "r1")
    await calls.say("c1", "hello", end_after=True)
    assert vapi.said == [("c1", "hello", True)]
    record = await calls.end("c1")
    assert record.ended and not calls.has_live
    with pytest.raises(VoicePanelError):
        await calls.say("c1", "too late")
    with pytest.raises(VoicePanelError):
        await calls.end("unknown")
    await calls.close()


async def test_a_call_that_never_starts_cannot_be_steered_and_says_why() -> None:
    vapi = StandInVapi()
    vapi.calls["c1"] = call("c1", "queued")
    calls = book(vapi, start_wait_s=0.3)
    calls.add(vapi.calls["c1"], "r1")
    with pytest.raises(VoicePanelError) as info:
        await calls.end("c1")
    assert "not started" in info.value.message
    await calls.close()


async def test_end_all_live_ends_what_it_can_and_reports_the_rest() -> None:
    vapi = StandInVapi()
    for call_id in ("c1", "c2"):
        vapi.calls[call_id] = call(call_id)
    vapi.calls["theirs"] = call("theirs")
    calls = book(vapi)
    calls.add(vapi.calls["c1"], "r1")
    calls.add(vapi.calls["c2"], "r1")
    calls.add(vapi.calls["theirs"], "r1", started_by_us=False)
    assert [r.id for r in calls.live] == ["c1", "c2"]
    assert await calls.end_all_live(confirm_timeout_s=1.0) == []
    assert not calls.has_live
    assert vapi.calls["theirs"].status == "in-progress"  # not ours: left alone

    vapi.calls["c3"] = call("c3")
    calls.add(vapi.calls["c3"], "r1")
    vapi.refuse_end = True
    errors = await calls.end_all_live(confirm_timeout_s=0.1)
    assert len(errors) == 1 and calls.has_live
    await calls.close()
