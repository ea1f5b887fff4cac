"""Content hashing: object ids (oids) of files and byte streams.

blake3 is the default (multi-GB/s, multithreaded over mmap); sha256 gives Git LFS
compatible ids and md5 DVC compatible ones. The algorithm always travels with the
oid: a bare digest means nothing. Standard library only, except the ``blake3``
hashing primitive, imported on first use.
"""

from __future__ import annotations

import mmap
import os
import re
from collections.abc import Callable
from typing import BinaryIO, Protocol

ALGORITHMS = ("blake3", "sha256", "md5")
DEFAULT_ALGORITHM = "blake3"
HEX_LENGTH = {"blake3": 64, "sha256": 64, "md5": 32}
# Large buffers let blake3 spread one update() over several threads and keep the
# number of Python-level loop iterations small; 8 MiB keeps peak memory tiny.
CHUNK_SIZE = 8 * 1024 * 1024
# Below this, the thread pool of blake3 costs more than it saves.
_THREADED_MIN = 4 * 1024 * 1024

# Files at least this large are copied by the read / hash+write pipeline.
_PIPELINE_MIN = 32 * 1024 * 1024
_PIPELINE_BUFFERS = 3
_SMALL_BUFFER = 64 * 1024
_MMAP_WINDOW = 64 * 1024 * 1024  # a multiple of every page size

_HEX_RE = {algo: re.compile(rf"[0-9a-f]{{{n}}}") for algo, n in HEX_LENGTH.items()}


class Hasher(Protocol):
    def update(self, data: bytes | memoryview | mmap.mmap, /) -> object: ...
    def hexdigest(self) -> str: ...


def check_algorithm(algo: str) -> str:
    """Return ``algo`` if it is known, else raise ValueError naming the choices."""
    if algo not in HEX_LENGTH:
        raise ValueError(f"unknown hash algorithm {algo!r}; choose one of {', '.join(ALGORITHMS)}")
    return algo


def is_valid_oid(algo: str, oid: str) -> bool:
    """True when ``oid`` is exactly the lower-case hex digest length of ``algo``."""
    pattern = _HEX_RE.get(algo)
    return bool(pattern and pattern.fullmatch(oid))


def new_hasher(algo: str, size_hint: int = 0) -> Hasher:
    """A fresh incremental hasher; blake3 uses threads when the input is large."""
    check_algorithm(algo)
    if algo == "blake3":
        from blake3 import blake3

        threads = blake3.AUTO if size_hint >= _THREADED_MIN else 1
        return blake3(max_threads=threads)
    import hashlib  # only for sha256 / md5: loading OpenSSL costs ~4 ms

    return hashlib.new(algo)


def hash_bytes(data: bytes, algo: str = DEFAULT_ALGORITHM) -> str:
    """The oid of an in-memory byte string."""
    hasher = new_hasher(algo, len(data))
    hasher.update(data)
    return hasher.hexdigest()


def hash_file(path: str | os.PathLike[str], algo: str = DEFAULT_ALGORITHM) -> tuple[str, int]:
    """Return ``(oid, size)`` of a file without loading it into memory."""
    size = os.stat(path).st_size
    with open(path, "rb") as src:
        if algo == "blake3" and size >= _THREADED_MIN:
            # mmap + threads is blake3's fastest path (no copy into a buffer). It maps a
            # window at a time: a file mapped whole counts fully towards resident memory,
            # and peak RSS is one of our promises.

            hasher = new_hasher(algo, size)
            offset = 0
            while offset < size:
                length = min(_MMAP_WINDOW, size - offset)
                with mmap.mmap(
                    src.fileno(), length, offset=offset, access=mmap.ACCESS_READ
                ) as window:
                    hasher.update(window)
                offset += length
            return hasher.hexdigest(), size
        return hash_stream(src, algo, size_hint=size)


def hash_stream(
    src: BinaryIO, algo: str = DEFAULT_ALGORITHM, size_hint: int = 0
) -> tuple[str, int]:
    """Return ``(oid, size)`` of everything readable from ``src``."""
    return copy_and_hash(src, None, algo, size_hint=size_hint)


def copy_and_hash(
    src: BinaryIO,
    dst: BinaryIO | None,
    algo: str = DEFAULT_ALGORITHM,
    *,
    size_hint: int = 0,
    progress: Callable[[int], object] | None = None,
) -> tuple[str, int]:
    """Stream ``src`` into ``dst`` (if given) while hashing; bytes are read once.

    Returns ``(oid, bytes_copied)``. Memory stays at a few ``CHUNK_SIZE`` buffers.
    """
    if dst is not None and size_hint >= _PIPELINE_MIN and hasattr(src, "readinto"):
        return _pipelined_copy(src, dst, algo, size_hint, progress)
    hasher = new_hasher(algo, size_hint)
    # A small file gets a small buffer: zero-filling 8 MiB per file dominated adds of
    # many small files.
    size = CHUNK_SIZE if size_hint <= 0 or size_hint >= CHUNK_SIZE else size_hint + 1
    buf = bytearray(max(size, _SMALL_BUFFER))
    view = memoryview(buf)
    total = 0
    readinto = getattr(src, "readinto", None)
    while True:
        if readinto is not None:
            n = readinto(view)
            if not n:
                break
            chunk = view[:n]
        else:
            data = src.read(CHUNK_SIZE)
            if not data:
                break
            n = len(data)
            chunk = memoryview(data)
        hasher.update(chunk)
        if dst is not None:
            dst.write(chunk)
        total += n
        if progress is not None:
            progress(n)
    return hasher.hexdigest(), total


def _pipelined_copy(
    src: BinaryIO,
    dst: BinaryIO,
    algo: str,
    size_hint: int,
    progress: Callable[[int], object] | None,
) -> tuple[str, int]:
    """Large files: each chunk is read once, then written (by a helper thread) while it is
    hashed (blake3 spreads over the cores), so the copy costs about the slower of the two
    rather than their sum. Both release the GIL."""
    from concurrent.futures import Future, ThreadPoolExecutor

    hasher = new_hasher(algo, size_hint)
    buffers = [bytearray(CHUNK_SIZE) for _ in range(_PIPELINE_BUFFERS)]
    pending: list[Future[object] | None] = [None] * _PIPELINE_BUFFERS
    total = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="gitmodel-write") as writer:
        try:
            i = 0
            while True:
                slot = i % _PIPELINE_BUFFERS
                previous = pending[slot]
                if previous is not None:
                    previous.result()  # the buffer is free again once its write is done
                view = memoryview(buffers[slot])
                n = src.readinto(view)  # type: ignore[attr-defined]
                if not n:
                    break
                chunk = view[:n]
                pending[slot] = writer.submit(dst.write, chunk)
                hasher.update(chunk)
                total += n
                if progress is not None:
                    progress(n)
                i += 1
        finally:
            for future in pending:
                if future is not None:
                    future.result()
    return hasher.hexdigest(), total
