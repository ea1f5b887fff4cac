"""``gitmodel gc``: remove cache objects that nothing worth keeping refers to."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field

from gitmodel.services.objects import (
    needed_objects,
    pointers_at,
    pointers_in_history,
    workspace_pointers,
)
from gitmodel.services.workspace import Workspace
from gitmodel.storage.cache import TMP_DIR

STALE_TMP_SECONDS = 3600


@dataclass
class GcResult:
    removed: int = 0
    removed_bytes: int = 0
    kept: int = 0
    dry_run: bool = False
    warnings: list[str] = field(default_factory=list)
    removed_oids: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "removed": self.removed,
            "removed_bytes": self.removed_bytes,
            "kept": self.kept,
            "dry_run": self.dry_run,
            "warnings": self.warnings,
            "removed_objects": self.removed_oids,
        }


def gc(
    ws: Workspace,
    *,
    all_branches: bool = False,
    all_tags: bool = False,
    all_commits: bool = False,
    dry_run: bool = False,
) -> GcResult:
    """Keep what the workspace and HEAD need (plus branches/tags/history when asked);
    remove every other object. Stale temporaries of interrupted writes go too."""
    pointers = workspace_pointers(ws)
    head = ws.git.head()
    revs = [head] if head else []
    if all_branches:
        revs += ws.git.branches()
    if all_tags:
        revs += ws.git.tag_commits()
    if all_commits:
        pointers_in_history(ws, ["--all"], into=pointers)
    pointers_at(ws, revs, into=pointers)
    result = GcResult(dry_run=dry_run, warnings=list(pointers.warnings))
    keep = needed_objects(ws, pointers, warnings=result.warnings)
    for algo, oid, path in list(ws.cache.iter_objects()):
        if (algo, oid) in keep:
            result.kept += 1
            continue
        size = path.stat().st_size
        if not dry_run:
            ws.cache.remove(algo, oid)
        result.removed += 1
        result.removed_bytes += size
        result.removed_oids.append(f"{algo}:{oid}")
    tmp = ws.cache.root / TMP_DIR
    if not dry_run and tmp.is_dir():
        cutoff = time.time() - STALE_TMP_SECONDS
        for stale in tmp.iterdir():
            with contextlib.suppress(OSError):
                if stale.stat().st_mtime < cutoff:
                    stale.unlink()
    return result
