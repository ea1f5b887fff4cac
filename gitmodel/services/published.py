"""The publishing check: before a version is deployed (or its tag pushed), the objects
it needs must be on the default remote, or a teammate who clones the repository and
checks out that version gets nothing (DESIGN §9)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from gitmodel.errors import ConfigError, ObjectMissingError
from gitmodel.pointer import Pointer
from gitmodel.services.objects import ObjectKey, PointerSet, by_algo, needed_objects
from gitmodel.services.workspace import Workspace


@dataclass
class Publication:
    """Where a version's objects stand: the remote asked (None if none is configured)
    and the objects missing there."""

    remote: str | None
    missing: list[ObjectKey] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def published(self) -> bool:
        return self.remote is not None and not self.missing


def default_remote(ws: Workspace) -> tuple[str, dict[str, Any]] | None:
    """(name, config table) of the default remote, or None when there is none."""
    name = ws.config.default_remote
    if not name:
        return None
    table = ws.config.remotes.get(name)
    if table is None or not isinstance(table.get("url"), str):
        raise ConfigError(
            f"default_remote = {name!r} but [remotes.{name}] has no url",
            fix=f"gitmodel remote add {name} URL --default",
        )
    return name, table


def _local_dir(url: str, root: Path) -> Path | None:
    if "://" not in url:
        path = Path(url).expanduser()
        return path if path.is_absolute() else root / path
    parts = urlsplit(url)
    return Path(unquote(parts.path)) if parts.scheme == "file" else None


def present_on_remote(
    ws: Workspace, name: str, table: dict[str, Any], keys: set[ObjectKey]
) -> set[ObjectKey]:
    """The subset of ``keys`` the remote holds: through the remote layer's batched
    existence check, or, without it, by looking into a local-directory remote."""
    url = str(table["url"])
    try:
        from gitmodel.storage.remote import Remote
    except ImportError:  # remote support not installed: local directories only
        Remote = None  # type: ignore[assignment,misc]
    found: set[ObjectKey] = set()
    if Remote is not None and hasattr(Remote, "exists_many"):
        options = {k: v for k, v in table.items() if k != "url"}
        remote = Remote(name, url, options)
        for algo, oids in by_algo(keys).items():
            found.update((algo, oid) for oid in remote.exists_many(algo, oids))
        return found
    directory = _local_dir(url, ws.root)
    if directory is None:
        raise ConfigError(
            f"cannot check remote {name!r} ({url}): remote support is not installed",
            fix="pip install 'gitmodel[all]'",
        )
    for algo, oid in keys:
        if (directory / algo / oid[:2] / oid[2:]).is_file():
            found.add((algo, oid))
    return found


def check_published(ws: Workspace, pointer: Pointer, source: str) -> Publication:
    """Which objects of ``pointer`` (and of its directory manifest) the default remote
    lacks. With no default remote, ``remote`` is None and nothing is checked."""
    configured = default_remote(ws)
    if configured is None:
        return Publication(None)
    name, table = configured
    pointers = PointerSet()
    pointers.add(source, pointer)
    warnings: list[str] = []
    keys = needed_objects(ws, pointers, warnings=warnings)
    present = present_on_remote(ws, name, table, keys)
    missing = sorted(keys - present)
    return Publication(name, missing, warnings)


def require_published(publication: Publication, what: str, rev: str | None = None) -> None:
    """ObjectMissingError naming the missing objects and the fix (``gitmodel push``,
    with ``--rev REV`` for a version that is not in the work tree), if any are missing."""
    if not publication.missing:
        return
    first = ", ".join(f"{algo}:{oid[:12]}" for algo, oid in publication.missing[:3])
    more = f" and {len(publication.missing) - 3} more" if len(publication.missing) > 3 else ""
    raise ObjectMissingError(
        f"{what}: {len(publication.missing)} object(s) are not on remote "
        f"{publication.remote!r} ({first}{more}); upload them first, or pass --allow-local",
        fix=f"gitmodel push --rev {shlex.quote(rev)}" if rev else "gitmodel push",
    )
