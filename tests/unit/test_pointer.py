"""Pointer files (DESIGN §2, §9): canonical text, strict parsing of untrusted input."""

from __future__ import annotations

import contextlib
import math
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitmodel.errors import PointerError
from gitmodel.hashing import ALGORITHMS, HEX_LENGTH
from gitmodel.pointer import (
    HEADER,
    MAX_POINTER_BYTES,
    MetaValue,
    Pointer,
    _parse_canonical,
    _parse_toml,
    format_pointer,
    is_pointer_path,
    model_path_for,
    parse_pointer,
    pointer_path_for,
)

SOURCE = "models/m.pkl.gitmodel"
OID = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"

# The canonical file pointer of DESIGN §2, byte for byte.
CANONICAL = (
    HEADER + "version = 1\n"
    'hash = "blake3"\n'
    f'oid = "{OID}"\n'
    "size = 52428800\n"
    'kind = "file"\n'
    "\n"
    "[meta]\n"
    'framework = "sklearn"\n'
    "\n"
    "[metrics]\n"
    "accuracy = 0.91\n"
)
CANONICAL_POINTER = Pointer(
    oid=OID, size=52428800, meta={"framework": "sklearn"}, metrics={"accuracy": 0.91}
)


def parse_error(text: str | bytes) -> PointerError:
    with pytest.raises(PointerError) as info:
        parse_pointer(text, SOURCE)
    return info.value


def replace_line(text: str, start: str, new: str) -> str:
    """``text`` with the (single) line starting with ``start`` replaced by ``new``."""
    lines = text.splitlines(keepends=True)
    hits = [i for i, line in enumerate(lines) if line.startswith(start)]
    assert len(hits) == 1, (start, text)
    lines[hits[0]] = new + "\n"
    return "".join(lines)


# ---------------------------------------------------------------- paths


def test_pointer_path_is_model_path_plus_suffix() -> None:
    assert pointer_path_for("models/m.pkl") == "models/m.pkl.gitmodel"
    assert model_path_for("models/m.pkl.gitmodel") == "models/m.pkl"


def test_model_path_for_refuses_a_path_without_suffix() -> None:
    with pytest.raises(ValueError, match="not a pointer file"):
        model_path_for("models/m.pkl")


def test_bare_suffix_is_not_a_pointer_path() -> None:
    assert is_pointer_path("m.gitmodel")
    assert not is_pointer_path(".gitmodel")
    assert not is_pointer_path("m.pkl")


# ---------------------------------------------------------------- writing


def test_format_writes_the_documented_text_byte_for_byte() -> None:
    assert format_pointer(CANONICAL_POINTER) == CANONICAL


def test_format_of_a_file_pointer_without_tables_ends_after_kind() -> None:
    text = format_pointer(Pointer(oid=OID, size=0))
    assert text.endswith('kind = "file"\n')
    assert "[meta]" not in text
    assert "[metrics]" not in text
    assert "files" not in text


def test_format_of_a_dir_pointer_writes_files_after_kind() -> None:
    text = format_pointer(Pointer(oid=OID, size=7, kind="dir", files=3))
    assert text.endswith('kind = "dir"\nfiles = 3\n')


def test_format_is_under_one_kib_for_a_typical_file_pointer() -> None:
    assert len(CANONICAL.encode()) < 1024


def test_format_is_byte_identical_whatever_the_insertion_order_of_meta_and_metrics() -> None:
    meta = {"owner": "ana", "framework": "sklearn", "a b": "x", "dataset": "d1", "n": 3}
    metrics = {"recall": 0.5, "accuracy": 0.91, "f1": 1, "auc": 0.75}
    reference = format_pointer(Pointer(oid=OID, size=1, meta=meta, metrics=metrics))
    rng = random.Random(1)
    for _ in range(20):
        meta_items, metric_items = list(meta.items()), list(metrics.items())
        rng.shuffle(meta_items)
        rng.shuffle(metric_items)
        shuffled = Pointer(oid=OID, size=1, meta=dict(meta_items), metrics=dict(metric_items))
        assert format_pointer(shuffled) == reference


def test_format_sorts_table_keys() -> None:
    text = format_pointer(Pointer(oid=OID, size=1, meta={"b": "2", "a": "1", "c": "3"}))
    assert text.index("a = ") < text.index("b = ") < text.index("c = ")


