"""What an observation is, and how user input (Python objects, CSV, Parquet, Arrow
tables) becomes rows of exactly that shape, or a one-line error naming the row.

Columns (Arrow / Parquet):

    time     timestamp[us, tz=UTC]   when the value was measured
    model    string                  artifact name (also the first partition key)
    version  string                  model version that produced the value
    env      string                  deployment environment ("prod", "staging", ...)
    metric   string                  metric name, free text ("accuracy", "p95 latency")
    value    float64
    labels   string, nullable        canonical JSON object of string -> string

``labels`` is a JSON string rather than ``map<string, string>``: every engine reads a
string column and parses JSON (DuckDB ``labels->>'region'``, Spark ``from_json``, Trino
``json_extract_scalar``), pyarrow compute kernels (unique, group_by, filters) work on
strings but not on maps, a CSV file can carry it, and new label keys never change the
schema. Canonical form (sorted keys, no spaces) makes equal label sets equal strings.

Everything here is vectorised with pyarrow compute; the only Python loops run over
*distinct* label strings, or over rows only after a conversion has already failed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from gitmodel.errors import MonitorError

TIME_TYPE = pa.timestamp("us", tz="UTC")
SCHEMA = pa.schema(
    [
        ("time", TIME_TYPE),
        ("model", pa.string()),
        ("version", pa.string()),
        ("env", pa.string()),
        ("metric", pa.string()),
        ("value", pa.float64()),
        ("labels", pa.string()),
    ]
)
COLUMNS = tuple(SCHEMA.names)
REQUIRED = ("time", "model", "version", "env", "metric", "value")
KEY_COLUMNS = ("model", "version", "env", "metric")
# Observations further ahead of our clock than this are refused: usually a unit
# (ms read as s) or time-zone bug, and once stored they would stay "the latest value"
# and the tail that rules look at until the clock catches up.
FUTURE_TOLERANCE = timedelta(minutes=5)

# An explicit zone after a time of day: "...T12:00:00Z", "... 12:00+02:00", "...T12:00-0500".
_ZONED = r"[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d(?::?\d\d)?)$"
_TIME_HINT = "use ISO 8601 such as 2024-05-01T12:00:00Z (times without a zone are read as UTC)"

RowName = Callable[[int], str]


@dataclass(frozen=True)
class Observation:
    """One measured value of one metric of one model version in one environment."""

    time: datetime  # timezone-aware
    model: str
    version: str
    env: str
    metric: str
    value: float
    labels: Mapping[str, str] = field(default_factory=dict)


def observations_table(observations: Sequence[Observation]) -> pa.Table:
    """Arrow table of ``observations`` (not yet validated: see :func:`normalise`)."""
    for i, obs in enumerate(observations):
        if obs.time.tzinfo is None or obs.time.utcoffset() is None:
            raise MonitorError(
                f"observation {i + 1}: time {obs.time.isoformat()} has no time zone; "
                "use datetime.now(timezone.utc) or an aware datetime"
            )
    columns = {
        "time": pa.array([o.time for o in observations], TIME_TYPE),
        "model": pa.array([o.model for o in observations], pa.string()),
        "version": pa.array([o.version for o in observations], pa.string()),
        "env": pa.array([o.env for o in observations], pa.string()),
        "metric": pa.array([o.metric for o in observations], pa.string()),
        "value": _python_values([o.value for o in observations]),
        "labels": pa.array([_canonical_labels(o.labels) for o in observations], pa.string()),
    }
    return pa.table(columns, schema=SCHEMA)


def normalise(
    table: pa.Table,
    *,
    now: datetime,
    tolerance: timedelta = FUTURE_TOLERANCE,
    defaults: Mapping[str, str] | None = None,
    source: str = "observations",
    row_name: RowName | None = None,
) -> pa.Table:
    """Validate and coerce ``table`` to :data:`SCHEMA`, or raise MonitorError naming the
    first bad row and column. ``defaults`` fill missing model/version/env columns."""
    name = row_name or (lambda i: f"{source}: row {i + 1}")
    table = _fill_defaults(table, defaults or {})
    _check_columns(table, source)
    columns: dict[str, pa.ChunkedArray | pa.Array] = {}
    columns["time"] = _times(table["time"], name)
    for key in KEY_COLUMNS:
        columns[key] = _keys(table[key], key, source, name)
    columns["value"] = _values(table["value"], name)
    if "labels" in table.column_names:
        columns["labels"] = _labels(table["labels"], name)
    else:
        columns["labels"] = pa.nulls(table.num_rows, pa.string())
    out = pa.table(columns, schema=SCHEMA)
    _refuse_future(out["time"], now + tolerance, tolerance, name)
    return out


def read_observations_file(
    path: str | Path,
    *,
    now: datetime,
    tolerance: timedelta = FUTURE_TOLERANCE,
    defaults: Mapping[str, str] | None = None,
) -> pa.Table:
    """Observations from a ``.csv`` or ``.parquet`` file, validated by :func:`normalise`."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            import pyarrow.csv as pcsv

            # Every known column is read as text so that conversion, and its errors,
            # are ours: "file.csv:7: value 'n/a' is not a number" beats an Arrow trace.
            options = pcsv.ConvertOptions(
                column_types={c: pa.string() for c in COLUMNS},
                strings_can_be_null=True,
                null_values=[""],  # "n/a" is an error to report, "nan" a number
            )
            table = pcsv.read_csv(path, convert_options=options)
            row_name: RowName = lambda i: f"{path}:{i + 2}"  # noqa: E731  (line; 1 is the header)
        elif suffix in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            table = pq.read_table(path)
            row_name = lambda i: f"{path}: row {i + 1}"  # noqa: E731
        else:
            raise MonitorError(f"{path}: unknown file type {suffix!r}; use a .csv or .parquet file")
    except FileNotFoundError:
        raise MonitorError(f"{path}: no such file") from None
    except (pa.ArrowInvalid, OSError) as exc:
        raise MonitorError(f"{path}: cannot read: {_one_line(exc)}") from None
    return normalise(
        table, now=now, tolerance=tolerance, defaults=defaults, source=str(path), row_name=row_name
    )


