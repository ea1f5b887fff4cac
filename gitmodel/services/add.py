"""``gitmodel add``: put a model's bytes in the cache and write its pointer."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitmodel.errors import GitModelError, UsageError
from gitmodel.manifest import Entry, make_manifest
from gitmodel.metrics import parse_metrics_text
from gitmodel.pointer import SUFFIX, Pointer, format_pointer
from gitmodel.progress import NULL_PROGRESS, Progress
from gitmodel.services.tracking import (
    ScannedFile,
    check_trackable,
    read_pointer_file,
    scan_dir,
)
from gitmodel.services.workspace import Workspace
from gitmodel.storage import manifests
from gitmodel.storage.cache import Cache
from gitmodel.storage.state import FileRow, Row

# Small files: the work is system calls (open, read, create, rename) and file-system
# latency. Threads share one interpreter lock, and every system call hands it over:
# 32 threads spent more time passing the lock than working (50k files: 12.4 s against
# 5.4 s in 4 processes, 8.4 s in 4 threads). So many files go to worker processes,
# a few to a small pool of threads. Large files are hashed with threads already.
_CPUS = os.cpu_count() or 1
_SMALL_FILE_JOBS = max(4, 2 * _CPUS)
_SMALL_FILE_PROCS = max(2, min(8, 2 * _CPUS))
_PROCESS_MIN = 2048  # from this many small files, starting processes pays for itself
_SMALL_FILE = 1024 * 1024  # read whole (as cache.add_small does); larger: add_file
_CHUNK_MAX = 256
_RECORD_BATCH = 5000  # state rows written while the workers still copy


@dataclass
class AddResult:
    model: str
    pointer: Pointer
    changed: bool  # False when the pointer was already byte-identical
    staged: list[str] = field(default_factory=list)


def read_metrics_file(path: str) -> dict[str, int | float]:
    """Metrics from a .json, .yaml/.yml or .csv file."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--metrics-file {path}: {exc.strerror}") from None
    suffix = source.suffix.lower()
    if suffix in (".yaml", ".yml"):
        import yaml

        from gitmodel.metrics import flatten

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise UsageError(f"{path}: invalid YAML ({exc})".splitlines()[0]) from None
        if not isinstance(data, dict):
            raise UsageError(f"{path}: expected a mapping of metric names to numbers")
        return flatten(data, path)
    fmt = {".json": "json", ".csv": "csv"}.get(suffix, suffix.lstrip("."))
    return parse_metrics_text(text, fmt, path)


def _write_atomic(path: Path, text: str, *, fsync: bool = False) -> bool:
    """Write ``text`` to ``path`` via a temp file + rename; False if already identical."""
    data = text.encode("utf-8")
    with contextlib.suppress(FileNotFoundError):
        if path.read_bytes() == data:
            return False
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".gitmodel-tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return True


def write_pointer(ws: Workspace, model: str, pointer: Pointer) -> bool:
    """Write ``<model>.gitmodel`` atomically; False when it was already identical."""
    return _write_atomic(ws.abspath(model + SUFFIX), format_pointer(pointer), fsync=ws.cache.fsync)


def ignore_models(ws: Workspace, models: list[str]) -> list[str]:
    """Add ``/<name>`` to the .gitignore beside each model (each file written once);
    return the .gitignore files that changed."""
    wanted: dict[str, list[str]] = {}
    for model in models:
        parent, _, name = model.rpartition("/")
        gitignore_rel = f"{parent}/.gitignore" if parent else ".gitignore"
        wanted.setdefault(gitignore_rel, []).append("/" + _escape_ignore(name))
    changed = []
    for gitignore_rel, lines in wanted.items():
        path = ws.abspath(gitignore_rel)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            text = ""
        present = set(text.splitlines())
        new = [line for line in dict.fromkeys(lines) if line not in present]
        if not new:
            continue
        if text and not text.endswith("\n"):
            text += "\n"
        _write_atomic(path, text + "\n".join(new) + "\n")
        changed.append(gitignore_rel)
    return changed


def _escape_ignore(name: str) -> str:
    out = []
    for ch in name:
        if ch in "*?[]\\!#":
            out.append("\\" + ch)
        else:
            out.append(ch)
    escaped = "".join(out)
    return escaped[:-1] + "\\ " if escaped.endswith(" ") else escaped


