"""Smoke test of the Linux installer, as a person would use it.

Builds the .deb with the one command (`bash packaging/build-linux.sh`), or reuses the one
in packaging/dist/ when it is newer than every file it is built from; unpacks it into a
throwaway root (`dpkg -x`) and runs the installed programs from there:

- the package's metadata, file list, size and the menu entry (desktop-file-validate);
- voicepanel-diagnose plays and records through the bundled PortAudio and the system's
  ALSA + PulseAudio plugin, on a private PulseAudio with null sinks;
- the installed voicepanel-sandbox serves the real fishjam SDK from this test;
- the installed app opens its window offscreen (and under Xvfb when it is there) on the
  built-in sandbox, creates a room and quits (`voicepanel --sandbox --smoke-test`);
- as root in CI (or with VOICEPANEL_PACKAGING_SYSTEM=1): `dpkg -i`, run from /usr/bin,
  `dpkg -r`, and nothing of the package is left on the system.

Opt-in: see conftest.py. Environment: VOICEPANEL_DEB=/path/to.deb tests that file instead.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import struct
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

BUILD_TIMEOUT_S = 45 * 60
# The first test builds the .deb in its fixture: allow for that beyond the suite's 120 s.
pytestmark = [pytest.mark.packaging, pytest.mark.timeout(BUILD_TIMEOUT_S + 600)]

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "packaging" / "dist"
MAX_DEB_MB = 150
# The environment as it was before the suite's autouse fixture pointed HOME and the XDG
# folders at temporary ones: the build keeps using the real pip cache.
BUILD_ENV = dict(os.environ)


def _version() -> str:
    text = (ROOT / "voicepanel" / "__init__.py").read_text()
    match = re.search(r'__version__ = "([^"]+)"', text)
    assert match
    return match.group(1)


def _arch() -> str:
    return subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()


def _sources_newest_mtime() -> float:
    newest = (ROOT / "pyproject.toml").stat().st_mtime
    for folder in ("voicepanel", "packaging", "resources"):
        for path in (ROOT / folder).rglob("*"):
            rel = path.relative_to(ROOT).parts
            if rel[:2] in {("packaging", "build"), ("packaging", "dist")} or "__pycache__" in rel:
                continue
            if path.is_file():
                newest = max(newest, path.stat().st_mtime)
    return newest


@pytest.fixture(scope="session")
def deb() -> Path:
    if shutil.which("dpkg-deb") is None:
        pytest.skip("not a Debian/Ubuntu machine: no dpkg-deb")
    if os.environ.get("VOICEPANEL_DEB"):
        return Path(os.environ["VOICEPANEL_DEB"])
    path = DIST / f"voicepanel_{_version()}_{_arch()}.deb"
    if path.exists() and path.stat().st_mtime > _sources_newest_mtime():
        return path
    done = subprocess.run(
        ["bash", str(ROOT / "packaging" / "build-linux.sh")],
        cwd=ROOT,
        env=BUILD_ENV,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
    )
    assert done.returncode == 0, (
        f"build-linux.sh failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    )
    assert path.exists(), done.stdout[-2000:]
    return path


@pytest.fixture(scope="session")
def installed(deb: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package unpacked into a throwaway root; returns that root."""
    root = tmp_path_factory.mktemp("root")
    subprocess.run(["dpkg", "-x", str(deb), str(root)], check=True)
    return root


def _app_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_STATE_HOME=str(home / "state"),
        XDG_CACHE_HOME=str(home / "cache"),
        # No keyring daemon here: the app keeps secrets for this run only.
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        QT_QPA_PLATFORM="offscreen",
    )
    env.update(extra)
    return env


# --- the package ----------------------------------------------------------------------