# --- columns ------------------------------------------------------------------------


def _fill_defaults(table: pa.Table, defaults: Mapping[str, str]) -> pa.Table:
    for key, value in defaults.items():
        if key not in ("model", "version", "env"):
            raise MonitorError(f"no default possible for column {key!r}; only model, version, env")
        if key not in table.column_names:
            column = pa.repeat(pa.scalar(value, pa.string()), table.num_rows)
            table = table.append_column(key, column)
    return table


def _check_columns(table: pa.Table, source: str) -> None:
    missing = [c for c in REQUIRED if c not in table.column_names]
    unknown = [c for c in table.column_names if c not in COLUMNS]
    expected = f"expected {', '.join(REQUIRED)} and optionally labels"
    if missing:
        raise MonitorError(f"{source}: missing column(s) {', '.join(missing)}; {expected}")
    if unknown:
        raise MonitorError(f"{source}: unknown column(s) {', '.join(unknown)}; {expected}")


def _keys(column: pa.ChunkedArray, key: str, source: str, name: RowName) -> pa.ChunkedArray:
    if not (_is_text(column.type) or pa.types.is_integer(column.type)):  # version = 3 is fine
        raise MonitorError(f"{source}: column {key!r} has type {column.type}; expected text")
    column = pc.cast(column, pa.string())
    empty = pc.fill_null(pc.equal(pc.utf8_length(column), 0), True)
    first = pc.index(empty, True).as_py()
    if first >= 0:
        raise MonitorError(f"{name(first)}: column {key!r} is empty")
    return column


def _values(column: pa.ChunkedArray, name: RowName) -> pa.ChunkedArray:
    typ = column.type
    if _is_text(typ):
        column = pc.utf8_trim_whitespace(pc.cast(column, pa.string()))
    elif not (pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_decimal(typ)):
        raise MonitorError(f"{name(0)}: column 'value' has type {typ}; expected numbers")
    values = _convert(column, lambda a: pc.cast(a, pa.float64()), name, "value", "is not a number")
    _refuse_nulls(values, "value", name)
    return values


def _times(column: pa.ChunkedArray, name: RowName) -> pa.ChunkedArray:
    typ = column.type
    if _is_text(typ):
        times = _convert(
            pc.cast(column, pa.string()), _parse_times, name, "time", f"is not a time; {_TIME_HINT}"
        )
    elif pa.types.is_timestamp(typ) or pa.types.is_date(typ):
        # Naive timestamps are UTC by Arrow's convention; ns are truncated to µs.
        times = pc.cast(column, TIME_TYPE, safe=False)
    else:
        raise MonitorError(
            f"{name(0)}: column 'time' has type {typ}; store timestamps or text ({_TIME_HINT})"
        )
    _refuse_nulls(times, "time", name)
    return times


