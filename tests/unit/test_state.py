"""The state db (DESIGN §2): a memo of hashes and remote presence that only ever saves time."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from gitmodel.storage import state as state_mod
from gitmodel.storage.state import RACY_NS, StateDB

OID = "a" * 64
OTHER = "b" * 64
SECOND = 1_000_000_000


@pytest.fixture
def db(tmp_path: Path) -> Iterator[StateDB]:
    state = StateDB(tmp_path / "git" / "gitmodel" / "state.db")
    yield state
    state.close()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The time the state db records entries at; tests move it by hand."""
    now = [time.time_ns()]
    monkeypatch.setattr(state_mod, "time", SimpleNamespace(time_ns=lambda: now[0]))
    return now


def old_file(path: Path, data: bytes = b"weights", age_s: int = 10) -> os.stat_result:
    """A file last modified ``age_s`` seconds ago (well before any racy window)."""
    path.write_bytes(data)
    mtime = time.time_ns() - age_s * SECOND
    os.utime(path, ns=(mtime, mtime))
    return path.stat()


def set_mtime(path: Path, mtime_ns: int) -> os.stat_result:
    os.utime(path, ns=(mtime_ns, mtime_ns))
    return path.stat()


# ---------------------------------------------------------------- file hashes


def test_the_db_and_its_directory_are_created_on_first_use(db: StateDB, tmp_path: Path) -> None:
    assert not db.path.parent.exists()
    assert db.lookup("m.bin", old_file(tmp_path / "m.bin"), "blake3") is None
    assert db.path.is_file()


def test_lookup_hits_for_an_unchanged_file(db: StateDB, tmp_path: Path) -> None:
    st = old_file(tmp_path / "m.bin")
    db.record([("models/m.bin", st, "blake3", OID)])
    assert db.lookup("models/m.bin", (tmp_path / "m.bin").stat(), "blake3") == OID


def test_lookup_misses_for_an_unknown_path(db: StateDB, tmp_path: Path) -> None:
    st = old_file(tmp_path / "m.bin")
    db.record([("models/m.bin", st, "blake3", OID)])
    assert db.lookup("models/other.bin", st, "blake3") is None


def test_lookup_misses_for_another_algorithm(db: StateDB, tmp_path: Path) -> None:
    st = old_file(tmp_path / "m.bin")
    db.record([("m.bin", st, "blake3", OID)])
    assert db.lookup("m.bin", st, "sha256") is None


def test_lookup_misses_when_the_size_changed(db: StateDB, tmp_path: Path) -> None:
    path = tmp_path / "m.bin"
    st = old_file(path, b"weights")
    db.record([("m.bin", st, "blake3", OID)])
    path.write_bytes(b"weights, retrained")
    assert db.lookup("m.bin", set_mtime(path, st.st_mtime_ns), "blake3") is None


def test_lookup_misses_when_the_mtime_changed(db: StateDB, tmp_path: Path) -> None:
    path = tmp_path / "m.bin"
    st = old_file(path)
    db.record([("m.bin", st, "blake3", OID)])
    assert db.lookup("m.bin", set_mtime(path, st.st_mtime_ns - SECOND), "blake3") is None


