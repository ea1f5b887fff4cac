"""The work behind each hook, reached only once ``services.hooks`` found something to do
(or needs to look closer). Each function returns the hook's exit code."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import NamedTuple

from gitmodel.git import Git

ZERO = "0" * 40
SUFFIX = ".gitmodel"  # as in gitmodel.pointer, which the fast path does not import
_REGULAR = ("100644", "100755")


def _say(message: str) -> None:
    sys.stderr.write(f"gitmodel: {message}\n")


class RawChange(NamedTuple):
    new_mode: str
    new_blob: str
    status: str
    path: str


def _raw_changes(git: Git, *args: str) -> list[RawChange]:
    """Parse ``git diff/log --raw -z`` output."""
    out = git.run(*args, "--raw", "-z", "--no-renames", "--no-abbrev")
    fields = out.decode("utf-8", "surrogateescape").split("\0")
    changes = []
    i = 0
    while i < len(fields) - 1:
        meta = fields[i].strip()
        if not meta.startswith(":"):
            i += 1
            continue
        parts = meta[1:].split()
        changes.append(RawChange(parts[1], parts[3], parts[4][:1], fields[i + 1]))
        i += 2
    return changes


def _looks_binary(git: Git, path: str) -> bool:
    """Git's own heuristic: a NUL byte in the first 8000 bytes."""
    try:
        with open(git.root / path, "rb") as fh:
            return b"\0" in fh.read(8000)
    except OSError:
        return True


def _blob_sizes(git: Git, blobs: list[str]) -> dict[str, int]:
    if not blobs:
        return {}
    out = git.run(
        "cat-file",
        "--batch-check=%(objectname) %(objectsize)",
        input=("\n".join(blobs) + "\n").encode(),
    )
    sizes = {}
    for line in out.decode().splitlines():
        sha, _, size = line.partition(" ")
        if size.isdigit():
            sizes[sha] = int(size)
    return sizes


def pre_commit(git: Git) -> int:
    """Block commits whose pointers are unsound or that stage a large binary directly."""
    changes = [
        c
        for c in _raw_changes(git, "diff", "--cached")
        if c.status in "AMT" and c.new_mode in _REGULAR
    ]
    if not changes:
        return 0
    pointers = [c for c in changes if c.path.endswith(SUFFIX)]
    others = [c for c in changes if not c.path.endswith(SUFFIX)]
    from gitmodel.config import load_config

    config = load_config(git.root, git.git_dir)
    problems: list[str] = []
    sizes = _blob_sizes(git, [c.new_blob for c in others])
    limit = config.max_size
    for c in others:
        size = sizes.get(c.new_blob, 0)
        if size > limit and _looks_binary(git, c.path):
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
    from gitmodel.config import load_config
    from gitmodel.errors import GitModelError
    from gitmodel.pointer import parse_pointer
    from gitmodel.services.status import MODIFIED, NOT_IN_CACHE, status
    from gitmodel.services.workspace import Workspace

    ws = Workspace(git=git, config=load_config(git.root, git.git_dir), cwd=git.root)
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


def _pushed_pointer_blobs(git: Git, remote: str, stdin: bytes) -> list[tuple[str, str]]:
    """(path, blob) of every pointer version introduced by the commits being pushed."""
    revs: list[str] = []
    for line in stdin.decode("utf-8", "replace").splitlines():
        parts = line.split()
        if len(parts) != 4 or parts[1] == ZERO:
            continue  # a deletion pushes no objects
        local_sha, remote_sha = parts[1], parts[3]
        if remote_sha != ZERO and git.object_exists(remote_sha):
            revs += [local_sha, f"^{remote_sha}"]
        else:
            revs += [local_sha, "--not", f"--remotes={remote}", "--not"]
    if not revs:
        return []
    found: dict[str, str] = {}
    for c in _raw_changes(git, "log", "--format=", *revs):
        if c.path.endswith(SUFFIX) and c.new_mode in _REGULAR:
            found.setdefault(c.new_blob, c.path)
    return [(path, blob) for blob, path in found.items()]


def pre_push(git: Git, args: Sequence[str], stdin: bytes) -> int:
    """Upload the objects of the commits being pushed to the default remote."""
    remote_name = args[0] if args else "origin"
    blobs = _pushed_pointer_blobs(git, remote_name, stdin)
    if not blobs:
        return 0
    from gitmodel.config import load_config
    from gitmodel.errors import GitModelError
    from gitmodel.services.objects import PointerSet, add_pointer_blobs, needed_objects
    from gitmodel.services.workspace import Workspace

    ws = Workspace(git=git, config=load_config(git.root, git.git_dir), cwd=git.root)
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


def _changed_pointer_paths(
    git: Git, name: str, args: Sequence[str], stdin: bytes
) -> list[str] | None:
    """Pointer paths that may need restoring; None means: check every tracked model."""

    def diff(old: str, new: str) -> list[str]:
        out = git.run("diff", "--name-only", "-z", "--no-renames", old, new, "--", "*.gitmodel")
        return [p for p in out.decode("utf-8", "surrogateescape").split("\0") if p]

    if name == "post-checkout" and len(args) >= 3 and args[2] == "1":
        old, new = args[0], args[1]
        if old == new:
            return []
        if old == ZERO or not git.object_exists(old):
            return None
        return diff(old, new)
    if name == "post-merge" and git.object_exists("ORIG_HEAD"):
        return diff("ORIG_HEAD", "HEAD")
    if name == "post-rewrite":
        first = stdin.decode("utf-8", "replace").split()
        old = first[0] if first else "ORIG_HEAD"
        if args and args[0] == "rebase" and git.object_exists("ORIG_HEAD"):
            old = "ORIG_HEAD"
        if git.object_exists(old):
            return diff(old, "HEAD")
    return None


def restore_after(git: Git, name: str, args: Sequence[str], stdin: bytes) -> int:
    """Restore binaries whose pointers changed; never clobber a modified binary."""
    changed = _changed_pointer_paths(git, name, args, stdin)
    if changed is not None:
        changed = [p for p in changed if (git.root / p).is_file()]
        if not changed:
            return 0
    from gitmodel.config import load_config
    from gitmodel.errors import GitModelError
    from gitmodel.services.checkout import FAILED, RESTORED, checkout
    from gitmodel.services.workspace import Workspace

    try:
        ws = Workspace(git=git, config=load_config(git.root, git.git_dir), cwd=git.root)
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
