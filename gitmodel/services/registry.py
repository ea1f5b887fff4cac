"""The model registry on annotated Git tags: register, deploy, roll back and inspect.

Every command reads all tags with one ``git for-each-ref`` call and folds them
(``gitmodel.registry_state``); commands that record something create exactly one
annotated tag (``docs/registry-tags.md``), under a lock so that two gitmodel
processes in one repository never give two tags the same N. Nothing is ever deleted
or moved: a rollback is a new assignment. User guide: ``docs/registry.md``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from gitmodel.errors import GitModelError, ObjectMissingError, RegistryError, UsageError
from gitmodel.git import TagRef
from gitmodel.pointer import SUFFIX, Pointer, parse_pointer
from gitmodel.registry_state import (
    ArtifactState,
    Event,
    RegistryState,
    Step,
    VersionState,
    event_from_tag,
    fold,
    format_message,
    tag_change,
)
from gitmodel.services.workspace import Workspace
from gitmodel.tags import (
    Assign,
    BumpPart,
    Deprecate,
    Deregister,
    Register,
    TagEvent,
    Unassign,
    Version,
    bump,
    format_tag,
    parse_name,
    parse_shortcut,
    parse_version,
    validate_name,
    validate_stage,
)

if TYPE_CHECKING:  # deploy targets and the remote check load only when a command needs them
    from gitmodel.deploy import Materialize, Target

NOT_PUBLISHED = (
    "no default remote is configured: the registry works locally and nothing is "
    "published (set one with: gitmodel remote add NAME URL --default)"
)
_TAG_ATTEMPTS = 50


@dataclass
class Recorded:
    """What a registry command did: the tag it made (None when there was nothing to
    record), plus notes for the user, the deploy target's report and a revert commit."""

    artifact: str
    tag: str | None
    version: str | None = None
    stage: str | None = None
    commit: str | None = None
    notes: list[str] = field(default_factory=list)
    target: str | None = None
    revert_commit: str | None = None
    rolled_back_from: str | None = None
    pushed_to: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "artifact": self.artifact,
            "tag": self.tag,
            "version": self.version,
            "stage": self.stage,
            "commit": self.commit,
            "rollback_from": self.rolled_back_from,
            "target": self.target,
            "revert_commit": self.revert_commit,
            "pushed_to": self.pushed_to,
            "notes": self.notes,
        }


# ---------------------------------------------------------------- reading


def read_events(refs: Iterable[TagRef]) -> tuple[list[Event], list[str], dict[str, int]]:
    """Registry events of annotated tags, problems with tags that look like ours, and
    the highest N per artifact among all tag names in the grammar.

    Lightweight tags with registry names are reported and skipped, as GTO skips them.
    Malformed tags are reported when they name a known artifact (``churn@1.0``), and
    silently ignored otherwise (``release@2024`` is somebody else's tag).
    """
    events: list[Event] = []
    problems: list[str] = []
    malformed: list[tuple[str, str]] = []
    counters: dict[str, int] = {}
    for ref in refs:
        try:
            change = tag_change(ref.name)  # each name is parsed once: 10^4 tags add up
        except RegistryError as exc:
            malformed.append((ref.name, str(exc)))
            continue
        if change is None:
            continue
        if change.counter is not None:
            counters[change.artifact] = max(counters.get(change.artifact, 0), change.counter)
        if ref.annotated and ref.target_type == "commit":
            found = event_from_tag(
                ref.name, ref.target, ref.timestamp, ref.tagger, ref.message, change
            )
            if found is not None:
                events.append(found)
        elif not ref.annotated:
            quoted = shlex.quote(ref.name)
            problems.append(
                f"tag {ref.name!r} is a lightweight tag: ignored, as GTO ignores it "
                f"(make it annotated: git tag -a -f {quoted} {quoted} -m {quoted})"
            )
        else:
            problems.append(f"tag {ref.name!r} points at a {ref.target_type}: ignored")
    known = {e.artifact for e in events}
    for name, error in malformed:
        if re.split("[@#]", name, maxsplit=1)[0].replace("=", ":") in known:
            problems.append(f"{error}: ignored")
    return events, problems, counters


