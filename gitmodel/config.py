"""Configuration: ``.gitmodel.toml`` (committed) merged with ``$GIT_DIR/gitmodel/config.toml``
(local, never committed; its values win). Standard library only, and cheap to import:
the pre-commit hook reads the config on every commit (see ``quick_config``).

Committed file, every key optional::

    hash = "blake3"                 # or "sha256" (Git LFS ids), "md5" (DVC ids)
    default_remote = "origin"

    [cache]
    link = ["reflink", "copy"]      # also "hardlink", "symlink"
    dir = "/shared/gitmodel-cache"  # usually set in the local file
    fsync = false                   # fsync every object written (Git's core.fsync)

    [hooks]
    max_size = "10MiB"              # raw binaries above this are refused by pre-commit
    auto_fetch = true

    [remotes.origin]
    url = "s3://bucket/models"
"""

from __future__ import annotations

import os
import re

from gitmodel.errors import ConfigError

TYPE_CHECKING = False  # typing, pathlib and tomllib cost ~20 ms to import together
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

CONFIG_FILE = ".gitmodel.toml"
LOCAL_CONFIG_FILE = "config.toml"  # inside $GIT_DIR/gitmodel/
LINK_STRATEGIES = ("reflink", "copy", "hardlink", "symlink")
DEFAULT_LINK = ("reflink", "copy")
DEFAULT_MAX_SIZE = 10 * 1024 * 1024
_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "kib": 1024,
    "m": 1000**2,
    "mb": 1000**2,
    "mib": 1024**2,
    "g": 1000**3,
    "gb": 1000**3,
    "gib": 1024**3,
}

INITIAL_CONFIG = """\
# gitmodel configuration (committed). Local overrides: .git/gitmodel/config.toml
# Reference: docs/configuration.md

# Hash of new objects: "blake3" (fast, default), "sha256" (Git LFS ids), "md5" (DVC ids).
hash = "{hash}"

[cache]
# How models are restored from the cache into the workspace, first that works wins.
link = ["reflink", "copy"]

[hooks]
# pre-commit refuses raw binaries larger than this staged directly into Git.
max_size = "10MiB"
# post-checkout/merge/rewrite fetch missing objects from the default remote.
auto_fetch = true
"""


