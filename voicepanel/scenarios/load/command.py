"""``voicepanel load SCENARIO --users N --spawn-rate R --duration T``: the scenario's
conversations, many at once, on Locust.

Our options are read here; everything else goes to Locust unchanged (``--master``,
``--worker``, ``--expect-workers``, ``--csv``, ``--html``...). ``--sandbox`` (the default
without a profile) starts one ``voicepanel-sandbox`` process for the test, in its own
process so it does not share the runner's interpreter; workers receive its address from
the master.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

EXIT_WRONG = 2
STOP_TIMEOUT_S = 120  # lets every conversation under way finish when the time is up
SANDBOX_START_S = 30.0


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(
        prog="voicepanel load",
        description="Run many copies of a scenario at once, each in its own room with its own "
        "call, as Locust users. Options not listed here go to Locust.",
        epilog="Examples: voicepanel load examples/scenarios/echo-latency.toml --users 20 "
        "--spawn-rate 5 --duration 60s; add --master --expect-workers 2 here and run "
        "voicepanel load SCENARIO --worker twice. See docs/load-testing.md.",
    )
    parser.add_argument("scenario", type=Path, metavar="SCENARIO")
    parser.add_argument("--users", type=int, default=1, help="concurrent conversations")
    parser.add_argument("--spawn-rate", type=float, default=1.0, help="users started per second")
    parser.add_argument("--duration", default="60s", help="e.g. 90s, 5m (Locust's --run-time)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--sandbox", action="store_true", help="a sandbox for this test (default)")
    where.add_argument("--profile", metavar="NAME", help="the saved profile NAME")
    where.add_argument("--sandbox-url", metavar="URL", help="a voicepanel-sandbox already running")
    parser.add_argument("--report", type=Path, metavar="DIR", help="write load-report.html here")
    parser.add_argument("--web", action="store_true", help="Locust's web UI instead of headless")
    args, rest = parser.parse_known_args(argv)
    if args.users < 1:
        parser.error("--users must be 1 or more")
    if args.spawn_rate <= 0:
        parser.error("--spawn-rate must be above 0")
    return args, rest


def start_sandbox() -> tuple[subprocess.Popen[str], str]:
    """A voicepanel-sandbox on a free port; returns it and its Fishjam URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "voicepanel.sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("Sandbox ready: Fishjam "):
        process.kill()
        raise RuntimeError("the sandbox did not start")
    return process, line.split()[3]


def main(argv: list[str]) -> int:
    args, rest = parse_args(argv)
    try:
        # First, before the SDKs load ssl and sockets: Locust monkey-patches them for gevent.
        import locust  # noqa: F401
    except ImportError:
        print(
            "voicepanel load runs on Locust, which is not installed here. "
            "Install it with: pip install 'voicepanel[load]'",
            file=sys.stderr,
        )
        return EXIT_WRONG
    from locust.util.timespan import parse_timespan

    from voicepanel.scenarios.loader import ScenarioFileError, load_scenario

    try:
        parse_timespan(args.duration)
    except ValueError:
        print(
            f"voicepanel load: --duration {args.duration!r} is not a time like 90s or 5m.",
            file=sys.stderr,
        )
        return EXIT_WRONG
    try:
        load_scenario(args.scenario)
    except ScenarioFileError as exc:
        print(f"voicepanel load: {exc}", file=sys.stderr)
        return EXIT_WRONG
    worker = "--worker" in rest
    sandbox: subprocess.Popen[str] | None = None
    sandbox_url = args.sandbox_url or ""
    if not worker and not args.profile and not sandbox_url:
        try:
            sandbox, sandbox_url = start_sandbox()
        except (OSError, RuntimeError) as exc:
            print(f"voicepanel load: could not start the sandbox ({exc}).", file=sys.stderr)
            return EXIT_WRONG
        print(f"voicepanel load: sandbox at {sandbox_url}", flush=True)
    locust_argv = [
        "locust",
        "-f",
        str(Path(__file__).with_name("locustfile.py")),
        "--scenario",
        str(args.scenario.resolve()),
        "--profile-name",
        args.profile or "",
        "--sandbox-url",
        sandbox_url,
        "--vp-report",
        str(args.report.resolve()) if args.report else "",
    ]
    if not worker:
        locust_argv += ["--users", str(args.users), "--spawn-rate", str(args.spawn_rate)]
        if args.web:
            locust_argv += ["--run-time", args.duration]
        else:
            locust_argv += ["--headless", "--vp-duration", str(parse_timespan(args.duration))]
        if "--stop-timeout" not in rest:
            locust_argv += ["--stop-timeout", str(STOP_TIMEOUT_S)]
    from locust.main import main as locust_main

    saved = sys.argv
    sys.argv = locust_argv + rest
    try:
        locust_main()
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    finally:
        sys.argv = saved
        if sandbox is not None:
            sandbox.terminate()
            try:
                sandbox.wait(10)
            except subprocess.TimeoutExpired:
                sandbox.kill()
    return code
