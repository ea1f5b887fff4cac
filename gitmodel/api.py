"""The public Python API of gitmodel.

    import gitmodel.api as gm
    gm.add(["models/churn.pkl"], metrics={"accuracy": 0.91})
    data = gm.read("models/churn.pkl", rev="HEAD~1")
    with gm.open("models/churn.pkl") as fh: ...

Every function takes ``repo`` (a path inside the work tree; default: the current
directory) and raises ``gitmodel.errors.GitModelError`` subclasses on failure.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any, BinaryIO

from gitmodel.errors import CorruptObjectError, UsageError
from gitmodel.hashing import new_hasher
from gitmodel.pointer import SUFFIX, Pointer, parse_pointer
from gitmodel.services.add import AddResult
from gitmodel.services.add import add as _add
from gitmodel.services.checkout import CheckoutResult, resolve_revision
from gitmodel.services.checkout import checkout as _checkout
from gitmodel.services.gc import GcResult
from gitmodel.services.gc import gc as _gc
from gitmodel.services.status import ModelStatus
from gitmodel.services.status import status as _status
from gitmodel.services.workspace import Workspace
from gitmodel.storage import manifests

__all__ = [
    "AddResult",
    "CheckoutResult",
    "GcResult",
    "ModelStatus",
    "Pointer",
    "add",
    "checkout",
    "fetch",
    "gc",
    "get",
    "monitor",
    "open",
    "pointer",
    "pull",
    "push",
    "read",
    "registry",
    "status",
    "verify",
]

PathLike = str | os.PathLike[str]


def _ws(repo: PathLike | None) -> Workspace:
    return Workspace.open(repo)


def add(
    paths: list[PathLike] | PathLike,
    *,
    metrics: dict[str, int | float] | None = None,
    meta: dict[str, Any] | None = None,
    stage: bool = True,
    repo: PathLike | None = None,
) -> list[AddResult]:
    """Track files or directories (like ``gitmodel add``)."""
    items = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    return _add(_ws(repo), [os.fspath(p) for p in items], metrics=metrics, meta=meta, stage=stage)


def status(paths: list[str] | None = None, *, repo: PathLike | None = None) -> list[ModelStatus]:
    """Status of every tracked model (like ``gitmodel status``)."""
    return _status(_ws(repo), paths)


def checkout(
    paths: list[str] | None = None,
    *,
    rev: str | None = None,
    force: bool = False,
    repo: PathLike | None = None,
) -> list[CheckoutResult]:
    """Restore binaries to match pointers (like ``gitmodel checkout``)."""
    return _checkout(_ws(repo), paths, rev=rev, force=force)


def gc(
    *,
    all_branches: bool = False,
    all_tags: bool = False,
    all_commits: bool = False,
    dry_run: bool = False,
    repo: PathLike | None = None,
) -> GcResult:
    """Remove unreferenced cache objects (like ``gitmodel gc``)."""
    return _gc(
        _ws(repo),
        all_branches=all_branches,
        all_tags=all_tags,
        all_commits=all_commits,
        dry_run=dry_run,
    )


def _pointer_text(ws: Workspace, model: str, rev: str | None) -> bytes | None:
    if rev is None:
        try:
            return ws.abspath(model + SUFFIX).read_bytes()
        except FileNotFoundError:
            return None
    commit, _ = resolve_revision(ws, rev)
    return ws.git.show_file(commit, model + SUFFIX)


def pointer(path: PathLike, *, rev: str | None = None, repo: PathLike | None = None) -> Pointer:
    """The pointer of a tracked model, from the workspace or at ``rev``."""
    ws = _ws(repo)
    model = ws.model_of_arg(os.fspath(path))
    text = _pointer_text(ws, model, rev)
    if text is None:
        raise UsageError(f"{path} is not tracked by gitmodel" + (f" at {rev}" if rev else ""))
    return parse_pointer(text, f"{rev}:{model}{SUFFIX}" if rev else ws.display(model + SUFFIX))


def _locate(ws: Workspace, path: str, rev: str | None) -> tuple[str, str, int]:
    """(algo, oid, size) of a tracked file, or of a file inside a tracked directory."""
    model = ws.model_of_arg(path)
    candidate, inner = model, ""
    while True:
        text = _pointer_text(ws, candidate, rev)
        if text is not None:
            p = parse_pointer(text, candidate + SUFFIX)
            if not inner:
                if p.is_dir:
                    raise UsageError(f"{path} is a tracked directory; name a file inside it")
                return p.algo, p.oid, p.size
            if not p.is_dir:
                break
            manifest = manifests.load(ws.cache, p.algo, p.oid, candidate + SUFFIX)
            entry = manifest.by_path().get(inner)
            if entry is None:
                break
            return p.algo, entry.oid, entry.size
        if "/" not in candidate:
            break
        candidate, _, name = candidate.rpartition("/")
        inner = f"{name}/{inner}" if inner else name
    raise UsageError(f"{path} is not tracked by gitmodel" + (f" at {rev}" if rev else ""))


class _VerifyingReader(io.RawIOBase):
    """Streams an object and checks its hash when the end is reached."""

    def __init__(self, fh: Any, algo: str, oid: str, size: int, on_close: Any = None) -> None:
        self._fh, self._algo, self._oid, self._size = fh, algo, oid, size
        self._on_close = on_close
        self._hasher = new_hasher(algo, size)
        self._seen = 0
        self._checked = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if hasattr(self._fh, "readinto"):
            n = self._fh.readinto(buffer)
        else:
            data = self._fh.read(len(buffer))
            n = len(data)
            buffer[:n] = data
        if n:
            self._hasher.update(memoryview(buffer)[:n])
            self._seen += n
        elif not self._checked:
            self._checked = True
            if self._seen != self._size or self._hasher.hexdigest() != self._oid:
                raise CorruptObjectError(
                    f"object {self._oid[:12]} is corrupt (its bytes do not match its name)",
                    fix="gitmodel pull",
                )
        return n or 0

    def close(self) -> None:
        if self._on_close is not None:
            self._on_close()
            self._on_close = None
        else:
            self._fh.close()
        super().close()


def open(
    path: PathLike,
    *,
    rev: str | None = None,
    repo: PathLike | None = None,
    remote: str | None = None,
) -> BinaryIO:
    """A binary stream of a model's bytes, verified when read to the end.

    ``repo`` is a directory inside a work tree (default: the current one) or the URL of
    another Git repository (then the bytes stream from that repository's remote, nothing
    is cloned). Locally, an object missing from the cache streams from ``remote`` (or
    the default remote).
    """
    import contextlib

    stack = contextlib.ExitStack()
    if repo is not None and _is_repository_url(os.fspath(repo)):
        from gitmodel.services.get import resolve_remote_object

        p, source = resolve_remote_object(os.fspath(repo), os.fspath(path), rev=rev, remote=remote)
        algo, oid, size = p.algo, p.oid, p.size
        fh = stack.enter_context(source.open(algo, oid))
    else:
        ws = _ws(repo)
        algo, oid, size = _locate(ws, os.fspath(path), rev)
        obj = ws.cache.path(algo, oid)
        if obj.is_file():
            fh = stack.enter_context(obj.open("rb"))
        elif ws.config.remotes or remote:
            from gitmodel.services.transfer import open_remote

            fh = stack.enter_context(open_remote(ws, remote).open(algo, oid))
        else:
            from gitmodel.errors import ObjectMissingError

            raise ObjectMissingError(
                f"object {oid[:12]} of {path} is not in the cache", fix="gitmodel pull"
            )
    raw = _VerifyingReader(fh, algo, oid, size, on_close=stack.close)
    return io.BufferedReader(raw, buffer_size=1024 * 1024)


def _is_repository_url(repo: str) -> bool:
    """A URL or a bare repository, as opposed to a directory inside a work tree."""
    if "://" in repo or ("@" in repo and ":" in repo.split("/")[0]):
        return True
    path = Path(repo)
    return (path / "HEAD").is_file() and (path / "objects").is_dir()


def read(path: PathLike, *, rev: str | None = None, repo: PathLike | None = None) -> bytes:
    """A model's whole content (verified) at ``rev``."""
    with open(path, rev=rev, repo=repo) as fh:
        return fh.read()


