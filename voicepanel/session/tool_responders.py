"""Responder rules: how the panel answers a tool call by itself, per tool name.

A rule answers with a canned result or an error, after an optional delay (to see what the
assistant does when a tool is slow, or fails, or answers after VAPI stopped waiting). The
rule named TRANSFER_RULE answers transfer-destination requests (its result is the
destination's JSON). Rules are kept per profile in responders.json in the config folder.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from voicepanel.core.errors import VoicePanelError
from voicepanel.session.json_file import read_json, write_json
from voicepanel.session.paths import config_dir

log = logging.getLogger(__name__)

FILE_NAME = "responders.json"
TRANSFER_RULE = "transfer-destination-request"
MAX_DELAY_S = 120.0


class RuleAction(Enum):
    RESULT = "result"
    ERROR = "error"


@dataclass(frozen=True)
class ResponderRule:
    tool: str  # the tool's function name, or TRANSFER_RULE
    action: RuleAction = RuleAction.RESULT
    text: str = ""  # the result (JSON or text), the error message, or the destination JSON
    delay_s: float = 0.0

    def problems(self) -> list[str]:
        found = []
        if not self.tool.strip():
            found.append("A rule needs the tool's name.")
        if not 0 <= self.delay_s <= MAX_DELAY_S:
            found.append(f"The delay for {self.tool or 'a rule'} must be 0 to {MAX_DELAY_S:.0f} s.")
        if self.tool == TRANSFER_RULE and self.action is RuleAction.RESULT:
            try:
                destination = json.loads(self.text)
            except ValueError:
                destination = None
            if not isinstance(destination, dict):
                found.append(
                    'A transfer rule\'s result must be a destination object, e.g. {"type": '
                    '"number", "number": "+14155550100"}.'
                )
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "action": self.action.value,
            "text": self.text,
            "delay_s": self.delay_s,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ResponderRule:
        return cls(
            tool=str(data["tool"]),
            action=RuleAction(data.get("action", RuleAction.RESULT.value)),
            text=str(data.get("text") or ""),
            delay_s=float(data.get("delay_s") or 0.0),
        )


class ResponderRules:
    """One profile's rules, read from and saved to ``path`` (shared by all profiles)."""

    def __init__(self, profile: str, path: Path | None = None) -> None:
        self.profile = profile
        self.path = path if path is not None else config_dir() / FILE_NAME
        self.rules: tuple[ResponderRule, ...] = tuple(self._read_all().get(profile, ()))

    def for_tool(self, name: str) -> ResponderRule | None:
        """The first rule for ``name``, if any."""
        return next((r for r in self.rules if r.tool == name), None)

    def replace(self, rules: list[ResponderRule]) -> None:
        """Saves ``rules`` as this profile's; raises VoicePanelError naming what is wrong."""
        problems = [p for rule in rules for p in rule.problems()]
        names = [r.tool for r in rules]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            problems.append(f"Two rules for {', '.join(duplicates)}: keep one per tool.")
        if problems:
            raise VoicePanelError("The rules were not saved.", " ".join(problems))
        everything = self._read_all()
        everything[self.profile] = list(rules)
        try:
            self._write_all(everything)
        except OSError as exc:
            raise VoicePanelError(
                f"Could not save the responder rules in {self.path}.",
                "Check that you may write to the settings folder.",
                cause=exc,
            ) from exc
        self.rules = tuple(rules)

    def _read_all(self) -> dict[str, list[ResponderRule]]:
        data = read_json(self.path)
        result: dict[str, list[ResponderRule]] = {}
        profiles = data.get("profiles") if isinstance(data, dict) else None
        for name, items in (profiles or {}).items():
            rules = []
            for item in items if isinstance(items, list) else []:
                try:
                    rules.append(ResponderRule.from_json(item))
                except (KeyError, ValueError, TypeError):
                    log.warning("Skipped an unreadable responder rule in %s", self.path)
            result[str(name)] = rules
        return result

    def _write_all(self, everything: dict[str, list[ResponderRule]]) -> None:
        data = {
            "version": 1,
            "profiles": {name: [r.to_json() for r in rules] for name, rules in everything.items()},
        }
        write_json(self.path, data)
