"""Registry tags: the Git tag names that make up the model registry, parsed and formatted.

The registry is nothing but annotated Git tags whose names follow GTO's grammar
(``docs/registry-tags.md`` writes it out). This module only turns tag names into typed
events and back, and does SemVer arithmetic; reading tags from Git and folding events
into registry state live elsewhere. Standard library only.

A tag made by GTO parses here, and every tag formatted here is one GTO reads the same
way. Beyond GTO, an event is only built if its tag is also a name Git can store.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, Literal, TypeAlias, get_args

from gitmodel.errors import RegistryError, UsageError

# The grammar, ASCII only: GTO spells digits `\d`, which in Python also matches other
# scripts' digits (e.g. '\u0663'); we deliberately read ASCII digits only.
_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9_/-]*[A-Za-z0-9])?"
_DIRNAME = r"[A-Za-z0-9_./-]+"
_NUMBER = r"(?:0|[1-9][0-9]*)"
_PRE_ID = r"(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_BUILD_ID = r"[0-9A-Za-z-]+"
_SEMVER = (
    rf"{_NUMBER}\.{_NUMBER}\.{_NUMBER}"
    rf"(?:-{_PRE_ID}(?:\.{_PRE_ID})*)?"
    rf"(?:\+{_BUILD_ID}(?:\.{_BUILD_ID})*)?"
)

_NAME_RE = re.compile(_NAME)
_DIRNAME_RE = re.compile(_DIRNAME)
_FULLNAME_RE = re.compile(rf"(?:(?P<dirname>{_DIRNAME}):)?(?P<name>{_NAME})")
_VERSION_RE = re.compile(
    rf"v(?P<major>{_NUMBER})\.(?P<minor>{_NUMBER})\.(?P<patch>{_NUMBER})"
    rf"(?:-(?P<pre>{_PRE_ID}(?:\.{_PRE_ID})*))?"
    rf"(?:\+(?P<build>{_BUILD_ID}(?:\.{_BUILD_ID})*))?"
)
_TAG_RE = re.compile(
    rf"(?P<artifact>(?:{_DIRNAME}=)?{_NAME})"
    rf"(?:@(?P<version>v{_SEMVER})(?P<deregister>!)?"
    rf"|#(?P<stage>{_NAME})(?P<unassign>!)?"
    r"|@(?P<word>deprecated|created))"
    r"(?:#(?P<counter>[0-9]+))?"
)
_SHORTCUT_RE = re.compile(
    rf"(?P<artifact>(?:{_DIRNAME}:)?{_NAME})"
    rf"(?:#(?P<stage>{_NAME})|@(?P<version>latest|greatest|v{_SEMVER}))"
)

# In a user-facing name the directory prefix ends with ':', which Git refuses in refs.
DIR_SEPARATOR = ":"
DIR_SEPARATOR_IN_TAG = "="
LATEST_WORDS = ("latest", "greatest")

_NAME_RULE = (
    "use letters, digits, '-', '_' and '/', starting and ending with a letter or digit, "
    "optionally after a 'dir:' prefix"
)


# ---------------------------------------------------------------- names and stages


@dataclass(frozen=True)
class ArtifactName:
    """An artifact's name, split into the optional directory prefix and the name proper."""

    name: str
    dirname: str | None = None

    def __post_init__(self) -> None:
        dirname_ok = self.dirname is None or _DIRNAME_RE.fullmatch(self.dirname) is not None
        if _NAME_RE.fullmatch(self.name) is None or not dirname_ok:
            raise UsageError(f"artifact name {str(self)!r} is invalid: {_NAME_RULE}")
        problem = _ref_problem(self.in_tag)
        if problem:
            raise UsageError(f"artifact name {str(self)!r} cannot be part of a Git tag: {problem}")

    def __str__(self) -> str:
        """The name as users write it: ``dir:name`` or ``name``."""
        if self.dirname is None:
            return self.name
        return f"{self.dirname}{DIR_SEPARATOR}{self.name}"

    @property
    def in_tag(self) -> str:
        """The name as written inside a tag: ``dir=name`` or ``name``."""
        return str(self).replace(DIR_SEPARATOR, DIR_SEPARATOR_IN_TAG)


