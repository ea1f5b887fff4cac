"""Directory manifests: the sorted list of (path, oid, size, executable) of a tracked
directory. Stored in the cache like any object; a dir pointer names the manifest's oid.

This module holds the model, the safety checks and the canonical JSON encoding
(standard library only). Manifests of more than ``PARQUET_THRESHOLD`` files are
stored as Parquet by ``gitmodel.storage.manifests``.

Manifests are untrusted input: every path must be relative, normalised, free of
``..``, drive letters, backslashes and NUL, and unique.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from gitmodel.errors import ManifestError
from gitmodel.hashing import HEX_LENGTH, is_valid_oid

FORMAT_VERSION = 1
PARQUET_THRESHOLD = 10_000
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True, order=True)
class Entry:
    """One file of a tracked directory."""

    path: str  # relative, POSIX separators
    oid: str
    size: int
    executable: bool = False


@dataclass(frozen=True)
class Manifest:
    algo: str
    entries: tuple[Entry, ...]

    @property
    def total_size(self) -> int:
        return sum(e.size for e in self.entries)

    def by_path(self) -> dict[str, Entry]:
        return {e.path: e for e in self.entries}


def check_relative_path(path: str, source: str = "manifest") -> str:
    """Return ``path`` if it is a safe relative POSIX path, else raise ManifestError."""
    if not isinstance(path, str) or not path:
        raise ManifestError(f"{source}: empty path")
    problem = None
    if "\x00" in path:
        problem = "contains NUL"
    elif "\\" in path:
        problem = "contains a backslash"
    elif path.startswith("/"):
        problem = "is absolute"
    elif _DRIVE.match(path):
        problem = "has a drive letter"
    elif any(part in ("..", ".", "") for part in path.split("/")):
        # With no empty, "." or ".." segment and no leading "/", the path is normalised.
        problem = "is not normalised or contains '..'"
    if problem:
        raise ManifestError(f"{source}: unsafe path {path!r} {problem}")
    return path


def make_manifest(algo: str, entries: Iterable[Entry], source: str = "manifest") -> Manifest:
    """Validate and sort entries into a Manifest; raise ManifestError on anything unsafe."""
    if algo not in HEX_LENGTH:
        raise ManifestError(f"{source}: unknown hash {algo!r}")
    ordered = sorted(entries, key=lambda e: e.path)
    if _all_sound(algo, ordered):
        return Manifest(algo=algo, entries=tuple(ordered))
    # Something is off: entry by entry, to name the first problem.
    seen: set[str] = set()
    for entry in ordered:
        check_relative_path(entry.path, source)
        if not is_valid_oid(algo, entry.oid):
            raise ManifestError(f"{source}: {entry.path}: oid is not {HEX_LENGTH[algo]} hex digits")
        if type(entry.size) is not int or entry.size < 0:
            raise ManifestError(f"{source}: {entry.path}: size must be a non-negative integer")
        if entry.path in seen:
            raise ManifestError(f"{source}: duplicate path {entry.path!r}")
        seen.add(entry.path)
    # A path cannot be both a file and a directory holding other entries.
    for entry in ordered:
        parent = entry.path.rpartition("/")[0]
        while parent:
            if parent in seen:
                raise ManifestError(f"{source}: {parent!r} is both a file and a directory")
            parent = parent.rpartition("/")[0]
    return Manifest(algo=algo, entries=tuple(ordered))


# Any path that check_relative_path could refuse, in paths joined by NUL (which no
# accepted path contains): an empty, "." or ".." segment (this includes a leading or
# trailing "/"), or a drive letter.
_UNSOUND_PATH = re.compile(r"(?:^|[\x00/])\.{0,2}(?=[\x00/]|\Z)|(?:^|\x00)[A-Za-z]:")
_OID_LINES = {
    algo: re.compile(rf"(?:[0-9a-f]{{{n}}}\n)*[0-9a-f]{{{n}}}") for algo, n in HEX_LENGTH.items()
}


def _all_sound(algo: str, ordered: list[Entry]) -> bool:
    """True when every entry passes every check of ``make_manifest``, found in a few
    passes over all entries at once (a 10k-file manifest is read on every push, fetch
    and checkout). False only means: look entry by entry."""
    if not ordered:
        return True
    paths = [e.path for e in ordered]
    oids = [e.oid for e in ordered]
    sizes = [e.size for e in ordered]
    if set(map(type, paths)) != {str} or set(map(type, oids)) != {str}:
        return False
    if set(map(type, sizes)) != {int} or min(sizes) < 0:
        return False
    joined = "\x00".join(paths)
    if joined.count("\x00") != len(paths) - 1 or "\\" in joined or _UNSOUND_PATH.search(joined):
        return False
    lines = "\n".join(oids)
    if lines.count("\n") != len(oids) - 1 or not _OID_LINES[algo].fullmatch(lines):
        return False
    names = set(paths)
    if len(names) != len(paths):
        return False
    parents: set[str] = set()
    for directory in {p.rpartition("/")[0] for p in paths}:
        while directory and directory not in parents:
            parents.add(directory)
            directory = directory.rpartition("/")[0]
    return not (parents & names)


def to_json_bytes(manifest: Manifest) -> bytes:
    """Canonical JSON: sorted entries, no whitespace, UTF-8. Same manifest, same bytes."""
    doc = {
        "version": FORMAT_VERSION,
        "hash": manifest.algo,
        "entries": [[e.path, e.oid, e.size, int(e.executable)] for e in manifest.entries],
    }
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def from_json_bytes(data: bytes, source: str = "manifest") -> Manifest:
    """Parse and validate a JSON manifest."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ManifestError(f"{source}: not a JSON manifest ({exc})") from None
    if not isinstance(doc, dict) or doc.get("version") != FORMAT_VERSION:
        raise ManifestError(f"{source}: unsupported manifest version; upgrade gitmodel")
    raw = doc.get("entries")
    if not isinstance(raw, list):
        raise ManifestError(f"{source}: 'entries' must be a list")
    if set(map(type, raw)) == {list} and set(map(len, raw)) == {4}:
        paths, oids, sizes, executables = zip(*raw, strict=True)
        if set(map(type, paths)) == {str} and set(map(type, oids)) == {str}:
            return make_manifest(
                str(doc.get("hash")),
                list(map(Entry, paths, oids, sizes, map(bool, executables))),
                source,
            )
    entries = []
    for item in raw:
        if not (isinstance(item, list) and len(item) == 4):
            raise ManifestError(f"{source}: malformed entry {item!r:.80}")
        path, oid, size, executable = item
        if not isinstance(path, str) or not isinstance(oid, str):
            raise ManifestError(f"{source}: malformed entry {item!r:.80}")
        entries.append(Entry(path, oid, size, bool(executable)))
    return make_manifest(str(doc.get("hash")), entries, source)
