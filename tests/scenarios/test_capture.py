"""Saving the conversation just had as a scenario: what was said becomes WAV files beside
it, what the assistant did becomes expectations, and the saved scenario runs again and
passes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from voicepanel.scenarios.capture import capture_scenario, utterances
from voicepanel.scenarios.loader import load_scenario
from voicepanel.scenarios.model import TurnKind
from voicepanel.scenarios.runner import ScenarioRunner
from voicepanel.scenarios.workspaces import open_workspace

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "scenarios"


def test_utterances_are_found_by_energy_with_short_pauses_kept_inside():
    rate = 16000
    tone = 0.3 * np.sin(2 * np.pi * 220 * np.arange(int(0.6 * rate)) / rate).astype(np.float32)
    quiet = np.zeros(int(0.3 * rate), dtype=np.float32)
    gap = np.zeros(int(1.2 * rate), dtype=np.float32)
    samples = np.concatenate([gap, tone, quiet, tone, gap, tone, gap])
    found = utterances(samples, rate)
    assert len(found) == 2  # the 0.3 s pause stays inside the first
    first, second = found
    assert abs(first[0] / rate - 1.2) < 0.05 and abs(first[1] / rate - 2.7) < 0.05
    assert abs(second[0] / rate - 3.9) < 0.05


async def test_a_conversation_saved_as_a_scenario_runs_again_and_passes(tmp_path):
    workspace = await open_workspace(None)
    try:
        runner = ScenarioRunner(workspace, tmp_path / "runs")
        had = await runner.run(load_scenario(EXAMPLES / "echo-latency.toml"))
        assert had.passed
        recording = next(r.path for r in had.recordings if r.label == "you")
        record = workspace.calls.get(had.call_id)
        saved = capture_scenario(
            workspace.calls.conversation(had.call_id),
            tmp_path / "saved" / "again.toml",
            assistant_id=record.call.assistant_id,
            assistant=record.call.raw.get("assistant"),
            ended_reason=had.ended_reason,
            local_recording=recording,
        )
        text = saved.read_text(encoding="utf-8")
        assert "X-Vapi-Secret" not in text and "headers" not in text
        scenario = load_scenario(saved)
        assert [t.kind for t in scenario.turns] == [TurnKind.AUDIO, TurnKind.AUDIO]
        assert all(t.audio is not None and t.audio.exists() for t in scenario.turns)
        for turn, measured in zip(scenario.turns, had.turns, strict=True):
            assert turn.expect.reply_within_ms is not None
            assert turn.expect.reply_within_ms >= measured.latency_ms
        assert scenario.turns[-1].expect.ended_reason == "customer-ended-call"
        assistant = (saved.parent / "again-assistant.json").read_text(encoding="utf-8")
        assert "server" not in assistant and "Quick echo" in assistant
        again = await runner.run(scenario)
        assert again.passed, [c.sentence() for t in again.turns for c in t.checks]
    finally:
        await workspace.close()
