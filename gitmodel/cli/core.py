"""Core commands: init, add, status, checkout, gc."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from gitmodel.cli.output import human_size, info, print_json, progress, warn
from gitmodel.errors import EXIT_CHECK_FAILED

if TYPE_CHECKING:
    from gitmodel.services.checkout import CheckoutResult
    from gitmodel.services.workspace import Workspace

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def _workspace() -> Workspace:
    from gitmodel.services.workspace import Workspace

    return Workspace.open()


def init(
    hash_algorithm: Annotated[
        str,
        typer.Option("--hash", help="Hash of new objects: blake3, sha256 (Git LFS), md5 (DVC)."),
    ] = "blake3",
    no_stage: Annotated[
        bool, typer.Option("--no-stage", help="Do not git-add the new files.")
    ] = False,
    no_hooks: Annotated[
        bool, typer.Option("--no-hooks", help="Do not install the Git hooks.")
    ] = False,
) -> None:
    """Set up gitmodel in the current Git repository (safe to run again).

    Creates .gitmodel.toml, the cache under .git/gitmodel/, .gitignore rules and the
    Git hooks (pre-commit, pre-push, post-checkout, post-merge, post-rewrite).

    Example:  git init && gitmodel init
    """
    from gitmodel.services.init import init as do_init

    result = do_init(hash_algorithm=hash_algorithm, stage=not no_stage, hooks=not no_hooks)
    if result.created:
        info(f"Initialised gitmodel in {result.root} (created {', '.join(result.created)})")
    else:
        info(f"gitmodel is already set up in {result.root}; nothing to do")
    info(f"Cache: {result.cache_dir}")
    if result.hooks:
        info(f"Git hooks: {', '.join(result.hooks)}")


def add(
    paths: Annotated[list[str], typer.Argument(help="Files or directories to track.")],
    metric: Annotated[
        list[str] | None,
        typer.Option("--metric", "-m", help="Offline metric KEY=NUMBER (repeatable)."),
    ] = None,
    meta: Annotated[
        list[str] | None, typer.Option("--meta", help="Metadata KEY=VALUE (repeatable).")
    ] = None,
    metrics_file: Annotated[
        str | None,
        typer.Option("--metrics-file", help="Read metrics from a .json, .yaml or .csv file."),
    ] = None,
    no_stage: Annotated[
        bool, typer.Option("--no-stage", help="Do not git-add the pointer and .gitignore.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Track models: cache their bytes, write PATH.gitmodel, gitignore PATH, stage.

    Example:  gitmodel add models/churn.pkl --metric accuracy=0.91 --meta framework=sklearn
    """
    from gitmodel.metrics import parse_metric_pairs, parse_pairs
    from gitmodel.services.add import add as do_add
    from gitmodel.services.add import read_metrics_file

    metrics = parse_metric_pairs(metric or [])
    if metrics_file:
        metrics = {**read_metrics_file(metrics_file), **metrics}
    ws = _workspace()
    with progress() as bar:
        results = do_add(
            ws,
            paths,
            metrics=metrics,
            meta=parse_pairs(meta or [], "meta"),
            stage=not no_stage,
            progress=bar,
        )
    if as_json:
        print_json(
            [
                {
                    "path": r.model,
                    "pointer": r.model + ".gitmodel",
                    "oid": r.pointer.oid,
                    "hash": r.pointer.algo,
                    "size": r.pointer.size,
                    "kind": r.pointer.kind,
                    "changed": r.changed,
                }
                for r in results
            ]
        )
        return
    for r in results:
        shown = ws.display(r.model)
        what = f"{r.pointer.files} files, " if r.pointer.is_dir else ""
        if r.changed:
            info(
                f"added {shown} ({what}{human_size(r.pointer.size)}, "
                f"{r.pointer.algo}:{r.pointer.oid[:12]})"
            )
        else:
            info(f"{shown} is unchanged")
    if not no_stage and any(r.changed for r in results):
        info("Pointers are staged; next: git commit")


def status(
    paths: Annotated[list[str] | None, typer.Argument(help="Limit to these models.")] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 if anything is not clean.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Show, per tracked model, whether it is clean, modified, missing or not in cache.

    Example:  gitmodel status --check   (in CI: fails when a model was not added)
    """
    from gitmodel.cli.status_view import run_status

    raise typer.Exit(run_status(paths or [], as_json=as_json, check=check))


def _is_registry_reference(ws: Workspace, arg: str) -> bool:
    from gitmodel.tags import parse_shortcut

    return parse_shortcut(arg) is not None and not (ws.cwd / arg).exists()


def checkout(
    paths: Annotated[
        list[str] | None, typer.Argument(help="Models to restore (default: all).")
    ] = None,
    rev: Annotated[
        str | None,
        typer.Option(
            "--rev", "-r", help="Take the pointers from this revision (commit, branch, tag)."
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", "-f", help="Overwrite workspace changes that are not in the cache."
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Restore model binaries so they match their pointers.

    Examples:
      gitmodel checkout                                  restore every model
      gitmodel checkout models/churn.pkl --rev HEAD~1    bring back the previous version
      git checkout v1 && gitmodel checkout               after switching commits
      gitmodel checkout churn@v0.1.0                     a registered version (or churn#prod)
    """
    from gitmodel.services.checkout import checkout as do_checkout

    ws = _workspace()
    if rev is None and paths and len(paths) == 1 and _is_registry_reference(ws, paths[0]):
        rev, paths = paths[0], None  # `gitmodel checkout churn#prod`: a version, not a path
    with progress() as bar:
        results = do_checkout(ws, paths or [], rev=rev, force=force, progress=bar)
    if as_json:
        print_json([r.to_json() for r in results])
    else:
        report_checkout(ws, results)
        if not results:
            info("No models tracked yet (track one with: gitmodel add PATH)")
    exit_if_failed(results)


def report_checkout(ws: Workspace, results: list[CheckoutResult]) -> None:
    """One line per model restored, a warning per model refused."""
    from gitmodel.services.checkout import FAILED, RESTORED

    for r in results:
        if r.action == RESTORED:
            extra = f" ({r.files} files)" if r.files > 1 else ""
            info(f"restored {ws.display(r.model)}{extra}")
        elif r.action == FAILED:
            warn(f"{r.detail}")


def exit_if_failed(results: list[CheckoutResult]) -> None:
    from gitmodel.services.checkout import FAILED

    if any(r.action == FAILED for r in results):
        raise typer.Exit(EXIT_CHECK_FAILED)


def gc(
    all_branches: Annotated[
        bool, typer.Option("--all-branches", "-a", help="Keep what every branch tip needs.")
    ] = False,
    all_tags: Annotated[
        bool, typer.Option("--all-tags", "-T", help="Keep what every tag needs.")
    ] = False,
    all_commits: Annotated[
        bool, typer.Option("--all-commits", "-A", help="Keep everything reachable in history.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", "-n", help="Only report what would be removed.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Remove cache objects that the workspace and HEAD do not need.

    Example:  gitmodel gc --all-branches --all-tags --dry-run
    """
    from gitmodel.services.gc import gc as do_gc

    result = do_gc(
        _workspace(),
        all_branches=all_branches,
        all_tags=all_tags,
        all_commits=all_commits,
        dry_run=dry_run,
    )
    if as_json:
        print_json(result.to_json())
        return
    for message in result.warnings:
        warn(message)
    verb = "would remove" if dry_run else "removed"
    info(
        f"{verb} {result.removed} object(s), {human_size(result.removed_bytes)}; kept {result.kept}"
    )


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(add)
    app.command()(status)
    app.command()(checkout)
    app.command()(gc)
