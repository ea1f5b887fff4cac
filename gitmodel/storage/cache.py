"""The content-addressed cache: ``<root>/<algo>/<2 hex>/<rest>``.

Objects are written to a temporary file on the same filesystem, flushed, made
read-only and renamed into place, so a reader never sees a partial object and an
object is never modified once written. Every read that materialises an object in
the workspace re-hashes it on the way, so a corrupted cache is found, never spread.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from gitmodel.errors import CorruptObjectError, GitModelError, ObjectMissingError
from gitmodel.hashing import copy_and_hash, hash_bytes, hash_file, is_valid_oid

TMP_DIR = "tmp"
READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
_FICLONE = 0x40049409  # linux/fs.h: _IOW(0x94, 9, int)
WORKSPACE_TMP_MARK = ".gitmodel-tmp-"
_PARALLEL_VERIFY_MIN = 32 * 1024 * 1024
_OWN_WRITE_AGE_NS = 2_000_000_000  # beyond state.RACY_NS
_RETIRE_MIN = 256 * 1024 * 1024  # replaced files this large are deleted in the background
_SMALL_OBJECT = 1024 * 1024  # files up to this size are read whole
_TMP_NAMES = itertools.count()
_LIST_MIN = 256  # from this many objects, list prefix directories rather than stat each
# Errors of the disk being written, whoever's fault the read was.
_DISK_FULL_OR_LOCKED = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM)

Progress = Callable[[int], object] | None


def _syncfs(path: Path) -> None:
    """Flush the filesystem holding ``path`` (one call for a whole batch of objects)."""
    import ctypes

    fd = os.open(path, os.O_RDONLY)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.syncfs(fd) != 0:
            os.sync()
    except (OSError, AttributeError):
        os.sync()
    finally:
        os.close(fd)


def _read_all(fd: int) -> bytes:
    """The whole of a small open file: usually one read() call."""
    size = os.fstat(fd).st_size
    data = os.read(fd, size + 1)
    if len(data) <= size:
        return data
    parts = [data]  # it grew since the fstat: read to the end
    while chunk := os.read(fd, _SMALL_OBJECT):
        parts.append(chunk)
    return b"".join(parts)


def _reflink_fd(src_fd: int, dst_fd: int) -> bool:
    """Copy-on-write clone of the open file ``src_fd`` into ``dst_fd``; False if unsupported."""
    try:
        import fcntl

        fcntl.ioctl(dst_fd, _FICLONE, src_fd)
        return True
    except (OSError, ImportError):
        return False


def _workspace_temp(dest: Path, mode: int) -> tuple[int, str]:
    """A new hidden temp file next to ``dest`` (its directory made if need be), open for
    reading and writing, created with ``mode`` (less the umask)."""
    parent = str(dest.parent)
    prefix = f"{parent}/.{dest.name[:60]}{WORKSPACE_TMP_MARK}{os.getpid()}-"
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    while True:
        name = f"{prefix}{next(_TMP_NAMES)}"
        try:
            return os.open(name, flags, mode), name
        except FileNotFoundError:
            os.makedirs(parent, exist_ok=True)
        except FileExistsError:
            continue  # left by an earlier process with the same pid


def disk_error(exc: OSError, what: str) -> GitModelError:
    """Turn ENOSPC/EROFS/EACCES into a one-line error with a fix."""
    reason = {
        errno.ENOSPC: "no space left on device",
        errno.EDQUOT: "disk quota exceeded",
        errno.EROFS: "read-only file system",
        errno.EACCES: "permission denied",
        errno.EPERM: "operation not permitted",
    }.get(exc.errno or 0, exc.strerror or str(exc))
    return GitModelError(f"cannot write {what}: {reason}; nothing was changed")


def _copy_verified(src: Path, dst_fd: int, algo: str, progress: Progress) -> str:
    """Copy an object into ``dst_fd`` (open for reading and writing) and return the hash
    of the bytes copied. Large objects: the kernel copies and the copy is hashed as it
    lands (``storage.filecopy``), so the hash costs about nothing on top of a cp."""
    from gitmodel.storage import filecopy

    size = src.stat().st_size
    if size < _PARALLEL_VERIFY_MIN:
        with open(src, "rb") as fin, open(dst_fd, "wb", closefd=False) as fout:
            return copy_and_hash(fin, fout, algo, size_hint=size, progress=progress)[0]
    fd = os.open(src, os.O_RDONLY)
    try:
        return filecopy.copy_and_hash_file(fd, dst_fd, size, algo, progress)
    finally:
        os.close(fd)


def _check_copy(got: str, oid: str, source: str) -> None:
    if got != oid:
        raise CorruptObjectError(
            f"object {oid[:12]} from {source} is corrupt (its bytes hash to {got[:12]}); "
            "nothing was stored"
        )


def _retire(dest: Path) -> None:
    """Move a large file about to be replaced out of the way and delete it in a detached
    process: freeing GiBs of blocks (with online discard, seconds) need not hold up a
    checkout, as git gc --auto does not hold up a commit. Small files, or a failure to
    spawn, are left to the ordinary replace."""
    try:
        st = dest.lstat()
    except FileNotFoundError:
        return
    if not stat.S_ISREG(st.st_mode) or st.st_size < _RETIRE_MIN or st.st_nlink > 1:
        return
    trash = dest.with_name(f".{dest.name[:60]}{WORKSPACE_TMP_MARK}old-{os.getpid()}")
    try:
        os.replace(dest, trash)
    except OSError:
        return
    try:
        import subprocess

        subprocess.Popen(
            ["rm", "-f", "--", str(trash)],
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        trash.unlink(missing_ok=True)


class Cache:
    """A local content-addressed object store for one hash algorithm family."""

    def __init__(self, root: Path, *, fsync: bool = False) -> None:
        self.root = Path(root)
        self._root_str = str(self.root)
        # Like Git (core.fsync), objects are not fsynced unless asked: every read
        # re-verifies them, so a crash can cost an object, never a silent corruption.
        self.fsync = fsync
        self._made_dirs: set[Path] = set()
        self._tmp: str | None = None
        self._no_reflink: set[str] = set()  # workspace directories where reflink failed

    # --- layout -----------------------------------------------------------------

    def path(self, algo: str, oid: str) -> Path:
        if not is_valid_oid(algo, oid):
            # Never build a path from an unchecked name: it comes from untrusted text.
            raise CorruptObjectError(f"refusing invalid {algo} object id {oid[:80]!r}")
        return self.root / algo / oid[:2] / oid[2:]

    def has(self, algo: str, oid: str) -> bool:
        # String paths: status asks this for every file of a 10k-file directory.
        if not is_valid_oid(algo, oid):
            raise CorruptObjectError(f"refusing invalid {algo} object id {oid[:80]!r}")
        return os.path.isfile(f"{self._root_str}/{algo}/{oid[:2]}/{oid[2:]}")

    def present(self, algo: str, oids: Iterable[str]) -> set[str]:
        """Which of ``oids`` are in the cache. Many at once are found by listing their
        prefix directories (names only, no inode reads) instead of a stat each."""
        wanted = set(oids)
        for oid in wanted:
            if not is_valid_oid(algo, oid):
                raise CorruptObjectError(f"refusing invalid {algo} object id {oid[:80]!r}")
        if len(wanted) < _LIST_MIN:
            return {oid for oid in wanted if self.has(algo, oid)}
        by_prefix: dict[str, set[str]] = {}
        for oid in wanted:
            by_prefix.setdefault(oid[:2], set()).add(oid[2:])
        found: set[str] = set()
        for prefix, rests in by_prefix.items():
            try:
                names = set(os.listdir(f"{self._root_str}/{algo}/{prefix}"))
            except FileNotFoundError:
                continue
            found.update(prefix + rest for rest in rests & names)
        return found

    def prefix_stamp(
        self, algo: str, prefixes: Iterable[str], settled_before_ns: int | None = None
    ) -> str | None:
        """A digest of the stats of the prefix directories ``prefixes`` of ``algo``:
        it changes whenever an object is added to or removed from any of them. None
        if one is missing or (with ``settled_before_ns``) was modified at or after that
        time, too recently for its mtime to tell a later change apart."""
        parts = [self._root_str, algo]
        for prefix in prefixes:
            if len(prefix) != 2 or not all(c in "0123456789abcdef" for c in prefix):
                return None
            try:
                st = os.stat(f"{self._root_str}/{algo}/{prefix}")
            except OSError:
                return None
            if settled_before_ns is not None and st.st_mtime_ns >= settled_before_ns:
                return None
            parts.append(f"{prefix}:{st.st_dev}:{st.st_ino}:{st.st_mtime_ns}")
        return hash_bytes("\n".join(parts).encode(), "blake3")

    def size(self, algo: str, oid: str) -> int | None:
        try:
            return self.path(algo, oid).stat().st_size
        except FileNotFoundError:
            return None

    def tmp_dir(self) -> Path:
        path = self.root / TMP_DIR
        if path not in self._made_dirs:
            path.mkdir(parents=True, exist_ok=True)
            self._made_dirs.add(path)
        return path

    def _ensure_parent(self, path: Path) -> None:
        parent = path.parent
        if parent not in self._made_dirs:
            parent.mkdir(parents=True, exist_ok=True)
            self._made_dirs.add(parent)

    def iter_objects(self) -> Iterator[tuple[str, str, Path]]:
        """Every object as ``(algo, oid, path)``; stray files are ignored."""
        if not self.root.is_dir():
            return
        for algo_dir in self.root.iterdir():
            if algo_dir.name == TMP_DIR or not algo_dir.is_dir():
                continue
            algo = algo_dir.name
            for prefix in algo_dir.iterdir():
                if not prefix.is_dir() or len(prefix.name) != 2:
                    continue
                for entry in os.scandir(prefix):
                    oid = prefix.name + entry.name
                    if entry.is_file(follow_symlinks=False) and is_valid_oid(algo, oid):
                        yield algo, oid, Path(entry.path)

    # --- writing ----------------------------------------------------------------

    @contextlib.contextmanager
    def _temp(self) -> Iterator[tuple[BinaryIO, Path]]:
        """A temp file in the cache that is removed unless it was renamed into place."""
        try:
            import tempfile

            fd, name = tempfile.mkstemp(prefix="obj-", dir=self.tmp_dir())
        except OSError as exc:
            raise disk_error(exc, f"to the cache at {self.root}") from None
        tmp = Path(name)
        try:
            with os.fdopen(fd, "wb") as fh:
                yield fh, tmp
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()

    def _commit(self, tmp: Path, fh: BinaryIO, algo: str, oid: str, fsync: bool) -> Path:
        final = self.path(algo, oid)
        fh.flush()
        os.fchmod(fh.fileno(), READ_ONLY)
        if fsync:
            os.fsync(fh.fileno())
        if final.exists():
            return final  # same bytes already there: content addressing dedupes
        self._ensure_parent(final)
        os.replace(tmp, final)
        return final

    def add_file(
        self, src: Path, algo: str, *, fsync: bool | None = None, progress: Progress = None
    ) -> tuple[str, int]:
        """Copy a file into the cache and hash it; its bytes come off the disk once.

        Large files: the kernel copies (copy_file_range, as cp does), then blake3 hashes
        the copy from the page cache, so the oid names exactly the bytes the cache holds
        and an add costs about a cp plus a hash. The caller checks the file did not
        change meanwhile (size and mtime).
        """
        try:
            small = os.stat(src).st_size <= _SMALL_OBJECT
        except OSError as exc:
            raise disk_error(exc, f"{src} to the cache") from None
        if small:
            return self._add_small(Path(src), algo, progress)
        try:
            with self._temp() as (fout, tmp):
                oid = _copy_verified(Path(src), fout.fileno(), algo, progress)
                size = os.fstat(fout.fileno()).st_size
                self._commit(tmp, fout, algo, oid, self.fsync if fsync is None else fsync)
        except OSError as exc:
            raise disk_error(exc, f"{src} to the cache") from None
        return oid, size

    def _add_small(self, src: Path, algo: str, progress: Progress) -> tuple[str, int]:
        oid, size = self.add_small(str(src), algo)
        if progress is not None:
            progress(size)
        return oid, size

    def add_small(self, src: str, algo: str) -> tuple[str, int]:
        """A small file (read whole) in as few system calls as possible: directories of
        tens of thousands of files spend their time here, so this works on plain
        strings. Read, hash, and only if the object is new: create a read-only temp
        (mode set at creation), write, rename. Safe to call from several threads."""
        from gitmodel.hashing import hash_bytes
        from gitmodel.storage.filecopy import publish, write_whole

        try:
            fd = os.open(src, os.O_RDONLY | os.O_CLOEXEC)
            try:
                data = _read_all(fd)
            finally:
                os.close(fd)
            oid = hash_bytes(data, algo)
            final = f"{self._root_str}/{algo}/{oid[:2]}/{oid[2:]}"
            if os.path.exists(final):
                return oid, len(data)
            tmp = f"{self._tmp_str()}/obj-{os.getpid()}-{next(_TMP_NAMES)}"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, READ_ONLY)
            publish(fd, tmp, final, lambda fd: write_whole(fd, data), fsync=self.fsync)
        except OSError as exc:
            raise disk_error(exc, f"{src} to the cache") from None
        return oid, len(data)

    def _tmp_str(self) -> str:
        if self._tmp is None:
            self._tmp = str(self.tmp_dir())
        return self._tmp

    def add_bytes(self, data: bytes, algo: str) -> str:
        import io

        return self.add_stream(io.BytesIO(data), algo)[0]

    def add_stream(
        self,
        src: BinaryIO,
        algo: str,
        expected_oid: str | None = None,
        *,
        source: str = "stream",
        progress: Progress = None,
    ) -> tuple[str, int]:
        """Store a stream; with ``expected_oid`` a mismatch leaves nothing behind."""
        try:
            with self._temp() as (fout, tmp):
                oid, size = copy_and_hash(src, fout, algo, progress=progress)
                if expected_oid is not None and oid != expected_oid:
                    raise CorruptObjectError(
                        f"object {expected_oid[:12]} from {source} is corrupt "
                        f"(its bytes hash to {oid[:12]}); nothing was stored"
                    )
                self._commit(tmp, fout, algo, oid, fsync=self.fsync)
        except OSError as exc:
            raise disk_error(exc, "to the cache") from None
        return oid, size

    def add_copy(
        self,
        src_fd: int,
        algo: str,
        oid: str,
        *,
        source: str,
        progress: Progress = None,
    ) -> int:
        """Copy the open file ``src_fd`` into the cache as object ``oid``; return its size.

        For objects that are local files already (a local-directory remote): the kernel
        copies and the copy is hashed (``storage.filecopy``). A copy that does not hash
        to ``oid`` raises CorruptObjectError naming ``source`` and leaves nothing behind.
        Errors of the cache's disk become one-line errors; others (reading the source)
        are raised as they are, for the caller to name.
        """
        from gitmodel.storage import filecopy

        final = str(self.path(algo, oid))
        try:
            size = os.fstat(src_fd).st_size
            if size <= filecopy.SMALL:
                # Checked before anything is written: a bad object costs no temp file.
                data = filecopy.read_whole(src_fd, size)
                _check_copy(hash_bytes(data, algo), oid, source)

            def write(fd: int) -> None:
                if size <= filecopy.SMALL:
                    filecopy.write_whole(fd, data)
                    if progress is not None:
                        progress(len(data))
                else:
                    got = filecopy.copy_and_hash_file(src_fd, fd, size, algo, progress)
                    _check_copy(got, oid, source)

            fd, tmp = self._new_temp()
            filecopy.publish(fd, tmp, final, write, fsync=self.fsync)
        except OSError as exc:
            if exc.errno in _DISK_FULL_OR_LOCKED:
                raise disk_error(exc, "to the cache") from None
            raise
        return size

    def add_verified_bytes(self, data: bytes, algo: str, oid: str, *, source: str) -> int:
        """Store ``data`` as object ``oid`` if it hashes to it; otherwise raise
        CorruptObjectError naming ``source`` and store nothing. Returns the size."""
        from gitmodel.storage import filecopy

        _check_copy(hash_bytes(data, algo), oid, source)
        final = str(self.path(algo, oid))
        try:
            fd, tmp = self._new_temp()
            filecopy.publish(
                fd, tmp, final, lambda fd: filecopy.write_whole(fd, data), fsync=self.fsync
            )
        except OSError as exc:
            raise disk_error(exc, "to the cache") from None
        return len(data)

    def _new_temp(self) -> tuple[int, str]:
        """A new read-only temp file in the cache, open for reading and writing (the
        mode applies to later opens only)."""
        tmp_dir = self.tmp_dir()
        while True:
            name = f"{tmp_dir}/obj-{os.getpid()}-{next(_TMP_NAMES)}"
            try:
                return os.open(name, os.O_RDWR | os.O_CREAT | os.O_EXCL, READ_ONLY), name
            except FileExistsError:
                continue  # left by an earlier process with the same pid

    def sync(self) -> None:
        """Make every object written with ``fsync=False`` durable (one syscall), when the
        cache is configured to fsync at all."""
        if self.fsync and self.root.is_dir():
            _syncfs(self.root)

    def remove(self, algo: str, oid: str) -> int:
        path = self.path(algo, oid)
        try:
            size = path.stat().st_size
            path.unlink()
        except FileNotFoundError:
            return 0
        return size

    def quarantine(self, algo: str, oid: str) -> None:
        """Take a corrupt object out of the way so a fetch can bring a good copy."""
        with contextlib.suppress(FileNotFoundError):
            self.path(algo, oid).unlink()

    # --- reading ----------------------------------------------------------------

    def read_bytes(self, algo: str, oid: str, max_size: int | None = None) -> bytes:
        """A whole (small) object, verified."""
        path = self.path(algo, oid)
        try:
            data = path.read_bytes() if max_size is None else path.open("rb").read(max_size + 1)
        except FileNotFoundError:
            raise ObjectMissingError(
                f"object {oid[:12]} is not in the cache", fix="gitmodel pull"
            ) from None
        from gitmodel.hashing import hash_bytes

        if hash_bytes(data, algo) != oid:
            self.quarantine(algo, oid)
            raise CorruptObjectError(
                f"cache object {oid[:12]} was corrupt and has been removed",
                fix="gitmodel pull",
            )
        return data

    def verify(self, algo: str, oid: str) -> bool:
        """True when the object exists and its bytes hash to its name."""
        path = self.path(algo, oid)
        try:
            return hash_file(path, algo)[0] == oid
        except FileNotFoundError:
            return False

    def materialize(
        self,
        algo: str,
        oid: str,
        dest: Path,
        strategies: tuple[str, ...],
        *,
        executable: bool = False,
        progress: Progress = None,
    ) -> str:
        """Place object ``oid`` at ``dest`` atomically; return the strategy used.

        The object is verified while it is placed; a corrupt object raises
        CorruptObjectError, is removed from the cache, and ``dest`` is untouched.
        Safe to call from several threads (directories of thousands of files do).
        """
        src = self.path(algo, oid)
        try:
            src_fd = os.open(src, os.O_RDONLY | os.O_CLOEXEC)
        except (FileNotFoundError, IsADirectoryError):
            raise ObjectMissingError(
                f"object {oid[:12]} for {dest.name} is not in the cache", fix="gitmodel pull"
            ) from None
        try:
            return self._place(src, src_fd, algo, oid, dest, strategies, executable, progress)
        finally:
            os.close(src_fd)

    def _place(
        self,
        src: Path,
        src_fd: int,
        algo: str,
        oid: str,
        dest: Path,
        strategies: tuple[str, ...],
        executable: bool,
        progress: Progress,
    ) -> str:
        # The mode is given at creation (the kernel applies the umask): no chmod, and
        # no os.umask() dance, which would briefly change it for every thread.
        mode = 0o777 if executable else 0o666
        try:
            fd, tmp = _workspace_temp(dest, mode)
        except OSError as exc:
            raise disk_error(exc, str(dest)) from None
        parent = tmp.rpartition("/")[0]
        used = ""
        try:
            for strategy in strategies:
                if strategy == "reflink":
                    if parent in self._no_reflink or not _reflink_fd(src_fd, fd):
                        self._no_reflink.add(parent)  # same filesystems, same answer
                        continue
                    used = "reflink"
                    self._verify_or_quarantine(algo, oid, hash_file(tmp, algo)[0], dest)
                    break
                if strategy == "copy":
                    used = "copy"
                    self._copy_into(src_fd, fd, algo, oid, dest, progress)
                    break
                if strategy in ("hardlink", "symlink"):
                    self._verify_or_quarantine(algo, oid, hash_file(src, algo)[0], dest)
                    os.close(fd)
                    fd = -1
                    os.unlink(tmp)
                    if strategy == "hardlink":
                        try:
                            os.link(src, tmp)
                        except OSError:
                            # e.g. another filesystem: take the next strategy, fresh file.
                            fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_RDWR, mode)
                            continue
                    else:
                        os.symlink(src, tmp)
                    used = strategy
                    break
            if not used:
                raise GitModelError(
                    f"none of the link strategies {list(strategies)} worked for {dest}",
                    fix='add "copy" to cache.link in .gitmodel.toml',
                )
            if used in ("reflink", "copy"):
                # Dated just before the state db's racy window: the bytes are known (we
                # wrote them from a verified object), so the next status or checkout can
                # trust the memo instead of re-hashing; any later write gets a newer mtime.
                past = time.time_ns() - _OWN_WRITE_AGE_NS
                os.utime(fd, ns=(past, past))
            _retire(dest)
            os.replace(tmp, dest)
            tmp = ""
        except OSError as exc:
            raise disk_error(exc, str(dest)) from None
        finally:
            if fd >= 0:
                os.close(fd)
            if tmp:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
        return used

    def _copy_into(
        self, src_fd: int, fd: int, algo: str, oid: str, dest: Path, progress: Progress
    ) -> None:
        """Copy an object into the workspace temp ``fd``, verifying it; small objects are
        checked before a byte is written."""
        from gitmodel.storage import filecopy

        size = os.fstat(src_fd).st_size
        if size > filecopy.SMALL:
            got = filecopy.copy_and_hash_file(src_fd, fd, size, algo, progress)
            self._verify_or_quarantine(algo, oid, got, dest)
            return
        data = filecopy.read_whole(src_fd, size)
        self._verify_or_quarantine(algo, oid, hash_bytes(data, algo), dest)
        filecopy.write_whole(fd, data)
        if progress is not None:
            progress(len(data))

    def _verify_or_quarantine(self, algo: str, oid: str, got: str, dest: Path) -> None:
        if got != oid:
            self.quarantine(algo, oid)
            raise CorruptObjectError(
                f"cache object {oid[:12]} for {dest.name} was corrupt (bytes hash to "
                f"{got[:12]}); it was removed and {dest.name} left untouched",
                fix="gitmodel pull",
            )
