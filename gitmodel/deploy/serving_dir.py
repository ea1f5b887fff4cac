"""``serving-dir``: materialise the model as ``<dir>/<name>/<N>/...``, the layout TF
Serving (and TorchServe-style model stores) watch.

The number is the assignment counter N, not something derived from the SemVer:
every deploy and every rollback is a new assignment with a higher N, so the version
the registry says is current is always in the highest-numbered (and only) version
directory. TF Serving, which serves the highest number, follows a rollback like any
other deploy. The switch is atomic from a reader's point of view:

1. the model is written to ``<dir>/<name>/.tmp-<N>-<pid>`` and renamed to ``<N>``;
2. ``current`` (a symlink to ``<N>``, for servers that take one fixed path) is
   replaced by rename;
3. ``gitmodel-deploy.json`` records what is deployed (rename, too);
4. older numbered directories are removed (``keep`` of them are left, lower numbers).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from gitmodel.deploy import DeployError, Materialize, Release, option
from gitmodel.errors import ConfigError

MARKER = "gitmodel-deploy.json"
CURRENT = "current"


class ServingDirTarget:
    kind = "serving-dir"

    def __init__(self, env: str, table: Mapping[str, Any]) -> None:
        directory = option(table, env, "dir", str)
        if not directory:
            raise ConfigError(
                f'[deploy.{env}] target = "serving-dir" needs dir = "PATH" (e.g. "serving")'
            )
        self.env = env
        self.dir = directory
        self.name = option(table, env, "name", str)
        self.keep = option(table, env, "keep", int, 0)
        if self.keep < 0:
            raise ConfigError(f"[deploy.{env}] keep must be >= 0")

    def base(self, release: Release) -> Path:
        """``<dir>/<name>``: the model base path to give the server."""
        root = Path(os.path.expanduser(self.dir))
        if not root.is_absolute():
            root = release.repo_root / root
        name = self.name or release.artifact.replace(":", "=")
        return root / name

    def deploy(self, release: Release, materialize: Materialize) -> str:
        base = self.base(release)
        final = base / str(release.counter)
        try:
            base.mkdir(parents=True, exist_ok=True)
            if not _in_place(base, final, release):
                self._place(base, final, release, materialize)
            removed = self._prune(base, release.counter)
        except OSError as exc:
            raise DeployError(f"serving dir {base}: {exc.strerror or exc}") from None
        note = f", removed {', '.join(removed)}" if removed else ""
        return f"serving dir {final} holds {release.artifact} {release.version}{note}"

    def _place(self, base: Path, final: Path, release: Release, materialize: Materialize) -> None:
        staging = base / f".tmp-{release.counter}-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        try:
            materialize(staging)
            if final.exists():  # left by an interrupted deploy of this same N
                shutil.rmtree(final)
            os.rename(staging, final)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        link = base / f".{CURRENT}.tmp-{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        try:
            os.symlink(final.name, link, target_is_directory=True)
            os.replace(link, base / CURRENT)
        except OSError:  # no symlinks here (e.g. Windows without privilege): skip
            with contextlib.suppress(OSError):
                link.unlink()
        marker = base / f".{MARKER}.tmp-{os.getpid()}"
        marker.write_text(json.dumps(_record(release), indent=2) + "\n")
        os.replace(marker, base / MARKER)

    def _prune(self, base: Path, current: int) -> list[str]:
        older = sorted(
            (int(p.name) for p in base.iterdir() if p.name.isdigit() and p.is_dir()),
            reverse=True,
        )
        older = [n for n in older if n != current]
        removed = []
        for number in older[self.keep :]:
            shutil.rmtree(base / str(number))
            removed.append(str(number))
        return removed


def _record(release: Release) -> dict[str, Any]:
    return {
        "artifact": release.artifact,
        "env": release.env,
        "version": release.version,
        "counter": release.counter,
        "tag": release.tag,
        "commit": release.commit,
        "path": release.path,
        "hash": release.algo,
        "oid": release.oid,
    }


def _in_place(base: Path, final: Path, release: Release) -> bool:
    """True when ``final`` already holds this release (deploying again is then a no-op);
    a model file deleted or truncated by hand is placed again."""
    if _deployed(base) != _record(release) or not final.is_dir():
        return False
    if release.kind == "file":
        model = final / PurePosixPath(release.path).name
        return model.is_file() and model.stat().st_size == release.size
    return any(final.iterdir())


def _deployed(base: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((base / MARKER).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
