"""The typer application: global options and the command groups."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from gitmodel import __version__
from gitmodel.errors import EXIT_INTERRUPTED, EXIT_USAGE

app = typer.Typer(
    name="gitmodel",
    help=(
        "Version, ship, deploy, monitor and roll back ML models with Git.\n\n"
        "Models live as small pointer files (PATH.gitmodel) in Git; their bytes live "
        "in a content-addressed cache and on remotes.\n\n"
        "Example:  gitmodel init && gitmodel add models/churn.pkl && git commit -m v1"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gitmodel {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    ctx: typer.Context,
    directory: Annotated[
        str | None,
        typer.Option("-C", help="Run as if gitmodel was started in DIR.", metavar="DIR"),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    if directory:
        try:
            os.chdir(directory)
        except OSError as exc:
            raise typer.BadParameter(f"cannot change to {directory}: {exc.strerror}") from None
    if debug:
        os.environ["GITMODEL_DEBUG"] = "1"


def _register() -> None:
    from gitmodel.cli import core, hooks, remote, transfer

    core.register(app)
    transfer.register(app)
    remote.register(app)
    hooks.register(app)
    from gitmodel.cli import registry as registry_commands

    registry_commands.register(app)
    from gitmodel.cli import metrics as metrics_commands

    metrics_commands.register(app)
    from gitmodel.cli import monitor as monitor_commands

    monitor_commands.register(app)


_register()


def run(args: list[str]) -> int:
    """Run the CLI on ``args``; return the exit code (errors of gitmodel propagate)."""
    try:
        result = app(args=args, prog_name="gitmodel", standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.Abort:
        return EXIT_INTERRUPTED
    except Exception as exc:
        # Usage errors of the bundled click: print them the way click does.
        show = getattr(exc, "show", None)
        if callable(show) and hasattr(exc, "exit_code"):
            show()
            return int(getattr(exc, "exit_code", EXIT_USAGE))
        raise
    return int(result) if isinstance(result, int) else 0
