"""Directory manifests as cache objects: canonical JSON up to ``PARQUET_THRESHOLD`` files,
Parquet (pyarrow, imported only then) above it. The format is recognised by its magic
bytes, and every manifest read is validated by ``gitmodel.manifest.make_manifest``."""

from __future__ import annotations

import contextlib
import io
import sys

from gitmodel.errors import ManifestError
from gitmodel.manifest import (
    PARQUET_THRESHOLD,
    Entry,
    Manifest,
    from_json_bytes,
    make_manifest,
    to_json_bytes,
)
from gitmodel.storage.cache import Cache

PARQUET_MAGIC = b"PAR1"


def preload_for(files: int) -> None:
    """Start importing pyarrow in a background thread if a manifest of ``files`` entries
    will need it: for a large directory the import (a few hundred ms, mostly reading
    shared libraries from disk) then overlaps the copying. Call it only once no more
    processes will be forked."""
    if files > PARQUET_THRESHOLD and "pyarrow.parquet" not in sys.modules:
        import threading

        threading.Thread(target=_import_parquet, name="preload-pyarrow", daemon=True).start()


def _import_parquet() -> None:
    with contextlib.suppress(Exception):  # the real import later reports any problem
        import pyarrow.parquet  # noqa: F401


def encode(manifest: Manifest) -> bytes:
    """The bytes stored for a manifest (deterministic for one pyarrow version)."""
    if len(manifest.entries) <= PARQUET_THRESHOLD:
        return to_json_bytes(manifest)
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "path": pa.array([e.path for e in manifest.entries], pa.string()),
            "oid": pa.array([e.oid for e in manifest.entries], pa.string()),
            "size": pa.array([e.size for e in manifest.entries], pa.int64()),
            "executable": pa.array([e.executable for e in manifest.entries], pa.bool_()),
        },
        metadata={"gitmodel.manifest.version": "1", "gitmodel.hash": manifest.algo},
    )
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd", write_statistics=False)
    return sink.getvalue()


def decode(data: bytes, source: str = "manifest") -> Manifest:
    """Parse stored manifest bytes (either format) and validate every entry."""
    if not data.startswith(PARQUET_MAGIC):
        return from_json_bytes(data, source)
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises several unrelated types on bad input
        raise ManifestError(f"{source}: unreadable Parquet manifest ({exc})") from None
    meta = table.schema.metadata or {}
    if meta.get(b"gitmodel.manifest.version") != b"1":
        raise ManifestError(f"{source}: unsupported manifest version; upgrade gitmodel")
    algo = meta.get(b"gitmodel.hash", b"").decode()
    try:
        cols = table.to_pydict()
        entries = [
            Entry(p, o, s, bool(x))
            for p, o, s, x in zip(
                cols["path"], cols["oid"], cols["size"], cols["executable"], strict=True
            )
        ]
    except (KeyError, ValueError, TypeError) as exc:
        raise ManifestError(f"{source}: malformed Parquet manifest ({exc})") from None
    return make_manifest(algo, entries, source)


def store(cache: Cache, manifest: Manifest) -> tuple[str, int]:
    """Write a manifest into the cache; return its oid and byte size."""
    data = encode(manifest)
    return cache.add_bytes(data, manifest.algo), len(data)


def load(cache: Cache, algo: str, oid: str, source: str = "manifest") -> Manifest:
    """Read, verify and validate the manifest object ``oid``."""
    manifest = decode(cache.read_bytes(algo, oid), source)
    if manifest.algo != algo:
        raise ManifestError(f"{source}: manifest hash {manifest.algo!r} differs from {algo!r}")
    return manifest
