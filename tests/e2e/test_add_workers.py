"""Directories of many small files are added by worker processes: the result must be
the same as the threads' one, a worker's error must surface as the usual one-line
error, and Ctrl-C (sent to the whole process group, as a terminal does) must leave
no pointer and no partial object."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

import gitmodel.api as gm
from gitmodel.errors import GitModelError
from gitmodel.hashing import hash_file
from gitmodel.services import add as add_mod
from gitmodel.storage import cache as cache_mod
from tests.e2e.conftest import GITMODEL, Runner, write


def _make_dir(root: Path, count: int, *, big: bool = False) -> None:
    for i in range(count):
        write(root / f"d{i % 7}" / f"f{i:05}.bin", i.to_bytes(4, "big") * (1 + i % 50))
    if big:
        write(root / "large.bin", os.urandom(3 * 1024 * 1024))


def _objects(repo: Path) -> list[Path]:
    root = repo / ".git" / "gitmodel" / "objects"
    return [p for p in root.rglob("*") if p.is_file() and "tmp" not in p.relative_to(root).parts]


@pytest.fixture
def in_repo(gm_repo: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Path:
    """gm_repo as the current directory and environment of this (pytest) process."""
    for key in list(os.environ):
        if key not in env:
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(gm_repo)
    return gm_repo


def test_workers_give_the_same_pointer_as_threads(
    in_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(add_mod, "_PROCESS_MIN", 100)
    used: list[int] = []
    original = add_mod._small_in_processes

    def spy(*args: Any) -> Any:
        used.append(len(args[2]))
        return original(*args)

    monkeypatch.setattr(add_mod, "_small_in_processes", spy)
    _make_dir(in_repo / "data", 600, big=True)
    by_workers = gm.add(["data"], stage=False)[0].pointer
    assert used == [600]  # the large file went the other way

    # The same bytes again, by threads, into an empty cache.
    monkeypatch.setattr(add_mod, "_PROCESS_MIN", 10**9)
    for path in _objects(in_repo):
        path.chmod(0o644)
        path.unlink()
    (in_repo / ".git" / "gitmodel" / "state.db").unlink()
    by_threads = gm.add(["data"], stage=False)[0].pointer
    assert used == [600]
    assert by_threads == by_workers
    for path in _objects(in_repo):  # every object is whole and named by its hash
        algo_dir = path.parent.parent.name
        assert hash_file(path, algo_dir)[0] == path.parent.name + path.name


def test_a_worker_error_is_the_usual_one_line_error_and_no_pointer(
    in_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(add_mod, "_PROCESS_MIN", 100)
    original = cache_mod.Cache.add_small

    def failing(self: cache_mod.Cache, src: str, algo: str) -> tuple[str, int]:
        if src.endswith("f00321.bin"):
            raise cache_mod.disk_error(OSError(28, "No space left on device"), f"{src} to cache")
        return original(self, src, algo)

    monkeypatch.setattr(cache_mod.Cache, "add_small", failing)  # forked workers inherit it
    _make_dir(in_repo / "data", 500)
    with pytest.raises(GitModelError, match="no space left on device; nothing was changed"):
        gm.add(["data"], stage=False)
    assert not (in_repo / "data.gitmodel").exists()
    tmp = in_repo / ".git" / "gitmodel" / "objects" / "tmp"
    assert not tmp.exists() or list(tmp.iterdir()) == []


def test_ctrl_c_of_the_process_group_during_a_worker_add(
    gm_repo: Path, run: Runner, env: dict[str, str]
) -> None:
    _make_dir(gm_repo / "data", 20_000)
    proc = subprocess.Popen(
        [GITMODEL, "add", "data"],
        cwd=gm_repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    time.sleep(0.8)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode in (0, 130), err  # 0 only if it finished within 0.8 s
    assert "Traceback" not in err
    if proc.returncode == 130:
        assert not (gm_repo / "data.gitmodel").exists()
    for path in _objects(gm_repo):  # whatever was written is whole
        assert hash_file(path, "blake3")[0] == path.parent.name + path.name
    tmp = gm_repo / ".git" / "gitmodel" / "objects" / "tmp"
    assert not tmp.exists() or list(tmp.iterdir()) == []
    assert run("gitmodel", "add", "data").returncode == 0  # and it can simply be redone
    assert json_clean(run("gitmodel", "status", "--json").stdout)


def json_clean(text: str) -> bool:
    import json

    return all(entry["clean"] for entry in json.loads(text))
    return all(entry["clean"] for entry in json.loads(text))


def test_a_re_add_of_many_changed_files_goes_to_the_workers_too(
    in_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(add_mod, "_PROCESS_MIN", 100)
    _make_dir(in_repo / "data", 300)
    first = gm.add(["data"], stage=False)[0].pointer
    changed = sorted((in_repo / "data").rglob("*.bin"))[:200]
    for path in changed:
        path.write_bytes(path.read_bytes() + b"!")
    second = gm.add(["data"], stage=False)[0].pointer
    assert second.oid != first.oid and second.size == first.size + 200
    status = gm.status()
    assert [s.states for s in status] == [["clean"]]
