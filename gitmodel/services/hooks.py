"""Git hooks: what ``gitmodel hook NAME`` does inside ``git commit``, ``git push`` and
``git checkout``, and installing the one-line shims that call it.

The fast path (nothing relevant staged / nothing to push / no pointer changed) must
stay cheap: this module imports only the standard library and light gitmodel modules
at the top; anything heavier (transfer, fsspec) is imported only when there is work.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from gitmodel.errors import GitModelError, UsageError
from gitmodel.git import Git

HOOKS = ("pre-commit", "pre-push", "post-checkout", "post-merge", "post-rewrite")
STDIN_HOOKS = ("pre-push", "post-rewrite")  # git feeds these a list of refs on stdin
MARKER = "# installed by gitmodel"
CHAINED_SUFFIX = ".pre-gitmodel"
ZERO = "0" * 40
_SKIP_MODES = ("120000", "160000", "000000")  # symlinks, submodules, deletions


def shim(name: str) -> str:
    """The text of an installed hook: one line that hands over to gitmodel."""
    return f'#!/bin/sh\n{MARKER} (gitmodel hooks uninstall removes it)\nexec gitmodel hook {name} "$@"\n'


def _say(message: str) -> None:
    sys.stderr.write(f"gitmodel: {message}\n")


# --- installing ----------------------------------------------------------------------


class HookState(NamedTuple):
    name: str
    path: Path
    state: str  # "installed", "chained", "missing", "foreign", "outdated"

    def to_json(self) -> dict[str, str]:
        return {"hook": self.name, "path": str(self.path), "state": self.state}


def _is_ours(path: Path) -> bool:
    try:
        return MARKER in path.read_text(encoding="utf-8", errors="replace")[:400]
    except OSError:
        return False


def hooks_status(git: Git) -> list[HookState]:
    hooks_dir = git.hooks_dir()
    result = []
    for name in HOOKS:
        path = hooks_dir / name
        chained = hooks_dir / (name + CHAINED_SUFFIX)
        if not path.exists():
            state = "missing"
        elif _is_ours(path):
            current = path.read_text(encoding="utf-8", errors="replace")
            state = (
                "outdated"
                if current != shim(name)
                else ("chained" if chained.exists() else "installed")
            )
        else:
            state = "foreign"
        result.append(HookState(name, path, state))
    return result


def _write_executable(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".gitmodel-tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.chmod(tmp.stat().st_mode | 0o111)
    os.replace(tmp, path)


def install_hooks(git: Git) -> list[HookState]:
    """Install the shims where Git really looks (core.hooksPath and worktrees respected).

    A foreign hook is never overwritten: it is kept as ``NAME.pre-gitmodel`` and
    ``gitmodel hook NAME`` runs it first (its failure still fails the operation).
    """
    hooks_dir = git.hooks_dir()
    hooks_dir.mkdir(parents=True, exist_ok=True)
    result = []
    for name in HOOKS:
        path = hooks_dir / name
        chained = hooks_dir / (name + CHAINED_SUFFIX)
        if path.exists() and not _is_ours(path):
            if chained.exists():
                raise UsageError(
                    f"{path} is a foreign hook and {chained.name} already exists; merge them "
                    f"by hand, then run: gitmodel hooks install"
                )
            os.replace(path, chained)
            _write_executable(path, shim(name))
            result.append(HookState(name, path, "chained"))
            continue
        if path.exists() and path.read_text(encoding="utf-8", errors="replace") == shim(name):
            result.append(HookState(name, path, "chained" if chained.exists() else "installed"))
            continue
        # Missing, or an older gitmodel shim: rewriting our own file is always safe.
        _write_executable(path, shim(name))
        result.append(HookState(name, path, "chained" if chained.exists() else "installed"))
    return result


def uninstall_hooks(git: Git) -> list[HookState]:
    """Remove gitmodel's shims and put chained foreign hooks back in place."""
    hooks_dir = git.hooks_dir()
    result = []
    for name in HOOKS:
        path = hooks_dir / name
        chained = hooks_dir / (name + CHAINED_SUFFIX)
        if path.exists() and _is_ours(path):
            path.unlink()
            if chained.exists():
                os.replace(chained, path)
                result.append(HookState(name, path, "foreign"))
            else:
                result.append(HookState(name, path, "missing"))
        else:
            result.append(HookState(name, path, "foreign" if path.exists() else "missing"))
    return result


