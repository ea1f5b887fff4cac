"""Object ids (DESIGN §2): blake3 by default, sha256 (Git LFS) and md5 (DVC) by choice."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest
from blake3 import blake3

from gitmodel import hashing
from gitmodel.hashing import (
    ALGORITHMS,
    CHUNK_SIZE,
    HEX_LENGTH,
    check_algorithm,
    copy_and_hash,
    hash_bytes,
    hash_file,
    hash_stream,
    is_valid_oid,
)

MiB = 1024 * 1024
THREADED_MIN = hashing._THREADED_MIN

KNOWN = {
    ("blake3", b""): "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262",
    ("blake3", b"abc"): "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85",
    ("sha256", b""): "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ("sha256", b"abc"): "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    ("md5", b""): "d41d8cd98f00b204e9800998ecf8427e",
    ("md5", b"abc"): "900150983cd24fb0d6963f7d28e17f72",
}


def reference(algo: str, data: bytes) -> str:
    if algo == "blake3":
        return blake3(data).hexdigest()
    return hashlib.new(algo, data).hexdigest()


# One random buffer, sliced for every size, keeps the test fast.
_DATA = os.urandom(2 * CHUNK_SIZE + 2)


# ---------------------------------------------------------------- known digests


@pytest.mark.parametrize(("algo", "data"), list(KNOWN))
def test_hash_bytes_gives_the_published_digest(algo: str, data: bytes) -> None:
    assert hash_bytes(data, algo) == KNOWN[algo, data]


@pytest.mark.parametrize(("algo", "data"), list(KNOWN))
def test_hash_file_gives_the_published_digest_and_size(
    algo: str, data: bytes, tmp_path: Path
) -> None:
    path = tmp_path / "f"
    path.write_bytes(data)
    assert hash_file(path, algo) == (KNOWN[algo, data], len(data))


def test_default_algorithm_is_blake3() -> None:
    assert hashing.DEFAULT_ALGORITHM == "blake3"
    assert hash_bytes(b"abc") == KNOWN["blake3", b"abc"]


def test_every_algorithm_has_a_hex_length() -> None:
    assert set(ALGORITHMS) == set(HEX_LENGTH)
    for (algo, _), digest in KNOWN.items():
        assert len(digest) == HEX_LENGTH[algo]


# ---------------------------------------------------------------- files of every size

BOUNDARY_SIZES = [
    THREADED_MIN - 1,
    THREADED_MIN,
    THREADED_MIN + 1,
    CHUNK_SIZE - 1,
    CHUNK_SIZE,
    CHUNK_SIZE + 1,
    2 * CHUNK_SIZE + 1,
]


@pytest.mark.parametrize("size", BOUNDARY_SIZES)
@pytest.mark.parametrize("algo", ALGORITHMS)
def test_hash_file_equals_hash_bytes_around_thread_and_chunk_boundaries(
    algo: str, size: int, tmp_path: Path
) -> None:
    data = _DATA[:size]
    path = tmp_path / "f"
    path.write_bytes(data)
    oid, got_size = hash_file(path, algo)
    assert got_size == size
    assert oid == hash_bytes(data, algo) == reference(algo, data)


@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 4097, 3 * 4096, 3 * 4096 + 5])
@pytest.mark.parametrize("algo", ALGORITHMS)
def test_streaming_is_exact_at_every_chunk_boundary(
    algo: str, size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hashing, "CHUNK_SIZE", 4096)
    data = _DATA[:size]
    assert hash_stream(io.BytesIO(data), algo) == (reference(algo, data), size)


def test_hash_file_accepts_str_paths(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    assert hash_file(str(path), "sha256") == (KNOWN["sha256", b"abc"], 3)


def test_hash_file_of_a_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        hash_file(tmp_path / "missing")


# ---------------------------------------------------------------- copy_and_hash


class ShortReads(io.RawIOBase):
    """A stream whose readinto returns at most ``step`` bytes, like a socket or pipe."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data = memoryview(data)
        self._pos = 0
        self._step = step

    def readable(self) -> bool:
        return True

    def readinto(self, buf: memoryview) -> int:  # type: ignore[override]
        chunk = self._data[self._pos : self._pos + min(self._step, len(buf))]
        buf[: len(chunk)] = chunk
        self._pos += len(chunk)
        return len(chunk)


