"""``gitmodel push|fetch|pull|verify``: which objects matter (from Git), and moving them
between the cache and the configured remotes through ``storage.transfer``.

Git is the single source of truth for which objects matter; objects are immutable and
content-addressed, so remotes can only ever be *missing* something: ``verify`` finds
it, ``push`` repairs it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gitmodel.errors import GitModelError, ObjectMissingError, RemoteError, UsageError
from gitmodel.progress import NULL_PROGRESS, Progress
from gitmodel.services.objects import (
    ObjectKey,
    PointerSet,
    by_algo,
    needed_objects,
    pointers_at,
    pointers_in_history,
    workspace_pointers,
)
from gitmodel.services.tracking import select_models
from gitmodel.services.workspace import Workspace

if TYPE_CHECKING:
    from gitmodel.services.checkout import CheckoutResult
    from gitmodel.storage.remote import Remote


@dataclass
class TransferSummary:
    remote: str
    transferred: int = 0
    skipped: int = 0
    bytes: int = 0

    def to_json(self) -> dict[str, object]:
        return {
            "remote": self.remote,
            "transferred": self.transferred,
            "already_there": self.skipped,
            "bytes": self.bytes,
        }


@dataclass
class FetchSummary:
    per_remote: list[TransferSummary] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # "algo:oid" found nowhere
    warnings: list[str] = field(default_factory=list)

    @property
    def transferred(self) -> int:
        return sum(s.transferred for s in self.per_remote)

    def to_json(self) -> dict[str, object]:
        return {
            "remotes": [s.to_json() for s in self.per_remote],
            "missing": self.missing,
            "warnings": self.warnings,
        }


@dataclass
class VerifySummary:
    remote: str
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    wrong_size: list[str] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.missing or self.wrong_size or self.corrupt or self.errors)

    def to_json(self) -> dict[str, object]:
        return {
            "remote": self.remote,
            "checked": self.checked,
            "clean": self.clean,
            "missing": self.missing,
            "wrong_size": self.wrong_size,
            "corrupt": self.corrupt,
            "errors": self.errors,
        }


# --- remotes ---------------------------------------------------------------------------


def open_remote(ws: Workspace, name: str | None = None) -> Remote:
    """The remote called ``name`` (default: the default remote) from the config."""
    from gitmodel.storage.remote import Remote

    remotes = ws.config.remotes
    if name is None:
        name = ws.config.default_remote
        if name is None:
            if len(remotes) == 1:
                name = next(iter(remotes))
            else:
                raise UsageError(
                    "no remote given and no default remote is set"
                    if remotes
                    else "no remote is configured",
                    fix="gitmodel remote add NAME URL --default",
                )
    if name not in remotes:
        raise UsageError(f"no remote named {name!r}", fix="gitmodel remote list")
    options = dict(remotes[name])
    url = str(options.pop("url", ""))
    if not url:
        raise UsageError(
            f"remote {name!r} has no url", fix=f"gitmodel remote modify {name} url URL"
        )
    return Remote(name, url, options, base_dir=ws.root)


def remote_order(ws: Workspace, name: str | None = None) -> list[str]:
    """Remotes to read from: the one named, else the default first, then the others."""
    if name is not None:
        return [name]
    names = sorted(ws.config.remotes)
    default = ws.config.default_remote
    if default in names:
        names.remove(default)
        names.insert(0, default)
    if not names:
        raise UsageError("no remote is configured", fix="gitmodel remote add NAME URL --default")
    return names


# --- what to transfer ------------------------------------------------------------------


def select_pointers(
    ws: Workspace,
    paths: list[str] | None = None,
    *,
    revs: list[str] | None = None,
    all_branches: bool = False,
    all_tags: bool = False,
    all_commits: bool = False,
) -> PointerSet:
    """Pointers named by the options: the workspace's (or those of ``paths``) by default,
    or those of revisions, branch tips, tags, or the whole history."""
    pointers = PointerSet()
    by_revision = bool(revs) or all_branches or all_tags or all_commits
    if paths or not by_revision:
        for t in select_models(ws, paths or []):
            if t.pointer is None:
                pointers.warnings.append(t.error or f"{t.pointer_path}: unreadable")
            else:
                pointers.add(t.pointer_path, t.pointer)
    targets: list[str] = []
    if revs:
        from gitmodel.services.checkout import resolve_revision

        # Registry references (churn@v1.2.0, churn@latest, churn#prod) work as revisions too.
        targets = [resolve_revision(ws, r)[0] for r in revs]
    if all_branches:
        targets += ws.git.branches()
    if all_tags:
        targets += ws.git.tag_commits()
    if targets:
        pointers_at(ws, targets, into=pointers)
    if all_commits:
        pointers_in_history(ws, ["--all"], into=pointers)
    if not pointers and not by_revision and not paths:
        workspace_pointers(ws, into=pointers)
    return pointers


def expected_sizes(ws: Workspace, pointers: PointerSet) -> dict[ObjectKey, int]:
    """Sizes the pointers (and cached manifests) promise for their objects."""
    from gitmodel.storage import manifests

    sizes: dict[ObjectKey, int] = {}
    for _, pointer in pointers:
        if not pointer.is_dir:
            sizes[(pointer.algo, pointer.oid)] = pointer.size
            continue
        if ws.cache.has(pointer.algo, pointer.oid):
            try:
                manifest = manifests.load(ws.cache, pointer.algo, pointer.oid)
            except GitModelError:
                continue
            for e in manifest.entries:
                sizes[(pointer.algo, e.oid)] = e.size
    return sizes


# --- push ------------------------------------------------------------------------------


def push_objects(
    ws: Workspace,
    keys: Iterable[ObjectKey],
    remote_name: str | None = None,
    *,
    jobs: int | None = None,
    progress: Progress = NULL_PROGRESS,
) -> TransferSummary:
    """Upload the objects the remote lacks (a second push of the same objects costs no
    network call per object: the state db remembers what each remote has)."""
    from gitmodel.storage import transfer

    remote = open_remote(ws, remote_name)
    if remote.read_only:
        raise UsageError(f"remote {remote.name} ({remote.url}) is read-only (http)")
    summary = TransferSummary(remote.name)
    for algo, oids in sorted(by_algo(keys).items()):
        result = transfer.push(
            ws.cache,
            remote,
            ws.state,
            algo,
            sorted(oids),
            jobs=jobs or remote.jobs,
            progress=progress,
        )
        summary.transferred += len(result.transferred)
        summary.skipped += len(result.skipped)
        summary.bytes += result.bytes
    return summary


def push(
    ws: Workspace,
    paths: list[str] | None = None,
    *,
    remote: str | None = None,
    all_remotes: bool = False,
    revs: list[str] | None = None,
    all_branches: bool = False,
    all_tags: bool = False,
    all_commits: bool = False,
    jobs: int | None = None,
    progress: Progress = NULL_PROGRESS,
) -> tuple[list[TransferSummary], list[str]]:
    """Push what the selected pointers need to one remote or to every remote."""
    pointers = select_pointers(
        ws, paths, revs=revs, all_branches=all_branches, all_tags=all_tags, all_commits=all_commits
    )
    warnings = list(pointers.warnings)
    keys = needed_objects(ws, pointers, warnings=warnings)
    names = sorted(ws.config.remotes) if all_remotes else [remote]
    if all_remotes and not names:
        raise UsageError("no remote is configured", fix="gitmodel remote add NAME URL --default")
    return [push_objects(ws, keys, name, jobs=jobs, progress=progress) for name in names], warnings


def already_pushed(
    ws: Workspace, paths: list[str] | None = None, remote_name: str | None = None
) -> TransferSummary | None:
    """What ``push`` would report when the state db shows the remote holds every object
    the selected pointers need: nothing to send, no network call, no fsspec. None when
    anything is left to check or send, or something deserves a warning: then run
    ``push``."""
    pointers = select_pointers(ws, paths)
    warnings = list(pointers.warnings)
    keys = needed_objects(ws, pointers, warnings=warnings)
    if warnings or not keys:
        return None
    remote = open_remote(ws, remote_name)
    if remote.read_only:
        return None
    summary = TransferSummary(remote.name)
    for algo, oids in sorted(by_algo(keys).items()):
        if len(ws.state.remote_has(remote.state_key, algo, oids)) != len(oids):
            return None
        summary.skipped += len(oids)
    return summary


# --- fetch / pull ------------------------------------------------------------------------


def fetch_objects(
    ws: Workspace,
    keys: Iterable[ObjectKey],
    remote_name: str | None = None,
    *,
    jobs: int | None = None,
    progress: Progress = NULL_PROGRESS,
    strict: bool = True,
) -> FetchSummary:
    """Download missing objects, trying the remotes in order (default first) and
    falling back to the next one for whatever the previous did not have."""
    from gitmodel.storage import transfer

    missing = {k for k in keys if not ws.cache.has(*k)}
    summary = FetchSummary()
    last_error: GitModelError | None = None
    for name in remote_order(ws, remote_name):
        if not missing:
            break
        remote = open_remote(ws, name)
        step = TransferSummary(remote.name)
        for algo, oids in sorted(by_algo(missing).items()):
            try:
                result = transfer.fetch(
                    ws.cache,
                    remote,
                    algo,
                    sorted(oids),
                    jobs=jobs or remote.jobs,
                    progress=progress,
                    state=ws.state,
                )
            except transfer.TransferError as exc:
                result = exc.result
                last_error = exc
            except RemoteError as exc:  # the remote as a whole: try the next one
                summary.warnings.append(str(exc))
                last_error = exc
                continue
            step.transferred += len(result.transferred)
            step.bytes += result.bytes
        summary.per_remote.append(step)
        missing = {k for k in missing if not ws.cache.has(*k)}
    summary.missing = sorted(f"{a}:{o}" for a, o in missing)
    if missing and strict:
        first = next(iter(sorted(missing)))[1]
        if last_error is not None and len(remote_order(ws, remote_name)) == 1:
            raise last_error
        raise ObjectMissingError(
            f"{len(missing)} object(s) are on no configured remote (first: {first[:12]})",
            fix="gitmodel push  (from a clone that has them)",
        )
    return summary


def fetch(
    ws: Workspace,
    paths: list[str] | None = None,
    *,
    remote: str | None = None,
    revs: list[str] | None = None,
    all_branches: bool = False,
    all_tags: bool = False,
    all_commits: bool = False,
    jobs: int | None = None,
    progress: Progress = NULL_PROGRESS,
) -> FetchSummary:
    """Bring into the cache what the selected pointers need (directory manifests first,
    then the files they list)."""
    pointers = select_pointers(
        ws, paths, revs=revs, all_branches=all_branches, all_tags=all_tags, all_commits=all_commits
    )
    total = FetchSummary(warnings=list(pointers.warnings))
    for _ in range(2):  # round two: the entries of manifests fetched in round one
        keys = needed_objects(ws, pointers)
        if all(ws.cache.has(*k) for k in keys):
            break
        step = fetch_objects(ws, keys, remote, jobs=jobs, progress=progress)
        total.per_remote.extend(step.per_remote)
        total.warnings.extend(step.warnings)
    return total


def pull(
    ws: Workspace,
    paths: list[str] | None = None,
    *,
    remote: str | None = None,
    force: bool = False,
    jobs: int | None = None,
    progress: Progress = NULL_PROGRESS,
) -> tuple[FetchSummary, list[CheckoutResult]]:
    """``fetch`` then ``checkout`` for the workspace's pointers."""
    from gitmodel.services.checkout import checkout

    summary = fetch(ws, paths, remote=remote, jobs=jobs, progress=progress)
    results = checkout(ws, paths, force=force, progress=progress)
    return summary, results


