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
    return None


def _debug_requested(argv: list[str]) -> bool:
    return "--debug" in argv or os.environ.get("GITMODEL_DEBUG") == "1"


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    args = list(sys.argv[1:] if argv is None else argv)
    code = _fast_path(args)
    if code is not None:
        sys.exit(code)
    from gitmodel.errors import EXIT_INTERRUPTED, GitModelError

    try:
        from gitmodel.cli.app import run

        code = run(args)
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
    sys.exit(code)
