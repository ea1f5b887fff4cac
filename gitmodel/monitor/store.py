"""The monitoring store: an append-only, hive-partitioned Parquet dataset.

Layout under the store location (a local path or any fsspec URL)::

    model=<model, %-encoded>/date=<YYYY-MM-DD, UTC>/part-<uuid>.parquet

Each file holds ``time, version, env, metric, value, labels``; ``model`` and ``date``
come from the path, as with every hive writer, so DuckDB, Spark or Trino read the whole
store with ``hive_partitioning``. Appends only ever add new, uniquely named files, and
on a local disk write them under a dot-name first and rename, so readers never see half
a file and any number of concurrent writers lose nothing. Nothing is ever rewritten.
Files are immutable, hence :meth:`MonitorStore.latest` remembers each file's latest
values and a long-running exporter only reads files it has not seen.

Reads prune by path (model, date) before opening anything and push the remaining
filters down into the Parquet scan. A file that is not readable Parquet is skipped,
with a warning naming it, rather than making the whole store unreadable.
"""

from __future__ import annotations

import contextlib
import os
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from gitmodel.errors import MonitorError
from gitmodel.monitor.schema import (
    COLUMNS,
    FUTURE_TOLERANCE,
    KEY_COLUMNS,
    SCHEMA,
    TIME_TYPE,
    Observation,
    normalise,
    observations_table,
    read_observations_file,
)

FILE_SCHEMA = pa.schema([f for f in SCHEMA if f.name != "model"])
DATASET_SCHEMA = FILE_SCHEMA.append(pa.field("model", pa.string())).append(
    pa.field("date", pa.string())
)
LATEST_SCHEMA = pa.schema(
    [*(SCHEMA.field(k) for k in KEY_COLUMNS), ("time", TIME_TYPE), ("value", pa.float64())]
)
SUMMARY_SCHEMA = pa.schema(
    [
        *(SCHEMA.field(k) for k in KEY_COLUMNS),
        ("count", pa.int64()),
        ("mean", pa.float64()),
        ("min", pa.float64()),
        ("max", pa.float64()),
        ("last", pa.float64()),
        ("first_time", TIME_TYPE),
        ("last_time", TIME_TYPE),
    ]
)
_KEYS = list(KEY_COLUMNS)
_SUMMARY_AGGREGATES = [
    ("value", "count"), ("value", "mean"), ("value", "min"), ("value", "max"),
    ("time", "min"), ("time", "max"),
]  # fmt: skip


@dataclass(frozen=True)
class StoredFile:
    """One data file of the store, as listed (nothing opened yet)."""

    path: str
    model: str
    day: str  # YYYY-MM-DD
    size: int


