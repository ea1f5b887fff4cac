"""Registry state: the events that registry tags record, and the fold that turns an
artifact's events into its current state. Pure: standard library only, no Git.

Order (docs/decisions.md, "Registry order"): an artifact's events are replayed by
their counter N, never by tag timestamps (1-second resolution). Events without N
(register, deregister, deprecate, GTO's ``--simple`` assignments) are placed after
the N they were created at: gitmodel writes that N into the tag message (``seq``);
for tags made by other tools it is the highest N among the artifact's tags from
strictly earlier seconds. Ties fall back to the tagger time, then SemVer, then the
tag name, so every clone with the same tags computes the same state.

The machine-readable part of a tag message is one trailer line at its end,
``Gitmodel: {json}`` (docs/registry.md, "Tag messages"); everything above it is the
human text, whose first line is the summary.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import accumulate
from typing import Any

from gitmodel.errors import RegistryError
from gitmodel.tags import (
    Action,
    Assign,
    Deprecate,
    Deregister,
    Register,
    TagEvent,
    Unassign,
    Version,
    parse_tag,
    parse_version,
)

MESSAGE_FORMAT = 1
TRAILER = "Gitmodel: "


def iso_time(timestamp: int) -> str:
    """A tagger time as ISO 8601 in UTC, e.g. ``2026-01-31T12:00:00Z``."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------- tag messages


def format_message(summary: str, note: str | None, fields: Mapping[str, Any]) -> str:
    """A tag message: summary line, optional note paragraph(s), the ``Gitmodel:`` trailer."""
    record = {"format": MESSAGE_FORMAT, **fields}
    trailer = TRAILER + json.dumps(record, separators=(",", ":"), allow_nan=False)
    parts = [" ".join(summary.split())]
    if note and note.strip():
        parts.append(note.strip())
    parts.append(trailer)
    return "\n\n".join(parts) + "\n"


def parse_message(text: str) -> tuple[str, str, dict[str, Any]]:
    """(summary, note, fields) of a tag message; fields are {} without a valid trailer.

    Only the last non-empty line can be the trailer, so a note that quotes one is
    harmless.
    """
    body = text.rstrip()
    fields: dict[str, Any] = {}
    start = body.rfind("\n") + 1  # the last line (or the only one)
    if body.startswith(TRAILER, start):
        try:
            loaded = json.loads(body[start + len(TRAILER) :])
        except ValueError:
            loaded = None
        if isinstance(loaded, dict) and loaded.get("format") == MESSAGE_FORMAT:
            fields = loaded
            body = body[:start]
    summary, _, note = body.strip().partition("\n")
    return summary.strip(), note.strip(), fields


# ---------------------------------------------------------------- events


@dataclass(frozen=True)
class Event:
    """One registry tag, read: what it records, where it points, who made it when."""

    tag: str
    change: TagEvent
    commit: str
    timestamp: int
    author: str = ""
    summary: str = ""
    note: str = ""
    fields: Mapping[str, Any] = field(default_factory=dict)

    @property
    def artifact(self) -> str:
        return self.change.artifact

    @property
    def action(self) -> Action:
        return self.change.action

    @property
    def counter(self) -> int | None:
        return self.change.counter

    @property
    def stage(self) -> str | None:
        return self.change.stage if isinstance(self.change, Assign | Unassign) else None

    @property
    def tag_version(self) -> Version | None:
        """The version named in the tag (register and deregister tags only)."""
        return self.change.version if isinstance(self.change, Register | Deregister) else None

    @property
    def seq(self) -> int | None:
        """For an event without N: the artifact's highest N when it was created."""
        value = self.fields.get("seq")
        return value if type(value) is int and value >= 0 else None

    @property
    def rollback_from(self) -> str | None:
        value = self.fields.get("rollback_from")
        return value if isinstance(value, str) else None

    @property
    def made_by_gitmodel(self) -> bool:
        return bool(self.fields)


def tag_change(name: str) -> TagEvent | None:
    """What a tag name records; None for names outside the registry grammar.

    RegistryError for names that look like registry tags (they contain ``@`` or ``#``)
    but are malformed, so the caller can report them.
    """
    if "@" not in name and "#" not in name:
        return None
    if name.endswith("@created") or "@created#" in name:
        return None  # reserved by GTO's grammar, records nothing
    return parse_tag(name)


def event_from_tag(
    name: str,
    commit: str,
    timestamp: int,
    author: str,
    message: str,
    change: TagEvent | None = None,
) -> Event | None:
    """The event an annotated tag records; None for tags outside the registry grammar
    (RegistryError for malformed ones, see ``tag_change``). ``change``: the name's
    parse, when the caller has it already."""
    change = change or tag_change(name)
    if change is None:
        return None
    summary, note, fields = parse_message(message)
    return Event(name, change, commit, timestamp, author, summary, note, fields)


