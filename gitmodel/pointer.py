"""Pointer files: the small TOML text committed to Git in place of a model's bytes.

The format is fixed byte for byte in ``docs/pointer-format.md``; ``format_pointer`` writes
exactly that and ``parse_pointer`` reads it strictly. Pointers arrive by ``git pull``,
so they are untrusted: every error names the file and the line. Standard library only.
"""

from __future__ import annotations

import contextlib
import math
import re
from dataclasses import dataclass, field
from typing import Any

from gitmodel.errors import PointerError
from gitmodel.hashing import HEX_LENGTH, is_valid_oid

SUFFIX = ".gitmodel"
VERSION = 1
HEADER = (
    "# gitmodel pointer - the model's bytes are in the cache; `gitmodel checkout` restores them\n"
)
_HEADER_LINE = HEADER.rstrip("\n")
KINDS = ("file", "dir")
MAX_POINTER_BYTES = 64 * 1024
TOP_KEYS = ("version", "hash", "oid", "size", "kind", "files")
TABLES = ("meta", "metrics")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPED = re.compile(r'["\\\x00-\x1f\x7f]')  # the characters _toml_string escapes
MetaValue = str | int | float | bool


@dataclass(frozen=True)
class Pointer:
    """What a pointer file says: which object holds the model, and facts about it."""

    oid: str
    size: int
    algo: str = "blake3"
    kind: str = "file"
    files: int | None = None  # number of files, for kind == "dir"
    meta: dict[str, MetaValue] = field(default_factory=dict)
    metrics: dict[str, float | int] = field(default_factory=dict)

    @property
    def is_dir(self) -> bool:
        return self.kind == "dir"


def pointer_path_for(model_path: str) -> str:
    """``models/m.pkl`` -> ``models/m.pkl.gitmodel``."""
    return model_path + SUFFIX


def model_path_for(pointer_path: str) -> str:
    """``models/m.pkl.gitmodel`` -> ``models/m.pkl``."""
    if not pointer_path.endswith(SUFFIX):
        raise ValueError(f"{pointer_path} is not a pointer file (no {SUFFIX} suffix)")
    return pointer_path[: -len(SUFFIX)]


def is_pointer_path(path: str) -> bool:
    return path.endswith(SUFFIX) and len(path) > len(SUFFIX)


# --- writing -----------------------------------------------------------------


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _toml_string(key)


