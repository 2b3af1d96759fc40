"""Running a scenario from the window: the room and the call appear in the window while
the turns' results fill in the Scenario dock, and Ctrl+R runs the last one again."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from panel_helpers import find_top, until
from PySide6.QtGui import QKeySequence

from voicepanel.scenarios.results import Outcome

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "scenarios"


def cells(dock: Any) -> list[list[str]]:
    table = dock.table
    return [
        [(table.item(r, c).text() if table.item(r, c) else "") for c in range(table.columnCount())]
        for r in range(table.rowCount())
    ]


async def test_a_scenario_runs_in_the_window_and_its_turns_fill_in(panel: Any) -> None:
    dock = panel.scenario
    seen_call: list[str] = []

    async def watch() -> None:
        # While the scenario runs, its call has a card in the calls dock.
        while not seen_call:
            seen_call.extend(panel.calls.cards)
            await asyncio.sleep(0.05)

    watcher = asyncio.ensure_future(watch())
    result = await dock.run_file(EXAMPLES / "echo-latency.toml")
    watcher.cancel()
    assert result is not None and result.outcome is Outcome.PASSED, result
    assert seen_call == [result.call_id]
    rows = cells(dock)
    assert [r[0] for r in rows if r[0]] == [t.turn.title for t in result.turns]
    assert [r[1] for r in rows if r[1]] == ["passed", "passed"]
    assert any(r[2] == "reply starts within 1200 ms" and r[3].endswith(" ms") for r in rows)
    assert dock.status.text().startswith("Passed in ")
    assert dock.report_button.isEnabled()


async def test_ctrl_r_runs_the_last_scenario_again_and_shows_what_failed(panel: Any) -> None:
    dock = panel.scenario
    first = await dock.run_file(EXAMPLES / "echo-too-slow.toml")
    assert first is not None and first.outcome is Outcome.FAILED
    assert dock.act_rerun.shortcut() == QKeySequence("Ctrl+R")
    results: list[Any] = []
    dock.finished.connect(results.append)
    dock.act_rerun.trigger()
    await until(lambda: results, 60, "the second run")
    again = results[0]
    assert again.scenario.path == first.scenario.path and again.call_id != first.call_id
    rows = cells(dock)
    assert rows[0][1] == "FAILED"
    assert rows[0][2] == "reply starts within 300 ms" and int(rows[0][3].split()[0]) > 300
    assert dock.status.text().startswith("Failed: 1 of 1 turn ")


async def test_the_conversation_just_had_is_saved_as_a_scenario_that_runs_again(
    panel: Any, tmp_path: Path
) -> None:
    from PySide6.QtWidgets import QFileDialog, QLineEdit

    from voicepanel.scenarios.loader import load_scenario
    from voicepanel.scenarios.model import TurnKind

    dock = panel.scenario
    had = await dock.run_file(EXAMPLES / "echo-latency.toml")
    assert had is not None and had.passed
    dock.act_save.trigger()
    dialog = await until(lambda: find_top(QFileDialog), what="the save dialog")
    target = tmp_path / "saved" / "my-call.toml"
    target.parent.mkdir()
    dialog.findChild(QLineEdit, "fileNameEdit").setText(str(target))
    dialog.accept()
    await until(lambda: target.exists(), 20, "the saved scenario")
    saved = load_scenario(target)
    assert [t.kind for t in saved.turns] == [TurnKind.AUDIO, TurnKind.AUDIO]  # your own voice
    await until(lambda: "Saved the conversation as my-call.toml" in panel.banner.text, what="note")
    results: list[Any] = []
    dock.finished.connect(results.append)
    dock.act_rerun.trigger()  # Ctrl+R now runs the saved scenario
    await until(lambda: results, 90, "the saved scenario's run")
    assert results[0].scenario.path == target and results[0].passed
