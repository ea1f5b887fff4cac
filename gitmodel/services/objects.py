"""Which objects matter: the pointers of the workspace and of Git revisions, expanded
through directory manifests into the set of objects they need. Used by gc, push, fetch,
verify and the pre-push hook."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from gitmodel.errors import GitModelError
from gitmodel.git import is_blob
from gitmodel.pointer import Pointer, parse_pointer
from gitmodel.services.tracking import tracked_models
from gitmodel.services.workspace import Workspace

ObjectKey = tuple[str, str]  # (algo, oid)


@dataclass
class PointerSet:
    """Pointers gathered from somewhere, plus warnings about the ones that were unreadable."""

    pointers: dict[str, tuple[str, Pointer]] = field(default_factory=dict)  # key -> (source, p)
    warnings: list[str] = field(default_factory=list)

    def add(self, source: str, pointer: Pointer) -> None:
        self.pointers.setdefault(f"{pointer.algo}:{pointer.oid}:{pointer.kind}", (source, pointer))

    def __iter__(self) -> Iterator[tuple[str, Pointer]]:
        return iter(self.pointers.values())

    def __len__(self) -> int:
        return len(self.pointers)


def workspace_pointers(ws: Workspace, into: PointerSet | None = None) -> PointerSet:
    result = into if into is not None else PointerSet()
    for t in tracked_models(ws):
        if t.pointer is None:
            result.warnings.append(t.error or f"{t.pointer_path}: unreadable")
        else:
            result.add(t.pointer_path, t.pointer)
    return result


def read_pointer_blobs(ws: Workspace, blobs: Iterable[str]) -> dict[str, bytes]:
    """Texts of pointer blobs, as ``Git.read_blobs``: those read before from the state
    db (each checked against its blob id), the others from Git, then remembered.

    The pointers of a long history are read again by every pre-push of a new branch,
    gc and push/fetch of history; Git reads them as one loose object file each."""
    wanted = list(dict.fromkeys(blobs))
    found = {b: t for b, t in ws.state.pointer_texts(wanted).items() if is_blob(b, t)}
    missing = [b for b in wanted if b not in found]
    if missing:
        read = ws.git.read_blobs(missing)
        ws.state.remember_pointer_texts(read)
        found.update(read)
    return found


def add_pointer_blobs(
    ws: Workspace, label: str, entries: Iterable[tuple[str, str]], result: PointerSet
) -> None:
    items = list(entries)
    blobs = read_pointer_blobs(ws, (blob for _, blob in items))
    for path, blob in items:
        data = blobs.get(blob)
        if data is None:
            continue
        try:
            result.add(f"{label}:{path}", parse_pointer(data, f"{label}:{path}"))
        except GitModelError as exc:
            result.warnings.append(str(exc))


def pointers_at(ws: Workspace, revs: Iterable[str], into: PointerSet | None = None) -> PointerSet:
    """Pointers in the trees of the given revisions (their tips only)."""
    result = into if into is not None else PointerSet()
    for rev in dict.fromkeys(revs):
        entries = ws.git.pointer_entries_at(rev)
        add_pointer_blobs(ws, rev[:12], ((e.path, e.blob) for e in entries), result)
    return result


def pointers_in_history(
    ws: Workspace, revs: list[str], into: PointerSet | None = None
) -> PointerSet:
    """Every pointer version in the history of ``revs`` (``["--all"]`` for everything)."""
    result = into if into is not None else PointerSet()
    entries = ws.git.pointer_blobs_reachable(revs)
    add_pointer_blobs(ws, "history", ((e.path, e.blob) for e in entries), result)
    return result


def needed_objects(
    ws: Workspace, pointers: PointerSet, *, warnings: list[str] | None = None
) -> set[ObjectKey]:
    """Objects the pointers need: each pointer's object, plus directory entries.

    A directory whose manifest is not in the cache contributes its manifest only (its
    entries cannot be known); a warning says so.
    """
    needed: set[ObjectKey] = set()
    for source, pointer in pointers:
        needed.add((pointer.algo, pointer.oid))
        if not pointer.is_dir:
            continue
        if not ws.cache.has(pointer.algo, pointer.oid):
            if warnings is not None:
                warnings.append(f"{source}: directory manifest {pointer.oid[:12]} not in cache")
            continue
        from gitmodel.storage import manifests  # json and the manifest parser: dirs only

        try:
            manifest = manifests.load(ws.cache, pointer.algo, pointer.oid, source)
        except GitModelError as exc:
            if warnings is not None:
                warnings.append(str(exc))
            continue
        needed.update((pointer.algo, e.oid) for e in manifest.entries)
    return needed


def by_algo(keys: Iterable[ObjectKey]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for algo, oid in keys:
        out.setdefault(algo, set()).add(oid)
    return out
