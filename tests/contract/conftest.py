"""Fixtures of the contract suite: one ``Remote`` per backend of the remotes kit.

``remote_case`` runs a test once per backend (local, s3, gcs, azure, sftp, webdav)
against the kit's real servers, with a fresh, empty root each time.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gitmodel.storage.cache import Cache
from gitmodel.storage.remote import Remote
from gitmodel.storage.state import StateDB
from tests.conftest import HAVE_REMOTES_KIT

if not HAVE_REMOTES_KIT:
    if os.environ.get("REMOTES_REQUIRED") == "1":
        raise RuntimeError("the remotes kit (../shared/remotes) is missing [REMOTES_REQUIRED=1]")
    collect_ignore = ["test_remotes.py"]  # the pure tests need no server

ALGO = "blake3"
# Retry quickly in tests: the servers are on loopback.
BACKOFF = 0.02


@dataclass
class RemoteCase:
    """One backend under test: the Remote, plus the kit's own view of the same root."""

    backend: str  # local, s3, gcs, azure, sftp, webdav
    remote: Remote
    fs: Any  # the kit's fsspec filesystem, for tampering behind the Remote's back
    root: str  # the root inside ``fs``
    url: str
    options: dict[str, Any]
    env: dict[str, str]

    def make(self, name: str = "test", **extra: Any) -> Remote:
        """Another Remote on the same root, with extra options."""
        return Remote(name, self.url, {**self.options, **extra}, backoff=BACKOFF)

    def object_path(self, oid: str, algo: str = ALGO) -> str:
        return f"{self.root}/{algo}/{oid[:2]}/{oid[2:]}"

    def files(self) -> list[str]:
        """Every file under the root, as paths relative to it."""
        self.fs.invalidate_cache()
        found = self.fs.find(self.root)
        base = self.root.rstrip("/") + "/"
        return sorted(str(p).split(base, 1)[-1] for p in found)


def remote_location(backend: str, root: str, env: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """The gitmodel URL and options that point at ``root`` of the kit's ``backend``."""
    if backend == "local":
        return root, {}
    if backend == "s3":
        return f"s3://{root}", {
            "endpoint_url": env["REMOTE_S3_ENDPOINT_URL"],
            "key": env["REMOTE_S3_KEY"],
            "secret": env["REMOTE_S3_SECRET"],
        }
    if backend == "gcs":
        return f"gs://{root}", {"endpoint_url": env["REMOTE_GCS_ENDPOINT_URL"], "anon": True}
    if backend == "azure":
        return f"az://{root}", {"connection_string": env["REMOTE_AZURE_CONNECTION_STRING"]}
    if backend == "sftp":
        host, port, user = env["REMOTE_SFTP_HOST"], env["REMOTE_SFTP_PORT"], env["REMOTE_SFTP_USER"]
        return f"ssh://{user}@{host}:{port}{root}", {
            "key_filename": env["REMOTE_SFTP_KEY"],
            "known_hosts": False,
        }
    if backend == "webdav":
        endpoint = env["REMOTE_WEBDAV_ENDPOINT_URL"].split("://", 1)[1]
        return f"webdav://{endpoint}/{root}", {}
    raise AssertionError(backend)


@pytest.fixture
def remote_case(fsspec_remote: tuple[str, Any, str], request: pytest.FixtureRequest) -> RemoteCase:
    backend, fs, root = fsspec_remote
    env = {} if backend == "local" else request.getfixturevalue("remote_servers")
    url, options = remote_location(backend, root, env)
    remote = Remote("test", url, options, backoff=BACKOFF)
    return RemoteCase(backend, remote, fs, root, url, options, env)


@pytest.fixture
def cache(tmp_path: Path) -> Cache:
    return Cache(tmp_path / "cache")


@pytest.fixture
def other_cache(tmp_path: Path) -> Cache:
    """A second, empty cache: the clone that fetches."""
    return Cache(tmp_path / "other-cache")


@pytest.fixture
def state(tmp_path: Path):
    db = StateDB(tmp_path / "state.db")
    yield db
    db.close()


@pytest.fixture
def make_objects(cache: Cache, tmp_path: Path) -> Callable[..., dict[str, bytes]]:
    """Add ``count`` random objects to the cache; returns ``{oid: bytes}``."""
    scratch = tmp_path / "object-source"

    def make(count: int, size: int = 1000, seed: int = 0, vary: bool = True) -> dict[str, bytes]:
        rng = random.Random(seed)
        objects: dict[str, bytes] = {}
        for i in range(count):
            n = rng.randrange(0, size) if vary else size
            data = rng.randbytes(n) + f"#{seed}-{i}".encode()
            scratch.write_bytes(data)
            oid, _ = cache.add_file(scratch, ALGO, fsync=False)  # durability: not needed here
            objects[oid] = data
        return objects

    return make