# ---------------------------------------------------------------- state


@dataclass
class VersionState:
    """A registered version of an artifact, as the fold leaves it."""

    version: str
    parsed: Version
    commit: str
    tag: str
    registered: bool  # False once deregistered (and not registered again)
    registered_at: int
    author: str
    fields: Mapping[str, Any]
    note: str = ""

    @property
    def path(self) -> str | None:
        value = self.fields.get("path")
        return value if isinstance(value, str) and value else None

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "commit": self.commit,
            "tag": self.tag,
            "registered": self.registered,
            "registered_at": iso_time(self.registered_at),
            "author": self.author,
            "path": self.path,
            "hash": self.fields.get("hash"),
            "oid": self.fields.get("oid"),
            "size": self.fields.get("size"),
            "kind": self.fields.get("kind"),
            "metrics": self.fields.get("metrics", {}),
            "message": self.note,
        }


@dataclass(frozen=True)
class Step:
    """One event in fold order, with the version it concerns resolved.

    ``version`` is None for deprecations and for assignments of a commit at which no
    version is registered (GTO allows those; they are shown by commit).
    """

    event: Event
    version: str | None

    @property
    def label(self) -> str:
        """The version, or the short commit for an unregistered one."""
        return self.version or self.event.commit[:7]

    def to_json(self) -> dict[str, Any]:
        e = self.event
        return {
            "tag": e.tag,
            "event": "rollback" if e.rollback_from else e.action.value,
            "artifact": e.artifact,
            "version": self.version,
            "stage": e.stage,
            "counter": e.counter,
            "commit": e.commit,
            "date": iso_time(e.timestamp),
            "author": e.author,
            "message": e.note or e.summary,
            "rollback_from": e.rollback_from,
        }


@dataclass
class ArtifactState:
    name: str
    versions: dict[str, VersionState] = field(default_factory=dict)
    stages: dict[str, Step] = field(default_factory=dict)  # stage -> current assignment
    deprecated: bool = False
    history: list[Step] = field(default_factory=list)
    counter_floor: int = 0  # highest N among tags outside the fold (e.g. lightweight ones)

    @property
    def latest(self) -> VersionState | None:
        """The highest SemVer among registered (not deregistered) versions."""
        best: VersionState | None = None
        for v in self.versions.values():  # in registration order: later wins equal rank
            if v.registered and (best is None or v.parsed >= best.parsed):
                best = v
        return best

    @property
    def highest_ever(self) -> Version | None:
        """The highest version ever registered, deregistered ones included (for bumps)."""
        return max((v.parsed for v in self.versions.values()), default=None)

    @property
    def highest_counter(self) -> int:
        """The highest N of the artifact's tags: the next tag gets one more."""
        events = (s.event.counter or 0 for s in self.history)
        return max(self.counter_floor, max(events, default=0))

    def deployments(self, stage: str) -> list[Step]:
        """The assignments of ``stage``, oldest first."""
        return [
            s for s in self.history if s.event.action is Action.ASSIGN and s.event.stage == stage
        ]

    def path(self) -> str | None:
        """The model path of the most recently registered version that names one."""
        for step in reversed(self.history):
            if step.event.action is Action.REGISTER and step.version in self.versions:
                found = self.versions[step.version].path
                if found:
                    return found
        return None

    def to_json(self) -> dict[str, Any]:
        latest = self.latest
        return {
            "name": self.name,
            "latest": latest.version if latest else None,
            "stages": {stage: step.label for stage, step in sorted(self.stages.items())},
            "deprecated": self.deprecated,
            "path": self.path(),
            "versions": [v.version for v in sorted_versions(self) if v.registered],
        }


@dataclass
class RegistryState:
    artifacts: dict[str, ArtifactState] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    # Highest N per artifact over every tag name in the grammar, lightweight ones too:
    # GTO counts those, and a new tag must not collide with any of them.
    counters: dict[str, int] = field(default_factory=dict)

    def highest_counter(self, name: str) -> int:
        """The highest N any tag of artifact ``name`` carries (0 if none)."""
        found = self.artifacts.get(name)
        events = found.highest_counter if found is not None else 0
        return max(events, self.counters.get(name, 0))

    def set_counters(self, counters: dict[str, int]) -> None:
        """Record the highest N per artifact over all tag names (see ``counters``)."""
        self.counters = counters
        for name, art in self.artifacts.items():
            art.counter_floor = counters.get(name, 0)

    def artifact(self, name: str) -> ArtifactState:
        """The artifact called ``name``; RegistryError naming the known ones otherwise."""
        found = self.artifacts.get(name)
        if found is None:
            known = ", ".join(sorted(self.artifacts)[:10]) or "none yet"
            raise RegistryError(
                f"unknown artifact {name!r} (known: {known})",
                fix=f"gitmodel register {name} --path PATH",
            )
        return found


