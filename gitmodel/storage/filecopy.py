"""Local file-to-file copies that are verified on the way: the kernel copies, the hash
is taken of the copy.

Used wherever an object moves between two local files (into a local-directory remote
and back out of it into the cache), so each such copy costs about one ``cp`` and
names exactly the bytes that landed. Large files are copied window by window with
``copy_file_range`` (what ``cp`` uses); each window, once copied, is hashed from the
page cache on another thread while the kernel copies the next, so the hash hides
behind the copy instead of following it. Hashing the *source* meanwhile would race
the copy for a cold disk; the copy's pages are in memory.
"""

from __future__ import annotations

import contextlib
import errno
import mmap
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from gitmodel.hashing import Hasher, hash_bytes, new_hasher

# Objects up to this size are read whole and written with one call.
SMALL = 1024 * 1024
# Copy and hash windows; a multiple of every page size. Two are mapped at a time at
# most, which bounds what the hash adds to resident memory.
WINDOW = 32 * 1024 * 1024
_FALLBACK_CHUNK = 8 * 1024 * 1024
_NO_KERNEL_COPY = (errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EBADF)

Progress = Callable[[int], object] | None


def read_whole(fd: int, size: int) -> bytes:
    """All ``size`` bytes of the file open as ``fd``, from offset 0, in as few calls as it takes."""
    data = os.pread(fd, size, 0)
    if len(data) == size:
        return data
    parts = [data]
    got = len(data)
    while got < size:
        part = os.pread(fd, size - got, got)
        if not part:
            break  # the file shrank: the hash will not match
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def write_whole(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def publish(fd: int, tmp: str, final: str, write: Callable[[int], object], *, fsync: bool) -> None:
    """Fill the open temp file ``fd`` (named ``tmp``) with ``write(fd)``, flush it when
    asked, close it and rename it to ``final``, creating ``final``'s directory if it is
    the first of its prefix. Readers only ever see a whole object; on any failure the
    temp file is removed and the error raised."""
    published = False
    try:
        try:
            write(fd)
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.replace(tmp, final)
        except FileNotFoundError:
            os.makedirs(os.path.dirname(final), exist_ok=True)
            os.replace(tmp, final)
        published = True
    finally:
        if not published:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


def copy_and_hash_file(
    src_fd: int, dst_fd: int, size: int, algo: str, progress: Progress = None
) -> str:
    """Copy ``size`` bytes from ``src_fd`` to ``dst_fd`` (both from offset 0) and return
    the hash of the bytes now in ``dst_fd``, which must be open for reading and writing.

    ``progress(n)`` is called after every window copied; an exception it raises (a
    cancellation) stops the copy.
    """
    if size <= SMALL:
        data = read_whole(src_fd, size)
        write_whole(dst_fd, data)
        if progress is not None:
            progress(len(data))
        return hash_bytes(data, algo)
    _sequential(src_fd)
    hasher = new_hasher(algo, size)
    pending: list[Future[None]] = []
    kernel = hasattr(os, "copy_file_range")
    # Leaving the block waits for a running hash, so no window is still mapped after.
    with ThreadPoolExecutor(1, thread_name_prefix="gitmodel-hash") as pool:
        try:
            offset = 0
            while offset < size:
                n = min(WINDOW, size - offset)
                if kernel:
                    try:
                        n = _kernel_copy(src_fd, dst_fd, offset, n)
                    except OSError as exc:
                        if exc.errno not in _NO_KERNEL_COPY:
                            raise
                        kernel = False
                if not kernel:
                    n = _plain_copy(src_fd, dst_fd, offset, n)
                if n == 0:
                    break  # the source is shorter than announced: the hash will not match
                if len(pending) >= 2:
                    pending.pop(0).result()
                pending.append(pool.submit(_hash_window, hasher, dst_fd, offset, n))
                offset += n
                if progress is not None:
                    progress(n)
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    for future in pending:
        future.result()
    return hasher.hexdigest()


def _sequential(fd: int) -> None:
    """Tell the kernel a file will be read front to back (a larger read-ahead, as cp
    does): cold reads of a large object get markedly faster."""
    with contextlib.suppress(AttributeError, OSError):
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)


def _kernel_copy(src_fd: int, dst_fd: int, offset: int, count: int) -> int:
    done = 0
    while done < count:
        n = os.copy_file_range(src_fd, dst_fd, count - done, offset + done, offset + done)
        if n == 0:
            break
        done += n
    return done


def _plain_copy(src_fd: int, dst_fd: int, offset: int, count: int) -> int:
    """Filesystems (or kernels) without copy_file_range: read and write through a buffer."""
    done = 0
    while done < count:
        data = os.pread(src_fd, min(_FALLBACK_CHUNK, count - done), offset + done)
        if not data:
            break
        view = memoryview(data)
        at = offset + done
        while view:
            written = os.pwrite(dst_fd, view, at)
            view = view[written:]
            at += written
        done += len(data)
    return done


def _hash_window(hasher: Hasher, fd: int, offset: int, length: int) -> None:
    with mmap.mmap(fd, length, offset=offset, access=mmap.ACCESS_READ) as window:
        hasher.update(window)