def load(ws: Workspace, only: str | None = None) -> RegistryState:
    """The registry: one ``git for-each-ref``, one fold. With ``only`` (an artifact
    name), the other artifacts' tags are skipped before they are even parsed."""
    refs = ws.git.tag_refs()
    if only is not None:
        in_tag = parse_name(only).in_tag
        refs = [r for r in refs if r.name.startswith((in_tag + "@", in_tag + "#"))]
    events, problems, counters = read_events(refs)
    state = fold(events)
    state.problems[:0] = problems
    state.set_counters(counters)
    return state


def load_artifact(ws: Workspace, name: str) -> tuple[RegistryState, ArtifactState]:
    """One artifact's state (reading only its tags); RegistryError naming the known
    artifacts if there is no such artifact."""
    state = load(ws, only=name)
    if name not in state.artifacts:
        load(ws).artifact(name)  # raises, listing the known ones
    return state, state.artifact(name)


def configured_path(ws: Workspace, name: str) -> str | None:
    """``[artifacts.NAME] path`` from .gitmodel.toml, if declared (like GTO's artifacts.yaml)."""
    artifacts = ws.config.get("artifacts")
    table = artifacts.get(name) if isinstance(artifacts, dict) else None
    path = table.get("path") if isinstance(table, dict) else None
    return path.strip("/") if isinstance(path, str) and path.strip("/") else None


def model_path(ws: Workspace, art: ArtifactState, version: VersionState | None) -> str:
    """Where the artifact's model is: the version's own path (from its register tag),
    else the declared path, else the path of its latest registration."""
    found = (version.path if version else None) or configured_path(ws, art.name) or art.path()
    if not found:
        raise RegistryError(
            f"{art.name} has no known path (its tags were not made by gitmodel)",
            fix=f'declare it in .gitmodel.toml: [artifacts."{art.name}"] path = "PATH"',
        )
    return found


def pointer_at(ws: Workspace, commit: str, model: str, label: str) -> Pointer:
    """The pointer of ``model`` in ``commit``; RegistryError if it is not tracked there."""
    text = ws.git.show_file(commit, model + SUFFIX)
    if text is None:
        raise RegistryError(
            f"{model} is not tracked at {label} ({commit[:7]} has no {model}{SUFFIX})",
            fix=f"gitmodel add {model} && git commit",
        )
    return parse_pointer(text, f"{commit[:7]}:{model}{SUFFIX}")


def find_version(art: ArtifactState, text: str) -> VersionState:
    """A version of the artifact by its text; RegistryError listing the known ones."""
    found = art.versions.get(str(parse_version(text)))
    if found is None:
        known = ", ".join(v for v in list(art.versions)[-8:]) or "none"
        raise RegistryError(
            f"{art.name} has no version {text} (known: {known})", fix=f"gitmodel history {art.name}"
        )
    return found


def which(state: RegistryState, name: str, env: str) -> Step:
    """The assignment currently holding ``env``; RegistryError (exit 1) if none."""
    art = state.artifact(name)
    step = art.stages.get(validate_stage(env))
    if step is None:
        raise RegistryError(f"no version of {name} is assigned to {env}")
    return step


def resolve_version(state: RegistryState, text: str) -> tuple[ArtifactState, VersionState | Step]:
    """``NAME@vX.Y.Z``, ``NAME@latest`` or ``NAME#env`` to what it names."""
    shortcut = parse_shortcut(text)
    if shortcut is None:
        raise UsageError(f"{text!r} is not NAME@vX.Y.Z, NAME@latest or NAME#ENV")
    art = state.artifact(shortcut.artifact)
    if shortcut.stage is not None:
        return art, which(state, shortcut.artifact, shortcut.stage)
    if shortcut.latest:
        if art.latest is None:
            raise RegistryError(f"{art.name} has no registered version")
        return art, art.latest
    return art, find_version(art, str(shortcut.version))


