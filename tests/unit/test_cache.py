"""The content-addressed cache (DESIGN §2): atomic, read-only, verified on the way out."""

from __future__ import annotations

import errno
import io
import os
import stat
import tempfile
import time
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from gitmodel import hashing
from gitmodel.errors import CorruptObjectError, GitModelError, ObjectMissingError
from gitmodel.hashing import hash_bytes
from gitmodel.storage import cache as cache_mod
from gitmodel.storage import filecopy
from gitmodel.storage.cache import TMP_DIR, WORKSPACE_TMP_MARK, Cache

DATA = b"model weights " * 1000
ALGO = "blake3"
OID = hash_bytes(DATA, ALGO)


@pytest.fixture
def cache(tmp_path: Path) -> Cache:
    return Cache(tmp_path / "cache")


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "model.bin"
    path.write_bytes(DATA)
    return path


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Copy in many small chunks, so a failure can happen after part was written."""
    monkeypatch.setattr(hashing, "CHUNK_SIZE", 1024)


def temp_files(cache: Cache) -> list[Path]:
    tmp = cache.root / TMP_DIR
    return sorted(tmp.iterdir()) if tmp.exists() else []


def all_objects(cache: Cache) -> list[str]:
    return sorted(oid for _, oid, _ in cache.iter_objects())


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if WORKSPACE_TMP_MARK in p.name)


def corrupt(cache: Cache, algo: str, oid: str) -> None:
    """Flip one byte of a stored object (objects are read-only: make it writable first)."""
    path = cache.path(algo, oid)
    path.chmod(path.stat().st_mode | stat.S_IWUSR)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


class FailingReader(io.RawIOBase):
    """Yields ``good`` bytes, then raises ``error`` (a network drop, a bad disk...)."""

    def __init__(self, good: bytes, error: BaseException) -> None:
        self._src = io.BytesIO(good)
        self._error = error

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        n = self._src.readinto(buf)
        if not n:
            raise self._error
        return n


def fail_copy_after_some_bytes(monkeypatch: pytest.MonkeyPatch, error: OSError) -> None:
    """Make the cache's copy loop write part of its input, then raise ``error``."""

    def failing(src: BinaryIO, dst: BinaryIO | None, *args: Any, **kwargs: Any) -> Any:
        if dst is not None:
            dst.write(src.read(100))
            dst.flush()
        raise error

    def failing_write(fd: int, data: bytes) -> None:
        os.write(fd, data[:100])
        raise error

    monkeypatch.setattr(cache_mod, "copy_and_hash", failing)
    monkeypatch.setattr(cache_mod, "_SMALL_OBJECT", -1)  # take the streaming path
    monkeypatch.setattr(filecopy, "write_whole", failing_write)  # and the small-copy one


# ---------------------------------------------------------------- layout


def test_objects_live_at_algo_two_hex_rest(cache: Cache) -> None:
    assert cache.path(ALGO, OID) == cache.root / ALGO / OID[:2] / OID[2:]


@pytest.mark.parametrize(
    ("algo", "oid"),
    [
        (ALGO, "../../etc/passwd"),
        (ALGO, "../" + "a" * 61),
        (ALGO, "aa/../../../../" + "a" * 49),
        (ALGO, "/" + "a" * 63),
        (ALGO, OID.upper()),
        (ALGO, OID[:-1]),
        (ALGO, ""),
        ("../blake3", OID),
        ("sha1", "a" * 40),
        ("md5", OID),
    ],
)
def test_path_refuses_an_invalid_object_id(cache: Cache, algo: str, oid: str) -> None:
    with pytest.raises(CorruptObjectError, match="refusing invalid"):
        cache.path(algo, oid)
    with pytest.raises(CorruptObjectError):
        cache.has(algo, oid)
    with pytest.raises(CorruptObjectError):
        cache.remove(algo, oid)


