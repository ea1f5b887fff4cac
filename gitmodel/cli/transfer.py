"""push, fetch, pull, verify, get."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from gitmodel.cli.output import human_size, info, print_json, progress, warn
from gitmodel.errors import EXIT_CHECK_FAILED

if TYPE_CHECKING:
    from gitmodel.services.workspace import Workspace

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
PathsArg = Annotated[
    list[str] | None, typer.Argument(help="Limit to these models (default: all in the workspace).")
]
RemoteOpt = Annotated[
    str | None, typer.Option("--remote", "-r", help="Remote name (default: the default remote).")
]
JobsOpt = Annotated[
    int | None, typer.Option("--jobs", "-j", min=1, help="Parallel transfers (default 4 x cores).")
]
RevOpt = Annotated[
    list[str] | None,
    typer.Option("--rev", help="Objects needed by this revision (repeatable)."),
]
BranchesOpt = Annotated[
    bool, typer.Option("--all-branches", "-a", help="Objects needed by every branch tip.")
]
TagsOpt = Annotated[bool, typer.Option("--all-tags", "-T", help="Objects needed by every tag.")]
CommitsOpt = Annotated[
    bool, typer.Option("--all-commits", "-A", help="Objects needed anywhere in history.")
]


def _ws() -> Workspace:
    from gitmodel.services.workspace import Workspace

    return Workspace.open()


def push(
    paths: PathsArg = None,
    remote: RemoteOpt = None,
    all_remotes: Annotated[
        bool, typer.Option("--all-remotes", help="Push to every configured remote.")
    ] = False,
    rev: RevOpt = None,
    all_branches: BranchesOpt = False,
    all_tags: TagsOpt = False,
    all_commits: CommitsOpt = False,
    tags: Annotated[
        bool, typer.Option("--tags", help="Also push registry tags to the Git remote.")
    ] = False,
    git_remote: Annotated[
        str, typer.Option("--git-remote", help="Git remote for --tags.")
    ] = "origin",
    jobs: JobsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Upload the objects the workspace's models need to a remote.

    Objects the remote already has cost nothing (the state db remembers them).

    Examples:
      gitmodel push                          what the workspace needs, to the default remote
      gitmodel push --all-remotes            replicate to every remote (multi-cloud)
      gitmodel push --all-branches --tags    every branch tip, and the registry tags
    """
    from gitmodel.services.transfer import push as do_push

    ws = _ws()
    with progress() as bar:
        summaries, warnings = do_push(
            ws,
            paths or [],
            remote=remote,
            all_remotes=all_remotes,
            revs=rev,
            all_branches=all_branches,
            all_tags=all_tags,
            all_commits=all_commits,
            jobs=jobs,
            progress=bar,
        )
    pushed_tags: list[str] = []
    if tags:
        from gitmodel.services.registry import push_registry_tags

        pushed_tags = list(push_registry_tags(ws, git_remote) or [])
    if as_json:
        print_json(
            {"remotes": [s.to_json() for s in summaries], "warnings": warnings, "tags": pushed_tags}
        )
        return
    for message in warnings:
        warn(message)
    for s in summaries:
        info(
            f"{s.remote}: uploaded {s.transferred} object(s) ({human_size(s.bytes)}), "
            f"{s.skipped} already there"
        )
    if tags:
        info(f"pushed registry tags to {git_remote}")