def test_lookup_misses_when_the_inode_changed(db: StateDB, tmp_path: Path) -> None:
    path = tmp_path / "m.bin"
    st = old_file(path, b"weights")
    db.record([("m.bin", st, "blake3", OID)])
    # Same size and mtime, but a new file renamed into place (as editors and `git
    # checkout` do): only the inode tells.
    keep = tmp_path / "keep"
    os.link(path, keep)  # hold the old inode so the new file cannot reuse its number
    new = tmp_path / "new"
    new.write_bytes(b"WEIGHTS")
    set_mtime(new, st.st_mtime_ns)
    os.replace(new, path)
    now = path.stat()
    assert (now.st_size, now.st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    assert now.st_ino != st.st_ino
    assert db.lookup("m.bin", now, "blake3") is None


def test_recording_again_replaces_the_entry(db: StateDB, tmp_path: Path) -> None:
    path = tmp_path / "m.bin"
    st = old_file(path, b"v1")
    db.record([("m.bin", st, "blake3", OID)])
    st2 = old_file(path, b"v2 longer", age_s=5)
    db.record([("m.bin", st2, "blake3", OTHER)])
    assert db.lookup("m.bin", st2, "blake3") == OTHER
    assert db.lookup("m.bin", st, "blake3") is None


def test_recording_nothing_is_fine(db: StateDB) -> None:
    db.record([])
    assert not db.path.exists()  # not even opened


def test_an_entry_recorded_within_the_racy_window_is_not_trusted(
    db: StateDB, tmp_path: Path, clock: list[int]
) -> None:
    path = tmp_path / "m.bin"
    path.write_bytes(b"weights")
    st = set_mtime(path, clock[0] - SECOND // 2)
    db.record([("m.bin", st, "blake3", OID)])
    # A write in the same timestamp tick after recording would leave the stat unchanged.
    assert db.lookup("m.bin", st, "blake3") is None
    clock[0] += 60 * SECOND  # later lookups do not make it trusted: re-hash, re-record
    assert db.lookup("m.bin", st, "blake3") is None


@pytest.mark.parametrize(("age_ns", "trusted"), [(RACY_NS, False), (RACY_NS + 1, True)])
def test_the_racy_window_is_one_second_before_recording(
    db: StateDB, tmp_path: Path, clock: list[int], age_ns: int, trusted: bool
) -> None:
    path = tmp_path / "m.bin"
    path.write_bytes(b"weights")
    st = set_mtime(path, clock[0] - age_ns)
    db.record([("m.bin", st, "blake3", OID)])
    assert db.lookup("m.bin", st, "blake3") == (OID if trusted else None)


def test_a_file_modified_after_recording_is_a_miss_even_with_a_future_mtime(
    db: StateDB, tmp_path: Path, clock: list[int]
) -> None:
    path = tmp_path / "m.bin"
    path.write_bytes(b"weights")
    st = set_mtime(path, clock[0] + 3600 * SECOND)  # clock skew, e.g. files from a tarball
    db.record([("m.bin", st, "blake3", OID)])
    assert db.lookup("m.bin", st, "blake3") is None


def test_lookup_prefix_returns_the_rows_under_a_directory_only(db: StateDB, tmp_path: Path) -> None:
    st = old_file(tmp_path / "f")
    paths = ["models/a", "models/sub/b", "models", "models0/c", "modelsX/d", "mod/e"]
    db.record([(p, st, "blake3", OID) for p in paths])
    rows = db.lookup_prefix("models/")
    assert sorted(rows) == ["models/a", "models/sub/b"]
    assert db.trusted(rows["models/a"], st, "blake3") == OID
    assert db.trusted(rows["models/a"], st, "md5") is None
    assert db.trusted(None, st, "blake3") is None


# ---------------------------------------------------------------- remote presence


def test_remote_presence_is_remembered_per_remote_and_algorithm(db: StateDB) -> None:
    db.mark_remote_has("origin", "blake3", [OID])
    assert db.remote_has("origin", "blake3", [OID, OTHER]) == {OID}
    assert db.remote_has("backup", "blake3", [OID]) == set()
    assert db.remote_has("origin", "sha256", [OID]) == set()


def test_marking_twice_is_harmless(db: StateDB) -> None:
    db.mark_remote_has("origin", "blake3", [OID, OID])
    db.mark_remote_has("origin", "blake3", [OID])
    assert db.remote_has("origin", "blake3", [OID]) == {OID}


def test_remote_has_answers_for_many_oids_at_once(db: StateDB) -> None:
    oids = [f"{i:064x}" for i in range(1234)]
    db.mark_remote_has("origin", "blake3", oids[::2])
    assert db.remote_has("origin", "blake3", oids) == set(oids[::2])


def test_remote_has_is_exact_whether_the_remote_holds_few_or_many_more(db: StateDB) -> None:
    asked = [f"{i:064x}" for i in range(2000)]
    db.mark_remote_has("origin", "blake3", asked[::3])
    db.mark_remote_has("backup", "blake3", asked)  # another remote's rows do not count
    assert db.remote_has("origin", "blake3", asked) == set(asked[::3])
    others = [f"{i:064x}" for i in range(10**6, 10**6 + 7000)]
    db.mark_remote_has("origin", "blake3", others)  # now it holds more than 3x as many
    assert db.remote_has("origin", "blake3", asked) == set(asked[::3])
    assert db.remote_has("origin", "sha256", asked) == set()


def test_remote_has_of_nothing_is_empty(db: StateDB) -> None:
    assert db.remote_has("origin", "blake3", []) == set()
    db.mark_remote_has("origin", "blake3", [])


def test_forget_some_objects_of_a_remote(db: StateDB) -> None:
    db.mark_remote_has("origin", "blake3", [OID, OTHER])
    db.mark_remote_has("backup", "blake3", [OID])
    db.forget_remote("origin", "blake3", [OID])
    assert db.remote_has("origin", "blake3", [OID, OTHER]) == {OTHER}
    assert db.remote_has("backup", "blake3", [OID]) == {OID}


def test_forget_a_whole_remote(db: StateDB) -> None:
    db.mark_remote_has("origin", "blake3", [OID])
    db.mark_remote_has("origin", "md5", ["c" * 32])
    db.mark_remote_has("backup", "blake3", [OID])
    db.forget_remote("origin")
    assert db.remote_has("origin", "blake3", [OID]) == set()
    assert db.remote_has("origin", "md5", ["c" * 32]) == set()
    assert db.remote_has("backup", "blake3", [OID]) == {OID}


def test_presence_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    first = StateDB(path)
    first.mark_remote_has("origin", "blake3", [OID])
    first.close()
    second = StateDB(path)
    assert second.remote_has("origin", "blake3", [OID]) == {OID}
    second.close()


def test_the_db_uses_wal_so_readers_do_not_block_writers(db: StateDB) -> None:
    assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_two_handles_on_one_db_see_each_others_writes(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    a, b = StateDB(path), StateDB(path)
    a.mark_remote_has("origin", "blake3", [OID])
    assert b.remote_has("origin", "blake3", [OID]) == {OID}
    a.close()
    b.close()


# ---------------------------------------------------------------- pointer texts


def test_pointer_texts_are_remembered_by_blob_id(db: StateDB) -> None:
    db.remember_pointer_texts({"1" * 40: b"version = 1\n", "2" * 64: b"other\n"})
    assert db.pointer_texts(["1" * 40, "2" * 64, "3" * 40]) == {
        "1" * 40: b"version = 1\n",
        "2" * 64: b"other\n",
    }


def test_pointer_texts_answer_for_many_blobs_at_once(db: StateDB) -> None:
    texts = {f"{i:040x}": f"text {i}".encode() for i in range(1200)}
    db.remember_pointer_texts(texts)
    assert db.pointer_texts(list(texts)) == texts


def test_long_texts_are_not_remembered(db: StateDB) -> None:
    db.remember_pointer_texts({"1" * 40: b"x" * (state_mod.POINTER_TEXT_MAX + 1)})
    assert db.pointer_texts(["1" * 40]) == {}
    assert db.pointer_texts([]) == {}


def test_a_state_db_from_before_pointer_texts_gains_the_table(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(state_mod.SCHEMA.split("CREATE TABLE IF NOT EXISTS pointer_texts")[0])
    state = StateDB(path)
    state.remember_pointer_texts({"1" * 40: b"text"})
    assert state.pointer_texts(["1" * 40]) == {"1" * 40: b"text"}
    state.close()


# ---------------------------------------------------------------- a corrupt db is thrown away


def make_db_with_a_mark(path: Path) -> bytes:
    state = StateDB(path)
    state.mark_remote_has("origin", "blake3", [OID])
    state.close()  # checkpoints the WAL into the main file
    return path.read_bytes()


def assert_recreated_and_usable(path: Path) -> None:
    state = StateDB(path)
    try:
        assert state.remote_has("origin", "blake3", [OID]) == set()
        state.mark_remote_has("origin", "blake3", [OTHER])
        assert state.remote_has("origin", "blake3", [OTHER]) == {OTHER}
    finally:
        state.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_state_db_that_is_not_a_database_is_thrown_away_and_recreated(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(b"this is not an sqlite database " * 200)
    assert_recreated_and_usable(path)


def test_a_state_db_with_a_corrupt_schema_page_is_thrown_away_and_recreated(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.db"
    data = make_db_with_a_mark(path)
    path.write_bytes(data[:100] + b"\xff" * (4096 - 100) + data[4096:])
    assert_recreated_and_usable(path)


def test_a_state_db_with_corrupt_data_pages_is_thrown_away_and_recreated(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.db"
    data = make_db_with_a_mark(path)
    path.write_bytes(data[:4096] + b"\xff" * (len(data) - 4096))
    assert_recreated_and_usable(path)


def test_an_empty_state_db_file_is_usable(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(b"")
    assert_recreated_and_usable(path)


def test_a_deleted_state_db_only_costs_time(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    make_db_with_a_mark(path)
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    assert_recreated_and_usable(path)


def test_a_directory_verdict_round_trips_and_is_replaced_and_forgotten(db: StateDB) -> None:
    verdict = state_mod.DirVerdict("blake3", OID, "digest", ("00", "ab"), "stamp")
    assert db.dir_verdict("models/m") is None
    db.record_dir_verdict("models/m", verdict)
    assert db.dir_verdict("models/m") == verdict
    newer = verdict._replace(oid=OTHER, prefixes=("ff",))
    db.record_dir_verdict("models/m", newer)
    assert db.dir_verdict("models/m") == newer
    db.forget_dir_verdict("models/m")
    assert db.dir_verdict("models/m") is None


def test_a_corrupt_db_has_no_directory_verdicts(db: StateDB) -> None:
    db.record_dir_verdict("m", state_mod.DirVerdict("blake3", OID, "d", ("00",), "s"))
    db.close()
    db.path.write_bytes(b"not a database" * 100)
    assert db.dir_verdict("m") is None