def test_iter_objects_lists_objects_and_ignores_temp_and_stray_files(
    cache: Cache, source: Path
) -> None:
    oid, _ = cache.add_file(source, ALGO)
    md5 = cache.add_bytes(b"x", "md5")
    (cache.root / TMP_DIR / "obj-stray").write_bytes(b"junk")
    (cache.root / ALGO / "zz").mkdir()
    (cache.root / ALGO / "zz" / "not-hex").write_bytes(b"junk")
    (cache.root / ALGO / OID[:2] / "short").write_bytes(b"junk")
    (cache.root / "README").write_text("stray")
    assert sorted((a, o) for a, o, _ in cache.iter_objects()) == sorted([(ALGO, oid), ("md5", md5)])


def test_iter_objects_of_a_cache_that_does_not_exist_is_empty(cache: Cache) -> None:
    assert list(cache.iter_objects()) == []


# ---------------------------------------------------------------- adding


def test_add_file_stores_the_bytes_under_their_hash(cache: Cache, source: Path) -> None:
    assert cache.add_file(source, ALGO) == (OID, len(DATA))
    assert cache.path(ALGO, OID).read_bytes() == DATA
    assert cache.has(ALGO, OID)
    assert cache.size(ALGO, OID) == len(DATA)
    assert temp_files(cache) == []


@pytest.mark.parametrize("algo", ["blake3", "sha256", "md5"])
def test_add_stream_stores_the_bytes_under_their_hash(cache: Cache, algo: str) -> None:
    oid, size = cache.add_stream(io.BytesIO(DATA), algo)
    assert (oid, size) == (hash_bytes(DATA, algo), len(DATA))
    assert cache.read_bytes(algo, oid) == DATA
    assert temp_files(cache) == []


def test_add_bytes_returns_the_oid(cache: Cache) -> None:
    assert cache.add_bytes(DATA, ALGO) == OID
    assert cache.verify(ALGO, OID)


