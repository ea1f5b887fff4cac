"""Read the plain subset of TOML that config files are usually written in, without
tomllib: importing tomllib costs ~10 ms, and the pre-commit hook reads the config on
every commit. Standard library only.

The subset, line by line: blank lines, comments, ``[table]`` / ``[a.b]`` headers made
of bare keys, and ``key = value`` with a bare key and, as value, a basic string
without escapes, a decimal integer, ``true`` / ``false`` or a one-line array of such
strings, each optionally followed by a comment. Whatever ``loads`` accepts, tomllib
reads to the same data (tests/unit/test_plain_toml.py checks this against tomllib);
anything else, every TOML error included, gives None, and the caller reads the file
with tomllib, which reports the error.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False  # typing itself costs ~4 ms to import
if TYPE_CHECKING:
    from typing import Any

_BARE = r"[A-Za-z0-9_-]+"
_STRING = r'"[^"\\\x00-\x1f\x7f]*"'  # no escapes, no control characters (not even tab)
_TAIL = r"[ \t]*(?:#.*)?"  # the control characters a comment may not hold are refused below
_HEADER = re.compile(rf"\[({_BARE}(?:\.{_BARE})*)\]{_TAIL}")
_PAIR = re.compile(
    rf"({_BARE})[ \t]*=[ \t]*(?:"
    rf"({_STRING})"
    r"|(true|false)"
    r"|([+-]?(?:0|[1-9][0-9]{0,17}))"  # well inside TOML's 64-bit integers
    rf"|\[((?:[ \t]*{_STRING}[ \t]*,)*(?:[ \t]*{_STRING})?[ \t]*)\]"
    rf"){_TAIL}"
)
_ITEM = re.compile(_STRING)
# Control characters other than tab and newline are errors anywhere in TOML (except
# escaped inside strings, which the subset does not have); \r is refused too: the
# subset knows only \n line ends.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def loads(text: str) -> dict[str, Any] | None:
    """The data of ``text`` if it is plain TOML (see the module docstring), else None."""
    if _CONTROL.search(text):
        return None
    root: dict[str, Any] = {}
    table = root
    declared: set[str] = set()
    for raw in text.split("\n"):
        line = raw.strip(" \t")
        if not line or line[0] == "#":
            continue
        if line[0] == "[":
            header = _HEADER.fullmatch(line)
            if header is None or header.group(1) in declared:
                return None  # [[arrays of tables]], quoted or spaced keys, a table twice
            declared.add(header.group(1))
            table = root
            for key in header.group(1).split("."):
                table = table.setdefault(key, {})
                if not isinstance(table, dict):
                    return None  # a table where a value is
            continue
        pair = _PAIR.fullmatch(line)
        if pair is None or pair.group(1) in table:
            return None  # outside the subset, or a key (or table) defined twice
        key, string, boolean, integer, array = pair.groups()
        if string is not None:
            table[key] = string[1:-1]
        elif boolean is not None:
            table[key] = boolean == "true"
        elif integer is not None:
            table[key] = int(integer)
        else:
            table[key] = [item[1:-1] for item in _ITEM.findall(array)]
    return root
