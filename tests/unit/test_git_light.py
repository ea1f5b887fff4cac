"""git_light: the hooks' way to run git without subprocess, and its output parsers."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from gitmodel import git_light


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key in [k for k in os.environ if k.startswith("GIT_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    root = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def hash_objects(root: Path, contents: list[bytes]) -> list[str]:
    for i, data in enumerate(contents):
        (root / f"f{i}").write_bytes(data)
    out = subprocess.run(
        ["git", "hash-object", "-w", "--stdin-paths"],
        cwd=root,
        input="".join(f"f{i}\n" for i in range(len(contents))),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.split()


def test_run_gives_the_exit_code_and_stdout_of_git_in_the_given_directory(repo: Path) -> None:
    code, out = git_light.run(["rev-parse", "--show-toplevel"], cwd=str(repo))
    assert (code, out.decode().strip()) == (0, str(repo.resolve()))


def test_run_in_the_current_directory_without_cwd(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    assert git_light.run(["rev-parse", "--is-inside-work-tree"]) == (0, b"true\n")


def test_a_failing_command_gives_its_exit_code_and_keeps_stderr_away(
    repo: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    code, out = git_light.run(["rev-parse", "--verify", "no-such-rev"], cwd=str(repo))
    assert code == 128 and out == b""
    assert capfd.readouterr().err == ""


def test_input_and_output_larger_than_a_pipe_do_not_deadlock(repo: Path) -> None:
    blobs = hash_objects(repo, [os.urandom(200) * 5 + bytes([i % 256]) for i in range(300)])
    wanted = ("\n".join(blobs * 20) + "\n").encode()  # ~250 KB in, ~6 MB out
    code, out = git_light.run(["cat-file", "--batch"], cwd=str(repo), input=wanted)
    expected = subprocess.run(
        ["git", "cat-file", "--batch"], cwd=repo, input=wanted, capture_output=True, check=True
    ).stdout
    assert code == 0 and out == expected


def test_empty_input_closes_stdin_at_once(repo: Path) -> None:
    assert git_light.run(["cat-file", "--batch-check"], cwd=str(repo), input=b"") == (0, b"")


@pytest.mark.parametrize("size", [10, 1_000_000])  # written at once / while reading
def test_git_that_stops_reading_its_input_is_not_an_error_of_ours(repo: Path, size: int) -> None:
    # `git rev-parse` never reads stdin: the write end may see a broken pipe.
    code, _ = git_light.run(["rev-parse", "HEAD~0"], cwd=str(repo), input=b"x" * size)
    assert code == 128


def test_git_missing_from_path_is_file_not_found(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(FileNotFoundError):
        git_light.run(["--version"])


def test_no_descriptor_is_left_open(repo: Path) -> None:
    before = set(os.listdir("/proc/self/fd"))
    for _ in range(5):
        git_light.run(["rev-parse", "--git-dir"], cwd=str(repo))
        git_light.run(["cat-file", "--batch-check"], cwd=str(repo), input=b"HEAD\n")
    assert set(os.listdir("/proc/self/fd")) <= before


def test_parse_raw_reads_diff_raw_z_output() -> None:
    old, new = "a" * 40, "b" * 40
    out = (
        f":100644 100644 {old} {new} M\0dir/a file\twith tab.bin\0"
        f":000000 100755 {'0' * 40} {new} A\0new\nline.gitmodel\0"
        f":100644 000000 {old} {'0' * 40} D\0gone\0"
        f":100644 100644 {old} {new} T\0".encode()
        + b"not-utf8-\xff\0"
    )
    assert git_light.parse_raw(out) == [
        ("100644", new, "M", "dir/a file\twith tab.bin"),
        ("100755", new, "A", "new\nline.gitmodel"),
        ("000000", "0" * 40, "D", "gone"),
        ("100644", new, "T", "not-utf8-\udcff"),
    ]


def test_parse_raw_skips_what_is_not_a_change_record() -> None:
    # `git log --format= --raw -z` separates commits with extra NULs and newlines.
    out = f"\n:100644 100644 {'a' * 40} {'b' * 40} M\0p\0\0\n".encode()
    assert git_light.parse_raw(out) == [("100644", "b" * 40, "M", "p")]
    assert git_light.parse_raw(b"") == []


def test_parse_sizes_reads_batch_check_output_and_skips_missing_objects() -> None:
    out = f"{'a' * 40} 12\n{'b' * 40} missing\n{'c' * 40} 0\n".encode()
    assert git_light.parse_sizes(out) == {"a" * 40: 12, "c" * 40: 0}


def test_two_commands_run_at_once_and_finish_is_idempotent(repo: Path) -> None:
    first = git_light.start(["rev-parse", "--git-dir"], cwd=str(repo))
    second = git_light.start(["cat-file", "--batch-check"], cwd=str(repo), input=b"HEAD\n")
    assert second.finish() == (0, b"HEAD missing\n")
    assert first.finish() == (0, b".git\n")
    assert first.finish() == (0, b".git\n")


def test_null_oids_of_both_hash_functions() -> None:
    from gitmodel.git_light import is_null_oid

    assert is_null_oid("0" * 40)
    assert is_null_oid("0" * 64)
    assert not is_null_oid("0" * 39 + "1")
    assert not is_null_oid("0" * 63 + "a")
    assert not is_null_oid("")
    assert not is_null_oid("0" * 12)