class ReadOnly:
    """A stream with read() only (no readinto), like some fsspec file objects."""

    def __init__(self, data: bytes) -> None:
        self._src = io.BytesIO(data)

    def read(self, n: int = -1) -> bytes:
        return self._src.read(n)


@pytest.mark.parametrize("algo", ALGORITHMS)
def test_copy_and_hash_copies_exactly_and_returns_oid_and_size(algo: str) -> None:
    data = _DATA[: CHUNK_SIZE + 7]
    dst = io.BytesIO()
    assert copy_and_hash(io.BytesIO(data), dst, algo) == (reference(algo, data), len(data))
    assert dst.getvalue() == data


def test_copy_and_hash_copies_exactly_from_a_stream_with_short_reads() -> None:
    data = _DATA[:100_003]
    dst = io.BytesIO()
    oid, size = copy_and_hash(ShortReads(data, 997), dst, "blake3")  # type: ignore[arg-type]
    assert (oid, size) == (reference("blake3", data), len(data))
    assert dst.getvalue() == data


def test_copy_and_hash_copies_exactly_from_a_stream_without_readinto(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(hashing, "CHUNK_SIZE", 1000)
    data = _DATA[:10_500]
    dst = io.BytesIO()
    oid, size = copy_and_hash(ReadOnly(data), dst, "md5")  # type: ignore[arg-type]
    assert (oid, size) == (reference("md5", data), len(data))
    assert dst.getvalue() == data


def test_copy_and_hash_into_a_real_file(tmp_path: Path) -> None:
    data = _DATA[: CHUNK_SIZE + 1]
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.write_bytes(data)
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        oid, size = copy_and_hash(fin, fout, "blake3", size_hint=len(data))
    assert dst.read_bytes() == data
    assert (oid, size) == hash_file(dst, "blake3")


def test_copy_and_hash_reports_progress_that_adds_up_to_the_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(hashing, "CHUNK_SIZE", 4096)
    seen: list[int] = []
    _, size = copy_and_hash(io.BytesIO(_DATA[:10_000]), None, "sha256", progress=seen.append)
    assert sum(seen) == size == 10_000
    assert all(n > 0 for n in seen)


def test_copy_and_hash_of_an_empty_stream() -> None:
    dst = io.BytesIO()
    assert copy_and_hash(io.BytesIO(b""), dst, "md5") == (KNOWN["md5", b""], 0)
    assert dst.getvalue() == b""


# ---------------------------------------------------------------- names


@pytest.mark.parametrize("algo", ALGORITHMS)
def test_is_valid_oid_accepts_lower_case_hex_of_the_algorithms_length(algo: str) -> None:
    assert is_valid_oid(algo, ("0123456789abcdef" * 4)[: HEX_LENGTH[algo]])
    assert is_valid_oid(algo, KNOWN[algo, b"abc"])


@pytest.mark.parametrize(
    ("algo", "oid"),
    [
        ("blake3", KNOWN["blake3", b""].upper()),
        ("blake3", KNOWN["blake3", b""][:-1]),
        ("blake3", KNOWN["blake3", b""] + "0"),
        ("blake3", KNOWN["blake3", b""][:-1] + "g"),
        ("blake3", KNOWN["blake3", b""] + "\n"),
        ("blake3", " " + KNOWN["blake3", b""][1:]),
        ("blake3", KNOWN["md5", b""]),
        ("md5", KNOWN["sha256", b""]),
        ("sha256", "../../etc/" + "0" * 54),
        ("sha256", ""),
        ("sha1", "a" * 40),
        ("", ""),
    ],
)
def test_is_valid_oid_refuses_anything_else(algo: str, oid: str) -> None:
    assert not is_valid_oid(algo, oid)


def test_check_algorithm_names_the_choices() -> None:
    assert check_algorithm("sha256") == "sha256"
    with pytest.raises(ValueError, match="unknown hash algorithm 'sha1'; choose one of blake3"):
        check_algorithm("sha1")


def test_hashing_with_an_unknown_algorithm_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown hash algorithm"):
        hash_bytes(b"", "sha1")
