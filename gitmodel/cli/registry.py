"""Registry commands: register, deregister, deprecate, assign, unassign, deploy,
rollback, ls, history, show, which. The registry is annotated Git tags
(docs/registry.md); ``gitmodel checkout NAME@v`` and ``--rev NAME#env`` work through
the revision resolver of ``gitmodel.services.checkout``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from gitmodel.cli.output import human_size, info, out, print_json, warn

if TYPE_CHECKING:
    from gitmodel.registry_state import ArtifactState, RegistryState, Step, VersionState
    from gitmodel.services.registry import Recorded
    from gitmodel.services.workspace import Workspace

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
NameArg = Annotated[str, typer.Argument(help="Artifact name, e.g. churn or dir:churn.")]
EnvOpt = Annotated[
    str,
    typer.Option("--env", "-e", "--stage", help="Environment (stage), e.g. prod.", metavar="ENV"),
]
VersionOpt = Annotated[
    str | None, typer.Option("--version", "-v", help="A registered version, e.g. v1.2.0.")
]
MessageOpt = Annotated[
    str | None, typer.Option("--message", "-m", help="Why: kept in the tag message.")
]
PushOpt = Annotated[
    bool, typer.Option("--push", help="Push the new tag to the Git remote right away.")
]
GitRemoteOpt = Annotated[
    str, typer.Option("--git-remote", help="Git remote for --push.", metavar="REMOTE")
]
AllowLocalOpt = Annotated[
    bool,
    typer.Option(
        "--allow-local", help="Go ahead even if the model's objects are not on the default remote."
    ),
]


def _ws() -> Workspace:
    from gitmodel.services.workspace import Workspace

    return Workspace.open()


def _state(ws: Workspace, name: str | None = None) -> RegistryState:
    """The registry (only ``name``'s tags if given), its problems shown as warnings."""
    from gitmodel.services.registry import load, load_artifact

    state = load(ws) if name is None else load_artifact(ws, name)[0]
    for problem in state.problems:
        warn(problem)
    return state


def _date(timestamp: int) -> str:
    from gitmodel.registry_state import iso_time

    return iso_time(timestamp).replace("T", " ").rstrip("Z")


def _table(rows: list[list[str]], header: list[str]) -> None:
    """Plain aligned columns: readable on a terminal, greppable in a pipe."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    if out.is_terminal:
        out.print(lines[0], markup=False, style="bold")
        out.print("\n".join(lines[1:]), markup=False)
    else:  # thousands of rows: skip rich's per-line rendering
        typer.echo("\n".join(lines))


def _report(result: Recorded, headline: str, as_json: bool) -> None:
    """Notes first, then what was recorded, what the target did, where to share it."""
    if as_json:
        print_json(result.to_json())
        return
    for note in result.notes:
        info(note)
    if result.tag is not None:
        info(f"{headline}: tag {result.tag}")
    if result.target:
        info(result.target)
    if result.revert_commit:
        info(f"Revert commit {result.revert_commit[:12]} restores the older pointer")
    if result.tag is None:
        return
    if result.pushed_to:
        info(f"Pushed {result.tag} to {result.pushed_to}")
    else:
        info(f"Share it with: git push origin '{result.tag}'  (all of them: gitmodel push --tags)")


# ---------------------------------------------------------------- recording events


def register_version(
    name: NameArg,
    path: Annotated[
        str | None,
        typer.Option("--path", "-p", help="The model (or its pointer); remembered afterwards."),
    ] = None,
    rev: Annotated[
        str | None, typer.Option("--rev", "-r", help="Commit to register (default: HEAD).")
    ] = None,
    version: Annotated[
        str | None, typer.Option("--version", "-v", help="The version, e.g. v1.0.0.")
    ] = None,
    bump: Annotated[
        str | None,
        typer.Option("--bump", "-b", help="Bump major, minor (default) or patch.", metavar="PART"),
    ] = None,
    message: MessageOpt = None,
    push: PushOpt = False,
    git_remote: GitRemoteOpt = "origin",
    allow_local: AllowLocalOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Register the model committed at --rev (default HEAD) as a new version: an
    annotated tag NAME@vX.Y.Z whose message records path, object id, size and metrics.

    Example:  gitmodel register churn --path models/churn.pkl -m "retrained on March data"
    """
    from gitmodel.services.registry import register as do_register
    from gitmodel.tags import BUMP_PARTS

    if bump is not None and bump not in BUMP_PARTS:
        raise typer.BadParameter(f"--bump must be one of {', '.join(BUMP_PARTS)}")
    ws = _ws()
    result = do_register(
        ws,
        name,
        path=path,
        rev=rev,
        version=version,
        bump_part=bump,  # type: ignore[arg-type]
        message=message,
        push=push,
        git_remote=git_remote,
        allow_local=allow_local,
    )
    _report(result, f"Registered {name} {result.version}", as_json)


def deregister(
    name: NameArg,
    version: Annotated[str, typer.Option("--version", "-v", help="The version to withdraw.")],
    message: MessageOpt = None,
    push: PushOpt = False,
    git_remote: GitRemoteOpt = "origin",
    as_json: JsonOpt = False,
) -> None:
    """Withdraw a version (tag NAME@vX.Y.Z!); it stays in history, @latest skips it.

    Example:  gitmodel deregister churn --version v0.3.0 -m "trained on leaked labels"
    """
    from gitmodel.services.registry import deregister as do_deregister

    result = do_deregister(_ws(), name, version, message=message, push=push, git_remote=git_remote)
    _report(result, f"Deregistered {name} {result.version}", as_json)


def deprecate(
    name: NameArg,
    message: MessageOpt = None,
    push: PushOpt = False,
    git_remote: GitRemoteOpt = "origin",
    as_json: JsonOpt = False,
) -> None:
    """Retire an artifact (tag NAME@deprecated); ls hides it, deploy refuses it.

    Example:  gitmodel deprecate churn-legacy -m "replaced by churn"
    """
    from gitmodel.services.registry import deprecate as do_deprecate

    result = do_deprecate(_ws(), name, message=message, push=push, git_remote=git_remote)
    _report(result, f"Deprecated {name}", as_json)


def assign(
    name: NameArg,
    env: EnvOpt,
    version: VersionOpt = None,
    message: MessageOpt = None,
    push: PushOpt = False,
    git_remote: GitRemoteOpt = "origin",
    as_json: JsonOpt = False,
) -> None:
    """Record that an environment holds a version (tag NAME#ENV#N), without running
    its deploy target or the publishing check (that is what deploy adds).

    Example:  gitmodel assign churn --env staging --version v0.2.0
    """
    from gitmodel.services.registry import assign as do_assign

    result = do_assign(
        _ws(), name, env, version=version, message=message, push=push, git_remote=git_remote
    )
    _report(result, f"Assigned {env} to {name} {result.version}", as_json)


def unassign(
    name: NameArg,
    env: EnvOpt,
    version: VersionOpt = None,
    message: MessageOpt = None,
    push: PushOpt = False,
    git_remote: GitRemoteOpt = "origin",
    as_json: JsonOpt = False,
) -> None:
    """Record that an environment no longer holds its version (tag NAME#ENV!#N).

    Example:  gitmodel unassign churn --env staging
    """
    from gitmodel.services.registry import unassign as do_unassign

    result = do_unassign(
        _ws(), name, env, version=version, message=message, push=push, git_remote=git_remote
    )
    _report(result, f"Unassigned {env} from {name} {result.version}", as_json)


def deploy(
    name: NameArg,
    env: EnvOpt,
    version: Annotated[
        str | None,
        typer.Option("--version", "-v", help="Version to deploy (default: the latest)."),
    ] = None,
    message: MessageOpt = None,
    allow_local: AllowLocalOpt = False,
    push: PushOpt = False,
    git_remote: GitRemoteOpt = "origin",
    as_json: JsonOpt = False,
) -> None:
    """Deploy a version to an environment: assign it (tag NAME#ENV#N) and run the
    environment's deploy target from .gitmodel.toml (\\[deploy.ENV]: serving-dir,
    command or kubernetes). Refuses versions whose objects are not on the default
    remote unless --allow-local. Deploying the current version again re-runs the target.

    Example:  gitmodel deploy churn --env prod --version v0.2.0
    """
    from gitmodel.services.registry import deploy as do_deploy

    result = do_deploy(
        _ws(),
        name,
        env,
        version=version,
        message=message,
        allow_local=allow_local,
        push=push,
        git_remote=git_remote,
    )
    _report(result, f"Deployed {name} {result.version} to {env}", as_json)


def rollback(
    name: NameArg,
    env: EnvOpt,
    to: Annotated[
        str | None,
        typer.Option("--to", help="Version to go back to (default: the previous one deployed)."),
    ] = None,
    revert: Annotated[
        bool,
        typer.Option(
            "--revert", help="Also commit the older pointer at the model's path (git revert)."
        ),
    ] = False,
    message: Annotated[
        str | None, typer.Option("--message", "-m", help="Why: kept in the tag message.")
    ] = None,
    allow_local: AllowLocalOpt = False,
    push: PushOpt = False,
    git_remote: GitRemoteOpt = "origin",
    as_json: JsonOpt = False,
) -> None:
    """Roll an environment back to the previous version deployed there (or --to), as a
    new assignment NAME#ENV#N+1: the bad deploy and the rollback both stay in history.
    The deploy target runs, so a serving dir rolls back too.

    Example:  gitmodel rollback churn --env prod -m "accuracy dropped to 0.71"
    """
    from gitmodel.services.registry import rollback as do_rollback

    result = do_rollback(
        _ws(),
        name,
        env,
        to=to,
        revert=revert,
        reason=message,
        allow_local=allow_local,
        push=push,
        git_remote=git_remote,
    )
    came_from = f" from {result.rolled_back_from}" if result.rolled_back_from else ""
    _report(result, f"Rolled back {name} in {env}{came_from} to {result.version}", as_json)


# ---------------------------------------------------------------- inspecting


def ls(
    all_: Annotated[
        bool, typer.Option("--all", "-a", help="Include deprecated artifacts.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """List artifacts with their latest version and what each environment holds.

    Example:  gitmodel ls --json
    """
    state = _state(_ws())
    artifacts = [a for a in state.artifacts.values() if all_ or not a.deprecated]
    if as_json:
        print_json([a.to_json() for a in artifacts])
        return
    if not artifacts:
        info("No registered models yet (register one with: gitmodel register NAME --path PATH)")
        return
    rows = []
    for a in artifacts:
        latest = a.latest
        stages = ", ".join(f"{env}={step.label}" for env, step in sorted(a.stages.items()))
        name = a.name + (" (deprecated)" if a.deprecated else "")
        rows.append([name, latest.version if latest else "-", stages or "-", a.path() or "-"])
    _table(rows, ["NAME", "LATEST", "ENVIRONMENTS", "PATH"])


def _event_name(step: Step) -> str:
    if step.event.rollback_from:
        return "rollback"
    return step.event.action.value


def history(
    name: NameArg,
    env: Annotated[
        str | None, typer.Option("--env", "-e", help="Only this environment's events.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show an artifact's events in order: registrations, deploys, rollbacks, with who,
    when and why. Ordered by the counter N, never by clock.

    Example:  gitmodel history churn --env prod
    """
    art = _state(_ws(), name).artifact(name)
    steps = [s for s in art.history if env is None or s.event.stage == env]
    if as_json:
        print_json([s.to_json() for s in steps])
        return
    rows = []
    for s in steps:
        e = s.event
        what = _event_name(s)
        if e.rollback_from:
            what += f" from {e.rollback_from}"
        rows.append(
            [
                str(e.counter) if e.counter is not None else "",
                _date(e.timestamp),
                what,
                s.label if s.version or e.stage else "",
                e.stage or "",
                e.author.split(" <")[0],
                e.note.splitlines()[0] if e.note else "",
                e.tag,
            ]
        )
    _table(rows, ["N", "DATE (UTC)", "EVENT", "VERSION", "ENV", "BY", "MESSAGE", "TAG"])


def _version_lines(v: VersionState, art: ArtifactState) -> list[str]:
    data = v.to_json()
    envs = [env for env, step in sorted(art.stages.items()) if step.version == v.version]
    metrics = ", ".join(f"{k}={val}" for k, val in data["metrics"].items())
    lines = [
        f"{art.name} {v.version}" + ("" if v.registered else " (deregistered)"),
        f"  tag:         {v.tag}",
        f"  commit:      {v.commit}",
        f"  registered:  {_date(v.registered_at)} by {v.author}",
        f"  path:        {data['path'] or '-'}",
    ]
    if data["oid"]:
        lines.append(f"  object:      {data['hash']}:{data['oid']} ({human_size(data['size'])})")
    if metrics:
        lines.append(f"  metrics:     {metrics}")
    if envs:
        lines.append(f"  deployed in: {', '.join(envs)}")
    if v.note:
        lines.append(f"  message:     {v.note}")
    return lines


def show(
    ref: Annotated[
        str, typer.Argument(help="NAME, NAME@vX.Y.Z, NAME@latest or NAME#ENV.", metavar="REF")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Show an artifact, one of its versions, or what an environment holds.

    Examples:
      gitmodel show churn
      gitmodel show churn@v0.2.0 --json
      gitmodel show churn#prod
    """
    from gitmodel.registry_state import Step, sorted_versions
    from gitmodel.services.registry import resolve_version
    from gitmodel.tags import parse_shortcut

    shortcut = parse_shortcut(ref)
    state = _state(_ws(), shortcut.artifact if shortcut else ref)
    if shortcut is None:
        art = state.artifact(ref)
        if as_json:
            data: dict[str, Any] = art.to_json()
            data["versions"] = [v.to_json() for v in sorted_versions(art)]
            data["stages"] = {env: step.to_json() for env, step in sorted(art.stages.items())}
            print_json(data)
            return
        latest = art.latest
        out.print(f"{art.name}" + (" (deprecated)" if art.deprecated else ""), markup=False)
        out.print(f"  path:    {art.path() or '-'}", markup=False)
        out.print(f"  latest:  {latest.version if latest else '-'}", markup=False)
        for env, step in sorted(art.stages.items()):
            out.print(f"  {env}:  {step.label} (tag {step.event.tag})", markup=False)
        rows = []
        for v in sorted_versions(art):
            envs = ",".join(e for e, s in sorted(art.stages.items()) if s.version == v.version)
            status = "" if v.registered else "deregistered"
            rows.append([v.version, v.commit[:7], _date(v.registered_at), envs, status])
        if rows:
            out.print("")
            _table(rows, ["VERSION", "COMMIT", "REGISTERED (UTC)", "ENVIRONMENTS", ""])
        return
    art, found = resolve_version(state, ref)
    if isinstance(found, Step):
        version = art.versions.get(found.version) if found.version else None
        if as_json:
            print_json({**found.to_json(), "details": version.to_json() if version else None})
            return
        e = found.event
        out.print(f"{art.name}#{e.stage}: {found.label}", markup=False)
        out.print(f"  tag:      {e.tag} (N={e.counter})", markup=False)
        out.print(f"  since:    {_date(e.timestamp)} by {e.author}", markup=False)
        if e.rollback_from:
            out.print(f"  rollback: from {e.rollback_from}", markup=False)
        if e.note:
            out.print(f"  message:  {e.note}", markup=False)
        if version is not None:
            for line in _version_lines(version, art):
                out.print(line, markup=False)
        return
    if as_json:
        print_json(found.to_json())
        return
    for line in _version_lines(found, art):
        out.print(line, markup=False)


def which(
    name: NameArg,
    env: EnvOpt,
    as_json: JsonOpt = False,
) -> None:
    """Print the version an environment holds (exactly one line); exit 1 if none.

    Example:  MODEL_VERSION=$(gitmodel which churn --env prod)
    """
    from gitmodel.services.registry import which as do_which

    step = do_which(_state(_ws(), name), name, env)
    if as_json:
        print_json(step.to_json())
    else:
        typer.echo(step.label)


def register(app: typer.Typer) -> None:
    """Add the registry commands to ``app``."""
    app.command("register")(register_version)
    for command in (
        deregister,
        deprecate,
        assign,
        unassign,
        deploy,
        rollback,
        ls,
        history,
        show,
        which,
    ):
        app.command()(command)
