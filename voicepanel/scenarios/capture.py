"""Saves a conversation that just happened as a scenario file a tester can edit and run again.

What the person said becomes WAV files beside the scenario (cut out of the local agent's
recording by energy, one per turn), or, with no recording, ``say`` lines from VAPI's
transcript of them. What the assistant did becomes expectations: the reply latency
observed (with room to spare), the first words of each reply, the tools it called with
their arguments, and how the call ended. The assistant is the saved one's id, or its
configuration written beside the scenario without the panel's live-events address and
secret.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voicepanel.core.audio.audio_file import read_audio, write_wav
from voicepanel.core.audio.vad import EnergyVad, VadConfig, VadEventKind
from voicepanel.core.errors import VoicePanelError
from voicepanel.scenarios.model import CallEnding
from voicepanel.session.conversation import Conversation

FRAME_S = 0.02
MIN_UTTERANCE_S = 0.3
EDGE_S = 0.1  # silence kept around each utterance
LATENCY_ROOM = 1.25  # the limit written is the observed latency with a quarter to spare...
LATENCY_MARGIN_S = 0.2  # ...plus this, rounded up to 100 ms
WORDS_EXPECTED = 4
PRIVATE_ASSISTANT_KEYS = ("server", "serverUrl", "serverUrlSecret", "serverMessages", "credentials")
SANDBOX_PLACEHOLDER = re.compile(r"^\((user spoke|echo of) ")


@dataclass(frozen=True)
class _Exchange:
    said: str
    said_at: float | None  # epoch, when the person began
    answer: str
    answer_at: float | None
    latency_s: float | None


def utterances(samples: np.ndarray, rate: int) -> list[tuple[int, int]]:
    """(first, last) sample of each stretch of speech, pauses under 0.5 s kept inside."""
    vad = EnergyVad(VadConfig(hangover_frames=25))
    size = int(rate * FRAME_S)
    found: list[tuple[int, int]] = []
    start: float | None = None
    for index in range(0, len(samples) - size + 1, size):
        event = vad.process(samples[index : index + size], index / rate, FRAME_S)
        if event is None:
            continue
        if event.kind is VadEventKind.SPEECH_START:
            start = event.at
        elif start is not None:
            if event.at - start >= MIN_UTTERANCE_S:
                found.append((int(start * rate), int(event.at * rate)))
            start = None
    if start is not None and len(samples) / rate - start >= MIN_UTTERANCE_S:
        found.append((int(start * rate), len(samples)))
    return found


def _exchanges(conversation: Conversation) -> list[_Exchange]:
    """The final lines as turns, each with the latency measured for it."""
    groups = conversation.turn_lines()
    # Conversation.exchanges() is built on the same groups, with each turn's timing.
    timings = [e.timing for e in conversation.exchanges()]
    found = []
    for (said, answered), timing in zip(groups, timings, strict=False):
        answer = " ".join(line.text for line in answered)
        latency = None
        if timing is not None:
            latency = (
                timing.local_latency_s
                if timing.local_latency_s is not None
                else timing.reply_delay_s
            )
        found.append(
            _Exchange(
                " ".join(line.text for line in said),
                said[0].at if said else None,
                answer,
                answered[0].at if answered else None,
                latency,
            )
        )
    return found


def capture_scenario(
    conversation: Conversation,
    destination: Path,
    *,
    assistant_id: str | None = None,
    assistant: dict[str, Any] | None = None,
    ended_reason: str | None = None,
    local_recording: Path | None = None,
    name: str = "",
) -> Path:
    """Writes ``destination`` (a .toml), its utterance WAVs and, for an inline assistant,
    its JSON beside it; returns the scenario's path. Raises VoicePanelError when there is
    nothing to save or a file cannot be written."""
    exchanges = _exchanges(conversation)
    if not any(e.said or e.answer for e in exchanges):
        raise VoicePanelError(
            "There is no conversation to save yet.",
            "Talk with the assistant first (its live events bring the transcript).",
        )
    stem = destination.stem
    folder = destination.parent
    clips = _clips(local_recording) if local_recording is not None else []
    lines = [
        f"# Saved by VoicePanel from call {conversation.call_id}. Edit the expectations freely:",
        "# the limits were taken from what this conversation measured, with room to spare.",
        f"name = {_toml(name or stem)}",
    ]
    ending = _ending_for(ended_reason)
    if ending is not CallEnding.HANG_UP:
        lines.append(f"end = {_toml(ending.value)}  # as this call ended: {ended_reason}")
    lines.append("")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        lines += _assistant_lines(folder, stem, assistant_id, assistant)
        lines += _tool_responders(conversation)
        clip_index = 0
        for index, exchange in enumerate(exchanges):
            turn = index + 1
            lines += ["", "[[turns]]"]
            if not exchange.said:
                lines.append("silence_ms = 500  # the assistant spoke first")
            elif clip_index < len(clips):
                samples, rate = clips[clip_index]
                clip_index += 1
                wav = folder / f"{stem}-turn-{turn}.wav"
                write_wav(wav, samples, rate)
                lines.append(f"audio = {_toml(wav.name)}")
            elif SANDBOX_PLACEHOLDER.match(exchange.said):
                lines.append(
                    f"say = {_toml('Hello there.')}  # not recorded; VAPI heard {exchange.said}"
                )
            else:
                lines.append(f"say = {_toml(exchange.said)}")
            expect = _expectations(conversation, exchange, exchanges[index + 1 :])
            if index == len(exchanges) - 1 and ended_reason:
                expect.append(f"ended_reason = {_toml(ended_reason)}")
            if expect:
                lines += ["", "[turns.expect]", *expect]
        destination.write_text("\n".join(lines) + "\n", encoding="utf-8")
    except OSError as exc:
        raise VoicePanelError(
            f"Could not save the scenario in {folder}.",
            "Choose a folder you can write to.",
            cause=exc,
        ) from exc
    return destination


def _ending_for(reason: str | None) -> CallEnding:
    """How the scenario should end the call for it to end as this one did."""
    if reason and reason.startswith("customer-ended"):
        return CallEnding.LEAVE
    if reason and reason.startswith("assistant-"):
        return CallEnding.ASSISTANT
    return CallEnding.HANG_UP


def _clips(recording: Path) -> list[tuple[np.ndarray, int]]:
    samples, rate = read_audio(recording)
    edge = int(EDGE_S * rate)
    return [
        (samples[max(0, first - edge) : min(len(samples), last + edge)], rate)
        for first, last in utterances(samples, rate)
    ]


def _assistant_lines(
    folder: Path, stem: str, assistant_id: str | None, assistant: dict[str, Any] | None
) -> list[str]:
    if assistant_id:
        return ["[assistant]", f"id = {_toml(assistant_id)}"]
    if assistant is None:
        raise VoicePanelError(
            "The call's assistant is not known, so the scenario cannot name it.",
            "Start the call again from the window, then save it.",
        )
    config = {k: v for k, v in assistant.items() if k not in PRIVATE_ASSISTANT_KEYS}
    path = folder / f"{stem}-assistant.json"
    path.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return ["[assistant]", f"file = {_toml(path.name)}"]


def _tool_responders(conversation: Conversation) -> list[str]:
    """The answers the tools gave, so the scenario answers them the same way."""
    lines: list[str] = []
    seen: set[str] = set()
    for call in conversation.tool_calls.values():
        if call.name in seen or (call.result is None and call.error is None):
            continue
        seen.add(call.name)
        key, text = ("result", call.result) if call.result is not None else ("error", call.error)
        lines += [
            "",
            "[[responders]]",
            f"tool = {_toml(call.name)}",
            f"{key} = {_toml(text or '')}",
        ]
    return lines


def _expectations(
    conversation: Conversation, exchange: _Exchange, later: list[_Exchange]
) -> list[str]:
    expect = []
    if exchange.latency_s is not None:
        limit = math.ceil((exchange.latency_s * LATENCY_ROOM + LATENCY_MARGIN_S) * 10) * 100
        expect.append(f"reply_within_ms = {limit}  # measured {exchange.latency_s * 1000:.0f} ms")
    words = re.findall(r"[\w']+", exchange.answer)
    if words and not SANDBOX_PLACEHOLDER.match(exchange.answer):
        expect.append(f"transcript_contains = {_toml(' '.join(words[:WORDS_EXPECTED]))}")
    start = exchange.said_at or exchange.answer_at
    end = next((e.said_at for e in later if e.said_at), None)
    for call in conversation.tool_calls.values():
        received = call.received_at
        if start is not None and received >= start - 0.5 and (end is None or received < end):
            arguments = call.arguments if isinstance(call.arguments, dict) else {}
            expect.append(f"tool_called = {_toml({'name': call.name, 'arguments': arguments})}")
    return expect


def _toml(value: Any) -> str:
    """A TOML value (strings in JSON's escapes, which TOML's basic strings share)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        items = ", ".join(f"{_key(k)} = {_toml(v)}" for k, v in value.items())
        return "{ " + items + " }" if items else "{}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(str(value))


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)