@functools.lru_cache(maxsize=4096)  # the registry parses 10^4 tags of a few hundred names
def parse_name(text: str) -> ArtifactName:
    """Split a user-facing artifact name (``dir:name`` or ``name``); UsageError if invalid."""
    match = _FULLNAME_RE.fullmatch(text)
    if match is None:
        raise UsageError(f"artifact name {text!r} is invalid: {_NAME_RULE}")
    return ArtifactName(name=match["name"], dirname=match["dirname"])


def validate_name(text: str) -> str:
    """Return ``text`` if it is a valid artifact name, else raise UsageError."""
    parse_name(text)
    return text


def validate_stage(text: str) -> str:
    """Return ``text`` if it is a valid stage (environment) name, else raise UsageError."""
    if _NAME_RE.fullmatch(text) is None or "//" in text:
        raise UsageError(
            f"stage name {text!r} is invalid: use letters, digits, '-', '_' and '/', "
            "starting and ending with a letter or digit"
        )
    return text


def _name_from_tag(text: str) -> str:
    return text.replace(DIR_SEPARATOR_IN_TAG, DIR_SEPARATOR)


@functools.lru_cache(maxsize=4096)
def _ref_problem(ref: str) -> str | None:
    """Why Git would refuse ``refs/tags/<ref>``, for the characters our grammar allows."""
    if ref.startswith("/") or ref.endswith("/") or "//" in ref:
        return "it has an empty path component"
    if ".." in ref:
        return "it contains '..'"
    if ref.endswith("."):
        return "it ends with '.'"
    for part in ref.split("/"):
        if part.startswith("."):
            return f"path component {part!r} starts with '.'"
        if part.endswith(".lock"):
            return f"path component {part!r} ends with '.lock'"
    return None


# ---------------------------------------------------------------- versions

BumpPart: TypeAlias = Literal["major", "minor", "patch"]
BUMP_PARTS: tuple[str, ...] = get_args(BumpPart)


def _identifier_key(identifier: str) -> tuple[int, int, str]:
    # SemVer: numeric identifiers compare as numbers and sort before alphanumeric ones.
    if identifier.isdigit():
        return (0, int(identifier), "")
    return (1, 0, identifier)


@dataclass(frozen=True)
class Version:
    """A SemVer version, written with a ``v`` prefix (``v1.2.0``, ``v2.0.0-rc.1+b.7``).

    ``==`` compares the text; ``<``, ``<=``, ``>``, ``>=`` compare SemVer precedence,
    which ignores build metadata (so ``v1.0.0+a <= v1.0.0+b`` and neither is ``<``).
    """

    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()
    build: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        numbers = (self.major, self.minor, self.patch)
        if any(type(n) is not int or n < 0 for n in numbers):
            raise UsageError(f"version numbers must be integers >= 0, not {numbers}")
        if _VERSION_RE.fullmatch(str(self)) is None:
            raise UsageError(f"version {str(self)!r} is not valid SemVer")

    def __str__(self) -> str:
        text = f"v{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(self.prerelease)
        if self.build:
            text += "+" + ".".join(self.build)
        return text

    @property
    def precedence(self) -> tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]:
        """Sort key by SemVer precedence: a release sorts after its pre-releases."""
        pre = tuple(_identifier_key(i) for i in self.prerelease)
        return (self.major, self.minor, self.patch, 0 if self.prerelease else 1, pre)

    def __lt__(self, other: Version) -> bool:
        return self.precedence < other.precedence

    def __le__(self, other: Version) -> bool:
        return self.precedence <= other.precedence

    def __gt__(self, other: Version) -> bool:
        return self.precedence > other.precedence

    def __ge__(self, other: Version) -> bool:
        return self.precedence >= other.precedence


FIRST_VERSION = Version(0, 1, 0)


