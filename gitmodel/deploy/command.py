"""``command``: run a user command to deploy the model.

The model is materialised in a temporary directory that exists while the command
runs; its path is ``GITMODEL_MODEL_PATH``, beside the other ``GITMODEL_*`` variables
of ``Release.environment``. A string runs through ``sh -c`` (like a Git alias with
``!``), a list runs as is; the working directory is the repository root. The
command's output goes to stderr, so ``--json`` output stays clean.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gitmodel.deploy import DeployError, Materialize, Release, option
from gitmodel.errors import ConfigError


class CommandTarget:
    kind = "command"

    def __init__(self, env: str, table: Mapping[str, Any]) -> None:
        command = table.get("command")
        if isinstance(command, str) and command.strip():
            self.argv = ["sh", "-c", command]
        elif (
            isinstance(command, list) and command and all(isinstance(part, str) for part in command)
        ):
            self.argv = list(command)
        else:
            raise ConfigError(
                f'[deploy.{env}] target = "command" needs command = "..." or a list of strings'
            )
        self.env = env
        self.timeout = option(table, env, "timeout", int)

    def deploy(self, release: Release, materialize: Materialize) -> str:
        with tempfile.TemporaryDirectory(prefix="gitmodel-deploy-") as tmp:
            model = materialize(Path(tmp))
            environ = {**os.environ, **release.environment(), "GITMODEL_MODEL_PATH": str(model)}
            fd = _stderr_fd()
            try:
                proc = subprocess.run(
                    self.argv,
                    cwd=release.repo_root,
                    env=environ,
                    stdout=fd if fd is not None else subprocess.PIPE,
                    stderr=fd if fd is not None else subprocess.STDOUT,
                    timeout=self.timeout,
                    check=False,
                )
            except FileNotFoundError:
                raise DeployError(
                    f"[deploy.{self.env}] command {self.argv[0]!r} was not found"
                ) from None
            except subprocess.TimeoutExpired:
                raise DeployError(
                    f"[deploy.{self.env}] command timed out after {self.timeout} s"
                ) from None
        if fd is None and proc.stdout:
            sys.stderr.write(proc.stdout.decode("utf-8", "replace"))
        if proc.returncode != 0:
            raise DeployError(f"[deploy.{self.env}] command exited with code {proc.returncode}")
        return f"ran the [deploy.{self.env}] command for {release.artifact} {release.version}"


def _stderr_fd() -> int | None:
    try:
        return sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # e.g. replaced by a StringIO
        return None
