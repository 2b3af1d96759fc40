#!/usr/bin/env bash
# Builds VoicePanel.app and VoicePanel-<version>.dmg on macOS (GitHub's macos runner or a Mac).
#
#   bash packaging/macos/build-macos.sh
#
# Same recipe as Linux (packaging/voicepanel.spec); on macOS the spec adds a BUNDLE step
# that makes VoicePanel.app with an Info.plist carrying NSMicrophoneUsageDescription (without
# it macOS ends the app the first time it opens the microphone). The .dmg holds the app and
# a link to /Applications, to drag it onto.
#
# Signing: PyInstaller signs the app ad hoc, which is enough to run on the machine that
# built it. A download from the internet is also checked by Gatekeeper: without a
# Developer ID signature and notarization the person must right-click > Open the first
# time (docs/installing.md says so). With a certificate, set CODESIGN_IDENTITY and the app
# is re-signed with the hardened runtime and packaging/macos/entitlements.plist
# (microphone); notarize with `xcrun notarytool submit --wait` and `xcrun stapler staple`.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=packaging/build
DIST=packaging/dist
VENV=$BUILD/venv
PYTHON=${PYTHON:-python3}
VERSION=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' voicepanel/__init__.py)

[[ -x $VENV/bin/python ]] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
deps=$("$VENV/bin/python" -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))')
dep_array=()  # macOS ships bash 3.2: no mapfile
while IFS= read -r line; do if [[ -n $line ]]; then dep_array+=("$line"); fi; done <<<"$deps"
"$VENV/bin/python" -m pip install -q 'pyinstaller>=6.22,<6.23' "${dep_array[@]}"

# The .icns the spec picks up (packaging/build/voicepanel.icns).
rm -rf "$BUILD/voicepanel.iconset"
QT_QPA_PLATFORM=offscreen "$VENV/bin/python" packaging/make_icons.py --iconset "$BUILD/voicepanel.iconset"
iconutil -c icns "$BUILD/voicepanel.iconset" -o "$BUILD/voicepanel.icns"

"$VENV/bin/pyinstaller" --noconfirm --log-level WARN \
    --distpath "$BUILD/dist" --workpath "$BUILD/work" packaging/voicepanel.spec
APP=$BUILD/dist/VoicePanel.app
[[ -d $APP ]] || { echo "no $APP" >&2; exit 1; }
/usr/libexec/PlistBuddy -c 'Print :NSMicrophoneUsageDescription' "$APP/Contents/Info.plist"
find "$APP" -name 'libportaudio*.dylib' | grep -q . || { echo "PortAudio is not in the app" >&2; exit 1; }

if [[ -n ${CODESIGN_IDENTITY:-} ]]; then
    codesign --force --deep --options runtime --timestamp \
        --entitlements packaging/macos/entitlements.plist --sign "$CODESIGN_IDENTITY" "$APP"
fi
codesign --verify --deep --strict "$APP"

# The disk image: the app and a link to /Applications.
STAGE=$BUILD/dmg
rm -rf "$STAGE"; mkdir -p "$STAGE" "$DIST"
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
DMG=$DIST/VoicePanel-$VERSION.dmg
rm -f "$DMG"
hdiutil create -volname "VoicePanel $VERSION" -srcfolder "$STAGE" -fs HFS+ -format UDZO -ov "$DMG"
ls -l "$DMG"
