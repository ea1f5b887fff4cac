"""The remote contract: one suite, run against every backend with real servers.

Each test runs once per backend of the remotes kit (local, s3, gcs, azure, sftp,
webdav) through the ``remote_case`` fixture.
"""

from __future__ import annotations

import io
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gitmodel.errors import CorruptObjectError, ObjectMissingError, RemoteError
from gitmodel.hashing import hash_bytes, hash_file
from gitmodel.storage import transfer
from gitmodel.storage.cache import TMP_DIR, Cache
from gitmodel.storage.remote import Remote, RemoteAccessError
from gitmodel.storage.state import StateDB
from tests.contract.conftest import ALGO, BACKOFF, RemoteCase, remote_location

MiB = 2**20

Objects = dict[str, bytes]
MakeObjects = Callable[..., Objects]


class Counting:
    """A Progress that counts, safely from worker threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.files = 0
        self.bytes = 0
        self.started: list[tuple[int | None, int | None]] = []
        self.finished = 0

    def start(
        self, description: str, total_bytes: int | None = None, total_files: int | None = None
    ) -> None:
        self.started.append((total_files, total_bytes))

    def advance(self, nbytes: int) -> None:
        with self.lock:
            self.bytes += nbytes

    def file_done(self, count: int = 1) -> None:
        with self.lock:
            self.files += count

    def finish(self) -> None:
        self.finished += 1


def count_calls(monkeypatch: pytest.MonkeyPatch, obj: Any, *names: str) -> dict[str, int]:
    """Wrap methods of ``obj`` so their calls are counted (thread-safe)."""
    counts = dict.fromkeys(names, 0)
    lock = threading.Lock()
    for name in names:
        original = getattr(obj, name)

        def wrapper(*args: Any, _name: str = name, _original: Any = original, **kwargs: Any) -> Any:
            with lock:
                counts[_name] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(obj, name, wrapper)
    return counts


def assert_same_objects(cache: Cache, objects: Objects) -> None:
    for oid, data in objects.items():
        assert cache.path(ALGO, oid).read_bytes() == data


def cache_leftovers(cache: Cache) -> list[Path]:
    tmp = cache.root / TMP_DIR
    return sorted(tmp.iterdir()) if tmp.is_dir() else []


def tamper(case: RemoteCase, oid: str, change: Callable[[bytes], bytes]) -> None:
    """Rewrite a remote object behind the Remote's back."""
    path = case.object_path(oid)
    data = case.fs.cat_file(path)
    case.fs.rm_file(path)
    case.fs.pipe_file(path, change(data))
    case.fs.invalidate_cache()


# --- round trips -------------------------------------------------------------------------


def test_push_then_fetch_is_byte_identical(
    remote_case: RemoteCase,
    cache: Cache,
    other_cache: Cache,
    state: StateDB,
    make_objects: MakeObjects,
) -> None:
    objects = make_objects(12, size=300_000)
    objects[cache.add_bytes(b"", ALGO)] = b""
    objects[cache.add_bytes(b"ends in CR\r", ALGO)] = b"ends in CR\r"
    progress = Counting()

    pushed = transfer.push(
        cache, remote_case.remote, state, ALGO, objects, jobs=4, progress=progress
    )

    assert sorted(pushed.transferred) == sorted(objects)
    assert pushed.bytes == sum(map(len, objects.values())) == progress.bytes
    assert progress.files == len(objects) and progress.finished == 1
    fetched = transfer.fetch(other_cache, remote_case.make("clone"), ALGO, objects, jobs=4)
    assert sorted(fetched.transferred) == sorted(objects)
    assert_same_objects(other_cache, objects)
    assert cache_leftovers(other_cache) == []
    files = remote_case.files()
    assert sorted(files) == sorted(f"{ALGO}/{o[:2]}/{o[2:]}" for o in objects)  # no temporaries


