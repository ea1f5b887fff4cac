"""Repositories with SHA-256 object names (``git init --object-format=sha256``): Git
writes the "no object" id as 64 zeros there, not 40."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import Runner, write


def _sha256_supported(env: dict[str, str], tmp_path: Path) -> bool:
    probe = subprocess.run(
        ["git", "init", "-q", "--object-format=sha256", str(tmp_path / "probe")],
        env=env,
        capture_output=True,
    )
    return probe.returncode == 0


@pytest.fixture
def sha256_repo(tmp_path: Path, env: dict[str, str], run: Runner) -> tuple[Path, Path]:
    if not _sha256_supported(env, tmp_path):
        pytest.skip("this git cannot create SHA-256 repositories")
    repo = tmp_path / "s256"
    bare = tmp_path / "s256-remote.git"
    subprocess.run(["git", "init", "-q", "--object-format=sha256", str(repo)], env=env, check=True)
    subprocess.run(
        ["git", "init", "-q", "--bare", "--object-format=sha256", str(bare)], env=env, check=True
    )
    run("gitmodel", "init", cwd=repo)
    run("gitmodel", "remote", "add", "store", str(tmp_path / "store"), "--default", cwd=repo)
    run("git", "remote", "add", "origin", str(bare), cwd=repo)
    write(repo / "model.bin", os.urandom(50_000))
    run("gitmodel", "add", "model.bin", cwd=repo)
    run("git", "add", "-A", cwd=repo)
    run("git", "commit", "-qm", "model", cwd=repo)
    return repo, tmp_path / "store"


def test_push_uploads_and_a_branch_deletion_pushes_nothing(
    sha256_repo: tuple[Path, Path], run: Runner
) -> None:
    repo, store = sha256_repo
    run("git", "push", "-q", "origin", "main", cwd=repo)
    assert any(p.is_file() for p in store.rglob("*")), "pre-push uploaded nothing"
    run("git", "checkout", "-qb", "feature", cwd=repo)
    run("git", "push", "-q", "origin", "feature", cwd=repo)
    # The deletion arrives on stdin as "(delete) 000...0 (64 zeros) refs/heads/feature <sha>".
    deleted = run("git", "push", "-q", "origin", "--delete", "feature", cwd=repo, check=False)
    assert deleted.returncode == 0, deleted.stderr


def test_post_checkout_from_the_null_commit_restores(
    sha256_repo: tuple[Path, Path], run: Runner
) -> None:
    """A clone's first checkout reports the previous HEAD as the null id (64 zeros)."""
    repo, _ = sha256_repo
    (repo / "model.bin").unlink()
    null = "0" * 64
    head = run("git", "rev-parse", "HEAD", cwd=repo).stdout.strip()
    result = run("gitmodel", "hook", "post-checkout", null, head, "1", cwd=repo, check=False)
    assert result.returncode == 0, result.stderr
    assert (repo / "model.bin").is_file()
