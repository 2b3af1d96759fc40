#!/usr/bin/env bash
# Builds the VoicePanel installer for Debian/Ubuntu: packaging/dist/voicepanel_<version>_<arch>.deb
#
#   bash packaging/build-linux.sh            # from the repository root (or anywhere)
#
# Steps: a build venv in packaging/build/venv (PyInstaller 6.22 and the app's dependencies,
# from PyPI), the one-folder bundle from packaging/voicepanel.spec, checks on the bundle
# (PortAudio inside, libasound not), then a .deb staged by hand and packed by dpkg-deb:
#   /opt/voicepanel/                       the bundle (voicepanel, voicepanel-sandbox, voicepanel-diagnose)
#   /usr/bin/voicepanel{,-sandbox,-diagnose}   symlinks into /opt/voicepanel
#   /usr/share/applications/voicepanel.desktop
#   /usr/share/icons/hicolor/{16x16..512x512,scalable}/apps/voicepanel.{png,svg}
#   /usr/share/doc/voicepanel/copyright
# No maintainer scripts: Debian's icon-cache and desktop-database triggers do the rest, so
# `dpkg -r voicepanel` leaves nothing behind.
#
# Environment: PYTHON (default python3, 3.11 to match the app), CLEAN=1 for a clean
# PyInstaller build, SKIP_PIP=1 to reuse the build venv as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${BUILD:-$ROOT/packaging/build}
DIST=$ROOT/packaging/dist
VENV=${VENV:-$BUILD/venv}
PYTHON=${PYTHON:-python3}
PYINSTALLER_SPEC='pyinstaller>=6.22,<6.23'

log() { printf '\n== %s\n' "$*"; }
die() { printf 'build-linux: %s\n' "$*" >&2; exit 1; }

command -v dpkg-deb >/dev/null || die "dpkg-deb is needed (Debian/Ubuntu build machine)"
VERSION=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' voicepanel/__init__.py)
[[ -n $VERSION ]] || die "no __version__ in voicepanel/__init__.py"
ARCH=$(dpkg --print-architecture)
[[ -f voicepanel/app.py ]] || die "voicepanel/app.py is missing: nothing to package yet"

# --- 1. build venv --------------------------------------------------------------------
start=$(date +%s)
if [[ ! -x $VENV/bin/python ]]; then
    log "Creating the build venv ($VENV)"
    "$PYTHON" -m venv "$VENV"
fi
# Reinstall when the app's dependencies or the PyInstaller pin change.
deps=$("$VENV/bin/python" - <<'EOF'
import tomllib
print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))
EOF
)
stamp_want=$(printf '%s\n%s\n' "$deps" "$PYINSTALLER_SPEC" | sha256sum | cut -c1-16)
if [[ ${SKIP_PIP:-0} != 1 && "$(cat "$VENV/.stamp" 2>/dev/null)" != "$stamp_want" ]]; then
    log "Installing PyInstaller and the app's dependencies into the build venv"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    mapfile -t dep_array <<<"$deps"
    "$VENV/bin/python" -m pip install -q "$PYINSTALLER_SPEC" "${dep_array[@]}"
    echo "$stamp_want" >"$VENV/.stamp"
fi

# --- 2. icons (rendered from resources/voicepanel.svg when it changed) ------------------
if [[ ! -f resources/icons/voicepanel-512.png || resources/voicepanel.svg -nt resources/icons/voicepanel-512.png ]]; then
    log "Rendering icons"
    QT_QPA_PLATFORM=offscreen "$VENV/bin/python" packaging/make_icons.py
fi

# --- 3. the bundle --------------------------------------------------------------------
log "PyInstaller: packaging/voicepanel.spec"
clean=()
[[ ${CLEAN:-0} == 1 ]] && clean=(--clean)
"$VENV/bin/pyinstaller" --noconfirm "${clean[@]}" --log-level WARN \
    --distpath "$BUILD/dist" --workpath "$BUILD/work" packaging/voicepanel.spec
BUNDLE=$BUILD/dist/voicepanel
[[ -x $BUNDLE/voicepanel && -x $BUNDLE/voicepanel-diagnose && -x $BUNDLE/voicepanel-sandbox ]] \
    || die "the bundle lacks an executable"