# --- verify -------------------------------------------------------------------------------


def verify(
    ws: Workspace,
    paths: list[str] | None = None,
    *,
    remote: str | None = None,
    all_remotes: bool = False,
    deep: bool = False,
    revs: list[str] | None = None,
    all_branches: bool = False,
    all_tags: bool = False,
    all_commits: bool = False,
    jobs: int | None = None,
    progress: Progress = NULL_PROGRESS,
) -> tuple[list[VerifySummary], list[str]]:
    """Prove the remote(s) hold every object the selection needs, with the right size
    (``deep``: the right hash too). The presence memo is corrected as a side effect."""
    from gitmodel.storage import transfer

    pointers = select_pointers(
        ws, paths, revs=revs, all_branches=all_branches, all_tags=all_tags, all_commits=all_commits
    )
    warnings = list(pointers.warnings)
    keys = needed_objects(ws, pointers, warnings=warnings)
    sizes = expected_sizes(ws, pointers)
    names = sorted(ws.config.remotes) if all_remotes else [remote]
    summaries = []
    for name in names:
        r = open_remote(ws, name)
        summary = VerifySummary(r.name)
        for algo, oids in sorted(by_algo(keys).items()):
            report = transfer.verify(
                ws.cache,
                r,
                algo,
                sorted(oids),
                sizes={o: sizes[(algo, o)] for o in oids if (algo, o) in sizes},
                deep=deep,
                jobs=jobs or r.jobs,
                progress=progress,
                state=ws.state,
            )
            summary.checked += len(oids)
            summary.missing += [f"{algo}:{o}" for o in report.missing]
            summary.wrong_size += [f"{algo}:{o}" for o in report.wrong_size]
            summary.corrupt += [f"{algo}:{o}" for o in report.corrupt]
            summary.errors += [f"{algo}:{o}: {why}" for o, why in report.errors.items()]
        summaries.append(summary)
    return summaries, warnings
