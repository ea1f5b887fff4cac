"""Offline metrics and model versions through Git history: ``metrics show``,
``metrics diff``, ``log PATH`` and ``diff``.

A *snapshot* is the set of pointers at one revision (or in the workspace); metrics
are the pointers' ``[metrics]`` tables. Reading a revision costs two git calls
(``ls-tree`` and one ``cat-file --batch``); the history of one model costs one
``git log`` and one ``cat-file --batch`` whatever its length, plus one
``for-each-ref`` for the registry tags.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from gitmodel.errors import GitModelError, UsageError
from gitmodel.pointer import SUFFIX, Pointer, parse_pointer
from gitmodel.services.tracking import tracked_models
from gitmodel.services.workspace import Workspace

WORKSPACE = "workspace"
Number = int | float


# ---------------------------------------------------------------- snapshots


@dataclass
class Snapshot:
    """The pointers of one revision (``commit``) or of the workspace (``commit`` None)."""

    label: str
    commit: str | None
    pointers: dict[str, Pointer] = field(default_factory=dict)  # model path -> pointer
    warnings: list[str] = field(default_factory=list)


def snapshot(ws: Workspace, rev: str | None) -> Snapshot:
    """Pointers at ``rev`` (a commit-ish or registry reference such as ``churn@v0.1.0``),
    or in the workspace when ``rev`` is None or ``"workspace"``. Unreadable pointers
    become warnings rather than errors, so one bad file does not hide the others."""
    if rev is None or rev == WORKSPACE:
        found = Snapshot(WORKSPACE, None)
        for t in tracked_models(ws):
            if t.pointer is None:
                found.warnings.append(t.error or f"{t.pointer_path}: unreadable")
            else:
                found.pointers[t.model] = t.pointer
        return found
    from gitmodel.services.checkout import resolve_revision

    commit, _ = resolve_revision(ws, rev)
    found = Snapshot(rev, commit)
    entries = ws.git.pointer_entries_at(commit)
    blobs = ws.git.read_blobs(e.blob for e in entries)
    for e in entries:
        data = blobs.get(e.blob)
        if data is None:
            continue
        try:
            found.pointers[e.path[: -len(SUFFIX)]] = parse_pointer(data, f"{rev}:{e.path}")
        except GitModelError as exc:
            found.warnings.append(str(exc))
    return found


def _select(ws: Workspace, snap: Snapshot, paths: Iterable[str]) -> dict[str, Pointer]:
    paths = list(paths)
    wanted = [ws.model_of_arg(p) for p in paths]
    if not wanted:
        return snap.pointers
    chosen = {
        model: pointer
        for model, pointer in snap.pointers.items()
        if any(model == w or model.startswith(w + "/") for w in wanted)
    }
    if not chosen:
        shown = " ".join(paths)
        if snap.commit is None:
            raise UsageError(f"{shown}: no tracked model there", fix=f"gitmodel add {shown}")
        raise UsageError(f"no tracked model matching {shown} at {snap.label}")
    return chosen


# ---------------------------------------------------------------- metrics show / diff


@dataclass(frozen=True)
class ModelMetrics:
    model: str
    metrics: dict[str, Number]

    def to_json(self) -> dict[str, Any]:
        return {"path": self.model, "metrics": self.metrics}


def show_metrics(
    ws: Workspace, paths: Iterable[str] = (), rev: str | None = None
) -> tuple[list[ModelMetrics], list[str]]:
    """The metrics of the selected models (all by default), and warnings."""
    snap = snapshot(ws, rev)
    chosen = _select(ws, snap, paths)
    rows = [ModelMetrics(m, dict(sorted(p.metrics.items()))) for m, p in sorted(chosen.items())]
    return rows, snap.warnings


@dataclass(frozen=True)
class MetricChange:
    """One metric of one model at two revisions; None where it does not exist."""

    model: str
    metric: str
    old: Number | None
    new: Number | None

    @property
    def change(self) -> float | None:
        if self.old is None or self.new is None:
            return None
        return self.new - self.old

    @property
    def relative(self) -> float | None:
        """(new - old) / |old|; None when old is 0 or either side is missing."""
        change = self.change
        if change is None or self.old == 0 or self.old is None:
            return None
        return change / abs(self.old)

    @property
    def changed(self) -> bool:
        return self.old != self.new

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.model,
            "metric": self.metric,
            "old": self.old,
            "new": self.new,
            "change": _clean(self.change),
            "relative": _clean(self.relative),
        }


def metric_changes(
    old: Pointer | None, new: Pointer | None, model: str, include_unchanged: bool = False
) -> list[MetricChange]:
    """Changes between two pointers' metrics, sorted by metric name."""
    before = old.metrics if old is not None else {}
    after = new.metrics if new is not None else {}
    changes = [
        MetricChange(model, name, before.get(name), after.get(name))
        for name in sorted(set(before) | set(after))
    ]
    return [c for c in changes if include_unchanged or c.changed]


