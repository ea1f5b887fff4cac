"""Sharing models through a remote with real git: git push uploads (pre-push hook),
a fresh clone pulls byte-identical models, several remotes replicate and verify."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from tests.e2e.conftest import Runner, write


def _setup(tmp_path: Path, run: Runner, remote_dir: Path) -> tuple[Path, Path]:
    bare = tmp_path / "origin.git"
    run("git", "init", "-q", "--bare", str(bare))
    work = tmp_path / "work"
    run("git", "clone", "-q", str(bare), str(work))
    run("gitmodel", "init", cwd=work)
    run("gitmodel", "remote", "add", "store", str(remote_dir), "--default", cwd=work)
    return bare, work


def test_git_push_uploads_and_a_fresh_clone_pulls_identical_models(
    tmp_path: Path, run: Runner
) -> None:
    store = tmp_path / "store"
    bare, work = _setup(tmp_path, run, store)
    model = os.urandom(2 * 1024 * 1024)
    write(work / "models" / "m.bin", model)
    for i in range(12):
        write(work / "models" / "tok" / f"{i}.json", os.urandom(100 + i))
    run("gitmodel", "add", "models/m.bin", "models/tok", cwd=work)
    run("git", "commit", "-qm", "models", cwd=work)
    pushed = run("git", "push", "-q", "origin", "HEAD:main", cwd=work)
    assert "uploaded 14 object(s) to store" in pushed.stderr
    again = run("gitmodel", "push", "--json", cwd=work)
    assert json.loads(again.stdout)["remotes"][0]["transferred"] == 0

    clone = tmp_path / "clone"
    run("git", "clone", "-q", "-b", "main", str(bare), str(clone))
    assert not (clone / "models" / "m.bin").exists()
    run("gitmodel", "pull", cwd=clone)
    assert (clone / "models" / "m.bin").read_bytes() == model
    for i in range(12):
        assert (clone / "models" / "tok" / f"{i}.json").read_bytes() == (
            work / "models" / "tok" / f"{i}.json"
        ).read_bytes()
    assert json.loads(run("gitmodel", "status", "--json", cwd=clone).stdout)[0]["clean"]


def test_pre_push_uploads_objects_of_pushed_commits_not_of_the_workspace(
    tmp_path: Path, run: Runner
) -> None:
    store = tmp_path / "store"
    _, work = _setup(tmp_path, run, store)
    write(work / "m.bin", b"committed" * 1000)
    run("gitmodel", "add", "m.bin", cwd=work)
    run("git", "commit", "-qm", "v1", cwd=work)
    write(work / "m.bin", b"uncommitted" * 1000)
    run("gitmodel", "add", "m.bin", cwd=work)  # added, not committed
    run("git", "push", "-q", "origin", "HEAD:main", cwd=work)
    objects = sorted(p.name for p in store.rglob("*") if p.is_file())
    committed = work / "m.bin.gitmodel"
    assert len(objects) == 1
    run("git", "stash", "-q", cwd=work)
    oid = next(line for line in committed.read_text().splitlines() if line.startswith("oid"))
    assert objects[0] in oid


def test_failed_upload_fails_the_push_with_one_line(tmp_path: Path, run: Runner) -> None:
    store = tmp_path / "store"
    _, work = _setup(tmp_path, run, store)
    write(work / "m.bin", b"x" * 5000)
    run("gitmodel", "add", "m.bin", cwd=work)
    run("git", "commit", "-qm", "v1", cwd=work)
    store.parent.joinpath("blocker").write_text("a file where the remote dir should be")
    run("gitmodel", "remote", "modify", "store", "url", str(store.parent / "blocker"), cwd=work)
    result = run("git", "push", "-q", "origin", "HEAD:main", cwd=work, check=False)
    assert result.returncode != 0
    assert "push blocked" in result.stderr
    assert "Traceback" not in result.stderr


def test_pull_falls_back_to_the_next_remote_and_verify_finds_gaps(
    tmp_path: Path, run: Runner
) -> None:
    primary, backup = tmp_path / "primary", tmp_path / "backup"
    bare, work = _setup(tmp_path, run, primary)
    run("gitmodel", "remote", "add", "backup", str(backup), cwd=work)
    write(work / "a.bin", b"a" * 4000)
    write(work / "b.bin", b"b" * 4000)
    run("gitmodel", "add", "a.bin", "b.bin", cwd=work)
    run("git", "commit", "-qm", "models", cwd=work)
    run("gitmodel", "push", "--all-remotes", cwd=work)
    assert run("gitmodel", "verify", "--all-remotes", cwd=work).returncode == 0

    # Lose one object on the primary: verify names it, pull still works via backup.
    victim = next(p for p in primary.rglob("*") if p.is_file())
    victim.chmod(0o644)
    victim.unlink()
    result = run("gitmodel", "verify", "--remote", "store", "--json", cwd=work, check=False)
    assert result.returncode == 1
    report = json.loads(result.stdout)["remotes"][0]
    assert len(report["missing"]) == 1

    run("git", "push", "-q", "origin", "HEAD:main", cwd=work)
    clone = tmp_path / "clone"
    run("git", "clone", "-q", "-b", "main", str(bare), str(clone))
    run("gitmodel", "pull", cwd=clone)
    assert (clone / "a.bin").read_bytes() == b"a" * 4000
    assert (clone / "b.bin").read_bytes() == b"b" * 4000
    # push repairs the primary; verify is clean again.
    run("gitmodel", "push", "--remote", "store", cwd=work)
    assert run("gitmodel", "verify", "--remote", "store", cwd=work).returncode == 0


def test_corrupt_object_on_remote_is_refused_and_nothing_is_left(
    tmp_path: Path, run: Runner
) -> None:
    store = tmp_path / "store"
    bare, work = _setup(tmp_path, run, store)
    write(work / "m.bin", os.urandom(50_000))
    run("gitmodel", "add", "m.bin", cwd=work)
    run("git", "commit", "-qm", "v1", cwd=work)
    run("git", "push", "-q", "origin", "HEAD:main", cwd=work)
    obj = next(p for p in store.rglob("*") if p.is_file())
    obj.chmod(0o644)
    data = bytearray(obj.read_bytes())
    data[100] ^= 0xFF
    obj.write_bytes(bytes(data))

    clone = tmp_path / "clone"
    run("git", "clone", "-q", "-b", "main", str(bare), str(clone))
    result = run("gitmodel", "pull", cwd=clone, check=False)
    assert result.returncode == 1
    assert "corrupt" in result.stderr and result.stderr.count("\n") <= 2
    assert not (clone / "m.bin").exists()
    cache = clone / ".git" / "gitmodel" / "objects"
    assert [p for p in cache.rglob("*") if p.is_file()] == []
    deep = run("gitmodel", "verify", "--deep", "--json", cwd=work, check=False)
    assert deep.returncode == 1 and json.loads(deep.stdout)["remotes"][0]["corrupt"]
    shutil.rmtree(store)
    run("gitmodel", "push", cwd=work)
    run("gitmodel", "pull", cwd=clone)
    assert (clone / "m.bin").read_bytes() == (work / "m.bin").read_bytes()


def test_get_downloads_one_model_without_cloning(tmp_path: Path, run: Runner) -> None:
    store = tmp_path / "store"
    bare, work = _setup(tmp_path, run, store)
    write(work / "models" / "m.bin", b"version one" * 100)
    for i in range(3):
        write(work / "models" / "tok" / f"{i}.txt", f"token {i}".encode())
    run("gitmodel", "add", "models/m.bin", "models/tok", cwd=work)
    run("git", "commit", "-qm", "v1", cwd=work)
    run("git", "tag", "v1", cwd=work)
    write(work / "models" / "m.bin", b"version two" * 100)
    run("gitmodel", "add", "models/m.bin", cwd=work)
    run("git", "commit", "-qm", "v2", cwd=work)
    run("git", "push", "-q", "--tags", "origin", "HEAD:main", cwd=work)
    # Relative local remote paths resolve against a local source repository.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run("gitmodel", "get", str(bare), "models/m.bin", cwd=elsewhere)
    assert (elsewhere / "m.bin").read_bytes() == b"version two" * 100
    run("gitmodel", "get", str(bare), "models/m.bin", "--rev", "v1", "-o", "old.bin", cwd=elsewhere)
    assert (elsewhere / "old.bin").read_bytes() == b"version one" * 100
    again = run("gitmodel", "get", str(bare), "models/m.bin", cwd=elsewhere, check=False)
    assert again.returncode == 2 and "already exists" in again.stderr
    run("gitmodel", "get", str(bare), "models/tok", "-o", "tok", cwd=elsewhere)
    assert (elsewhere / "tok" / "2.txt").read_bytes() == b"token 2"
    missing = run("gitmodel", "get", str(bare), "models/nope.bin", cwd=elsewhere, check=False)
    assert missing.returncode == 2 and "not a tracked model" in missing.stderr
    import sys

    script = (
        "import gitmodel.api as gm\n"
        f"with gm.open('models/m.bin', repo={str(bare)!r}, rev='v1') as fh:\n"
        "    assert fh.read() == b'version one' * 100\n"
        "print('ok')\n"
    )
    assert run(sys.executable, "-c", script, cwd=elsewhere).stdout.strip() == "ok"