def test_format_quotes_keys_that_are_not_bare_and_escapes_strings() -> None:
    pointer = Pointer(oid=OID, size=1, meta={"a key.with dots": 'say "hi"\\ \n\t\r\x01\x7f é ✓'})
    text = format_pointer(pointer)
    assert '"a key.with dots" = "say \\"hi\\"\\\\ \\n\\t\\r\\u0001\\u007F é ✓"' in text
    assert parse_pointer(text) == pointer


def test_format_keeps_every_value_on_one_line() -> None:
    pointer = Pointer(oid=OID, size=1, meta={"k\nx": "line1\nline2\r\n"})
    text = format_pointer(pointer)
    assert len(text.splitlines()) == 9  # header, 5 keys, blank, [meta], one entry
    assert parse_pointer(text) == pointer


def test_format_refuses_a_pointer_that_would_not_parse() -> None:
    with pytest.raises(PointerError, match="hex digits"):
        format_pointer(Pointer(oid=OID.upper(), size=1))
    with pytest.raises(PointerError, match="unknown hash"):
        format_pointer(Pointer(oid=OID, size=1, algo="sha1"))
    with pytest.raises(PointerError, match="needs files"):
        format_pointer(Pointer(oid=OID, size=1, kind="dir"))
    with pytest.raises(PointerError, match="finite"):
        format_pointer(Pointer(oid=OID, size=1, metrics={"a": math.nan}))
    with pytest.raises(PointerError, match="must be a number"):
        format_pointer(Pointer(oid=OID, size=1, metrics={"a": True}))


# ---------------------------------------------------------------- reading: good input


def test_parse_reads_the_documented_text() -> None:
    assert parse_pointer(CANONICAL, SOURCE) == CANONICAL_POINTER


def test_parse_accepts_bytes_as_well_as_text() -> None:
    assert parse_pointer(CANONICAL.encode(), SOURCE) == CANONICAL_POINTER


