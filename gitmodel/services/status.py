"""``gitmodel status``: how each tracked model's workspace bytes and cache compare to its
pointer. Fast path: unchanged files are answered from the state db without hashing."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from gitmodel.errors import GitModelError
from gitmodel.hashing import hash_file
from gitmodel.pointer import Pointer
from gitmodel.services.tracking import (
    ScannedFile,
    Tracked,
    listing_digest,
    scan_dir,
    select_models,
    workspace_file_oid,
)
from gitmodel.services.workspace import Workspace
from gitmodel.storage import manifests
from gitmodel.storage.state import RACY_NS, DirVerdict

CLEAN = "clean"
MODIFIED = "modified"
MISSING = "missing"
NOT_IN_CACHE = "not in cache"
INVALID = "invalid pointer"


@dataclass
class ModelStatus:
    model: str
    states: list[str]
    pointer: Pointer | None = None
    detail: str | None = None  # error text, or what changed inside a directory
    changed_files: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return self.states == [CLEAN]

    def to_json(self) -> dict[str, object]:
        return {
            "path": self.model,
            "status": self.states,
            "clean": self.clean,
            "kind": self.pointer.kind if self.pointer else None,
            "oid": self.pointer.oid if self.pointer else None,
            "hash": self.pointer.algo if self.pointer else None,
            "size": self.pointer.size if self.pointer else None,
            "detail": self.detail,
            "changed_files": self.changed_files,
        }


def _file_status(ws: Workspace, t: Tracked, pointer: Pointer) -> ModelStatus:
    states = []
    path = ws.abspath(t.model)
    try:
        st = path.stat()
    except FileNotFoundError:
        st = None
    if st is None or not path.is_file():
        states.append(MISSING)
    elif st.st_size != pointer.size or workspace_file_oid(ws, t.model, path, st) != pointer.oid:
        states.append(MODIFIED)
    if not ws.cache.has(pointer.algo, pointer.oid):
        states.append(NOT_IN_CACHE)
    return ModelStatus(t.model, states or [CLEAN], pointer)


def _dir_status(ws: Workspace, t: Tracked, pointer: Pointer) -> ModelStatus:
    path = ws.abspath(t.model)
    files = None
    verdict = ws.state.dir_verdict(t.model)
    if verdict is not None:
        if (verdict.algo, verdict.oid) == (pointer.algo, pointer.oid) and path.is_dir():
            # Found clean before: if neither the listing (names, inodes, mtimes, sizes)
            # nor the cache directories of its objects changed since, it still is.
            files = scan_dir(ws, path)
            if (
                listing_digest(files) == verdict.listing
                and ws.cache.prefix_stamp(pointer.algo, verdict.prefixes) == verdict.cache_stamp
            ):
                return ModelStatus(t.model, [CLEAN], pointer)
        ws.state.forget_dir_verdict(t.model)
    if not ws.cache.has(pointer.algo, pointer.oid):
        exists = path.is_dir()
        return ModelStatus(
            t.model,
            ([] if exists else [MISSING]) + [NOT_IN_CACHE],
            pointer,
            detail="directory manifest is not in the cache",
        )
    manifest = manifests.load(ws.cache, pointer.algo, pointer.oid, ws.display(t.pointer_path))
    if not path.is_dir():
        return ModelStatus(t.model, [MISSING], pointer)
    wanted = manifest.by_path()
    if files is None:
        files = scan_dir(ws, path)
    known = ws.state.lookup_prefix(t.model + "/")
    changed: list[str] = []
    fresh = []
    for f in files:
        entry = wanted.pop(f.rel, None)
        if entry is None or entry.size != f.st.st_size:
            changed.append(f.rel)
            continue
        key = f"{t.model}/{f.rel}"
        oid = ws.state.trusted(known.get(key), f.st, pointer.algo)
        if oid is None:
            oid, _ = hash_file(f.path, pointer.algo)
            fresh.append((key, f.st, pointer.algo, oid))
        if oid != entry.oid:
            changed.append(f.rel)
    ws.state.record(fresh)
    missing_inside = sorted(wanted)
    states = []
    if changed or missing_inside:
        states.append(MODIFIED)
    needed = {e.oid for e in manifest.entries}
    absent = needed - ws.cache.present(pointer.algo, needed)
    if absent:
        states.append(NOT_IN_CACHE)
    if not states and not fresh:
        _remember_clean(ws, t.model, pointer, files, needed)
    detail = None
    if changed or missing_inside:
        detail = f"{len(changed)} changed or new, {len(missing_inside)} missing file(s)"
    return ModelStatus(
        t.model, states or [CLEAN], pointer, detail, sorted(changed + missing_inside)
    )


def _remember_clean(
    ws: Workspace, model: str, pointer: Pointer, files: list[ScannedFile], oids: set[str]
) -> None:
    """Record a directory found clean with every file trusted from the state db (so no
    file's mtime is racy), if its cache directories are settled too."""
    prefixes = tuple(sorted({oid[:2] for oid in oids} | {pointer.oid[:2]}))
    settled = time.time_ns() - RACY_NS
    stamp = ws.cache.prefix_stamp(pointer.algo, prefixes, settled_before_ns=settled)
    if stamp is not None:
        verdict = DirVerdict(pointer.algo, pointer.oid, listing_digest(files), prefixes, stamp)
        ws.state.record_dir_verdict(model, verdict)


def status(ws: Workspace, paths: list[str] | None = None) -> list[ModelStatus]:
    """The status of every tracked model (or of those named by ``paths``)."""
    results = []
    for t in select_models(ws, paths or []):
        if t.pointer is None:
            results.append(ModelStatus(t.model, [INVALID], None, detail=t.error))
            continue
        try:
            if t.pointer.is_dir:
                results.append(_dir_status(ws, t, t.pointer))
            else:
                results.append(_file_status(ws, t, t.pointer))
        except GitModelError as exc:
            results.append(ModelStatus(t.model, [INVALID], t.pointer, detail=str(exc)))
    return results


def is_dirty(results: list[ModelStatus]) -> bool:
    return any(not r.clean for r in results)
