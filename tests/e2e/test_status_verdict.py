"""``status`` of a tracked directory remembers a clean verdict (listing digest + cache
prefix stamp) in the state db; every kind of change after it must still be reported."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.conftest import Runner, write

HOUR_AGO = time.time() - 3600


def _backdate(path: Path) -> None:
    os.utime(path, (HOUR_AGO, HOUR_AGO), follow_symlinks=False)


def _verdicts(repo: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(repo / ".git" / "gitmodel" / "state.db") as conn:
        return conn.execute("SELECT model, oid FROM dir_verdicts").fetchall()


def _objects_dir(repo: Path) -> Path:
    return repo / ".git" / "gitmodel" / "objects" / "blake3"


@pytest.fixture
def settled(gm_repo: Path, run: Runner) -> Path:
    """A committed directory model whose files and cache directories are all older than
    the racy window, after one status that recorded its clean verdict."""
    model = gm_repo / "data"
    for i in range(30):
        _backdate(write(model / f"part{i % 3}" / f"f{i:03}.bin", os.urandom(100 + i)))
    run("gitmodel", "add", "data")
    run("git", "commit", "-qm", "data")
    for prefix in _objects_dir(gm_repo).iterdir():
        _backdate(prefix)
    assert json.loads(run("gitmodel", "status", "--json").stdout)[0]["clean"]
    assert [m for m, _ in _verdicts(gm_repo)] == ["data"]
    return model


def _edit_same_size(model: Path) -> None:
    target = model / "part1" / "f001.bin"
    data = target.read_bytes()
    target.write_bytes(bytes(b ^ 0xFF for b in data))


def _new_file(model: Path) -> None:
    write(model / "part2" / "extra.bin", b"new")


def _removed_file(model: Path) -> None:
    (model / "part0" / "f000.bin").unlink()


def _renamed_file(model: Path) -> None:
    (model / "part0" / "f000.bin").rename(model / "part0" / "g000.bin")


CHANGES: dict[str, tuple[Callable[[Path], None], list[str]]] = {
    "same-size edit": (_edit_same_size, ["part1/f001.bin"]),
    "new file": (_new_file, ["part2/extra.bin"]),
    "removed file": (_removed_file, ["part0/f000.bin"]),
    "renamed file": (_renamed_file, ["part0/f000.bin", "part0/g000.bin"]),
}


def test_a_settled_clean_directory_stays_clean(settled: Path, run: Runner) -> None:
    for _ in range(2):
        assert json.loads(run("gitmodel", "status", "--json").stdout)[0]["clean"]
    assert run("gitmodel", "status", "--check").returncode == 0


@pytest.mark.parametrize("change", list(CHANGES))
def test_every_workspace_change_after_the_verdict_is_seen(
    settled: Path, run: Runner, change: str
) -> None:
    apply, changed = CHANGES[change]
    apply(settled)
    status = json.loads(run("gitmodel", "status", "--json").stdout)[0]
    assert status["status"] == ["modified"]
    assert status["changed_files"] == changed
    assert run("gitmodel", "status", "--check", check=False).returncode == 1


def test_a_cache_object_removed_after_the_verdict_is_seen(
    gm_repo: Path, settled: Path, run: Runner
) -> None:
    victim = next(p for p in _objects_dir(gm_repo).rglob("*") if p.is_file())
    victim.unlink()
    status = json.loads(run("gitmodel", "status", "--json").stdout)[0]
    assert status["status"] == ["not in cache"]


def test_a_removed_directory_after_the_verdict_is_missing(settled: Path, run: Runner) -> None:
    for path in sorted(settled.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    settled.rmdir()
    assert json.loads(run("gitmodel", "status", "--json").stdout)[0]["status"] == ["missing"]


def test_a_new_version_is_checked_in_full_not_by_the_old_verdict(
    gm_repo: Path, settled: Path, run: Runner
) -> None:
    ((_, old_oid),) = _verdicts(gm_repo)
    _new_file(settled)
    run("gitmodel", "add", "data")
    assert json.loads(run("gitmodel", "status", "--json").stdout)[0]["clean"]
    assert all(oid != old_oid for _, oid in _verdicts(gm_repo))


def test_no_verdict_is_recorded_from_racy_stats(gm_repo: Path, run: Runner) -> None:
    """A file modified within the racy window of a recording may change again within
    its mtime tick: never remember it as clean (the per-file memo does not trust it
    either). An mtime a minute ahead stays in that window however slow the machine."""
    ahead = time.time() + 60
    for i in range(5):
        path = write(gm_repo / "fresh" / f"f{i}.bin", os.urandom(50))
        os.utime(path, (ahead, ahead))
    run("gitmodel", "add", "fresh")
    for prefix in _objects_dir(gm_repo).iterdir():
        _backdate(prefix)  # only the files are racy
    for _ in range(2):
        assert json.loads(run("gitmodel", "status", "--json").stdout)[0]["clean"]
    assert _verdicts(gm_repo) == []
