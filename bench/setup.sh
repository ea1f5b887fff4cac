#!/usr/bin/env bash
# Prepare the benchmark environment: bench/.venv with dvc (+ gitmodel if installable),
# git-lfs and GNU time from Debian, hyperfine optionally.
#
#   bash bench/setup.sh            # from anywhere
#   SKIP_APT=1 bash bench/setup.sh # only the Python side
#
# Idempotent: re-running only installs what is missing.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$BENCH_DIR/.." && pwd)"
VENV="$BENCH_DIR/.venv"
PYTHON="${PYTHON:-python3}"

log() { printf '[setup] %s\n' "$*"; }
warn() { printf '[setup] WARNING: %s\n' "$*" >&2; }
# pip, quiet; drops the "Location '...' is ignored" noise some pip configs print
pip() { "$VENV/bin/python" -m pip "$@" 2> >(grep -v "is ignored: it is neither a file" >&2); }

# --- system packages (Debian) -------------------------------------------------------
if [[ "${SKIP_APT:-0}" != 1 ]]; then
    SUDO=""
    if [[ "$(id -u)" != 0 ]]; then
        if command -v sudo >/dev/null; then SUDO="sudo"; else warn "not root and no sudo: skipping apt"; SKIP_APT=1; fi
    fi
fi
if [[ "${SKIP_APT:-0}" != 1 ]]; then
    need=()
    command -v git-lfs >/dev/null || need+=(git-lfs)
    [[ -x /usr/bin/time ]] || need+=(time)
    want_hyperfine=0
    command -v hyperfine >/dev/null || want_hyperfine=1
    if ((${#need[@]} > 0 || want_hyperfine)); then
        log "apt-get update"
        $SUDO apt-get update -qq
    fi
    if ((${#need[@]} > 0)); then
        log "apt-get install ${need[*]}"
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
    fi
    if ((want_hyperfine)); then
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq hyperfine \
            || warn "hyperfine not installed (optional; run.py does not need it)"
    fi
fi
command -v git-lfs >/dev/null && log "$(git lfs version)" || warn "git-lfs missing: its column will be skipped"
[[ -x /usr/bin/time ]] || warn "/usr/bin/time missing: peak RSS will not be measured"

# --- Python side ---------------------------------------------------------------------
if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating $VENV with $($PYTHON --version)"
    "$PYTHON" -m venv "$VENV"
fi
pip install -q --upgrade pip
if ! "$VENV/bin/python" -c 'import dvc' 2>/dev/null; then
    log "pip install dvc"
    pip install -q dvc
fi
log "$("$VENV/bin/dvc" --version 2>/dev/null | sed 's/^/dvc /')"

log "pip install -e $REPO_ROOT (gitmodel)"
if pip install -q -e "$REPO_ROOT"; then
    if "$VENV/bin/gitmodel" --help >/dev/null 2>&1; then
        log "gitmodel CLI works"
    else
        warn "gitmodel installed but its CLI does not run yet: run.py will skip gitmodel"
    fi
else
    warn "gitmodel is not installable yet: run.py will skip gitmodel (re-run setup.sh later)"
fi

log "done: $VENV/bin/python $BENCH_DIR/run.py --help"