def _toml_string(value: str) -> str:
    if not _ESCAPED.search(value):
        return f'"{value}"'
    out = ['"']
    for ch in value:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _toml_value(value: MetaValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    return _toml_string(value)


def format_pointer(pointer: Pointer) -> str:
    """Render a pointer in its canonical text: fixed key order, sorted tables.

    The same pointer always gives the same bytes, so pointers diff and merge well.
    """
    validate(pointer, "<pointer>")
    lines = [
        HEADER.rstrip("\n"),
        f"version = {VERSION}",
        f"hash = {_toml_string(pointer.algo)}",
        f"oid = {_toml_string(pointer.oid)}",
        f"size = {pointer.size}",
        f"kind = {_toml_string(pointer.kind)}",
    ]
    if pointer.kind == "dir":
        lines.append(f"files = {pointer.files}")
    for table in TABLES:
        values: dict[str, Any] = getattr(pointer, table)
        if not values:
            continue
        lines.append("")
        lines.append(f"[{table}]")
        lines.extend(f"{_toml_key(k)} = {_toml_value(values[k])}" for k in sorted(values))
    return "\n".join(lines) + "\n"


# --- reading -----------------------------------------------------------------


def _line_of(text: str, key: str, table: str | None = None) -> int | None:
    """1-based line where ``key`` is assigned (inside ``[table]`` when given)."""
    current: str | None = None
    key_re = re.compile(rf"\s*(?:{re.escape(key)}|\"{re.escape(key)}\")\s*=")
    header_re = re.compile(r"\s*\[\s*([^\]]+?)\s*\]")
    for number, line in enumerate(text.splitlines(), start=1):
        header = header_re.match(line)
        if header:
            current = header.group(1)
            continue
        if current == table and key_re.match(line):
            return number
    if table is None:  # an unknown [table] is named by its header line
        for number, line in enumerate(text.splitlines(), start=1):
            header = header_re.match(line)
            if header and header.group(1).strip('"') == key:
                return number
    return None


def _canonical_value(text: str) -> MetaValue | None:
    """A value as ``_toml_value`` writes it (strings without escapes only), else None."""
    if text[:1] == '"':
        return text[1:-1] if len(text) > 1 and text[-1] == '"' and "\\" not in text else None
    if text in ("true", "false"):
        return text == "true"
    for number in (int, float):
        with contextlib.suppress(ValueError):
            return number(text)
    return None


def _parse_canonical(text: str) -> Pointer | None:
    """The pointer ``text`` holds when it is exactly what ``format_pointer`` writes (as
    is every pointer gitmodel wrote); None for any other text, which tomllib then reads.

    A shortcut: tomllib costs ~100 µs a pointer, and pre-push or status read thousands.
    It is exact because it ends by formatting what it read and comparing with ``text``:
    canonical text reads back to the very pointer it was written from.
    """
    lines = text.split("\n")
    if len(lines) < 7 or lines[0] != _HEADER_LINE or lines[1] != f"version = {VERSION}":
        return None
    top = [line.partition(" = ") for line in lines[2:6]]
    if [key for key, _, _ in top] != ["hash", "oid", "size", "kind"]:
        return None
    algo, oid, size, kind = (_canonical_value(value) for _, _, value in top)
    files = _canonical_value(lines[6].removeprefix("files = ")) if kind == "dir" else None
    if not isinstance(algo, str) or not isinstance(oid, str) or kind not in KINDS:
        return None
    if type(size) is not int or size < 0:
        return None
    if kind == "dir" and (type(files) is not int or files < 0):
        return None
    tables: dict[str, dict[str, MetaValue]] = {name: {} for name in TABLES}
    table = None
    for line in lines[7 if kind == "dir" else 6 : -1]:
        if line[:1] == "[" and line[-1:] == "]" and line[1:-1] in tables:
            table = tables[line[1:-1]]
            continue
        key, _, raw = line.partition(" = ")
        value = _canonical_value(raw)
        if table is not None and value is not None and _BARE_KEY.fullmatch(key):
            table[key] = value
        elif line:  # only the empty line before each table is left
            return None
    meta, metrics = tables["meta"], tables["metrics"]
    try:
        pointer = Pointer(oid, size, algo, kind, files, meta, metrics)  # type: ignore[arg-type]
        return pointer if format_pointer(pointer) == text else None
    except PointerError:
        return None  # e.g. a metric that is not finite: tomllib's path names the line


def parse_pointer(text: str | bytes, source: str = "<pointer>") -> Pointer:
    """Parse and validate pointer text; raise PointerError naming ``source`` and the line."""
    if isinstance(text, bytes):
        if len(text) > MAX_POINTER_BYTES:
            raise PointerError(source, None, f"pointer is larger than {MAX_POINTER_BYTES} bytes")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PointerError(source, None, f"not UTF-8 text ({exc.reason})") from None
    if len(text) > MAX_POINTER_BYTES:
        raise PointerError(source, None, f"pointer is larger than {MAX_POINTER_BYTES} bytes")
    canonical = _parse_canonical(text)
    return canonical if canonical is not None else _parse_toml(text, source)


def _parse_toml(text: str, source: str) -> Pointer:
    """``parse_pointer`` for any TOML layout: tomllib, then every check with its line."""
    import tomllib  # ~10 ms to import; canonical text never needs it

    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        msg = str(exc)
        match = re.search(r"\(at line (\d+), column \d+\)", msg)
        line = int(match.group(1)) if match else None
        problem = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg) or "invalid TOML"
        raise PointerError(source, line, f"invalid TOML: {problem}") from None

    def fail(key: str, problem: str, table: str | None = None) -> PointerError:
        return PointerError(source, _line_of(text, key, table), problem)

    for key in data:
        if key not in TOP_KEYS and key not in TABLES:
            raise fail(key, f"unknown key {key!r}")
    if "version" not in data:
        raise PointerError(source, None, "missing 'version'; this is not a gitmodel pointer")
    version = data["version"]
    if type(version) is not int:
        raise fail("version", "version must be an integer")
    if version != VERSION:
        raise fail(
            "version",
            f"unsupported pointer version {version} (this gitmodel reads version {VERSION}); "
            "upgrade: pip install -U gitmodel",
        )
    for key in ("hash", "oid", "size", "kind"):
        if key not in data:
            raise PointerError(source, None, f"missing required key {key!r}")
    algo = data["hash"]
    if not isinstance(algo, str) or algo not in HEX_LENGTH:
        raise fail("hash", f"unknown hash {algo!r}; expected one of {', '.join(HEX_LENGTH)}")
    oid = data["oid"]
    if not isinstance(oid, str) or not is_valid_oid(algo, oid):
        raise fail("oid", f"oid is not {HEX_LENGTH[algo]} lower-case hex digits")
    size = data["size"]
    if type(size) is not int or size < 0:
        raise fail("size", "size must be a non-negative integer")
    kind = data["kind"]
    if kind not in KINDS:
        raise fail("kind", f"kind must be 'file' or 'dir', not {kind!r}")
    files = data.get("files")
    if kind == "dir":
        if type(files) is not int or files < 0:
            raise PointerError(
                source, _line_of(text, "files"), "a dir pointer needs files = N (N >= 0)"
            )
    elif files is not None:
        raise fail("files", "'files' is only allowed with kind = \"dir\"")
    meta = data.get("meta", {})
    if not isinstance(meta, dict):
        raise fail("meta", "meta must be a table")
    for key, value in meta.items():
        if not isinstance(value, str | int | float | bool):
            raise fail(key, f"meta.{key} must be a string, number or boolean", "meta")
    metrics = data.get("metrics", {})
    if not isinstance(metrics, dict):
        raise fail("metrics", "metrics must be a table")
    for key, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise fail(key, f"metric {key!r} must be a number", "metrics")
        if isinstance(value, float) and not math.isfinite(value):
            raise fail(key, f"metric {key!r} must be a finite number", "metrics")
    return Pointer(
        oid=oid, size=size, algo=algo, kind=kind, files=files, meta=meta, metrics=metrics
    )


def validate(pointer: Pointer, source: str) -> None:
    """Raise PointerError if a Pointer built in code would not round-trip."""
    if pointer.algo not in HEX_LENGTH:
        raise PointerError(source, None, f"unknown hash {pointer.algo!r}")
    if not is_valid_oid(pointer.algo, pointer.oid):
        raise PointerError(source, None, f"oid is not {HEX_LENGTH[pointer.algo]} hex digits")
    if pointer.kind not in KINDS:
        raise PointerError(source, None, f"kind must be 'file' or 'dir', not {pointer.kind!r}")
    if pointer.kind == "dir" and pointer.files is None:
        raise PointerError(source, None, "a dir pointer needs files = N")
    for key, value in pointer.metrics.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PointerError(source, None, f"metric {key!r} must be a number")
        if isinstance(value, float) and not math.isfinite(value):
            raise PointerError(source, None, f"metric {key!r} must be a finite number")
