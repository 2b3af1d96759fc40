"""``voicepanel run``: runs scenario files with no window, display or sound card, prints a
line per turn, and writes JUnit XML and an HTML report when asked.

Exit status: 0 when every expectation held, 1 when one failed, 2 when a file, the
command line or the set-up (profile, server, assistant) is wrong. Never imports Qt.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from voicepanel.core.errors import VoicePanelError
from voicepanel.core.redact import REDACTOR, RedactingFilter
from voicepanel.core.wording import plural
from voicepanel.scenarios.junit import write_junit
from voicepanel.scenarios.loader import ScenarioFileError, display_path, load_scenario
from voicepanel.scenarios.model import Scenario
from voicepanel.scenarios.report import write_report
from voicepanel.scenarios.results import Outcome, RunResult, TurnResult
from voicepanel.scenarios.runner import ScenarioRunner
from voicepanel.scenarios.stats import turn_latencies
from voicepanel.scenarios.workspaces import open_workspace

EXIT_PASSED, EXIT_FAILED, EXIT_WRONG = 0, 1, 2
MAX_REPEAT = 1000


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="voicepanel run",
        description="Run conversation scenarios against an assistant and score every turn.",
        epilog="Exit status: 0 every expectation held, 1 one failed, 2 a file or the set-up "
        "is wrong. Scenario files are described in docs/scenarios.md.",
    )
    parser.add_argument("scenarios", nargs="+", metavar="SCENARIO", type=Path)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--sandbox", action="store_true", help="run on the built-in sandbox")
    where.add_argument("--profile", metavar="NAME", help="run on the saved profile NAME")
    parser.add_argument("--junit", metavar="PATH", type=Path, help="write JUnit XML here")
    parser.add_argument(
        "--report", metavar="DIR", type=Path, help="write report.html and the recordings here"
    )
    parser.add_argument(
        "--repeat", metavar="N", type=int, default=1, help="run each scenario N times"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.repeat <= MAX_REPEAT:
        parser.error(f"--repeat must be from 1 to {MAX_REPEAT}")
    return args


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    args = parse_args(sys.argv[1:] if argv is None else argv)
    _quiet_logging()
    try:
        scenarios = [load_scenario(path) for path in args.scenarios]
        profile = chosen_profile(args.sandbox, args.profile, scenarios)
    except (ScenarioFileError, VoicePanelError) as exc:
        print(f"voicepanel run: {exc}", file=sys.stderr)
        return EXIT_WRONG
    try:
        results = asyncio.run(_run_all(scenarios, profile, args, out))
    except VoicePanelError as exc:
        print(f"voicepanel run: {exc}", file=sys.stderr)
        return EXIT_WRONG
    except KeyboardInterrupt:
        print("voicepanel run: interrupted.", file=sys.stderr)
        return EXIT_WRONG
    try:
        if args.junit is not None:
            write_junit(results, args.junit)
            print(f"JUnit XML: {args.junit}", file=out)
        if args.report is not None:
            path = write_report(results, args.report)
            print(f"Report: {path}", file=out)
    except OSError as exc:
        print(f"voicepanel run: could not write the results ({exc}).", file=sys.stderr)
        return EXIT_WRONG
    print_summary(results, args.repeat, out)
    return exit_status(results)


def exit_status(results: list[RunResult]) -> int:
    if any(r.outcome is Outcome.ERROR for r in results):
        return EXIT_WRONG
    if any(r.outcome is Outcome.FAILED for r in results):
        return EXIT_FAILED
    return EXIT_PASSED


def chosen_profile(sandbox: bool, profile: str | None, scenarios: list[Scenario]) -> str | None:
    """The profile to run on (None: the sandbox): the command line's, else the one the
    files name; files that name different profiles need the command line to choose."""
    if sandbox:
        return None
    if profile:
        return profile
    named = {s.profile for s in scenarios}
    if len(named) > 1:
        raise VoicePanelError(
            "The scenarios name different profiles ("
            + ", ".join(sorted(p or "the sandbox" for p in named))
            + ").",
            "Choose one with --profile NAME or --sandbox.",
        )
    return named.pop() if named else None


async def _run_all(
    scenarios: list[Scenario], profile: str | None, args: argparse.Namespace, out: TextIO
) -> list[RunResult]:
    keep = args.report is not None
    folder = (
        args.report / "recordings" if keep else Path(tempfile.mkdtemp(prefix="voicepanel-run-"))
    )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise VoicePanelError(f"Could not create the report folder {folder}.", str(exc)) from exc
    workspace = await open_workspace(profile)
    results: list[RunResult] = []
    try:
        runner = ScenarioRunner(workspace, folder, on_turn=_progress(out), record=keep)
        for scenario in scenarios:
            for repeat in range(1, args.repeat + 1):
                suffix = f" (run {repeat} of {args.repeat})" if args.repeat > 1 else ""
                print(
                    f"{scenario.name}{suffix}  [{display_path(scenario.path)}]",
                    file=out,
                    flush=True,
                )
                result = await runner.run(scenario, repeat)
                results.append(result)
                print(_run_line(result), file=out, flush=True)
    finally:
        await workspace.close()
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
    return results


def _progress(out: TextIO):  # noqa: ANN202 - a TurnListener
    def on_turn(_run: RunResult, turn: TurnResult) -> None:
        print(turn_line(turn), file=out, flush=True)

    return on_turn


def turn_line(turn: TurnResult) -> str:
    """One turn as the terminal shows it: the verdict, then what failed or what was heard."""
    heard = []
    if turn.latency_ms is not None:
        heard.append(f"reply after {turn.latency_ms:.0f} ms")
    if turn.reply is not None and turn.reply.duration_s is not None:
        heard.append(f"{turn.reply.duration_s:.1f} s long")
    if not heard and turn.note:
        heard.append(turn.note.rstrip("."))
    detail = ", ".join(heard)
    if turn.passed:
        return f"  ok      {turn.turn.title}" + (f"  ({detail})" if detail else "")
    failures = "; ".join(f"{c.name} {c.expected}, measured {c.measured}" for c in turn.failures)
    return f"  FAILED  {turn.turn.title}: {failures}"


def _run_line(result: RunResult) -> str:
    if result.outcome is Outcome.ERROR:
        return f"  ERROR   {result.error}"
    verdict = "passed" if result.passed else f"FAILED ({plural(len(result.failed_turns), 'turn')})"
    ended = f", call ended: {result.ended_reason}" if result.ended_reason else ""
    notes = "".join(f"\n  note: {n}" for n in result.notes)
    return f"  {verdict} in {result.duration_s:.1f} s{ended}{notes}"


def print_summary(results: list[RunResult], repeat: int, out: TextIO) -> None:
    passed = sum(1 for r in results if r.outcome is Outcome.PASSED)
    failed = sum(1 for r in results if r.outcome is Outcome.FAILED)
    errors = sum(1 for r in results if r.outcome is Outcome.ERROR)
    if repeat > 1:
        print("\nReply latency at the local agent, across runs (ms):", file=out)
        print(
            f"  {'turn':<52} {'runs':>4} {'p50':>6} {'p90':>6} {'p95':>6} {'max':>6} {'limit':>6}",
            file=out,
        )
        for row in turn_latencies(results):
            cells = [row.percentile(p) for p in (50, 90, 95)] + [row.max_ms]
            shown = " ".join(f"{v:>6.0f}" if v is not None else f"{'-':>6}" for v in cells)
            limit = f"{row.limit_ms:>6}" if row.limit_ms is not None else f"{'-':>6}"
            title = f"{row.scenario} / {row.turn}"
            title = title if len(title) <= 52 else title[:49] + "..."
            print(f"  {title:<52} {row.runs:>4} {shown} {limit}", file=out)
    print(f"\n{passed} passed, {failed} failed, {errors} could not run", file=out)


def _quiet_logging() -> None:
    handler = logging.StreamHandler()
    handler.setLevel(logging.WARNING)
    handler.addFilter(RedactingFilter(REDACTOR))
    handler.setFormatter(logging.Formatter("voicepanel run: %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
