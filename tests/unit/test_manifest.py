"""Directory manifests (DESIGN §2): safe paths, canonical JSON, Parquet above 10k files."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from gitmodel.errors import CorruptObjectError, ManifestError
from gitmodel.hashing import hash_bytes
from gitmodel.manifest import (
    PARQUET_THRESHOLD,
    Entry,
    Manifest,
    check_relative_path,
    from_json_bytes,
    make_manifest,
    to_json_bytes,
)
from gitmodel.storage import manifests
from gitmodel.storage.cache import Cache

OID_A = "a" * 64
OID_B = "b" * 64
MD5 = "0123456789abcdef" * 2


def entry(path: str, oid: str = OID_A, size: int = 1, executable: bool = False) -> Entry:
    return Entry(path, oid, size, executable)


def json_doc(entries: list[list[object]], algo: object = "blake3", version: object = 1) -> bytes:
    return json.dumps({"version": version, "hash": algo, "entries": entries}).encode()


# ---------------------------------------------------------------- the model


def test_make_manifest_sorts_entries_by_path() -> None:
    manifest = make_manifest("blake3", [entry("b"), entry("a/z"), entry("a/b")])
    assert [e.path for e in manifest.entries] == ["a/b", "a/z", "b"]


def test_manifest_total_size_and_lookup_by_path() -> None:
    manifest = make_manifest("blake3", [entry("x", size=3), entry("y/z", OID_B, 4)])
    assert manifest.total_size == 7
    assert manifest.by_path()["y/z"].oid == OID_B


def test_empty_manifest_is_allowed() -> None:
    manifest = make_manifest("md5", [])
    assert manifest.entries == ()
    assert from_json_bytes(to_json_bytes(manifest)) == manifest


def test_make_manifest_refuses_an_unknown_hash() -> None:
    with pytest.raises(ManifestError, match="unknown hash 'sha1'"):
        make_manifest("sha1", [])


@pytest.mark.parametrize("oid", ["A" * 64, "a" * 63, "a" * 65, "g" * 64, MD5, ""])
def test_make_manifest_refuses_an_oid_that_is_not_lower_case_hex_of_the_right_length(
    oid: str,
) -> None:
    with pytest.raises(ManifestError, match=r"m\.bin: oid is not 64 hex digits"):
        make_manifest("blake3", [entry("m.bin", oid)])


@pytest.mark.parametrize("size", [-1, 1.0, "1", True, None])
def test_make_manifest_refuses_a_size_that_is_not_a_non_negative_integer(size: object) -> None:
    with pytest.raises(ManifestError, match="size must be a non-negative integer"):
        make_manifest("blake3", [Entry("m.bin", OID_A, size)])  # type: ignore[arg-type]


def test_make_manifest_refuses_duplicate_paths() -> None:
    with pytest.raises(ManifestError, match="duplicate path 'a/b'"):
        make_manifest("blake3", [entry("a/b"), entry("c"), entry("a/b", OID_B)])


@pytest.mark.parametrize(
    "paths",
    [["a", "a/b"], ["a/b/c", "a/b"], ["x", "a/b", "a/b/c/d"]],
)
def test_make_manifest_refuses_a_path_that_is_both_a_file_and_a_directory(
    paths: list[str],
) -> None:
    with pytest.raises(ManifestError, match="is both a file and a directory"):
        make_manifest("blake3", [entry(p) for p in paths])


def test_make_manifest_allows_siblings_sharing_a_name_prefix() -> None:
    manifest = make_manifest("blake3", [entry("a"), entry("ab/c"), entry("a.d/e")])
    assert len(manifest.entries) == 3


def test_make_manifest_names_the_source_in_errors() -> None:
    with pytest.raises(ManifestError, match=r"^objects/ab/cd: unsafe path"):
        make_manifest("blake3", [entry("../x")], source="objects/ab/cd")


# ---------------------------------------------------------------- path safety


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("", "empty path"),
        ("..", "contains '..'"),
        ("../etc/passwd", "contains '..'"),
        ("a/../../b", "contains '..'"),
        ("a/..", "contains '..'"),
        ("/etc/passwd", "is absolute"),
        ("//server/share", "is absolute"),
        ("C:x", "has a drive letter"),
        ("c:/windows", "has a drive letter"),
        ("x:y", "has a drive letter"),
        ("a\\b", "contains a backslash"),
        ("..\\..\\x", "contains a backslash"),
        ("a\x00b", "contains NUL"),
        ("a//b", "is not normalised"),
        ("./a", "is not normalised"),
        ("a/./b", "is not normalised"),
        (".", "is not normalised"),
        ("a/", "is not normalised"),
    ],
)
def test_check_relative_path_refuses_unsafe_paths(path: str, problem: str) -> None:
    with pytest.raises(ManifestError, match=r"^manifest: ") as info:
        check_relative_path(path)
    assert problem in str(info.value)


@pytest.mark.parametrize(
    "path", ["a", "a/b/c.bin", ".hidden", "...", "a..b", "a b/ü ✓", "ab:c", "a/b:c"]
)
def test_check_relative_path_accepts_safe_relative_paths(path: str) -> None:
    assert check_relative_path(path) == path


def test_check_relative_path_refuses_a_non_string() -> None:
    with pytest.raises(ManifestError, match="empty path"):
        check_relative_path(None)  # type: ignore[arg-type]


def test_make_manifest_refuses_an_unsafe_entry_path() -> None:
    with pytest.raises(ManifestError, match=r"unsafe path '\.\./x'"):
        make_manifest("blake3", [entry("ok"), entry("../x")])


# ---------------------------------------------------------------- canonical JSON


def test_json_bytes_are_canonical() -> None:
    manifest = make_manifest("blake3", [entry("b.bin", OID_B, 2, True), entry("a/é.bin", OID_A, 1)])
    assert (
        to_json_bytes(manifest)
        == (
            '{"version":1,"hash":"blake3","entries":['
            f'["a/é.bin","{OID_A}",1,0],["b.bin","{OID_B}",2,1]'
            "]}\n"
        ).encode()
    )


def test_json_bytes_do_not_depend_on_the_order_entries_were_given_in() -> None:
    entries = [entry(f"d{i % 3}/f{i}", size=i) for i in range(20)]
    forward = to_json_bytes(make_manifest("blake3", entries))
    backward = to_json_bytes(make_manifest("blake3", list(reversed(entries))))
    assert forward == backward
    assert hash_bytes(forward) == hash_bytes(backward)


def test_json_round_trip_keeps_the_executable_bit() -> None:
    manifest = make_manifest("sha256", [entry("run.sh", executable=True), entry("data")])
    parsed = from_json_bytes(to_json_bytes(manifest))
    assert parsed == manifest
    assert parsed.by_path()["run.sh"].executable
    assert not parsed.by_path()["data"].executable


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "not a JSON manifest"),
        (b"\xff\xfe", "not a JSON manifest"),
        (b"[]", "unsupported manifest version"),
        (json_doc([], version=2), "unsupported manifest version; upgrade gitmodel"),
        (json_doc([], version="1"), "unsupported manifest version"),
        (b'{"version":1,"hash":"blake3"}', "'entries' must be a list"),
        (b'{"version":1,"hash":"blake3","entries":{}}', "'entries' must be a list"),
        (json_doc([["a", OID_A, 1]]), "malformed entry"),
        (json_doc(["a"]), "malformed entry"),
        (json_doc([[1, OID_A, 1, 0]]), "malformed entry"),
        (json_doc([["a", None, 1, 0]]), "malformed entry"),
        (json_doc([["a", OID_A, 1.5, 0]]), "size must be a non-negative integer"),
        (json_doc([["a", OID_A, -1, 0]]), "size must be a non-negative integer"),
        (json_doc([["../a", OID_A, 1, 0]]), "unsafe path"),
        (json_doc([["a", OID_A, 1, 0], ["a", OID_A, 1, 0]]), "duplicate path"),
        (json_doc([], algo=None), "unknown hash"),
        (json_doc([], algo=["blake3"]), "unknown hash"),
    ],
)
def test_from_json_bytes_refuses_malformed_manifests(data: bytes, problem: str) -> None:
    with pytest.raises(ManifestError, match=r"^objects/x: ") as info:
        from_json_bytes(data, source="objects/x")
    assert problem in str(info.value)


def test_from_json_bytes_refuses_deeply_nested_json_without_a_traceback() -> None:
    with pytest.raises(ManifestError):
        from_json_bytes(b"[" * 100_000)


# ---------------------------------------------------------------- storage: JSON or Parquet


def big_manifest(n: int, algo: str = "blake3") -> Manifest:
    oid = "c" * (64 if algo != "md5" else 32)
    return make_manifest(
        algo, [Entry(f"shard{i % 7}/part-{i:05d}.bin", oid, i, i % 5 == 0) for i in range(n)]
    )


def test_small_manifests_are_stored_as_canonical_json() -> None:
    manifest = big_manifest(3)
    assert manifests.encode(manifest) == to_json_bytes(manifest)
    assert manifests.decode(to_json_bytes(manifest)) == manifest


def test_manifest_at_the_threshold_is_still_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(manifests, "PARQUET_THRESHOLD", 5)
    assert manifests.encode(big_manifest(5)).startswith(b"{")


def test_manifest_above_the_threshold_round_trips_through_parquet(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(manifests, "PARQUET_THRESHOLD", 5)
    for algo in ("blake3", "md5"):
        manifest = big_manifest(6, algo)
        data = manifests.encode(manifest)
        assert data.startswith(manifests.PARQUET_MAGIC)
        assert manifests.decode(data) == manifest


def test_parquet_encoding_is_deterministic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(manifests, "PARQUET_THRESHOLD", 5)
    manifest = big_manifest(50)
    assert manifests.encode(manifest) == manifests.encode(
        make_manifest("blake3", reversed(manifest.entries))
    )


def test_real_manifest_of_10001_entries_is_parquet_and_round_trips() -> None:
    manifest = big_manifest(PARQUET_THRESHOLD + 1)
    data = manifests.encode(manifest)
    assert data.startswith(manifests.PARQUET_MAGIC)
    assert manifests.decode(data) == manifest


def parquet_bytes(columns: dict[str, list[object]], metadata: dict[str, str]) -> bytes:
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(pa.table(columns, metadata=metadata), sink)
    return sink.getvalue()


GOOD_META = {"gitmodel.manifest.version": "1", "gitmodel.hash": "blake3"}


def test_parquet_manifest_entries_are_validated_like_json_ones() -> None:
    data = parquet_bytes(
        {"path": ["../../etc/passwd"], "oid": [OID_A], "size": [1], "executable": [False]},
        GOOD_META,
    )
    with pytest.raises(ManifestError, match="unsafe path"):
        manifests.decode(data)


def test_parquet_manifest_of_an_unknown_version_is_refused() -> None:
    data = parquet_bytes(
        {"path": ["a"], "oid": [OID_A], "size": [1], "executable": [False]},
        {**GOOD_META, "gitmodel.manifest.version": "2"},
    )
    with pytest.raises(ManifestError, match="unsupported manifest version"):
        manifests.decode(data)


def test_parquet_manifest_with_a_missing_column_is_refused() -> None:
    data = parquet_bytes({"path": ["a"], "oid": [OID_A], "size": [1]}, GOOD_META)
    with pytest.raises(ManifestError, match="malformed Parquet manifest"):
        manifests.decode(data)


def test_unreadable_parquet_is_refused() -> None:
    with pytest.raises(ManifestError, match="unreadable Parquet manifest"):
        manifests.decode(b"PAR1 this is not parquet at all PAR1")


def test_store_and_load_through_the_cache(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    manifest = big_manifest(4)
    oid, size = manifests.store(cache, manifest)
    assert oid == hash_bytes(to_json_bytes(manifest))
    assert size == len(to_json_bytes(manifest))
    assert manifests.load(cache, "blake3", oid) == manifest


def test_load_refuses_a_manifest_whose_hash_differs_from_the_pointer(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    data = to_json_bytes(big_manifest(2, "md5"))
    oid = cache.add_bytes(data, "blake3")
    with pytest.raises(ManifestError, match="manifest hash 'md5' differs from 'blake3'"):
        manifests.load(cache, "blake3", oid)


def test_load_refuses_a_corrupt_manifest_object(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    oid, _ = manifests.store(cache, big_manifest(2))
    path = cache.path("blake3", oid)
    path.chmod(0o644)
    path.write_bytes(path.read_bytes().replace(b"shard", b"shart"))
    with pytest.raises(CorruptObjectError):
        manifests.load(cache, "blake3", oid)


# ---------------------------------------------------------------- properties

# A safe segment: non-empty, no '/', '\\' or NUL, not '.' or '..'.
segment = st.text(
    alphabet=st.characters(blacklist_characters="/\\\x00", blacklist_categories=("Cs",)),
    min_size=1,
    max_size=8,
).filter(lambda s: s not in (".", ".."))
safe_paths = st.lists(segment, min_size=1, max_size=5).map("/".join)


@settings(max_examples=100)
@given(safe_paths)
def test_property_safe_paths_are_accepted(path: str) -> None:
    assume(not (len(path) >= 2 and path[1] == ":" and path[0].isascii() and path[0].isalpha()))
    assert check_relative_path(path) == path


@settings(max_examples=100)
@given(st.lists(segment, max_size=4), st.lists(segment, max_size=4))
def test_property_paths_with_a_dotdot_segment_are_refused(
    before: list[str], after: list[str]
) -> None:
    with pytest.raises(ManifestError):
        check_relative_path("/".join([*before, "..", *after]))


@settings(max_examples=100)
@given(safe_paths, st.sampled_from(["/", "//", "./", "../", "C:", "\\", "\x00"]))
def test_property_unsafe_prefixes_are_refused(path: str, prefix: str) -> None:
    with pytest.raises(ManifestError):
        check_relative_path(prefix + path)


@settings(max_examples=60)
@given(
    st.dictionaries(
        safe_paths.filter(lambda p: ":" not in p[:2]),
        st.tuples(st.integers(min_value=0, max_value=2**63 - 1), st.booleans()),
        max_size=8,
    )
)
def test_property_json_round_trip(files: dict[str, tuple[int, bool]]) -> None:
    entries = [Entry(p, OID_A, size, x) for p, (size, x) in files.items()]
    try:
        manifest = make_manifest("blake3", entries)
    except ManifestError as error:
        assume("both a file and a directory" not in str(error))
        raise
    data = to_json_bytes(manifest)
    assert from_json_bytes(data) == manifest
    assert to_json_bytes(from_json_bytes(data)) == data


@settings(max_examples=150)
@given(st.binary(max_size=200))
def test_property_arbitrary_bytes_raise_only_manifest_error(data: bytes) -> None:
    with contextlib.suppress(ManifestError):
        from_json_bytes(data)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=12,
)


@settings(max_examples=60)
@given(json_values, json_values)
def test_property_arbitrary_json_documents_raise_only_manifest_error(
    algo: object, entries: object
) -> None:
    for doc in (
        {"version": 1, "hash": algo, "entries": entries},
        {"version": 1, "hash": "blake3", "entries": [entries]},
        {"version": 1, "hash": "blake3", "entries": [["a", OID_A, entries, entries]]},
    ):
        with contextlib.suppress(ManifestError):
            from_json_bytes(json.dumps(doc).encode())


def _entry_by_entry(algo: str, entries: list[Entry]) -> Manifest:
    """make_manifest without its all-at-once check: the reference it must agree with."""
    import gitmodel.manifest as manifest_mod

    original = manifest_mod._all_sound
    manifest_mod._all_sound = lambda *args: False  # type: ignore[assignment]
    try:
        return make_manifest(algo, entries)
    finally:
        manifest_mod._all_sound = original


# Paths from a small alphabet that hits every rule: separators, dots, drive letters,
# backslashes, NUL, newlines.
tricky_paths = st.text(alphabet="ab./\\:C\x00\n", max_size=7)
# Mostly valid, so that the path rules and the rules across entries get exercised.
tricky_oids = st.sampled_from([OID_A] * 6 + ["A" * 64, "a" * 63, f"{OID_A}\n{OID_B}", ""])
tricky_sizes = st.sampled_from([0, 1, 2**40] * 3 + [-1, True, 1.0])


@settings(max_examples=1000)
@given(st.lists(st.tuples(tricky_paths, tricky_oids, tricky_sizes), max_size=5))
@example([("a", OID_A, 1), ("a", OID_A, 1)])  # duplicate
@example([("a", OID_A, 1), ("a/b", OID_A, 1)])  # a file and a directory
@example([("a/b/c", OID_A, 1), ("a/b", OID_A, 1), ("a.b", OID_A, 1)])  # nested
@example([("a/b", OID_A, 1), ("a-b", OID_A, 1), ("a.b/c", OID_A, 1)])  # fine
@example([("a/", OID_A, 1)])
@example([("a\n", OID_A, 1), ("a/\n", OID_A, 1)])
def test_property_the_fast_check_accepts_exactly_what_the_entry_by_entry_check_accepts(
    items: list[tuple[str, str, object]],
) -> None:
    entries = [Entry(p, o, s, False) for p, o, s in items]  # type: ignore[arg-type]
    try:
        expected: Manifest | ManifestError = _entry_by_entry("blake3", entries)
    except ManifestError as exc:
        expected = exc
    try:
        got: Manifest | ManifestError = make_manifest("blake3", entries)
    except ManifestError as exc:
        got = exc
    assert type(got) is type(expected) and str(got) == str(expected)


def test_fast_json_parse_gives_the_same_manifest_and_errors_as_the_careful_one() -> None:
    good = [["a/b", OID_A, 3, 1], ["a/c", OID_B, 0, 0]]
    assert from_json_bytes(json_doc(good)) == make_manifest(
        "blake3", [Entry("a/b", OID_A, 3, True), Entry("a/c", OID_B, 0, False)]
    )
    with pytest.raises(ManifestError, match="malformed entry"):
        from_json_bytes(json_doc([["a/b", OID_A, 3, 1], [1, OID_B, 0, 0]]))
    with pytest.raises(ManifestError, match=r"unsafe path '\.\./x'"):
        from_json_bytes(json_doc([["../x", OID_A, 3, 1]]))
