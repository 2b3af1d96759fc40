"""The scenario command lines the ``voicepanel`` entry point forwards to before it imports
Qt: ``voicepanel run`` (scenarios, scored) and ``voicepanel load`` (many at once, on
Locust)."""

from __future__ import annotations


def run_command(name: str, argv: list[str]) -> int:
    if name == "load":
        from voicepanel.scenarios.load.command import main as load_main

        return load_main(argv)
    from voicepanel.scenarios.cli import main as run_main

    return run_main(argv)