def resolve_reference(ws: Workspace, text: str) -> tuple[str, list[str] | None]:
    """Revision resolver for ``checkout --rev`` and friends: a registry shortcut to
    (commit, [model path]); LookupError for anything that is not a shortcut."""
    shortcut = parse_shortcut(text)
    if shortcut is None:
        raise LookupError(text)
    state = load(ws, only=shortcut.artifact)
    if shortcut.artifact not in state.artifacts:
        with contextlib.suppress(UsageError):
            return ws.git.rev_parse(text), None  # a branch or tag that merely looks alike
        load(ws).artifact(shortcut.artifact)  # raises, listing the known artifacts
    art, found = resolve_version(state, text)
    if isinstance(found, Step):
        version = art.versions.get(found.version) if found.version else None
        commit = found.event.commit
    else:
        version, commit = found, found.commit
    try:
        return commit, [model_path(ws, art, version)]
    except RegistryError:
        return commit, None


# ---------------------------------------------------------------- writing tags


@contextlib.contextmanager
def _locked(ws: Workspace) -> Iterator[None]:
    """Serialise registry writes of gitmodel processes sharing this repository."""
    path = ws.git.common_dir / "gitmodel" / "registry.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: rely on git's refusal + retry
            yield
            return
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _create_tag(
    ws: Workspace,
    name: str,
    commit: str,
    highest: int,
    build: Callable[[int, int], tuple[TagEvent, str]],
) -> str:
    """Create the tag ``build(highest_N, attempt)`` describes. A taken name means
    another writer got there first: re-read the highest N and try again."""
    for attempt in range(_TAG_ATTEMPTS):
        event, message = build(highest, attempt)
        tag = format_tag(event)
        if ws.git.create_tag(tag, commit, message):
            return tag
        highest = max(highest, load(ws, only=name).highest_counter(name))
    raise RegistryError(f"could not create a registry tag for {name} after {_TAG_ATTEMPTS} tries")


def _counted(attempt: int, highest: int) -> int | None:
    """Events GTO writes without N get one only when the plain name is taken."""
    return None if attempt == 0 else highest + 1


def _note(message: str | None) -> str | None:
    return message.strip() if message and message.strip() else None


# ---------------------------------------------------------------- register and friends


def register(
    ws: Workspace,
    name: str,
    *,
    path: str | None = None,
    rev: str | None = None,
    version: str | None = None,
    bump_part: BumpPart | None = None,
    message: str | None = None,
    push: bool = False,
    git_remote: str = "origin",
    allow_local: bool = False,
) -> Recorded:
    """Tag the commit (default HEAD) holding the model's pointer as a new version.

    With ``push`` the tag is pushed to ``git_remote``, after the publishing check:
    the version's objects must be on the default remote unless ``allow_local``.
    """
    validate_name(name)
    if version and bump_part:
        raise UsageError("--version and --bump exclude each other; give one")
    label = rev or "HEAD"
    if ws.git.head() is None and rev is None:
        raise RegistryError("there is no commit yet", fix="git commit")
    commit = ws.git.rev_parse(label)
    with _locked(ws):
        state = load(ws, only=name)
        art = state.artifacts.get(name) or ArtifactState(
            name, counter_floor=state.highest_counter(name)
        )
        model = ws.model_of_arg(path) if path else (configured_path(ws, name) or art.path())
        if not model:
            raise UsageError(
                f"{name} is registered for the first time: say where the model is",
                fix=f"gitmodel register {name} --path PATH",
            )
        pointer = pointer_at(ws, commit, model, label)
        if version:
            chosen = parse_version(version)
            if str(chosen) in art.versions:
                raise RegistryError(
                    f"{name} {chosen} exists already (tag {art.versions[str(chosen)].tag}); "
                    "versions are never reused",
                    fix=f"gitmodel register {name} --bump patch",
                )
        else:
            chosen = bump(art.highest_ever or Version(0, 0, 0), bump_part or "minor")
        for existing in art.versions.values():
            if existing.commit == commit and existing.registered:
                raise RegistryError(
                    f"{name} {existing.version} is already registered at {commit[:7]}; "
                    "commit a new model version first",
                    fix=f"gitmodel add {model} && git commit",
                )
        notes = []
        if push:
            notes += _published(ws, pointer, f"{name} {chosen}", allow_local, commit[:12])
        elif ws.config.default_remote is None:
            notes.append(NOT_PUBLISHED)
        if rev is None and ws.git.path_differs_from_head(model + SUFFIX):
            notes.append(
                f"{model}{SUFFIX} has changes that are not committed; registered the "
                f"committed pointer of HEAD ({commit[:7]})"
            )
        fields: dict[str, Any] = {
            "event": "register",
            "version": str(chosen),
            "path": model,
            "hash": pointer.algo,
            "oid": pointer.oid,
            "size": pointer.size,
            "kind": pointer.kind,
        }
        if pointer.files is not None:
            fields["files"] = pointer.files
        fields["metrics"] = dict(pointer.metrics)
        fields["seq"] = art.highest_counter
        summary = f"Register {name} {chosen}: {model} ({pointer.algo}:{pointer.oid[:12]})"
        text = format_message(summary, _note(message), fields)

        def build(highest: int, attempt: int) -> tuple[TagEvent, str]:
            if attempt:
                raise RegistryError(
                    f"{name} {chosen} was registered by someone else meanwhile", fix="retry"
                )
            return Register(name, chosen), text

        tag = _create_tag(ws, name, commit, art.highest_counter, build)
    result = Recorded(name, tag, str(chosen), commit=commit, notes=notes)
    return _pushed(ws, result, push, git_remote)


