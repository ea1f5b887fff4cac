"""``gitmodel checkout``: make workspace binaries match their pointers (optionally the
pointers of another revision, written into the workspace like ``git checkout REV -- P``).

Safety rule (DESIGN §9): a workspace file that differs from its pointer is replaced
only when its bytes are already safe in the cache (an earlier version), or with
``force``. Every file is verified while it is placed and replaced atomically.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from gitmodel.errors import GitModelError, ModifiedFileError, ObjectMissingError, UsageError
from gitmodel.manifest import Manifest
from gitmodel.pointer import SUFFIX, Pointer, format_pointer, parse_pointer
from gitmodel.progress import NULL_PROGRESS, Progress
from gitmodel.services.add import _write_atomic
from gitmodel.services.tracking import Tracked, scan_dir, select_models, workspace_file_oid
from gitmodel.services.workspace import Workspace
from gitmodel.storage import manifests
from gitmodel.storage.state import FileRow

# Threads restoring the files of a directory: the work is file-system latency (creates,
# renames) and small copies, which overlap.
_RESTORE_JOBS = max(4, 2 * (os.cpu_count() or 1))
T = TypeVar("T")

RESTORED = "restored"
UNCHANGED = "unchanged"
FAILED = "failed"

# Registry shortcuts (name@v1, name#prod) resolve through this hook once the registry
# is loaded; plain Git revisions go straight to ``git rev-parse``.
RevisionResolver = Callable[[Workspace, str], tuple[str, list[str] | None]]
_resolvers: list[RevisionResolver] = []


def register_resolver(resolver: RevisionResolver) -> None:
    _resolvers.append(resolver)


@dataclass
class CheckoutResult:
    model: str
    action: str
    detail: str | None = None
    files: int = 0

    def to_json(self) -> dict[str, object]:
        return {
            "path": self.model,
            "action": self.action,
            "detail": self.detail,
            "files": self.files,
        }


@dataclass
class _Plan:
    """What restoring one model will do; built and checked before anything is written."""

    place: list[tuple[str, str, bool, int]] = field(default_factory=list)  # rel, oid, x, size
    remove: list[Path] = field(default_factory=list)
    unsafe: list[str] = field(default_factory=list)


def _safe(ws: Workspace, algo: str, path: Path, rel: str) -> bool:
    """True when the bytes at ``path`` are in the cache, so replacing them loses nothing."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return True
    return ws.cache.has(algo, workspace_file_oid(ws, rel, path, st))


def _plan_file(ws: Workspace, model: str, pointer: Pointer, force: bool) -> _Plan:
    plan = _Plan()
    path = ws.abspath(model)
    if path.is_symlink() or path.is_dir():
        if not force:
            plan.unsafe.append(model)
        elif path.is_dir() and not path.is_symlink():
            raise UsageError(f"{ws.display(model)} is a directory; move it away first")
        plan.place.append((model, pointer.oid, False, pointer.size))
        return plan
    if path.is_file():
        st = path.stat()
        if st.st_size == pointer.size and workspace_file_oid(ws, model, path, st) == pointer.oid:
            return plan
        if not force and not _safe(ws, pointer.algo, path, model):
            plan.unsafe.append(model)
    plan.place.append((model, pointer.oid, False, pointer.size))
    return plan


def _plan_dir(ws: Workspace, model: str, manifest: Manifest, force: bool) -> _Plan:
    plan = _Plan()
    root = ws.abspath(model)
    if root.exists() and not root.is_dir():
        if not force and not _safe(ws, manifest.algo, root, model):
            plan.unsafe.append(model)
        plan.remove.append(root)
        existing = {}
    else:
        existing = {f.rel: f for f in scan_dir(ws, root)} if root.is_dir() else {}
    known = ws.state.lookup_prefix(model + "/")
    for entry in manifest.entries:
        rel = f"{model}/{entry.path}"
        f = existing.pop(entry.path, None)
        if f is not None:
            oid = ws.state.trusted(known.get(rel), f.st, manifest.algo)
            if oid is None and f.st.st_size == entry.size:
                oid = workspace_file_oid(ws, rel, Path(f.path), f.st)
            if oid == entry.oid:
                continue
            if (
                not force
                and (oid is None or not ws.cache.has(manifest.algo, oid))
                and not _safe(ws, manifest.algo, Path(f.path), rel)
            ):
                plan.unsafe.append(rel)
        plan.place.append((rel, entry.oid, entry.executable, entry.size))
    for extra in existing.values():
        rel = f"{model}/{extra.rel}"
        if not force and not _safe(ws, manifest.algo, Path(extra.path), rel):
            plan.unsafe.append(rel)
        plan.remove.append(Path(extra.path))
    return plan


def _execute(ws: Workspace, algo: str, plan: _Plan, progress: Progress) -> None:
    strategies = ws.config.link_strategies
    present = ws.cache.present(algo, {oid for _, oid, _, _ in plan.place})
    missing = [oid for _, oid, _, _ in plan.place if oid not in present]
    if missing:
        raise ObjectMissingError(
            f"{len(set(missing))} object(s) needed are not in the cache (first: {missing[0][:12]})",
            fix="gitmodel pull",
        )
    for path in plan.remove:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()

    def place(items: list[tuple[str, str, bool, int]]) -> list[FileRow]:
        rows: list[FileRow] = []
        for rel, oid, executable, _ in items:
            dest = ws.abspath(rel)
            if os.path.islink(dest):
                os.unlink(dest)
            used = ws.cache.materialize(
                algo, oid, dest, strategies, executable=executable, progress=progress.advance
            )
            progress.file_done()
            if used != "symlink":
                rows.append((rel, os.stat(dest), algo, oid))
        return rows

    records: list[FileRow] = []
    jobs = 1 if len(plan.place) < 8 else _RESTORE_JOBS
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for rows in pool.map(place, _batches(plan.place, jobs)):
            records.extend(rows)
    ws.state.record(records)


