"""``gitmodel status`` without the CLI framework: the command most often run (by
people, prompts and CI), so ``main`` answers it before typer and rich are imported.
The typer command uses the same function, so both paths print the same."""

from __future__ import annotations

import os
import sys

from gitmodel.errors import EXIT_CHECK_FAILED, EXIT_OK

_YELLOW, _RESET = "\033[33m", "\033[0m"


def _colour(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and "NO_COLOR" not in os.environ


def run_status(paths: list[str], *, as_json: bool = False, check: bool = False) -> int:
    """Print the status of the tracked models; return the exit code."""
    from gitmodel.services.status import is_dirty, status
    from gitmodel.services.workspace import Workspace

    ws = Workspace.open()
    results = status(ws, paths)
    if as_json:
        import json

        sys.stdout.write(json.dumps([r.to_json() for r in results], indent=2) + "\n")
    elif not results:
        sys.stderr.write("No models tracked yet (track one with: gitmodel add PATH)\n")
    else:
        colour = _colour(sys.stdout)
        for r in results:
            line = f"{', '.join(r.states):>14}  {ws.display(r.model)}"
            if r.detail:
                line += f"  ({r.detail})"
            if colour and not r.clean:
                line = f"{_YELLOW}{line}{_RESET}"
            sys.stdout.write(line + "\n")
        states = {state for r in results if not r.clean for state in r.states}
        hints = [
            (
                "modified",
                "Keep changes with: gitmodel add PATH; discard them with: "
                "gitmodel checkout --force PATH",
            ),
            ("missing", "Restore missing models with: gitmodel checkout"),
            ("not in cache", "Fetch objects not in the cache with: gitmodel pull"),
        ]
        for state, hint in hints:
            if state in states:
                sys.stderr.write(hint + "\n")
    return EXIT_CHECK_FAILED if check and is_dirty(results) else EXIT_OK


def all_clean() -> bool:
    """True when every tracked model matches its pointer and is in the cache, so a plain
    ``gitmodel checkout`` (typically right after ``git checkout``, whose hook already
    restored the binaries) has nothing to do and can skip the CLI framework."""
    from gitmodel.services.status import is_dirty, status
    from gitmodel.services.workspace import Workspace

    results = status(Workspace.open(), [])
    return bool(results) and not is_dirty(results)


def parse_fast_status(argv: list[str]) -> tuple[list[str], bool, bool] | None:
    """``status [--json] [--check] [PATH...]`` -> (paths, json, check); anything else
    (help, global options, unknown flags) is left to the full CLI."""
    if not argv or argv[0] != "status":
        return None
    paths: list[str] = []
    as_json = check = False
    only_paths = False
    for arg in argv[1:]:
        if only_paths or not arg.startswith("-"):
            paths.append(arg)
        elif arg == "--":
            only_paths = True
        elif arg == "--json":
            as_json = True
        elif arg == "--check":
            check = True
        else:
            return None
    return paths, as_json, check
