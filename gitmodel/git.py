"""The only door to Git. Everything else asks it questions in domain words.

Hot paths (status, hooks, scans of pointers at revisions) run the ``git`` binary
directly: one subprocess per question, batched with ``cat-file --batch``; finding the
repository and listing pointers go through ``git_light`` (no subprocess import). GitPython
is imported lazily, only for the few operations where its object model helps
(see ``repo``), so ``gitmodel status`` and the hooks' fast paths never pay for it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

from gitmodel import git_light
from gitmodel.errors import GitError, NotARepositoryError, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    import subprocess

POINTER_PATHSPEC = "*.gitmodel"


def _git_env() -> dict[str, str]:
    env = dict(os.environ)
    # Hooks run with GIT_DIR/GIT_INDEX_FILE set by git; keep them (they are right),
    # but never let a pager or a prompt block us.
    env.setdefault("GIT_PAGER", "cat")
    env["GIT_TERMINAL_PROMPT"] = "0"
    return env


def run_git(
    args: Iterable[str],
    cwd: str | os.PathLike[str] | None = None,
    *,
    input: bytes | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``git ARGS`` and return the completed process (bytes)."""
    import subprocess  # ~8 ms: status and the hooks' fast paths ask through git_light

    cmd = ["git", *args]
    try:
        proc = subprocess.run(
            cmd, cwd=cwd, input=input, capture_output=True, env=_git_env(), check=False
        )
    except FileNotFoundError:
        raise UsageError("git is not installed or not on PATH", fix="install git") from None
    if check and proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = err[-1] if err else f"exit code {proc.returncode}"
        raise GitError(f"git {' '.join(cmd[1:3])} failed: {detail}")
    return proc


def _quick(args: list[str], cwd: str) -> bytes | None:
    """stdout of ``git ARGS`` through ``git_light`` (no subprocess import): for the
    questions ``status`` asks on every run. None if git failed: ask ``run_git``, which
    reports the error."""
    try:
        code, out = git_light.run(args, cwd)
    except OSError:
        return None
    return out if code == 0 else None


def is_blob(blob: str, data: bytes) -> bool:
    """True when ``data`` is the content of the Git blob ``blob`` (a SHA-1 or, in a
    SHA-256 repository, a SHA-256 object id)."""
    import hashlib

    algo = {40: hashlib.sha1, 64: hashlib.sha256}.get(len(blob))
    return algo is not None and algo(b"blob %d\0%b" % (len(data), data)).hexdigest() == blob


class TreeEntry(NamedTuple):
    path: str
    blob: str