def push(paths: list[str] | None = None, *, repo: PathLike | None = None, **options: Any) -> Any:
    """Upload what the models need (like ``gitmodel push``); one summary per remote.

    Options: ``remote=``, ``all_remotes=``, ``revs=``, ``all_branches=``, ``all_tags=``,
    ``all_commits=``, ``jobs=``."""
    from gitmodel.services.transfer import push as _push

    return _push(_ws(repo), paths, **options)[0]


def fetch(paths: list[str] | None = None, *, repo: PathLike | None = None, **options: Any) -> Any:
    """Download what the models need into the cache (like ``gitmodel fetch``)."""
    from gitmodel.services.transfer import fetch as _fetch

    return _fetch(_ws(repo), paths, **options)


def pull(paths: list[str] | None = None, *, repo: PathLike | None = None, **options: Any) -> Any:
    """Fetch and restore (like ``gitmodel pull``); returns (fetch summary, checkout results)."""
    from gitmodel.services.transfer import pull as _pull

    return _pull(_ws(repo), paths, **options)


def verify(paths: list[str] | None = None, *, repo: PathLike | None = None, **options: Any) -> Any:
    """Check remotes hold every object needed (like ``gitmodel verify``)."""
    from gitmodel.services.transfer import verify as _verify

    return _verify(_ws(repo), paths, **options)[0]


def get(repo_url: str, path: str, **options: Any) -> Any:
    """Download one model from another repository's remote (like ``gitmodel get``)."""
    from gitmodel.services.get import get as _get

    return _get(repo_url, path, **options)


class _Bound:
    """A namespace of service functions with the workspace filled in from ``repo=``."""

    def __init__(self, module: str, names: tuple[str, ...], doc: str) -> None:
        self._module, self._names, self.__doc__ = module, names, doc

    def __dir__(self) -> list[str]:
        return list(self._names)

    def __getattr__(self, name: str) -> Any:
        if name not in self._names:
            raise AttributeError(name)
        import importlib

        fn = getattr(importlib.import_module(self._module), name)

        def call(*args: Any, repo: PathLike | None = None, **kwargs: Any) -> Any:
            return fn(_ws(repo), *args, **kwargs)

        call.__name__, call.__doc__ = name, fn.__doc__
        return call


registry = _Bound(
    "gitmodel.services.registry",
    (
        "register",
        "deregister",
        "deprecate",
        "assign",
        "unassign",
        "deploy",
        "rollback",
        "load",
        "push_registry_tags",
    ),
    "The model registry on Git tags: gm.registry.deploy('churn', 'prod'), "
    "gm.registry.rollback('churn', 'prod', reason='...'), gm.registry.load().",
)
monitor = _Bound(
    "gitmodel.services.monitoring",
    ("record", "ingest", "overview", "check", "prometheus_text", "open_store"),
    "Online monitoring: gm.monitor.record('churn', 'prod', {'accuracy': 0.9}), "
    "gm.monitor.check('churn', 'prod', rollback=True).",
)
