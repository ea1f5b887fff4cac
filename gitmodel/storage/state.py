"""The state database (sqlite, WAL) at ``$GIT_DIR/gitmodel/state.db``.

- ``files``: (path, inode, mtime_ns, size) -> oid, so an unchanged file is never
  hashed twice.
- ``remote_objects``: (remote, algo, oid) known present, so pushing objects that a
  remote already has costs no network round trip per object.

It is only a memo: losing it costs time, never correctness. An entry whose file was
modified within ``RACY_NS`` of being recorded is not trusted (the "racy git"
problem: a write in the same timestamp tick would otherwise go unseen).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

RACY_NS = 1_000_000_000
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
"""

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
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            try:
                conn.executescript(SCHEMA)
            except sqlite3.DatabaseError:
                # A corrupt memo is thrown away: it only ever saves time.
                conn.close()
                for suffix in ("", "-wal", "-shm"):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(str(self.path) + suffix)
                conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.executescript(SCHEMA)
            self._conn = conn
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # --- file hashes ------------------------------------------------------------

    @staticmethod
    def _trusted(row: tuple[int, int, int, str, str, int], st: os.stat_result, algo: str) -> bool:
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
        row = self.conn.execute(
            "SELECT inode, mtime_ns, size, algo, oid, recorded_ns FROM files WHERE path = ?",
            (path,),
        ).fetchone()
        if row and self._trusted(row, st, algo):
            return str(row[4])
        return None

    def lookup_prefix(self, prefix: str) -> dict[str, tuple[int, int, int, str, str, int]]:
        """All rows under a directory (``prefix`` ends with '/'), in one query."""
        rows = self.conn.execute(
            "SELECT path, inode, mtime_ns, size, algo, oid, recorded_ns FROM files "
            "WHERE path >= ? AND path < ?",
            (prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)),
        )
        return {r[0]: r[1:] for r in rows}

    def trusted(
        self, row: tuple[int, int, int, str, str, int] | None, st: os.stat_result, algo: str
    ) -> str | None:
        if row and self._trusted(row, st, algo):
            return row[4]
        return None

    def record(self, rows: Iterable[FileRow]) -> None:
        now = time.time_ns()
        data = [
            (p, st.st_ino, st.st_mtime_ns, st.st_size, algo, oid, now) for p, st, algo, oid in rows
        ]
        if not data:
            return
        with contextlib.suppress(sqlite3.OperationalError):  # read-only .git: just slower
            self.conn.execute("BEGIN")
            self.conn.executemany("INSERT OR REPLACE INTO files VALUES (?,?,?,?,?,?,?)", data)
            self.conn.execute("COMMIT")

    # --- remote presence ----------------------------------------------------------

    def remote_has(self, remote: str, algo: str, oids: Iterable[str]) -> set[str]:
        """The subset of ``oids`` recorded as present on ``remote``."""
        wanted = list(oids)
        found: set[str] = set()
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                f"SELECT oid FROM remote_objects WHERE remote = ? AND algo = ? "
                f"AND oid IN ({marks})",
                (remote, algo, *chunk),
            )
            found.update(r[0] for r in rows)
        return found

    def mark_remote_has(self, remote: str, algo: str, oids: Iterable[str]) -> None:
        data = [(remote, algo, oid) for oid in oids]
        if not data:
            return
        with contextlib.suppress(sqlite3.OperationalError):
            self.conn.execute("BEGIN")
            self.conn.executemany("INSERT OR IGNORE INTO remote_objects VALUES (?,?,?)", data)
            self.conn.execute("COMMIT")

    def forget_remote(
        self, remote: str, algo: str | None = None, oids: Iterable[str] | None = None
    ) -> None:
        """Drop presence marks (after a verify finds an object gone, or a remote removed)."""
        if oids is None:
            self.conn.execute("DELETE FROM remote_objects WHERE remote = ?", (remote,))
            return
        self.conn.executemany(
            "DELETE FROM remote_objects WHERE remote = ? AND algo = ? AND oid = ?",
            [(remote, algo, oid) for oid in oids],
        )