def test_fetch_skips_objects_already_in_the_cache(
    remote_case: RemoteCase, cache: Cache, state: StateDB, make_objects: MakeObjects
) -> None:
    objects = make_objects(3)
    transfer.push(cache, remote_case.remote, state, ALGO, objects)
    result = transfer.fetch(cache, remote_case.remote, ALGO, objects)
    assert result.transferred == [] and sorted(result.skipped) == sorted(objects)


def test_open_streams_an_object(
    remote_case: RemoteCase, cache: Cache, state: StateDB, make_objects: MakeObjects
) -> None:
    ((oid, data),) = make_objects(1, size=100_000, vary=False).items()
    transfer.push(cache, remote_case.remote, state, ALGO, [oid])
    with remote_case.make().open(ALGO, oid) as f:
        assert f.read() == data


# --- presence --------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [3, 40], ids=["one-by-one", "listing"])
def test_exists_many_reports_exactly_the_pushed_objects(
    remote_case: RemoteCase, cache: Cache, state: StateDB, make_objects: MakeObjects, count: int
) -> None:
    pushed = make_objects(count, seed=1)
    absent = make_objects(count, seed=2)  # in the cache only
    transfer.push(cache, remote_case.remote, state, ALGO, pushed)
    fresh = remote_case.make()

    assert fresh.exists_many(ALGO, [*pushed, *absent]) == set(pushed)
    sizes = fresh.sizes(ALGO, [*pushed, *absent])
    assert sizes == {oid: len(data) for oid, data in pushed.items()}


