"""Regenerates the live-events screenshots in docs/screenshots/ from the real window, driven
the way a tester drives it: the app runs under Xvfb at 1280x720 with a window manager, and
xdotool presses its keys and clicks its controls; the tester's voice is eSpeak speech
played into a private PulseAudio daemon's virtual microphone.

    python scripts/live_screenshots.py [--out docs/screenshots]

Needs Xvfb, openbox, xdotool and ImageMagick's ``import`` (apt: xvfb openbox xdotool
imagemagick), and PulseAudio as the audio tests do. Makes:

- live-conversation.png: an Echo call the tester talks to as a local agent, with the
  transcript, the speech timeline and each turn's delays (VAPI's and at the speaker);
- live-tool-call.png: the Order desk assistant's tool call waiting, the answer typed;
- live-tool-answered.png: the assistant's next line saying that answer.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.audio_pulse import PulseRig, start_pulse, stop_daemon  # noqa: E402

SIZE = "1280x720"
MAIN_WINDOW = "VoicePanel — Sandbox"
RATE = 16000

# Where the controls are, in their window's coordinates (read off a screenshot): the empty
# part of the Add VAPI dialog's assistant list and, in the calls dock's newest card, the
# Tools tab's answer box and the Conversation tab.
ASSISTANT_LIST = (330, 160)
ANSWER_BOX = (954, 255)
CONVERSATION_TAB = (896, 164)


class Screen:
    """An X display with a window manager, and xdotool on it."""

    def __init__(self) -> None:
        self.display = f":{_free_display()}"
        self.env = {**os.environ, "DISPLAY": self.display}
        self.processes = [
            subprocess.Popen(
                ["Xvfb", self.display, "-screen", "0", f"{SIZE}x24", "-nolisten", "tcp"]
            )
        ]
        time.sleep(1.0)
        self.processes.append(
            subprocess.Popen(["openbox"], env=self.env, stderr=subprocess.DEVNULL)
        )
        time.sleep(1.0)

    def xdo(self, *args: str) -> str:
        done = subprocess.run(["xdotool", *args], env=self.env, capture_output=True, text=True)
        return done.stdout.strip()

    def window(self, name: str, timeout_s: float = 30.0) -> str:
        """The active window once its title has ``name`` (what a tester looks at)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            active = self.xdo("getactivewindow")
            if active and name in self.xdo("getwindowname", active):
                return active
            time.sleep(0.2)
        raise SystemExit(f"no window named {name!r} came up")

    def key(self, *keys: str, pause_s: float = 0.6) -> None:
        self.xdo("key", *keys)
        time.sleep(pause_s)

    def click(self, window: str, at: tuple[int, int], pause_s: float = 0.4) -> None:
        """Clicks at ``at`` in ``window``'s own coordinates (wherever the window manager put
        it; X translates them, so its frame and any misreported position do not count)."""
        self.xdo("mousemove", "--window", window, str(at[0]), str(at[1]), "click", "1")
        time.sleep(pause_s)

    def type(self, text: str) -> None:
        self.xdo("type", "--delay", "15", text)

    def shoot(self, path: Path) -> None:
        subprocess.run(["import", "-window", "root", str(path)], env=self.env, check=True)
        print(path)

    def close(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
            process.wait(timeout=10)


def _free_display() -> int:
    for number in range(70, 99):
        if (
            not Path(f"/tmp/.X11-unix/X{number}").exists()
            and not Path(f"/tmp/.X{number}-lock").exists()
        ):
            return number
    raise SystemExit("no free X display number")


def say(pulse: PulseRig, lines: list[str], gap_s: float, folder: Path) -> None:
    """Speaks ``lines`` into the virtual microphone, ``gap_s`` of quiet after each; returns
    when the last one has been played."""
    from voicepanel.speech.synthesis import synthesize

    parts = []
    for line in lines:
        parts += [np.frombuffer(synthesize(line, RATE), "<i2"), np.zeros(int(gap_s * RATE), "<i2")]
    path = folder / f"say-{time.monotonic_ns()}.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(np.concatenate(parts).tobytes())
    subprocess.run(["paplay", "-d", "mic", str(path)], env=pulse.env, check=True)


def add_assistant(screen: Screen, room: str, name: str) -> None:
    """A new room named ``room``, then Add VAPI assistant with the saved assistant ``name``."""
    screen.key("ctrl+n")
    screen.window("Create room")
    screen.type(room)  # the dialog opens on its Name field
    screen.key("Return", pause_s=1.5)
    screen.window(MAIN_WINDOW)  # the dialog closes once the room is made
    screen.key("ctrl+shift+v")
    dialog = screen.window("Add VAPI assistant")
    time.sleep(2.0)  # the list is read from the sandbox
    screen.click(dialog, ASSISTANT_LIST)  # below the rows: focuses the list
    screen.type(name)  # the list jumps to the assistant whose name is typed
    time.sleep(0.3)
    screen.key("Return", pause_s=4.0)  # Start call; Fishjam connects the assistant
    screen.window(MAIN_WINDOW, timeout_s=60)  # the call started: the dialog closed


def join_as_agent(screen: Screen) -> str:
    screen.key("ctrl+j")
    agent = screen.window("Agent in room")
    screen.xdo("windowmove", agent, "0", "30")  # aside, so the call card shows
    time.sleep(4.0)  # joined, devices open, the echo canceller settled
    return agent


def take(out: Path, pulse: PulseRig, screen: Screen, folder: Path) -> None:
    env = {**screen.env, **{k: pulse.env[k] for k in ("XDG_RUNTIME_DIR", "PULSE_SERVER")}}
    env.pop("QT_QPA_PLATFORM", None)
    app = subprocess.Popen(
        [sys.executable, "-m", "voicepanel", "--sandbox"], env=env, stdout=subprocess.DEVNULL
    )
    try:
        screen.window("Welcome to VoicePanel")
        screen.key("Return")
        main = screen.window(MAIN_WINDOW)

        # An Echo call, talked to as a local agent.
        add_assistant(screen, "Support demo", "Echo")
        agent = join_as_agent(screen)
        say(
            pulse,
            [
                "Hello, I would like to check on my order.",
                "It is order number fifteen.",
                "Thank you, that is all for today.",
            ],
            gap_s=5.0,
            folder=folder,
        )
        time.sleep(1.0)
        screen.shoot(out / "live-conversation.png")
        screen.xdo("windowclose", agent)  # closing the agent window leaves the room
        time.sleep(2.0)
        screen.xdo("windowactivate", "--sync", main)

        # The Order desk looks the order up with a tool; the tester answers from the card.
        add_assistant(screen, "Checkout QA", "Order desk")
        join_as_agent(screen)
        say(pulse, ["Where is my order?"], gap_s=4.0, folder=folder)
        screen.xdo("windowactivate", "--sync", main)
        screen.click(main, ANSWER_BOX)
        screen.type('{"status": "out for delivery", "eta": "Friday"}')
        time.sleep(0.5)
        screen.shoot(out / "live-tool-call.png")
        screen.key("Return", pause_s=9.0)  # the assistant says what the tool answered
        screen.click(main, CONVERSATION_TAB, pause_s=1.0)
        screen.shoot(out / "live-tool-answered.png")
    except SystemExit:
        screen.shoot(folder / "what-the-screen-showed.png")  # where the driving went wrong
        raise
    finally:
        app.terminate()  # ends its calls and agents first
        try:
            app.wait(timeout=60)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="voicepanel-live-shots-"))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        os.environ[var] = str(home / var.lower())
    os.environ["HOME"] = str(home)
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    args.out.mkdir(parents=True, exist_ok=True)
    pulse = start_pulse()
    screen = Screen()
    try:
        take(args.out.resolve(), pulse, screen, home)
    finally:
        screen.close()
        stop_daemon(pulse)
    return 0


if __name__ == "__main__":
    sys.exit(main())