def test_package_metadata_names_the_app_its_version_and_system_libraries(deb: Path) -> None:
    info = subprocess.run(["dpkg-deb", "-I", str(deb)], capture_output=True, text=True).stdout
    fields = dict(re.findall(r"^ (\S[^:]*): (.*)$", info, re.M))
    assert fields["Package"] == "voicepanel"
    assert fields["Version"] == _version()
    depends = fields["Depends"]
    # ALSA must come from the system (its plugins live where the distribution put them).
    assert "libasound2" in depends
    assert re.search(r"libc6 \(>= 2\.\d+\)", depends)
    assert int(fields["Installed-Size"]) > 50_000


def test_download_is_under_150_mb(deb: Path) -> None:
    size_mb = deb.stat().st_size / 2**20
    print(f".deb size {size_mb:.1f} MB")
    assert size_mb < MAX_DEB_MB


def test_package_installs_to_opt_with_launchers_menu_entry_and_icons(installed: Path) -> None:
    opt = installed / "opt" / "voicepanel"
    for exe in ("voicepanel", "voicepanel-sandbox", "voicepanel-diagnose"):
        assert os.access(opt / exe, os.X_OK), exe
        link = installed / "usr" / "bin" / exe
        assert link.is_symlink() and os.readlink(link) == f"/opt/voicepanel/{exe}"
    assert (installed / "usr/share/applications/voicepanel.desktop").is_file()
    assert (installed / "usr/share/icons/hicolor/scalable/apps/voicepanel.svg").is_file()
    for size in (16, 32, 48, 64, 128, 256, 512):
        png = installed / f"usr/share/icons/hicolor/{size}x{size}/apps/voicepanel.png"
        header = png.read_bytes()[:24]
        assert header[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", header[16:24]) == (size, size), png


def test_bundle_carries_portaudio_but_uses_the_systems_alsa(installed: Path) -> None:
    internal = installed / "opt" / "voicepanel" / "_internal"
    assert list(internal.rglob("libportaudio.so*")), "PortAudio is not in the bundle"
    assert not list(internal.rglob("libasound.so*")), "libasound must come from the system"
    assert list(internal.rglob("voicepanel/resources/voicepanel.svg")), "app icon missing"
    plugins = {p.name for p in (internal / "PySide6/Qt/plugins/platforms").iterdir()}
    assert {"libqxcb.so", "libqoffscreen.so"} <= plugins
    assert not (internal / "PySide6/Qt/plugins/qmltooling").exists()


def test_menu_entry_validates(installed: Path) -> None:
    validator = shutil.which("desktop-file-validate")
    if validator is None:
        pytest.skip("desktop-file-validate missing: apt-get install desktop-file-utils")
    desktop = installed / "usr/share/applications/voicepanel.desktop"
    done = subprocess.run([validator, str(desktop)], capture_output=True, text=True)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr
    text = desktop.read_text()
    assert "Exec=voicepanel\n" in text and "Icon=voicepanel\n" in text


# --- audio from the installed app -------------------------------------------------------


@dataclass
class Pulse:
    env: dict[str, str]
    pid: int


@pytest.fixture(scope="session")
def pulse() -> Iterator[Pulse]:
    """A private PulseAudio whose default input hears its default output."""
    if shutil.which("pulseaudio") is None or shutil.which("pactl") is None:
        pytest.fail("apt-get install pulseaudio pulseaudio-utils libasound2-plugins", pytrace=False)
    runtime = Path(tempfile.mkdtemp(prefix="vp-pkg-pulse-"))
    runtime.chmod(0o700)
    env = dict(
        os.environ, XDG_RUNTIME_DIR=str(runtime), PULSE_SERVER=f"unix:{runtime}/pulse/native"
    )
    subprocess.run(
        [
            "pulseaudio",
            "--daemonize=yes",
            "--exit-idle-time=-1",
            "--disallow-exit",
            "-n",
            "--use-pid-file=yes",
            "--load=module-native-protocol-unix auth-anonymous=1",
            "--load=module-null-sink sink_name=mic",
            "--load=module-null-source source_name=silence",
            # Keep the sink busy: an idle null sink renders in 2 s blocks.
            "--load=module-loopback source=silence sink=mic latency_msec=40",
        ],
        env=env,
        capture_output=True,
        timeout=30,
        check=False,
    )
    pid_file = runtime / "pulse" / "pid"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if pid_file.exists() and pid_file.read_text().strip():
            ok = subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode == 0
            if ok:
                break
        time.sleep(0.1)
    else:
        pytest.fail("PulseAudio did not start", pytrace=False)
    subprocess.run(["pactl", "set-default-sink", "mic"], env=env, check=True)
    subprocess.run(["pactl", "set-default-source", "mic.monitor"], env=env, check=True)
    pid = int(pid_file.read_text().strip())
    try:
        yield Pulse(env, pid)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        shutil.rmtree(runtime, ignore_errors=True)


def test_installed_app_plays_and_records_through_the_systems_pulseaudio(
    installed: Path, pulse: Pulse, tmp_path: Path
) -> None:
    env = _app_env(
        tmp_path,
        XDG_RUNTIME_DIR=pulse.env["XDG_RUNTIME_DIR"],
        PULSE_SERVER=pulse.env["PULSE_SERVER"],
    )
    done = subprocess.run(
        [str(installed / "opt/voicepanel/voicepanel-diagnose")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = done.stdout
    print(out)
    assert done.returncode == 0, out + done.stderr
    assert "AUDIO OK" in out and "heard the tone" in out
    # PortAudio from the bundle; ALSA and its PulseAudio plugin from the system.
    assert re.search(r"PortAudio library\s+" + re.escape(str(installed)), out)
    assert re.search(r"loaded\s+/usr/lib/\S*libasound\.so", out)
    assert "libasound_module_pcm_pulse.so" in out


# --- the sandbox and the window from the installed app -------------------------------------


def test_installed_sandbox_serves_the_fishjam_sdk(installed: Path, tmp_path: Path) -> None:
    fishjam = pytest.importorskip("fishjam")
    process = subprocess.Popen(
        [str(installed / "opt/voicepanel/voicepanel-sandbox"), "--port", "0"],
        env=_app_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # "Sandbox ready: Fishjam http://127.0.0.1:PORT (..."
        match = re.search(r"Fishjam (http://\S+) \(management token (\S+)\)", line)
        assert match, line + (process.stdout.read() if process.poll() is not None else "")
        client = fishjam.FishjamClient(match.group(1), match.group(2))
        room = client.create_room()
        assert room.id in {r.id for r in client.get_all_rooms()}
        client.delete_room(room.id)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0


def _run_app(
    installed: Path, home: Path, args: list[str], platform: str, **extra_env: str
) -> subprocess.CompletedProcess[str]:
    """The installed app, offscreen or as a real X11 window under Xvfb."""
    wrapper: list[str] = []
    if platform == "xcb":
        xvfb_run = shutil.which("xvfb-run")
        if xvfb_run is None:
            pytest.skip("xvfb-run missing: apt-get install xvfb xauth")
        wrapper = [xvfb_run, "-a", "-s", "-screen 0 1280x800x24"]
    return subprocess.run(
        [*wrapper, str(installed / "opt/voicepanel/voicepanel"), *args],
        env=_app_env(home, QT_QPA_PLATFORM=platform, **extra_env),
        capture_output=True,
        text=True,
        timeout=180,
    )


def _log_of(home: Path) -> str:
    path = home / "state/voicepanel/log/voicepanel.log"
    return path.read_text() if path.exists() else "(no log file)"


@pytest.mark.parametrize("platform", ["offscreen", "xcb"])
def test_installed_app_shows_its_window_and_opens_the_sandbox(
    installed: Path, tmp_path: Path, platform: str
) -> None:
    """The app's own start-up probe (VOICEPANEL_EXIT_WHEN_SHOWN, used by the cold-start
    benchmark): the window is shown, the in-process sandbox profile opens, the app quits."""
    done = _run_app(installed, tmp_path, ["--sandbox"], platform, VOICEPANEL_EXIT_WHEN_SHOWN="1")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert "VOICEPANEL_SHOWN" in done.stdout and "VOICEPANEL_LIVE" in done.stdout, output[-4000:]
    log = _log_of(tmp_path)
    assert "Could not open profile" not in log, log[-4000:]
    assert "Uncaught error" not in log and "Traceback" not in log, log[-4000:]


@pytest.mark.parametrize("platform", ["offscreen", "xcb"])
def test_installed_app_opens_its_window_creates_a_room_and_quits(
    installed: Path, tmp_path: Path, platform: str
) -> None:
    """`voicepanel --sandbox --smoke-test` (voicepanel/smoke.py, wired in app.py)."""
    done = _run_app(installed, tmp_path, ["--sandbox", "--smoke-test"], platform)
    output = done.stdout + done.stderr
    if "unrecognized arguments: --smoke-test" in output:
        pytest.skip("voicepanel/app.py has no --smoke-test hook yet (packaging/README.md)")
    assert done.returncode == 0, output[-4000:] + _log_of(tmp_path)[-4000:]
    match = re.search(r"^SMOKE OK (\S+)", done.stdout, re.M)
    assert match, output[-4000:]


# --- dpkg -i / dpkg -r on the real system (CI's throwaway machine) ------------------------


def _package_installed() -> bool:
    done = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", "voicepanel"], capture_output=True, text=True
    )
    return "install ok installed" in done.stdout


def test_dpkg_install_runs_from_the_menu_path_and_remove_leaves_nothing(
    deb: Path, tmp_path: Path
) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root (CI runs as root on a throwaway machine)")
    if not (os.environ.get("CI") or os.environ.get("VOICEPANEL_PACKAGING_SYSTEM") == "1"):
        pytest.skip("changes the real system: only in CI or with VOICEPANEL_PACKAGING_SYSTEM=1")
    if _package_installed():
        pytest.skip("a voicepanel package is already installed here; not touching it")
    listing = subprocess.run(
        ["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True
    ).stdout
    # Every file and symlink of the package (folders like /usr/share/icons are shared).
    ours = [
        line.split(None, 5)[5].split(" -> ")[0].lstrip(".")
        for line in listing.splitlines()
        if not line.startswith("d")
    ]
    ours += ["/opt/voicepanel", "/usr/share/doc/voicepanel"]
    assert not any(os.path.lexists(p) for p in ours), "leftovers from an earlier install"

    done = subprocess.run(["dpkg", "-i", str(deb)], capture_output=True, text=True)
    try:
        assert done.returncode == 0, done.stdout + done.stderr
        # The way a person's menu starts it: through /usr/bin, from any folder.
        run = subprocess.run(
            ["/usr/bin/voicepanel-diagnose", "--no-audio-io"],
            cwd=tmp_path,
            env=_app_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert (
            "VoicePanel" in run.stdout
            and "Bundle                 /opt/voicepanel/_internal" in run.stdout
        ), run.stdout + run.stderr
        # The menu entry's Exec=voicepanel, found on PATH: the window and the sandbox.
        app = subprocess.run(
            ["voicepanel", "--sandbox"],
            cwd=tmp_path,
            env=_app_env(tmp_path, VOICEPANEL_EXIT_WHEN_SHOWN="1", PATH="/usr/bin:/bin"),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert app.returncode == 0 and "VOICEPANEL_LIVE" in app.stdout, app.stdout + app.stderr
    finally:
        removed = subprocess.run(["dpkg", "-r", "voicepanel"], capture_output=True, text=True)
    assert removed.returncode == 0, removed.stdout + removed.stderr
    left = [p for p in ours if os.path.lexists(p)]
    assert not left, f"dpkg -r left {left}"
