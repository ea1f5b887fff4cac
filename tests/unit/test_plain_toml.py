"""The plain-TOML reader of the hooks' fast path: whatever it accepts, tomllib reads to
the same data; everything else (every TOML error included) it leaves to tomllib."""

from __future__ import annotations

import tomllib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitmodel.config import INITIAL_CONFIG
from gitmodel.plain_toml import loads


def agrees_with_tomllib(text: str) -> dict[str, object] | None:
    """``loads(text)``, after checking that tomllib reads the same data when it is not None."""
    data = loads(text)
    if data is not None:
        assert tomllib.loads(text) == data, text
    return data


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n",
        "# just a comment\n",
        INITIAL_CONFIG.format(hash="blake3"),
        INITIAL_CONFIG.format(hash="sha256"),
        'hash = "sha256"\ndefault_remote = "origin"\n[cache]\nlink = ["copy"]\n',
        '[remotes.origin]\nurl = "s3://bucket/models"\nregion = "eu"\njobs = 8\n',
        '[remotes.origin]\nurl = "/tmp/r"\n[remotes]\n[remotes.b]\nurl = "x"\n',
        "[hooks]\nmax_size = 1048576  # bytes\nauto_fetch = false\n",
        '  [hooks]  # indented\n\tmax_size = "1 MiB"\n',
        'a = []\nb = [ "x" , "y", ]\nc = ["é", "#not a comment"]#c\nd = -0\ne = +7\n',
        'key-with_dash = "v"\n1234 = "numeric bare key"\n',
        "last = true",  # no newline at the end
    ],
)
def test_plain_configs_read_as_tomllib_reads_them(text: str) -> None:
    assert agrees_with_tomllib(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        # outside the subset, though valid TOML: tomllib reads these
        'a = "esc\\"aped"\n',
        "a = 'literal'\n",
        'a = """multi"""\n',
        "a = 1.5\n",
        "a = 1_000\n",
        "a = 0x10\n",
        "a = 1979-05-27\n",
        "a = {b = 1}\n",
        "a.b = 1\n",
        '"quoted" = 1\n',
        "[ spaced ]\n",
        "[[array]]\n",
        'a = [\n  "x",\n]\n',
        'a = ["x", 1]\n',
        'a = "tab\there"\n',
        "a = 1\r\n",
        "a = 123456789012345678901234567890\n",
        # TOML errors: tomllib refuses them, so must the fast path
        "a = 1\na = 2\n",
        "[t]\n[t]\n",
        "a = 1\n[a]\n",
        "[a]\nb = 1\n[a.b]\n",
        "[a.b]\n[a]\nb = 1\n",
        "a = 01\n",
        "a = tru\n",
        'a = "x" "y"\n',
        "a = \n",
        "= 1\n",
        "[t\n",
        'a = ["x",,]\n',
        "a = [,]\n",
        'a = "unterminated\n',
        "# control \x01 in a comment\n",
        "\ufeffa = 1\n",
        "a = 1 b = 2\n",
    ],
)
def test_anything_else_is_left_to_tomllib(text: str) -> None:
    assert agrees_with_tomllib(text) is None


def test_tables_declared_implicitly_may_be_declared_once_later() -> None:
    text = '[a.b.c]\nx = 1\n[a]\ny = 2\n[a.b]\nz = "z"\n'
    assert agrees_with_tomllib(text) == {"a": {"b": {"c": {"x": 1}, "z": "z"}, "y": 2}}


# Lines from which random documents are built: plain ones, near misses, and errors.
LINES = [
    "",
    "# comment",
    "[a]",
    "[b]",
    "[a.b]",
    "[b.c]",
    "[a.b.c]",
    "[[a]]",
    "[ a ]",
    "[a.]",
    "x = 1",
    "x = -12",
    "y = +0",
    "y = 00",
    "z = true",
    "z = false",
    "z = True",
    'a = "s"',
    'b = ""',
    'b = "with # hash"',
    'b = "a\\"b"',
    "b = 'lit'",
    'c = ["p", "q"]',
    "c = []",
    'c = ["p",]',
    "c = [1]",
    'x = "v" # trailing',
    "x = 1#c",
    "x = 1.0",
    "x = 1e5",
    "b = 1",
    "a = 1",
    "a.b = 1",
    "x=1",
    "x\t=\t2",
    '"x" = 3',
    "x = ",
    "x = \x01",
    "\x7f",
]


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(LINES), max_size=12), st.sampled_from(["\n", " \n", "\t\n"]))
def test_random_documents_read_as_tomllib_reads_them_or_not_at_all(
    lines: list[str], end: str
) -> None:
    text = end.join(lines)
    data = loads(text)
    try:
        expected = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        assert data is None, text
        return
    assert data is None or data == expected, text


@settings(max_examples=300)
@given(st.text(alphabet=st.characters(max_codepoint=0x2FF), max_size=60))
def test_random_text_never_disagrees_with_tomllib(text: str) -> None:
    data = loads(text)
    if data is not None:
        assert tomllib.loads(text) == data, text
