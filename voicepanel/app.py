"""The composition root: arguments, logging, the excepthook, the Qt app on a qasync loop,
settings, the main windows and their workspaces; and the orderly shutdown.

Nothing else in the code base builds these objects; a newcomer reads this file to see how
VoicePanel starts and stops.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import logging.handlers
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from voicepanel import __version__
from voicepanel.core.redact import REDACTOR, RedactingFilter
from voicepanel.session.paths import data_dir, log_dir

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from voicepanel.session.profiles import Profile
    from voicepanel.ui.main_window import MainWindow
    from voicepanel.ui.profile_windows import ProfileWindows

log = logging.getLogger("voicepanel")

LOG_FILE = "voicepanel.log"
LOG_BYTES = 2_000_000
LOG_BACKUPS = 5
# Set by benchmarks/cold_start.py: print when the window is shown (and live), then quit.
EXIT_WHEN_SHOWN_ENV = "VOICEPANEL_EXIT_WHEN_SHOWN"
# How long quitting may spend ending calls and agents before the app exits anyway: a
# session manager sends SIGKILL a few seconds after SIGTERM, and a person waits no longer.
QUIT_BUDGET_S = 6.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="voicepanel",
        description="A desktop panel for Fishjam rooms and VAPI voice assistants.",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--sandbox", action="store_true", help="start on the built-in offline sandbox"
    )
    group.add_argument("--profile", metavar="NAME", help="start on the saved profile NAME")
    parser.add_argument("--version", action="version", version=f"VoicePanel {__version__}")
    # The installer's smoke test (packaging/README.md): open, create and delete a room, quit.
    parser.add_argument("--smoke-test", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def setup_logging(folder: Path) -> Path | None:
    """A rotating log file in the user's log folder; every line passes the redactor.

    A folder that cannot be written (full disk, no permission) must not stop the app: the
    log then goes to standard error, and None is returned."""
    path: Path | None = folder / LOG_FILE
    handler: logging.Handler
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            folder / LOG_FILE, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
        )
    except OSError as error:
        print(
            f"VoicePanel cannot write its log in {folder} ({error}); logging here.", file=sys.stderr
        )
        handler = logging.StreamHandler()
        path = None
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s")
    )
    handler.addFilter(RedactingFilter(REDACTOR))
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    root.addHandler(handler)
    # One line per HTTP request would drown the log during a burst of room changes.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return path


def install_excepthook(show: Callable[[BaseException], None]) -> None:
    """Uncaught errors (also from async slots) are logged with their traceback and shown
    to the person as a sentence, without one."""

    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, tb)
            return
        log.error("Uncaught error", exc_info=(kind, error, tb))
        try:
            show(error)
        except Exception:  # noqa: BLE001 - the hook must never raise
            log.exception("Could not show the error")

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        log.error(
            "Uncaught error in thread %s",
            args.thread.name if args.thread else "?",
            exc_info=(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback),
        )

    sys.excepthook = hook
    threading.excepthook = thread_hook


def _loop_exception_handler(show: Callable[[BaseException], None]) -> Callable[..., None]:
    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, object]) -> None:
        error = context.get("exception")
        if isinstance(error, BaseException):
            log.error("Async error: %s", context.get("message"), exc_info=error)
            show(error)
        else:
            log.error("Async error: %s", context.get("message"))

    return handle


def tune_runtime() -> None:
    """Keeps the Qt thread responsive while worker threads (blocking SDK calls) run.

    Python hands the GIL over every 5 ms by default; a busy worker then delays each return
    of the main thread from a system call by up to that much, and a burst of notifications
    makes thousands of those. 1 ms keeps the loop's gaps short at a small throughput cost.
    """
    sys.setswitchinterval(0.001)


def build_app() -> QApplication:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setOrganizationName("VoicePanel")
    app.setApplicationName("VoicePanel")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("voicepanel")
    # Fusion takes the system's light or dark palette and looks the same everywhere.
    app.setStyle("Fusion")
    # The window's close asks about live calls first; quitting is then ours to drive.
    app.setQuitOnLastWindowClosed(False)
    from voicepanel.ui.gui_thread_gc import GuiThreadCollector

    GuiThreadCollector(app).start()
    return app


def build_windows() -> ProfileWindows:
    """The first main window, and what builds the next ones (File > New window): each with
    its own WorkspaceHost; the settings, profiles and secrets are shared."""
    from voicepanel.session.profiles import ProfileStore, SecretStore
    from voicepanel.session.workspace import Workspace
    from voicepanel.ui.main_window import MainWindow
    from voicepanel.ui.profile_windows import ProfileWindows
    from voicepanel.ui.settings import (
        UiSettings,
        legacy_settings,
        migrate_legacy_settings,
        open_settings,
    )
    from voicepanel.ui.workspace_host import OpenProfiles, WorkspaceHost

    settings = UiSettings(open_settings())
    migrate_legacy_settings(settings.qsettings, legacy_settings())
    secrets = SecretStore()
    profiles = ProfileStore()
    open_profiles = OpenProfiles()

    def make_window(number: int) -> MainWindow:
        host = WorkspaceHost(
            lambda profile: Workspace(profile, secrets, data_dir(), profile_store=profiles),
            open_profiles=open_profiles,
        )
        return MainWindow(host, profiles, secrets, settings.for_window(number), log_dir())

    return ProfileWindows(make_window)


def choose_profile(args: argparse.Namespace, window: MainWindow) -> tuple[Profile, str]:
    """The profile to open first, and a notice to show once it is open ("" for none)."""
    from voicepanel.session.profiles import SANDBOX_PROFILE

    if args.sandbox:
        return SANDBOX_PROFILE, ""
    if args.profile:
        profile = window.profiles.get(args.profile)
        if profile is not None:
            return profile, ""
        return SANDBOX_PROFILE, f'There is no profile named "{args.profile}"; opened the sandbox.'
    return window.profiles.last_used, ""


async def run(
    app: QApplication,
    windows: ProfileWindows,
    profile: Profile,
    notice: str = "",
    *,
    smoke: bool = False,
) -> int:
    """Runs until the person quits (or the session ends), then closes every workspace."""
    window, host = windows.first, windows.first.host
    quit_event = asyncio.Event()
    app.aboutToQuit.connect(quit_event.set)
    windows.quit_requested.connect(quit_event.set)
    install_quit_signals(app, windows.quit_unattended)
    nobody_to_ask = smoke or bool(os.environ.get(EXIT_WHEN_SHOWN_ENV))

    async def open_first() -> bool:
        if window.secrets.file_locked and not nobody_to_ask:
            # No keyring here, and an encrypted secrets file: its passphrase, once a start.
            from voicepanel.ui.dialogs.passphrase import ask_passphrase

            await ask_passphrase(window, window.secrets, window.profiles, creating=False)
        return await window.open_profile(profile)

    opening = asyncio.ensure_future(open_first())
    if notice:
        # After opening, which clears the banner of the previous connection's news.
        opening.add_done_callback(
            lambda _: window.feedback.tell(notice, "Open Profiles… to see the saved ones.")
        )
    exit_code = 0
    if nobody_to_ask:
        opened = await opening
        if smoke:
            from voicepanel.smoke import smoke_test

            exit_code = await smoke_test(host.workspace if opened else None, window.isVisible())
        else:
            print(f"VOICEPANEL_LIVE {time.time():.6f}", flush=True)
        quit_event.set()
    await quit_event.wait()
    await shutdown(windows, opening)
    return exit_code


async def shutdown(windows: ProfileWindows, opening: asyncio.Future[bool] | None) -> None:
    """Stops a profile still connecting, then closes every window's workspace at once: the
    local agent, the VAPI calls (unless the person chose to leave them), the notifier, the
    sandbox. One budget for all of them: a second window does not double the wait."""
    if opening is not None:
        opening.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await opening
    windows.save_layouts()
    for window in windows.windows:
        log.info(
            "Closing %s (end calls: %s)",
            window.host.profile.name if window.host.profile else "a window",
            window.end_calls_on_quit,
        )
    workspaces = windows.workspaces()
    try:
        await asyncio.wait_for(windows.close_all(), QUIT_BUDGET_S)
    except TimeoutError:
        still = [entry for w in workspaces for entry in w.ledger.open_entries]
        log.warning(
            "Quitting after %.0f s without finishing the cleanup; may still be running: %s",
            QUIT_BUDGET_S,
            "; ".join(e.describe() for e in still) or "nothing the panel knows of",
        )


_QUIT_SIGNAL_SOCKETS: list[object] = []


def install_quit_signals(app: QApplication, quit_unattended: Callable[[str], None]) -> None:
    """SIGTERM and SIGHUP (`kill`, a closed terminal, a session manager) and the desktop
    session's logout quit without a prompt, ending what the panel started.

    Python runs a signal handler only when the interpreter gets control, and Qt's loop may
    sit idle in C; the handler's wake-up byte on a socket makes Qt hand control back."""
    import socket

    from PySide6.QtCore import QSocketNotifier

    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, app)

    def drain() -> None:
        with contextlib.suppress(OSError):
            reader.recv(64)

    notifier.activated.connect(drain)
    _QUIT_SIGNAL_SOCKETS[:] = [reader, writer, notifier]  # alive as long as the process
    asked = threading.Event()

    def once(why: str) -> None:
        if not asked.is_set():
            asked.set()
            quit_unattended(why)

    for number in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if number is not None:
            signal.signal(number, lambda n, _frame: once(signal.Signals(n).name))
    # Logout: the session manager asks to save; a live call must not outlive the session.
    app.commitDataRequest.connect(lambda _manager: once("the desktop session is ending"))