def fetch(
    paths: PathsArg = None,
    remote: RemoteOpt = None,
    rev: RevOpt = None,
    all_branches: BranchesOpt = False,
    all_tags: TagsOpt = False,
    all_commits: CommitsOpt = False,
    jobs: JobsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Download into the cache the objects the models need (the workspace is not touched).

    Without --remote, the default remote is tried first, then the others.

    Example:  gitmodel fetch --rev churn@v0.1.0
    """
    from gitmodel.services.transfer import fetch as do_fetch

    with progress() as bar:
        summary = do_fetch(
            _ws(),
            paths or [],
            remote=remote,
            revs=rev,
            all_branches=all_branches,
            all_tags=all_tags,
            all_commits=all_commits,
            jobs=jobs,
            progress=bar,
        )
    if as_json:
        print_json(summary.to_json())
        return
    for message in summary.warnings:
        warn(message)
    for s in summary.per_remote:
        if s.transferred:
            info(f"{s.remote}: downloaded {s.transferred} object(s) ({human_size(s.bytes)})")
    if not summary.transferred:
        info("everything needed is already in the cache")


def pull(
    paths: PathsArg = None,
    remote: RemoteOpt = None,
    force: Annotated[
        bool, typer.Option("--force", "-f", help="Overwrite workspace changes not in the cache.")
    ] = False,
    jobs: JobsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Fetch what the workspace's models need and restore them (fetch + checkout).

    Example:  git clone URL && cd repo && gitmodel pull
    """
    from gitmodel.cli.core import exit_if_failed, report_checkout
    from gitmodel.services.transfer import pull as do_pull

    ws = _ws()
    with progress() as bar:
        summary, results = do_pull(
            ws, paths or [], remote=remote, force=force, jobs=jobs, progress=bar
        )
    if as_json:
        print_json({"fetch": summary.to_json(), "checkout": [r.to_json() for r in results]})
    else:
        for message in summary.warnings:
            warn(message)
        if summary.transferred:
            info(f"downloaded {summary.transferred} object(s)")
        report_checkout(ws, results)
    exit_if_failed(results)


def verify(
    paths: PathsArg = None,
    remote: RemoteOpt = None,
    all_remotes: Annotated[
        bool, typer.Option("--all-remotes", help="Check every configured remote.")
    ] = False,
    deep: Annotated[
        bool, typer.Option("--deep", help="Also download and hash every object.")
    ] = False,
    rev: RevOpt = None,
    all_branches: BranchesOpt = False,
    all_tags: TagsOpt = False,
    all_commits: CommitsOpt = False,
    jobs: JobsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Prove a remote holds every object needed, with the right size (--deep: hash).

    Exit code 1 and a list when something is missing or wrong; `gitmodel push` repairs
    missing objects.

    Examples:
      gitmodel verify --all-remotes --all-tags      multi-cloud consistency check
      gitmodel verify --remote backup --deep
    """
    from gitmodel.services.transfer import verify as do_verify

    with progress() as bar:
        summaries, warnings = do_verify(
            _ws(),
            paths or [],
            remote=remote,
            all_remotes=all_remotes,
            deep=deep,
            revs=rev,
            all_branches=all_branches,
            all_tags=all_tags,
            all_commits=all_commits,
            jobs=jobs,
            progress=bar,
        )
    if as_json:
        print_json({"remotes": [s.to_json() for s in summaries], "warnings": warnings})
    else:
        for message in warnings:
            warn(message)
        for s in summaries:
            if s.clean:
                info(
                    f"{s.remote}: all {s.checked} object(s) present"
                    + (" and intact" if deep else "")
                )
                continue
            for oid in s.missing:
                info(f"{s.remote}: missing {oid}")
            for oid in s.wrong_size:
                info(f"{s.remote}: wrong size {oid}")
            for oid in s.corrupt:
                info(f"{s.remote}: corrupt {oid}")
            for line in s.errors:
                info(f"{s.remote}: unreadable {line}")
            info(f"{s.remote}: repair with: gitmodel push --remote {s.remote}")
    if any(not s.clean for s in summaries):
        raise typer.Exit(EXIT_CHECK_FAILED)


def get(
    repo_url: Annotated[str, typer.Argument(help="Any Git URL, or a path to a (bare) repository.")],
    path: Annotated[str, typer.Argument(help="The model's path in that repository.")],
    rev: Annotated[
        str | None, typer.Option("--rev", help="Branch, tag (e.g. churn@v1.2.0) or commit.")
    ] = None,
    output: Annotated[
        str | None, typer.Option("--out", "-o", help="Where to write it (default: its name).")
    ] = None,
    remote: Annotated[
        str | None, typer.Option("--remote", "-r", help="The source repository's remote to use.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", "-f", help="Overwrite OUT.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Download one model from another repository's remote, without cloning it.

    Examples:
      gitmodel get git@github.com:acme/models.git models/churn.pkl --rev churn@v1.2.0
      gitmodel get /srv/git/models.git models/bert -o bert/
    """
    from gitmodel.services.get import get as do_get

    with progress() as bar:
        result = do_get(
            repo_url, path, rev=rev, output=output, remote=remote, force=force, progress=bar
        )
    if as_json:
        print_json(result.to_json())
        return
    what = f"{result.files} files, " if result.pointer.is_dir else ""
    info(
        f"downloaded {path} ({what}{human_size(result.pointer.size)}) from remote "
        f"{result.remote} to {result.output}"
    )


def register(app: typer.Typer) -> None:
    app.command()(push)
    app.command()(fetch)
    app.command()(pull)
    app.command()(verify)
    app.command()(get)
