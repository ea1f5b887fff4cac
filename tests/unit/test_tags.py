"""Registry tag grammar (docs/registry-tags.md): GTO-compatible parsing and formatting."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gitmodel.errors import RegistryError, UsageError
from gitmodel.tags import (
    FIRST_VERSION,
    Action,
    ArtifactName,
    Assign,
    Deprecate,
    Deregister,
    Register,
    Shortcut,
    TagEvent,
    Unassign,
    Version,
    bump,
    compare_versions,
    format_tag,
    next_counter,
    next_version,
    parse_name,
    parse_shortcut,
    parse_tag,
    parse_version,
    try_parse_tag,
    validate_name,
    validate_stage,
)

V = parse_version

# ---------------------------------------------------------------- names


@pytest.mark.parametrize(
    "name",
    [
        # from GTO's tests/test_constants.py
        "1",
        "m",
        "nn",
        "m1",
        "1nn",
        "model-prod",
        "model-prod-v1",
        "model_prod_v1",
        "dvclive/model",
        "model_A",
        "DVCLive/Model",
        # dir: prefixes, also from GTO's tests
        "dvclive:model",
        "some/folder:some/model",
        "some/Other_Folder:some/model",
        # ours
        "a-b_c/D9",
        "x.:m",
        "x/:m",
        "-:m",
        "a.b.c/d_e-f:g",
    ],
)
def test_validate_name_accepts_gto_names(name: str) -> None:
    assert validate_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        # from GTO's tests/test_constants.py
        "",
        "m/",
        "/m",
        "###",
        "@@@",
        "a model",
        "_model",
        "-model",
        "model-",
        "model@1",
        "model#1",
        "@namespace/model",
        # ours
        "model_",
        "model.pkl",
        "dir=model",
        "a:b:c",
        ":model",
        "dir:",
        "dir:_m",
        "mödel",
        "model\n",
        "m!",
        "m~1",
    ],
)
def test_validate_name_refuses_names_outside_gto_grammar(name: str) -> None:
    with pytest.raises(UsageError, match="artifact name"):
        validate_name(name)


@pytest.mark.parametrize("name", ["a//b", "./x:m", "a/.b:m", "a..b:m", "a.lock/b:m", "/x:m"])
def test_validate_name_refuses_names_git_cannot_store_in_a_tag(name: str) -> None:
    with pytest.raises(UsageError, match="Git tag"):
        validate_name(name)


def test_parse_name_splits_dir_prefix() -> None:
    assert parse_name("some/folder:some/model") == ArtifactName("some/model", "some/folder")
    assert parse_name("model") == ArtifactName("model")


def test_artifact_name_writes_dir_prefix_with_equals_in_tags() -> None:
    name = parse_name("some/folder:some/model")
    assert str(name) == "some/folder:some/model"
    assert name.in_tag == "some/folder=some/model"
    assert parse_name("model").in_tag == "model"


def test_artifact_name_refuses_invalid_parts() -> None:
    with pytest.raises(UsageError):
        ArtifactName("bad name")
    with pytest.raises(UsageError):
        ArtifactName("m", dirname="")
    with pytest.raises(UsageError):
        ArtifactName("m", dirname="a:b")


@pytest.mark.parametrize("stage", ["prod", "Prod", "p", "1", "staging-eu", "env/prod", "a_b"])
def test_validate_stage_accepts_name_grammar(stage: str) -> None:
    assert validate_stage(stage) == stage


@pytest.mark.parametrize(
    "stage", ["", "-prod", "prod-", "pr od", "pr!od", "pr#od", "pr@od", "p.q", "d:p", "a//b"]
)
def test_validate_stage_refuses_others(stage: str) -> None:
    with pytest.raises(UsageError, match="stage name"):
        validate_stage(stage)


# ---------------------------------------------------------------- versions


@pytest.mark.parametrize(
    "text",
    [
        "v0.1.2",
        "v3.4.5-pre.2+build.4",
        "v3.4.5-pre.2-build.4",
        "v0.0.0",
        "v10.20.30",
        "v1.0.0-0",
        "v1.0.0-alpha.beta",
        "v1.0.0-x-y.0a",
        "v1.0.0+001",
        "v1.0.0-rc.1+build.5.sha-abc",
    ],
)
def test_parse_version_accepts_semver_with_v(text: str) -> None:
    assert str(parse_version(text)) == text


@pytest.mark.parametrize(
    "text",
    [
        # from GTO's tests/test_versions.py
        "1",
        "v1",
        "v1.2",
        "0.1.2",
        "3.4.5-pre.2+build.4",
        # ours
        "V1.2.3",
        "v01.2.3",
        "v1.02.3",
        "v1.2.03",
        "v1.2.3-01",
        "v1.2.3-",
        "v1.2.3-a..b",
        "v1.2.3+",
        "v1.2.3+a+b",
        "v1.2.3.4",
        "v-1.2.3",
        "v1.2.3 ",
        "v1.2.\u0663",
        "latest",
    ],
)
def test_parse_version_refuses_non_semver(text: str) -> None:
    with pytest.raises(UsageError, match="not SemVer"):
        parse_version(text)


def test_version_fields() -> None:
    v = V("v1.2.3-rc.1+b.7")
    assert (v.major, v.minor, v.patch, v.prerelease, v.build) == (1, 2, 3, ("rc", "1"), ("b", "7"))


def test_version_refuses_invalid_fields() -> None:
    with pytest.raises(UsageError):
        Version(-1, 0, 0)
    with pytest.raises(UsageError):
        Version(1, 0, 0, prerelease=("01",))
    with pytest.raises(UsageError):
        Version(1, 0, 0, build=("a b",))


def test_versions_sort_by_semver_precedence() -> None:
    # the example list of semver.org §11
    ordered = [
        "v1.0.0-alpha",
        "v1.0.0-alpha.1",
        "v1.0.0-alpha.beta",
        "v1.0.0-beta",
        "v1.0.0-beta.2",
        "v1.0.0-beta.11",
        "v1.0.0-rc.1",
        "v1.0.0",
        "v1.0.1",
        "v1.1.0",
        "v1.10.0",
        "v2.0.0",
    ]
    assert [str(v) for v in sorted(V(t) for t in reversed(ordered))] == ordered


def test_version_comparisons_from_gto() -> None:
    assert V("v1.3.2") < V("v1.3.3")
    assert V("v1.2.4") == V("v1.2.4")
    assert V("v1.3.4") < V("v2.0.0")


def test_build_metadata_is_ignored_by_precedence_but_not_by_equality() -> None:
    a, b = V("v1.0.0+a"), V("v1.0.0+b")
    assert a != b
    assert not a < b and not b < a
    assert a <= b and b >= a
    assert compare_versions(a, b) == 0
    assert compare_versions(V("v1.0.0"), V("v1.0.1")) == -1
    assert compare_versions(V("v2.0.0"), V("v1.9.9")) == 1


@pytest.mark.parametrize(
    ("start", "part", "expected"),
    [
        ("v1.3.4", "major", "v2.0.0"),
        ("v1.3.4", "minor", "v1.4.0"),
        ("v1.3.4", "patch", "v1.3.5"),
        ("v1.3.4-rc.1+b", "patch", "v1.3.5"),
        ("v0.1.0", "minor", "v0.2.0"),
    ],
)
def test_bump(start: str, part: str, expected: str) -> None:
    assert bump(V(start), part) == V(expected)  # type: ignore[arg-type]


def test_bump_refuses_unknown_part() -> None:
    with pytest.raises(UsageError, match="major, minor, patch"):
        bump(V("v1.0.0"), "micro")  # type: ignore[arg-type]


def test_first_version_is_v0_1_0_and_later_ones_bump_minor_by_default() -> None:
    assert V("v0.1.0") == FIRST_VERSION
    assert next_version(None) == V("v0.1.0")
    assert next_version(V("v0.1.0")) == V("v0.2.0")
    assert next_version(V("v0.1.0"), "major") == V("v1.0.0")


# ---------------------------------------------------------------- tags

EXAMPLES: list[tuple[str, TagEvent]] = [
    ("churn@v1.2.0", Register("churn", V("v1.2.0"))),
    ("churn@v1.2.0#4", Register("churn", V("v1.2.0"), 4)),
    ("churn@v1.2.0!", Deregister("churn", V("v1.2.0"))),
    ("churn@v1.2.0!#5", Deregister("churn", V("v1.2.0"), 5)),
    ("churn#prod", Assign("churn", "prod")),
    ("churn#prod#3", Assign("churn", "prod", 3)),
    ("churn#prod!", Unassign("churn", "prod")),
    ("churn#prod!#6", Unassign("churn", "prod", 6)),
    ("churn@deprecated", Deprecate("churn")),
    ("churn@deprecated#7", Deprecate("churn", 7)),
    ("models/dir=churn#prod#2", Assign("models/dir:churn", "prod", 2)),
    ("a.b/C_d=x/y@v0.1.0-rc.1+sha.5#1", Register("a.b/C_d:x/y", V("v0.1.0-rc.1+sha.5"), 1)),
    ("m#1", Assign("m", "1")),
    ("m#1#2", Assign("m", "1", 2)),
    ("m#deprecated", Assign("m", "deprecated")),
    ("m#0#0", Assign("m", "0", 0)),
    ("Model_A#Prod/EU#12", Assign("Model_A", "Prod/EU", 12)),
]


@pytest.mark.parametrize(("text", "event"), EXAMPLES, ids=[t for t, _ in EXAMPLES])
def test_parse_tag_reads_each_event_kind(text: str, event: TagEvent) -> None:
    assert parse_tag(text) == event


@pytest.mark.parametrize(("text", "event"), EXAMPLES, ids=[t for t, _ in EXAMPLES])
def test_format_tag_writes_each_event_kind(text: str, event: TagEvent) -> None:
    assert format_tag(event) == text


def test_events_know_their_action() -> None:
    actions = {type(e).__name__: e.action for _, e in EXAMPLES}
    assert actions == {
        "Register": Action.REGISTER,
        "Deregister": Action.DEREGISTER,
        "Assign": Action.ASSIGN,
        "Unassign": Action.UNASSIGN,
        "Deprecate": Action.DEPRECATE,
    }


@pytest.mark.parametrize(
    "text",
    # the valid tags of GTO's tests/test_tag.py
    [
        "nn#prod",
        "nn#prod!",
        "nn#prod#1",
        "nn@v1.0.0",
        "nn#prod!#2",
        "nn@v1.0.0!",
        "nn@v1.0.0#1",
        "nn@v1.0.0!#1",
        "nn@v1.0.0-rc.2",
        "nn@v1.0.0-alpha",
        "nn@v1.0.0-alpha.1",
        "nn@v1.0.0-alpha.beta",
        "new-artifact@v1.0.1!",
        "path@v1.2.3",
        "path@v1.2.3#5",
        "path#stage!#2",
    ],
)
def test_parse_tag_reads_gto_tags_and_formats_them_back(text: str) -> None:
    assert format_tag(parse_tag(text)) == text


def test_parse_tag_matches_gto_parse_name_examples() -> None:
    assert parse_tag("path@v1.2.3#5") == Register("path", V("v1.2.3"), 5)
    assert parse_tag("path@v1.2.3!#2") == Deregister("path", V("v1.2.3"), 2)
    assert parse_tag("path#stage#1") == Assign("path", "stage", 1)
    assert parse_tag("path#stage!#2") == Unassign("path", "stage", 2)


@pytest.mark.parametrize(
    "text",
    [
        # the invalid tags of GTO's tests/test_tag.py
        "",
        "###",
        "@@@",
        "model@v1",
        "nn#prod#-1",
        "model@v111",
        "model-prod",
        "model@0.0.1",
        "model-prod-v1",
        "model#prod#-1",
        "model#prod#1-2",
        "model#prod?#1-2",
        "model#prod@v1.2.3",
        "model@v1.2.3#prod",
        "model-prod-v1-stage",
        "model@prod@v1@stage-1",
        "namespace/model@0.0.1",
        "@namespace/model@0.0.1",
        "model#prod#v1#stage#1-",
        "model#prod-v1-stage@1-2",
        "model#prod-v1-stage@1-2#@",
        # ours
        "v1.0.0",
        "m@v1.0.0\n",
        " m@v1.0.0",
        "m@V1.0.0",
        "m@v1.0.0!!",
        "m@v1.0.0#",
        "m@v1.0.0#1#2",
        "m@deprecated!",
        "m@latest",
        "m@greatest",
        "m#prod#1!",
        "m#",
        "m#!",
        "m@",
        "dir:m@v1.0.0",
        "a=b=c@v1.0.0",
        "=m@v1.0.0",
        "m_@v1.0.0",
        "m@v1.2.\u0663",
        "m#prod#\u0663",
        "a//b@v1.0.0",
        "./x=m@v1.0.0",
        "a..b=m@v1.0.0",
        "m@v1.0.0-x.lock",
        "m#a//b",
    ],
)
def test_parse_tag_refuses_text_outside_the_grammar(text: str) -> None:
    with pytest.raises(RegistryError, match="not a registry tag"):
        parse_tag(text)
    assert try_parse_tag(text) is None


@pytest.mark.parametrize("text", ["m@created", "m@created#3", "d=m@created"])
def test_parse_tag_refuses_gto_reserved_created_form(text: str) -> None:
    with pytest.raises(RegistryError, match="created"):
        parse_tag(text)
    assert try_parse_tag(text) is None


def test_parse_tag_error_is_one_line() -> None:
    with pytest.raises(RegistryError) as info:
        parse_tag("bad\nname")
    assert "\n" not in str(info.value).replace("\\n", "")


def test_parse_tag_reads_counter_with_leading_zeros_as_a_number() -> None:
    assert parse_tag("m#prod#007") == Assign("m", "prod", 7)
    assert format_tag(parse_tag("m#prod#007")) == "m#prod#7"


def test_events_refuse_invalid_fields() -> None:
    with pytest.raises(UsageError):
        Register("bad name", V("v1.0.0"))
    with pytest.raises(UsageError):
        Assign("m", "bad stage")
    with pytest.raises(UsageError):
        Assign("m", "prod", -1)
    with pytest.raises(UsageError):
        Deprecate("dir=m")


def test_event_whose_tag_git_would_refuse_cannot_be_built() -> None:
    with pytest.raises(UsageError, match="cannot be a Git tag"):
        Register("m", V("v1.0.0-x.lock"))
    # the same version is fine where the tag does not end with '.lock'
    assert format_tag(Register("m", V("v1.0.0-x.lock"), 1)) == "m@v1.0.0-x.lock#1"


def test_events_are_frozen_and_hashable() -> None:
    event = Assign("m", "prod", 1)
    with pytest.raises(AttributeError):
        event.stage = "dev"  # type: ignore[misc]
    assert len({event, Assign("m", "prod", 1)}) == 1


def test_next_counter_counts_per_artifact_across_stages_and_kinds() -> None:
    events: list[TagEvent] = [
        Register("m", V("v0.1.0")),
        Assign("m", "dev", 1),
        Assign("m", "prod", 2),
        Unassign("m", "dev", 3),
        Register("m", V("v0.2.0"), 4),
        Assign("other", "prod", 9),
        Assign("d:m", "prod", 11),
    ]
    assert next_counter(events, "m") == 5
    assert next_counter(events, "other") == 10
    assert next_counter(events, "d:m") == 12
    assert next_counter(events, "new") == 1
    assert next_counter([Register("m", V("v0.1.0"))], "m") == 1


# ---------------------------------------------------------------- shortcuts


@pytest.mark.parametrize(
    ("text", "shortcut"),
    [
        ("churn@latest", Shortcut("churn", latest=True)),
        ("churn@greatest", Shortcut("churn", latest=True)),
        ("churn#prod", Shortcut("churn", stage="prod")),
        ("churn@v1.2.0", Shortcut("churn", version=V("v1.2.0"))),
        ("dir/a:m/n@latest", Shortcut("dir/a:m/n", latest=True)),
        ("dir:m#Prod_EU", Shortcut("dir:m", stage="Prod_EU")),
        ("m@v1.0.0-rc.1+b", Shortcut("m", version=V("v1.0.0-rc.1+b"))),
    ],
)
def test_parse_shortcut(text: str, shortcut: Shortcut) -> None:
    assert parse_shortcut(text) == shortcut


@pytest.mark.parametrize(
    "text",
    [
        "churn",
        "HEAD",
        "HEAD~1",
        "main@{1}",
        "@",
        "v1.2.0",
        "abc123",
        "churn@v1.2",
        "churn@1.2.0",
        "churn#prod#3",
        "churn#prod!",
        "churn@v1.2.0!",
        "churn@deprecated",
        "churn@LATEST",
        "dir=m@latest",
        "a//b@latest",
        "churn@latest\n",
    ],
)
def test_parse_shortcut_returns_none_for_plain_revisions(text: str) -> None:
    assert parse_shortcut(text) is None


@pytest.mark.parametrize("text", ["churn@latest", "churn#prod", "d:churn@v1.2.0"])
def test_shortcut_str_is_its_text(text: str) -> None:
    assert str(parse_shortcut(text)) == text


def test_shortcut_names_exactly_one_target() -> None:
    with pytest.raises(UsageError):
        Shortcut("m")
    with pytest.raises(UsageError):
        Shortcut("m", stage="prod", latest=True)
    with pytest.raises(UsageError):
        Shortcut("m", version=V("v1.0.0"), stage="prod")


# ---------------------------------------------------------------- Git agrees


def test_formatted_tags_are_refs_git_accepts() -> None:
    for text, _ in EXAMPLES:
        assert _git_accepts_tag(text), text


# ---------------------------------------------------------------- properties

_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_alnum = st.sampled_from(_ALNUM)
_segment = st.text(alphabet=_ALNUM + "-_", min_size=1, max_size=6)


@st.composite
def names(draw: st.DrawFn) -> str:
    """A name proper: alnum at both ends, '-', '_' and single '/' inside."""
    first = draw(_alnum)
    if draw(st.booleans()):
        return first
    middle = draw(st.lists(_segment, max_size=3).map("/".join))
    return first + middle + draw(_alnum)


@st.composite
def dirnames(draw: st.DrawFn) -> str:
    """A dir prefix that Git can store: components never start with '.' nor end '.lock'."""
    part = st.text(alphabet=_ALNUM + "-_.", min_size=1, max_size=6).filter(
        lambda p: not p.startswith(".") and not p.endswith(".lock") and ".." not in p
    )
    text = "/".join(draw(st.lists(part, min_size=1, max_size=3)))
    return text + "/" if draw(st.booleans()) else text


full_names = st.one_of(names(), st.builds(lambda d, n: f"{d}:{n}", dirnames(), names()))
stages = names()
counters = st.none() | st.integers(min_value=0, max_value=10**6)

_numeric_id = st.integers(min_value=0, max_value=999).map(str)
# "lock" is left out: a tag ending ".lock" is one Git refuses (tested by example above).
_alpha_id = st.from_regex(r"[0-9]*[A-Za-z-][0-9A-Za-z-]*", fullmatch=True).filter(
    lambda s: s.isascii() and len(s) < 8 and s != "lock"
)
versions = st.builds(
    Version,
    st.integers(0, 50),
    st.integers(0, 50),
    st.integers(0, 50),
    st.lists(_numeric_id | _alpha_id, max_size=3).map(tuple),
    st.lists(
        st.text(alphabet=_ALNUM + "-", min_size=1, max_size=5).filter(lambda s: s != "lock"),
        max_size=2,
    ).map(tuple),
)


@st.composite
def events(draw: st.DrawFn) -> TagEvent:
    artifact, counter = draw(full_names), draw(counters)
    kind = draw(st.sampled_from(list(Action)))
    if kind is Action.REGISTER:
        return Register(artifact, draw(versions), counter)
    if kind is Action.DEREGISTER:
        return Deregister(artifact, draw(versions), counter)
    if kind is Action.ASSIGN:
        return Assign(artifact, draw(stages), counter)
    if kind is Action.UNASSIGN:
        return Unassign(artifact, draw(stages), counter)
    return Deprecate(artifact, counter)


@given(events())
def test_parse_inverts_format_for_every_valid_event(event: TagEvent) -> None:
    assert parse_tag(format_tag(event)) == event


@given(events())
def test_format_inverts_parse_for_every_formatted_tag(event: TagEvent) -> None:
    text = format_tag(event)
    assert format_tag(parse_tag(text)) == text


@given(full_names)
def test_generated_names_are_valid_and_round_trip(name: str) -> None:
    assert validate_name(name) == name
    assert str(parse_name(name)) == name
    assert parse_shortcut(f"{name}@latest") == Shortcut(name, latest=True)


_BAD_CHARS = st.sampled_from([*" !\"#$%&'()*+,;<=>?@[\\]^`{|}~.\t\n", "é", "\u0663", "/"])


@given(names(), _BAD_CHARS, st.data())
def test_names_with_a_foreign_character_are_refused(
    name: str, bad: str, data: st.DataObject
) -> None:
    where = data.draw(st.integers(0, len(name)))
    broken = name[:where] + bad + name[where:]
    assume(bad != "/" or where in (0, len(name)) or "/" in name[where - 1 : where + 1])
    with pytest.raises(UsageError):
        validate_name(broken)
    with pytest.raises(UsageError):
        validate_stage(broken)


@given(names(), st.sampled_from(["-", "_", "/"]), st.booleans())
def test_names_must_start_and_end_with_letter_or_digit(name: str, edge: str, front: bool) -> None:
    broken = edge + name if front else name + edge
    with pytest.raises(UsageError):
        validate_name(broken)


@given(st.text(alphabet=_ALNUM[:4] + _ALNUM[-3:] + "-_./=@#!+:v ", max_size=24))
def test_any_tag_that_parses_names_a_valid_artifact_and_formats_back(text: str) -> None:
    event = try_parse_tag(text)
    if event is None:
        return
    validate_name(event.artifact)
    assert parse_tag(format_tag(event)) == event


@given(versions, versions)
def test_version_order_is_total_on_precedence(a: Version, b: Version) -> None:
    assert (a < b) + (a > b) + (a.precedence == b.precedence) == 1
    assert compare_versions(a, b) == -compare_versions(b, a)
    assert parse_version(str(a)) == a


@given(versions, st.sampled_from(["major", "minor", "patch"]))
def test_bump_always_increases_precedence(v: Version, part: str) -> None:
    assert bump(v, part) > v  # type: ignore[arg-type]


@given(events(), st.data())
def test_a_one_character_mutation_of_a_tag_either_fails_or_round_trips(
    event: TagEvent, data: st.DataObject
) -> None:
    text = format_tag(event)
    where = data.draw(st.integers(0, len(text) - 1))
    mutated = text[:where] + data.draw(st.sampled_from("a0-_./=@#!+:")) + text[where + 1 :]
    parsed = try_parse_tag(mutated)
    if parsed is not None:
        assert parse_tag(format_tag(parsed)) == parsed


def _git_accepts_tag(tag: str) -> bool:
    result = subprocess.run(
        ["git", "check-ref-format", f"refs/tags/{tag}"], capture_output=True, check=False
    )
    return result.returncode == 0


@settings(max_examples=60, deadline=None)
@given(events())
def test_git_accepts_every_formatted_tag(event: TagEvent) -> None:
    assert _git_accepts_tag(format_tag(event))


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="ab.-_/", min_size=1, max_size=10))
def test_dir_prefix_is_accepted_exactly_when_git_accepts_the_tag(dirname: str) -> None:
    try:
        validate_name(f"{dirname}:m")
    except UsageError:
        accepted = False
    else:
        accepted = True
    assert accepted == _git_accepts_tag(f"{dirname}=m@v1.0.0")