def deregister(
    ws: Workspace,
    name: str,
    version: str,
    *,
    message: str | None = None,
    push: bool = False,
    git_remote: str = "origin",
) -> Recorded:
    """Withdraw a registered version (``name@vX.Y.Z!``); it stays in history."""
    with _locked(ws):
        _, art = load_artifact(ws, name)
        found = find_version(art, version)
        if not found.registered:
            raise RegistryError(f"{name} {found.version} is deregistered already")
        notes = [
            f"{name} {found.version} is still assigned to {stage}"
            for stage, step in sorted(art.stages.items())
            if step.version == found.version
        ]
        fields = {"event": "deregister", "version": found.version, "seq": art.highest_counter}
        text = format_message(f"Deregister {name} {found.version}", _note(message), fields)

        def build(highest: int, attempt: int) -> tuple[TagEvent, str]:
            return Deregister(name, found.parsed, _counted(attempt, highest)), text

        tag = _create_tag(ws, name, found.commit, art.highest_counter, build)
    result = Recorded(name, tag, found.version, commit=found.commit, notes=notes)
    return _pushed(ws, result, push, git_remote)


def deprecate(
    ws: Workspace,
    name: str,
    *,
    message: str | None = None,
    push: bool = False,
    git_remote: str = "origin",
) -> Recorded:
    """Retire the whole artifact (``name@deprecated``); a later event revives it."""
    with _locked(ws):
        _, art = load_artifact(ws, name)
        if art.deprecated:
            raise RegistryError(f"{name} is deprecated already")
        commit = art.history[-1].event.commit  # as GTO: the commit of the latest event
        fields = {"event": "deprecate", "seq": art.highest_counter}
        text = format_message(f"Deprecate {name}", _note(message), fields)

        def build(highest: int, attempt: int) -> tuple[TagEvent, str]:
            return Deprecate(name, _counted(attempt, highest)), text

        tag = _create_tag(ws, name, commit, art.highest_counter, build)
    return _pushed(ws, Recorded(name, tag, commit=commit), push, git_remote)


# ---------------------------------------------------------------- stages


def _assign(
    ws: Workspace,
    art: ArtifactState,
    env: str,
    version: VersionState,
    summary: str,
    message: str | None,
    extra: dict[str, Any] | None = None,
) -> str:
    fields = {"event": "assign", "version": version.version, **(extra or {})}
    text = format_message(summary, _note(message), fields)

    def build(highest: int, attempt: int) -> tuple[TagEvent, str]:
        return Assign(art.name, env, highest + 1), text

    return _create_tag(ws, art.name, version.commit, art.highest_counter, build)