@pytest.mark.parametrize("algo", ALGORITHMS)
def test_round_trip_for_every_algorithm(algo: str) -> None:
    pointer = Pointer(oid="0123456789abcdef" * (HEX_LENGTH[algo] // 16), size=5, algo=algo)
    assert parse_pointer(format_pointer(pointer)) == pointer


def test_round_trip_of_a_dir_pointer() -> None:
    pointer = Pointer(oid=OID, size=123, kind="dir", files=4, meta={"x": True})
    parsed = parse_pointer(format_pointer(pointer))
    assert parsed == pointer
    assert parsed.is_dir


def test_round_trip_of_a_dir_pointer_with_zero_files() -> None:
    pointer = Pointer(oid=OID, size=0, kind="dir", files=0)
    assert parse_pointer(format_pointer(pointer)) == pointer


def test_round_trip_keeps_int_metrics_ints_and_float_metrics_floats() -> None:
    parsed = parse_pointer(
        format_pointer(Pointer(oid=OID, size=1, metrics={"n": 3, "x": 3.0, "tiny": 1e-300}))
    )
    assert type(parsed.metrics["n"]) is int
    assert type(parsed.metrics["x"]) is float
    assert parsed.metrics["tiny"] == 1e-300


def test_parse_accepts_hand_edited_whitespace_and_comments() -> None:
    text = CANONICAL.replace("size = 52428800", "size   =   52428800   # 50 MiB")
    assert parse_pointer(text, SOURCE) == CANONICAL_POINTER


# ---------------------------------------------------------------- reading: errors name file and line


@pytest.mark.parametrize(
    ("start", "new", "line", "problem"),
    [
        ("oid", f'oid = "{OID.upper()}"', 4, "oid is not 64 lower-case hex digits"),
        ("oid", f'oid = "{OID[:-1]}"', 4, "oid is not 64 lower-case hex digits"),
        ("oid", f'oid = "{OID}0"', 4, "oid is not 64 lower-case hex digits"),
        ("oid", f'oid = "{OID[:-1]}g"', 4, "oid is not 64 lower-case hex digits"),
        ("oid", f'oid = " {OID[1:]}"', 4, "oid is not 64 lower-case hex digits"),
        ("oid", "oid = 12", 4, "oid is not 64 lower-case hex digits"),
        ("hash", 'hash = "sha1"', 3, "unknown hash 'sha1'"),
        ("hash", 'hash = "BLAKE3"', 3, "unknown hash"),
        ("hash", "hash = 3", 3, "unknown hash"),
        ("version", 'version = "1"', 2, "version must be an integer"),
        ("version", "version = 1.0", 2, "version must be an integer"),
        ("version", "version = true", 2, "version must be an integer"),
        ("size", "size = -1", 5, "size must be a non-negative integer"),
        ("size", 'size = "10"', 5, "size must be a non-negative integer"),
        ("size", "size = 1.5", 5, "size must be a non-negative integer"),
        ("size", "size = true", 5, "size must be a non-negative integer"),
        ("kind", 'kind = "blob"', 6, "kind must be 'file' or 'dir'"),
        ("kind", "kind = 1", 6, "kind must be 'file' or 'dir'"),
        ("accuracy", "accuracy = nan", 12, "metric 'accuracy' must be a finite number"),
        ("accuracy", "accuracy = inf", 12, "metric 'accuracy' must be a finite number"),
        ("accuracy", "accuracy = -inf", 12, "metric 'accuracy' must be a finite number"),
        ("accuracy", "accuracy = true", 12, "metric 'accuracy' must be a number"),
        ("accuracy", "accuracy = false", 12, "metric 'accuracy' must be a number"),
        ("accuracy", 'accuracy = "0.91"', 12, "metric 'accuracy' must be a number"),
        ("accuracy", "accuracy = [0.91]", 12, "metric 'accuracy' must be a number"),
        ("framework", "framework = [1, 2]", 9, "meta.framework must be a string, number"),
        ("framework", "framework = {a = 1}", 9, "meta.framework must be a string, number"),
        ("framework", "framework = 1979-05-27", 9, "meta.framework must be a string, number"),
    ],
)
def test_parse_error_names_the_file_and_the_line(
    start: str, new: str, line: int, problem: str
) -> None:
    error = parse_error(replace_line(CANONICAL, start, new))
    assert str(error).startswith(f"{SOURCE}:{line}: {problem}")
    assert error.source == SOURCE
    assert error.line == line


def test_parse_error_message_matches_the_documented_example() -> None:
    error = parse_error(CANONICAL.replace(OID, OID.upper()))
    assert str(error) == "models/m.pkl.gitmodel:4: oid is not 64 lower-case hex digits"


def test_parse_refuses_md5_oid_of_sha256_length() -> None:
    error = parse_error(CANONICAL.replace('"blake3"', '"md5"'))
    assert str(error) == f"{SOURCE}:4: oid is not 32 lower-case hex digits"


def test_parse_refuses_an_unknown_version_with_an_upgrade_hint() -> None:
    error = parse_error(CANONICAL.replace("version = 1", "version = 2"))
    assert error.line == 2
    assert "unsupported pointer version 2" in str(error)
    assert "pip install -U gitmodel" in str(error)


def test_parse_refuses_text_without_version_as_not_a_pointer() -> None:
    error = parse_error(replace_line(CANONICAL, "version", ""))
    assert str(error) == f"{SOURCE}: missing 'version'; this is not a gitmodel pointer"


@pytest.mark.parametrize("key", ["hash", "oid", "size", "kind"])
def test_parse_refuses_a_missing_required_key_naming_it(key: str) -> None:
    error = parse_error(replace_line(CANONICAL, key, ""))
    assert str(error) == f"{SOURCE}: missing required key {key!r}"


def test_parse_refuses_an_unknown_top_level_key_at_its_line() -> None:
    text = replace_line(CANONICAL, "kind", 'kind = "file"\nowner = "ana"')
    error = parse_error(text)
    assert str(error) == f"{SOURCE}:7: unknown key 'owner'"


def test_parse_refuses_an_unknown_table() -> None:
    error = parse_error(CANONICAL + "\n[params]\nlr = 0.1\n")
    assert "unknown key 'params'" in str(error)
    assert str(error).startswith(SOURCE)


def test_parse_refuses_an_unknown_table_at_the_line_of_its_header() -> None:
    error = parse_error(CANONICAL + "\n[params]\nlr = 0.1\n")
    assert error.line == 14


def test_parse_refuses_meta_that_is_not_a_table() -> None:
    text = replace_line(CANONICAL, "kind", 'kind = "file"\nmeta = "x"')
    text = text.replace("[meta]\n", "").replace('framework = "sklearn"\n', "")
    error = parse_error(text)
    assert str(error) == f"{SOURCE}:7: meta must be a table"


def test_parse_refuses_metrics_that_are_not_a_table() -> None:
    text = replace_line(CANONICAL, "kind", 'kind = "file"\nmetrics = [1]')
    text = text.replace("[metrics]\naccuracy = 0.91\n", "")
    error = parse_error(text)
    assert str(error) == f"{SOURCE}:7: metrics must be a table"


def test_parse_error_in_metrics_points_at_the_metrics_line_not_a_meta_key_of_same_name() -> None:
    text = CANONICAL.replace('framework = "sklearn"', "accuracy = 1").replace(
        "accuracy = 0.91", "accuracy = nan"
    )
    assert parse_error(text).line == 12


def test_dir_pointer_needs_files() -> None:
    error = parse_error(CANONICAL.replace('kind = "file"', 'kind = "dir"'))
    assert "a dir pointer needs files = N" in str(error)
    assert str(error).startswith(SOURCE)


@pytest.mark.parametrize("value", ["-1", '"3"', "1.0", "true"])
def test_dir_pointer_refuses_files_that_is_not_a_count_at_its_line(value: str) -> None:
    text = CANONICAL.replace('kind = "file"', f'kind = "dir"\nfiles = {value}')
    error = parse_error(text)
    assert str(error).startswith(f"{SOURCE}:7: a dir pointer needs files = N")


def test_file_pointer_refuses_files() -> None:
    error = parse_error(CANONICAL.replace('kind = "file"', 'kind = "file"\nfiles = 2'))
    assert str(error) == f"{SOURCE}:7: 'files' is only allowed with kind = \"dir\""


def test_parse_refuses_invalid_toml_at_its_line() -> None:
    error = parse_error(CANONICAL.replace("size = 52428800", "size = = 1"))
    assert error.line == 5
    assert "invalid TOML" in str(error)


def test_parse_refuses_a_duplicate_key() -> None:
    error = parse_error(CANONICAL.replace("size = 52428800", "size = 1\nsize = 2"))
    assert "invalid TOML" in str(error)
    assert error.line == 6


def test_parse_refuses_more_than_64_kib_of_bytes() -> None:
    text = CANONICAL + "#" * MAX_POINTER_BYTES
    error = parse_error(text.encode())
    assert str(error) == f"{SOURCE}: pointer is larger than {MAX_POINTER_BYTES} bytes"


def test_parse_refuses_more_than_64_kib_of_text() -> None:
    error = parse_error(CANONICAL + "#" * MAX_POINTER_BYTES)
    assert "larger than" in str(error)


def test_parse_accepts_a_pointer_of_exactly_64_kib() -> None:
    padding = MAX_POINTER_BYTES - len(CANONICAL.encode()) - 2
    text = CANONICAL + "#" + "x" * padding + "\n"
    assert len(text.encode()) == MAX_POINTER_BYTES
    assert parse_pointer(text.encode(), SOURCE) == CANONICAL_POINTER


@pytest.mark.parametrize(
    "data", [b"\xff\xfe", CANONICAL.encode() + b"\x80", CANONICAL.encode("utf-16")]
)
def test_parse_refuses_bytes_that_are_not_utf8(data: bytes) -> None:
    error = parse_error(data)
    assert str(error).startswith(f"{SOURCE}: not UTF-8 text")


def test_parse_refuses_deeply_nested_toml_without_a_traceback() -> None:
    # tomllib recurses once per nesting level; 64 KiB of brackets exhausts the stack.
    error = parse_error("a = " + "[" * 5000)
    assert "invalid TOML" in str(error)
    error = parse_error(("x = " + "{a=" * 3000).encode())
    assert "invalid TOML" in str(error)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n",
        "hello",
        "# only a comment\n",
        "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n",
        "\ufeff" + CANONICAL,
    ],
)
def test_parse_refuses_text_that_is_not_a_pointer(text: str) -> None:
    parse_error(text)


