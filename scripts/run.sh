#!/usr/bin/env bash
# Starts VoicePanel on the built-in offline sandbox (installing what it needs first).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [[ "$(uname)" == Linux && -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" && -z "${QT_QPA_PLATFORM:-}" ]]; then
    echo "No display here: starting the sandbox server alone (the window needs a desktop)."
    exec .venv/bin/voicepanel-sandbox "$@"
fi
exec .venv/bin/voicepanel --sandbox "$@"
