"""The registry fold (gitmodel.registry_state): tag messages, event order, state."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitmodel.errors import RegistryError
from gitmodel.registry_state import (
    TRAILER,
    ArtifactState,
    Event,
    event_from_tag,
    fold,
    fold_artifact,
    format_message,
    parse_message,
    sorted_versions,
)
from gitmodel.services.registry import rollback_target
from gitmodel.tags import parse_tag

C1, C2, C3, C4 = ("1" * 40, "2" * 40, "3" * 40, "4" * 40)


def ev(tag: str, commit: str, ts: int = 1000, **fields: Any) -> Event:
    return Event(tag, parse_tag(tag), commit, ts, "Ann <ann@example.com>", tag, "", fields)


def state_of(*events: Event, name: str = "churn") -> ArtifactState:
    state, _ = fold_artifact(name, events)
    return state


def stage_versions(art: ArtifactState) -> dict[str, str]:
    return {stage: step.label for stage, step in art.stages.items()}


# ---------------------------------------------------------------- messages


def test_message_round_trips_summary_note_and_fields() -> None:
    fields = {"event": "register", "version": "v0.1.0", "metrics": {"acc": 0.91}}
    text = format_message("Register churn v0.1.0", "retrained\n\non March data", fields)
    summary, note, parsed = parse_message(text)
    assert summary == "Register churn v0.1.0"
    assert note == "retrained\n\non March data"
    assert parsed == {"format": 1, **fields}
    assert text.endswith("\n") and text.splitlines()[-1].startswith(TRAILER)


def test_message_trailer_is_one_line_even_with_newlines_in_values() -> None:
    text = format_message("s", None, {"path": "a\nb"})
    assert len(text.splitlines()) == 3
    assert parse_message(text)[2]["path"] == "a\nb"


def test_gto_message_has_no_fields_and_keeps_its_text() -> None:
    summary, note, fields = parse_message("Registering artifact churn version v0.0.1\n")
    assert (summary, note, fields) == ("Registering artifact churn version v0.0.1", "", {})


@pytest.mark.parametrize(
    "text",
    [
        "x\n\nGitmodel: {not json}\n",
        'x\n\nGitmodel: {"format": 99}\n',
        'x\n\nGitmodel: ["format", 1]\n',
        'x\n\nGitmodel: {"format":1}\n\nsomething after it\n',
    ],
)
def test_a_trailer_that_is_broken_or_not_last_is_plain_text(text: str) -> None:
    assert parse_message(text)[2] == {}


def test_a_note_quoting_a_trailer_does_not_confuse_the_parser() -> None:
    note = 'Gitmodel: {"format":1,"version":"v9.9.9"}'
    text = format_message("s", note, {"version": "v1.0.0"})
    _, parsed_note, fields = parse_message(text)
    assert parsed_note == note and fields["version"] == "v1.0.0"


# ---------------------------------------------------------------- reading tags


@pytest.mark.parametrize("name", ["v1.0.0", "release-2024", "main"])
def test_tags_outside_the_grammar_are_not_events(name: str) -> None:
    assert event_from_tag(name, C1, 0, "", "") is None


def test_gto_created_tags_record_nothing() -> None:
    assert event_from_tag("churn@created", C1, 0, "", "") is None


@pytest.mark.parametrize("name", ["churn@1.0", "churn#prod#x", "churn@v1.0"])
def test_malformed_registry_looking_tags_raise_for_the_caller_to_report(name: str) -> None:
    with pytest.raises(RegistryError):
        event_from_tag(name, C1, 0, "", "")


# ---------------------------------------------------------------- order


def test_events_in_the_same_second_are_ordered_by_n_not_by_input_order() -> None:
    events = [
        ev("churn@v0.1.0", C1, seq=0),
        ev("churn@v0.2.0", C2, seq=0),
        ev("churn#prod#1", C1),
        ev("churn#prod#2", C2),
        ev("churn#prod#3", C1, rollback_from="v0.2.0"),
    ]
    for _ in range(20):
        random.shuffle(events)
        art = state_of(*events)
        assert [s.event.tag for s in art.history][-3:] == [
            "churn#prod#1",
            "churn#prod#2",
            "churn#prod#3",
        ]
        assert stage_versions(art) == {"prod": "v0.1.0"}


def test_n_wins_over_timestamps_that_disagree() -> None:
    art = state_of(
        ev("churn@v0.1.0", C1, ts=100),
        ev("churn@v0.2.0", C2, ts=100),
        ev("churn#prod#1", C1, ts=500),  # clocks of two machines disagree
        ev("churn#prod#2", C2, ts=200),
    )
    assert stage_versions(art) == {"prod": "v0.2.0"}


def test_gitmodel_register_is_placed_by_its_seq() -> None:
    art = state_of(
        ev("churn@v0.1.0", C1, ts=100, seq=0),
        ev("churn#prod#1", C1, ts=100),
        ev("churn@v0.2.0", C2, ts=100, seq=1),
        ev("churn#prod#2", C2, ts=100),
    )
    assert [s.event.tag for s in art.history] == [
        "churn@v0.1.0",
        "churn#prod#1",
        "churn@v0.2.0",
        "churn#prod#2",
    ]


def test_foreign_tags_without_n_are_placed_after_ns_of_strictly_earlier_seconds() -> None:
    art = state_of(
        ev("churn@v0.0.1", C1, ts=100),  # GTO: register, then assign in the same second
        ev("churn#prod#1", C1, ts=100),
        ev("churn@v0.0.2", C2, ts=101),
        ev("churn#prod#2", C2, ts=105),
        ev("churn@deprecated", C2, ts=106),
    )
    assert [s.event.tag for s in art.history] == [
        "churn@v0.0.1",
        "churn#prod#1",
        "churn@v0.0.2",
        "churn#prod#2",
        "churn@deprecated",
    ]
    assert art.deprecated


def test_registrations_in_one_place_are_ordered_by_semver() -> None:
    art = state_of(
        ev("churn@v0.10.0", C2, seq=0),
        ev("churn@v0.9.0", C1, seq=0),
    )
    assert [s.version for s in art.history] == ["v0.9.0", "v0.10.0"]


def test_two_tags_with_the_same_n_are_ordered_deterministically_and_reported() -> None:
    events = [
        ev("churn@v0.1.0", C1, seq=0),
        ev("churn@v0.2.0", C2, seq=0),
        ev("churn#prod#1", C1, ts=100),
        ev("churn#staging#1", C2, ts=100),  # made in another clone before a pull
        ev("churn#prod#2", C2, ts=100),
    ]
    seen = set()
    for _ in range(10):
        random.shuffle(events)
        art, problems = fold_artifact("churn", events)
        seen.add(tuple(s.event.tag for s in art.history))
        assert any("share N=1" in p for p in problems)
    assert len(seen) == 1


# ---------------------------------------------------------------- state


def test_latest_is_the_highest_semver_among_registered_versions() -> None:
    art = state_of(
        ev("churn@v0.9.0", C1),
        ev("churn@v0.10.0", C2),
        ev("churn@v1.0.0-rc.1", C3),
        ev("churn@v0.11.0", C4),
        ev("churn@v0.11.0!", C4, ts=2000),
    )
    assert art.latest is not None and art.latest.version == "v1.0.0-rc.1"
    assert [v.version for v in sorted_versions(art)][:2] == ["v1.0.0-rc.1", "v0.11.0"]
    assert art.highest_ever is not None and str(art.highest_ever) == "v1.0.0-rc.1"


def test_deregistered_versions_are_not_latest_and_can_be_registered_again() -> None:
    art = state_of(
        ev("churn@v0.1.0", C1),
        ev("churn@v0.2.0", C2),
        ev("churn@v0.2.0!#1", C2),
    )
    assert art.latest is not None and art.latest.version == "v0.1.0"
    assert not art.versions["v0.2.0"].registered
    again = state_of(*art_events(art), ev("churn@v0.2.0#2", C2))
    assert again.latest is not None and again.latest.version == "v0.2.0"


def art_events(art: ArtifactState) -> list[Event]:
    return [s.event for s in art.history]


def test_no_latest_without_registrations() -> None:
    assert state_of(ev("churn#prod#1", C1)).latest is None


def test_an_assignment_is_read_as_the_version_registered_at_its_commit() -> None:
    art = state_of(ev("churn@v0.1.0", C1), ev("churn#prod#1", C1))
    assert art.stages["prod"].version == "v0.1.0"


def test_an_assignment_of_an_unregistered_commit_is_shown_by_commit() -> None:
    art = state_of(ev("churn#prod#1", C3))
    assert art.stages["prod"].version is None
    assert art.stages["prod"].label == C3[:7]


def test_the_message_settles_a_commit_with_several_versions() -> None:
    both = [ev("churn@v1.0.0", C1), ev("churn@v1.0.0+b2", C1)]
    art, problems = fold_artifact("churn", [*both, ev("churn#prod#1", C1, version="v1.0.0")])
    assert art.stages["prod"].version == "v1.0.0" and not problems
    art, problems = fold_artifact("churn", [*both, ev("churn#prod#1", C1)])
    assert art.stages["prod"].version in ("v1.0.0", "v1.0.0+b2")
    assert any("several versions" in p for p in problems)


def test_a_version_registered_at_two_commits_is_reported_and_the_later_wins() -> None:
    art, problems = fold_artifact(
        "churn", [ev("churn@v1.0.0", C1, ts=1), ev("churn@v1.0.0#5", C2, ts=2)]
    )
    assert art.versions["v1.0.0"].commit == C2
    assert any("registered at two commits" in p for p in problems)


def test_unassigning_the_current_version_empties_the_stage() -> None:
    art = state_of(ev("churn@v0.1.0", C1), ev("churn#prod#1", C1), ev("churn#prod!#2", C1))
    assert art.stages == {}


def test_unassigning_another_version_leaves_the_stage_alone() -> None:
    art = state_of(
        ev("churn@v0.1.0", C1),
        ev("churn@v0.2.0", C2),
        ev("churn#prod#1", C1),
        ev("churn#prod#2", C2),
        ev("churn#prod!#3", C1),
    )
    assert stage_versions(art) == {"prod": "v0.2.0"}


def test_deprecation_holds_until_a_later_event_revives_the_artifact() -> None:
    base = [ev("churn@v0.1.0", C1, seq=0), ev("churn@deprecated", C1, seq=0, ts=1001)]
    assert state_of(*base).deprecated
    assert not state_of(*base, ev("churn@v0.2.0", C2, seq=0, ts=1002)).deprecated


def test_counters_count_per_artifact_across_stages() -> None:
    state = fold(
        [
            ev("churn@v0.1.0", C1),
            ev("churn#prod#1", C1),
            ev("churn#dev#4", C1),
            ev("other#prod#9", C1),
        ]
    )
    assert state.highest_counter("churn") == 4
    state.set_counters({"churn": 7})  # e.g. a lightweight churn#prod#7
    assert state.artifacts["churn"].highest_counter == 7


def test_a_dir_prefixed_artifact_is_its_own_artifact() -> None:
    state = fold([ev("models=churn@v0.1.0", C1), ev("churn@v0.1.0", C2)])
    assert set(state.artifacts) == {"models:churn", "churn"}


def test_unknown_artifact_names_the_known_ones() -> None:
    with pytest.raises(RegistryError, match="known: churn"):
        fold([ev("churn@v0.1.0", C1)]).artifact("chrun")


# ---------------------------------------------------------------- rollback choice


def deployed(*versions: str) -> ArtifactState:
    commits = {v: str(i + 1) * 40 for i, v in enumerate(sorted(set(versions)))}
    events = [ev(f"churn@{v}", c) for v, c in commits.items()]
    events += [ev(f"churn#prod#{n}", commits[v]) for n, v in enumerate(versions, start=1)]
    return state_of(*events)


def test_rollback_goes_to_the_previous_different_version() -> None:
    assert rollback_target(deployed("v0.1.0", "v0.2.0"), "prod", None).version == "v0.1.0"
    art = deployed("v0.1.0", "v0.2.0", "v0.3.0", "v0.3.0")
    assert rollback_target(art, "prod", None).version == "v0.2.0"


def test_rolling_back_a_rollback_returns_to_the_version_rolled_back_from() -> None:
    art = deployed("v0.1.0", "v0.2.0", "v0.1.0")
    assert rollback_target(art, "prod", None).version == "v0.2.0"


def test_rollback_skips_deregistered_versions() -> None:
    art = deployed("v0.1.0", "v0.2.0", "v0.3.0")
    art.versions["v0.2.0"].registered = False
    assert rollback_target(art, "prod", None).version == "v0.1.0"


def test_rollback_without_an_earlier_deployment_is_an_error() -> None:
    with pytest.raises(RegistryError, match="no earlier deployment"):
        rollback_target(deployed("v0.1.0", "v0.1.0"), "prod", None)
    with pytest.raises(RegistryError, match="nothing to roll back"):
        rollback_target(deployed("v0.1.0"), "staging", None)


def test_rollback_to_names_the_version() -> None:
    art = deployed("v0.1.0", "v0.2.0", "v0.3.0")
    assert rollback_target(art, "prod", "v0.1.0").version == "v0.1.0"
    with pytest.raises(RegistryError, match="already in prod"):
        rollback_target(art, "prod", "v0.3.0")


# ---------------------------------------------------------------- properties

STAGES = ("dev", "prod", "staging")


@st.composite
def histories(draw: st.DrawFn) -> list[Event]:
    """Versions v0.1.0.. at their own commits, then assign/unassign events with distinct
    N in random stages, with random (even backwards) timestamps."""
    count = draw(st.integers(1, 5))
    commits = {f"v0.{i + 1}.0": f"{i + 1:x}" * 40 for i in range(count)}
    events = [ev(f"churn@{v}", c, ts=draw(st.integers(0, 50))) for v, c in commits.items()]
    for n in range(1, draw(st.integers(0, 25)) + 1):
        version = draw(st.sampled_from(sorted(commits)))
        stage = draw(st.sampled_from(STAGES))
        bang = "!" if draw(st.integers(0, 4)) == 0 else ""
        events.append(ev(f"churn#{stage}{bang}#{n}", commits[version], ts=draw(st.integers(0, 50))))
    return events


def replay(events: list[Event]) -> dict[str, str | None]:
    """The obvious model: walk the stage events by N."""
    version_at = {e.commit: str(e.tag_version) for e in events if e.tag_version}
    stages: dict[str, str | None] = {}
    for e in sorted((e for e in events if e.counter is not None), key=lambda e: e.counter or 0):
        assert e.stage is not None
        if "!" in e.tag:
            if stages.get(e.stage) == version_at[e.commit]:
                stages.pop(e.stage)
        else:
            stages[e.stage] = version_at[e.commit]
    return stages


@settings(max_examples=200, deadline=None)
@given(histories(), st.randoms(use_true_random=False))
def test_the_fold_depends_on_n_only_never_on_input_order_or_clocks(
    events: list[Event], rng: random.Random
) -> None:
    art = state_of(*events)
    assert {k: s.version for k, s in art.stages.items()} == replay(events)
    shuffled = list(events)
    rng.shuffle(shuffled)
    again = state_of(*shuffled)
    assert [s.event.tag for s in again.history] == [s.event.tag for s in art.history]


@settings(max_examples=100, deadline=None)
@given(histories())
def test_a_rollback_never_picks_the_current_version(events: list[Event]) -> None:
    art = state_of(*events)
    for stage, current in art.stages.items():
        try:
            chosen = rollback_target(art, stage, None)
        except RegistryError:
            continue
        assert chosen.version != current.version
        assert chosen.version in {s.version for s in art.deployments(stage)}
