"""The state database (sqlite, WAL) at ``$GIT_DIR/gitmodel/state.db``.

- ``files``: (path, inode, mtime_ns, size) -> oid, so an unchanged file is never
  hashed twice.
- ``remote_objects``: (remote, algo, oid) known present, so pushing objects that a
  remote already has costs no network round trip per object.
- ``pointer_texts``: Git blob id -> the pointer text it holds, so scanning the pointers
  of many commits (pre-push, gc, push/fetch of history) reads each version from Git
  once. A blob id names its content for ever; readers still check it (``git.is_blob``).
- ``dir_verdicts``: a tracked directory last found clean: the digest of its listing
  (names and stats) and of its cache prefix directories' stats, so ``status`` of an
  unchanged directory of many files needs the listing only (no manifest, no row per
  file). Recorded only from non-racy stats, like ``files``.

It is only a memo: losing it costs time, never correctness. An entry whose file was
modified within ``RACY_NS`` of being recorded is not trusted (the "racy git"
problem: a write in the same timestamp tick would otherwise go unseen).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import NamedTuple, TypeVar

RACY_NS = 1_000_000_000
# remote_has: from this many objects asked about, scan the remote's rows (up to
# SCAN_FACTOR times as many) instead of looking each one up.
SCAN_MIN = 1000
SCAN_FACTOR = 3
SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    inode INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL,
    algo TEXT NOT NULL,
    oid TEXT NOT NULL,
    recorded_ns INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS remote_objects (
    remote TEXT NOT NULL,
    algo TEXT NOT NULL,
    oid TEXT NOT NULL,
    PRIMARY KEY (remote, algo, oid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pointer_texts (
    blob TEXT PRIMARY KEY,
    text BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dir_verdicts (
    model TEXT PRIMARY KEY,
    algo TEXT NOT NULL,
    oid TEXT NOT NULL,
    listing TEXT NOT NULL,
    prefixes TEXT NOT NULL,
    cache_stamp TEXT NOT NULL
) WITHOUT ROWID;
"""
# Pointer texts longer than this are not remembered (gitmodel writes them under 1 KiB).
POINTER_TEXT_MAX = 4096

T = TypeVar("T")


class DirVerdict(NamedTuple):
    """A tracked directory found clean: its pointer's (algo, oid), the digest of its
    listing, the cache prefix directories its objects live in, and their stamp."""

    algo: str
    oid: str
    listing: str
    prefixes: tuple[str, ...]
    cache_stamp: str


Row = tuple[int, int, int, str, str, int]  # inode, mtime_ns, size, algo, oid, recorded_ns
FileRow = tuple[str, os.stat_result, str, str]  # path, stat, algo, oid