# --- running ---------------------------------------------------------------------------


def _run_chained(
    hooks_dir: Path | None, name: str, args: Sequence[str], stdin: bytes | None
) -> int:
    """Run the foreign hook kept beside ours, with the same arguments and input."""
    if hooks_dir is None:
        return 0
    chained = hooks_dir / (name + CHAINED_SUFFIX)
    if not chained.is_file() or not os.access(chained, os.X_OK):
        return 0
    import subprocess

    proc = subprocess.run([str(chained), *args], input=stdin, check=False)
    return proc.returncode


def _from_pre_commit_framework(
    git: Git, name: str, args: Sequence[str], stdin: bytes | None
) -> tuple[str, list[str], bytes | None]:
    """The pre-commit framework passes what git gave its hook through PRE_COMMIT_*
    variables instead of arguments and stdin; turn them back into git's form."""
    env = os.environ
    old, new = env.get("PRE_COMMIT_FROM_REF"), env.get("PRE_COMMIT_TO_REF")
    if name == "pre-push":
        remote = env.get("PRE_COMMIT_REMOTE_NAME", "origin")
        local_branch = env.get("PRE_COMMIT_LOCAL_BRANCH", "HEAD")
        local_sha = new or git.text("rev-parse", local_branch).strip()
        line = f"{local_branch} {local_sha} {env.get('PRE_COMMIT_REMOTE_BRANCH', '')} "
        line += f"{old or ZERO}\n"
        return "pre-push", [remote, env.get("PRE_COMMIT_REMOTE_URL", "")], line.encode()
    if "PRE_COMMIT_CHECKOUT_TYPE" in env and old and new:
        return "post-checkout", [old, new, env["PRE_COMMIT_CHECKOUT_TYPE"]], None
    if "PRE_COMMIT_IS_SQUASH_MERGE" in env:
        return "post-merge", [env["PRE_COMMIT_IS_SQUASH_MERGE"]], None
    if "PRE_COMMIT_REWRITE_COMMAND" in env:
        return "post-rewrite", [env["PRE_COMMIT_REWRITE_COMMAND"]], stdin
    return "restore", list(args), stdin  # run by hand: check every model


def run_hook(name: str, args: Sequence[str], stdin: bytes | None = None) -> int:
    """Entry point of ``gitmodel hook NAME ARGS`` (stdin already read for push/rewrite)."""
    if name not in (*HOOKS, "restore"):
        raise UsageError(f"unknown hook {name!r}; one of {', '.join(HOOKS)}")
    try:
        git = Git.discover()
    except GitModelError:
        return 0  # not in a work tree (e.g. a bare repo): nothing for us to do
    hooks_dir = None
    if name in HOOKS:
        hooks_dir = git.hooks_dir()
        code = _run_chained(hooks_dir, name, args, stdin)
        if code != 0:
            return code
    if os.environ.get("GITMODEL_SKIP_HOOKS") == "1":
        return 0
    if not (git.root / ".gitmodel.toml").is_file():
        return 0
    if name == "restore" or (name == "pre-push" and not stdin and "PRE_COMMIT" in os.environ):
        name, args, stdin = _from_pre_commit_framework(git, name, args, stdin)
    if name == "pre-commit":
        from gitmodel.services.hook_checks import pre_commit

        return pre_commit(git)
    if name == "pre-push":
        from gitmodel.services.hook_checks import pre_push

        return pre_push(git, args, stdin or b"")
    from gitmodel.services.hook_checks import restore_after

    return restore_after(git, name, args, stdin or b"")