def _deployable(art: ArtifactState, version: str | None) -> VersionState:
    if art.deprecated:
        raise RegistryError(
            f"{art.name} is deprecated", fix=f"gitmodel register {art.name} (to revive it)"
        )
    if version is None:
        if art.latest is None:
            raise RegistryError(
                f"{art.name} has no registered version", fix=f"gitmodel register {art.name}"
            )
        return art.latest
    found = find_version(art, version)
    if not found.registered:
        raise RegistryError(
            f"{art.name} {found.version} is deregistered and cannot be assigned",
            fix=f"gitmodel history {art.name}",
        )
    return found


def assign(
    ws: Workspace,
    name: str,
    env: str,
    *,
    version: str | None = None,
    message: str | None = None,
    push: bool = False,
    git_remote: str = "origin",
) -> Recorded:
    """Record that ``env`` holds a version (default: the latest); no deploy target runs."""
    validate_stage(env)
    with _locked(ws):
        _, art = load_artifact(ws, name)
        chosen = _deployable(art, version)
        current = art.stages.get(env)
        if current is not None and current.version == chosen.version:
            raise RegistryError(f"{name} {chosen.version} is already assigned to {env}")
        summary = f"Assign {env} to {name} {chosen.version}"
        tag = _assign(ws, art, env, chosen, summary, message)
    result = Recorded(name, tag, chosen.version, env, commit=chosen.commit)
    return _pushed(ws, result, push, git_remote)


def unassign(
    ws: Workspace,
    name: str,
    env: str,
    *,
    version: str | None = None,
    message: str | None = None,
    push: bool = False,
    git_remote: str = "origin",
) -> Recorded:
    """Record that ``env`` no longer holds its version (``name#env!#N``)."""
    validate_stage(env)
    with _locked(ws):
        state, art = load_artifact(ws, name)
        current = which(state, name, env)
        if version is not None and str(parse_version(version)) != current.version:
            raise RegistryError(f"{name} {version} is not in {env} ({env} has {current.label})")
        fields = {"event": "unassign", "version": current.version}
        text = format_message(f"Unassign {env} from {name} {current.label}", _note(message), fields)

        def build(highest: int, attempt: int) -> tuple[TagEvent, str]:
            return Unassign(name, env, highest + 1), text

        tag = _create_tag(ws, name, current.event.commit, art.highest_counter, build)
    notes = [f"the deploy target of {env}, if any, was left as it is"]
    result = Recorded(name, tag, current.version, env, commit=current.event.commit, notes=notes)
    return _pushed(ws, result, push, git_remote)


# ---------------------------------------------------------------- deploy and rollback


def _publication(
    ws: Workspace, art: ArtifactState, version: VersionState, allow_local: bool
) -> list[str]:
    model = model_path(ws, art, version)
    what = f"{art.name} {version.version}"
    pointer = pointer_at(ws, version.commit, model, what)
    return _published(ws, pointer, what, allow_local, version.tag)


def _published(
    ws: Workspace, pointer: Pointer, what: str, allow_local: bool, rev: str
) -> list[str]:
    """The publishing check (DESIGN §9): notes to show, or ObjectMissingError."""
    from gitmodel.services.published import check_published, require_published

    publication = check_published(ws, pointer, what)
    notes = list(publication.warnings)
    if publication.remote is None:
        notes.append(NOT_PUBLISHED)
    elif publication.missing and allow_local:
        notes.append(
            f"{len(publication.missing)} object(s) of {what} are not on remote "
            f"{publication.remote!r} (going ahead: --allow-local)"
        )
    else:
        require_published(publication, what, rev)
    return notes


def _pushed(ws: Workspace, result: Recorded, push: bool, git_remote: str) -> Recorded:
    if push and result.tag is not None:
        push_registry_tags(ws, git_remote, [result.tag])
        result.pushed_to = git_remote
    return result


