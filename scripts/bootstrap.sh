#!/usr/bin/env bash
# Create .venv with everything opwatch needs, on a fresh machine.
#
# 1. System packages listed in scripts/system-packages.txt are installed with apt-get when
#    missing (only when running as root or with sudo; otherwise they are reported).
# 2. A Python >= 3.11 is found, a virtual environment created in $VENV (default .venv), and the
#    pinned dependencies of requirements.lock installed, then opwatch itself in editable mode.
# Re-running is cheap: each step is skipped when already done.
set -euo pipefail

cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"

log() { printf 'bootstrap: %s\n' "$*" >&2; }

install_system_packages() {
    local wanted=() missing=()
    mapfile -t wanted < <(grep -vE '^\s*(#|$)' scripts/system-packages.txt || true)
    for package in "${wanted[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null; then sudo="sudo"; else
            log "missing system packages: ${missing[*]} (run as root to install them)"; return 1
        fi
    fi
    log "installing system packages: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

find_python() {
    for candidate in python3 python3.11 python3.12 python3.13; do
        if command -v "$candidate" >/dev/null \
            && "$candidate" -c "import sys; sys.exit(sys.version_info < (3, 11))" 2>/dev/null; then
            echo "$candidate"; return 0
        fi
    done
    log "no Python >= 3.11 found; install python3 (3.11 or newer)"; return 1
}

if command -v apt-get >/dev/null; then install_system_packages; fi
PYTHON="$(find_python)"
if [ ! -x "$VENV/bin/python" ]; then
    log "creating $VENV with $PYTHON"
    "$PYTHON" -m venv "$VENV"
fi
log "installing pinned dependencies"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements.lock
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps -e .
log "ready: $VENV/bin/opwatch"
