"""Offline metrics and metadata given on the command line or in files. Pure: parsing
only (YAML is parsed by the caller and handed in as data)."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from gitmodel.errors import UsageError

_KEY = re.compile(r"[A-Za-z0-9_.:/-]+")


def _key(key: str, what: str) -> str:
    key = key.strip()
    if not _KEY.fullmatch(key):
        raise UsageError(f"{what} name {key!r} may only use letters, digits and _ . : / -")
    return key


def to_number(key: str, value: Any) -> int | float:
    """A metric value as int or finite float; UsageError naming the metric otherwise."""
    if isinstance(value, bool):
        raise UsageError(f"metric {key!r}: {value!r} is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        number = value
    else:
        text = str(value).strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = float(text)
        except ValueError:
            raise UsageError(f"metric {key!r}: {text!r} is not a number") from None
    if not math.isfinite(number):
        raise UsageError(f"metric {key!r}: {value!r} is not a finite number")
    return number


def _is_number(text: str) -> bool:
    try:
        float(text.strip())
    except ValueError:
        return False
    return True


def parse_pairs(pairs: Iterable[str], what: str) -> dict[str, str]:
    """``["a=1", "b=x"]`` -> ``{"a": "1", "b": "x"}``; UsageError on a missing '='."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise UsageError(f"--{what} {pair!r}: expected KEY=VALUE")
        out[_key(key, what)] = value
    return out


def parse_metric_pairs(pairs: Iterable[str]) -> dict[str, int | float]:
    return {k: to_number(k, v) for k, v in parse_pairs(pairs, "metric").items()}


def flatten(data: Mapping[str, Any], source: str, prefix: str = "") -> dict[str, int | float]:
    """Nested dicts of numbers -> ``{"a.b": 1.0}``; anything else is an error."""
    out: dict[str, int | float] = {}
    for key, value in data.items():
        name = _key(f"{prefix}{key}", "metric")
        if isinstance(value, Mapping):
            out.update(flatten(value, source, name + "."))
        else:
            try:
                out[name] = to_number(name, value)
            except UsageError as exc:
                raise UsageError(f"{source}: {exc.message}") from None
    return out


def parse_metrics_text(text: str, fmt: str, source: str) -> dict[str, int | float]:
    """Metrics from JSON or CSV text. CSV: ``name,value`` rows, or a header of names
    above one row of values."""
    if fmt == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{source}: invalid JSON ({exc.msg} at line {exc.lineno})") from None
        if not isinstance(data, dict):
            raise UsageError(f"{source}: expected a JSON object of metric names to numbers")
        return flatten(data, source)
    if fmt == "csv":
        rows = [r for r in csv.reader(io.StringIO(text)) if r and any(c.strip() for c in r)]
        if not rows:
            raise UsageError(f"{source}: no metrics in the file")
        first = rows[0]
        header_row = len(rows) == 2 and not _is_number(first[-1])
        if all(len(r) == 2 for r in rows) and not (
            header_row and first[0].strip().lower() not in ("name", "metric")
        ):
            body = rows[1:] if first[0].strip().lower() in ("name", "metric") else rows
            return flatten({r[0]: r[1] for r in body}, source)
        if len(rows) == 2 and len(rows[0]) == len(rows[1]):
            return flatten(dict(zip(rows[0], rows[1], strict=True)), source)
        raise UsageError(f"{source}: CSV must be 'name,value' rows or a header and one row")
    raise UsageError(f"{source}: unknown metrics format {fmt!r}; use .json, .yaml or .csv")