def _object_url(ws: Workspace, algo: str, oid: str) -> str | None:
    from gitmodel.services.published import default_remote

    configured = default_remote(ws)
    if configured is None:
        return None
    url = str(configured[1]["url"])
    if "://" not in url and not os.path.isabs(url):
        url = str(ws.root / url)
    return f"{url.rstrip('/')}/{algo}/{oid[:2]}/{oid[2:]}"


def _materializer(ws: Workspace, pointer: Pointer, model: str, source: str) -> Materialize:
    strategies = tuple(s for s in ws.config.link_strategies if s != "symlink")
    if "copy" not in strategies:
        strategies += ("copy",)

    def place(directory: Path) -> Path:
        _ensure_cached(ws, pointer, model, source)
        if pointer.is_dir:
            from gitmodel.storage import manifests

            manifest = manifests.load(ws.cache, pointer.algo, pointer.oid, source)
            for entry in manifest.entries:
                ws.cache.materialize(
                    pointer.algo,
                    entry.oid,
                    directory / entry.path,
                    strategies,
                    executable=entry.executable,
                )
            return directory
        dest = directory / PurePosixPath(model).name
        ws.cache.materialize(pointer.algo, pointer.oid, dest, strategies)
        return dest

    return place


def _ensure_cached(ws: Workspace, pointer: Pointer, model: str, source: str) -> None:
    """Fetch the version's objects from the remotes if the cache lacks them."""
    from gitmodel.services.objects import PointerSet, needed_objects

    pointers = PointerSet()
    pointers.add(source, pointer)
    if all(ws.cache.has(*key) for key in needed_objects(ws, pointers)):
        return
    with contextlib.suppress(ImportError):
        from gitmodel.services.checkout import fetch_for
        from gitmodel.services.tracking import Tracked

        fetch_for(ws, [Tracked(model, pointer)])
    missing = [key for key in needed_objects(ws, pointers) if not ws.cache.has(*key)]
    if missing:
        raise ObjectMissingError(
            f"{source}: {len(missing)} object(s) are not in the cache "
            f"(first: {missing[0][0]}:{missing[0][1][:12]})",
            fix="gitmodel pull",
        )


def _run_target(ws: Workspace, name: str, env: str, target: Target) -> str:
    """Bring ``env``'s target to what the registry says now (re-read after tagging)."""
    _, art = load_artifact(ws, name)
    step = art.stages.get(env)
    if step is None:
        return f"nothing is assigned to {env}; the deploy target was not run"
    version = art.versions.get(step.version) if step.version else None
    model = model_path(ws, art, version)
    source = f"{name} {step.label}"
    pointer = pointer_at(ws, step.event.commit, model, source)
    from gitmodel.deploy import Release

    release = Release(
        artifact=name,
        env=env,
        version=step.label,
        counter=step.event.counter or 0,
        tag=step.event.tag,
        commit=step.event.commit,
        path=model,
        algo=pointer.algo,
        oid=pointer.oid,
        size=pointer.size,
        kind=pointer.kind,
        repo_root=ws.root,
        object_url=_object_url(ws, pointer.algo, pointer.oid),
    )
    return target.deploy(release, _materializer(ws, pointer, model, source))


def _target_failed(exc: GitModelError, tag: str | None, name: str, env: str) -> GitModelError:
    if tag is None:
        return exc
    # The assignment is recorded; deploying again (same version) only re-runs the target.
    return type(exc)(
        f"{tag} was recorded, but the deploy target failed: {exc.message}",
        fix=f"gitmodel deploy {name} --env {env}" if exc.fix is None else exc.fix,
    )


