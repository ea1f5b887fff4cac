"""The ``gitmodel`` command line. ``main`` dispatches the hooks' fast path and
``--version`` before importing typer or rich, so they stay cheap."""

from __future__ import annotations

import os
import sys


def _fast_path(argv: list[str]) -> int | None:
    """Answer what needs no CLI framework; None means: go on to the full CLI."""
    if argv in (["--version"], ["-V"]):
        from gitmodel import __version__

        sys.stdout.write(f"gitmodel {__version__}\n")
        return 0
    if len(argv) >= 2 and argv[0] == "hook":
        return run_hook_command(argv[1], argv[2:])
    if argv == ["checkout"]:
        from gitmodel.cli.status_view import all_clean

        if all_clean():
            return 0  # nothing to restore: what the full command would do, minus its imports
        return None
    if argv and argv[0] == "push":
        return _push_if_nothing_to_send(argv[1:])
    if argv and argv[0] == "status":
        from gitmodel.cli.status_view import parse_fast_status, run_status

        parsed = parse_fast_status(argv)
        if parsed is not None:
            paths, as_json, check = parsed
            return run_status(paths, as_json=as_json, check=check)
    return None


def _push_if_nothing_to_send(args: list[str]) -> int | None:
    """``push [-r NAME] [PATH...]`` whose objects the state db says the remote has:
    answered as the full command would (same line), without typer, rich or fsspec.
    Anything else, any doubt or any error goes to the full command."""
    paths: list[str] = []
    remote: str | None = None
    rest = iter(args)
    for arg in rest:
        if arg in ("-r", "--remote"):
            remote = next(rest, None)
            if remote is None:
                return None
        elif arg.startswith("-"):
            return None
        else:
            paths.append(arg)
    from gitmodel.errors import GitModelError
    from gitmodel.services.transfer import already_pushed
    from gitmodel.services.workspace import Workspace

    try:
        summary = already_pushed(Workspace.open(), paths, remote)
    except GitModelError:
        return None  # reported by the full command, in its words
    if summary is None:
        return None
    # The line of `gitmodel push` (cli/transfer.py) for a push that sent nothing.
    sys.stderr.write(
        f"{summary.remote}: uploaded 0 object(s) (0 B), {summary.skipped} already there\n"
    )
    return 0


def run_hook_command(name: str, args: list[str]) -> int:
    """``gitmodel hook NAME ARGS``, as the installed shims call it: no typer, no rich."""
    from gitmodel.errors import EXIT_INTERRUPTED, GitModelError
    from gitmodel.services.hook_run import STDIN_HOOKS, run_hook

    stdin = sys.stdin.buffer.read() if name in STDIN_HOOKS and not sys.stdin.isatty() else None
    try:
        return run_hook(name, args, stdin)
    except GitModelError as exc:
        if _debug_requested(args):
            raise
        sys.stderr.write(f"gitmodel: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def _debug_requested(argv: list[str]) -> bool:
    return "--debug" in argv or os.environ.get("GITMODEL_DEBUG") == "1"


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    args = list(sys.argv[1:] if argv is None else argv)
    from gitmodel.errors import EXIT_INTERRUPTED, GitModelError

    try:
        fast = _fast_path(args)
        if fast is None:
            from gitmodel.cli.app import run

            code = run(args)
        else:
            code = fast
    except GitModelError as exc:
        if _debug_requested(args):
            raise
        sys.stderr.write(f"error: {exc}\n")
        code = exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        code = EXIT_INTERRUPTED
    except BrokenPipeError:
        # Output piped into `head` and the like: not an error worth a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = 0
    except OSError as exc:
        if _debug_requested(args):
            raise
        # Disk full, permissions, a vanished file: one line, never a traceback.
        name = f" {exc.filename}" if getattr(exc, "filename", None) else ""
        sys.stderr.write(f"error:{name} {exc.strerror or exc}\n")
        code = 1
    except Exception as exc:
        if _debug_requested(args):
            raise
        sys.stderr.write(
            f"error: internal error ({type(exc).__name__}: {exc}); "
            "rerun with --debug for the traceback and report it\n"
        )
        code = 1
    sys.exit(code)
