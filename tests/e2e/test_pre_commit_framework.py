"""The hooks through the real pre-commit framework (.pre-commit-hooks.yaml), next to
another hook, in a repository that uses gitmodel."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import Runner, write

PROJECT = Path(__file__).resolve().parents[2]
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One environment for the whole session: pre-commit installs gitmodel into it once.
    return tmp_path_factory.mktemp("pre-commit-home")


def _project_rev() -> str:
    proc = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=PROJECT, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        pytest.fail("the project is not a Git checkout; the pre-commit test needs one")
    return proc.stdout.strip()


def test_pre_commit_framework_runs_gitmodel_hooks_beside_another_hook(
    gm_repo: Path, run: Runner, env: dict[str, str], pre_commit_home: Path, tmp_path: Path
) -> None:
    run("gitmodel", "hooks", "uninstall")  # the framework owns the hooks in this repo
    store = tmp_path / "store"
    run("gitmodel", "remote", "add", "store", str(store), "--default")
    bare = tmp_path / "origin.git"
    run("git", "init", "-q", "--bare", str(bare))
    run("git", "remote", "add", "origin", str(bare))
    marker = tmp_path / "other-hook-ran"
    (gm_repo / ".pre-commit-config.yaml").write_text(
        f"""repos:
  - repo: {PROJECT}
    rev: {_project_rev()}
    hooks:
      - id: gitmodel-check
      - id: gitmodel-push
      - id: gitmodel-checkout
  - repo: local
    hooks:
      - id: other
        name: another team hook
        entry: sh -c 'echo ran >> "{marker}"'
        language: system
        pass_filenames: false
        always_run: true
"""
    )
    framework_env = {"PRE_COMMIT_HOME": str(pre_commit_home)}
    run(
        *PRE_COMMIT,
        "install",
        "--hook-type",
        "pre-commit",
        "--hook-type",
        "pre-push",
        "--hook-type",
        "post-checkout",
        "--hook-type",
        "post-merge",
        extra_env=framework_env,
    )
    run("git", "add", ".pre-commit-config.yaml")
    run("git", "commit", "-qm", "pre-commit config", extra_env=framework_env)
    assert marker.read_text().count("ran") == 1

    # gitmodel-check blocks a model modified after add; the other hook still ran.
    write(gm_repo / "model.bin", b"trained" * 1000)
    run("gitmodel", "add", "model.bin")
    write(gm_repo / "model.bin", b"changed after add")
    blocked = run("git", "commit", "-qm", "model", check=False, extra_env=framework_env)
    assert blocked.returncode != 0
    assert "run: gitmodel add model.bin" in blocked.stdout + blocked.stderr
    assert marker.read_text().count("ran") == 2
    write(gm_repo / "model.bin", b"trained" * 1000)
    run("git", "commit", "-qm", "model", extra_env=framework_env)

    # gitmodel-push uploads the pushed commit's objects.
    run("git", "push", "-q", "origin", "HEAD:main", extra_env=framework_env)
    assert [p for p in store.rglob("*") if p.is_file()]

    # gitmodel-checkout restores the binary on a branch switch.
    run("git", "checkout", "-qb", "other", extra_env=framework_env)
    write(gm_repo / "model.bin", b"other version" * 100)
    run("gitmodel", "add", "model.bin")
    run("git", "commit", "-qm", "other model", extra_env=framework_env)
    run("git", "checkout", "-q", "main", extra_env=framework_env)
    assert (gm_repo / "model.bin").read_bytes() == b"trained" * 1000


def test_pre_commit_try_repo_runs_gitmodel_check(
    gm_repo: Path, run: Runner, pre_commit_home: Path
) -> None:
    if shutil.which("git") is None:
        pytest.fail("git is required")
    write(gm_repo / "weights.bin", b"\0" * (11 * 1024 * 1024))
    run("git", "add", "weights.bin")
    result = run(
        *PRE_COMMIT,
        "try-repo",
        str(PROJECT),
        "gitmodel-check",
        "--ref",
        _project_rev(),
        check=False,
        extra_env={"PRE_COMMIT_HOME": str(pre_commit_home)},
    )
    assert result.returncode != 0
    assert "weights.bin: a 11.0 MiB binary is staged directly into Git" in result.stdout
