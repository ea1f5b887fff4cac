"""``gitmodel get REPO PATH``: download one model from another repository's remote without
cloning its work tree (like ``dvc get``). Only Git metadata is fetched (a bare, blob-less
clone where the server allows it); the model's bytes come from that repository's default
remote and are verified on the way."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gitmodel.config import CONFIG_FILE, Config
from gitmodel.errors import GitError, RemoteError, UsageError
from gitmodel.git import Git, run_git
from gitmodel.pointer import SUFFIX, Pointer, parse_pointer
from gitmodel.progress import NULL_PROGRESS, Progress
from gitmodel.storage.cache import Cache

if TYPE_CHECKING:
    from gitmodel.storage.remote import Remote


@dataclass
class GetResult:
    output: Path
    pointer: Pointer
    remote: str
    files: int

    def to_json(self) -> dict[str, object]:
        return {
            "output": str(self.output),
            "oid": self.pointer.oid,
            "hash": self.pointer.algo,
            "size": self.pointer.size,
            "kind": self.pointer.kind,
            "remote": self.remote,
            "files": self.files,
        }


def _is_local(url: str) -> bool:
    return "://" not in url and not (":" in url.split("/")[0] and not os.path.exists(url))


@contextlib.contextmanager
def source_repository(url: str) -> Iterator[tuple[Git, Path | None]]:
    """A temporary bare clone of ``url`` holding history but (where possible) no blobs.

    Yields the Git handle and, for a local repository, its directory (relative local
    remote paths in its config are relative to it)."""
    tmp = Path(tempfile.mkdtemp(prefix="gitmodel-get-"))
    try:
        target = tmp / "repo.git"
        local = Path(url).expanduser().resolve() if _is_local(url) else None
        if local is not None and not local.exists():
            raise UsageError(f"{url}: no such repository")
        args = ["clone", "--bare", "--quiet", "--no-tags"]
        proc = run_git([*args, "--filter=blob:none", url, str(target)], check=False)
        if proc.returncode != 0:
            shutil.rmtree(target, ignore_errors=True)
            proc = run_git([*args, url, str(target)], check=False)
        if proc.returncode != 0:
            detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitError(f"cannot read repository {url}: {detail[-1] if detail else 'failed'}")
        run_git(["fetch", "--quiet", "--tags", "origin"], cwd=target, check=False)
        work = local.parent if local is not None and local.name == ".git" else local
        yield Git(target, target, target), work
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _config_at(git: Git, commit: str) -> Config:
    import tomllib

    data = git.show_file(commit, CONFIG_FILE)
    if data is None:
        raise UsageError(f"{CONFIG_FILE} not found at {commit[:12]}: not a gitmodel repository")
    try:
        return Config(data=tomllib.loads(data.decode("utf-8")))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{CONFIG_FILE} of the source repository is invalid: {exc}") from None


def _pointer_at(git: Git, commit: str, path: str, rev: str) -> Pointer:
    model = path[: -len(SUFFIX)] if path.endswith(SUFFIX) else path
    model = model.strip("/")
    text = git.show_file(commit, model + SUFFIX)
    if text is None:
        raise UsageError(f"{model} is not a tracked model at {rev}")
    return parse_pointer(text, f"{rev}:{model}{SUFFIX}")


def _remote_for(config: Config, work: Path | None, name: str | None) -> Remote:
    from gitmodel.storage.remote import Remote

    remotes = config.remotes
    chosen = name or config.default_remote or (next(iter(remotes)) if len(remotes) == 1 else None)
    if chosen is None or chosen not in remotes:
        raise UsageError(
            f"the source repository has no {'remote ' + repr(name) if name else 'default remote'}"
        )
    options = dict(remotes[chosen])
    url = str(options.pop("url", ""))
    if "://" not in url and not os.path.isabs(os.path.expanduser(url)) and work is None:
        raise RemoteError(
            f"remote {chosen} of the source repository is a relative path "
            f"({url}); only a local source repository can resolve it"
        )
    return Remote(chosen, url, options, base_dir=work)


def get(
    repo_url: str,
    path: str,
    *,
    rev: str | None = None,
    output: str | None = None,
    remote: str | None = None,
    force: bool = False,
    progress: Progress = NULL_PROGRESS,
) -> GetResult:
    """Download the model at ``path`` (at ``rev``, default HEAD) of ``repo_url``."""
    from gitmodel.storage import manifests, transfer

    target = Path(output or Path(path.rstrip("/")).name.removesuffix(SUFFIX)).absolute()
    if target.exists() and not force:
        raise UsageError(f"{target} already exists", fix="gitmodel get ... --force, or -o OTHER")
    with source_repository(repo_url) as (git, work):
        commit = git.rev_parse(rev or "HEAD")
        pointer = _pointer_at(git, commit, path, rev or "HEAD")
        config = _config_at(git, commit)
        source = _remote_for(config, work, remote)
        cache = Cache(Path(tempfile.mkdtemp(prefix="gitmodel-get-cache-")))
        try:
            transfer.fetch(cache, source, pointer.algo, [pointer.oid], progress=progress)
            files = 1
            if pointer.is_dir:
                manifest = manifests.load(cache, pointer.algo, pointer.oid, path)
                transfer.fetch(
                    cache,
                    source,
                    pointer.algo,
                    [e.oid for e in manifest.entries],
                    progress=progress,
                )
                staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
                try:
                    for e in manifest.entries:
                        cache.materialize(
                            pointer.algo,
                            e.oid,
                            staging / e.path,
                            ("copy",),
                            executable=e.executable,
                        )
                    if target.exists():
                        shutil.rmtree(target) if target.is_dir() else target.unlink()
                    os.replace(staging, target)
                finally:
                    shutil.rmtree(staging, ignore_errors=True)
                files = len(manifest.entries)
            else:
                if target.is_dir():
                    raise UsageError(f"{target} is a directory; choose another -o")
                cache.materialize(pointer.algo, pointer.oid, target, ("copy",))
        finally:
            shutil.rmtree(cache.root, ignore_errors=True)
    return GetResult(target, pointer, source.name, files)


def resolve_remote_object(
    repo_url: str, path: str, *, rev: str | None = None, remote: str | None = None
) -> tuple[Pointer, Remote]:
    """The pointer of ``path`` in ``repo_url`` and the Remote holding its object.

    Only the resolution needs the temporary clone; streaming goes straight to the remote.
    """
    with source_repository(repo_url) as (git, work):
        commit = git.rev_parse(rev or "HEAD")
        pointer = _pointer_at(git, commit, path, rev or "HEAD")
        if pointer.is_dir:
            raise UsageError(f"{path} is a tracked directory; name a file inside it")
        return pointer, _remote_for(_config_at(git, commit), work, remote)
