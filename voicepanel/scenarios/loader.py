"""Reads a scenario file (TOML; every key is described in docs/scenarios.md) into a
``Scenario``.

A file that cannot be used is refused with one ``ScenarioFileError`` whose message is a
single sentence naming the file, the line and the key, e.g.
``echo.toml, line 14, turn 2, key "expect.reply_within_ms": must be a whole number of
milliseconds from 1 to 600000, not "fast".`` Nothing in a file makes the runner raise
anything else.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import soundfile

from voicepanel.core.errors import VoicePanelError
from voicepanel.core.fishjam_gateway import RoomSpec
from voicepanel.scenarios.key_lines import KeyLines
from voicepanel.scenarios.key_lines import Path as KeyPath
from voicepanel.scenarios.model import (
    SAMPLE_RATES,
    AssistantChoice,
    CallEnding,
    Expectations,
    Responder,
    Scenario,
    ScenarioTurn,
    ToolExpectation,
    TurnKind,
)
from voicepanel.speech import MAX_TEXT_CHARS
from voicepanel.vapi_schema import assistant_problems

T = TypeVar("T")

MAX_MS = 600_000
MAX_FILE_BYTES = 1_000_000
TOP_KEYS = (
    "name",
    "description",
    "sandbox",
    "profile",
    "sample_rate",
    "reply_timeout_s",
    "end",
    "end_timeout_s",
    "room",
    "assistant",
    "responders",
    "turns",
)
ROOM_KEYS = (
    "type",
    "max_peers",
    "video_codec",
    "webhook_url",
    "public",
    "batch_webhook_notifications",
)
ASSISTANT_KEYS = ("id", "file", "inline")
RESPONDER_KEYS = ("tool", "result", "error", "delay_ms")
TURN_KEYS = ("name", "say", "audio", "silence_ms", "barge_in_after_ms", "expect")
EXPECT_KEYS = (
    "reply_within_ms",
    "reply_min_s",
    "reply_max_s",
    "transcript_contains",
    "transcript_matches",
    "tool_called",
    "ended_reason",
)


class ScenarioFileError(VoicePanelError):
    """A scenario file that cannot be used; ``message`` is the one sentence to show."""

    def __init__(self, path: Path, line: int | None, key: str | None, problem: str) -> None:
        where = [display_path(path)]
        if line is not None:
            where.append(f"line {line}")
        if key:
            where.append(key)
        super().__init__(f"{', '.join(where)}: {problem}")
        self.path = path
        self.line = line
        self.key = key
        self.problem = problem


def display_path(path: Path) -> str:
    """``path`` as a person reads it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_scenario(path: Path | str) -> Scenario:
    """The scenario in ``path``; raises ScenarioFileError for anything unusable."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioFileError(path, None, None, "there is no such file.") from None
    except OSError as exc:
        raise ScenarioFileError(path, None, None, f"could not be read ({exc.strerror}).") from exc
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioFileError(
            path, None, None, f"is {len(raw)} bytes; a scenario file may have at most 1 MB."
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioFileError(path, line, None, "is not UTF-8 text.") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(path, str(exc)) from None
    return _Reader(path, KeyLines(text)).scenario(data)


def _syntax_error(path: Path, message: str) -> ScenarioFileError:
    found = re.search(r"\(at line (\d+), column (\d+)\)", message)
    line = int(found.group(1)) if found else None
    problem = re.sub(r"\s*\(at line \d+, column \d+\)|\s*\(at end of document\)", "", message)
    column = f" at column {found.group(2)}" if found else ""
    problem = problem[:1].lower() + problem[1:]
    return ScenarioFileError(path, line, None, f"is not valid TOML: {problem}{column}.")


class _Reader:
    def __init__(self, path: Path, lines: KeyLines) -> None:
        self.path = path
        self.lines = lines

    # -- errors ---------------------------------------------------------------------------

    def fail(self, key: KeyPath, problem: str) -> ScenarioFileError:
        return ScenarioFileError(self.path, self.lines.line_of(key), _key_name(key), problem)

    def check_keys(self, table: dict[str, Any], where: KeyPath, allowed: tuple[str, ...]) -> None:
        for key in table:
            if key not in allowed:
                near = _nearest(key, allowed)
                hint = f'; did you mean "{near}"?' if near else f"; it takes {_list(allowed)}."
                raise self.fail((*where, key), f'"{key}" is not a key here{hint}')

    # -- typed values ---------------------------------------------------------------------

    def table(self, data: dict[str, Any], key: KeyPath) -> dict[str, Any]:
        value = _get(data, key[-1])
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a table, not {_shown(value)}.")
        return value

    def text(self, value: Any, key: KeyPath, *, empty: bool = False) -> str:
        if not isinstance(value, str):
            raise self.fail(key, f"must be text in quotes, not {_shown(value)}.")
        if not empty and not value.strip():
            raise self.fail(key, "must not be empty.")
        return value

    def boolean(self, value: Any, key: KeyPath) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, f"must be true or false, not {_shown(value)}.")
        return value

    def whole(self, value: Any, key: KeyPath, low: int, high: int, unit: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(
                key, f"must be a whole number of {unit} from {low} to {high}, not {_shown(value)}."
            )
        return value

    def seconds(self, value: Any, key: KeyPath, low: float, high: float) -> float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not (low <= value <= high)
        ):
            raise self.fail(
                key, f"must be a number of seconds from {low:g} to {high:g}, not {_shown(value)}."
            )
        return float(value)

    def choice(self, value: Any, key: KeyPath, choices: tuple[str, ...]) -> str:
        if value not in choices:
            raise self.fail(key, f"must be one of {_list(choices)}, not {_shown(value)}.")
        return str(value)

    def optional(
        self, table: dict[str, Any], where: KeyPath, key: str, read: Callable[[Any, KeyPath], T]
    ) -> T | None:
        return read(table[key], (*where, key)) if key in table else None

    # -- the file -------------------------------------------------------------------------

    def scenario(self, data: dict[str, Any]) -> Scenario:
        self.check_keys(data, (), TOP_KEYS)
        if "sandbox" in data and "profile" in data:
            raise self.fail(("profile",), 'give "sandbox" or "profile", not both.')
        profile = self.optional(data, (), "profile", self.text)
        if "sandbox" in data and not self.boolean(data["sandbox"], ("sandbox",)):
            raise self.fail(("sandbox",), 'false says nothing: name a "profile" instead.')
        turns = self.turns(data)
        return Scenario(
            path=self.path,
            name=self.optional(data, (), "name", self.text) or self.path.stem,
            description=self.optional(data, (), "description", self.text) or "",
            profile=profile,
            sample_rate=self.optional(data, (), "sample_rate", self.rate) or 16000,
            reply_timeout_s=self.optional(
                data, (), "reply_timeout_s", lambda v, k: self.seconds(v, k, 0.5, 600)
            )
            or 15.0,
            end=CallEnding(
                self.optional(
                    data,
                    (),
                    "end",
                    lambda v, k: self.choice(v, k, tuple(e.value for e in CallEnding)),
                )
                or CallEnding.HANG_UP.value
            ),
            end_timeout_s=self.optional(
                data, (), "end_timeout_s", lambda v, k: self.seconds(v, k, 0.5, 600)
            )
            or 15.0,
            room=self.room(self.table(data, ("room",))),
            assistant=self.assistant(data),
            responders=self.responders(data),
            turns=turns,
        )

    def rate(self, value: Any, key: KeyPath) -> int:
        if value not in SAMPLE_RATES or isinstance(value, bool):
            raise self.fail(key, f"must be 16000 or 24000 (Hz), not {_shown(value)}.")
        return int(value)

    def room(self, table: dict[str, Any]) -> RoomSpec:
        where: KeyPath = ("room",)
        self.check_keys(table, where, ROOM_KEYS)
        spec = RoomSpec(
            max_peers=self.optional(
                table, where, "max_peers", lambda v, k: self.whole(v, k, 0, 10_000, "peers")
            ),
            video_codec=self.optional(
                table, where, "video_codec", lambda v, k: self.choice(v, k, ("h264", "vp8"))
            ),
            webhook_url=self.optional(table, where, "webhook_url", self.text),
            room_type=self.optional(table, where, "type", self.text) or "conference",
            public=bool(self.optional(table, where, "public", self.boolean)),
            batch_webhook_notifications=bool(
                self.optional(table, where, "batch_webhook_notifications", self.boolean)
            ),
        )
        try:
            spec.validate()
        except VoicePanelError as exc:
            key = "type" if "type" in exc.message else next(iter(table), "type")
            message = exc.message.removeprefix("Could not create the room.").strip()
            raise self.fail((*where, key), _sentence(message, exc.hint)) from None
        return spec

    def assistant(self, data: dict[str, Any]) -> AssistantChoice:
        where: KeyPath = ("assistant",)
        if "assistant" not in data:
            raise self.fail(
                (), 'has no [assistant]: give its "id", a "file" or an [assistant.inline] table.'
            )
        table = self.table(data, where)
        self.check_keys(table, where, ASSISTANT_KEYS)
        given = [k for k in ASSISTANT_KEYS if k in table]
        if len(given) != 1:
            raise self.fail(
                where,
                'needs exactly one of "id", "file" or [assistant.inline], not '
                + (_list(tuple(given)) if given else "none")
                + ".",
            )
        key = given[0]
        if key == "id":
            return AssistantChoice(assistant_id=self.text(table["id"], (*where, "id")).strip())
        if key == "inline":
            inline = self.table(table, (*where, "inline"))
            self.check_assistant(inline, (*where, "inline"))
            return AssistantChoice(inline=inline)
        file = self.folder_path(self.text(table["file"], (*where, "file")))
        try:
            inline = json.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise self.fail(
                (*where, "file"), f"there is no file {file.name} beside the scenario."
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise self.fail((*where, "file"), f"{file.name} could not be read ({exc}).") from None
        except ValueError as exc:
            raise self.fail((*where, "file"), f"{file.name} is not JSON ({exc}).") from None
        if not isinstance(inline, dict):
            raise self.fail(
                (*where, "file"), f"{file.name} must hold one JSON object, an assistant."
            )
        self.check_assistant(inline, (*where, "file"), named_by=file.name)
        return AssistantChoice(inline=inline, source=file)

    def check_assistant(self, config: dict[str, Any], key: KeyPath, named_by: str = "") -> None:
        """VAPI's own check of an assistant, before anything is sent."""
        root = "assistant"
        problems = assistant_problems(config, root)
        if not problems:
            return
        first = problems[0]
        if named_by:
            raise self.fail(key, f"{named_by}: {first}.")
        found = re.match(rf"{root}((?:\.[A-Za-z0-9_]+)*)", first)
        inner = tuple(p for p in (found.group(1).split(".") if found else []) if p)
        unknown = re.search(r"property (\S+) should not exist", first)
        if unknown:
            inner = (*inner[: -1 if inner[-1:] == ("property",) else None], unknown.group(1))
        raise self.fail((*key, *inner), f"VAPI would refuse this assistant: {first}.")

    def folder_path(self, name: str) -> Path:
        candidate = Path(name).expanduser()
        return candidate if candidate.is_absolute() else self.path.parent / candidate

    def responders(self, data: dict[str, Any]) -> tuple[Responder, ...]:
        items = data.get("responders", [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise self.fail(("responders",), "must be [[responders]] tables.")
        found: dict[str, Responder] = {}
        for index, table in enumerate(items):
            where: KeyPath = ("responders", index)
            self.check_keys(table, where, RESPONDER_KEYS)
            if "tool" not in table:
                raise self.fail(where, 'needs the "tool" it answers.')
            tool = self.text(table["tool"], (*where, "tool")).strip()
            if tool in found:
                raise self.fail((*where, "tool"), f'"{tool}" already has a responder above.')
            if ("result" in table) == ("error" in table):
                raise self.fail(where, 'needs exactly one of "result" or "error".')
            found[tool] = Responder(
                tool=tool,
                result=self.optional(table, where, "result", self.answer_text),
                error=self.optional(table, where, "error", self.answer_text),
                delay_ms=self.optional(
                    table,
                    where,
                    "delay_ms",
                    lambda v, k: self.whole(v, k, 0, 120_000, "milliseconds"),
                )
                or 0,
            )
        return tuple(found.values())

    def answer_text(self, value: Any, key: KeyPath) -> str:
        """A result may be text, or a table that is sent as JSON."""
        if isinstance(value, dict | list):
            return json.dumps(value, separators=(",", ":"))
        return self.text(value, key, empty=True)

    def turns(self, data: dict[str, Any]) -> tuple[ScenarioTurn, ...]:
        items = data.get("turns")
        if items is None:
            raise self.fail((), "has no [[turns]]: a scenario needs at least one.")
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items) or not items:
            raise self.fail(("turns",), "must be one or more [[turns]] tables.")
        return tuple(self.turn(index, table) for index, table in enumerate(items))

    def turn(self, index: int, table: dict[str, Any]) -> ScenarioTurn:
        where: KeyPath = ("turns", index)
        self.check_keys(table, where, TURN_KEYS)
        kinds = [k for k in ("say", "audio", "silence_ms") if k in table]
        if len(kinds) != 1:
            raise self.fail(
                where,
                f'turn {index + 1} needs exactly one of "say", "audio" or "silence_ms", not '
                + (_list(tuple(kinds)) if kinds else "none")
                + ".",
            )
        label = self.optional(table, where, "name", self.text) or ""
        barge = self.optional(
            table,
            where,
            "barge_in_after_ms",
            lambda v, k: self.whole(v, k, 0, MAX_MS, "milliseconds"),
        )
        if barge is not None and index == 0:
            raise self.fail(
                (*where, "barge_in_after_ms"),
                "the first turn has no reply before it to barge in on.",
            )
        if barge is not None and "silence_ms" in table:
            raise self.fail((*where, "barge_in_after_ms"), "a silent turn cannot barge in.")
        expect = self.expectations(self.table(table, (*where, "expect")), (*where, "expect"))
        turn = ScenarioTurn(
            index + 1, TurnKind.SILENCE, barge_in_after_ms=barge, label=label, expect=expect
        )
        if "say" in table:
            text = self.text(table["say"], (*where, "say"))
            if len(text) > MAX_TEXT_CHARS:
                raise self.fail(
                    (*where, "say"),
                    f"is {len(text)} characters; at most {MAX_TEXT_CHARS} are spoken.",
                )
            return replace(turn, kind=TurnKind.SAY, text=text)
        if "audio" in table:
            audio = self.folder_path(self.text(table["audio"], (*where, "audio")))
            if not audio.is_file():
                raise self.fail(
                    (*where, "audio"), f"there is no file {audio.name} beside the scenario."
                )
            try:
                soundfile.info(str(audio))
            except (soundfile.LibsndfileError, RuntimeError, OSError):
                raise self.fail(
                    (*where, "audio"), f"{audio.name} is not a sound file (WAV, FLAC, OGG...)."
                ) from None
            return replace(turn, kind=TurnKind.AUDIO, audio=audio)
        silence = self.whole(table["silence_ms"], (*where, "silence_ms"), 0, MAX_MS, "milliseconds")
        return replace(turn, silence_ms=silence)

    def expectations(self, table: dict[str, Any], where: KeyPath) -> Expectations:
        self.check_keys(table, where, EXPECT_KEYS)
        reply_min = self.optional(
            table, where, "reply_min_s", lambda v, k: self.seconds(v, k, 0, 600)
        )
        reply_max = self.optional(
            table, where, "reply_max_s", lambda v, k: self.seconds(v, k, 0, 600)
        )
        if reply_min is not None and reply_max is not None and reply_min > reply_max:
            raise self.fail((*where, "reply_max_s"), f"is below reply_min_s ({reply_min:g} s).")
        return Expectations(
            reply_within_ms=self.optional(
                table,
                where,
                "reply_within_ms",
                lambda v, k: self.whole(v, k, 1, MAX_MS, "milliseconds"),
            ),
            reply_min_s=reply_min,
            reply_max_s=reply_max,
            transcript_contains=self.optional(table, where, "transcript_contains", self.words)
            or (),
            transcript_matches=self.optional(table, where, "transcript_matches", self.pattern),
            tools_called=self.optional(table, where, "tool_called", self.tools) or (),
            ended_reason=self.optional(table, where, "ended_reason", self.text),
        )

    def words(self, value: Any, key: KeyPath) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else value
        if (
            not isinstance(items, list)
            or not items
            or not all(isinstance(i, str) and i.strip() for i in items)
        ):
            raise self.fail(key, f"must be text, or a list of texts, not {_shown(value)}.")
        return tuple(items)

    def pattern(self, value: Any, key: KeyPath) -> re.Pattern[str]:
        text = self.text(value, key)
        try:
            return re.compile(text, re.IGNORECASE)
        except re.error as exc:
            raise self.fail(key, f"is not a regular expression ({exc}).") from None

    def tools(self, value: Any, key: KeyPath) -> tuple[ToolExpectation, ...]:
        items = [value] if isinstance(value, dict) else value
        if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
            raise self.fail(
                key, 'must be a table like { name = "lookup_order" }, or a list of them.'
            )
        found = []
        for index, item in enumerate(items):
            where = key if isinstance(value, dict) else (*key, index)
            self.check_keys(item, where, ("name", "arguments"))
            if "name" not in item:
                raise self.fail(where, 'needs the tool\'s "name".')
            arguments = item.get("arguments", {})
            if not isinstance(arguments, dict):
                raise self.fail((*where, "arguments"), f"must be a table, not {_shown(arguments)}.")
            found.append(ToolExpectation(self.text(item["name"], (*where, "name")), arguments))
        return tuple(found)


def _get(data: dict[str, Any], key: str | int) -> Any:
    return data.get(key) if isinstance(key, str) else None


def _key_name(path: KeyPath) -> str | None:
    """``("turns", 1, "expect", "x")`` -> ``turn 2, key "expect.x"``."""
    if not path:
        return None
    parts: list[str] = []
    prefix = ""
    items = list(path)
    if len(items) >= 2 and items[0] in ("turns", "responders") and isinstance(items[1], int):
        noun = "turn" if items[0] == "turns" else "responder"
        prefix = f"{noun} {items[1] + 1}"
        items = items[2:]
    for item in items:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1] if parts else ''}[{item + 1}]"]
        else:
            parts.append(item)
    key = f'key "{".".join(parts)}"' if parts else ""
    return ", ".join(p for p in (prefix, key) if p) or None


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value) if len(value) <= 40 else json.dumps(value[:37] + "...")
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return str(value)


def _list(names: tuple[str, ...]) -> str:
    quoted = [f'"{n}"' for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _nearest(key: str, allowed: tuple[str, ...]) -> str | None:
    import difflib

    found = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    return found[0] if found else None


def _sentence(message: str, hint: str) -> str:
    text = f"{message} {hint}".strip()
    return text[:1].lower() + text[1:]