def _batches(items: list[T], jobs: int) -> list[list[T]]:
    """Work for ``jobs`` threads: batches of up to 256 (a future per file costs more than
    a small file's copy), several per thread so that all stay busy to the end."""
    size = max(1, min(256, len(items) // (4 * jobs)))
    return [items[i : i + size] for i in range(0, len(items), size)]


def _pointers_at_rev(ws: Workspace, rev: str, args: list[str]) -> list[Tracked]:
    """Pointers in ``rev`` selected by ``args``, written into the workspace and staged."""
    commit, names = resolve_revision(ws, rev)
    entries = ws.git.pointer_entries_at(commit)
    wanted = [ws.model_of_arg(a) for a in args] if args else (names or [])
    if wanted:
        entries = [
            e
            for e in entries
            if any(e.path[: -len(SUFFIX)] == w or e.path.startswith(w + "/") for w in wanted)
        ]
        if not entries:
            raise UsageError(f"no tracked model matching {' '.join(args)} at {rev}")
    blobs = ws.git.read_blobs(e.blob for e in entries)
    result = []
    for e in entries:
        pointer = parse_pointer(blobs[e.blob], f"{rev}:{e.path}")
        model = e.path[: -len(SUFFIX)]
        path = ws.abspath(e.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(path, format_pointer(pointer))
        result.append(Tracked(model, pointer))
    ws.git.stage(e.path for e in entries)
    return result


def fetch_for(ws: Workspace, targets: list[Tracked], progress: Progress = NULL_PROGRESS) -> None:
    """Fetch whatever the targets need that the cache lacks (manifests first, then the
    files they list). Does nothing without a configured remote."""
    if not ws.config.remotes:
        return
    from gitmodel.services.objects import PointerSet, needed_objects
    from gitmodel.services.transfer import fetch_objects

    pointers = PointerSet()
    for t in targets:
        if t.pointer is not None:
            pointers.add(t.pointer_path, t.pointer)
    for _ in range(2):  # a second round for entries of manifests fetched in the first
        missing = {k for k in needed_objects(ws, pointers) if not ws.cache.has(*k)}
        if not missing:
            return
        fetch_objects(ws, missing, progress=progress)


def resolve_revision(ws: Workspace, rev: str) -> tuple[str, list[str] | None]:
    """A commit sha for ``rev``, plus the model paths it names (registry references)."""
    for resolver in _resolvers:
        with contextlib.suppress(LookupError):
            return resolver(ws, rev)
    return ws.git.rev_parse(rev), None


def checkout(
    ws: Workspace,
    paths: list[str] | None = None,
    *,
    rev: str | None = None,
    force: bool = False,
    fetch_missing: bool = False,
    progress: Progress = NULL_PROGRESS,
) -> list[CheckoutResult]:
    """Restore binaries for the selected models; collects per-model failures.

    With ``fetch_missing``, objects missing from the cache are first fetched from the
    configured remotes (when there are any).
    """
    targets = _pointers_at_rev(ws, rev, paths or []) if rev else select_models(ws, paths or [])
    if fetch_missing:
        fetch_for(ws, [t for t in targets if t.pointer is not None], progress)
    results = []
    for t in targets:
        if t.pointer is None:
            results.append(CheckoutResult(t.model, FAILED, t.error))
            continue
        pointer = t.pointer
        try:
            if pointer.is_dir:
                manifest = manifests.load(
                    ws.cache, pointer.algo, pointer.oid, ws.display(t.pointer_path)
                )
                plan = _plan_dir(ws, t.model, manifest, force)
            else:
                plan = _plan_file(ws, t.model, pointer, force)
            if plan.unsafe:
                shown = ws.display(plan.unsafe[0])
                more = f" and {len(plan.unsafe) - 1} more" if len(plan.unsafe) > 1 else ""
                raise ModifiedFileError(
                    f"{shown}{more} has changes that are not in the cache; keep them with "
                    f"'gitmodel add {ws.display(t.model)}' or discard them with "
                    f"'gitmodel checkout --force {ws.display(t.model)}'"
                )
            if not plan.place and not plan.remove:
                results.append(CheckoutResult(t.model, UNCHANGED))
                continue
            progress.start(
                f"restoring {ws.display(t.model)}", sum(p[3] for p in plan.place), len(plan.place)
            )
            try:
                if pointer.is_dir:
                    ws.abspath(t.model).mkdir(parents=True, exist_ok=True)
                _execute(ws, pointer.algo, plan, progress)
            finally:
                progress.finish()
            results.append(CheckoutResult(t.model, RESTORED, files=len(plan.place)))
        except GitModelError as exc:
            results.append(CheckoutResult(t.model, FAILED, str(exc)))
    return results


def _registry_shortcuts(ws: Workspace, rev: str) -> tuple[str, list[str] | None]:
    """Registry shortcuts (``churn@v1.2.0``, ``churn@latest``, ``churn#prod``) as
    revisions. The registry is imported only for a revision that could be one."""
    if "@" not in rev and "#" not in rev:
        raise LookupError(rev)
    from gitmodel.services.registry import resolve_reference

    return resolve_reference(ws, rev)


register_resolver(_registry_shortcuts)