def deploy(
    ws: Workspace,
    name: str,
    env: str,
    *,
    version: str | None = None,
    message: str | None = None,
    allow_local: bool = False,
    push: bool = False,
    git_remote: str = "origin",
) -> Recorded:
    """Assign ``env`` to a version (default: the latest registered) and run the env's
    deploy target. Deploying the version ``env`` already holds records nothing new
    and re-runs the target, so a failed target is retried by deploying again."""
    validate_stage(env)
    target = _target(ws, env)
    with _locked(ws):
        _, art = load_artifact(ws, name)
        chosen = _deployable(art, version)
        notes = _publication(ws, art, chosen, allow_local)
        current = art.stages.get(env)
        tag = None
        if current is not None and current.version == chosen.version:
            notes.append(f"{name} {chosen.version} is already in {env}: nothing new to record")
        else:
            summary = f"Deploy {name} {chosen.version} to {env}"
            tag = _assign(ws, art, env, chosen, summary, message, {"target": _kind(target)})
        result = Recorded(name, tag, chosen.version, env, commit=chosen.commit, notes=notes)
        if target is None:
            result.notes.append(
                f"no [deploy.{env}] target in .gitmodel.toml: assigned only, nothing deployed"
            )
        else:
            try:
                result.target = _run_target(ws, name, env, target)
            except GitModelError as exc:
                raise _target_failed(exc, tag, name, env) from None
    return _pushed(ws, result, push, git_remote)


def _target(ws: Workspace, env: str) -> Target | None:
    from gitmodel.deploy import load_target

    return load_target(ws.config.get("deploy"), env)


def _kind(target: Target | None) -> str | None:
    return target.kind if target is not None else None


def rollback_target(art: ArtifactState, env: str, to: str | None) -> VersionState:
    """The version a rollback of ``env`` goes to: ``to``, or the most recent earlier
    deployed version that differs from the current one and is still registered."""
    current = art.stages.get(env)
    if to is not None:
        chosen = _deployable(art, to)
        if current is not None and current.version == chosen.version:
            raise RegistryError(f"{art.name} {chosen.version} is already in {env}")
        return chosen
    if current is None:
        raise RegistryError(
            f"no version of {art.name} is assigned to {env}, so there is nothing to roll back",
            fix=f"gitmodel rollback {art.name} --env {env} --to VERSION",
        )
    for step in reversed(art.deployments(env)):
        if step.version is None or step.version == current.version:
            continue
        candidate = art.versions.get(step.version)
        if candidate is not None and candidate.registered:
            return candidate
    raise RegistryError(
        f"{art.name} has no earlier deployment to {env} that differs from {current.label}",
        fix=f"gitmodel rollback {art.name} --env {env} --to VERSION",
    )


@dataclass
class _RevertPlan:
    model: str
    content: bytes
    message: str


def _plan_revert(
    ws: Workspace, art: ArtifactState, bad: Step | None, good: VersionState
) -> _RevertPlan | None:
    """What ``--revert`` will commit; RegistryError (before anything is recorded) when
    the pointer at HEAD is not the bad version's, i.e. the revert would conflict."""
    model = model_path(ws, art, good)
    rel = model + SUFFIX
    content = ws.git.show_file(good.commit, rel)
    if content is None:  # pragma: no cover - register checked it was there
        raise RegistryError(f"{rel} is missing from {good.commit[:7]}")
    if ws.git.head() is None:
        raise RegistryError("cannot --revert: the repository has no commit checked out")
    at_head = ws.git.show_file("HEAD", rel)
    if at_head == content:
        return None
    manual = (
        f"gitmodel checkout {model} --rev {art.name}@{good.version} && "
        f"git commit -m 'Revert {model} to {good.version}'"
    )
    if ws.git.path_differs_from_head(rel):
        raise RegistryError(
            f"cannot --revert: {rel} has uncommitted changes; nothing was recorded", fix=manual
        )
    bad_content = None
    if bad is not None:
        bad_version = art.versions.get(bad.version) if bad.version else None
        bad_model = model_path(ws, art, bad_version)
        bad_content = ws.git.show_file(bad.event.commit, bad_model + SUFFIX)
    if bad is None or at_head != bad_content:
        what = f"{bad.label}'s pointer" if bad is not None else "known"
        raise RegistryError(
            f"cannot --revert: {rel} at HEAD is not {what} (it changed since); the revert "
            "would conflict, so nothing was recorded; roll back without --revert or revert by hand",
            fix=manual,
        )
    assert bad is not None
    message = (
        f'Revert "{art.name} {bad.label}": restore {good.version} at {model}\n\n'
        f"This reverts the model pointer {rel} to its content in {art.name}@{good.version}\n"
        f"(commit {good.commit}), undoing {art.name} {bad.label} (commit {bad.event.commit}).\n"
    )
    return _RevertPlan(model, content, message)