def parse_size(value: object, key: str = "size") -> int:
    """``"10MiB"`` -> 10485760; plain integers are bytes."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", value)
        if match and match.group(2).lower() in _UNITS:
            return int(float(match.group(1)) * _UNITS[match.group(2).lower()])
    raise ConfigError(f'{key}: {value!r} is not a size (examples: 10485760, "10MiB", "1GB")')


class Config:
    """The merged configuration of one repository (a plain class: the hooks' fast path
    reads it, and dataclasses cost an import of inspect)."""

    __slots__ = ("data", "local", "local_source", "source")

    def __init__(
        self,
        data: dict[str, Any] | None = None,
        source: str = CONFIG_FILE,
        local: dict[str, Any] | None = None,
        local_source: str = f".git/gitmodel/{LOCAL_CONFIG_FILE}",
    ) -> None:
        self.data = data if data is not None else {}
        self.source = source
        self.local = local if local is not None else {}  # what the local file set
        self.local_source = local_source

    def where(self, dotted: str) -> str:
        """The file a value comes from, for error messages."""
        node: Any = self.local
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return self.source
            node = node[part]
        return self.local_source

    def get(self, dotted: str, default: Any = None) -> Any:
        node: Any = self.data
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    @property
    def hash_algorithm(self) -> str:
        from gitmodel.hashing import ALGORITHMS, DEFAULT_ALGORITHM

        algo = self.get("hash", DEFAULT_ALGORITHM)
        if algo not in ALGORITHMS:
            raise ConfigError(
                f"{self.where('hash')}: hash = {algo!r} is unknown; use one of {', '.join(ALGORITHMS)}"
            )
        return str(algo)

    @property
    def link_strategies(self) -> tuple[str, ...]:
        raw = self.get("cache.link", list(DEFAULT_LINK))
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not raw:
            raise ConfigError(
                f'{self.source}: cache.link must be a list such as ["reflink", "copy"]'
            )
        for item in raw:
            if item not in LINK_STRATEGIES:
                raise ConfigError(
                    f"{self.where('cache.link')}: cache.link: unknown strategy {item!r}; "
                    f"use {', '.join(LINK_STRATEGIES)}"
                )
        return tuple(raw)

    @property
    def cache_dir(self) -> str | None:
        value = self.get("cache.dir")
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"{self.source}: cache.dir must be a path string")
        return value

    @property
    def cache_fsync(self) -> bool:
        return bool(self.get("cache.fsync", False))

    @property
    def max_size(self) -> int:
        return parse_size(self.get("hooks.max_size", DEFAULT_MAX_SIZE), "hooks.max_size")

    @property
    def auto_fetch(self) -> bool:
        return bool(self.get("hooks.auto_fetch", True))

    @property
    def default_remote(self) -> str | None:
        value = self.get("default_remote")
        return str(value) if value else None

    @property
    def remotes(self) -> dict[str, dict[str, Any]]:
        raw = self.get("remotes", {})
        if not isinstance(raw, dict):
            raise ConfigError(f"{self.source}: [remotes] must be a table of tables")
        return {k: v for k, v in raw.items() if isinstance(v, dict)}


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def read_toml(path: Path) -> dict[str, Any]:
    """Read one TOML file; a missing file is empty, a malformed one a ConfigError."""
    import tomllib

    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except (tomllib.TOMLDecodeError, RecursionError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def load_config(repo_root: Path, git_dir: Path | None = None) -> Config:
    """The committed config merged with the local one (local wins)."""
    data = read_toml(repo_root / CONFIG_FILE)
    local: dict[str, Any] = {}
    local_path = repo_root / ".git" / "gitmodel" / LOCAL_CONFIG_FILE
    if git_dir is not None:
        local_path = git_dir / "gitmodel" / LOCAL_CONFIG_FILE
        local = read_toml(local_path)
        data = _merge(data, local)
    config = Config(data=data, local=local, local_source=str(local_path))
    # Fail early and clearly on the values every command depends on.
    config.hash_algorithm  # noqa: B018
    config.link_strategies  # noqa: B018
    return config


# The hash names ``quick_config`` accepts without importing gitmodel.hashing (hashlib
# costs ~4 ms); tests/unit/test_config.py checks they are hashing.ALGORITHMS.
QUICK_HASHES = ("blake3", "sha256", "md5")


def quick_config(repo_root: str, git_dir: str) -> Config | None:
    """What ``load_config`` returns, for the hooks' fast path: read without tomllib
    when both files are plain TOML (``gitmodel.plain_toml``) and every value
    ``load_config`` checks is valid, ``hooks.max_size`` included. None otherwise: the
    caller then uses ``load_config``, which reads any TOML and reports every error."""
    from gitmodel.plain_toml import loads

    local_path = os.path.join(git_dir, "gitmodel", LOCAL_CONFIG_FILE)
    found = []
    for path in (os.path.join(repo_root, CONFIG_FILE), local_path):
        try:
            with open(path, "rb") as fh:
                text = fh.read().decode("utf-8")
        except FileNotFoundError:
            text = ""
        except (OSError, UnicodeDecodeError):
            return None
        data = loads(text)
        if data is None:
            return None
        found.append(data)
    committed, local = found
    config = Config(data=_merge(committed, local), local=local, local_source=local_path)
    if config.get("hash", QUICK_HASHES[0]) not in QUICK_HASHES:
        return None
    try:
        config.link_strategies  # noqa: B018
        config.max_size  # noqa: B018
    except ConfigError:
        return None
    return config
