"""e2e fixtures: real `git` and the real `gitmodel` console script as subprocesses, in an
isolated HOME with its own global git config."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

GITMODEL = str(Path(sys.executable).with_name("gitmodel"))


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    e = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "GITMODEL_"))}
    e.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
        CI="true",
        COLUMNS="200",
        # The installed hook shims run `gitmodel` from PATH, as they do for users.
        PATH=os.pathsep.join([str(Path(GITMODEL).parent), os.environ.get("PATH", "")]),
    )
    for key, value in (
        ("user.name", "Test User"),
        ("user.email", "test@example.com"),
        ("init.defaultBranch", "main"),
        ("advice.detachedHead", "false"),
    ):
        subprocess.run(["git", "config", "--global", key, value], env=e, check=True)
    return e


Runner = Callable[..., Result]


def _runner(env: dict[str, str], default_cwd: Path) -> Runner:
    def run(
        *args: str,
        cwd: Path | None = None,
        check: bool = True,
        input: str | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> Result:
        cmd = [GITMODEL, *args[1:]] if args[0] == "gitmodel" else list(args)
        proc = subprocess.run(
            cmd,
            cwd=cwd or default_cwd,
            env={**env, **(extra_env or {})},
            capture_output=True,
            text=True,
            input=input,
            timeout=300,
        )
        result = Result(proc.returncode, proc.stdout, proc.stderr)
        if check and proc.returncode != 0:
            raise AssertionError(f"{cmd} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return result

    return run


@pytest.fixture
def repo(tmp_path: Path, env: dict[str, str]) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=path, env=env, check=True)
    return path


@pytest.fixture
def run(env: dict[str, str], repo: Path) -> Runner:
    return _runner(env, repo)


@pytest.fixture
def gm_repo(repo: Path, run: Runner) -> Path:
    run("gitmodel", "init")
    run("git", "commit", "-qm", "init gitmodel")
    return repo


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