# pyenv-style Pythons ship libpython and their extension modules with debug info (~20 MB).
if command -v strip >/dev/null; then
    find "$BUNDLE/_internal" -maxdepth 1 -name 'libpython3*.so*' -type f -exec strip --strip-debug {} +
    find "$BUNDLE/_internal" -path '*/lib-dynload/*.so' -type f -exec strip --strip-debug {} +
fi

log "Checking the bundle"
portaudio=$(find "$BUNDLE" -name 'libportaudio.so*' | head -1)
[[ -n $portaudio ]] || die "PortAudio is not in the bundle (install libportaudio2 on the build machine)"
echo "PortAudio bundled: ${portaudio#"$BUNDLE"/}"
if find "$BUNDLE" -name 'libasound.so*' | grep -q .; then
    die "libasound is in the bundle: the system's must be used (packaging/elfdeps.py)"
fi
echo "libasound: not bundled (the system's is used, with its PulseAudio/PipeWire plugin)"
find "$BUNDLE/_internal/PySide6/Qt/plugins" -name '*.so' -printf '  Qt plugin %P\n' | sort

# --- 4. stage the .deb ----------------------------------------------------------------
log "Staging the .deb"
PKG=$BUILD/deb/voicepanel_${VERSION}_${ARCH}
rm -rf "$PKG"
mkdir -p "$PKG/DEBIAN" "$PKG/opt" "$PKG/usr/bin" "$PKG/usr/share/applications" \
    "$PKG/usr/share/doc/voicepanel" "$PKG/usr/share/icons/hicolor/scalable/apps"
cp -a "$BUNDLE" "$PKG/opt/voicepanel"
for exe in voicepanel voicepanel-sandbox voicepanel-diagnose; do
    ln -s "/opt/voicepanel/$exe" "$PKG/usr/bin/$exe"
done
install -m 0644 packaging/linux/voicepanel.desktop "$PKG/usr/share/applications/voicepanel.desktop"
for png in resources/icons/voicepanel-*.png; do
    size=${png##*-}; size=${size%.png}
    mkdir -p "$PKG/usr/share/icons/hicolor/${size}x${size}/apps"
    install -m 0644 "$png" "$PKG/usr/share/icons/hicolor/${size}x${size}/apps/voicepanel.png"
done
install -m 0644 resources/voicepanel.svg "$PKG/usr/share/icons/hicolor/scalable/apps/voicepanel.svg"
install -m 0644 packaging/linux/copyright "$PKG/usr/share/doc/voicepanel/copyright"
# Files readable by all, executables and folders 0755, nothing writable but by root.
find "$PKG" -path "$PKG/DEBIAN" -prune -o -type d -exec chmod 0755 {} +
find "$PKG/opt" -type f -exec chmod go-w,a+r {} +

depends=$("$VENV/bin/python" packaging/elfdeps.py depends "$PKG/opt/voicepanel")
[[ -n $depends ]] || die "could not work out the package's Depends"
installed_kb=$(du -sk --apparent-size "$PKG" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@DEPENDS@/$depends/" \
    -e "s/@INSTALLED_SIZE@/$installed_kb/" packaging/linux/control.in >"$PKG/DEBIAN/control"
echo "Depends: $depends"

if command -v desktop-file-validate >/dev/null; then
    desktop-file-validate "$PKG/usr/share/applications/voicepanel.desktop"
    echo "desktop-file-validate: OK"
else
    echo "desktop-file-validate not installed (apt-get install desktop-file-utils): skipped"
fi

# --- 5. pack --------------------------------------------------------------------------
log "Packing"
mkdir -p "$DIST"
DEB=$DIST/voicepanel_${VERSION}_${ARCH}.deb
rm -f "$DIST"/voicepanel_*.deb
threads=()
dpkg-deb --help | grep -q -- --threads-max && threads=(--threads-max="$(nproc)")
dpkg-deb --root-owner-group -Zxz "${threads[@]}" --build "$PKG" "$DEB" >/dev/null
echo "$DEB"
printf '.deb size: %s MB, installed size: %s MB, bundle: %s MB, built in %s s\n' \
    "$(($(stat -c %s "$DEB") / 1048576))" "$((installed_kb / 1024))" \
    "$(($(du -sk "$BUNDLE" | cut -f1) / 1024))" "$(($(date +%s) - start))"