@dataclass
class Comparison:
    """Two snapshots and the labels to show them by."""

    old: Snapshot
    new: Snapshot

    @property
    def warnings(self) -> list[str]:
        return self.old.warnings + self.new.warnings

    def labels(self) -> dict[str, Any]:
        return {
            "old": {"rev": self.old.label, "commit": self.old.commit},
            "new": {"rev": self.new.label, "commit": self.new.commit},
        }


def compare(ws: Workspace, rev1: str | None, rev2: str | None) -> Comparison:
    """Snapshots for a diff: ``rev1`` defaults to HEAD, ``rev2`` to the workspace."""
    if rev1 is None and ws.git.head() is None:
        raise UsageError("there is no commit to compare with yet", fix="git commit")
    return Comparison(snapshot(ws, rev1 or "HEAD"), snapshot(ws, rev2))


def diff_metrics(
    ws: Workspace,
    rev1: str | None = None,
    rev2: str | None = None,
    paths: Iterable[str] = (),
    include_unchanged: bool = False,
) -> tuple[Comparison, list[MetricChange]]:
    """Metrics that differ between ``rev1`` (default HEAD) and ``rev2`` (default the
    workspace), like ``dvc metrics diff``; all of them with ``include_unchanged``."""
    both = compare(ws, rev1, rev2)
    wanted = list(paths)
    old = _select(ws, both.old, wanted) if wanted else both.old.pointers
    new = _select(ws, both.new, wanted) if wanted else both.new.pointers
    changes = []
    for model in sorted(set(old) | set(new)):
        changes += metric_changes(old.get(model), new.get(model), model, include_unchanged)
    return both, changes


# ---------------------------------------------------------------- diff (models)


@dataclass(frozen=True)
class ModelChange:
    """A model added, deleted or modified between two snapshots."""

    model: str
    status: str  # "added", "deleted", "modified"
    old: Pointer | None
    new: Pointer | None
    metrics: list[MetricChange]

    @property
    def size_change(self) -> int | None:
        if self.old is None or self.new is None:
            return None
        return self.new.size - self.old.size

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.model,
            "status": self.status,
            "old": _pointer_json(self.old),
            "new": _pointer_json(self.new),
            "size_change": self.size_change,
            "metrics": [m.to_json() for m in self.metrics],
        }


def diff_models(
    ws: Workspace, rev1: str | None = None, rev2: str | None = None
) -> tuple[Comparison, list[ModelChange]]:
    """Which models changed between ``rev1`` (default HEAD) and ``rev2`` (default the
    workspace's pointers): added, deleted, or modified (bytes or metrics)."""
    both = compare(ws, rev1, rev2)
    old, new = both.old.pointers, both.new.pointers
    changes = []
    for model in sorted(set(old) | set(new)):
        before, after = old.get(model), new.get(model)
        if before == after:
            continue
        status = "added" if before is None else "deleted" if after is None else "modified"
        changes.append(
            ModelChange(model, status, before, after, metric_changes(before, after, model))
        )
    return both, changes


# ---------------------------------------------------------------- log PATH