class MonitorStore:
    """Observations of deployed models, in a Parquet dataset at ``location``."""

    def __init__(
        self,
        location: str | os.PathLike[str],
        storage_options: Mapping[str, Any] | None = None,
        *,
        on_warning: Callable[[str], None] | None = None,
        future_tolerance: timedelta = FUTURE_TOLERANCE,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.location = os.fspath(location)
        self.future_tolerance = future_tolerance
        #: Warnings (e.g. skipped corrupt files) when no ``on_warning`` callback is given.
        self.warnings: list[str] = []
        self._warn = on_warning or self.warnings.append
        self._warned: set[str] = set()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._fs, self._root = _filesystem(self.location, dict(storage_options or {}))
        self._local = isinstance(self._fs, pafs.LocalFileSystem)
        self._latest_by_file: dict[str, tuple[str, pa.Table]] = {}
        self._latest_lock = threading.Lock()  # concurrent scrapes share the memo

    def warn(self, message: str) -> None:
        """Report a problem that does not stop the operation (callback or ``warnings``)."""
        self._warn(message)

    def __repr__(self) -> str:
        return f"MonitorStore({self.location!r})"

    # --- writing ----------------------------------------------------------------------

    def append(self, observations: Sequence[Observation] | pa.Table) -> int:
        """Validate and store ``observations``; returns the number of rows written."""
        if isinstance(observations, pa.Table):
            table, name = observations, "row"
        else:
            table, name = observations_table(list(observations)), "observation"
        table = normalise(
            table,
            now=self._clock(),
            tolerance=self.future_tolerance,
            row_name=lambda i: f"{name} {i + 1}",
        )
        return self._write(table)

    def ingest(
        self,
        path: str | Path,
        *,
        model: str | None = None,
        version: str | None = None,
        env: str | None = None,
    ) -> int:
        """Store the observations of a ``.csv`` or ``.parquet`` file; ``model``, ``version``
        and ``env`` fill columns the file lacks. Returns the number of rows written."""
        defaults = {k: v for k, v in (("model", model), ("version", version), ("env", env)) if v}
        table = read_observations_file(
            path, now=self._clock(), tolerance=self.future_tolerance, defaults=defaults
        )
        return self._write(table)

    def _write(self, table: pa.Table) -> int:
        for model, day, part in _partitions(table):
            self._write_file(model, day, part)
        return table.num_rows

    def _write_file(self, model: str, day: date, table: pa.Table) -> None:
        directory = f"{self._model_dir(model)}/date={day.isoformat()}"
        name = f"part-{uuid.uuid4().hex}.parquet"
        final = f"{directory}/{name}"
        # Object stores publish an object atomically; a local file needs a private name
        # until complete. Dot-files are skipped by our listing, pyarrow and DuckDB globs.
        target = f"{directory}/.{name}.tmp" if self._local else final
        try:
            self._fs.create_dir(directory, recursive=True)
            pq.write_table(
                table, target, filesystem=self._fs, compression="zstd", store_schema=False
            )
            if target != final:
                self._fs.move(target, final)
        except (OSError, pa.ArrowException) as exc:
            if target != final:
                with contextlib.suppress(OSError):
                    self._fs.delete_file(target)
            raise MonitorError(f"{self.location}: cannot write {final}: {_one_line(exc)}") from None

    # --- listing ----------------------------------------------------------------------

    def models(self) -> list[str]:
        """Names of the models that have observations, sorted."""
        infos = self._list(self._root, recursive=False)
        names = [
            unquote(i.base_name[len("model=") :])
            for i in infos
            if i.type == pafs.FileType.Directory and i.base_name.startswith("model=")
        ]
        return sorted(names)

    def files(self, model: str, since: date | None = None) -> list[StoredFile]:
        """The data files of ``model`` (only days >= ``since``), oldest day first."""
        first_day = since.isoformat() if since else ""
        found = []
        for info in self._list(self._model_dir(model), recursive=True):
            name = info.base_name
            if info.type != pafs.FileType.File or not name.endswith(".parquet"):
                continue
            if name.startswith((".", "_")):
                continue
            parent = info.path.rsplit("/", 2)[-2]
            if not parent.startswith("date=") or parent[5:] < first_day:
                continue
            found.append(StoredFile(info.path, model, parent[5:], info.size or 0))
        return sorted(found, key=lambda f: (f.day, f.path))

    def _list(self, path: str, recursive: bool) -> list[pafs.FileInfo]:
        selector = pafs.FileSelector(path, recursive=recursive, allow_not_found=True)
        try:
            return list(self._fs.get_file_info(selector))
        except (OSError, pa.ArrowException) as exc:
            raise MonitorError(f"{self.location}: cannot list {path}: {_one_line(exc)}") from None

    def _model_dir(self, model: str) -> str:
        if not model:
            raise MonitorError("model name is empty")
        return f"{self._root}/model={quote(model, safe='')}"

    # --- reading ----------------------------------------------------------------------

    def read(
        self,
        model: str,
        env: str | None = None,
        version: str | None = None,
        since: datetime | None = None,
        metrics: Iterable[str] | None = None,
    ) -> pa.Table:
        """Observations of ``model`` matching the filters, oldest first (:data:`SCHEMA`)."""
        table = self._select(model, env, version, since, metrics)
        return table.take(pc.sort_indices(table["time"]))

    def tail(
        self, model: str, env: str | None, version: str | None, metric: str, n: int
    ) -> pa.Table:
        """The last ``n`` observations (by time) of one metric, oldest first."""
        return self.tails(model, env, version, {metric: n})

    def tails(
        self, model: str, env: str | None, version: str | None, windows: Mapping[str, int]
    ) -> pa.Table:
        """The last ``windows[metric]`` observations of each metric, by metric then time.

        Days are scanned newest first, in batches that double, until every metric has
        enough rows: all rows of a later day are later than all rows of an earlier one,
        so the result never needs more than the most recent days of data.
        """
        wanted = {m: n for m, n in windows.items() if n > 0}
        files = self.files(model)
        days = sorted({f.day for f in files}, reverse=True)
        pieces: list[pa.Table] = []
        counts: dict[str, int] = dict.fromkeys(wanted, 0)
        start, batch = 0, 1
        while start < len(days):
            pending = [m for m, n in wanted.items() if counts[m] < n]
            if not pending:
                break
            chosen = set(days[start : start + batch])
            start, batch = start + batch, batch * 2
            where = _filter(env=env, version=version, metrics=pending)
            piece = self._scan([f for f in files if f.day in chosen], where, list(COLUMNS))
            pieces.append(piece)
            found = pc.value_counts(piece["metric"]).to_pylist() if piece.num_rows else []
            for item in found:
                counts[item["values"]] += item["counts"]
        table = _concat(pieces, SCHEMA)
        return _last_n_per_metric(table, wanted)

    def latest(
        self,
        model: str | None = None,
        env: str | None = None,
        version: str | None = None,
        metrics: Iterable[str] | None = None,
        since: datetime | None = None,
    ) -> pa.Table:
        """The newest value per (model, version, env, metric) (:data:`LATEST_SCHEMA`);
        every model when ``model`` is None. Ties in time go to the larger value."""
        models = [model] if model else self.models()
        files = [f for m in models for f in self.files(m)]
        with self._latest_lock:
            table = _last_per_group(_concat(self._latest_per_file(models, files), LATEST_SCHEMA))
        where = _filter(env=env, version=version, metrics=metrics, since=_utc(since))
        if where is not None:
            table = ds.dataset(table).to_table(filter=where)
        return _sort(table, _KEYS)

    def _latest_per_file(self, models: list[str], files: list[StoredFile]) -> list[pa.Table]:
        memo = self._latest_by_file
        seen = {f.path for f in files}
        for path in [p for p, (m, _) in memo.items() if m in models and p not in seen]:
            del memo[path]  # the file was removed from the store
        columns = [*_KEYS, "time", "value"]
        for f in files:
            if f.path not in memo:
                table = self._scan([f], None, columns)
                if table.num_rows or f.path not in self._warned:  # retry unreadable files
                    memo[f.path] = (f.model, _last_per_group(table))
        return [memo[f.path][1] for f in files if f.path in memo]

    def summary(
        self,
        model: str,
        env: str | None = None,
        version: str | None = None,
        since: datetime | None = None,
        metrics: Iterable[str] | None = None,
    ) -> pa.Table:
        """Per (version, env, metric): count, mean, min, max, last value, first and last
        time (:data:`SUMMARY_SCHEMA`), sorted by metric, version, env."""
        table = self._select(model, env, version, since, metrics, [*_KEYS, "time", "value"])
        if table.num_rows == 0:
            return SUMMARY_SCHEMA.empty_table()
        stats = table.group_by(_KEYS).aggregate(_SUMMARY_AGGREGATES)
        last = _last_per_group(table).select([*_KEYS, "value"])
        joined = stats.join(last, keys=_KEYS, join_type="inner")
        names = {
            "value_count": "count",
            "value_mean": "mean",
            "value_min": "min",
            "value_max": "max",
            "value": "last",
            "time_min": "first_time",
            "time_max": "last_time",
        }
        joined = joined.rename_columns([names.get(n, n) for n in joined.column_names])
        return _sort(
            joined.select(SUMMARY_SCHEMA.names).cast(SUMMARY_SCHEMA), ["metric", "version", "env"]
        )

    def _select(
        self,
        model: str,
        env: str | None,
        version: str | None,
        since: datetime | None,
        metrics: Iterable[str] | None,
        columns: Sequence[str] = COLUMNS,
    ) -> pa.Table:
        since = _utc(since)
        files = self.files(model, since.date() if since else None)
        where = _filter(env=env, version=version, metrics=metrics, since=since)
        return self._scan(files, where, list(columns))

    def _scan(
        self, files: Sequence[StoredFile], where: pc.Expression | None, columns: list[str]
    ) -> pa.Table:
        schema = pa.schema([DATASET_SCHEMA.field(c) for c in columns])
        if not files:
            return schema.empty_table()
        fmt = ds.ParquetFileFormat()
        fragments = [
            fmt.make_fragment(
                f.path,
                self._fs,
                partition_expression=(ds.field("model") == f.model) & (ds.field("date") == f.day),
                file_size=f.size or None,
            )
            for f in files
        ]
        dataset = ds.FileSystemDataset(fragments, DATASET_SCHEMA, fmt, self._fs)
        try:
            return dataset.to_table(columns=columns, filter=where)
        except (OSError, pa.ArrowException):
            pass  # find the bad file(s) below; the rest is still worth reading
        tables = []
        for fragment in fragments:
            try:
                tables.append(
                    fragment.to_table(schema=DATASET_SCHEMA, columns=columns, filter=where)
                )
            except (OSError, pa.ArrowException) as exc:
                self._skip(fragment.path, exc)
        return _concat(tables, schema)

    def _skip(self, path: str, exc: BaseException) -> None:
        if path in self._warned:
            return
        self._warned.add(path)
        self.warn(
            f"{path}: skipped, not a readable Parquet file ({_one_line(exc)}); "
            "move it out of the store"
        )


# --- helpers --------------------------------------------------------------------------


def _filesystem(location: str, options: dict[str, Any]) -> tuple[pafs.FileSystem, str]:
    if "://" in location and not location.startswith("file://"):
        try:
            from fsspec.core import url_to_fs
        except ImportError:  # pragma: no cover - fsspec is a dependency
            raise MonitorError(f"{location}: URLs need fsspec (pip install fsspec)") from None
        try:
            fs, path = url_to_fs(location, **options)
        except (ImportError, ValueError) as exc:
            raise MonitorError(f"{location}: unsupported store URL: {_one_line(exc)}") from None
        return pafs.PyFileSystem(pafs.FSSpecHandler(fs)), str(path).rstrip("/")
    path = location.removeprefix("file://")
    return pafs.LocalFileSystem(), Path(path).expanduser().absolute().as_posix().rstrip("/")


def _partitions(table: pa.Table) -> Iterator[tuple[str, date, pa.Table]]:
    """Split ``table`` by (model, UTC day) without Python loops over rows."""
    if table.num_rows == 0:
        return
    models = pc.dictionary_encode(table["model"]).combine_chunks()
    days = pc.cast(pc.cast(table["time"], pa.date32()), pa.int32()).combine_chunks()
    # One int64 key per row: model index in the high bits, day (offset to be >= 0) low.
    key = pc.add(
        pc.multiply(pc.cast(models.indices, pa.int64()), 1 << 32),
        pc.add(pc.cast(days, pa.int64()), 1 << 31),
    )
    body = table.drop_columns(["model"])
    bounds = pc.min_max(key)
    if bounds["min"] != bounds["max"]:
        order = pc.sort_indices(key)
        key, body = key.take(order), body.take(order)
    runs = pc.run_end_encode(key)
    start = 0
    for end, value in zip(runs.run_ends.to_pylist(), runs.values.to_pylist(), strict=True):
        model = models.dictionary[value >> 32].as_py()
        day = date(1970, 1, 1) + timedelta(days=(value & 0xFFFFFFFF) - (1 << 31))
        yield model, day, body.slice(start, end - start)
        start = end


def _filter(
    *,
    env: str | None = None,
    version: str | None = None,
    metrics: Iterable[str] | None = None,
    since: datetime | None = None,
) -> pc.Expression | None:
    terms = []
    if env is not None:
        terms.append(ds.field("env") == env)
    if version is not None:
        terms.append(ds.field("version") == version)
    if metrics is not None:
        terms.append(ds.field("metric").isin(pa.array(list(metrics), pa.string())))
    if since is not None:
        terms.append(ds.field("time") >= pa.scalar(since, TIME_TYPE))
    if not terms:
        return None
    where = terms[0]
    for term in terms[1:]:
        where = where & term
    return where


def _last_per_group(table: pa.Table) -> pa.Table:
    """(keys, time, value) of the newest row of each (model, version, env, metric).

    A hash aggregate and a join rather than a sort: sorting 10M rows by time costs more
    than both, and needs a single thread for order-dependent "last" aggregates."""
    if table.num_rows == 0:
        return LATEST_SCHEMA.empty_table()
    newest = table.group_by(_KEYS).aggregate([("time", "max")])
    newest = newest.rename_columns(["time" if n == "time_max" else n for n in newest.column_names])
    hits = table.select([*_KEYS, "time", "value"]).join(
        newest, keys=[*_KEYS, "time"], join_type="inner"
    )
    last = hits.group_by([*_KEYS, "time"]).aggregate([("value", "max")])
    last = last.rename_columns(["value" if n == "value_max" else n for n in last.column_names])
    return last.select(LATEST_SCHEMA.names).cast(LATEST_SCHEMA)


def _last_n_per_metric(table: pa.Table, windows: Mapping[str, int]) -> pa.Table:
    pieces = []
    for metric, n in sorted(windows.items()):  # loops over metrics, never rows
        rows = table.filter(pc.equal(table["metric"], metric))
        if rows.num_rows > n:
            rows = rows.take(pc.select_k_unstable(rows, n, [("time", "descending")]))
        pieces.append(rows.take(pc.sort_indices(rows["time"])))
    return _concat(pieces, SCHEMA)


def _concat(tables: Sequence[pa.Table], schema: pa.Schema) -> pa.Table:
    tables = [t for t in tables if t.num_rows]
    if not tables:
        return schema.empty_table()
    return pa.concat_tables(tables).cast(schema)


def _sort(table: pa.Table, keys: list[str]) -> pa.Table:
    return table.take(pc.sort_indices(table, [(k, "ascending") for k in keys]))


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise MonitorError(f"time {moment.isoformat()} has no time zone; pass an aware datetime")
    return moment.astimezone(UTC)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


__all__ = [
    "DATASET_SCHEMA",
    "FILE_SCHEMA",
    "LATEST_SCHEMA",
    "SUMMARY_SCHEMA",
    "MonitorStore",
    "Observation",
    "StoredFile",
]