def parse_version(text: str) -> Version:
    """Parse ``v1.2.0``-style SemVer; UsageError for anything else (``1.2.0``, ``v1.2``)."""
    match = _VERSION_RE.fullmatch(text)
    if match is None:
        raise UsageError(f"version {text!r} is not SemVer with a 'v' prefix, e.g. v1.2.0")
    return Version(
        int(match["major"]),
        int(match["minor"]),
        int(match["patch"]),
        tuple(match["pre"].split(".")) if match["pre"] else (),
        tuple(match["build"].split(".")) if match["build"] else (),
    )


def compare_versions(a: Version, b: Version) -> int:
    """-1, 0 or 1 as ``a`` has lower, equal or higher SemVer precedence than ``b``."""
    return (a.precedence > b.precedence) - (a.precedence < b.precedence)


def bump(version: Version, part: BumpPart) -> Version:
    """The next version: ``major`` v1.3.4 -> v2.0.0, ``minor`` -> v1.4.0, ``patch`` -> v1.3.5.

    Pre-release and build parts are dropped, as GTO (python-semver) does.
    """
    if part == "major":
        return Version(version.major + 1, 0, 0)
    if part == "minor":
        return Version(version.major, version.minor + 1, 0)
    if part == "patch":
        return Version(version.major, version.minor, version.patch + 1)
    raise UsageError(f"cannot bump {part!r}: choose one of {', '.join(BUMP_PARTS)}")


def next_version(latest: Version | None, part: BumpPart = "minor") -> Version:
    """The version to register next: FIRST_VERSION (v0.1.0) if none yet, else a bump."""
    return FIRST_VERSION if latest is None else bump(latest, part)


# ---------------------------------------------------------------- events


class Action(StrEnum):
    """What a registry tag records."""

    REGISTER = "register"
    DEREGISTER = "deregister"
    ASSIGN = "assign"
    UNASSIGN = "unassign"
    DEPRECATE = "deprecate"


def _check_counter(counter: int | None) -> None:
    if counter is not None and (type(counter) is not int or counter < 0):
        raise UsageError(f"tag counter must be an integer >= 0, not {counter!r}")


class _Event:
    """Shared checks: every event object that exists formats to a tag Git can store."""

    artifact: str
    counter: int | None

    def __post_init__(self) -> None:
        validate_name(self.artifact)
        _check_counter(self.counter)
        tag = format_tag(self)  # type: ignore[arg-type]
        problem = _ref_problem(tag)
        if problem:
            raise UsageError(f"tag {tag!r} cannot be a Git tag: {problem}")


@dataclass(frozen=True)
class Register(_Event):
    """``name@v1.2.0[#N]``: a version of the artifact is registered."""

    artifact: str
    version: Version
    counter: int | None = None
    action: ClassVar[Action] = Action.REGISTER


@dataclass(frozen=True)
class Deregister(_Event):
    """``name@v1.2.0![#N]``: a registered version is withdrawn."""

    artifact: str
    version: Version
    counter: int | None = None
    action: ClassVar[Action] = Action.DEREGISTER


@dataclass(frozen=True)
class Assign(_Event):
    """``name#stage[#N]``: the version at the tagged commit enters a stage (is deployed)."""

    artifact: str
    stage: str
    counter: int | None = None
    action: ClassVar[Action] = Action.ASSIGN

    def __post_init__(self) -> None:
        validate_stage(self.stage)
        super().__post_init__()


@dataclass(frozen=True)
class Unassign(_Event):
    """``name#stage![#N]``: the version at the tagged commit leaves a stage."""

    artifact: str
    stage: str
    counter: int | None = None
    action: ClassVar[Action] = Action.UNASSIGN

    def __post_init__(self) -> None:
        validate_stage(self.stage)
        super().__post_init__()


@dataclass(frozen=True)
class Deprecate(_Event):
    """``name@deprecated[#N]``: the whole artifact is retired."""

    artifact: str
    counter: int | None = None
    action: ClassVar[Action] = Action.DEPRECATE


TagEvent: TypeAlias = Register | Deregister | Assign | Unassign | Deprecate