def sorted_versions(artifact: ArtifactState) -> list[VersionState]:
    """Versions by SemVer precedence, highest first (registration order breaks ties)."""
    ordered = list(artifact.versions.values())
    ordered.reverse()
    return sorted(ordered, key=lambda v: v.parsed.precedence, reverse=True)


# ---------------------------------------------------------------- the fold


def _order(events: list[Event]) -> list[Event]:
    """Events of one artifact in replay order (see the module docstring)."""
    counted = sorted((e.timestamp, e.counter) for e in events if e.counter is not None)
    times = [t for t, _ in counted]
    highest = list(accumulate((n for _, n in counted), max))

    def key(e: Event) -> tuple[Any, ...]:
        if e.counter is not None:
            return (e.counter, 0, e.timestamp, (1,), e.tag)
        seq = e.seq
        if seq is None:
            earlier = bisect_left(times, e.timestamp)  # N-tags of strictly earlier seconds
            seq = highest[earlier - 1] if earlier else 0
        version = e.tag_version
        rank = (0, version.precedence) if version is not None else (1,)
        return (seq, 1, e.timestamp, rank, e.tag)

    return sorted(events, key=key)


def _register(state: ArtifactState, e: Event, version: Version, problems: list[str]) -> None:
    text = str(version)
    known = state.versions.get(text)
    if known is not None and known.commit != e.commit:
        problems.append(
            f"{state.name} {text} is registered at two commits ({known.commit[:7]} by "
            f"{known.tag!r}, {e.commit[:7]} by {e.tag!r}); using the later one"
        )
    state.versions.pop(text, None)  # re-insert: dict order is registration order
    state.versions[text] = VersionState(
        version=text,
        parsed=version,
        commit=e.commit,
        tag=e.tag,
        registered=True,
        registered_at=e.timestamp,
        author=e.author,
        fields=e.fields,
        note=e.note,
    )


def _assigned_version(
    state: ArtifactState, e: Event, at_commit: dict[str, list[str]], problems: list[str]
) -> str | None:
    """The version an assignment concerns: the one registered at its commit (as GTO
    reads it); the message's ``version`` settles a commit with several."""
    candidates = at_commit.get(e.commit, [])
    named = e.fields.get("version")
    if named in candidates:
        return str(named)
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        return None
    chosen = max(candidates, key=lambda v: parse_version(v).precedence)
    problems.append(
        f"tag {e.tag!r}: commit {e.commit[:7]} has several versions of {state.name} "
        f"({', '.join(candidates)}); reading it as {chosen}"
    )
    return chosen


def fold_artifact(name: str, events: Iterable[Event]) -> tuple[ArtifactState, list[str]]:
    """Replay one artifact's events (others are ignored); the state, plus problems
    worth reporting."""
    state = ArtifactState(name)
    problems: list[str] = []
    ordered = _order([e for e in events if e.artifact == name])
    by_counter: dict[int, str] = {}
    at_commit: dict[str, list[str]] = {}
    for e in ordered:
        if e.counter is not None:
            other = by_counter.setdefault(e.counter, e.tag)
            if other != e.tag:
                problems.append(
                    f"tags {other!r} and {e.tag!r} share N={e.counter} (made in two clones?); "
                    "replaying them by tag time, then name"
                )
        if isinstance(e.change, Register):
            at_commit.setdefault(e.commit, []).append(str(e.change.version))
    for e in ordered:
        version: str | None = None
        change = e.change
        if isinstance(change, Register):
            version = str(change.version)
            _register(state, e, change.version, problems)
        elif isinstance(change, Deregister):
            version = str(change.version)
            if version in state.versions:
                state.versions[version].registered = False
            else:
                problems.append(f"tag {e.tag!r} deregisters a version that was never registered")
        elif isinstance(change, Assign | Unassign):
            version = _assigned_version(state, e, at_commit, problems)
            step = Step(e, version)
            if isinstance(change, Assign):
                state.stages[change.stage] = step
            else:
                current = state.stages.get(change.stage)
                # One version per stage: unassigning another version changes nothing.
                if current is not None and current.event.commit == e.commit:
                    del state.stages[change.stage]
        state.deprecated = isinstance(change, Deprecate)  # GTO: any later event revives
        state.history.append(Step(e, version))
    return state, problems


def fold(events: Iterable[Event]) -> RegistryState:
    """The registry: every artifact's events replayed (linear after one sort each)."""
    grouped: dict[str, list[Event]] = {}
    for e in events:
        grouped.setdefault(e.artifact, []).append(e)
    result = RegistryState()
    for name in sorted(grouped):
        state, problems = fold_artifact(name, grouped[name])
        result.artifacts[name] = state
        result.problems.extend(problems)
    return result