COMMANDS = ("run", "load")
"""``voicepanel run`` and ``voicepanel load``: scenarios with no window (voicepanel/scenarios)."""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in COMMANDS:
        # Before anything imports Qt: these run with no display, on CI machines.
        from voicepanel.scenarios.commands import run_command

        return run_command(argv[0], argv[1:])
    args = parse_args(argv)
    log_path = setup_logging(log_dir())
    log.info("VoicePanel %s starting; log at %s", __version__, log_path)
    install_excepthook(lambda _error: None)  # logged from here on; shown once a window exists
    os.environ.setdefault("QT_API", "pyside6")
    tune_runtime()
    app = build_app()
    import qasync  # after PySide6, so qasync binds to it

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    windows = build_windows()
    window = windows.first
    install_excepthook(windows.show_error)
    loop.set_exception_handler(_loop_exception_handler(windows.show_error))
    profile, notice = choose_profile(args, window)
    window.show()
    window.show_welcome_once()
    if os.environ.get(EXIT_WHEN_SHOWN_ENV):
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, lambda: print(f"VOICEPANEL_SHOWN {time.time():.6f}", flush=True))

    try:
        with loop:
            try:
                return loop.run_until_complete(
                    run(app, windows, profile, notice, smoke=args.smoke_test)
                )
            except RuntimeError as error:
                # Qt quit on its own (the desktop session ended): the loop stopped under
                # run(); start it once more just to close the workspace cleanly.
                log.warning("Qt quit before the workspace closed: %s", error)
                loop.run_until_complete(shutdown(windows, None))
                return 0
    finally:
        log.info("VoicePanel stopped")
        logging.shutdown()