@dataclass
class LogEntry:
    """One version of a model in history (``commit`` None: the uncommitted workspace)."""

    commit: str | None
    timestamp: int | None
    author: str
    subject: str
    pointer: Pointer | None
    error: str | None = None
    tags: list[str] = field(default_factory=list)  # registry tags naming this version
    versions: list[str] = field(default_factory=list)  # registered versions, e.g. v0.2.0
    stages: list[str] = field(default_factory=list)  # environments holding it now

    def to_json(self) -> dict[str, Any]:
        from gitmodel.registry_state import iso_time

        p = self.pointer
        return {
            "commit": self.commit,
            "date": iso_time(self.timestamp) if self.timestamp is not None else None,
            "author": self.author,
            "subject": self.subject,
            "hash": p.algo if p else None,
            "oid": p.oid if p else None,
            "size": p.size if p else None,
            "kind": p.kind if p else None,
            "metrics": dict(sorted(p.metrics.items())) if p else {},
            "versions": self.versions,
            "stages": self.stages,
            "tags": self.tags,
            "error": self.error,
        }


def model_log(ws: Workspace, path: str) -> list[LogEntry]:
    """Every committed version of the model at ``path``, newest first, with its
    metrics and the registry tags naming it; an uncommitted pointer change comes first."""
    model = ws.model_of_arg(path)
    rel = model + SUFFIX
    history = ws.git.path_history(rel) if ws.git.head() is not None else []
    blobs = ws.git.read_blobs(v.blob for v in history if v.blob)
    entries = []
    for v in history:
        if v.blob is None:
            continue  # the commit deleted the pointer: not a version
        entry = LogEntry(v.commit, v.timestamp, v.author, v.subject, None)
        try:
            entry.pointer = parse_pointer(blobs[v.blob], f"{v.commit[:7]}:{rel}")
        except (GitModelError, KeyError) as exc:
            entry.error = str(exc)
        entries.append(entry)
    workspace = _workspace_entry(ws, rel, blobs.get(history[0].blob or "") if history else None)
    if workspace is not None:
        entries.insert(0, workspace)
    if not entries:
        raise UsageError(
            f"{ws.display(model)} has no history: it is not tracked by gitmodel",
            fix=f"gitmodel add {ws.display(model)}",
        )
    _attach_registry(ws, model, entries)
    return entries


def _workspace_entry(ws: Workspace, rel: str, committed: bytes | None) -> LogEntry | None:
    path = ws.abspath(rel)
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return None
    if data == committed:
        return None
    entry = LogEntry(None, None, "", "uncommitted changes in the workspace", None)
    try:
        entry.pointer = parse_pointer(data, ws.display(rel))
    except GitModelError as exc:
        entry.error = str(exc)
    return entry


def _attach_registry(ws: Workspace, model: str, entries: list[LogEntry]) -> None:
    """Registry tags of the artifacts registered at ``model``, on the entries whose
    commit they point at (else whose object id their message records)."""
    if not any(e.commit for e in entries):
        return
    from gitmodel.services.registry import load

    state = load(ws)
    by_commit = {e.commit: e for e in entries if e.commit}
    by_oid: dict[str, LogEntry] = {}
    for e in reversed(entries):  # the newest entry with an oid wins
        if e.commit and e.pointer is not None:
            by_oid[e.pointer.oid] = e
    for art in state.artifacts.values():
        owners: dict[str, LogEntry] = {}  # version -> entry
        for version in art.versions.values():
            if (version.path or art.path()) != model:
                continue
            oid = version.fields.get("oid")
            entry = by_commit.get(version.commit) or by_oid.get(str(oid))
            if entry is None:
                continue
            owners[version.version] = entry
            entry.tags.append(version.tag)
            entry.versions.append(f"{art.name}@{version.version}")
        for step in art.history:
            if step.event.stage is None or step.version not in owners:
                continue
            if step.event.tag not in owners[step.version].tags:
                owners[step.version].tags.append(step.event.tag)
        for stage, step in sorted(art.stages.items()):
            if step.version in owners:
                owners[step.version].stages.append(f"{art.name}#{stage}")


# ---------------------------------------------------------------- helpers


def _pointer_json(p: Pointer | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {
        "hash": p.algo,
        "oid": p.oid,
        "size": p.size,
        "kind": p.kind,
        "metrics": dict(sorted(p.metrics.items())),
    }


def _clean(value: float | None) -> float | None:
    """JSON has no NaN or infinity."""
    if value is None or not math.isfinite(value):
        return None
    return value
