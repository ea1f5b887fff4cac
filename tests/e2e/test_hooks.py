"""DESIGN §4 with real git and the real installed hooks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import Runner, write

HEAVY = ("typer", "rich", "git", "pyarrow", "fsspec")


def _commit_model(run: Runner, repo: Path, data: bytes, message: str) -> None:
    write(repo / "model.bin", data)
    run("gitmodel", "add", "model.bin")
    run("git", "commit", "-qm", message)


def test_init_installs_every_hook_where_git_looks(gm_repo: Path, run: Runner) -> None:
    states = json.loads(run("gitmodel", "hooks", "status", "--json").stdout)
    assert {s["hook"]: s["state"] for s in states} == {
        "pre-commit": "installed",
        "pre-push": "installed",
        "post-checkout": "installed",
        "post-merge": "installed",
        "post-rewrite": "installed",
    }
    shim = (gm_repo / ".git" / "hooks" / "pre-commit").read_text()
    assert shim.splitlines()[-1] == 'exec gitmodel hook pre-commit "$@"'
    assert shim == (Path(__file__).parents[2] / "hooks" / "pre-commit").read_text()


def test_commit_of_model_modified_after_add_is_blocked(gm_repo: Path, run: Runner) -> None:
    write(gm_repo / "model.bin", b"trained" * 1000)
    run("gitmodel", "add", "model.bin")
    write(gm_repo / "model.bin", b"retrained but not added")
    result = run("git", "commit", "-qm", "model", check=False)
    assert result.returncode != 0
    assert (
        "model.bin was modified after 'gitmodel add'; run: gitmodel add model.bin" in result.stderr
    )
    run("gitmodel", "add", "model.bin")
    run("git", "commit", "-qm", "model")


def test_raw_large_binary_staged_directly_is_blocked(gm_repo: Path, run: Runner) -> None:
    write(gm_repo / "weights.bin", b"\0" + os.urandom(12 * 1024 * 1024))
    run("git", "add", "weights.bin")
    result = run("git", "commit", "-qm", "raw", check=False)
    assert result.returncode != 0
    assert "weights.bin: a 12.0 MiB binary is staged directly into Git" in result.stderr
    assert "gitmodel add weights.bin" in result.stderr
    # A large text file is not a binary: the limit is about binaries.
    run("git", "rm", "-q", "--cached", "weights.bin")
    write(gm_repo / "data.csv", b"a,b\n" * (3 * 1024 * 1024))
    run("git", "add", "data.csv")
    run("git", "commit", "-qm", "text is fine")


def test_skip_variable_and_no_verify_bypass_the_hooks(gm_repo: Path, run: Runner) -> None:
    write(gm_repo / "weights.bin", b"\0" * (11 * 1024 * 1024))
    run("git", "add", "weights.bin")
    run("git", "commit", "-qm", "skip", extra_env={"GITMODEL_SKIP_HOOKS": "1"})
    write(gm_repo / "weights2.bin", b"\0" * (11 * 1024 * 1024))
    run("git", "add", "weights2.bin")
    run("git", "commit", "-qm", "no verify", "--no-verify")


def test_branch_switch_restores_the_binary_by_itself(gm_repo: Path, run: Runner) -> None:
    _commit_model(run, gm_repo, b"main" * 1000, "main model")
    run("git", "checkout", "-qb", "experiment")
    _commit_model(run, gm_repo, b"experiment" * 1000, "experiment model")
    result = run("git", "checkout", "-q", "main")
    assert (gm_repo / "model.bin").read_bytes() == b"main" * 1000
    assert "restored model.bin" in result.stderr
    run("git", "checkout", "-q", "experiment")
    assert (gm_repo / "model.bin").read_bytes() == b"experiment" * 1000


def test_branch_switch_never_clobbers_unsaved_edits(gm_repo: Path, run: Runner) -> None:
    _commit_model(run, gm_repo, b"main" * 1000, "main model")
    run("git", "checkout", "-qb", "other")
    _commit_model(run, gm_repo, b"other" * 1000, "other model")
    write(gm_repo / "model.bin", b"my unsaved experiment")
    result = run("git", "checkout", "-q", "main")
    assert (gm_repo / "model.bin").read_bytes() == b"my unsaved experiment"
    assert "warning" in result.stderr and "not in the cache" in result.stderr


def test_merge_and_rebase_restore_the_binary(gm_repo: Path, run: Runner) -> None:
    _commit_model(run, gm_repo, b"v1" * 1000, "v1")
    run("git", "checkout", "-qb", "feature")
    write(gm_repo / "notes.txt", b"feature work")
    run("git", "add", "notes.txt")
    run("git", "commit", "-qm", "feature work")
    run("git", "checkout", "-q", "main")
    _commit_model(run, gm_repo, b"v2" * 1000, "v2")
    run("git", "checkout", "-q", "feature")
    assert (gm_repo / "model.bin").read_bytes() == b"v1" * 1000
    run("git", "rebase", "-q", "main")
    assert (gm_repo / "model.bin").read_bytes() == b"v2" * 1000

    run("git", "checkout", "-q", "-B", "old", "main~1")
    assert (gm_repo / "model.bin").read_bytes() == b"v1" * 1000
    run("git", "merge", "-q", "--ff-only", "main")
    assert (gm_repo / "model.bin").read_bytes() == b"v2" * 1000


def test_husky_style_foreign_hook_keeps_running(gm_repo: Path, run: Runner) -> None:
    hooks = gm_repo / ".husky" / "_"
    hooks.mkdir(parents=True)
    marker = gm_repo.parent / "husky-ran"
    foreign = f'#!/bin/sh\necho ran >> "{marker}"\n[ ! -e "{gm_repo.parent}/fail" ]\n'
    (hooks / "pre-commit").write_text(foreign)
    (hooks / "pre-commit").chmod(0o755)
    run("git", "config", "core.hooksPath", ".husky/_")
    run("gitmodel", "hooks", "install")
    assert (hooks / "pre-commit.pre-gitmodel").read_text() == foreign
    write(gm_repo / "model.bin", b"x" * 1000)
    run("gitmodel", "add", "model.bin")
    run("git", "commit", "-qm", "with husky")
    assert marker.read_text() == "ran\n"
    # gitmodel's own check still runs after the foreign hook ...
    write(gm_repo / "big.bin", b"\0" * (11 * 1024 * 1024))
    run("git", "add", "big.bin")
    assert run("git", "commit", "-qm", "big", check=False).returncode != 0
    run("git", "rm", "-q", "--cached", "big.bin")
    # ... and a failing foreign hook still fails the commit.
    (gm_repo.parent / "fail").touch()
    write(gm_repo / "notes.txt", b"x")
    run("git", "add", "notes.txt")
    assert run("git", "commit", "-qm", "fails", check=False).returncode != 0
    run("gitmodel", "hooks", "uninstall")
    assert (hooks / "pre-commit").read_text() == foreign
    assert not (hooks / "pre-commit.pre-gitmodel").exists()


def test_files_a_foreign_hook_stages_are_checked_too(gm_repo: Path, run: Runner) -> None:
    # lint-staged and formatters stage files from the hook gitmodel chains to.
    hooks = gm_repo / ".git" / "hooks"
    (hooks / "pre-commit").unlink()
    write(gm_repo / "weights.bin", b"\0" * (11 * 1024 * 1024))
    foreign = "#!/bin/sh\ngit add weights.bin\n"
    (hooks / "pre-commit").write_text(foreign)
    (hooks / "pre-commit").chmod(0o755)
    run("gitmodel", "hooks", "install")
    write(gm_repo / "notes.txt", b"text")
    run("git", "add", "notes.txt")
    result = run("git", "commit", "-qm", "notes", check=False)
    assert result.returncode != 0
    assert "weights.bin: a 11.0 MiB binary is staged directly into Git" in result.stderr


@pytest.mark.parametrize("how", [["-a"], ["--", "weights.bin"]])
def test_commit_all_and_commit_of_paths_are_checked(
    gm_repo: Path, run: Runner, how: list[str]
) -> None:
    # git runs the hook on a temporary index (GIT_INDEX_FILE) for these.
    write(gm_repo / "weights.bin", b"\0" * 100)
    run("git", "add", "weights.bin")
    run("git", "commit", "-qm", "small", "--no-verify")
    write(gm_repo / "weights.bin", b"\0" * (11 * 1024 * 1024))
    result = run("git", "commit", "-qm", "big", *how, check=False)
    assert result.returncode != 0
    assert "weights.bin: a 11.0 MiB binary is staged directly into Git" in result.stderr


def test_a_large_binary_among_many_staged_files_is_blocked(gm_repo: Path, run: Runner) -> None:
    # Past a few dozen files the hook asks git for every size instead of reading heads.
    for i in range(40):
        write(gm_repo / "src" / f"f{i}.py", b"print(1)\n")
    run("git", "add", "src")
    write(gm_repo / "weights.bin", b"\0" * (11 * 1024 * 1024))
    run("git", "add", "weights.bin")
    result = run("git", "commit", "-qm", "many", check=False)
    assert "weights.bin: a 11.0 MiB binary is staged directly into Git" in result.stderr
    run("git", "rm", "-q", "--cached", "weights.bin")
    run("git", "commit", "-qm", "many small files")


def test_pre_commit_by_hand_from_a_subdirectory(gm_repo: Path, run: Runner) -> None:
    write(gm_repo / "sub" / "weights.bin", b"\0" * (11 * 1024 * 1024))
    run("git", "add", "sub/weights.bin")
    result = run("gitmodel", "hook", "pre-commit", cwd=gm_repo / "sub", check=False)
    assert result.returncode == 1
    assert "sub/weights.bin: a 11.0 MiB binary is staged directly into Git" in result.stderr


def _modules_after_hook(
    repo: Path, env: dict[str, str], name: str, args: list[str], stdin: str = ""
) -> set[str]:
    code = (
        "import sys\n"
        "from gitmodel.cli import run_hook_command\n"
        f"rc = run_hook_command({name!r}, {args!r})\n"
        "print(rc)\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=repo,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
    )
    rc, modules = proc.stdout.splitlines()
    assert rc == "0", proc.stderr
    return set(modules.split())


def _top_level(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_hook_fast_paths_import_nothing_heavy(gm_repo: Path, run: Runner, env) -> None:
    _commit_model(run, gm_repo, b"m" * 1000, "model")
    head = run("git", "rev-parse", "HEAD").stdout.strip()
    write(gm_repo / "notes.txt", b"small text change")
    run("git", "add", "notes.txt")
    cases = [
        ("pre-commit", [], ""),
        ("post-checkout", [head, head, "1"], ""),
        ("pre-push", ["origin", "url"], f"refs/heads/main {head} refs/heads/main {head}\n"),
        ("post-merge", ["0"], ""),
    ]
    for name, args, stdin in cases:
        loaded = _top_level(_modules_after_hook(gm_repo, env, name, args, stdin))
        assert not loaded & set(HEAVY), (name, loaded & set(HEAVY))


# What the common cases may not import: each costs milliseconds of every commit and push
# (DESIGN §4), and the work modules behind them far more.
SLOW_STDLIB = ("pathlib", "subprocess", "typing", "tomllib", "hashlib", "sqlite3", "dataclasses")
WORK_MODULES = ("gitmodel.git", "gitmodel.services.hook_checks", "gitmodel.services.workspace")


def test_common_hook_cases_import_only_the_lean_modules(gm_repo: Path, run: Runner, env) -> None:
    _commit_model(run, gm_repo, b"m" * 1000, "model")
    first = run("git", "rev-parse", "HEAD").stdout.strip()
    write(gm_repo / "notes.txt", b"a text file")
    run("git", "add", "notes.txt")
    run("git", "commit", "-qm", "notes")
    head = run("git", "rev-parse", "HEAD").stdout.strip()
    run("git", "update-ref", "ORIG_HEAD", first)
    write(gm_repo / "notes.txt", b"staged, small, text")
    run("git", "add", "notes.txt")
    cases = [
        ("pre-commit", [], ""),  # a small text file staged: config and size read
        ("post-checkout", [head, head, "1"], ""),  # same commit
        ("post-checkout", [first, head, "1"], ""),  # no pointer changed in between
        ("post-merge", ["0"], ""),  # ORIG_HEAD..HEAD changed no pointer
        ("post-rewrite", ["amend"], f"{first} {head}\n"),
        ("pre-push", ["origin", "url"], f"refs/heads/main {head} refs/heads/main {first}\n"),
    ]
    for name, args, stdin in cases:
        loaded = _modules_after_hook(gm_repo, env, name, args, stdin)
        assert not loaded & {*SLOW_STDLIB, *WORK_MODULES}, (
            name,
            args,
            loaded & {*SLOW_STDLIB, *WORK_MODULES},
        )
    run("git", "reset", "-q", "notes.txt")
    loaded = _modules_after_hook(gm_repo, env, "pre-commit", [])  # nothing staged
    assert not loaded & {*SLOW_STDLIB, *WORK_MODULES}


def test_local_max_size_is_read_on_the_fast_path(gm_repo: Path, run: Runner) -> None:
    local = gm_repo / ".git" / "gitmodel" / "config.toml"
    local.write_text('[hooks]\nmax_size = "1KiB"  # a small limit, set locally\n')
    write(gm_repo / "weights.bin", b"\0" * 2048)
    run("git", "add", "weights.bin")
    result = run("git", "commit", "-qm", "raw", check=False)
    assert result.returncode != 0
    assert "weights.bin: a 0.0 MiB binary is staged directly into Git" in result.stderr
    run("git", "rm", "-q", "--cached", "weights.bin")
    write(gm_repo / "notes.txt", b"text\n" * 500)  # over the limit, but text
    run("git", "add", "notes.txt")
    run("git", "commit", "-qm", "text is fine")


def test_config_beyond_plain_toml_is_read_as_before(gm_repo: Path, run: Runner) -> None:
    config = gm_repo / ".gitmodel.toml"
    config.write_text(config.read_text().replace('max_size = "10MiB"', "max_size = 1_024"))
    write(gm_repo / "weights.bin", b"\0" * 2048)
    run("git", "add", "weights.bin")
    result = run("git", "commit", "-qm", "raw", check=False)
    assert result.returncode != 0
    assert "weights.bin: a 0.0 MiB binary is staged directly into Git" in result.stderr


def test_a_broken_config_still_stops_a_commit(gm_repo: Path, run: Runner) -> None:
    (gm_repo / ".gitmodel.toml").write_text("[hooks\n")
    write(gm_repo / "notes.txt", b"text")
    run("git", "add", "notes.txt")
    result = run("git", "commit", "-qm", "notes", check=False)
    assert result.returncode != 0
    assert "invalid TOML" in result.stderr


def test_hooks_work_in_a_linked_worktree(gm_repo: Path, run: Runner) -> None:
    _commit_model(run, gm_repo, b"v1" * 1000, "v1")
    other = gm_repo.parent / "other"
    run("git", "worktree", "add", "-q", "-b", "other", str(other))
    assert (other / "model.bin").read_bytes() == b"v1" * 1000  # post-checkout restored it
    write(other / "weights.bin", b"\0" * (11 * 1024 * 1024))
    run("git", "add", "weights.bin", cwd=other)
    result = run("git", "commit", "-qm", "raw", cwd=other, check=False)
    assert "weights.bin: a 11.0 MiB binary is staged directly into Git" in result.stderr
    run("git", "rm", "-q", "--cached", "weights.bin", cwd=other)
    write(other / "notes.txt", b"text")
    run("git", "add", "notes.txt", cwd=other)
    run("git", "commit", "-qm", "notes", cwd=other)


def test_pre_push_when_the_remote_tip_is_unknown_here(
    gm_repo: Path, run: Runner, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    run("gitmodel", "remote", "add", "store", str(store), "--default")
    _commit_model(run, gm_repo, b"pushed" * 1000, "model")
    head = run("git", "rev-parse", "HEAD").stdout.strip()
    unknown = "1234567890" * 4
    result = run(
        "gitmodel",
        "hook",
        "pre-push",
        "origin",
        "url",
        input=f"refs/heads/main {head} refs/heads/main {unknown}\n",
    )
    assert "uploaded 1 object(s) to store" in result.stderr
