"""Reading pointer blobs for pre-push, gc and history scans: each version is read from
Git once, then from the state db's memo, which is checked against the blob id."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from gitmodel.config import Config
from gitmodel.git import Git, is_blob
from gitmodel.services.objects import read_pointer_blobs
from gitmodel.services.workspace import Workspace


@pytest.fixture
def clean_git_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in os.environ if k.startswith("GIT_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))


def init(path: Path, *options: str) -> Path:
    subprocess.run(["git", "init", "-q", *options, str(path)], check=True)
    return path


def hash_object(repo: Path, data: bytes) -> str:
    return (
        subprocess.run(
            ["git", "hash-object", "-w", "--stdin"],
            cwd=repo,
            input=data,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )


@pytest.mark.usefixtures("clean_git_env")
@pytest.mark.parametrize("object_format", ["sha1", "sha256"])
def test_is_blob_knows_the_content_of_a_blob_id(tmp_path: Path, object_format: str) -> None:
    repo = init(tmp_path / "repo", f"--object-format={object_format}")
    for data in (b"", b"version = 1\n", os.urandom(3000)):
        blob = hash_object(repo, data)
        assert is_blob(blob, data)
        assert not is_blob(blob, data + b"x")
    assert not is_blob("abc", b"")


@pytest.fixture
def workspace(tmp_path: Path, clean_git_env: None) -> Workspace:
    root = init(tmp_path / "repo")
    return Workspace(git=Git.discover(root), config=Config(), cwd=root)


def test_pointer_blobs_are_read_from_git_once_then_from_the_memo(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = [f"pointer {i}\n".encode() for i in range(3)]
    blobs = [hash_object(workspace.root, t) for t in texts]
    assert read_pointer_blobs(workspace, blobs) == dict(zip(blobs, texts, strict=True))

    def no_git(_: object) -> dict[str, bytes]:
        raise AssertionError("read from git again")

    monkeypatch.setattr(workspace.git, "read_blobs", no_git)
    assert read_pointer_blobs(workspace, [*blobs, blobs[0]]) == dict(zip(blobs, texts, strict=True))


def test_a_remembered_text_that_is_not_its_blob_is_read_from_git_again(
    workspace: Workspace,
) -> None:
    blob = hash_object(workspace.root, b"the real pointer\n")
    workspace.state.remember_pointer_texts({blob: b"a forged pointer\n"})
    assert read_pointer_blobs(workspace, [blob]) == {blob: b"the real pointer\n"}
    assert workspace.state.pointer_texts([blob]) == {blob: b"the real pointer\n"}


def test_missing_blobs_are_left_out_and_not_remembered(workspace: Workspace) -> None:
    missing = "0123456789" * 4
    assert read_pointer_blobs(workspace, [missing]) == {}
    assert workspace.state.pointer_texts([missing]) == {}
