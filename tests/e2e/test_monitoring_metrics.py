"""Offline metrics through history with real git (DESIGN §6): metrics show, metrics
diff (HEAD against the workspace by default, like dvc), log PATH with registry tags in
a constant number of git calls, diff of models between revisions."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from tests.e2e.conftest import Runner, write


def commit_model(run: Runner, repo: Path, data: bytes, msg: str, *metrics: str) -> None:
    write(repo / "models" / "churn.pkl", data)
    args = [a for m in metrics for a in ("--metric", m)]
    run("gitmodel", "add", "models/churn.pkl", *args)
    run("git", "commit", "-qm", msg)


def as_json(run: Runner, *args: str) -> object:
    return json.loads(run("gitmodel", *args, "--json").stdout)


@pytest.fixture
def history(gm_repo: Path, run: Runner) -> Path:
    """churn v0.1.0 (deployed to prod) and v0.2.0, plus an untouched second model."""
    write(gm_repo / "models" / "other.bin", b"other")
    run("gitmodel", "add", "models/other.bin", "--metric", "auc=0.7")
    commit_model(run, gm_repo, b"one" * 1000, "churn v1", "accuracy=0.9", "loss=0.3")
    run("gitmodel", "register", "churn", "--path", "models/churn.pkl")
    run("gitmodel", "deploy", "churn", "--env", "prod")
    commit_model(run, gm_repo, b"two" * 2000, "churn v2", "accuracy=0.8", "f1=0.5")
    run("gitmodel", "register", "churn")
    return gm_repo


def test_metrics_show_lists_every_model_or_the_ones_named(history: Path, run: Runner) -> None:
    shown = as_json(run, "metrics", "show")
    assert shown == [
        {"path": "models/churn.pkl", "metrics": {"accuracy": 0.8, "f1": 0.5}},
        {"path": "models/other.bin", "metrics": {"auc": 0.7}},
    ]
    text = run("gitmodel", "metrics", "show", "models/churn.pkl").stdout
    assert "accuracy" in text and "auc" not in text
    old = as_json(run, "metrics", "show", "--rev", "churn@v0.1.0", "models/churn.pkl")
    assert old == [{"path": "models/churn.pkl", "metrics": {"accuracy": 0.9, "loss": 0.3}}]
    missing = run("gitmodel", "metrics", "show", "models/nothing.pkl", check=False)
    assert missing.returncode == 2 and "gitmodel add models/nothing.pkl" in missing.stderr


def test_metrics_diff_compares_head_with_the_workspace_by_default(
    history: Path, run: Runner
) -> None:
    same = run("gitmodel", "metrics", "diff")
    assert "No metric changed" in same.stderr and same.stdout == ""
    write(history / "models" / "churn.pkl", b"three" * 1000)
    run("gitmodel", "add", "models/churn.pkl", "--metric", "accuracy=0.84", "--metric", "f1=0.5")
    diff = as_json(run, "metrics", "diff")
    assert isinstance(diff, dict)
    assert diff["old"]["rev"] == "HEAD" and diff["new"] == {"rev": "workspace", "commit": None}
    [change] = diff["metrics"]
    assert change["path"] == "models/churn.pkl" and change["metric"] == "accuracy"
    assert (change["old"], change["new"]) == (0.8, 0.84)
    assert change["change"] == pytest.approx(0.04)
    assert change["relative"] == pytest.approx(0.05)
    text = run("gitmodel", "metrics", "diff").stdout
    assert "+0.04" in text and "+5.00%" in text
    everything = as_json(run, "metrics", "diff", "--all")
    assert isinstance(everything, dict)
    assert {(m["path"], m["metric"]) for m in everything["metrics"]} == {
        ("models/churn.pkl", "accuracy"),
        ("models/churn.pkl", "f1"),
        ("models/other.bin", "auc"),
    }


def test_metrics_diff_between_two_registered_versions(history: Path, run: Runner) -> None:
    diff = as_json(run, "metrics", "diff", "churn@v0.1.0", "churn@v0.2.0")
    assert isinstance(diff, dict)
    rows = {m["metric"]: m for m in diff["metrics"]}
    assert set(rows) == {"accuracy", "f1", "loss"}  # auc of the other model did not change
    assert rows["accuracy"]["relative"] == pytest.approx(-0.1 / 0.9)
    assert (rows["f1"]["old"], rows["f1"]["new"], rows["f1"]["change"]) == (None, 0.5, None)
    assert (rows["loss"]["old"], rows["loss"]["new"]) == (0.3, None)
    bad = run("gitmodel", "metrics", "diff", "no-such-rev", check=False)
    assert bad.returncode == 2 and "unknown revision 'no-such-rev'" in bad.stderr


def test_log_shows_each_version_with_metrics_and_registry_tags(history: Path, run: Runner) -> None:
    log = as_json(run, "log", "models/churn.pkl")
    assert isinstance(log, list)
    assert [e["subject"] for e in log] == ["churn v2", "churn v1"]
    newest, oldest = log
    assert newest["metrics"] == {"accuracy": 0.8, "f1": 0.5} and newest["size"] == 6000
    assert newest["versions"] == ["churn@v0.2.0"] and newest["stages"] == []
    assert oldest["versions"] == ["churn@v0.1.0"] and oldest["stages"] == ["churn#prod"]
    assert oldest["tags"] == ["churn@v0.1.0", "churn#prod#1"]
    head = run("git", "rev-parse", "HEAD").stdout.strip()
    assert newest["commit"] == head and newest["date"].endswith("Z")
    assert len(newest["oid"]) == 64

    write(history / "models" / "churn.pkl", b"uncommitted")
    run("gitmodel", "add", "models/churn.pkl")
    text = run("gitmodel", "log", "models/churn.pkl").stdout.splitlines()
    assert text[1].startswith("(workspace)") and "uncommitted changes" in text[1]
    assert "churn@v0.1.0, churn#prod" in text[3]

    other = run("gitmodel", "log", "models/nothing.pkl", check=False)
    assert other.returncode == 2 and "not tracked" in other.stderr


def test_log_reads_history_in_a_constant_number_of_git_calls(
    gm_repo: Path, run: Runner, tmp_path: Path, env: dict[str, str]
) -> None:
    real_git = shutil.which("git", path=env["PATH"])
    assert real_git is not None
    shim_dir = tmp_path / "shim"
    shim_dir.mkdir()
    calls = tmp_path / "git-calls"
    shim = shim_dir / "git"
    shim.write_text(f'#!/bin/sh\necho "$1" >> {calls}\nexec {real_git} "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    counted = {"PATH": os.pathsep.join([str(shim_dir), env["PATH"]])}

    def git_calls_of_log() -> int:
        calls.write_text("")
        run("gitmodel", "log", "models/churn.pkl", extra_env=counted)
        return len(calls.read_text().splitlines())

    commit_model(run, gm_repo, b"v0", "v0", "accuracy=0.5")
    run("gitmodel", "register", "churn", "--path", "models/churn.pkl")
    few = git_calls_of_log()
    for i in range(1, 9):
        commit_model(run, gm_repo, b"v%d" % i, f"v{i}", f"accuracy=0.{i}")
        run("gitmodel", "register", "churn")
    assert git_calls_of_log() == few <= 6
    assert len(as_json(run, "log", "models/churn.pkl")) == 9  # type: ignore[arg-type]


def test_diff_lists_added_deleted_and_modified_models(history: Path, run: Runner) -> None:
    nothing = run("gitmodel", "diff")
    assert "No model changed" in nothing.stderr
    between = as_json(run, "diff", "churn@v0.1.0", "HEAD")
    assert isinstance(between, dict)
    [modified] = between["models"]
    assert modified["path"] == "models/churn.pkl" and modified["status"] == "modified"
    assert (modified["old"]["size"], modified["new"]["size"], modified["size_change"]) == (
        3000,
        6000,
        3000,
    )
    assert {m["metric"] for m in modified["metrics"]} == {"accuracy", "f1", "loss"}

    write(history / "models" / "new.bin", b"new model")
    run("gitmodel", "add", "models/new.bin", "--metric", "auc=0.6")
    run("git", "rm", "-q", "models/other.bin.gitmodel")
    changes = as_json(run, "diff")
    assert isinstance(changes, dict)
    assert [(c["path"], c["status"]) for c in changes["models"]] == [
        ("models/new.bin", "added"),
        ("models/other.bin", "deleted"),
    ]
    text = run("gitmodel", "diff", "HEAD~1").stdout
    assert "added" in text and "deleted" in text and "modified" in text
