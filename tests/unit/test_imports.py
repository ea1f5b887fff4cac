"""Fast paths stay fast (DESIGN §4, STYLE: lazy imports): what a command imports.

Each check runs the real entry point in a fresh interpreter and records ``sys.modules``
as the process ends (``main`` always ends in ``sys.exit``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("pyarrow", "git", "fsspec")
CLI_FRAMEWORK = ("typer", "rich", "click")

PROBE = """
import json, sys
out, args = sys.argv[1], sys.argv[2:]
code = 0
try:
    from gitmodel.cli import main
    main(args)
except SystemExit as exc:
    code = exc.code
finally:
    with open(out, "w") as fh:
        json.dump(sorted(sys.modules), fh)
sys.exit(code)
"""


def isolated_env(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GIT_", "GITMODEL_")) and k not in ("PYTHONSTARTUP",)
    }
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
        GIT_AUTHOR_NAME="Test",
        GIT_AUTHOR_EMAIL="test@example.com",
        GIT_COMMITTER_NAME="Test",
        GIT_COMMITTER_EMAIL="test@example.com",
        GITMODEL_SKIP_HOOKS="1",
    )
    return env


def run_probe(
    args: list[str], cwd: Path, env: dict[str, str], out: Path
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(out), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    modules = set(json.loads(out.read_text()))
    return proc, modules


def imported(modules: set[str], package: str) -> list[str]:
    return sorted(m for m in modules if m == package or m.startswith(package + "."))


def gitmodel(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "gitmodel", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
    return proc.stdout


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A git repo after `gitmodel init` with a small file and a small directory added."""
    base = tmp_path_factory.mktemp("imports")
    env = isolated_env(base)
    root = base / "repo"
    subprocess.run(["git", "init", "-q", str(root)], env=env, check=True)
    gitmodel(["init"], root, env)
    (root / "small.bin").write_bytes(os.urandom(1000))
    (root / "data").mkdir()
    (root / "data" / "a.bin").write_bytes(b"a")
    (root / "data" / "b.bin").write_bytes(b"b")
    gitmodel(["add", "small.bin", "data"], root, env)
    return root, env


def test_version_imports_neither_the_cli_framework_nor_heavy_libraries(tmp_path: Path) -> None:
    proc, modules = run_probe(
        ["--version"], tmp_path, isolated_env(tmp_path), tmp_path / "modules.json"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("gitmodel ")
    for package in (*HEAVY, *CLI_FRAMEWORK):
        assert imported(modules, package) == [], package


def test_status_imports_no_heavy_library(repo: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    root, env = repo
    proc, modules = run_probe(["status"], root, env, tmp_path / "modules.json")
    assert proc.returncode == 0, proc.stderr
    assert "small.bin" in proc.stdout
    assert "data" in proc.stdout
    assert "gitmodel.services.status" in modules  # the probe really ran the command
    for package in (*HEAVY, *CLI_FRAMEWORK):  # status is answered before typer/rich load
        assert imported(modules, package) == [], package


def test_status_start_up_skips_subprocess_tomllib_and_tempfile(
    repo: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """Each costs 5-10 ms of a status that takes ~150 ms: git is asked through
    git_light, a plain config is read by plain_toml, temp files are made on demand."""
    root, env = repo
    proc, modules = run_probe(["status"], root, env, tmp_path / "modules.json")
    assert proc.returncode == 0, proc.stderr
    for module in ("subprocess", "tomllib", "tempfile", "hashlib"):
        assert module not in modules, module


def test_status_json_imports_no_heavy_library(
    repo: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    root, env = repo
    proc, modules = run_probe(["status", "--json"], root, env, tmp_path / "modules.json")
    assert proc.returncode == 0, proc.stderr
    for package in (*HEAVY, *CLI_FRAMEWORK):
        assert imported(modules, package) == [], package


def test_checkout_with_nothing_to_restore_skips_the_cli_framework(
    repo: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """`git checkout v1 && gitmodel checkout`: the hook restored already, so the plain
    command only confirms it, without loading typer or rich."""
    root, env = repo
    proc, modules = run_probe(["checkout"], root, env, tmp_path / "modules.json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert "gitmodel.services.status" in modules
    for package in (*HEAVY, *CLI_FRAMEWORK):
        assert imported(modules, package) == [], package


def test_checkout_with_a_missing_model_takes_the_full_path(
    repo: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    root, env = repo
    data = (root / "small.bin").read_bytes()
    (root / "small.bin").unlink()
    try:
        proc, modules = run_probe(["checkout"], root, env, tmp_path / "modules.json")
        assert proc.returncode == 0, proc.stderr
        assert "restored small.bin" in proc.stdout + proc.stderr
        assert (root / "small.bin").read_bytes() == data
        assert imported(modules, "typer")  # the real command did the work
    finally:
        if not (root / "small.bin").exists():
            (root / "small.bin").write_bytes(data)


def test_a_push_with_nothing_new_skips_the_cli_framework_and_fsspec(tmp_path: Path) -> None:
    """The second `gitmodel push` (everything already on the remote, as the state db
    remembers) says so in the full command's words without loading typer, rich or the
    remote's backend; anything to send goes to the full command."""
    env = isolated_env(tmp_path)
    root = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(root)], env=env, check=True)
    gitmodel(["init"], root, env)
    (root / "m.bin").write_bytes(os.urandom(1000))
    gitmodel(["add", "m.bin"], root, env)
    gitmodel(["remote", "add", "store", str(tmp_path / "store"), "--default"], root, env)

    first, modules = run_probe(["push"], root, env, tmp_path / "first.json")
    assert first.returncode == 0, first.stderr
    assert "store: uploaded 1 object(s)" in first.stderr
    assert imported(modules, "typer")  # there was something to send: the full command

    again, modules = run_probe(["push"], root, env, tmp_path / "again.json")
    full = subprocess.run(  # an option the fast path leaves to the full command
        [sys.executable, "-m", "gitmodel", "push", "--jobs", "1"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 0 == full.returncode, again.stderr
    assert again.stderr == full.stderr == "store: uploaded 0 object(s) (0 B), 1 already there\n"
    assert again.stdout == full.stdout == ""
    assert "gitmodel.services.transfer" in modules  # the probe really ran the command
    for package in (*HEAVY, *CLI_FRAMEWORK):
        assert imported(modules, package) == [], package
