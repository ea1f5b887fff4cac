"""Verified local copies (storage/filecopy.py): exact bytes, the hash of the copy, and
the fallbacks and interruptions around the kernel copy."""

from __future__ import annotations

import errno
import os
import threading
from pathlib import Path

import pytest

from gitmodel.hashing import hash_bytes
from gitmodel.storage import filecopy

KiB = 1024


@pytest.fixture(autouse=True)
def small_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows of 64 KiB (a multiple of the mmap granularity), so small test files take
    the windowed path and cross several window boundaries."""
    monkeypatch.setattr(filecopy, "SMALL", 4 * KiB)
    monkeypatch.setattr(filecopy, "WINDOW", 64 * KiB)


def copy(tmp_path: Path, data: bytes, algo: str = "blake3", **kwargs: object) -> tuple[str, bytes]:
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.write_bytes(data)
    fin = os.open(src, os.O_RDONLY)
    fout = os.open(dst, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        oid = filecopy.copy_and_hash_file(fin, fout, len(data), algo, **kwargs)  # type: ignore[arg-type]
    finally:
        os.close(fin)
        os.close(fout)
    return oid, dst.read_bytes()


@pytest.mark.parametrize("size", [0, 1, 4 * KiB, 4 * KiB + 1, 64 * KiB, 64 * KiB + 1, 300 * KiB])
@pytest.mark.parametrize("algo", ["blake3", "sha256", "md5"])
def test_the_copy_is_exact_and_named_by_its_hash(tmp_path: Path, size: int, algo: str) -> None:
    data = os.urandom(size)
    oid, copied = copy(tmp_path, data, algo)
    assert copied == data and oid == hash_bytes(data, algo)


@pytest.mark.parametrize("code", [errno.EXDEV, errno.ENOSYS, errno.EOPNOTSUPP])
def test_without_a_kernel_copy_it_copies_through_a_buffer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    def refuse(*args: object) -> int:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "copy_file_range", refuse)
    data = os.urandom(200 * KiB)
    assert copy(tmp_path, data) == (hash_bytes(data, "blake3"), data)


def test_a_source_shorter_than_announced_gives_another_hash(tmp_path: Path) -> None:
    data = os.urandom(100 * KiB)
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.write_bytes(data)
    fin, fout = os.open(src, os.O_RDONLY), os.open(dst, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        oid = filecopy.copy_and_hash_file(fin, fout, len(data) + 5000, "blake3")
    finally:
        os.close(fin)
        os.close(fout)
    assert oid == hash_bytes(data, "blake3") != hash_bytes(data + bytes(5000), "blake3")


def test_an_exception_from_progress_stops_the_copy_and_leaves_no_thread(tmp_path: Path) -> None:
    before = threading.active_count()
    calls = []

    def stop(n: int) -> None:
        calls.append(n)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        copy(tmp_path, os.urandom(640 * KiB), progress=stop)
    assert len(calls) == 2
    assert threading.active_count() == before