class StateDB:
    """A memo of hashes and remote presence; every method is safe to call concurrently."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._conn = self._open()
            except sqlite3.DatabaseError:
                self._discard()
                self._conn = self._open()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(SCHEMA)
        except sqlite3.DatabaseError:
            conn.close()
            raise
        return conn

    def _discard(self) -> None:
        """A corrupt memo is thrown away: it only ever saves time."""
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(str(self.path) + suffix)

    def _safely(self, work: Callable[[sqlite3.Connection], T], fallback: T) -> T:
        """Run ``work``; on a corrupt database start afresh and return ``fallback``."""
        try:
            return work(self.conn)
        except sqlite3.OperationalError:
            return fallback  # locked or read-only .git: just slower
        except sqlite3.DatabaseError:
            self._discard()
            with contextlib.suppress(sqlite3.Error):
                return work(self.conn)
            return fallback

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # --- file hashes ------------------------------------------------------------

    @staticmethod
    def _trusted(row: Row, st: os.stat_result, algo: str) -> bool:
        inode, mtime_ns, size, row_algo, _oid, recorded_ns = row
        return (
            inode == st.st_ino
            and mtime_ns == st.st_mtime_ns
            and size == st.st_size
            and row_algo == algo
            and st.st_mtime_ns < recorded_ns - RACY_NS
        )

    def lookup(self, path: str, st: os.stat_result, algo: str) -> str | None:
        """The oid recorded for ``path`` if the file is unchanged since, else None."""
        row = self._safely(
            lambda c: c.execute(
                "SELECT inode, mtime_ns, size, algo, oid, recorded_ns FROM files WHERE path = ?",
                (path,),
            ).fetchone(),
            None,
        )
        return self.trusted(row, st, algo)

    def lookup_many(self, paths: list[str]) -> dict[str, Row]:
        """Rows of many paths in a few queries (for adds of many files)."""

        def work(conn: sqlite3.Connection) -> dict[str, Row]:
            found: dict[str, Row] = {}
            for i in range(0, len(paths), 500):
                chunk = paths[i : i + 500]
                marks = ",".join("?" * len(chunk))
                for r in conn.execute(
                    "SELECT path, inode, mtime_ns, size, algo, oid, recorded_ns FROM files "
                    f"WHERE path IN ({marks})",
                    chunk,
                ):
                    found[r[0]] = r[1:]
            return found

        return self._safely(work, {}) if paths else {}

    def lookup_prefix(self, prefix: str) -> dict[str, Row]:
        """All rows under a directory (``prefix`` ends with '/'), in one query."""
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return self._safely(
            lambda c: {
                r[0]: r[1:]
                for r in c.execute(
                    "SELECT path, inode, mtime_ns, size, algo, oid, recorded_ns FROM files "
                    "WHERE path >= ? AND path < ?",
                    (prefix, upper),
                )
            },
            {},
        )

    def trusted(self, row: Row | None, st: os.stat_result, algo: str) -> str | None:
        if row and self._trusted(row, st, algo):
            return str(row[4])
        return None

    def _write(self, sql: str, data: list[tuple[object, ...]]) -> None:
        def work(conn: sqlite3.Connection) -> None:
            conn.execute("BEGIN")
            try:
                conn.executemany(sql, data)
                conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise

        if data:
            self._safely(work, None)

    def record(self, rows: Iterable[FileRow]) -> None:
        now = time.time_ns()
        self._write(
            "INSERT OR REPLACE INTO files VALUES (?,?,?,?,?,?,?)",
            [
                (p, st.st_ino, st.st_mtime_ns, st.st_size, algo, oid, now)
                for p, st, algo, oid in rows
            ],
        )

    # --- remote presence ----------------------------------------------------------

    def remote_has(self, remote: str, algo: str, oids: Iterable[str]) -> set[str]:
        """The subset of ``oids`` recorded as present on ``remote``."""
        wanted = list(oids)

        def work(conn: sqlite3.Connection) -> set[str]:
            found: set[str] = set()
            if len(wanted) >= SCAN_MIN:
                # Many at once: reading the remote's rows in key order is several times
                # cheaper per row than looking each one up, as long as the remote does
                # not hold far more than is asked about (then: look them up).
                want = set(wanted)
                held = conn.execute(
                    "SELECT oid FROM remote_objects WHERE remote = ? AND algo = ? LIMIT ?",
                    (remote, algo, SCAN_FACTOR * len(wanted) + 1),
                ).fetchall()
                if len(held) <= SCAN_FACTOR * len(wanted):
                    return {oid for (oid,) in held if oid in want}
            for i in range(0, len(wanted), 500):
                chunk = wanted[i : i + 500]
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(
                    f"SELECT oid FROM remote_objects WHERE remote = ? AND algo = ? "
                    f"AND oid IN ({marks})",
                    (remote, algo, *chunk),
                )
                found.update(r[0] for r in rows)
            return found

        return self._safely(work, set())

    def mark_remote_has(self, remote: str, algo: str, oids: Iterable[str]) -> None:
        self._write(
            "INSERT OR IGNORE INTO remote_objects VALUES (?,?,?)",
            [(remote, algo, oid) for oid in oids],
        )

    def forget_remote(
        self, remote: str, algo: str | None = None, oids: Iterable[str] | None = None
    ) -> None:
        """Drop presence marks (after a verify finds an object gone, or a remote removed)."""
        if oids is None:
            self._write("DELETE FROM remote_objects WHERE remote = ?", [(remote,)])
        else:
            self._write(
                "DELETE FROM remote_objects WHERE remote = ? AND algo = ? AND oid = ?",
                [(remote, algo, oid) for oid in oids],
            )

    # --- pointer texts ------------------------------------------------------------

    def pointer_texts(self, blobs: list[str]) -> dict[str, bytes]:
        """Remembered texts of the Git blobs ``blobs`` (check them with ``git.is_blob``)."""

        def work(conn: sqlite3.Connection) -> dict[str, bytes]:
            found: dict[str, bytes] = {}
            for i in range(0, len(blobs), 500):
                chunk = blobs[i : i + 500]
                marks = ",".join("?" * len(chunk))
                for blob, text in conn.execute(
                    f"SELECT blob, text FROM pointer_texts WHERE blob IN ({marks})", chunk
                ):
                    found[blob] = bytes(text)
            return found

        return self._safely(work, {}) if blobs else {}

    def remember_pointer_texts(self, texts: Mapping[str, bytes]) -> None:
        self._write(
            "INSERT OR REPLACE INTO pointer_texts VALUES (?,?)",
            [(blob, text) for blob, text in texts.items() if len(text) <= POINTER_TEXT_MAX],
        )

    # --- directory verdicts -------------------------------------------------------

    def dir_verdict(self, model: str) -> DirVerdict | None:
        row = self._safely(
            lambda c: c.execute(
                "SELECT algo, oid, listing, prefixes, cache_stamp FROM dir_verdicts "
                "WHERE model = ?",
                (model,),
            ).fetchone(),
            None,
        )
        if row is None:
            return None
        algo, oid, listing, prefixes, stamp = row
        return DirVerdict(algo, oid, listing, tuple(prefixes.split(",")), stamp)

    def record_dir_verdict(self, model: str, verdict: DirVerdict) -> None:
        self._write(
            "INSERT OR REPLACE INTO dir_verdicts VALUES (?,?,?,?,?,?)",
            [
                (
                    model,
                    verdict.algo,
                    verdict.oid,
                    verdict.listing,
                    ",".join(verdict.prefixes),
                    verdict.cache_stamp,
                )
            ],
        )

    def forget_dir_verdict(self, model: str) -> None:
        self._write("DELETE FROM dir_verdicts WHERE model = ?", [(model,)])