# ---------------------------------------------------------------- truncation


def test_every_prefix_of_a_file_pointer_without_tables_parses_the_same_or_is_refused() -> None:
    pointer = Pointer(oid=OID, size=52428800)
    data = format_pointer(pointer).encode()
    for end in range(len(data) + 1):
        with contextlib.suppress(PointerError):
            assert parse_pointer(data[:end], SOURCE) == pointer, end


@pytest.mark.parametrize(
    "pointer",
    [
        CANONICAL_POINTER,
        Pointer(
            oid=OID,
            size=10,
            kind="dir",
            files=12,
            meta={"k ey": 'é"\\\n', "n": 5, "b": False, "f": 2.5},
            metrics={"a": 1, "b": -0.25},
        ),
    ],
)
def test_every_prefix_of_a_pointer_raises_nothing_but_pointer_error(pointer: Pointer) -> None:
    # Truncation exactly at a line boundary after the tables start can still parse (the
    # format has no end marker, like Git LFS's); what matters is: no other exception,
    # and never a pointer to a different object.
    data = format_pointer(pointer).encode()
    for end in range(len(data) + 1):
        try:
            parsed = parse_pointer(data[:end], SOURCE)
        except PointerError:
            continue
        assert (parsed.algo, parsed.oid, parsed.kind) == (pointer.algo, pointer.oid, pointer.kind)