def format_tag(event: TagEvent) -> str:
    """The tag name that records ``event``, e.g. ``dir=churn#prod#3``."""
    artifact = parse_name(event.artifact).in_tag
    match event:
        case Register(version=version):
            body = f"{artifact}@{version}"
        case Deregister(version=version):
            body = f"{artifact}@{version}!"
        case Assign(stage=stage):
            body = f"{artifact}#{stage}"
        case Unassign(stage=stage):
            body = f"{artifact}#{stage}!"
        case Deprecate():
            body = f"{artifact}@deprecated"
    return body if event.counter is None else f"{body}#{event.counter}"


def parse_tag(text: str) -> TagEvent:
    """The event a tag name records; RegistryError if it is not a registry tag.

    Counters are read as numbers, so ``m#prod#07`` parses like ``m#prod#7``.
    """
    match = _TAG_RE.fullmatch(text)
    if match is None:
        raise RegistryError(f"tag {text!r} is not a registry tag (see docs/registry-tags.md)")
    if match["word"] == "created":
        raise RegistryError(f"tag {text!r} is GTO's reserved '@created' form and records no event")
    artifact = _name_from_tag(match["artifact"])
    counter = int(match["counter"]) if match["counter"] is not None else None
    try:
        if match["version"] is not None:
            version = parse_version(match["version"])
            if match["deregister"]:
                return Deregister(artifact, version, counter)
            return Register(artifact, version, counter)
        if match["stage"] is not None:
            if match["unassign"]:
                return Unassign(artifact, match["stage"], counter)
            return Assign(artifact, match["stage"], counter)
        return Deprecate(artifact, counter)
    except UsageError as error:
        raise RegistryError(f"tag {text!r} is not a registry tag: {error}") from None


def try_parse_tag(text: str) -> TagEvent | None:
    """Like parse_tag, but None for tags that are not registry tags (e.g. ``v1.0``)."""
    try:
        return parse_tag(text)
    except RegistryError:
        return None


def next_counter(events: Iterable[TagEvent], artifact: str) -> int:
    """The N for the artifact's next tag: one more than the highest N of any of its tags.

    As in GTO, N counts per artifact (``dir:name`` as a whole) across all stages and kinds.
    """
    highest = max(
        (e.counter for e in events if e.artifact == artifact and e.counter is not None),
        default=0,
    )
    return highest + 1


# ---------------------------------------------------------------- shortcuts


@dataclass(frozen=True)
class Shortcut:
    """A registry reference usable where a revision is: ``name@latest``, ``name#prod``,
    ``name@v1.2.0``. Exactly one of ``latest``, ``stage``, ``version`` is set."""

    artifact: str
    version: Version | None = None
    stage: str | None = None
    latest: bool = False

    def __post_init__(self) -> None:
        validate_name(self.artifact)
        if self.stage is not None:
            validate_stage(self.stage)
        chosen = (self.version is not None) + (self.stage is not None) + self.latest
        if chosen != 1:
            raise UsageError("a shortcut names exactly one of: latest, a stage, a version")

    def __str__(self) -> str:
        if self.stage is not None:
            return f"{self.artifact}#{self.stage}"
        if self.version is not None:
            return f"{self.artifact}@{self.version}"
        return f"{self.artifact}@latest"


def parse_shortcut(text: str) -> Shortcut | None:
    """The registry reference ``text`` names, or None if it is not one (a plain Git rev).

    ``@greatest`` is GTO's synonym of ``@latest``; names use ``dir:`` as users write them.
    """
    match = _SHORTCUT_RE.fullmatch(text)
    if match is None:
        return None
    artifact, version_text = match["artifact"], match["version"]
    try:
        if match["stage"] is not None:
            return Shortcut(artifact, stage=match["stage"])
        if version_text in LATEST_WORDS:
            return Shortcut(artifact, latest=True)
        return Shortcut(artifact, version=parse_version(version_text))
    except UsageError:
        return None  # e.g. 'a//b@latest': in GTO's grammar, but never a stored artifact
