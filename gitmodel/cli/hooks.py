"""``gitmodel hooks install|uninstall|status`` and the ``hook`` entry of the shims."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from gitmodel.cli.output import info, out, print_json

if TYPE_CHECKING:
    from gitmodel.git import Git

hooks_app = typer.Typer(
    help="Install the Git hooks that keep models in step with commit, push and checkout.",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def _git() -> Git:
    from gitmodel.git import Git

    return Git.discover()


@hooks_app.command("install")
def install(as_json: JsonOpt = False) -> None:
    """Install pre-commit, pre-push, post-checkout, post-merge and post-rewrite hooks.

    Respects core.hooksPath. A hook that is already there is kept and chained: it runs
    first, and its failure still stops the commit or push.

    Example:  gitmodel hooks install
    """
    from gitmodel.services.hooks import install_hooks

    states = install_hooks(_git())
    if as_json:
        print_json([s.to_json() for s in states])
        return
    for s in states:
        note = " (your existing hook is kept and runs first)" if s.state == "chained" else ""
        info(f"{s.name}: installed at {s.path}{note}")


@hooks_app.command("uninstall")
def uninstall(as_json: JsonOpt = False) -> None:
    """Remove gitmodel's hooks and put back the hooks they chained to.

    Example:  gitmodel hooks uninstall
    """
    from gitmodel.services.hooks import uninstall_hooks

    states = uninstall_hooks(_git())
    if as_json:
        print_json([s.to_json() for s in states])
        return
    for s in states:
        info(f"{s.name}: {'restored your hook' if s.state == 'foreign' else 'removed'}")


@hooks_app.command("status")
def status(as_json: JsonOpt = False) -> None:
    """Show which hooks are installed, chained, missing or foreign.

    Example:  gitmodel hooks status --json
    """
    from gitmodel.services.hooks import hooks_status

    states = hooks_status(_git())
    if as_json:
        print_json([s.to_json() for s in states])
        return
    for s in states:
        out.print(f"{s.state:>9}  {s.name}  {s.path}", markup=False)


def hook(
    name: Annotated[str, typer.Argument(help="pre-commit, pre-push, post-checkout, ...")],
    args: Annotated[list[str] | None, typer.Argument(help="Arguments git passed.")] = None,
) -> None:
    """Run one hook (the installed shims call this; you rarely need to)."""
    from gitmodel.cli import run_hook_command

    raise typer.Exit(run_hook_command(name, args or []))


def register(app: typer.Typer) -> None:
    app.add_typer(hooks_app, name="hooks")
    app.command(hidden=True, context_settings={"ignore_unknown_options": True})(hook)
