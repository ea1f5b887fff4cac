#!/usr/bin/env bash
# The test suite: set up (scripts/bootstrap.sh), then pytest over tests/unit,
# tests/contract (every remote backend, real loopback servers, none may be skipped)
# and tests/e2e (real git, real hooks). Extra arguments go to pytest.
set -euo pipefail
project=$(cd "$(dirname "$0")/.." && pwd)
venv=${GITMODEL_VENV:-$project/.venv}
bash "$project/scripts/bootstrap.sh"
cd "$project"
export REMOTES_REQUIRED=1
status=0
"$venv/bin/python" -m pytest -p no:cacheprovider "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "test.sh: pytest collected no tests; that is a failure" >&2
    exit 1
fi
exit "$status"