class Git:
    """One Git work tree."""

    def __init__(
        self, root: Path, git_dir: Path, common_dir: Path, hooks_dir: Path | None = None
    ) -> None:
        self.root = root
        self.git_dir = git_dir
        self.common_dir = common_dir
        self._hooks_dir = hooks_dir

    @classmethod
    def discover(cls, cwd: str | os.PathLike[str] | None = None) -> Git:
        """Find the work tree containing ``cwd``; NotARepositoryError outside one."""
        where = Path(cwd or os.getcwd())
        if not where.is_dir():
            raise UsageError(f"{where} is not a directory")
        args = [
            "rev-parse",
            "--path-format=absolute",
            "--show-toplevel",
            "--git-dir",
            "--git-common-dir",
            "--git-path",
            "hooks",
        ]
        out = _quick(args, str(where))
        if out is None:
            proc = run_git(args, cwd=where, check=False)
            out = proc.stdout if proc.returncode == 0 else b""
        lines = out.decode("utf-8", "surrogateescape").splitlines()
        if len(lines) != 4:
            raise NotARepositoryError(
                f"{where} is not inside a Git work tree", fix="git init && gitmodel init"
            )
        root, git_dir, common_dir, hooks = (Path(line) for line in lines)
        return cls(root, git_dir, common_dir, hooks)  # one rev-parse answers both

    # --- plumbing --------------------------------------------------------------

    def run(self, *args: str, input: bytes | None = None, check: bool = True) -> bytes:
        return run_git(args, cwd=self.root, input=input, check=check).stdout

    def text(self, *args: str) -> str:
        return self.run(*args).decode("utf-8", "surrogateescape")

    @cached_property
    def repo(self) -> Any:
        """A GitPython Repo, imported on first use only."""
        import git as gitpython

        return gitpython.Repo(self.root)

    # --- questions in domain words ----------------------------------------------

    def pointer_files(self) -> list[str]:
        """Pointer files in the work tree: tracked, plus untracked ones not ignored."""
        args = ["ls-files", "-z", "--cached", "--others", "--exclude-standard"]
        args += ["--", POINTER_PATHSPEC]
        out = _quick(args, str(self.root))
        if out is None:
            out = self.run(*args)  # again, to report the error
        seen = dict.fromkeys(p for p in out.decode("utf-8", "surrogateescape").split("\0") if p)
        return [p for p in seen if (self.root / p).exists()]

    def staged_paths(self) -> list[tuple[str, str]]:
        """(status letter, path) of every change staged for the next commit."""
        out = self.run("diff", "--cached", "--name-status", "-z", "--no-renames")
        fields = out.decode("utf-8", "surrogateescape").split("\0")
        return [(fields[i], fields[i + 1]) for i in range(0, len(fields) - 1, 2)]

    def tracked_among(self, paths: list[str]) -> list[str]:
        """Those of ``paths`` (files, or directories holding any) that Git itself tracks."""
        if not paths:
            return []
        out = self.run("ls-files", "-z", "--", *paths)
        tracked = [p for p in out.decode("utf-8", "surrogateescape").split("\0") if p]
        return [p for p in paths if any(t == p or t.startswith(p + "/") for t in tracked)]

    def rev_parse(self, rev: str) -> str:
        """Full sha of a commit-ish; UsageError naming the revision if it does not exist."""
        proc = run_git(
            ["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], cwd=self.root, check=False
        )
        if proc.returncode != 0:
            raise UsageError(f"unknown revision {rev!r}", fix="git log --oneline")
        return proc.stdout.decode().strip()

    def object_exists(self, rev: str) -> bool:
        """True when ``rev`` names an object present in this repository."""
        proc = run_git(
            ["rev-parse", "--verify", "--quiet", f"{rev}^{{object}}"], cwd=self.root, check=False
        )
        return proc.returncode == 0

    def head(self) -> str | None:
        proc = run_git(["rev-parse", "--verify", "--quiet", "HEAD"], cwd=self.root, check=False)
        return proc.stdout.decode().strip() or None

    def show_file(self, rev: str, path: str) -> bytes | None:
        """Content of ``path`` at ``rev``, or None when it does not exist there."""
        proc = run_git(["cat-file", "blob", f"{rev}:{path}"], cwd=self.root, check=False)
        return proc.stdout if proc.returncode == 0 else None

    def pointer_entries_at(self, rev: str) -> list[TreeEntry]:
        """Pointer files in the tree of ``rev`` (path and blob id)."""
        out = self.run("ls-tree", "-r", "-z", "--full-tree", rev)
        entries = []
        for record in out.decode("utf-8", "surrogateescape").split("\0"):
            if not record:
                continue
            meta, _, path = record.partition("\t")
            mode, kind, blob = meta.split(" ")
            if kind == "blob" and path.endswith(".gitmodel") and mode != "120000":
                entries.append(TreeEntry(path, blob))
        return entries

    def pointer_blobs_reachable(self, revs: list[str]) -> list[TreeEntry]:
        """Every distinct pointer blob in the history of ``revs`` (e.g. ``["--all"]``)."""
        if not revs:
            return []
        out = self.run("rev-list", "--objects", *revs, "--")
        entries = []
        for line in out.decode("utf-8", "surrogateescape").splitlines():
            sha, _, path = line.partition(" ")
            if path.endswith(".gitmodel"):
                entries.append(TreeEntry(path, sha))
        return entries

    def read_blobs(self, blobs: Iterable[str]) -> dict[str, bytes]:
        """Contents of many blobs through one ``git cat-file --batch``."""
        wanted = list(dict.fromkeys(blobs))
        if not wanted:
            return {}
        out = self.run("cat-file", "--batch", input=("\n".join(wanted) + "\n").encode())
        result: dict[str, bytes] = {}
        pos = 0
        for sha in wanted:
            end = out.index(b"\n", pos)
            header = out[pos:end].split()
            pos = end + 1
            if len(header) == 2 and header[1] == b"missing":
                continue
            size = int(header[2])
            result[sha] = out[pos : pos + size]
            pos += size + 1
        return result

    def branches(self) -> list[str]:
        return [
            b
            for b in self.text("for-each-ref", "--format=%(objectname)", "refs/heads").split()
            if b
        ]

    def tag_commits(self) -> list[str]:
        return [
            t
            for t in self.text(
                "for-each-ref",
                "--format=%(if)%(*objectname)%(then)%(*objectname)%(else)%(objectname)%(end)",
                "refs/tags",
            ).split()
            if t
        ]

    def stage(self, paths: Iterable[str]) -> None:
        """``git add`` the given paths (pointers and .gitignore files)."""
        items = list(paths)
        if items:
            self.run("add", "--", *items)

    def check_ignored(self, paths: Iterable[str]) -> set[str]:
        items = list(paths)
        if not items:
            return set()
        proc = run_git(
            ["check-ignore", "-z", "--stdin"],
            cwd=self.root,
            input=("\0".join(items) + "\0").encode(),
            check=False,
        )
        return {p for p in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if p}

    def hooks_dir(self) -> Path:
        """Where Git runs hooks from (core.hooksPath and worktrees respected)."""
        if self._hooks_dir is None:
            path = self.text("rev-parse", "--path-format=absolute", "--git-path", "hooks")
            self._hooks_dir = Path(path.strip())
        return self._hooks_dir

    # --- registry tags ------------------------------------------------------------
    # The registry reads every tag in ONE for-each-ref call (GTO's per-tag calls are
    # what makes it slow at a few thousand tags) and writes annotated tags only.

    def tag_refs(self) -> list[TagRef]:
        """Every tag with its type, peeled target, tagger and full message (one call)."""
        out = self.run("for-each-ref", f"--format={_TAG_FORMAT}", "refs/tags")
        parts = out.decode("utf-8", "surrogateescape").split("\0")
        refs = []
        for i in range(0, len(parts) - _TAG_FIELDS + 1, _TAG_FIELDS):
            name, kind, obj, peeled, peeled_kind, date, tagger, message = parts[i : i + _TAG_FIELDS]
            if name.startswith("\n"):  # the newline for-each-ref ends each record with
                name = name[1:]
            annotated = kind == "tag"
            refs.append(
                TagRef(
                    name=name,
                    annotated=annotated,
                    target=peeled if annotated else obj,
                    target_type=peeled_kind if annotated else kind,
                    timestamp=int(date) if date.strip().isdigit() else 0,
                    tagger=tagger.strip() if annotated else "",
                    message=message if annotated else "",
                )
            )
        return refs

    def create_tag(self, name: str, commit: str, message: str) -> bool:
        """Create the annotated tag ``name`` on ``commit``; False if the name is taken."""
        proc = run_git(
            ["tag", "-a", "--cleanup=verbatim", "-F", "-", name, commit],
            cwd=self.root,
            input=message.encode("utf-8"),
            check=False,
        )
        if proc.returncode == 0:
            return True
        if b"already exists" in proc.stderr:
            return False
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git tag {name} failed: {err[-1] if err else proc.returncode}")

    def push_tags(self, remote: str, names: Iterable[str]) -> None:
        """``git push REMOTE refs/tags/NAME...`` (in batches, for thousands of tags)."""
        refs = [f"refs/tags/{n}:refs/tags/{n}" for n in names]
        for start in range(0, len(refs), 500):
            self.run("push", "--quiet", remote, *refs[start : start + 500])

    def path_differs_from_head(self, path: str) -> bool:
        """True when the work tree or index copy of ``path`` differs from HEAD."""
        proc = run_git(["diff", "--quiet", "HEAD", "--", path], cwd=self.root, check=False)
        if proc.returncode == 0:
            return False
        cached = run_git(
            ["diff", "--quiet", "--cached", "HEAD", "--", path], cwd=self.root, check=False
        )
        return proc.returncode == 1 or cached.returncode == 1

    def commit_path(self, path: str, message: str) -> str:
        """Commit only ``path`` (as in the work tree) with ``message``; the new HEAD sha.

        Other staged changes stay staged and out of this commit (``git commit --only``).
        """
        run_git(["add", "--", path], cwd=self.root)
        self.run("commit", "--quiet", "--only", "-F", "-", "--", path, input=message.encode())
        return self.text("rev-parse", "HEAD").strip()

    # --- history of one path ------------------------------------------------------

    def path_history(self, path: str, rev: str = "HEAD") -> list[PathVersion]:
        """Every commit in ``rev``'s history that changed ``path``, newest first, with the
        blob it left there (None where it deleted it): ONE ``git log`` call, whatever
        the length of the history. Merges count by their diff to the first parent."""
        out = self.run(
            "--literal-pathspecs",
            "log",
            "--format=%x1e%H%x1f%ct%x1f%an <%ae>%x1f%s",
            "--raw",
            "--no-abbrev",
            "--no-renames",
            "--diff-merges=first-parent",
            rev,
            "--",
            path,
        )
        versions = []
        for record in out.decode("utf-8", "surrogateescape").split("\x1e")[1:]:
            header, _, body = record.partition("\n")
            commit, stamp, author, subject = [*header.split("\x1f", 3), "", "", ""][:4]
            blob: str | None = None
            for line in body.splitlines():
                if line.startswith(":"):  # ":100644 100644 OLD NEW M\tpath"
                    fields = line.split("\t", 1)[0].split()
                    blob = None if fields[4].startswith("D") else fields[3]
                    break
            else:
                continue  # no change of the path itself (cannot happen for a plain path)
            timestamp = int(stamp) if stamp.isdigit() else 0
            versions.append(PathVersion(commit, timestamp, author, subject, blob))
        return versions


class TagRef(NamedTuple):  # a tuple: 10^4 of them are built per registry read
    """One tag as ``git for-each-ref`` sees it. Lightweight tags have no tagger/message."""

    name: str
    annotated: bool
    target: str  # the tagged object: for an annotated tag, the object it points at
    target_type: str  # "commit" for every registry tag
    timestamp: int  # tagger date, unix seconds (1-second resolution)
    tagger: str  # "Name <email>"
    message: str


_TAG_FORMAT = (
    "%00".join(
        (
            "%(refname:strip=2)",
            "%(objecttype)",
            "%(objectname)",
            "%(*objectname)",
            "%(*objecttype)",
            "%(taggerdate:unix)",
            "%(taggername) %(taggeremail)",
            "%(contents)",
        )
    )
    + "%00"
)
_TAG_FIELDS = 8


class PathVersion(NamedTuple):
    """One commit that changed a path, as ``Git.path_history`` reads it."""

    commit: str
    timestamp: int  # committer date, unix seconds
    author: str  # "Name <email>"
    subject: str
    blob: str | None  # the path's blob after the commit; None when the commit deleted it
