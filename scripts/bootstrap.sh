#!/usr/bin/env bash
# Set up a development environment from the project's own files, on a fresh machine:
# .venv with gitmodel[all,dev,demo], and the loopback storage servers of
# ../shared/remotes (moto S3, GCS emulator, Azurite, sshd, WsgiDAV) for the contract tests.
set -euo pipefail
project=$(cd "$(dirname "$0")/.." && pwd)
venv=${GITMODEL_VENV:-$project/.venv}
shared=${GITMODEL_SHARED:-$project/../shared}

if [ ! -x "$venv/bin/python" ]; then
    echo "== creating $venv"
    python3 -m venv "$venv"
fi
echo "== pip install -e '.[all,dev,demo]'"
PIP_ROOT_USER_ACTION=ignore "$venv/bin/pip" install --quiet --disable-pip-version-check \
    -e "$project[all,dev,demo]"

if [ -x "$shared/remotes/install.sh" ] || [ -f "$shared/remotes/install.sh" ]; then
    echo "== remote test servers ($shared/remotes/install.sh)"
    PYTHON="$venv/bin/python" bash "$shared/remotes/install.sh"
else
    echo "bootstrap: $shared/remotes not found; contract tests need it (set GITMODEL_SHARED)" >&2
    exit 1
fi
