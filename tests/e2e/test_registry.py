"""The registry with real git (DESIGN §5, §9): register, deploy, roll back, history,
clones, GTO-made tags, bad input, races, the publishing check, deploy targets."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import GITMODEL, Runner, write

SAME_SECOND = {"GIT_COMMITTER_DATE": "2030-01-01T00:00:00+0000"}


def commit_model(run: Runner, repo: Path, data: bytes, acc: float, msg: str) -> None:
    write(repo / "models" / "churn.pkl", data)
    run("gitmodel", "add", "models/churn.pkl", "--metric", f"accuracy={acc}")
    run("git", "commit", "-qm", msg)


def configure(repo: Path, text: str, *, top: str = "") -> None:
    """Append tables to .gitmodel.toml; ``top`` goes before every table."""
    path = repo / ".gitmodel.toml"
    path.write_text(top + path.read_text() + "\n" + text)


def as_json(run: Runner, *args: str) -> object:
    return json.loads(run("gitmodel", *args, "--json").stdout)


def tags(run: Runner) -> list[str]:
    return run("git", "tag", "--list").stdout.split()


@pytest.fixture
def two_versions(gm_repo: Path, run: Runner) -> Path:
    """churn v0.1.0 and v0.2.0 registered, a serving dir configured for prod."""
    configure(gm_repo, '[deploy.prod]\ntarget = "serving-dir"\ndir = "serving"\n')
    run("git", "commit", "-qam", "serving dir for prod")
    commit_model(run, gm_repo, b"one" * 10_000, 0.91, "churn v1")
    run("gitmodel", "register", "churn", "--path", "models/churn.pkl", "-m", "first model")
    commit_model(run, gm_repo, b"two" * 10_000, 0.85, "churn v2")
    run("gitmodel", "register", "churn")
    return gm_repo


def serving_versions(repo: Path) -> list[str]:
    base = repo / "serving" / "churn"
    return sorted(p.name for p in base.iterdir() if p.name.isdigit())


# ---------------------------------------------------------------- the whole cycle


def test_register_deploy_deploy_rollback_history(two_versions: Path, run: Runner) -> None:
    repo = two_versions
    assert {"churn@v0.1.0", "churn@v0.2.0"} <= set(tags(run))

    first = run("gitmodel", "deploy", "churn", "--env", "prod", "--version", "v0.1.0")
    assert "churn#prod#1" in first.stderr
    assert "nothing is published" in first.stderr  # no remote: said once
    assert first.stderr.count("nothing is published") == 1
    assert serving_versions(repo) == ["1"]
    assert (repo / "serving/churn/1/churn.pkl").read_bytes() == b"one" * 10_000

    run("gitmodel", "deploy", "churn", "--env", "prod")  # the latest: v0.2.0
    assert run("gitmodel", "which", "churn", "--env", "prod").stdout == "v0.2.0\n"
    assert serving_versions(repo) == ["2"]

    back = run("gitmodel", "rollback", "churn", "--env", "prod", "-m", "accuracy fell to 0.71")
    assert "from v0.2.0 to v0.1.0" in back.stderr and "churn#prod#3" in back.stderr
    assert run("gitmodel", "which", "churn", "--env", "prod").stdout == "v0.1.0\n"
    # TF Serving serves the highest number: the older model is now the highest (and only).
    assert serving_versions(repo) == ["3"]
    assert (repo / "serving/churn/3/churn.pkl").read_bytes() == b"one" * 10_000
    assert os.readlink(repo / "serving/churn/current") == "3"
    marker = json.loads((repo / "serving/churn/gitmodel-deploy.json").read_text())
    assert (marker["version"], marker["counter"]) == ("v0.1.0", 3)

    history = as_json(run, "history", "churn")
    assert isinstance(history, list)
    assert [(h["event"], h["version"], h["stage"]) for h in history] == [
        ("register", "v0.1.0", None),
        ("register", "v0.2.0", None),
        ("assign", "v0.1.0", "prod"),
        ("assign", "v0.2.0", "prod"),
        ("rollback", "v0.1.0", "prod"),
    ]
    assert history[-1]["message"] == "accuracy fell to 0.71"
    assert history[-1]["rollback_from"] == "v0.2.0"
    assert history[0]["message"] == "first model"

    listing = as_json(run, "ls")
    assert listing == [
        {
            "name": "churn",
            "latest": "v0.2.0",
            "stages": {"prod": "v0.1.0"},
            "deprecated": False,
            "path": "models/churn.pkl",
            "versions": ["v0.2.0", "v0.1.0"],
        }
    ]
    shown = as_json(run, "show", "churn@v0.1.0")
    assert isinstance(shown, dict)
    assert shown["metrics"] == {"accuracy": 0.91} and shown["path"] == "models/churn.pkl"
    text = run("gitmodel", "history", "churn").stdout
    assert "rollback from v0.2.0" in text


def test_rollback_revert_commits_the_older_pointer(two_versions: Path, run: Runner) -> None:
    repo = two_versions
    run("gitmodel", "deploy", "churn", "--env", "prod", "--version", "v0.1.0")
    run("gitmodel", "deploy", "churn", "--env", "prod", "--version", "v0.2.0")
    result = run("gitmodel", "rollback", "churn", "--env", "prod", "--revert", "-m", "bad")
    assert "Revert commit" in result.stderr
    subject = run("git", "log", "-1", "--format=%s").stdout.strip()
    assert subject.startswith('Revert "churn v0.2.0"')
    body = run("git", "log", "-1", "--format=%b").stdout
    assert "Rollback: churn#prod#3" in body
    older = run("git", "show", "churn@v0.1.0:models/churn.pkl.gitmodel").stdout
    assert run("git", "show", "HEAD:models/churn.pkl.gitmodel").stdout == older
    assert (repo / "models/churn.pkl.gitmodel").read_text() == older
    assert (repo / "models/churn.pkl").read_bytes() == b"one" * 10_000
    assert run("git", "status", "--porcelain", "--", "models").stdout == ""
    # The bad version stays in history: it was reverted by a new commit, not removed.
    assert run("git", "rev-list", "--count", "HEAD").stdout.strip() == "5"


def test_revert_that_would_conflict_records_nothing(two_versions: Path, run: Runner) -> None:
    repo = two_versions
    run("gitmodel", "deploy", "churn", "--env", "prod", "--version", "v0.1.0")
    run("gitmodel", "deploy", "churn", "--env", "prod", "--version", "v0.2.0")
    commit_model(run, repo, b"three" * 10_000, 0.5, "an unregistered v3 on top")
    before = tags(run)
    result = run("gitmodel", "rollback", "churn", "--env", "prod", "--revert", check=False)
    assert result.returncode == 1
    assert "would conflict" in result.stderr and "gitmodel checkout" in result.stderr
    assert tags(run) == before
    assert run("git", "log", "-1", "--format=%s").stdout.strip() == "an unregistered v3 on top"


def test_checkout_restores_registered_versions(two_versions: Path, run: Runner) -> None:
    repo = two_versions
    model = repo / "models" / "churn.pkl"
    run("gitmodel", "checkout", "churn@v0.1.0")
    assert model.read_bytes() == b"one" * 10_000
    run("gitmodel", "deploy", "churn", "--env", "prod", "--version", "v0.2.0")
    run("gitmodel", "checkout", "--rev", "churn#prod")
    assert model.read_bytes() == b"two" * 10_000
    run("gitmodel", "checkout", "models/churn.pkl", "--rev", "churn@v0.1.0")
    assert model.read_bytes() == b"one" * 10_000
    run("gitmodel", "checkout", "--rev", "churn@latest")
    assert model.read_bytes() == b"two" * 10_000


# ---------------------------------------------------------------- order and clones


def test_tags_made_in_the_same_second_are_ordered_by_n(two_versions: Path, run: Runner) -> None:
    for version in ("v0.1.0", "v0.2.0", "v0.1.0", "v0.2.0", "v0.1.0"):
        run(
            "gitmodel",
            "assign",
            "churn",
            "--env",
            "staging",
            "--version",
            version,
            extra_env=SAME_SECOND,
        )
    dates = set(
        run(
            "git", "for-each-ref", "--format=%(taggerdate:unix)", "refs/tags/churn#*"
        ).stdout.split()
    )
    assert len(dates) == 1  # all in one second: only N can order them
    assert run("gitmodel", "which", "churn", "--env", "staging").stdout == "v0.1.0\n"
    history = as_json(run, "history", "churn", "--env", "staging")
    assert isinstance(history, list)
    assert [h["counter"] for h in history] == [1, 2, 3, 4, 5]
    rolled = run("gitmodel", "rollback", "churn", "--env", "staging", extra_env=SAME_SECOND)
    assert "to v0.2.0" in rolled.stderr


def test_state_is_identical_after_pushing_and_cloning(
    two_versions: Path, run: Runner, tmp_path: Path
) -> None:
    run("gitmodel", "deploy", "churn", "--env", "prod", "--version", "v0.1.0")
    run("gitmodel", "deploy", "churn", "--env", "prod", "--version", "v0.2.0")
    run("gitmodel", "rollback", "churn", "--env", "prod")
    run("gitmodel", "assign", "churn", "--env", "dev", "--version", "v0.2.0")
    bare = tmp_path / "remote.git"
    run("git", "init", "-q", "--bare", str(bare))
    run("git", "remote", "add", "origin", str(bare))
    run("git", "push", "-q", "--follow-tags", "origin", "main")
    clone = tmp_path / "clone"
    run("git", "clone", "-q", str(bare), str(clone))
    for args in (("ls",), ("history", "churn"), ("show", "churn"), ("show", "churn#prod")):
        assert as_json(run, *args) == json.loads(
            run("gitmodel", *args, "--json", cwd=clone).stdout
        ), args
    assert run("gitmodel", "which", "churn", "--env", "prod", cwd=clone).stdout == "v0.1.0\n"


def test_push_registry_tags_publishes_every_event(
    two_versions: Path, run: Runner, tmp_path: Path
) -> None:
    run("gitmodel", "deploy", "churn", "--env", "prod")
    bare = tmp_path / "remote.git"
    run("git", "init", "-q", "--bare", str(bare))
    run("git", "remote", "add", "origin", str(bare))
    run("git", "push", "-q", "origin", "main")
    script = (
        "from gitmodel.services.workspace import Workspace\n"
        "from gitmodel.services.registry import push_registry_tags\n"
        "print(len(push_registry_tags(Workspace.open(), 'origin')))\n"
    )
    python = str(Path(GITMODEL).with_name("python"))
    assert run(python, "-c", script).stdout.strip() == "3"
    remote_tags = run("git", "ls-remote", "--tags", str(bare)).stdout
    for tag in ("churn@v0.1.0", "churn@v0.2.0", "churn#prod#1"):
        assert f"refs/tags/{tag}" in remote_tags
    run("gitmodel", "rollback", "churn", "--env", "prod", "--to", "v0.1.0", "--push")
    assert "refs/tags/churn#prod#2" in run("git", "ls-remote", "--tags", str(bare)).stdout


def test_concurrent_deploys_never_share_a_counter(two_versions: Path, env: dict[str, str]) -> None:
    procs = [
        subprocess.Popen(
            [GITMODEL, "assign", "churn", "--env", f"env{i}", "--version", "v0.1.0"],
            cwd=two_versions,
            env={**env, **SAME_SECOND},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for i in range(6)
    ]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    out = subprocess.run(
        ["git", "tag", "--list", "churn#*"],
        cwd=two_versions,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    counters = sorted(int(t.rsplit("#", 1)[1]) for t in out)
    assert counters == [1, 2, 3, 4, 5, 6]


# ---------------------------------------------------------------- GTO-made tags


def gto_tag(run: Runner, name: str, rev: str, message: str, date: str) -> None:
    run("git", "tag", "-a", name, rev, "-m", message, extra_env={"GIT_COMMITTER_DATE": date})


def test_tags_made_by_gto_read_the_same(gm_repo: Path, run: Runner) -> None:
    repo = gm_repo
    commit_model(run, repo, b"gto-1" * 1000, 0.8, "v1")
    first = run("git", "rev-parse", "HEAD").stdout.strip()
    commit_model(run, repo, b"gto-2" * 1000, 0.9, "v2")
    second = run("git", "rev-parse", "HEAD").stdout.strip()
    # What `gto register/assign/deprecate` write (GTO 1.x messages, default notation).
    gto_tag(run, "churn@v0.0.1", first, "Registering artifact churn version v0.0.1", "1700000000")
    gto_tag(
        run,
        "churn#prod#1",
        first,
        "Assigning stage prod to artifact churn version v0.0.1",
        "1700000000",
    )
    gto_tag(run, "churn@v0.0.2", second, "Registering artifact churn version v0.0.2", "1700000010")
    gto_tag(
        run,
        "churn#staging#2",
        second,
        "Assigning stage staging to artifact churn version v0.0.2",
        "1700000020",
    )
    gto_tag(
        run,
        "churn#prod#3",
        second,
        "Assigning stage prod to artifact churn version v0.0.2",
        "1700000030",
    )
    gto_tag(
        run,
        "churn#staging!#4",
        second,
        "Unassigning stage staging from artifact churn version v0.0.2",
        "1700000040",
    )
    gto_tag(
        run,
        "models=old@v1.0.0",
        first,
        "Registering artifact models:old version v1.0.0",
        "1700000050",
    )
    gto_tag(run, "models=old@deprecated", first, "Deprecating artifact 'models:old'", "1700000060")
    listing = as_json(run, "ls", "--all")
    assert listing == [
        {
            "name": "churn",
            "latest": "v0.0.2",
            "stages": {"prod": "v0.0.2"},
            "deprecated": False,
            "path": None,
            "versions": ["v0.0.2", "v0.0.1"],
        },
        {
            "name": "models:old",
            "latest": "v1.0.0",
            "stages": {},
            "deprecated": True,
            "path": None,
            "versions": ["v1.0.0"],
        },
    ]
    history = as_json(run, "history", "churn")
    assert isinstance(history, list)
    assert [h["tag"] for h in history] == [
        "churn@v0.0.1",
        "churn#prod#1",
        "churn@v0.0.2",
        "churn#staging#2",
        "churn#prod#3",
        "churn#staging!#4",
    ]
    assert history[0]["message"] == "Registering artifact churn version v0.0.1"
    # GTO keeps no path: declare it (as in GTO's artifacts.yaml) and versions check out.
    configure(repo, '[artifacts.churn]\npath = "models/churn.pkl"\n')
    run("gitmodel", "checkout", "churn@v0.0.1")
    assert (repo / "models" / "churn.pkl").read_bytes() == b"gto-1" * 1000
    # New events continue GTO's counter and register after GTO's highest version.
    run("gitmodel", "register", "churn", "--rev", first, "--version", "v0.1.0", check=False)
    deployed = run("gitmodel", "assign", "churn", "--env", "prod", "--version", "v0.0.1")
    assert "churn#prod#5" in deployed.stderr


# ---------------------------------------------------------------- bad input


def test_unknown_names_are_one_line_errors(two_versions: Path, run: Runner) -> None:
    cases = [
        (("show", "nope"), "unknown artifact 'nope' (known: churn)"),
        (("deploy", "churn", "--env", "prod", "--version", "v9.9.9"), "no version v9.9.9"),
        (("which", "churn", "--env", "qa"), "no version of churn is assigned to qa"),
        (("rollback", "churn", "--env", "prod"), "nothing to roll back"),
        (("deploy", "churn", "--env", "bad env"), "stage name 'bad env' is invalid"),
        (("register", "churn", "--version", "v0.1.0"), "exists already"),
        (("register", "churn", "--version", "1.0"), "not SemVer"),
        (("register", "fresh"), "--path PATH"),
    ]
    for args, message in cases:
        result = run("gitmodel", *args, check=False)
        assert result.returncode in (1, 2), args
        assert message in result.stderr, (args, result.stderr)
        assert result.stderr.count("\n") == 1, result.stderr  # one line, no traceback


def test_register_refuses_a_commit_that_already_has_a_version(
    two_versions: Path, run: Runner
) -> None:
    result = run("gitmodel", "register", "churn", "--version", "v5.0.0", check=False)
    assert result.returncode == 1 and "already registered at" in result.stderr


def test_register_bumps_and_versions_are_never_reused(two_versions: Path, run: Runner) -> None:
    repo = two_versions
    run("gitmodel", "deregister", "churn", "--version", "v0.2.0", "-m", "leaked labels")
    assert as_json(run, "ls")[0]["latest"] == "v0.1.0"  # type: ignore[index]
    commit_model(run, repo, b"three" * 10_000, 0.93, "churn v3")
    result = run("gitmodel", "register", "churn", "--bump", "major")
    assert "churn@v1.0.0" in result.stderr  # bumped from v0.2.0, deregistered or not
    commit_model(run, repo, b"four" * 10_000, 0.94, "churn v4")
    result = run("gitmodel", "register", "churn", "--bump", "patch")
    assert "churn@v1.0.1" in result.stderr


def test_hand_made_bad_tags_are_reported_and_skipped(two_versions: Path, run: Runner) -> None:
    run("git", "tag", "-a", "churn@1.0", "-m", "a typo")  # not SemVer
    run("git", "tag", "churn#prod#7")  # lightweight, in our grammar
    run("git", "tag", "-a", "release@2024", "-m", "somebody else's tag")
    result = run("gitmodel", "ls")
    assert "tag 'churn@1.0' is not a registry tag" in result.stderr
    assert "tag 'churn#prod#7' is a lightweight tag: ignored" in result.stderr
    assert "release@2024" not in result.stderr
    assert "churn" in result.stdout and "prod" not in result.stdout
    # GTO counts the lightweight tag's N too, so the next N goes past it.
    deployed = run("gitmodel", "assign", "churn", "--env", "prod")
    assert "churn#prod#8" in deployed.stderr


def test_deprecated_artifacts_are_hidden_and_not_deployable(
    two_versions: Path, run: Runner
) -> None:
    run("gitmodel", "deprecate", "churn", "-m", "replaced")
    assert as_json(run, "ls") == []
    assert as_json(run, "ls", "--all")[0]["deprecated"] is True  # type: ignore[index]
    result = run("gitmodel", "deploy", "churn", "--env", "prod", check=False)
    assert result.returncode == 1 and "deprecated" in result.stderr


def test_deploying_the_current_version_again_only_reruns_the_target(
    two_versions: Path, run: Runner
) -> None:
    repo = two_versions
    run("gitmodel", "deploy", "churn", "--env", "prod")
    before = tags(run)
    (repo / "serving/churn/1/churn.pkl").unlink()
    again = run("gitmodel", "deploy", "churn", "--env", "prod")
    assert "already in prod" in again.stderr
    assert tags(run) == before
    assert (repo / "serving/churn/1/churn.pkl").read_bytes() == b"two" * 10_000


# ---------------------------------------------------------------- publishing check


def test_deploy_refuses_versions_missing_from_the_default_remote(
    two_versions: Path, run: Runner, tmp_path: Path
) -> None:
    repo = two_versions
    store = tmp_path / "store"
    store.mkdir()
    configure(repo, f'[remotes.store]\nurl = "{store}"\n', top='default_remote = "store"\n')
    before = tags(run)
    result = run("gitmodel", "deploy", "churn", "--env", "prod", check=False)
    assert result.returncode == 1
    assert "not on remote 'store'" in result.stderr and "--allow-local" in result.stderr
    assert "(run: gitmodel push --rev churn@v0.2.0)" in result.stderr
    assert tags(run) == before
    forced = run("gitmodel", "deploy", "churn", "--env", "prod", "--allow-local")
    assert "--allow-local" in forced.stderr and "churn#prod#1" in forced.stderr
    # Upload the object by hand (remote layout <algo>/<2 hex>/<rest>) and try v0.1.0.
    oid = as_json(run, "show", "churn@v0.1.0")["oid"]  # type: ignore[index]
    obj = repo / ".git/gitmodel/objects/blake3" / oid[:2] / oid[2:]
    target = store / "blake3" / oid[:2] / oid[2:]
    target.parent.mkdir(parents=True)
    target.write_bytes(obj.read_bytes())
    ok = run("gitmodel", "rollback", "churn", "--env", "prod", "--to", "v0.1.0")
    assert "nothing is published" not in ok.stderr and "churn#prod#2" in ok.stderr


def test_register_push_checks_the_remote_first(gm_repo: Path, run: Runner, tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    configure(gm_repo, f'[remotes.store]\nurl = "{store}"\n', top='default_remote = "store"\n')
    commit_model(run, gm_repo, b"pushed" * 1000, 0.7, "v1")
    result = run(
        "gitmodel", "register", "churn", "--path", "models/churn.pkl", "--push", check=False
    )
    assert result.returncode == 1 and "not on remote 'store'" in result.stderr
    assert tags(run) == []


# ---------------------------------------------------------------- deploy targets


def test_command_target_gets_the_model_path_and_version(two_versions: Path, run: Runner) -> None:
    repo = two_versions
    script = 'cp "$GITMODEL_MODEL_PATH" deployed.bin && echo "$GITMODEL_VERSION $GITMODEL_ENV" > deployed.txt'
    configure(repo, f"[deploy.staging]\ntarget = \"command\"\ncommand = '{script}'\n")
    run("gitmodel", "deploy", "churn", "--env", "staging", "--version", "v0.1.0")
    assert (repo / "deployed.txt").read_text() == "v0.1.0 staging\n"
    assert (repo / "deployed.bin").read_bytes() == b"one" * 10_000
    configure(repo, "[deploy.broken]\ntarget = \"command\"\ncommand = 'exit 3'\n")
    failed = run("gitmodel", "deploy", "churn", "--env", "broken", check=False)
    assert failed.returncode == 1
    assert "churn#broken#2 was recorded, but the deploy target failed" in failed.stderr
    assert "exited with code 3" in failed.stderr


def test_kubernetes_target_renders_a_manifest_pinning_the_version(
    two_versions: Path, run: Runner
) -> None:
    repo = two_versions
    configure(repo, '[deploy.k8s]\ntarget = "kubernetes"\nimage = "ghcr.io/acme/serve:1"\n')
    run("gitmodel", "deploy", "churn", "--env", "k8s", "--version", "v0.2.0")
    manifest = (repo / "deploy/k8s/churn.yaml").read_text()
    assert 'MODEL_VERSION: "v0.2.0"' in manifest and 'kind: "Deployment"' in manifest
    yaml = pytest.importorskip("yaml")
    config_map, deployment = yaml.safe_load_all(manifest)
    assert config_map["data"]["MODEL_VERSION"] == "v0.2.0"
    template = deployment["spec"]["template"]
    assert template["metadata"]["labels"]["gitmodel.io/version"] == "v0.2.0"
    assert template["spec"]["containers"][0]["image"] == "ghcr.io/acme/serve:1"
    assert deployment["spec"]["selector"]["matchLabels"].items() <= (
        template["metadata"]["labels"].items()
    )
    run("gitmodel", "rollback", "churn", "--env", "k8s", "--to", "v0.1.0")
    assert 'MODEL_VERSION: "v0.1.0"' in (repo / "deploy/k8s/churn.yaml").read_text()


def test_an_env_without_a_target_is_assigned_only(two_versions: Path, run: Runner) -> None:
    result = run("gitmodel", "deploy", "churn", "--env", "qa")
    assert "no [deploy.qa] target" in result.stderr and "churn#qa#1" in result.stderr


def test_a_misconfigured_target_is_a_config_error_before_any_tag(
    two_versions: Path, run: Runner
) -> None:
    configure(two_versions, '[deploy.qa]\ntarget = "ftp"\n')
    result = run("gitmodel", "deploy", "churn", "--env", "qa", check=False)
    assert result.returncode == 2 and "target = 'ftp' is unknown" in result.stderr
    assert not [t for t in tags(run) if "#" in t]


def test_a_directory_model_is_served_as_its_files(gm_repo: Path, run: Runner) -> None:
    configure(gm_repo, '[deploy.prod]\ntarget = "serving-dir"\ndir = "serving"\n')
    saved = gm_repo / "models" / "ranker"
    write(saved / "saved_model.pb", b"graph" * 1000)
    write(saved / "variables" / "variables.index", b"index")
    run("gitmodel", "add", "models/ranker")
    run("git", "commit", "-qm", "ranker v1")
    run("gitmodel", "register", "ranker", "--path", "models/ranker")
    run("gitmodel", "deploy", "ranker", "--env", "prod")
    served = gm_repo / "serving" / "ranker" / "1"
    assert (served / "saved_model.pb").read_bytes() == b"graph" * 1000
    assert (served / "variables" / "variables.index").read_bytes() == b"index"
    shown = as_json(run, "show", "ranker@v0.1.0")
    assert isinstance(shown, dict) and shown["kind"] == "dir"
