#!/usr/bin/env bash
# Create .venv with a Python >= 3.12 and install the simulator with its extras.
# Usage: bash setup.sh [extras]   (default extras: test,dashboard,sweep,analysis)
set -euo pipefail
cd "$(dirname "$0")"
extras="${1:-test,dashboard,sweep,analysis}"

is_312() { "$@" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }

find_python() {
    for candidate in python3.13 python3.12 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && is_312 "$candidate"; then
            echo "$candidate"; return 0
        fi
    done
    # pyenv shims refuse to run a version that is installed but not selected.
    if command -v pyenv >/dev/null 2>&1; then
        for version in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[2-9]|[2-9][0-9])' | sort -rV); do
            local exe
            exe="$(pyenv root)/versions/$version/bin/python3"
            if [ -x "$exe" ] && is_312 "$exe"; then echo "$exe"; return 0; fi
        done
    fi
    return 1
}

if [ ! -x .venv/bin/python ] || ! is_312 .venv/bin/python; then
    if ! py="$(find_python)"; then
        echo "error: no Python >= 3.12 found (Mesa 3 needs it)." >&2
        echo "Install one, e.g. 'pyenv install 3.12' or 'apt-get install python3.12 python3.12-venv', then re-run." >&2
        exit 1
    fi
    echo "using $py ($("$py" --version))"
    rm -rf .venv
    "$py" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[${extras}]"
# Numba compiles the kernels once and caches them: done here, so that the first run is fast
.venv/bin/python -m sim.warmup
echo "ready: .venv/bin/python -m sim"
