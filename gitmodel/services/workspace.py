"""The Workspace: one initialised repository with its config, cache and state db.

Every service takes a Workspace; the CLI and the API build one with ``Workspace.open``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from gitmodel.config import CONFIG_FILE, Config, load_config, quick_config
from gitmodel.errors import NotARepositoryError, UnsafePathError, UsageError
from gitmodel.git import Git
from gitmodel.pointer import SUFFIX
from gitmodel.storage.cache import Cache
from gitmodel.storage.state import StateDB


@dataclass
class Workspace:
    git: Git
    config: Config
    cwd: Path = field(default_factory=Path.cwd)

    @classmethod
    def open(
        cls, cwd: str | os.PathLike[str] | None = None, *, require_init: bool = True
    ) -> Workspace:
        """The workspace containing ``cwd``; NotARepositoryError if there is none."""
        where = Path(cwd or os.getcwd()).absolute()
        git = Git.discover(where)
        if require_init and not (git.root / CONFIG_FILE).is_file():
            raise NotARepositoryError(
                f"{git.root} is not set up for gitmodel (no {CONFIG_FILE})", fix="gitmodel init"
            )
        config = quick_config(str(git.root), str(git.git_dir))  # plain TOML: no tomllib
        if config is None:
            config = load_config(git.root, git.git_dir)
        return cls(git=git, config=config, cwd=where)

    @property
    def root(self) -> Path:
        return self.git.root

    @property
    def data_dir(self) -> Path:
        """Per-worktree private data: ``$GIT_DIR/gitmodel``."""
        return self.git.git_dir / "gitmodel"

    @cached_property
    def cache(self) -> Cache:
        configured = self.config.cache_dir
        if configured:
            path = Path(os.path.expanduser(configured))
            if not path.is_absolute():
                path = self.root / path
            return Cache(path, fsync=self.config.cache_fsync)
        return Cache(self.git.common_dir / "gitmodel" / "objects", fsync=self.config.cache_fsync)

    @cached_property
    def state(self) -> StateDB:
        return StateDB(self.data_dir / "state.db")

    @property
    def algo(self) -> str:
        return self.config.hash_algorithm

    # --- paths --------------------------------------------------------------------

    def rel(self, path: str | os.PathLike[str]) -> str:
        """A user-given path (relative to cwd) as a repo-relative POSIX path.

        Refuses paths outside the repository and paths that pass through a symlink
        leading out of it.
        """
        raw = Path(path)
        absolute = raw if raw.is_absolute() else self.cwd / raw
        normal = Path(os.path.normpath(absolute))
        try:
            rel = normal.relative_to(self.root)
        except ValueError:
            raise UnsafePathError(f"{path}: outside the repository {self.root}") from None
        # Resolve the parent directories (not the last component) to catch escapes.
        real_parent = normal.parent.resolve()
        real_root = self.root.resolve()
        if real_parent != real_root and real_root not in real_parent.parents:
            raise UnsafePathError(f"{path}: leads outside the repository through a symlink")
        text = rel.as_posix()
        if text in ("", "."):
            raise UsageError(f"{path}: is the repository root; name a file or directory in it")
        if text == ".git" or text.startswith(".git/"):
            raise UsageError(f"{path}: is inside .git")
        return text

    def abspath(self, rel: str) -> Path:
        """Absolute path of a repo-relative path that must stay inside the repository."""
        root = str(self.root)
        normal = os.path.normpath(os.path.join(root, rel))
        if normal != root and not normal.startswith(root + os.sep):
            raise UnsafePathError(f"{rel}: outside the repository")
        return Path(root, rel)

    def display(self, rel: str) -> str:
        """A repo-relative path as the user sees it from the current directory."""
        return os.path.relpath(self.root / rel, self.cwd)

    def model_of_arg(self, arg: str) -> str:
        """Repo-relative model path of a CLI argument naming a model or its pointer."""
        rel = self.rel(arg)
        return rel[: -len(SUFFIX)] if rel.endswith(SUFFIX) else rel
