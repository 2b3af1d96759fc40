"""`python -m voicepanel.sandbox` / `voicepanel-sandbox`: run the sandbox alone until stopped."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import signal
import sys

from voicepanel.sandbox.server import Sandbox, SandboxConfig, new_webhook_secret

EXIT_OK = 0
EXIT_CANNOT_LISTEN = 2


def parse_args(argv: list[str] | None) -> SandboxConfig:
    defaults = SandboxConfig()
    parser = argparse.ArgumentParser(
        prog="voicepanel-sandbox",
        description="A local server that speaks Fishjam's and VAPI's protocols.",
    )
    parser.add_argument("--host", default=defaults.host)
    parser.add_argument("--port", type=int, default=defaults.port, help="0 picks a free port")
    parser.add_argument("--token", default=defaults.token, help="Fishjam management token")
    parser.add_argument("--vapi-key", default=defaults.vapi_key, help="VAPI API key")
    parser.add_argument(
        "--webhook-secret",
        default=None,
        help="what webhook deliveries are signed with (default: a new random secret)",
    )
    parser.add_argument(
        "--reply-delay-ms",
        type=int,
        default=int(defaults.reply_delay_s * 1000),
        help="how long assistants wait before replying (VAPI's startSpeakingPlan.waitSeconds)",
    )
    parser.add_argument(
        "--end-of-turn-ms",
        type=int,
        default=int(defaults.end_of_turn_s * 1000),
        help="the quiet after which an assistant takes the user's turn as ended",
    )
    args = parser.parse_args(argv)
    if not 0 <= args.reply_delay_ms <= 10_000:
        parser.error("--reply-delay-ms must be from 0 to 10000")
    if not 20 <= args.end_of_turn_ms <= 10_000:
        parser.error("--end-of-turn-ms must be from 20 to 10000")
    if args.webhook_secret == "":
        parser.error("--webhook-secret must not be empty")
    return SandboxConfig(
        host=args.host,
        port=args.port,
        token=args.token,
        vapi_key=args.vapi_key,
        reply_delay_s=args.reply_delay_ms / 1000,
        end_of_turn_s=args.end_of_turn_ms / 1000,
        webhook_secret=args.webhook_secret or new_webhook_secret(),
    )


async def serve(config: SandboxConfig) -> int:
    sandbox = Sandbox(config)
    try:
        await sandbox.start()
    except OSError as exc:
        print(
            f"voicepanel-sandbox: cannot listen on {config.host}:{config.port}: "
            f"{exc.strerror or exc}. Is another sandbox running there? "
            "Stop it, or choose another port with --port.",
            file=sys.stderr,
        )
        return EXIT_CANNOT_LISTEN
    # What is loaded by now lives as long as the process: keep it out of the cyclic
    # collector's full passes, which would otherwise walk it all and stop the forwarding
    # for tens of milliseconds each time (docs/benchmarks.md, "Sandbox routing").
    gc.collect()
    gc.freeze()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(
        f"Sandbox ready: Fishjam {sandbox.fishjam_url} (management token {config.token}), "
        f"VAPI {sandbox.vapi_base_url} (API key {config.vapi_key}), "
        f"webhooks signed with secret {config.webhook_secret}",
        flush=True,
    )
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await sandbox.stop()
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    config = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return asyncio.run(serve(config))
    except KeyboardInterrupt:
        return EXIT_OK
