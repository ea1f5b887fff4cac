"""DESIGN §1 flows with real git: add, commit, delete the binary, checkout, older
revisions, branch switches, directories, gc."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.e2e.conftest import Runner, write


def _cache_objects(repo: Path) -> list[Path]:
    root = repo / ".git" / "gitmodel" / "objects"
    return [p for p in root.rglob("*") if p.is_file() and p.relative_to(root).parts[0] != "tmp"]


def test_init_is_idempotent_and_never_ignores_its_config(repo: Path, run: Runner) -> None:
    run("gitmodel", "init")
    first = (repo / ".gitignore").read_text(), (repo / ".gitmodel.toml").read_text()
    again = run("gitmodel", "init")
    assert "nothing to do" in again.stderr
    assert ((repo / ".gitignore").read_text(), (repo / ".gitmodel.toml").read_text()) == first
    ignored = run("git", "check-ignore", ".gitmodel.toml", check=False)
    assert ignored.returncode == 1
    staged = run("git", "diff", "--cached", "--name-only").stdout.split()
    assert staged == [".gitignore", ".gitmodel.toml"]


def test_init_outside_a_git_repo_is_a_one_line_usage_error(tmp_path: Path, run: Runner) -> None:
    outside = tmp_path / "plain"
    outside.mkdir()
    result = run("gitmodel", "init", cwd=outside, check=False)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "not inside a Git work tree" in result.stderr and "git init" in result.stderr


def test_add_commit_delete_checkout_restores_identical_bytes(gm_repo: Path, run: Runner) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    write(gm_repo / "models" / "churn.pkl", data)
    run(
        "gitmodel",
        "add",
        "models/churn.pkl",
        "--metric",
        "accuracy=0.91",
        "--meta",
        "framework=sklearn",
    )
    staged = set(run("git", "diff", "--cached", "--name-only").stdout.split())
    assert staged == {"models/churn.pkl.gitmodel", "models/.gitignore"}
    assert "/churn.pkl" in (gm_repo / "models" / ".gitignore").read_text().splitlines()
    run("git", "commit", "-qm", "churn v1")
    assert run("git", "status", "--porcelain").stdout == ""

    (gm_repo / "models" / "churn.pkl").unlink()
    status = run("gitmodel", "status", "--check", check=False)
    assert status.returncode == 1 and "missing" in status.stdout
    run("gitmodel", "checkout")
    assert (gm_repo / "models" / "churn.pkl").read_bytes() == data
    assert run("gitmodel", "status", "--check").returncode == 0


def test_readding_unchanged_file_is_a_no_op(gm_repo: Path, run: Runner) -> None:
    write(gm_repo / "m.bin", b"weights" * 1000)
    run("gitmodel", "add", "m.bin", "--metric", "acc=0.5")
    pointer = (gm_repo / "m.bin.gitmodel").read_bytes()
    mtime = (gm_repo / "m.bin.gitmodel").stat().st_mtime_ns
    result = run("gitmodel", "add", "m.bin")
    assert "unchanged" in result.stderr
    assert (gm_repo / "m.bin.gitmodel").read_bytes() == pointer
    assert (gm_repo / "m.bin.gitmodel").stat().st_mtime_ns == mtime


def test_same_bytes_and_options_give_byte_identical_pointers(
    tmp_path: Path, env, run: Runner
) -> None:
    data = os.urandom(100_000)
    pointers = []
    for name in ("a", "b"):
        repo = tmp_path / name
        repo.mkdir()
        run("git", "init", "-q", cwd=repo)
        run("gitmodel", "init", cwd=repo)
        write(repo / "m.bin", data)
        run(
            "gitmodel",
            "add",
            "m.bin",
            "--meta",
            "z=1",
            "--meta",
            "a=2",
            "--metric",
            "f1=0.5",
            cwd=repo,
        )
        pointers.append((repo / "m.bin.gitmodel").read_bytes())
    assert pointers[0] == pointers[1]


def test_checkout_rev_restores_an_older_version_and_stages_its_pointer(
    gm_repo: Path, run: Runner
) -> None:
    model = gm_repo / "model.bin"
    write(model, b"v1" * 50_000)
    run("gitmodel", "add", "model.bin")
    run("git", "commit", "-qm", "v1")
    write(model, b"v2" * 60_000)
    run("gitmodel", "add", "model.bin")
    run("git", "commit", "-qm", "v2")

    run("gitmodel", "checkout", "model.bin", "--rev", "HEAD~1")
    assert model.read_bytes() == b"v1" * 50_000
    assert run("git", "diff", "--cached", "--name-only").stdout.split() == ["model.bin.gitmodel"]
    run("gitmodel", "checkout", "model.bin", "--rev", "main")
    assert model.read_bytes() == b"v2" * 60_000


def test_git_checkout_of_old_commit_then_gitmodel_checkout(gm_repo: Path, run: Runner) -> None:
    model = gm_repo / "model.bin"
    write(model, b"one" * 10_000)
    run("gitmodel", "add", "model.bin")
    run("git", "commit", "-qm", "v1")
    write(model, b"two" * 10_000)
    run("gitmodel", "add", "model.bin")
    run("git", "commit", "-qm", "v2")
    run("git", "checkout", "-q", "HEAD~1")
    # The v2 bytes are in the cache, so replacing them loses nothing: no --force needed.
    run("gitmodel", "checkout")
    assert model.read_bytes() == b"one" * 10_000


def test_branch_switch_updates_the_binary(gm_repo: Path, run: Runner) -> None:
    model = gm_repo / "model.bin"
    write(model, b"main" * 10_000)
    run("gitmodel", "add", "model.bin")
    run("git", "commit", "-qm", "main model")
    run("git", "checkout", "-qb", "experiment")
    write(model, b"exp" * 10_000)
    run("gitmodel", "add", "model.bin")
    run("git", "commit", "-qm", "experimental model")
    run("git", "checkout", "-q", "main")
    run("gitmodel", "checkout")
    assert model.read_bytes() == b"main" * 10_000


def test_checkout_refuses_unsaved_edits_unless_forced(gm_repo: Path, run: Runner) -> None:
    model = gm_repo / "model.bin"
    write(model, b"saved" * 1000)
    run("gitmodel", "add", "model.bin")
    write(model, b"unsaved edits")
    result = run("gitmodel", "checkout", check=False)
    assert result.returncode == 1
    assert "not in the cache" in result.stderr and "--force" in result.stderr
    assert model.read_bytes() == b"unsaved edits"
    run("gitmodel", "checkout", "--force")
    assert model.read_bytes() == b"saved" * 1000


def test_directory_add_status_and_checkout(gm_repo: Path, run: Runner) -> None:
    model_dir = gm_repo / "models" / "bert"
    files = {f"layer{i}/w.bin": os.urandom(1000 + i) for i in range(20)}
    files["config.json"] = b"{}"
    for rel, data in files.items():
        write(model_dir / rel, data)
    (model_dir / "run.sh").write_text("#!/bin/sh\n")
    (model_dir / "run.sh").chmod(0o755)
    run("gitmodel", "add", "models/bert")
    pointer = (gm_repo / "models" / "bert.gitmodel").read_text()
    assert 'kind = "dir"' in pointer and "files = 22" in pointer
    run("git", "commit", "-qm", "bert")

    (model_dir / "layer3" / "w.bin").write_bytes(b"changed")
    (model_dir / "extra.txt").write_bytes(b"new file")
    status = json.loads(run("gitmodel", "status", "--json").stdout)
    assert status[0]["status"] == ["modified"]
    assert status[0]["changed_files"] == ["extra.txt", "layer3/w.bin"]

    run("gitmodel", "checkout", "--force")
    for rel, data in files.items():
        assert (model_dir / rel).read_bytes() == data
    assert not (model_dir / "extra.txt").exists()
    assert os.access(model_dir / "run.sh", os.X_OK)
    assert json.loads(run("gitmodel", "status", "--json").stdout)[0]["clean"]


def test_gc_keeps_head_and_workspace_and_removes_the_rest(gm_repo: Path, run: Runner) -> None:
    model = gm_repo / "model.bin"
    write(model, b"old" * 1000)
    run("gitmodel", "add", "model.bin")
    write(model, b"discarded" * 1000)
    run("gitmodel", "add", "model.bin")  # the "old" object is now referenced by nothing
    write(model, b"kept" * 1000)
    run("gitmodel", "add", "model.bin")
    run("git", "commit", "-qm", "kept")
    assert len(_cache_objects(gm_repo)) == 3
    dry = json.loads(run("gitmodel", "gc", "--dry-run", "--json").stdout)
    assert dry["removed"] == 2 and len(_cache_objects(gm_repo)) == 3
    run("gitmodel", "gc")
    assert len(_cache_objects(gm_repo)) == 1
    (gm_repo / "model.bin").unlink()
    run("gitmodel", "checkout")
    assert model.read_bytes() == b"kept" * 1000


def test_gc_all_commits_keeps_history(gm_repo: Path, run: Runner) -> None:
    model = gm_repo / "model.bin"
    for version in (b"a", b"b", b"c"):
        write(model, version * 5000)
        run("gitmodel", "add", "model.bin")
        run("git", "commit", "-qm", version.decode())
    run("gitmodel", "gc", "--all-commits")
    assert len(_cache_objects(gm_repo)) == 3
    run("gitmodel", "gc")
    assert len(_cache_objects(gm_repo)) == 1


def test_python_api_reads_old_versions_verified(gm_repo: Path, run: Runner) -> None:
    model = gm_repo / "model.bin"
    write(model, b"first")
    run("gitmodel", "add", "model.bin")
    run("git", "commit", "-qm", "1")
    write(model, b"second")
    run("gitmodel", "add", "model.bin")
    run("git", "commit", "-qm", "2")
    script = (
        "import gitmodel.api as gm, sys\n"
        "assert gm.read('model.bin') == b'second'\n"
        "assert gm.read('model.bin', rev='HEAD~1') == b'first'\n"
        "with gm.open('model.bin', rev='HEAD~1') as fh: assert fh.read(3) == b'fir'\n"
        "assert gm.status()[0].clean\n"
        "print('ok')\n"
    )
    import sys

    result = run(sys.executable, "-c", script)
    assert result.stdout.strip() == "ok"


def test_gc_keeps_what_head_needs_when_the_workspace_has_no_pointers(
    gm_repo: Path, run: Runner
) -> None:
    write(gm_repo / "model.bin", b"committed" * 1000)
    run("gitmodel", "add", "model.bin")
    run("git", "commit", "-qm", "model")
    (gm_repo / "model.bin.gitmodel").unlink()  # deleted in the workspace, still in HEAD
    run("gitmodel", "gc")
    assert len(_cache_objects(gm_repo)) == 1
    run("git", "checkout", "--", "model.bin.gitmodel")
    (gm_repo / "model.bin").unlink()
    run("gitmodel", "checkout")
    assert (gm_repo / "model.bin").read_bytes() == b"committed" * 1000
