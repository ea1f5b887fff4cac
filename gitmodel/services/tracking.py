"""Shared questions about tracked models: which pointers exist, what a workspace file's
oid is (through the state db), what a tracked directory contains."""

from __future__ import annotations

import os
import stat as stat_mod
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from gitmodel.errors import PointerError, UnsafePathError, UsageError
from gitmodel.hashing import hash_bytes, hash_file
from gitmodel.pointer import SUFFIX, Pointer, parse_pointer
from gitmodel.services.workspace import Workspace


@dataclass
class Tracked:
    """A pointer file in the workspace and what it says (or why it cannot be read)."""

    model: str  # repo-relative path of the model
    pointer: Pointer | None
    error: str | None = None

    @property
    def pointer_path(self) -> str:
        return self.model + SUFFIX


def read_pointer_file(ws: Workspace, model: str) -> Pointer:
    """Parse ``<model>.gitmodel`` from the workspace; PointerError names file and line."""
    rel = model + SUFFIX
    path = ws.abspath(rel)
    if path.is_symlink():
        raise PointerError(rel, None, "pointer files must not be symlinks")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(
            f"{ws.display(model)} is not tracked by gitmodel",
            fix=f"gitmodel add {ws.display(model)}",
        ) from None
    return parse_pointer(data, ws.display(rel))


def tracked_models(ws: Workspace) -> list[Tracked]:
    """Every pointer in the workspace, parsed; bad ones carry their error."""
    result = []
    for rel in ws.git.pointer_files():
        model = rel[: -len(SUFFIX)]
        try:
            result.append(Tracked(model, read_pointer_file(ws, model)))
        except (PointerError, UnsafePathError) as exc:
            result.append(Tracked(model, None, str(exc)))
    return sorted(result, key=lambda t: t.model)


def select_models(ws: Workspace, args: Iterable[str]) -> list[Tracked]:
    """The tracked models named by ``args`` (models, pointers or directories holding them);
    all of them when ``args`` is empty."""
    everything = tracked_models(ws)
    wanted = list(args)
    if not wanted:
        return everything
    chosen: dict[str, Tracked] = {}
    for arg in wanted:
        rel = ws.model_of_arg(arg)
        matches = [t for t in everything if t.model == rel or t.model.startswith(rel + "/")]
        if not matches:
            raise UsageError(f"{arg}: no tracked model there", fix=f"gitmodel add {arg}")
        chosen.update((t.model, t) for t in matches)
    return [chosen[k] for k in sorted(chosen)]


def workspace_file_oid(ws: Workspace, rel: str, path: Path, st: os.stat_result) -> str:
    """The oid of a workspace file, from the state db when it is unchanged."""
    oid = ws.state.lookup(rel, st, ws.algo)
    if oid is None:
        oid, _ = hash_file(path, ws.algo)
        ws.state.record([(rel, st, ws.algo, oid)])
    return oid


class ScannedFile(NamedTuple):
    """A file found by ``scan_dir`` (a tuple: a scan makes tens of thousands)."""

    rel: str  # relative to the scanned directory, POSIX
    path: str  # absolute
    st: os.stat_result

    @property
    def executable(self) -> bool:
        return bool(self.st.st_mode & stat_mod.S_IXUSR)


def scan_dir(ws: Workspace, directory: Path) -> list[ScannedFile]:
    """Regular files below ``directory`` (sorted), following only in-repo symlinks.

    A symlink leading out of the repository is an error: its bytes are not ours to track.
    """
    root_real = os.path.realpath(ws.root)
    found: list[ScannedFile] = []
    stack = [(str(directory), "")]
    while stack:
        current, prefix = stack.pop()
        with os.scandir(current) as it:
            for entry in it:
                rel = prefix + entry.name
                if entry.is_symlink():
                    target = os.path.realpath(entry.path)
                    if target != root_real and not target.startswith(root_real + os.sep):
                        raise UnsafePathError(
                            f"{ws.display(os.path.relpath(entry.path, ws.root))}: symlink "
                            "points outside the repository; replace it with a copy"
                        )
                if entry.is_dir():
                    if entry.is_symlink():
                        raise UnsafePathError(
                            f"{entry.path}: symlinked directories inside a tracked "
                            "directory are not supported"
                        )
                    stack.append((entry.path, rel + "/"))
                elif entry.is_file():
                    if entry.name.endswith(SUFFIX) or ".gitmodel-tmp-" in entry.name:
                        continue
                    found.append(ScannedFile(rel, entry.path, entry.stat()))
    found.sort(key=lambda f: f.rel)
    return found


def listing_digest(files: list[ScannedFile]) -> str:
    """A digest of what ``scan_dir`` found: names, inodes, mtimes, sizes and modes. Equal
    digests mean no file was added, removed, replaced or written to in between (as far
    as stats can tell, which is what the state db trusts for single files too)."""
    text = "\n".join(
        f"{f.rel}\0{f.st.st_ino}\0{f.st.st_mtime_ns}\0{f.st.st_size}\0{f.st.st_mode}" for f in files
    )
    return hash_bytes(text.encode("utf-8", "surrogateescape"), "blake3")


def check_trackable(ws: Workspace, rel: str) -> Path:
    """Refuse what must never become a model: pointers, .git, symlinks, missing paths."""
    path = ws.abspath(rel)
    shown = ws.display(rel)
    if rel.endswith(SUFFIX):
        raise UsageError(f"{shown} is a pointer file", fix=f"gitmodel add {shown[: -len(SUFFIX)]}")
    if path.is_symlink():
        raise UnsafePathError(f"{shown} is a symlink; add the file it points to instead")
    if not path.exists():
        raise UsageError(f"{shown} does not exist")
    if not (path.is_file() or path.is_dir()):
        raise UsageError(f"{shown} is neither a regular file nor a directory")
    if rel.split("/")[0] == ".git":
        raise UsageError(f"{shown} is inside .git")
    return path