# ---------------------------------------------------------------- properties

hex_digits = "0123456789abcdef"


@st.composite
def oids(draw: st.DrawFn, algo: str) -> str:
    return draw(st.text(alphabet=hex_digits, min_size=HEX_LENGTH[algo], max_size=HEX_LENGTH[algo]))


# Keys and strings that need quoting and escaping: quotes, backslashes, newlines, control
# characters, dots, spaces, unicode (hypothesis' text() never yields lone surrogates).
tricky_text = st.one_of(
    st.text(max_size=20),
    st.text(alphabet=st.sampled_from('"\\\n\r\t\x00\x01\x1f\x7f .=[]#é✓😀 aZ09_-'), max_size=12),
)
int64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
finite_floats = st.floats(allow_nan=False, allow_infinity=False)
meta_values = st.one_of(tricky_text, int64, finite_floats, st.booleans())
metric_values = st.one_of(int64, finite_floats)


@st.composite
def pointers(draw: st.DrawFn) -> Pointer:
    algo = draw(st.sampled_from(ALGORITHMS))
    kind = draw(st.sampled_from(["file", "dir"]))
    return Pointer(
        oid=draw(oids(algo)),
        size=draw(st.integers(min_value=0, max_value=2**63 - 1)),
        algo=algo,
        kind=kind,
        files=draw(st.integers(min_value=0, max_value=10**7)) if kind == "dir" else None,
        meta=draw(st.dictionaries(tricky_text, meta_values, max_size=6)),
        metrics=draw(st.dictionaries(tricky_text, metric_values, max_size=6)),
    )


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(pointers())
def test_property_parse_of_format_is_identity(pointer: Pointer) -> None:
    text = format_pointer(pointer)
    assert parse_pointer(text, SOURCE) == pointer
    assert parse_pointer(text.encode("utf-8"), SOURCE) == pointer


@settings(max_examples=25)
@given(pointers(), st.randoms(use_true_random=False))
def test_property_format_ignores_insertion_order(pointer: Pointer, rng: random.Random) -> None:
    meta, metrics = list(pointer.meta.items()), list(pointer.metrics.items())
    rng.shuffle(meta)
    rng.shuffle(metrics)
    shuffled = Pointer(
        oid=pointer.oid,
        size=pointer.size,
        algo=pointer.algo,
        kind=pointer.kind,
        files=pointer.files,
        meta=dict(meta),
        metrics=dict(metrics),
    )
    assert format_pointer(shuffled) == format_pointer(pointer)


@settings(max_examples=150)
@given(st.text(max_size=300))
def test_property_arbitrary_text_raises_only_pointer_error(text: str) -> None:
    with contextlib.suppress(PointerError):
        parse_pointer(text, SOURCE)


@settings(max_examples=150)
@given(st.binary(max_size=300))
def test_property_arbitrary_bytes_raise_only_pointer_error(data: bytes) -> None:
    with contextlib.suppress(PointerError):
        parse_pointer(data, SOURCE)