def _parse_times(strings: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    strings = pc.utf8_trim_whitespace(strings)
    zoned = pc.match_substring_regex(strings, _ZONED)
    null = pa.scalar(None, pa.string())
    aware = pc.cast(pc.if_else(zoned, strings, null), TIME_TYPE)
    naive = pc.cast(pc.if_else(zoned, null, strings), pa.timestamp("us"))
    return pc.coalesce(aware, pc.cast(naive, TIME_TYPE))


def _labels(column: pa.ChunkedArray, name: RowName) -> pa.ChunkedArray | pa.Array:
    typ = column.type
    if pa.types.is_null(typ):
        return pa.nulls(len(column), pa.string())
    if pa.types.is_map(typ):
        # Maps have no compute kernels; per-row Python is the price of this rare input.
        rows = [None if m is None else _canonical_labels(dict(m)) for m in column.to_pylist()]
        return pa.array(rows, pa.string())
    if not _is_text(typ):
        raise MonitorError(f"{name(0)}: column 'labels' has type {typ}; expected a JSON object")
    column = pc.cast(column, pa.string())
    distinct = pc.unique(column)
    canonical = []
    for text in distinct.to_pylist():
        try:
            canonical.append(_canonical_labels(_parse_labels(text)))
        except ValueError as exc:
            row = pc.index(column, text).as_py()
            raise MonitorError(f"{name(row)}: column 'labels': {exc}") from None
    positions = pc.index_in(column, value_set=distinct)
    return pc.take(pa.array(canonical, pa.string()), positions)


def _parse_labels(text: str | None) -> Mapping[str, str]:
    if text is None or not text.strip():
        return {}
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        raise ValueError(f'{text!r} is not JSON; write an object like {{"region": "eu"}}') from None
    if not isinstance(parsed, dict):
        raise ValueError(f'{text!r} is not a JSON object; write {{"region": "eu"}}')
    for key, value in parsed.items():
        if isinstance(value, dict | list) or value is None:
            raise ValueError(f"label {key!r} must be a string, number or boolean")
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in parsed.items()}


def _canonical_labels(labels: Mapping[str, str]) -> str | None:
    if not labels:
        return None
    return json.dumps({str(k): str(v) for k, v in sorted(labels.items())}, separators=(",", ":"))


def _python_values(values: list[object]) -> pa.Array:
    for i, value in enumerate(values):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise MonitorError(f"observation {i + 1}: value {value!r} is not a number")
    return pa.array(values, pa.float64())


# --- helpers ------------------------------------------------------------------------


Convert = Callable[[pa.Array | pa.ChunkedArray], pa.Array | pa.ChunkedArray]


def _convert(
    column: pa.ChunkedArray, convert: Convert, name: RowName, key: str, problem: str
) -> pa.ChunkedArray:
    try:
        return pa.chunked_array(convert(column))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        row = _first_failure(column.combine_chunks(), convert)
        raise MonitorError(f"{name(row)}: {key} {column[row].as_py()!r} {problem}") from None


def _first_failure(array: pa.Array, convert: Convert) -> int:
    """Index of the first element ``convert`` rejects: bisection, O(n) conversions in all."""
    lo, hi = 0, len(array)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            convert(array.slice(lo, mid - lo))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            hi = mid
        else:
            lo = mid
    return lo


def _refuse_nulls(column: pa.ChunkedArray, key: str, name: RowName) -> None:
    if column.null_count:
        row = pc.index(pc.is_null(column), True).as_py()
        raise MonitorError(f"{name(row)}: column {key!r} is empty")


def _refuse_future(
    times: pa.ChunkedArray, limit: datetime, tolerance: timedelta, name: RowName
) -> None:
    if len(times) == 0:
        return
    latest = pc.max(times).as_py()
    if latest is None or latest <= limit:
        return
    row = pc.index(pc.greater(times, pa.scalar(limit, TIME_TYPE)), True).as_py()
    ahead = times[row].as_py() - (limit - tolerance)
    raise MonitorError(
        f"{name(row)}: time {times[row].as_py().isoformat()} is {_duration(ahead)} in the future "
        f"(tolerance {_duration(tolerance)}); check the clock and the time zone "
        "(times without a zone are read as UTC)"
    )


def _duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}".replace(".0", "")
    return f"{seconds}s"


def _is_text(typ: pa.DataType) -> bool:
    if pa.types.is_dictionary(typ):
        typ = typ.value_type
    return bool(pa.types.is_string(typ) or pa.types.is_large_string(typ))


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
