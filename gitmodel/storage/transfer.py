"""The transfer engine: push, fetch and verify objects, in parallel, for every backend.

One engine, whatever the remote:

1. subtract what the destination already has -- for a push, first the state db's
   presence memo (so pushing already-sent objects costs no network call per
   object), then one batched listing of the remote;
2. transfer the rest with a thread pool (``jobs``, default 4 x cores), recording
   each success in the state db as it completes, so an interrupted push resumes
   where it stopped;
3. collect per-object failures and raise one summarising ``TransferError`` at the
   end (it carries the full ``TransferResult``); a failure of the remote as a whole
   (credentials, missing bucket, network) stops the transfer at once.

Ctrl-C stops scheduling, lets running transfers remove their temporaries, records
what completed, and re-raises KeyboardInterrupt.

Progress is reported through ``gitmodel.progress.Progress`` (no UI library here:
the CLI adapts it to rich): one ``start``/``finish`` phase per call, ``advance``
with bytes and ``file_done`` per object, called from worker threads.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gitmodel.errors import CorruptObjectError, GitModelError, ObjectMissingError, RemoteError
from gitmodel.progress import NULL_PROGRESS, Progress
from gitmodel.storage.remote import Cancelled, RemoteAccessError, describe

if TYPE_CHECKING:
    from gitmodel.storage.cache import Cache
    from gitmodel.storage.remote import Remote
    from gitmodel.storage.state import StateDB

# How many failures a TransferError message spells out.
SHOWN_FAILURES = 3


@dataclass
class TransferResult:
    """What a push or fetch did. Object ids are full hex ids."""

    transferred: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # the destination had them already
    failed: dict[str, str] = field(default_factory=dict)  # oid -> one-line reason
    bytes: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed


class TransferError(RemoteError):
    """Some objects could not be transferred; ``result`` says which and why."""

    def __init__(self, message: str, result: TransferResult, fix: str | None = None) -> None:
        super().__init__(message, fix=fix)
        self.result = result


@dataclass
class VerifyReport:
    """What ``verify`` found on a remote."""

    ok: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    wrong_size: dict[str, tuple[int, int]] = field(default_factory=dict)  # oid -> (want, got)
    corrupt: list[str] = field(default_factory=list)  # bytes do not hash to the id (deep)
    errors: dict[str, str] = field(default_factory=dict)  # could not be read (deep)

    @property
    def clean(self) -> bool:
        return not (self.missing or self.wrong_size or self.corrupt or self.errors)


def default_jobs() -> int:
    """Parallel transfers: network-bound, so well above the number of cores."""
    return 4 * (os.cpu_count() or 1)


# --- push / fetch -------------------------------------------------------------------


def push(
    cache: Cache,
    remote: Remote,
    state: StateDB,
    algo: str,
    oids: Iterable[str],
    jobs: int | None = None,
    progress: Progress | None = None,
) -> TransferResult:
    """Upload the objects of ``oids`` that ``remote`` lacks; raises TransferError if any fail."""
    progress = progress or NULL_PROGRESS
    wanted = list(dict.fromkeys(oids))
    key = remote.state_key
    result = TransferResult()
    known = state.remote_has(key, algo, wanted)
    todo = [o for o in wanted if o not in known]
    sizes: dict[str, int] = {}
    damaged: set[str] = set()
    for oid in todo:
        size = cache.size(algo, oid)
        if size is None:
            result.failed[oid] = str(
                ObjectMissingError(
                    f"object {oid[:12]} is not in the local cache", fix="gitmodel fetch"
                )
            )
        else:
            sizes[oid] = size
    if todo:
        remote.check(writable=True)
        found = remote.sizes(algo, todo)
        # An object of the wrong size (a copy cut short by a crash) is replaced.
        present = {o for o, n in found.items() if n < 0 or sizes.get(o, n) == n}
        damaged = set(found) - present
        state.mark_remote_has(key, algo, present)
        known |= present
        for oid in present:
            sizes.pop(oid, None)
            result.failed.pop(oid, None)  # not in the cache, but already on the remote
    result.skipped = [o for o in wanted if o in known]

    def upload(oid: str, cancel: threading.Event) -> int:
        try:
            return remote.upload(
                algo,
                oid,
                cache.path(algo, oid),
                progress.advance,
                cancel=cancel,
                replace=oid in damaged,
            )
        except CorruptObjectError as exc:
            # Out of the way, so that a fetch can bring a good copy (as the cache does).
            cache.quarantine(algo, oid)
            raise CorruptObjectError(
                f"{exc.message}; it was removed from the cache", fix="gitmodel fetch"
            ) from None

    def done(oids: list[str]) -> None:
        state.mark_remote_has(key, algo, oids)

    jobs = jobs or remote.default_jobs
    _run(f"pushing to {remote.name}", sizes, upload, done, result, jobs, progress)
    _raise_if_failed(result, f"to remote {remote.name}", "pushed")
    return result


def fetch(
    cache: Cache,
    remote: Remote,
    algo: str,
    oids: Iterable[str],
    jobs: int | None = None,
    progress: Progress | None = None,
    state: StateDB | None = None,
) -> TransferResult:
    """Download the objects of ``oids`` missing from ``cache``; raises TransferError if any fail.

    With ``state``, objects found on the remote are recorded as present there.
    """
    progress = progress or NULL_PROGRESS
    wanted = list(dict.fromkeys(oids))
    result = TransferResult()
    todo = [o for o in wanted if not cache.has(algo, o)]
    result.skipped = sorted(set(wanted) - set(todo), key=wanted.index)
    sizes: dict[str, int] = {}
    if todo:
        remote.check()
        sizes = remote.sizes(algo, todo)
        if state is not None:
            state.mark_remote_has(remote.state_key, algo, sizes)
    for oid in todo:
        if oid not in sizes:
            result.failed[oid] = str(
                ObjectMissingError(
                    f"object {oid[:12]} is not on remote {remote.name}; push it there "
                    "from a clone that has it",
                    fix=f"gitmodel push --remote {remote.name}",
                )
            )

    def download(oid: str, cancel: threading.Event) -> int:
        size = sizes[oid]
        return remote.download(
            algo, oid, cache, progress.advance, size=size if size >= 0 else None, cancel=cancel
        )

    jobs = jobs or remote.default_jobs
    _run(f"fetching from {remote.name}", sizes, download, _ignore, result, jobs, progress)
    _raise_if_failed(result, f"from remote {remote.name}", "fetched")
    return result


# --- verify ---------------------------------------------------------------------------


def verify(
    cache: Cache | None,
    remote: Remote,
    algo: str,
    oids: Iterable[str],
    *,
    sizes: Mapping[str, int] | None = None,
    deep: bool = False,
    jobs: int | None = None,
    progress: Progress | None = None,
    state: StateDB | None = None,
) -> VerifyReport:
    """Prove that ``remote`` holds every object of ``oids`` with the right size.

    The expected size comes from ``sizes`` (e.g. from pointers), else from ``cache``;
    with neither, only presence is checked. ``deep`` also downloads each object and
    hashes it on the fly -- nothing is written, least of all into the cache. The
    state memo, if given, is corrected: only objects found sound stay marked present.
    Repair: ``remote.remove`` the wrong ones, then ``push``.
    """
    progress = progress or NULL_PROGRESS
    wanted = list(dict.fromkeys(oids))
    report = VerifyReport()
    remote.check()
    found = remote.sizes(algo, wanted)
    candidates: dict[str, int] = {}
    for oid in wanted:
        want = sizes.get(oid) if sizes is not None else None
        if want is None and cache is not None:
            want = cache.size(algo, oid)
        got = found.get(oid)
        if got is None:
            report.missing.append(oid)
        elif want is not None and got >= 0 and got != want:
            report.wrong_size[oid] = (want, got)
        else:
            candidates[oid] = got if got >= 0 else (want if want is not None else -1)
    if deep:
        digests: dict[str, str] = {}
        lock = threading.Lock()

        def hash_remote(oid: str, cancel: threading.Event) -> int:
            digest, size = remote.hash_object(
                algo, oid, progress.advance, size=candidates[oid], cancel=cancel
            )
            with lock:
                digests[oid] = digest
            return size

        outcome = TransferResult()
        jobs = jobs or remote.default_jobs
        _run(f"verifying {remote.name}", candidates, hash_remote, _ignore, outcome, jobs, progress)
        report.errors = outcome.failed
        report.corrupt = [o for o in candidates if o in digests and digests[o] != o]
        report.ok = [o for o in candidates if digests.get(o) == o]
    else:
        report.ok = list(candidates)
    if state is not None:
        bad = report.missing + list(report.wrong_size) + report.corrupt
        state.forget_remote(remote.state_key, algo, bad)
        state.mark_remote_has(remote.state_key, algo, report.ok)
    return report


# --- the engine ---------------------------------------------------------------------

# Small objects are handed to the workers in batches, so that thousands of them cost
# thousands of copies, not also thousands of futures, thread wake-ups and GIL
# hand-overs. Large ones (and those of unknown size) go one by one.
BATCH_MAX_OBJECTS = 64
BATCH_MAX_BYTES = 4 * 1024 * 1024
# Completed objects are recorded (e.g. in the state db) in groups: one transaction per
# object cost more than copying a small object to a local directory.
RECORD_EVERY_OBJECTS = 1000
RECORD_EVERY_SECONDS = 1.0

Outcome = int | BaseException  # bytes transferred, or why not


def _ignore(oids: list[str]) -> None:
    return None


def _run(
    description: str,
    sizes: Mapping[str, int],
    work: Callable[[str, threading.Event], int],
    on_success: Callable[[list[str]], None],
    result: TransferResult,
    jobs: int | None,
    progress: Progress,
) -> None:
    """Run ``work(oid, cancel)`` for every object in parallel, recording the outcome.

    ``on_success`` runs in this (the calling) thread with objects that completed, in
    groups, and for every completed object before this returns or raises, so it may
    use objects bound to this thread, such as the state db's connection.
    """
    if not sizes:
        return
    progress.start(description, sum(max(s, 0) for s in sizes.values()), len(sizes))
    try:
        _run_pool(sizes, work, on_success, result, jobs, progress)
    finally:
        progress.finish()


def batches(sizes: Mapping[str, int], workers: int) -> list[list[str]]:
    """Objects grouped for the workers: large ones alone, small ones together, in
    groups small enough that every worker still gets several (so few objects keep
    all workers busy, and a slow one does not hold up the end)."""
    small = [o for o, n in sizes.items() if 0 <= n < BATCH_MAX_BYTES]
    per_batch = max(1, min(BATCH_MAX_OBJECTS, len(small) // (4 * workers)))
    out: list[list[str]] = []
    batch: list[str] = []
    batch_bytes = 0
    for oid, size in sizes.items():
        if not 0 <= size < BATCH_MAX_BYTES:
            out.append([oid])
            continue
        if batch and (len(batch) >= per_batch or batch_bytes + size > BATCH_MAX_BYTES):
            out.append(batch)
            batch, batch_bytes = [], 0
        batch.append(oid)
        batch_bytes += size
    if batch:
        out.append(batch)
    return out


def _run_pool(
    sizes: Mapping[str, int],
    work: Callable[[str, threading.Event], int],
    on_success: Callable[[list[str]], None],
    result: TransferResult,
    jobs: int | None,
    progress: Progress,
) -> None:
    cancel = threading.Event()
    fatal: GitModelError | None = None
    workers = max(1, min(jobs or default_jobs(), len(sizes)))
    groups = batches(sizes, workers)
    workers = min(workers, len(groups))
    pool = ThreadPoolExecutor(workers, thread_name_prefix="gitmodel-transfer")
    futures: dict[Future[list[tuple[str, Outcome]]], list[str]] = {}
    completed: list[str] = []
    last_record = time.monotonic()

    def task(group: list[str]) -> list[tuple[str, Outcome]]:
        outcomes: list[tuple[str, Outcome]] = []
        for oid in group:
            if cancel.is_set():
                break
            try:
                outcomes.append((oid, work(oid, cancel)))
            except Cancelled:
                break
            except Exception as exc:
                outcomes.append((oid, exc))
                if isinstance(exc, RemoteAccessError):
                    break  # the others would fail alike
            finally:
                progress.file_done()
        return outcomes

    def record(force: bool = False) -> None:
        nonlocal last_record
        if completed and (
            force
            or len(completed) >= RECORD_EVERY_OBJECTS
            or time.monotonic() - last_record >= RECORD_EVERY_SECONDS
        ):
            on_success(list(completed))
            completed.clear()
            last_record = time.monotonic()

    def collect(fut: Future[list[tuple[str, Outcome]]]) -> None:
        nonlocal fatal
        futures.pop(fut)
        if fut.cancelled():
            return
        for oid, outcome in fut.result():
            if isinstance(outcome, int):
                result.transferred.append(oid)
                result.bytes += outcome
                completed.append(oid)
            elif isinstance(outcome, RemoteAccessError):
                # The remote as a whole is unusable: the others would fail alike.
                if fatal is None:
                    fatal = outcome
                    cancel.set()
                    for pending in list(futures):
                        pending.cancel()
            elif isinstance(outcome, GitModelError):
                result.failed[oid] = str(outcome)
            else:
                result.failed[oid] = describe(outcome)

    try:
        for group in groups:
            futures[pool.submit(task, group)] = group
        # as_completed waits on each future once: linear in the number of batches.
        for fut in as_completed(list(futures)):
            collect(fut)
            record()
    except BaseException:
        # Ctrl-C (or a bug): stop scheduling, let running transfers clean up their
        # temporaries, record those that completed meanwhile, then re-raise.
        cancel.set()
        pool.shutdown(wait=True, cancel_futures=True)
        for fut in [f for f in list(futures) if f.done()]:
            with contextlib.suppress(BaseException):
                collect(fut)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        record(force=True)
    if fatal is not None:
        raise fatal


def _raise_if_failed(result: TransferResult, where: str, verb: str) -> None:
    if result.ok:
        return
    items = list(result.failed.items())
    shown = "; ".join(f"{oid[:12]}: {reason}" for oid, reason in items[:SHOWN_FAILURES])
    more = f"; and {len(items) - SHOWN_FAILURES} more" if len(items) > SHOWN_FAILURES else ""
    total = len(items) + len(result.transferred) + len(result.skipped)
    raise TransferError(
        f"{len(items)} of {total} objects could not be {verb} {where}: {shown}{more}", result
    )
