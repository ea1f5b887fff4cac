"""The work behind each hook, reached only once ``services.hook_run`` found something to
do (or needs to look closer). Each function returns the hook's exit code."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from gitmodel.git import Git
from gitmodel.git_light import parse_sizes
from gitmodel.services.hook_run import looks_binary

if TYPE_CHECKING:
    from gitmodel.config import Config

SUFFIX = ".gitmodel"  # as in gitmodel.pointer


def _say(message: str) -> None:
    sys.stderr.write(f"gitmodel: {message}\n")


def _load_config(git: Git) -> Config:
    """As ``load_config``, without importing tomllib when the files are plain TOML."""
    from gitmodel.config import load_config, quick_config

    quick = quick_config(str(git.root), str(git.git_dir))
    return quick if quick is not None else load_config(git.root, git.git_dir)


class RawChange(NamedTuple):
    new_mode: str
    new_blob: str
    status: str
    path: str


def _blob_sizes(git: Git, blobs: list[str]) -> dict[str, int]:
    if not blobs:
        return {}
    out = git.run(
        "cat-file",
        "--batch-check=%(objectname) %(objectsize)",
        input=("\n".join(blobs) + "\n").encode(),
    )
    return parse_sizes(out)


def pre_commit(git: Git, staged: Sequence[tuple[str, str, str, str]]) -> int:
    """Block commits whose pointers are unsound or that stage a large binary directly.

    ``staged``: the added or modified regular files, as ``git_light.parse_raw`` gives them.
    """
    changes = [RawChange(*c) for c in staged]
    if not changes:
        return 0
    pointers = [c for c in changes if c.path.endswith(SUFFIX)]
    others = [c for c in changes if not c.path.endswith(SUFFIX)]
    config = _load_config(git)
    problems: list[str] = []
    sizes = _blob_sizes(git, [c.new_blob for c in others])
    limit = config.max_size
    for c in others:
        size = sizes.get(c.new_blob, 0)
        if size > limit and looks_binary(str(git.root / c.path)):
            problems.append(
                f"{c.path}: a {size / 1048576:.1f} MiB binary is staged directly into Git "
                f"(limit hooks.max_size = {limit / 1048576:.1f} MiB); "
                f"run: git rm --cached {c.path} && gitmodel add {c.path}"
            )
    if pointers:
        problems.extend(_check_staged_pointers(git, pointers))
    if problems:
        for problem in problems:
            _say(problem)
        _say("commit blocked (bypass once with: git commit --no-verify)")
        return 1
    return 0


def _check_staged_pointers(git: Git, pointers: list[RawChange]) -> list[str]:
    from gitmodel.errors import GitModelError
    from gitmodel.pointer import parse_pointer
    from gitmodel.services.status import MODIFIED, NOT_IN_CACHE, status
    from gitmodel.services.workspace import Workspace

    ws = Workspace(git=git, config=_load_config(git), cwd=git.root)
    problems = []
    blobs = git.read_blobs(c.new_blob for c in pointers)
    models = []
    for c in pointers:
        try:
            pointer = parse_pointer(blobs.get(c.new_blob, b""), c.path)
        except GitModelError as exc:
            problems.append(str(exc))
            continue
        if not ws.cache.has(pointer.algo, pointer.oid):
            problems.append(
                f"{c.path}: object {pointer.oid[:12]} is not in the cache; "
                f"run: gitmodel add {c.path[: -len(SUFFIX)]}"
            )
            continue
        models.append(c.path[: -len(SUFFIX)])
    if not models:
        return problems
    for result in status(ws, models):
        if MODIFIED in result.states:
            problems.append(
                f"{result.model} was modified after 'gitmodel add'; "
                f"run: gitmodel add {result.model}"
            )
        elif NOT_IN_CACHE in result.states:
            problems.append(
                f"{result.model}: some of its objects are not in the cache; "
                f"run: gitmodel add {result.model}"
            )
        elif result.states == ["invalid pointer"]:
            problems.append(result.detail or f"{result.model}: invalid pointer")
    return problems


# --- pre-push ------------------------------------------------------------------------


def pre_push(git: Git, blobs: list[tuple[str, str]]) -> int:
    """Upload the objects the pushed pointers (path, blob) need to the default remote."""
    if not blobs:
        return 0
    from gitmodel.errors import GitModelError
    from gitmodel.services.objects import PointerSet, add_pointer_blobs, needed_objects
    from gitmodel.services.workspace import Workspace

    ws = Workspace(git=git, config=_load_config(git), cwd=git.root)
    pointers = PointerSet()
    add_pointer_blobs(ws, "pushed", blobs, pointers)
    for warning in pointers.warnings:
        _say(f"warning: {warning}")
    if ws.config.default_remote is None:
        _say(
            "no default gitmodel remote, so model objects were not uploaded; "
            "run: gitmodel remote add NAME URL --default"
        )
        return 0
    keys = needed_objects(ws, pointers)
    try:
        from gitmodel.services.transfer import push_objects

        result = push_objects(ws, keys)
    except GitModelError as exc:
        _say(f"{exc}")
        _say("push blocked: the models' objects could not be uploaded")
        return 1
    if result.transferred:
        _say(f"uploaded {result.transferred} object(s) to {result.remote}")
    return 0


# --- post-checkout / post-merge / post-rewrite -----------------------------------------


def restore_after(git: Git, changed: list[str] | None) -> int:
    """Restore the binaries of the ``changed`` pointer paths (None: of every tracked
    model); never clobber a modified binary."""
    from gitmodel.errors import GitModelError
    from gitmodel.services.checkout import FAILED, RESTORED, checkout
    from gitmodel.services.workspace import Workspace

    try:
        ws = Workspace(git=git, config=_load_config(git), cwd=git.root)
        models = [p[: -len(SUFFIX)] for p in changed] if changed is not None else []
        results = checkout(ws, models, fetch_missing=ws.config.auto_fetch)
    except GitModelError as exc:
        _say(f"warning: could not restore models: {exc}")
        return 0
    for r in results:
        if r.action == RESTORED:
            _say(f"restored {r.model}")
        elif r.action == FAILED:
            _say(f"warning: {r.detail}")
    return 0