@settings(max_examples=60)
@given(pointers(), st.data())
def test_property_mutated_pointers_raise_only_pointer_error(
    pointer: Pointer, data: st.DataObject
) -> None:
    text = format_pointer(pointer)
    start = data.draw(st.integers(min_value=0, max_value=len(text)))
    end = data.draw(st.integers(min_value=start, max_value=len(text)))
    insert = data.draw(
        st.one_of(st.text(max_size=10), st.sampled_from(["[", "]", '"', "=", "\n", "[meta]\n"]))
    )
    try:
        parse_pointer(text[:start] + insert + text[end:], SOURCE)
    except PointerError as error:
        assert str(error).startswith(SOURCE)


# ---------------------------------------------------------------- the canonical shortcut
# parse_pointer reads canonical text without tomllib; it must read exactly what tomllib
# reads, and leave every other text (errors included) to tomllib.


def toml_reading(text: str) -> Pointer | None:
    try:
        return _parse_toml(text, SOURCE)
    except PointerError:
        return None


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(pointers())
def test_property_the_shortcut_reads_canonical_text_as_tomllib_does(pointer: Pointer) -> None:
    text = format_pointer(pointer)
    quick = _parse_canonical(text)
    assert quick is None or quick == toml_reading(text) == pointer


bare = st.text(alphabet="abcXYZ019_-", min_size=1, max_size=8)
plain_text = st.text(
    alphabet=st.characters(blacklist_characters='"\\', blacklist_categories=["Cc", "Cs"]),
    max_size=12,
)


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(
    pointers(),
    st.dictionaries(bare, st.one_of(plain_text, int64, finite_floats, st.booleans()), max_size=5),
    st.dictionaries(bare, metric_values, max_size=5),
)
def test_property_the_shortcut_takes_every_pointer_with_plain_tables(
    pointer: Pointer, meta: dict[str, MetaValue], metrics: dict[str, float | int]
) -> None:
    plain = Pointer(
        pointer.oid, pointer.size, pointer.algo, pointer.kind, pointer.files, meta, metrics
    )
    assert _parse_canonical(format_pointer(plain)) == plain


EDITS = [
    "",
    " ",
    "\t",
    "\n",
    "\r",
    '"',
    "\\",
    "#",
    "=",
    "[",
    "]",
    "0",
    "1",
    "-",
    ".",
    "e",
    "x",
    "é",
]


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(
    pointers(),
    st.lists(
        st.tuples(st.floats(0, 1), st.integers(0, 2), st.sampled_from(EDITS)),
        min_size=1,
        max_size=3,
    ),
)
def test_property_the_shortcut_never_reads_edited_text_differently(
    pointer: Pointer, edits: list[tuple[float, int, str]]
) -> None:
    text = format_pointer(pointer)
    for where, remove, insert in edits:
        at = int(where * len(text))
        text = text[:at] + insert + text[at + remove :]
    quick = _parse_canonical(text)
    if quick is not None:
        slow = toml_reading(text)
        # repr, not ==: it tells 1 from 1.0 and -0.0 from 0.0, and NaN equals itself
        assert repr(quick) == repr(slow), text
        assert format_pointer(quick) == text


@pytest.mark.parametrize(
    "text",
    [
        CANONICAL.replace("size = 52428800", "size   =   52428800   # 50 MiB"),
        CANONICAL.replace("\n", "\r\n"),
        CANONICAL + "\n",
        CANONICAL.replace('framework = "sklearn"', "framework = 'sklearn'"),
        CANONICAL.replace("accuracy = 0.91", "accuracy = 0.910"),
        CANONICAL.replace("accuracy = 0.91", "accuracy = 9.1e-1"),
        CANONICAL.replace("52428800", "52_428_800"),
        CANONICAL.replace("52428800", "+52428800"),
        CANONICAL.replace('[meta]\nframework = "sklearn"', '[meta]\n"framework" = "sklearn"'),
        CANONICAL.replace("version = 1", "version = 2"),
        CANONICAL.replace("size = 52428800", "size = -1"),
        CANONICAL.replace("accuracy = 0.91", "accuracy = nan"),
        CANONICAL.replace("[metrics]", "[extra]"),
        format_pointer(Pointer(oid=OID, size=1, kind="dir", files=2)).replace(
            "files = 2", "files = -2"
        ),
        format_pointer(Pointer(oid=OID, size=1, meta={"k": 'a"b'})),
    ],
)
def test_the_shortcut_leaves_any_other_text_to_tomllib(text: str) -> None:
    assert _parse_canonical(text) is None
