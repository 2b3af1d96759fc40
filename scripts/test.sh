#!/usr/bin/env bash
# Runs VoicePanel's checks and tests: the layer contracts, lint, then pytest.
# Audio tests start their own PulseAudio daemon with null sinks (tests/audio/conftest.py).
# Extra arguments go to pytest, e.g. `scripts/test.sh -m packaging` for the installer test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export QT_QPA_PLATFORM=offscreen
.venv/bin/lint-imports
.venv/bin/ruff check voicepanel tests benchmarks scripts packaging
.venv/bin/python -m pytest -p no:cacheprovider "$@"
