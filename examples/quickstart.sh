#!/usr/bin/env bash
# gitmodel end to end on the embedded defaults: a throwaway Git repo, a real
# scikit-learn model trained twice, versioned, committed, and the first version
# restored. Run from a checkout:  bash examples/quickstart.sh
# Sets up .venv (with the [demo] extra) the first time if gitmodel is not installed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
project=$(dirname "$here")
if [ -n "${GITMODEL_PYTHON:-}" ]; then
    py=$GITMODEL_PYTHON
elif [ -x "$project/.venv/bin/python" ] && "$project/.venv/bin/python" -c "import gitmodel, sklearn" 2>/dev/null; then
    py=$project/.venv/bin/python
else
    echo "== setting up $project/.venv (first run only)"
    python3 -m venv "$project/.venv"
    "$project/.venv/bin/pip" install --quiet --disable-pip-version-check -e "$project[demo]"
    py=$project/.venv/bin/python
fi
# The Git hooks call `gitmodel` from PATH, as they do for any user.
export PATH="$(dirname "$py"):$PATH"
gm() { echo "\$ gitmodel $*"; "$py" -m gitmodel "$@"; }
step() { printf '\n== %s\n' "$*"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/gitmodel-quickstart.XXXXXX")
trap 'rm -rf "$work"' EXIT
export GIT_CONFIG_GLOBAL="$work/gitconfig" GIT_CONFIG_NOSYSTEM=1
git config --global user.name "gitmodel demo"
git config --global user.email "demo@example.com"
git config --global init.defaultBranch main

repo=$work/demo
mkdir -p "$repo/models"
cd "$repo"
git init -q

step "1. set up gitmodel in a new Git repo"
gm init

step "2. train model v1 and track it"
"$py" "$here/train.py" models/churn.pkl metrics.json --c 1.0
gm add models/churn.pkl --metrics-file metrics.json --meta framework=sklearn
cat models/churn.pkl.gitmodel
git commit -qm "churn model v1"
v1_sum=$(sha256sum models/churn.pkl | cut -d' ' -f1)

step "3. train v2 (noisier labels), track and commit it"
"$py" "$here/train.py" models/churn.pkl metrics.json --c 0.01 --noise 0.3
gm add models/churn.pkl --metrics-file metrics.json --meta framework=sklearn
git commit -qm "churn model v2"
gm status

step "4. bring back v1 from history"
gm checkout models/churn.pkl --rev HEAD~1
test "$(sha256sum models/churn.pkl | cut -d' ' -f1)" = "$v1_sum"
echo "models/churn.pkl is byte-identical to v1"
gm status --json

step "5. delete the binary and restore it from the cache"
rm models/churn.pkl
gm status || true
gm checkout
gm status --check

step "6. share: a local-directory remote, git push uploads (pre-push hook)"
git init -q --bare "$work/origin.git"
git remote add origin "$work/origin.git"
gm remote add store "$work/store" --default
git commit -qm "back to churn v1 (staged by step 4); share through the store remote"
git push -q origin HEAD:main
gm verify

step "7. a fresh clone elsewhere: gitmodel pull restores byte-identical models"
git clone -q -b main "$work/origin.git" "$work/clone"
(
    cd "$work/clone"
    gm pull
    test "$(sha256sum models/churn.pkl | cut -d' ' -f1)" = "$(sha256sum "$repo/models/churn.pkl" | cut -d' ' -f1)"
    echo "clone: models/churn.pkl is byte-identical"
)

step "8. registry: register both versions (annotated tags churn@v0.1.0, churn@v0.2.0)"
in_prod() { "$py" -m gitmodel which churn --env prod; }   # prints exactly one version
gm register churn --rev HEAD~2 --path models/churn.pkl -m "baseline"
gm register churn --rev HEAD~1 -m "noisier labels"
gm ls

step "9. deploy v0.1.0, then the latest (v0.2.0), to prod: a TF Serving-style serving dir"
printf '\n[deploy.prod]\ntarget = "serving-dir"\ndir = "serving"\n' >> .gitmodel.toml
echo /serving/ >> .gitignore
git commit -qam "deploy prod into a serving dir"
gm deploy churn --env prod --version v0.1.0
gm deploy churn --env prod
ls serving/churn
test "$(in_prod)" = v0.2.0

step "10. v0.2.0 is worse in production: roll back (a new event, churn#prod#3)"
gm rollback churn --env prod -m "accuracy dropped in production"
test "$(in_prod)" = v0.1.0
ls serving/churn
test "$(sha256sum serving/churn/3/churn.pkl | cut -d' ' -f1)" = "$v1_sum"
echo "serving/churn/3 is v1 again: the highest (and only) version TF Serving sees"
gm history churn

step "11. the registry travels with Git: push the tags, the clone sees the same state"
git push -q --follow-tags origin HEAD:main
(
    cd "$work/clone"
    git fetch -q --tags
    test "$(in_prod)" = v0.1.0
    echo "clone: churn in prod is $(in_prod)"
)

step "12. monitoring: a rule in .gitmodel.toml, and v0.2.0 back in prod"
cat >> .gitmodel.toml <<'TOML'

[[monitor.rules]]
metric = "accuracy"
below = 0.85
window = 3
action = "rollback"
TOML
git commit -qam "monitoring: roll prod back when accuracy stays below 0.85"
gm deploy churn --env prod -m "retrained; give it another try"
test "$(in_prod)" = v0.2.0

step "13. production reports three bad accuracy values in a row"
for acc in 0.81 0.78 0.79; do gm monitor record churn --env prod --metric accuracy=$acc; done
gm monitor show churn --env prod
gm monitor check churn --env prod || echo "(exit $?: a rollback rule fires; --rollback acts on it)"

step "14. monitor check --rollback rolls prod back to v0.1.0 and records why"
gm monitor check churn --env prod --rollback
test "$(in_prod)" = v0.1.0
gm history churn --env prod
gm monitor record churn --env prod --metric accuracy=0.92
gm monitor check churn --env prod
gm monitor show churn --env prod --plot --width 72

step "15. the model card of what prod runs"
gm card churn#prod

printf '\nquickstart: OK (repo was %s, removed on exit)\n' "$repo"