def _apply_revert(ws: Workspace, plan: _RevertPlan, tag: str) -> str:
    """Write the older pointer, restore its binary (the pre-commit hook checks that the
    two agree), commit only that pointer. On failure both are put back as they were."""
    from gitmodel.services.add import _write_atomic
    from gitmodel.services.checkout import FAILED
    from gitmodel.services.checkout import checkout as restore

    rel = plan.model + SUFFIX
    path = ws.abspath(rel)
    original = path.read_bytes()
    try:
        _write_atomic(path, plan.content.decode("utf-8"))
        failed = [r for r in restore(ws, [plan.model]) if r.action == FAILED]
        if failed:
            raise RegistryError(str(failed[0].detail))
        return ws.git.commit_path(rel, plan.message + f"Rollback: {tag}\n")
    except GitModelError as exc:
        _write_atomic(path, original.decode("utf-8"))
        with contextlib.suppress(GitModelError):
            restore(ws, [plan.model])
        raise RegistryError(
            f"{tag} was recorded, but the revert commit failed: {exc.message}",
            fix=exc.fix or f"gitmodel checkout {plan.model} --rev {tag} && git commit",
        ) from None


def rollback(
    ws: Workspace,
    name: str,
    env: str,
    *,
    to: str | None = None,
    revert: bool = False,
    reason: str | None = None,
    allow_local: bool = False,
    push: bool = False,
    git_remote: str = "origin",
) -> Recorded:
    """Assign ``env`` again to the previous version (or ``to``) as a new event, run the
    deploy target, and with ``revert`` commit the older pointer at the model's path."""
    validate_stage(env)
    target = _target(ws, env)
    with _locked(ws):
        _, art = load_artifact(ws, name)
        good = rollback_target(art, env, to)
        current = art.stages.get(env)
        plan = _plan_revert(ws, art, current, good) if revert else None
        notes = _publication(ws, art, good, allow_local)
        bad = current.label if current is not None else None
        summary = f"Roll back {name} in {env} to {good.version}" + (f" (from {bad})" if bad else "")
        extra = {"target": _kind(target), "rollback_from": bad}
        tag = _assign(ws, art, env, good, summary, reason, extra)
        result = Recorded(name, tag, good.version, env, commit=good.commit, notes=notes)
        result.rolled_back_from = bad
        if target is not None:
            try:
                result.target = _run_target(ws, name, env, target)
            except GitModelError as exc:
                raise _target_failed(exc, tag, name, env) from None
    if revert and plan is None:
        result.notes.append(f"the pointer at HEAD is {good.version}'s already: nothing to revert")
    elif plan is not None:
        result.revert_commit = _apply_revert(ws, plan, tag)
    return _pushed(ws, result, push, git_remote)


# ---------------------------------------------------------------- publishing tags


def registry_tags(ws: Workspace) -> list[str]:
    """Names of every registry tag in the repository (annotated, well-formed)."""
    events, _, _ = read_events(ws.git.tag_refs())
    return [e.tag for e in events]


def push_registry_tags(
    ws: Workspace, git_remote: str = "origin", tags: Iterable[str] | None = None
) -> list[str]:
    """Push registry tags (all of them, or ``tags``) to a Git remote; the names pushed.

    This is what ``gitmodel push --tags [--git-remote origin]`` does; tags already on
    the remote cost nothing, and a tag that differs there is refused by Git.
    """
    names = list(tags) if tags is not None else registry_tags(ws)
    if names:
        ws.git.push_tags(git_remote, names)
    return names