def test_add_file_without_fsync_stores_a_good_object_and_sync_is_safe(
    cache: Cache, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[Path] = []
    monkeypatch.setattr(cache_mod, "_syncfs", synced.append)
    assert cache.add_file(source, ALGO, fsync=False) == (OID, len(DATA))
    assert cache.verify(ALGO, OID)
    cache.sync()
    assert synced in ([], [cache.root])  # one syncfs for the whole cache, if any


def test_sync_of_a_cache_that_does_not_exist_does_nothing(
    cache: Cache, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[Path] = []
    monkeypatch.setattr(cache_mod, "_syncfs", synced.append)
    cache.sync()
    assert synced == []


def test_objects_are_read_only(cache: Cache, source: Path) -> None:
    cache.add_file(source, ALGO)
    cache.add_bytes(b"other", "md5")
    for _, _, path in cache.iter_objects():
        assert stat.S_IMODE(path.stat().st_mode) & 0o222 == 0
        assert stat.S_IMODE(path.stat().st_mode) & stat.S_IRUSR


def test_adding_the_same_bytes_twice_keeps_one_untouched_object(cache: Cache, source: Path) -> None:
    cache.add_file(source, ALGO)
    before = cache.path(ALGO, OID).stat()
    assert cache.add_file(source, ALGO) == (OID, len(DATA))
    assert cache.add_stream(io.BytesIO(DATA), ALGO) == (OID, len(DATA))
    assert cache.add_bytes(DATA, ALGO) == OID
    after = cache.path(ALGO, OID).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert all_objects(cache) == [OID]
    assert temp_files(cache) == []


def test_the_same_bytes_under_two_algorithms_are_two_objects(cache: Cache) -> None:
    cache.add_bytes(DATA, "sha256")
    cache.add_bytes(DATA, "md5")
    assert {a for a, _, _ in cache.iter_objects()} == {"sha256", "md5"}


def test_add_file_reports_progress(cache: Cache, source: Path, small_chunks: None) -> None:
    seen: list[int] = []
    cache.add_file(source, ALGO, progress=seen.append)
    assert sum(seen) == len(DATA)


def test_add_stream_with_the_expected_oid_stores_it(cache: Cache) -> None:
    assert cache.add_stream(io.BytesIO(DATA), ALGO, expected_oid=OID) == (OID, len(DATA))


def test_add_stream_with_a_wrong_expected_oid_leaves_nothing(cache: Cache) -> None:
    other = hash_bytes(b"what the remote promised", ALGO)
    with pytest.raises(CorruptObjectError, match=r"from s3://b is corrupt.*nothing was stored"):
        cache.add_stream(io.BytesIO(DATA), ALGO, expected_oid=other, source="s3://b")
    assert all_objects(cache) == []
    assert temp_files(cache) == []


@pytest.mark.parametrize(
    "error", [OSError(errno.EIO, "Input/output error"), RuntimeError("connection dropped")]
)
def test_add_stream_whose_source_fails_mid_read_leaves_no_object_and_no_temp_file(
    cache: Cache, small_chunks: None, error: BaseException
) -> None:
    with pytest.raises((GitModelError, RuntimeError)):
        cache.add_stream(FailingReader(DATA, error), ALGO)  # type: ignore[arg-type]
    assert all_objects(cache) == []
    assert temp_files(cache) == []


def test_add_stream_interrupted_by_ctrl_c_leaves_no_temp_file(
    cache: Cache, small_chunks: None
) -> None:
    with pytest.raises(KeyboardInterrupt):
        cache.add_stream(FailingReader(DATA, KeyboardInterrupt()), ALGO)  # type: ignore[arg-type]
    assert all_objects(cache) == []
    assert temp_files(cache) == []


def test_add_file_whose_read_fails_mid_way_leaves_no_object_and_no_temp_file(
    cache: Cache, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fail_copy_after_some_bytes(monkeypatch, OSError(errno.EIO, "Input/output error"))
    with pytest.raises(GitModelError, match="Input/output error"):
        cache.add_file(source, ALGO)
    assert all_objects(cache) == []
    assert temp_files(cache) == []


@pytest.mark.parametrize("errno_value", [errno.ENOSPC, errno.EIO])
def test_small_file_write_failure_leaves_no_object_and_no_temp_file(
    cache: Cache, source: Path, monkeypatch: pytest.MonkeyPatch, errno_value: int
) -> None:
    real_write = os.write

    def failing_write(fd: int, data: Any) -> int:
        real_write(fd, bytes(data[:100]))
        raise OSError(errno_value, os.strerror(errno_value))

    monkeypatch.setattr(os, "write", failing_write)
    with pytest.raises(GitModelError, match=r"nothing was changed|error"):
        cache.add_file(source, ALGO)
    monkeypatch.undo()
    assert all_objects(cache) == []
    assert temp_files(cache) == []


def test_small_file_already_in_the_cache_is_not_written_again(cache: Cache, source: Path) -> None:
    cache.add_file(source, ALGO)
    before = cache.path(ALGO, OID).stat()
    assert cache.add_file(source, ALGO) == (OID, len(DATA))
    after = cache.path(ALGO, OID).stat()
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)


def test_add_file_of_a_missing_file_is_an_error_not_a_traceback(
    cache: Cache, tmp_path: Path
) -> None:
    with pytest.raises(GitModelError, match=r"missing\.bin"):
        cache.add_file(tmp_path / "missing.bin", ALGO)


# ---------------------------------------------------------------- no space left


@pytest.mark.parametrize("add", ["add_file", "add_stream"])
def test_no_space_left_while_copying_is_one_clear_error_and_nothing_partial(
    cache: Cache, source: Path, monkeypatch: pytest.MonkeyPatch, add: str
) -> None:
    fail_copy_after_some_bytes(monkeypatch, OSError(errno.ENOSPC, "No space left on device"))
    with pytest.raises(GitModelError, match="no space left on device; nothing was changed"):
        if add == "add_file":
            cache.add_file(source, ALGO)
        else:
            cache.add_stream(io.BytesIO(DATA), ALGO)
    assert all_objects(cache) == []
    assert temp_files(cache) == []


def test_no_space_left_on_fsync_is_one_clear_error_and_nothing_partial(
    tmp_path: Path, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = Cache(tmp_path / "cache", fsync=True)

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(GitModelError, match="no space left on device"):
        cache.add_file(source, ALGO, fsync=True)
    assert all_objects(cache) == []
    assert temp_files(cache) == []


def test_no_space_left_for_the_temp_file_is_one_clear_error(
    cache: Cache, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_space(*args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tempfile, "mkstemp", no_space)
    monkeypatch.setattr(cache_mod, "_SMALL_OBJECT", -1)  # the streaming path's temp file
    with pytest.raises(GitModelError, match="no space left on device"):
        cache.add_file(source, ALGO)
    assert all_objects(cache) == []


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (errno.EDQUOT, "disk quota exceeded"),
        (errno.EROFS, "read-only file system"),
        (errno.EACCES, "permission denied"),
    ],
)
def test_other_disk_errors_say_what_happened(
    cache: Cache, source: Path, monkeypatch: pytest.MonkeyPatch, code: int, reason: str
) -> None:
    fail_copy_after_some_bytes(monkeypatch, OSError(code, os.strerror(code)))
    with pytest.raises(GitModelError, match=reason):
        cache.add_file(source, ALGO)
    assert temp_files(cache) == []


# ---------------------------------------------------------------- reading


def test_read_bytes_returns_verified_bytes(cache: Cache) -> None:
    oid = cache.add_bytes(DATA, "sha256")
    assert cache.read_bytes("sha256", oid) == DATA


def test_read_bytes_of_a_missing_object_says_to_pull(cache: Cache) -> None:
    with pytest.raises(ObjectMissingError) as info:
        cache.read_bytes(ALGO, OID)
    assert info.value.fix == "gitmodel pull"


def test_read_bytes_of_a_corrupt_object_removes_it(cache: Cache) -> None:
    cache.add_bytes(DATA, ALGO)
    corrupt(cache, ALGO, OID)
    with pytest.raises(CorruptObjectError, match="was corrupt and has been removed"):
        cache.read_bytes(ALGO, OID)
    assert not cache.has(ALGO, OID)


def test_verify_tells_good_corrupt_and_missing_objects_apart(cache: Cache) -> None:
    cache.add_bytes(DATA, ALGO)
    assert cache.verify(ALGO, OID)
    corrupt(cache, ALGO, OID)
    assert not cache.verify(ALGO, OID)
    assert not cache.verify("md5", hash_bytes(DATA, "md5"))


def test_remove_returns_the_freed_size(cache: Cache) -> None:
    cache.add_bytes(DATA, ALGO)
    assert cache.remove(ALGO, OID) == len(DATA)
    assert cache.remove(ALGO, OID) == 0
    assert cache.size(ALGO, OID) is None


# ---------------------------------------------------------------- materialising


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def current_umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def test_materialize_copy_places_an_independent_writable_file(cache: Cache, tmp_path: Path) -> None:
    cache.add_bytes(DATA, ALGO)
    dest = tmp_path / "ws" / "models" / "m.bin"
    assert cache.materialize(ALGO, OID, dest, ("copy",)) == "copy"
    assert dest.read_bytes() == DATA
    assert mode(dest) == 0o666 & ~current_umask()
    assert dest.stat().st_ino != cache.path(ALGO, OID).stat().st_ino
    dest.write_bytes(b"edited")
    assert cache.verify(ALGO, OID)
    assert leftovers(dest.parent) == []


def test_materialize_copy_of_an_executable(cache: Cache, tmp_path: Path) -> None:
    cache.add_bytes(DATA, ALGO)
    dest = tmp_path / "run.sh"
    cache.materialize(ALGO, OID, dest, ("copy",), executable=True)
    assert mode(dest) == 0o777 & ~current_umask()


def test_materialize_replaces_an_existing_file(cache: Cache, tmp_path: Path) -> None:
    cache.add_bytes(DATA, ALGO)
    dest = tmp_path / "m.bin"
    dest.write_bytes(b"old version")
    cache.materialize(ALGO, OID, dest, ("copy",))
    assert dest.read_bytes() == DATA
    assert leftovers(tmp_path) == []


def test_materialize_with_reflink_first_falls_back_or_clones(cache: Cache, tmp_path: Path) -> None:
    cache.add_bytes(DATA, ALGO)
    dest = tmp_path / "m.bin"
    assert cache.materialize(ALGO, OID, dest, ("reflink", "copy")) in ("reflink", "copy")
    assert dest.read_bytes() == DATA
    assert leftovers(tmp_path) == []


def test_materialize_hardlink_shares_the_read_only_object(cache: Cache, tmp_path: Path) -> None:
    cache.add_bytes(DATA, ALGO)
    dest = tmp_path / "m.bin"
    assert cache.materialize(ALGO, OID, dest, ("hardlink",)) == "hardlink"
    assert dest.stat().st_ino == cache.path(ALGO, OID).stat().st_ino
    assert mode(dest) & 0o222 == 0
    assert leftovers(tmp_path) == []


def test_materialize_hardlink_across_filesystems_falls_back_to_the_next_strategy(
    cache: Cache, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache.add_bytes(DATA, ALGO)

    def cross_device(src: Any, dst: Any) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", cross_device)
    dest = tmp_path / "m.bin"
    assert cache.materialize(ALGO, OID, dest, ("hardlink", "copy")) == "copy"
    assert dest.read_bytes() == DATA
    assert leftovers(tmp_path) == []


def test_materialize_fails_clearly_when_no_strategy_works(
    cache: Cache, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache.add_bytes(DATA, ALGO)

    def cross_device(src: Any, dst: Any) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", cross_device)
    dest = tmp_path / "m.bin"
    dest.write_bytes(b"keep me")
    with pytest.raises(GitModelError, match="none of the link strategies") as info:
        cache.materialize(ALGO, OID, dest, ("hardlink",))
    assert "copy" in (info.value.fix or "")
    assert dest.read_bytes() == b"keep me"
    assert leftovers(tmp_path) == []


def test_materialize_symlink_points_at_the_object(cache: Cache, tmp_path: Path) -> None:
    cache.add_bytes(DATA, ALGO)
    dest = tmp_path / "m.bin"
    assert cache.materialize(ALGO, OID, dest, ("symlink",)) == "symlink"
    assert dest.is_symlink()
    assert Path(os.readlink(dest)) == cache.path(ALGO, OID)
    assert dest.read_bytes() == DATA
    assert leftovers(tmp_path) == []


def test_materialize_of_a_missing_object_says_to_pull(cache: Cache, tmp_path: Path) -> None:
    with pytest.raises(ObjectMissingError, match=r"m\.bin is not in the cache") as info:
        cache.materialize(ALGO, OID, tmp_path / "m.bin", ("copy",))
    assert info.value.fix == "gitmodel pull"
    assert not (tmp_path / "m.bin").exists()


@pytest.mark.parametrize(
    "strategies", [("copy",), ("reflink", "copy"), ("hardlink",), ("symlink",)]
)
def test_materialize_refuses_a_corrupt_object_leaving_the_destination_untouched(
    cache: Cache, tmp_path: Path, strategies: tuple[str, ...]
) -> None:
    cache.add_bytes(DATA, ALGO)
    corrupt(cache, ALGO, OID)
    dest = tmp_path / "ws" / "m.bin"
    dest.parent.mkdir()
    dest.write_bytes(b"the user's current model")
    with pytest.raises(CorruptObjectError, match=r"was corrupt .* m\.bin left untouched") as info:
        cache.materialize(ALGO, OID, dest, strategies)
    assert info.value.fix == "gitmodel pull"
    assert dest.read_bytes() == b"the user's current model"
    assert not dest.is_symlink()
    assert sorted(p.name for p in dest.parent.iterdir()) == ["m.bin"]
    assert not cache.has(ALGO, OID)


def test_materialize_refuses_a_corrupt_object_when_there_is_no_destination_yet(
    cache: Cache, tmp_path: Path
) -> None:
    cache.add_bytes(DATA, ALGO)
    corrupt(cache, ALGO, OID)
    with pytest.raises(CorruptObjectError):
        cache.materialize(ALGO, OID, tmp_path / "m.bin", ("copy",))
    assert list(tmp_path.iterdir()) == [cache.root]


def test_no_space_left_while_materialising_leaves_the_destination_untouched(
    cache: Cache, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache.add_bytes(DATA, ALGO)
    dest = tmp_path / "m.bin"
    dest.write_bytes(b"keep me")
    fail_copy_after_some_bytes(monkeypatch, OSError(errno.ENOSPC, "No space left on device"))
    with pytest.raises(GitModelError, match="no space left on device"):
        cache.materialize(ALGO, OID, dest, ("copy",))
    assert dest.read_bytes() == b"keep me"
    assert leftovers(tmp_path) == []
    assert cache.verify(ALGO, OID)


def test_no_space_left_for_the_workspace_temp_file_is_one_clear_error(
    cache: Cache, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache.add_bytes(DATA, ALGO)

    def no_space(*args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cache_mod, "_workspace_temp", no_space)
    with pytest.raises(GitModelError, match="no space left on device"):
        cache.materialize(ALGO, OID, tmp_path / "m.bin", ("copy",))


def test_replacing_a_large_file_retires_the_old_one_in_the_background(
    cache: Cache, source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    monkeypatch.setattr(cache_mod, "_RETIRE_MIN", 1)
    cache.add_file(source, ALGO)
    work = tmp_path / "work"
    work.mkdir()
    dest = work / "model.bin"
    dest.write_bytes(b"the old, large version")
    cache.materialize(ALGO, OID, dest, ("copy",))
    assert dest.read_bytes() == DATA
    deadline = time.monotonic() + 10
    while [p for p in work.iterdir() if p != dest] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [p.name for p in work.iterdir()] == ["model.bin"]


def test_prefix_stamp_changes_when_an_object_comes_or_goes(cache: Cache) -> None:
    oid_a = cache.add_bytes(b"first", "blake3")
    prefixes = [oid_a[:2]]
    before = cache.prefix_stamp("blake3", prefixes)
    assert before is not None and before == cache.prefix_stamp("blake3", prefixes)
    prefix_dir = cache.root / "blake3" / oid_a[:2]
    os.utime(prefix_dir, ns=(1, 1))  # a removal later: the mtime moves
    settled = cache.prefix_stamp("blake3", prefixes)
    os.chmod(cache.path("blake3", oid_a), 0o644)
    cache.path("blake3", oid_a).unlink()
    assert cache.prefix_stamp("blake3", prefixes) not in (before, settled)


def test_prefix_stamp_refuses_missing_racy_and_bad_prefixes(cache: Cache) -> None:
    oid = cache.add_bytes(b"x", "blake3")
    second_ago = time.time_ns() - 10**9
    # Written just now: within the racy second.
    assert cache.prefix_stamp("blake3", [oid[:2]], settled_before_ns=second_ago) is None
    old = second_ago - 10**10
    os.utime(cache.root / "blake3" / oid[:2], ns=(old, old))
    assert cache.prefix_stamp("blake3", [oid[:2]], settled_before_ns=second_ago) is not None
    missing = "00" if oid[:2] != "00" else "01"
    assert cache.prefix_stamp("blake3", [missing]) is None
    for bad in ("../x", "A0", "0", "zz"):
        assert cache.prefix_stamp("blake3", [bad]) is None