def test_second_push_makes_no_network_calls(
    remote_case: RemoteCase,
    cache: Cache,
    state: StateDB,
    make_objects: MakeObjects,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    objects = make_objects(20)
    remote = remote_case.remote
    first = transfer.push(cache, remote, state, ALGO, objects)
    assert len(first.transferred) == 20
    calls = count_calls(
        monkeypatch, remote, "check", "exists_many", "sizes", "upload", "_stat", "_list_prefix"
    )

    second = transfer.push(cache, remote, state, ALGO, objects)

    assert second.transferred == [] and sorted(second.skipped) == sorted(objects)
    assert calls == dict.fromkeys(calls, 0)

    # With the memo lost, one batched existence check, still no upload.
    lost = StateDB(tmp_path / "fresh-state.db")
    third = transfer.push(cache, remote, lost, ALGO, objects)
    lost.close()
    assert third.transferred == []
    assert calls["sizes"] == 1 and calls["upload"] == 0
    assert calls["_stat"] == 0  # listed by prefix, not one request per object


def test_push_replaces_an_object_of_the_wrong_size_it_finds_on_the_remote(
    remote_case: RemoteCase,
    cache: Cache,
    state: StateDB,
    make_objects: MakeObjects,
    tmp_path: Path,
) -> None:
    objects = make_objects(3, size=50_000, vary=False)
    short = next(iter(objects))
    transfer.push(cache, remote_case.remote, state, ALGO, objects)
    # What a crash can leave of a copy that was never flushed to disk.
    tamper(remote_case, short, lambda b: b[: len(b) // 2])
    other = StateDB(tmp_path / "other-clone-state.db")  # no memo that vouches for it

    result = transfer.push(cache, remote_case.make(), other, ALGO, objects)
    other.close()

    assert result.transferred == [short] and len(result.skipped) == 2
    remote_case.fs.invalidate_cache()
    assert remote_case.fs.cat_file(remote_case.object_path(short)) == objects[short]
    assert [f for f in remote_case.files() if f.startswith("tmp/")] == []


# --- atomicity and integrity -------------------------------------------------------------------


class FailingSource(io.RawIOBase):
    """A stream that raises after ``fail_after`` bytes: a disk error, a dying process."""

    def __init__(self, data: bytes, fail_after: int) -> None:
        self.data = data
        self.pos = 0
        self.fail_after = fail_after

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if self.pos >= self.fail_after:
            raise OSError(5, "Input/output error (simulated)")
        n = min(n if n >= 0 else len(self.data), self.fail_after - self.pos, 1 * MiB)
        chunk = self.data[self.pos : self.pos + n]
        self.pos += len(chunk)
        return chunk


def test_interrupted_upload_leaves_no_object_and_no_temporary(remote_case: RemoteCase) -> None:
    data = os.urandom(16 * MiB)
    oid = hash_bytes(data, ALGO)
    # Small parts, so S3, GCS and Azure really have a multipart upload under way.
    extra = {"s3": {"default_block_size": 5 * MiB}, "azure": {"blocksize": 4 * MiB}}
    remote = remote_case.make(**extra.get(remote_case.backend, {}))

    with pytest.raises(OSError, match="simulated"):
        remote.upload_stream(ALGO, oid, FailingSource(data, 11 * MiB), size=len(data))

    assert remote.exists_many(ALGO, [oid]) == set()
    assert not remote_case.fs.exists(remote_case.object_path(oid))
    assert remote_case.files() == []  # no temporary either


def test_upload_refuses_bytes_that_do_not_match_the_id(
    remote_case: RemoteCase, tmp_path: Path
) -> None:
    good, bad = b"the real model" * 1000, b"a damaged copy" * 1000
    oid = hash_bytes(good, ALGO)
    path = tmp_path / "damaged"
    path.write_bytes(bad)

    with pytest.raises(CorruptObjectError, match="not uploaded"):
        remote_case.remote.upload(ALGO, oid, path)

    assert remote_case.files() == []


@pytest.mark.parametrize("damage", ["flipped-byte", "truncated"])
def test_damaged_remote_object_is_refused_and_leaves_nothing(
    remote_case: RemoteCase,
    cache: Cache,
    other_cache: Cache,
    state: StateDB,
    make_objects: MakeObjects,
    damage: str,
) -> None:
    (oid,) = make_objects(1, size=200_000, vary=False)
    transfer.push(cache, remote_case.remote, state, ALGO, [oid])
    if damage == "flipped-byte":
        tamper(remote_case, oid, lambda b: b[:1000] + bytes([b[1000] ^ 1]) + b[1001:])
    else:
        tamper(remote_case, oid, lambda b: b[: len(b) // 2])
    remote = remote_case.make()

    with pytest.raises(CorruptObjectError, match=f"{oid[:12]}.*corrupt"):
        remote.download(ALGO, oid, other_cache)
    assert not other_cache.has(ALGO, oid)
    assert cache_leftovers(other_cache) == []

    with pytest.raises(transfer.TransferError) as failed:
        transfer.fetch(other_cache, remote, ALGO, [oid])
    assert "corrupt" in failed.value.result.failed[oid]
    assert not other_cache.has(ALGO, oid) and cache_leftovers(other_cache) == []


def test_junk_in_prefix_listings_is_ignored(
    remote_case: RemoteCase, cache: Cache, state: StateDB, make_objects: MakeObjects
) -> None:
    objects = make_objects(20)
    transfer.push(cache, remote_case.remote, state, ALGO, objects)
    oid = next(iter(objects))
    prefix_dir = f"{remote_case.root}/{ALGO}/{oid[:2]}"
    fs = remote_case.fs
    fs.makedirs(prefix_dir, exist_ok=True)
    lookalike = oid[:2] + "0" * 62  # a valid id, present only as a directory
    junk = {
        "not-an-object": b"x",
        oid[2:].upper(): b"upper case",
        oid[2:-1]: b"too short",
        oid[2:] + ".tmp": b"a temporary",
        ".hidden": b"dot file",
    }
    for name, data in junk.items():
        fs.pipe_file(f"{prefix_dir}/{name}", data)
    fs.makedirs(f"{prefix_dir}/{lookalike[2:]}", exist_ok=True)
    fs.pipe_file(f"{prefix_dir}/{lookalike[2:]}/inner", b"nested")
    fs.invalidate_cache()
    remote = remote_case.make()

    asked = [*objects, lookalike]
    assert remote.exists_many(ALGO, asked) == set(objects)
    assert dict(remote.iter_objects(ALGO)) == {o: len(d) for o, d in objects.items()}


def test_missing_object_gives_a_clear_error(
    remote_case: RemoteCase,
    cache: Cache,
    other_cache: Cache,
    state: StateDB,
    make_objects: MakeObjects,
) -> None:
    present = make_objects(2, seed=3)
    absent = next(iter(make_objects(1, seed=4)))  # in the local cache only
    transfer.push(cache, remote_case.remote, state, ALGO, present)
    remote = remote_case.make("origin")

    with pytest.raises(ObjectMissingError, match=f"{absent[:12]} is not on remote origin"):
        remote.download(ALGO, absent, other_cache)
    with pytest.raises(ObjectMissingError), remote.open(ALGO, absent):
        pass
    with pytest.raises(transfer.TransferError, match="1 of 3 objects could not be fetched") as e:
        transfer.fetch(other_cache, remote, ALGO, [*present, absent])
    assert "\n" not in str(e.value)
    assert sorted(e.value.result.transferred) == sorted(present)
    assert_same_objects(other_cache, present)


def test_verify_finds_missing_wrong_size_and_corrupt_objects(
    remote_case: RemoteCase, cache: Cache, state: StateDB, make_objects: MakeObjects
) -> None:
    objects = make_objects(5, size=50_000, vary=False)
    good, gone, short, flipped, also_good = objects
    remote = remote_case.remote
    transfer.push(cache, remote, state, ALGO, objects)
    remote_case.fs.rm_file(remote_case.object_path(gone))
    tamper(remote_case, short, lambda b: b[:-1])
    tamper(remote_case, flipped, lambda b: bytes([b[0] ^ 1]) + b[1:])
    before = sorted(o for _, o, _ in cache.iter_objects())

    shallow = transfer.verify(cache, remote, ALGO, objects)
    deep = transfer.verify(cache, remote, ALGO, objects, deep=True, state=state)

    assert shallow.missing == [gone] and list(shallow.wrong_size) == [short]
    assert sorted(shallow.ok) == sorted([good, flipped, also_good])  # same size: looks fine
    assert deep.missing == [gone] and list(deep.wrong_size) == [short]
    assert deep.corrupt == [flipped] and sorted(deep.ok) == sorted([good, also_good])
    assert sorted(o for _, o, _ in cache.iter_objects()) == before  # nothing downloaded
    # The memo no longer claims the bad ones, so push repairs them after a remove.
    assert state.remote_has(remote.state_key, ALGO, objects) == {good, also_good}
    remote.remove(ALGO, flipped)
    remote.remove(ALGO, short)
    repaired = transfer.push(cache, remote, state, ALGO, objects)
    assert sorted(repaired.transferred) == sorted([gone, short, flipped])
    assert transfer.verify(cache, remote, ALGO, objects, deep=True).clean


# --- scale ---------------------------------------------------------------------------------------


def test_many_small_objects_with_many_jobs(
    remote_case: RemoteCase,
    cache: Cache,
    other_cache: Cache,
    state: StateDB,
    make_objects: MakeObjects,
) -> None:
    objects = make_objects(200, size=4000, seed=5)
    pushed = transfer.push(cache, remote_case.remote, state, ALGO, objects, jobs=8)
    assert len(pushed.transferred) == 200

    remote = remote_case.make("clone")
    assert remote.exists_many(ALGO, objects) == set(objects)
    fetched = transfer.fetch(other_cache, remote, ALGO, objects, jobs=8)
    assert len(fetched.transferred) == 200
    assert_same_objects(other_cache, objects)


@pytest.mark.slow
def test_large_object_with_parallel_jobs(
    remote_case: RemoteCase, cache: Cache, other_cache: Cache, state: StateDB, tmp_path: Path
) -> None:
    big = tmp_path / "model.bin"
    with open(big, "wb") as f:
        for _ in range(20):
            f.write(os.urandom(10 * MiB))
    small = tmp_path / "small.bin"
    small.write_bytes(os.urandom(MiB))
    oid, size = cache.add_file(big, ALGO, fsync=False)
    small_oid, _ = cache.add_file(small, ALGO, fsync=False)
    big.unlink()
    progress = Counting()

    transfer.push(
        cache, remote_case.remote, state, ALGO, [oid, small_oid], jobs=8, progress=progress
    )
    assert progress.started == [(2, size + MiB)] and progress.bytes == size + MiB

    remote = remote_case.make("clone")
    assert remote.sizes(ALGO, [oid]) == {oid: size}
    transfer.fetch(other_cache, remote, ALGO, [oid, small_oid], jobs=8)
    assert hash_file(other_cache.path(ALGO, oid), ALGO) == (oid, size)


# --- interruption ------------------------------------------------------------------------------


def test_ctrl_c_stops_cleans_up_and_the_next_push_resumes(
    remote_case: RemoteCase,
    cache: Cache,
    state: StateDB,
    make_objects: MakeObjects,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    objects = make_objects(40, size=20_000, seed=6)
    main = threading.get_ident()
    progress = Counting()
    sent = threading.Event()

    def file_done(count: int = 1) -> None:
        Counting.file_done(progress, count)
        if progress.files == 5 and not sent.is_set():
            sent.set()
            signal.pthread_kill(main, signal.SIGINT)  # what Ctrl-C does

    progress.file_done = file_done  # type: ignore[method-assign]

    with pytest.raises(KeyboardInterrupt):
        transfer.push(cache, remote_case.remote, state, ALGO, objects, jobs=4, progress=progress)

    key = remote_case.remote.state_key
    marked = state.remote_has(key, ALGO, objects)
    files = remote_case.files()
    assert all(not f.startswith("tmp/") for f in files), files  # temporaries removed
    on_remote = {f.split("/")[1] + f.split("/")[2] for f in files}
    assert marked <= on_remote < set(objects)  # stopped early; recorded what completed
    for oid in on_remote:  # whatever is there is whole
        assert remote_case.fs.cat_file(remote_case.object_path(oid)) == objects[oid]

    calls = count_calls(monkeypatch, remote_case.remote, "upload")
    resumed = transfer.push(cache, remote_case.remote, state, ALGO, objects, jobs=4)
    assert sorted(resumed.transferred) == sorted(set(objects) - on_remote)
    assert calls["upload"] == len(set(objects) - on_remote)


# --- errors --------------------------------------------------------------------------------


def test_unusable_remote_is_one_clear_error_without_secrets(
    remote_case: RemoteCase, cache: Cache, state: StateDB, make_objects: MakeObjects, tmp_path: Path
) -> None:
    objects = make_objects(3)
    secret = "Sup3r-Secret-Value"
    backend, env = remote_case.backend, remote_case.env

    if backend == "local":
        blocker = tmp_path / "a-file"
        blocker.write_text("not a directory")
        remote, expect = Remote("origin", str(blocker / "remote")), "origin"
    elif backend == "s3":
        remote = Remote(
            "origin",
            "s3://no-such-bucket/models",
            {"endpoint_url": env["REMOTE_S3_ENDPOINT_URL"], "key": "AKIA-ID", "secret": secret},
        )
        expect = "bucket 'no-such-bucket' does not exist.*aws s3 mb s3://no-such-bucket"
    elif backend == "gcs":
        remote = Remote(
            "origin",
            "gs://no-such-bucket/models",
            {"endpoint_url": env["REMOTE_GCS_ENDPOINT_URL"], "anon": True},
        )
        expect = "bucket 'no-such-bucket' does not exist.*gcloud storage buckets create"
    elif backend == "azure":
        wrong = env["REMOTE_AZURE_CONNECTION_STRING"].replace(
            env["REMOTE_AZURE_ACCOUNT_KEY"], "V3JvbmdLZXk" + secret.encode().hex() + "=="
        )
        remote = Remote("origin", remote_case.url, {"connection_string": wrong})
        expect = "access denied.*az login"
        secret = wrong.split("AccountKey=")[1].split(";")[0]
    elif backend == "sftp":
        key = tmp_path / "wrong_key"
        import subprocess

        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
        user = env["REMOTE_SFTP_USER"]
        url = remote_case.url.replace(f"ssh://{user}@", f"ssh://{user}:{secret}@", 1)
        remote = Remote("origin", url, {"key_filename": str(key), "known_hosts": False})
        expect = "access denied.*key_filename"
    else:  # webdav: the test server has no accounts; a host that is down
        remote = Remote("origin", f"webdav://alice:{secret}@127.0.0.1:9/models", backoff=0.01)
        expect = "cannot reach 127.0.0.1:9"

    with pytest.raises(RemoteError, match=expect) as failed:
        transfer.push(cache, remote, state, ALGO, objects)

    message = str(failed.value)
    assert "origin" in message and "\n" not in message
    assert secret not in message and secret not in repr(remote)
    if backend != "local":
        assert isinstance(failed.value, RemoteAccessError)


# --- a server that dies, a read-only remote (one backend each) -------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_webdav(share: Path, port: int) -> Any:
    """A WsgiDAV server of our own, so that the test may kill it."""
    import socket
    import subprocess
    import sys
    import time

    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wsgidav.server.server_cli",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--root",
            str(share),
            "--auth",
            "anonymous",
            "--no-config",
            "--quiet",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"wsgidav did not start on port {port}")


def _objects_on_disk(directory: Path) -> set[str]:
    """Objects under ``directory`` (a local view of a remote), each checked whole."""
    found = set()
    for path in directory.rglob("*"):
        if path.is_file() and path.parent.parent == directory:
            oid = path.parent.name + path.name
            assert hash_file(path, ALGO)[0] == oid, f"partial object {oid} visible"
            found.add(oid)
    return found


def test_server_killed_mid_push_fails_cleanly_and_a_later_push_resumes(
    cache: Cache,
    state: StateDB,
    make_objects: MakeObjects,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("wsgidav")
    pytest.importorskip("webdav4")

    share, port = tmp_path / "share", _free_port()
    (share / "models").mkdir(parents=True)
    objects = make_objects(60, size=60_000, seed=7)
    server = _start_webdav(share, port)
    try:
        remote = Remote("backup", f"webdav://127.0.0.1:{port}/models", backoff=0.02)
        progress = Counting()
        killed = threading.Event()

        def file_done(count: int = 1) -> None:
            Counting.file_done(progress, count)
            if progress.files >= 8 and not killed.is_set():
                killed.set()
                server.kill()  # SIGKILL: no goodbye, connections just drop
                server.wait()

        progress.file_done = file_done  # type: ignore[method-assign]
        with pytest.raises(RemoteError) as failed:
            transfer.push(cache, remote, state, ALGO, objects, jobs=4, progress=progress)

        message = str(failed.value)
        assert f"remote backup (webdav://127.0.0.1:{port}/models): cannot reach" in message
        assert "\n" not in message and isinstance(failed.value, RemoteAccessError)
        sent = _objects_on_disk(share / "models" / ALGO)  # whole objects only
        marked = state.remote_has(remote.state_key, ALGO, objects)
        assert len(marked) >= 5 and marked <= sent < set(objects)

        server = _start_webdav(share, port)
        calls = count_calls(monkeypatch, remote, "upload")
        resumed = transfer.push(cache, remote, state, ALGO, objects, jobs=4)

        assert set(resumed.transferred) == set(objects) - sent
        assert calls["upload"] == len(objects) - len(sent)  # nothing sent twice
        assert _objects_on_disk(share / "models" / ALGO) == set(objects)
    finally:
        server.kill()
        server.wait()


def test_http_remote_serves_fetches_and_refuses_pushes(
    cache: Cache, other_cache: Cache, state: StateDB, make_objects: MakeObjects, tmp_path: Path
) -> None:
    pytest.importorskip("aiohttp")
    import functools
    import http.server

    served = tmp_path / "served"
    objects = make_objects(5, seed=8)
    transfer.push(cache, Remote("disk", str(served)), state, ALGO, objects)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        mirror = Remote("mirror", url, backoff=0.01)
        absent = next(iter(make_objects(1, seed=9)))

        assert mirror.exists_many(ALGO, [*objects, absent]) == set(objects)
        transfer.fetch(other_cache, mirror, ALGO, objects)
        assert_same_objects(other_cache, objects)
        with pytest.raises(ObjectMissingError, match="not on remote mirror"):
            mirror.download(ALGO, absent, other_cache)
        with pytest.raises(RemoteAccessError, match="read-only"):
            transfer.push(cache, mirror, state, ALGO, [absent])
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_dropped_ssh_connection_is_reopened(
    remote_servers: dict[str, str], cache: Cache, make_objects: MakeObjects
) -> None:
    if "sftp" not in remote_servers["REMOTES_SERVERS"].split():
        pytest.skip("sftp server not started")
    root = f"{remote_servers['REMOTE_SFTP_ROOT']}/reconnect-{os.getpid()}"
    url, options = remote_location("sftp", root, remote_servers)
    remote = Remote("nas", url, options, backoff=BACKOFF)
    first, second = make_objects(2, seed=10)
    remote.upload(ALGO, first, cache.path(ALGO, first))
    broken = remote.fs
    broken.client.close()  # what a network drop or a server restart leaves behind

    remote.upload(ALGO, second, cache.path(ALGO, second))

    assert remote.fs is not broken
    assert remote.exists_many(ALGO, [first, second]) == {first, second}
    remote.fs.rm(root, recursive=True)


def test_push_of_a_rotten_cache_object_sends_nothing_and_quarantines_it(
    cache: Cache, state: StateDB, make_objects: MakeObjects, tmp_path: Path
) -> None:
    objects = make_objects(3, seed=11)
    rotten = next(iter(objects))
    path = cache.path(ALGO, rotten)
    path.chmod(0o644)
    path.write_bytes(b"bit rot")
    remote = Remote("disk", str(tmp_path / "remote"))

    with pytest.raises(transfer.TransferError, match="1 of 3 objects could not be pushed") as e:
        transfer.push(cache, remote, state, ALGO, objects)

    assert "corrupt" in e.value.result.failed[rotten]
    assert not cache.has(ALGO, rotten)  # a fetch can now bring a good copy
    assert remote.exists_many(ALGO, objects) == set(objects) - {rotten}
    assert state.remote_has(remote.state_key, ALGO, objects) == set(objects) - {rotten}


@pytest.mark.parametrize("option", [None, True, "true"], ids=["default", "bool", "text"])
def test_a_local_remote_fsyncs_each_object_only_when_asked(
    cache: Cache,
    state: StateDB,
    make_objects: MakeObjects,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    option: object,
) -> None:
    objects = make_objects(3, size=20_000)
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(3 * MiB))  # the kernel-copy path too
    objects[cache.add_file(big, ALGO)[0]] = big.read_bytes()
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    remote = Remote("disk", str(tmp_path / "remote"), {} if option is None else {"fsync": option})

    transfer.push(cache, remote, state, ALGO, objects)

    assert len(synced) == (0 if option is None else len(objects))
    assert remote.exists_many(ALGO, objects) == set(objects)
