"""Every command's --help works, shows an example, and shows its text intact (rich
markup must not eat bracketed words such as [metrics] or [deploy.ENV])."""

from __future__ import annotations

import re

import pytest
import typer
from typer.testing import CliRunner

from gitmodel.cli.app import app

RUNNER = CliRunner()


def _commands() -> list[tuple[str, ...]]:
    root = typer.main.get_command(app)
    found: list[tuple[str, ...]] = []

    def walk(cmd: object, path: tuple[str, ...]) -> None:
        subcommands = getattr(cmd, "commands", None)
        if subcommands:
            for name, sub in subcommands.items():
                if not getattr(sub, "hidden", False):
                    walk(sub, (*path, name))
        else:
            found.append(path)

    walk(root, ())
    return found


COMMANDS = _commands()


def test_the_cli_has_the_documented_commands() -> None:
    names = {c[0] for c in COMMANDS}
    for expected in (
        "init",
        "add",
        "status",
        "checkout",
        "gc",
        "push",
        "pull",
        "fetch",
        "verify",
        "get",
        "remote",
        "hooks",
    ):
        assert expected in names


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_of_every_command_has_an_example(command: tuple[str, ...]) -> None:
    result = RUNNER.invoke(app, [*command, "--help"], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert re.search(r"Examples?:", result.output), f"{' '.join(command)} --help has no example"


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_text_keeps_bracketed_words(command: tuple[str, ...]) -> None:
    cmd = typer.main.get_command(app)
    for name in command:
        cmd = cmd.commands[name]  # type: ignore[attr-defined]
    words = re.findall(r"\[([A-Za-z][\w.#@-]*)\]", cmd.help or "")
    if not words:
        return
    result = RUNNER.invoke(app, [*command, "--help"], env={"COLUMNS": "160"})
    for word in words:
        assert f"[{word}]" in result.output, f"{' '.join(command)} --help lost [{word}]"
