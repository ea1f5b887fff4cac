"""Git hooks: installing, removing and inspecting the one-line shims that call
``gitmodel hook NAME``. What that command does is in ``services.hook_run``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from gitmodel.errors import UsageError
from gitmodel.git import Git
from gitmodel.services.hook_run import CHAINED_SUFFIX, HOOKS

MARKER = "# installed by gitmodel"


def shim(name: str) -> str:
    """The text of an installed hook: one line that hands over to gitmodel."""
    return f'#!/bin/sh\n{MARKER} (gitmodel hooks uninstall removes it)\nexec gitmodel hook {name} "$@"\n'


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
