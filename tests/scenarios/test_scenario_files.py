"""A tester writes scenario files by hand: every example loads, and a file that cannot be
used is refused with one sentence naming the file, the line and the key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

from voicepanel.scenarios.loader import ScenarioFileError, load_scenario
from voicepanel.scenarios.model import CallEnding, TurnKind

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "scenarios"

GOOD = """\
name = "Quick check"

[assistant]
id = "682a7be9-f7e5-53d9-9f87-f0193fd11264"

[[turns]]
say = "Hello there."

[turns.expect]
reply_within_ms = 900
"""


def write(tmp_path: Path, text: str, name: str = "case.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refusal(tmp_path: Path, text: str) -> ScenarioFileError:
    with pytest.raises(ScenarioFileError) as caught:
        load_scenario(write(tmp_path, text))
    return caught.value


def test_every_example_loads_with_its_turns_and_expectations():
    names = {p.stem: load_scenario(p) for p in EXAMPLES.glob("*.toml")}
    assert set(names) >= {"greeting", "echo-latency", "echo-too-slow", "tool-call", "barge-in"}
    assert names["echo-too-slow"].turns[0].expect.reply_within_ms == 300
    tool = names["tool-call"]
    assert tool.responders[0].tool == "lookup_order"
    assert tool.turns[0].expect.tools_called[0].arguments == {"orderNumber": "1234"}
    barge = names["barge-in"].turns[1]
    assert barge.barge_in_after_ms == 800 and barge.kind is TurnKind.SAY
    assert names["greeting"].turns[0].kind is TurnKind.SILENCE
    assert names["echo-latency"].end is CallEnding.LEAVE


def test_a_mistyped_key_names_the_file_line_turn_and_key_with_a_suggestion(tmp_path):
    error = refusal(tmp_path, GOOD.replace("reply_within_ms", "reply_within"))
    assert error.message == (
        'case.toml, line 10, turn 1, key "expect.reply_within": "reply_within" is not a key '
        'here; did you mean "reply_within_ms"?'
    ) or error.message.endswith('did you mean "reply_within_ms"?')
    assert error.line == 10 and "case.toml" in error.message


def test_a_wrong_value_in_the_second_turn_is_placed_on_its_own_line(tmp_path):
    text = GOOD + '\n[[turns]]\nsay = "Again."\n\n[turns.expect]\nreply_within_ms = "fast"\n'
    error = refusal(tmp_path, text)
    assert error.line == 16
    assert 'turn 2, key "expect.reply_within_ms"' in error.message
    assert 'whole number of milliseconds from 1 to 600000, not "fast"' in error.message


def test_broken_toml_says_where(tmp_path):
    error = refusal(tmp_path, GOOD.replace('say = "Hello there."', "say = Hello there"))
    assert error.line == 7 and "is not valid TOML" in error.message


@pytest.mark.parametrize(
    ("change", "line", "words"),
    [
        (('id = "682a7be9-f7e5-53d9-9f87-f0193fd11264"', 'file = "missing.json"'), 4, "no file"),
        (('say = "Hello there."', 'audio = "hello.wav"'), 7, "no file hello.wav"),
        (('say = "Hello there."', 'say = "Hi"\nsilence_ms = 100'), 6, 'exactly one of "say"'),
        (("reply_within_ms = 900", 'transcript_matches = "(unclosed"'), 10, "regular expression"),
        (("reply_within_ms = 900", 'tool_called = { name = "x", args = {} }'), 10, '"args"'),
        (
            ('name = "Quick check"', 'name = "Quick check"\nsample_rate = 44100'),
            2,
            "16000 or 24000",
        ),
        (('name = "Quick check"', 'name = "Quick check"\nend = "vanish"'), 2, '"hang-up"'),
    ],
)
def test_each_kind_of_mistake_is_one_sentence_with_its_line(tmp_path, change, line, words):
    error = refusal(tmp_path, GOOD.replace(*change))
    assert error.line == line, error.message
    assert words in error.message
    assert "\n" not in error.message and error.message.count(": ") >= 1


def test_an_inline_assistant_vapi_would_refuse_is_refused_at_its_key(tmp_path):
    text = GOOD.replace(
        'id = "682a7be9-f7e5-53d9-9f87-f0193fd11264"',
        '[assistant.inline]\nname = "Echo"\ncolour = "blue"',
    ).replace("[assistant]\n[assistant.inline]", "[assistant.inline]")
    error = refusal(tmp_path, text)
    assert "colour" in error.message and "VAPI would refuse" in error.message
    assert error.line == 5


def test_an_audio_turn_needs_a_sound_file_and_plays_one_at_any_rate(tmp_path):
    (tmp_path / "notes.wav").write_text("not audio", encoding="utf-8")
    error = refusal(tmp_path, GOOD.replace('say = "Hello there."', 'audio = "notes.wav"'))
    assert error.line == 7 and "notes.wav is not a sound file" in error.message
    rate = 44100
    tone = 0.2 * np.sin(2 * np.pi * 300 * np.arange(rate // 2) / rate)
    soundfile.write(tmp_path / "hello.wav", tone, rate, subtype="PCM_24")
    scenario = load_scenario(
        write(tmp_path, GOOD.replace('say = "Hello there."', 'audio = "hello.wav"'))
    )
    assert (
        scenario.turns[0].kind is TurnKind.AUDIO
        and scenario.turns[0].audio == tmp_path / "hello.wav"
    )


def test_a_turn_can_barge_in_only_on_a_reply_before_it(tmp_path):
    error = refusal(
        tmp_path, GOOD.replace('say = "Hello there."', 'say = "Hi"\nbarge_in_after_ms = 500')
    )
    assert "no reply before it" in error.message and error.line == 8


def test_the_command_line_refuses_a_bad_file_in_one_line_with_exit_status_2(tmp_path):
    path = write(tmp_path, GOOD.replace("reply_within_ms = 900", "reply_within_ms = -5"))
    done = subprocess.run(
        [sys.executable, "-m", "voicepanel", "run", str(path), "--sandbox"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert lines == [
        'voicepanel run: case.toml, line 10, turn 1, key "expect.reply_within_ms": must be a '
        "whole number of milliseconds from 1 to 600000, not -5."
    ]
    assert "Traceback" not in done.stderr + done.stdout


def test_an_unknown_profile_is_a_set_up_error_in_one_sentence(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "voicepanel", "run", str(EXAMPLES / "greeting.toml")]
        + ["--profile", "Staging"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert done.stderr.strip().startswith('voicepanel run: There is no profile named "Staging".')
    assert "Traceback" not in done.stderr