def _add_file(
    ws: Workspace, rel: str, path: Path, progress: Progress, known: Row | None
) -> tuple[str, int, FileRow | None]:
    st = path.stat()
    oid = ws.state.trusted(known, st, ws.algo)
    if oid is not None and ws.cache.has(ws.algo, oid):
        progress.advance(st.st_size)
        return oid, st.st_size, None
    oid, size = ws.cache.add_file(path, ws.algo, progress=progress.advance)
    after = path.stat()
    if (after.st_mtime_ns, after.st_size) != (st.st_mtime_ns, st.st_size):
        raise UsageError(f"{ws.display(rel)} changed while it was being added; try again")
    return oid, size, (rel, st, ws.algo, oid)


def _chunks(items: list[ScannedFile], jobs: int) -> list[list[ScannedFile]]:
    """Batches for the workers: few enough that per-task overhead vanishes, many enough
    that every worker stays busy and progress moves."""
    size = max(1, min(_CHUNK_MAX, len(items) // (jobs * 4) or 1))
    return [items[i : i + size] for i in range(0, len(items), size)]


def _cache_files(
    ws: Workspace, files: list[ScannedFile], progress: Progress
) -> Iterator[tuple[ScannedFile, str]]:
    """Put the files of a directory into the cache: small ones in batches by worker
    processes or threads (see ``_SMALL_FILE_JOBS``), large ones one at a time (each is
    hashed by several threads already)."""
    cache, algo = ws.cache, ws.algo
    small = [f for f in files if f.st.st_size <= _SMALL_FILE]
    large = [f for f in files if f.st.st_size > _SMALL_FILE]
    if small:
        if len(small) >= _PROCESS_MIN and _can_fork():
            results = _small_in_processes(cache, algo, small)
        else:
            results = _small_in_threads(cache, algo, small)
        for chunk, oids in results:
            yield from zip(chunk, oids, strict=True)
            progress.advance(sum(f.st.st_size for f in chunk))
            progress.file_done(len(chunk))
    for f in large:
        oid, _ = cache.add_file(Path(f.path), algo, fsync=False, progress=progress.advance)
        yield f, oid
        progress.file_done()


Batches = Iterator[tuple[list[ScannedFile], list[str]]]


def _small_in_threads(cache: Cache, algo: str, small: list[ScannedFile]) -> Batches:
    def batch(chunk: list[ScannedFile]) -> tuple[list[ScannedFile], list[str]]:
        return chunk, [cache.add_small(f.path, algo)[0] for f in chunk]

    jobs = min(_SMALL_FILE_JOBS, max(1, len(small) // 8))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(batch, _chunks(small, jobs))


def _can_fork() -> bool:
    import multiprocessing

    return sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods()


def _small_in_processes(cache: Cache, algo: str, small: list[ScannedFile]) -> Batches:
    """Batches of small files added by forked workers (each its own interpreter lock).

    Workers ignore Ctrl-C: the parent stops handing out batches, waits for the ones
    under way (each object is written whole or not at all) and re-raises."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    chunks = _chunks(small, _SMALL_FILE_PROCS)
    pool = ProcessPoolExecutor(
        max_workers=_SMALL_FILE_PROCS,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_ignore_interrupts,
    )
    try:
        futures = [
            pool.submit(_add_small_batch, str(cache.root), cache.fsync, algo, [f.path for f in c])
            for c in chunks
        ]
        for chunk, future in zip(chunks, futures, strict=True):
            yield chunk, future.result()
    except BrokenProcessPool:
        raise GitModelError(
            "a worker process adding files died (out of memory?); nothing was changed"
        ) from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _ignore_interrupts() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


_worker_caches: dict[tuple[str, bool], Cache] = {}


def _add_small_batch(root: str, fsync: bool, algo: str, paths: list[str]) -> list[str]:
    """In a worker process: add ``paths`` to the cache at ``root``; their oids."""
    cache = _worker_caches.get((root, fsync))
    if cache is None:
        cache = _worker_caches[(root, fsync)] = Cache(Path(root), fsync=fsync)
    return [cache.add_small(path, algo)[0] for path in paths]


def _add_dir(ws: Workspace, rel: str, path: Path, progress: Progress) -> tuple[str, int, int]:
    files = scan_dir(ws, path)
    known = ws.state.lookup_prefix(rel + "/")
    algo = ws.algo
    todo: list[ScannedFile] = []
    entries: dict[str, Entry] = {}
    trusted: list[tuple[ScannedFile, str]] = []
    for f in files:
        oid = ws.state.trusted(known.get(f"{rel}/{f.rel}"), f.st, algo)
        if oid is None:
            todo.append(f)
        else:
            trusted.append((f, oid))
    cached = ws.cache.present(algo, {oid for _, oid in trusted})  # one listing, not a stat each
    for f, oid in trusted:
        if oid in cached:
            entries[f.rel] = Entry(f.rel, oid, f.st.st_size, f.executable)
        else:
            todo.append(f)
    progress.start(f"adding {ws.display(rel)}", sum(f.st.st_size for f in todo), len(todo))
    recorded: list[FileRow] = []
    started = False
    for f, oid in _cache_files(ws, todo, progress):
        if not started:  # the workers exist now: import pyarrow alongside, if needed
            manifests.preload_for(len(files))
            started = True
        entries[f.rel] = Entry(f.rel, oid, f.st.st_size, f.executable)
        recorded.append((f"{rel}/{f.rel}", f.st, algo, oid))
        if len(recorded) >= _RECORD_BATCH:  # while the workers go on
            ws.state.record(recorded)
            recorded = []
    if todo:
        ws.cache.sync()  # one flush for the batch, before any pointer names these objects
    ws.state.record(recorded)
    manifest = make_manifest(algo, entries.values(), ws.display(rel))
    oid, _ = manifests.store(ws.cache, manifest)
    return oid, manifest.total_size, len(manifest.entries)


def add(
    ws: Workspace,
    paths: list[str],
    *,
    metrics: dict[str, int | float] | None = None,
    meta: dict[str, Any] | None = None,
    stage: bool = True,
    progress: Progress = NULL_PROGRESS,
) -> list[AddResult]:
    """Track files or directories: cache their bytes, write pointers, gitignore, stage."""
    if not paths:
        raise UsageError("name at least one file or directory to add")
    models = []
    for arg in paths:
        rel = ws.rel(arg)
        check_trackable(ws, rel)
        models.append(rel)
    committed = ws.git.tracked_among(models)
    if committed:
        shown = ws.display(committed[0])
        raise UsageError(
            f"{shown} is already committed to Git itself",
            fix=f"git rm -r --cached {shown} && gitmodel add {shown}",
        )
    results = []
    rows: list[FileRow] = []
    known = ws.state.lookup_many([m for m in models if not ws.abspath(m).is_dir()])
    try:
        for rel in models:
            results.append(_add_one(ws, rel, meta, metrics, progress, known.get(rel), rows))
    finally:
        ws.state.record(rows)  # what was cached stays known, even after Ctrl-C
    to_stage = [r.model + SUFFIX for r in results]
    changed_ignores = ignore_models(ws, models)
    for r in results:
        parent = r.model.rpartition("/")[0]
        gitignore = f"{parent}/.gitignore" if parent else ".gitignore"
        if gitignore in changed_ignores:
            r.staged.append(gitignore)
    if stage:
        ws.git.stage(to_stage + changed_ignores)
    return results


def _add_one(
    ws: Workspace,
    rel: str,
    meta: dict[str, Any] | None,
    metrics: dict[str, int | float] | None,
    progress: Progress,
    known: Row | None,
    rows: list[FileRow],
) -> AddResult:
    path = ws.abspath(rel)
    previous: Pointer | None = None
    if ws.abspath(rel + SUFFIX).exists():
        previous = read_pointer_file(ws, rel)
    if path.is_dir():
        oid, size, files = _add_dir(ws, rel, path, progress)
        kind: str = "dir"
    else:
        progress.start(f"adding {ws.display(rel)}", path.stat().st_size, 1)
        oid, size, row = _add_file(ws, rel, path, progress, known)
        if row is not None:
            rows.append(row)
        kind, files = "file", None
    progress.finish()
    new_meta = dict(meta or {})
    new_metrics = dict(metrics or {})
    if previous is not None and previous.oid == oid and previous.algo == ws.algo:
        # Same bytes: options given now refine what the pointer already says.
        new_meta = {**previous.meta, **new_meta}
        new_metrics = {**previous.metrics, **new_metrics}
    pointer = Pointer(
        oid=oid, size=size, algo=ws.algo, kind=kind, files=files, meta=new_meta, metrics=new_metrics
    )
    changed = write_pointer(ws, rel, pointer)
    return AddResult(rel, pointer, changed, [rel + SUFFIX])
