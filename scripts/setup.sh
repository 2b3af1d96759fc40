#!/usr/bin/env bash
# Installs what VoicePanel needs on this machine: the Debian packages (when run as root or
# with sudo), a virtual environment in .venv with the app and its test tools, and the
# JavaScript SDK the conformance test drives (tests/js/node_modules).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
    while read -r pkg condition; do
        [[ -z "$pkg" || "$pkg" == \#* ]] && continue
        # "unless-command:NAME": not needed when NAME is already on PATH (e.g. a newer Node).
        if [[ "$condition" == unless-command:* ]] && command -v "${condition#*:}" >/dev/null 2>&1; then
            continue
        fi
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$pkg")
    done < scripts/system-packages.txt
fi
if ((${#missing[@]})); then
    sudo=""
    [[ $(id -u) -ne 0 ]] && sudo="sudo"
    echo "Installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
    "$python" -m venv .venv
fi
stamp=.venv/.voicepanel-installed
if [[ ! -f $stamp || pyproject.toml -nt $stamp ]]; then
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e '.[test,dev]'
    touch "$stamp"
fi

# npm ci only when the lock file changed since the last install (node_modules is kept).
js=tests/js
if [[ ! -f $js/node_modules/.package-lock.json || $js/package-lock.json -nt $js/node_modules/.package-lock.json ]]; then
    (cd "$js" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error)
fi
