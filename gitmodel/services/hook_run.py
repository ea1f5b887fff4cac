"""``gitmodel hook NAME``: what runs inside ``git commit``, ``git push`` and ``git
checkout`` (the installed shims call it; DESIGN §4).

Every commit and push pays for this module, and most of them have nothing for gitmodel
to do. So it answers the common cases itself -- nothing relevant staged, nothing over
``hooks.max_size``, no pointer in the pushed commits, no pointer changed by a checkout
-- importing only ``os`` and gitmodel's ``git_light``, ``config``, ``plain_toml`` and
``errors`` (DESIGN §4: a hook's fast path costs < 50 ms). When there is real
work, or anything it does not fully understand (a git command that failed, a config
beyond plain TOML), it hands over to ``services.hook_checks``, which works through
``git.py`` and reports every error as it always did.
"""

from __future__ import annotations

import os

from gitmodel import git_light
from gitmodel.config import CONFIG_FILE
from gitmodel.errors import UsageError

TYPE_CHECKING = False  # typing costs ~4 ms to import
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from gitmodel.git import Git

HOOKS = ("pre-commit", "pre-push", "post-checkout", "post-merge", "post-rewrite")
STDIN_HOOKS = ("pre-push", "post-rewrite")  # git feeds these a list of refs on stdin
CHAINED_SUFFIX = ".pre-gitmodel"
ZERO = "0" * 40
SUFFIX = ".gitmodel"  # as in gitmodel.pointer, which this module does not import
_REGULAR = ("100644", "100755")


class Repo:
    """The work tree a hook runs in, as one ``git rev-parse`` describes it (strings)."""

    __slots__ = ("common_dir", "git_dir", "hooks_dir", "root")

    def __init__(self, root: str, git_dir: str, common_dir: str, hooks_dir: str) -> None:
        self.root = root
        self.git_dir = git_dir
        self.common_dir = common_dir
        self.hooks_dir = hooks_dir

    @classmethod
    def discover(cls) -> Repo | None:
        """The work tree around the current directory; None outside one (or in a bare
        repository). The same question ``Git.discover`` asks."""
        os.getcwd()  # a deleted current directory fails here, as in Git.discover
        args = ["rev-parse", "--path-format=absolute", "--show-toplevel", "--git-dir"]
        args += ["--git-common-dir", "--git-path", "hooks"]
        try:
            code, out = git_light.run(args)
        except FileNotFoundError:
            raise UsageError("git is not installed or not on PATH", fix="install git") from None
        lines = out.decode("utf-8", "surrogateescape").splitlines()
        if code != 0 or len(lines) != 4:
            return None
        return cls(*lines)

    def git(self, *args: str, input: bytes | None = None) -> tuple[int, bytes]:
        """Exit code and stdout of ``git ARGS`` run at the root."""
        return git_light.run(list(args), cwd=self.root, input=input)

    def output(self, *args: str, input: bytes | None = None) -> bytes:
        """stdout of a git command that must succeed. If it fails, git.py runs it again
        and raises the error it always raised."""
        code, out = self.git(*args, input=input)
        return out if code == 0 else self.full_git().run(*args, input=input)

    def exists(self, rev: str) -> bool:
        """As ``Git.object_exists``."""
        return self.git("rev-parse", "--verify", "--quiet", f"{rev}^{{object}}")[0] == 0

    def full_git(self) -> Git:
        """The git.py view of this work tree, for the work itself."""
        from pathlib import Path

        from gitmodel.git import Git

        paths = (Path(p) for p in (self.root, self.git_dir, self.common_dir, self.hooks_dir))
        root, git_dir, common_dir, hooks_dir = paths
        return Git(root, git_dir, common_dir, hooks_dir=hooks_dir)


def run_hook(name: str, args: Sequence[str], stdin: bytes | None = None) -> int:
    """Entry point of ``gitmodel hook NAME ARGS`` (stdin already read for push/rewrite)."""
    if name not in (*HOOKS, "restore"):
        raise UsageError(f"unknown hook {name!r}; one of {', '.join(HOOKS)}")
    # pre-commit's first question does not depend on rev-parse's answers: ask both at
    # once, as a hook waits for every git it runs. The answer counts only if nothing
    # could have changed it (see pre_commit).
    staged = None
    if name == "pre-commit":
        try:  # --no-optional-locks: never contend with a foreign hook's `git add`
            staged = git_light.start(["--no-optional-locks", *_STAGED])
        except FileNotFoundError:  # no git: Repo.discover says so
            staged = None  # (not contextlib.suppress: importing contextlib costs ~1 ms)
    try:
        return _run_hook(name, args, stdin, staged)
    finally:
        if staged is not None:
            staged.finish()


def _run_hook(
    name: str, args: Sequence[str], stdin: bytes | None, staged: git_light.Running | None
) -> int:
    repo = Repo.discover()
    if repo is None:
        return 0  # not in a work tree (e.g. a bare repo): nothing for us to do
    if name in HOOKS:
        code = _run_chained(repo.hooks_dir, name, args, stdin)
        if code is not None:
            if code != 0:
                return code
            staged = None  # the foreign hook may have staged files: ask again
    if os.environ.get("GITMODEL_SKIP_HOOKS") == "1":
        return 0
    if not os.path.isfile(os.path.join(repo.root, CONFIG_FILE)):
        return 0
    if name == "restore" or (name == "pre-push" and not stdin and "PRE_COMMIT" in os.environ):
        name, args, stdin = _from_pre_commit_framework(repo, name, args, stdin)
    if name == "pre-commit":
        return pre_commit(repo, staged)
    if name == "pre-push":
        return pre_push(repo, args, stdin or b"")
    return restore_after(repo, name, args, stdin or b"")


def _run_chained(hooks_dir: str, name: str, args: Sequence[str], stdin: bytes | None) -> int | None:
    """Run the foreign hook kept beside ours, with the same arguments and input; its
    exit code, or None when there is none."""
    chained = os.path.join(hooks_dir, name + CHAINED_SUFFIX)
    if not os.path.isfile(chained) or not os.access(chained, os.X_OK):
        return None
    import subprocess

    return subprocess.run([chained, *args], input=stdin, check=False).returncode


def _from_pre_commit_framework(
    repo: Repo, name: str, args: Sequence[str], stdin: bytes | None
) -> tuple[str, Sequence[str], bytes | None]:
    """The pre-commit framework passes what git gave its hook through PRE_COMMIT_*
    variables instead of arguments and stdin; turn them back into git's form."""
    env = os.environ
    old, new = env.get("PRE_COMMIT_FROM_REF"), env.get("PRE_COMMIT_TO_REF")
    if name == "pre-push":
        remote = env.get("PRE_COMMIT_REMOTE_NAME", "origin")
        local_branch = env.get("PRE_COMMIT_LOCAL_BRANCH", "HEAD")
        local_sha = (
            new or repo.output("rev-parse", local_branch).decode("utf-8", "surrogateescape").strip()
        )
        line = f"{local_branch} {local_sha} {env.get('PRE_COMMIT_REMOTE_BRANCH', '')} "
        line += f"{old or ZERO}\n"
        return "pre-push", [remote, env.get("PRE_COMMIT_REMOTE_URL", "")], line.encode()
    if "PRE_COMMIT_CHECKOUT_TYPE" in env and old and new:
        return "post-checkout", [old, new, env["PRE_COMMIT_CHECKOUT_TYPE"]], None
    if "PRE_COMMIT_IS_SQUASH_MERGE" in env:
        return "post-merge", [env["PRE_COMMIT_IS_SQUASH_MERGE"]], None
    if "PRE_COMMIT_REWRITE_COMMAND" in env:
        return "post-rewrite", [env["PRE_COMMIT_REWRITE_COMMAND"]], stdin
    return "restore", list(args), stdin  # run by hand: check every model


# --- pre-commit ------------------------------------------------------------------------


_STAGED = ("diff", "--cached", "--raw", "-z", "--no-renames", "--no-abbrev")


def pre_commit(repo: Repo, staged: git_light.Running | None = None) -> int:
    """Block commits whose pointers are unsound or that stage a large binary directly.

    ``staged``: the staged changes asked for before ``repo`` was known, in the current
    directory; used only when that is the root (where git runs hooks), so that the
    answer is the one asked there.
    """
    code, out = staged.finish() if staged is not None else (1, b"")
    if code != 0 or os.getcwd() != repo.root:
        out = repo.output(*_STAGED)
    changes = [c for c in git_light.parse_raw(out) if c[2] in "AMT" and c[0] in _REGULAR]
    if not changes:
        return 0
    if not any(path.endswith(SUFFIX) for *_, path in changes) and _none_too_large(repo, changes):
        return 0
    from gitmodel.services.hook_checks import pre_commit as check_staged

    return check_staged(repo.full_git(), changes)


def looks_binary(path: str) -> bool:
    """Git's own heuristic: a NUL byte in the first 8000 bytes (an unreadable file
    counts as binary)."""
    try:
        with open(path, "rb") as fh:
            return b"\0" in fh.read(8000)
    except OSError:
        return True


# Up to this many staged files, reading their first bytes is cheaper than asking git
# for their sizes; above it, git is asked for every size (as hook_checks does).
_SCREEN_MAX = 32


def _none_too_large(repo: Repo, changes: list[tuple[str, str, str, str]]) -> bool:
    """True when no staged file is a binary over ``hooks.max_size`` (the files
    pre-commit refuses); False also when unsure."""
    from gitmodel.config import quick_config

    config = quick_config(repo.root, repo.git_dir)
    if config is None:
        return False
    suspects = changes
    if len(changes) <= _SCREEN_MAX:  # a text file may be of any size: no need to ask
        suspects = [c for c in changes if looks_binary(os.path.join(repo.root, c[3]))]
        if not suspects:
            return True
    blobs = "".join(f"{blob}\n" for _, blob, _, _ in suspects).encode()
    code, out = repo.git("cat-file", "--batch-check=%(objectname) %(objectsize)", input=blobs)
    if code != 0:
        return False
    sizes = git_light.parse_sizes(out)
    limit = config.max_size
    return all(sizes.get(blob, 0) <= limit for _, blob, _, _ in suspects)


# --- pre-push --------------------------------------------------------------------------


def pre_push(repo: Repo, args: Sequence[str], stdin: bytes) -> int:
    """Upload the objects of the commits being pushed to the default remote."""
    blobs = _pushed_pointer_blobs(repo, args[0] if args else "origin", stdin)
    if not blobs:
        return 0
    from gitmodel.services.hook_checks import pre_push as upload

    return upload(repo.full_git(), blobs)


def _pushed_pointer_blobs(repo: Repo, remote: str, stdin: bytes) -> list[tuple[str, str]]:
    """(path, blob) of every pointer version introduced by the commits being pushed."""
    pushed: list[tuple[str, str]] = []
    for line in stdin.decode("utf-8", "replace").splitlines():
        parts = line.split()
        if len(parts) == 4 and not git_light.is_null_oid(parts[1]):  # a deletion pushes no objects
            pushed.append((parts[1], parts[3]))
    if not pushed:
        return []

    def revs(remote_has: Callable[[str], bool]) -> list[str]:
        # Commits the remote's tip does not have; when that tip is not here (or the
        # branch is new), those on no branch of the remote we know of.
        found = []
        for local_sha, remote_sha in pushed:
            if not git_light.is_null_oid(remote_sha) and remote_has(remote_sha):
                found += [local_sha, f"^{remote_sha}"]
            else:
                found += [local_sha, "--not", f"--remotes={remote}", "--not"]
        return found

    # Usually the remote's tip is here: try that first and ask `rev-parse` about each
    # tip only if git refuses the range.
    log = ["log", "--format="]
    options = ["--raw", "-z", "--no-renames", "--no-abbrev"]
    code, out = repo.git(*log, *revs(lambda _: True), *options)
    if code != 0:
        out = repo.output(*log, *revs(repo.exists), *options)
    found: dict[str, str] = {}
    for mode, blob, _, path in git_light.parse_raw(out):
        if path.endswith(SUFFIX) and mode in _REGULAR:
            found.setdefault(blob, path)
    return [(path, blob) for blob, path in found.items()]


# --- post-checkout / post-merge / post-rewrite -----------------------------------------


def restore_after(repo: Repo, name: str, args: Sequence[str], stdin: bytes) -> int:
    """Restore binaries whose pointers changed; never clobber a modified binary."""
    changed = _changed_pointer_paths(repo, name, args, stdin)
    if changed is not None:
        changed = [p for p in changed if os.path.isfile(os.path.join(repo.root, p))]
        if not changed:
            return 0
    from gitmodel.services.hook_checks import restore_after as restore

    return restore(repo.full_git(), changed)


def _changed_pointer_paths(
    repo: Repo, name: str, args: Sequence[str], stdin: bytes
) -> list[str] | None:
    """Pointer paths that may need restoring; None means: check every tracked model."""
    if name == "post-checkout" and len(args) >= 3 and args[2] == "1":
        old, new = args[0], args[1]
        if old == new:
            return []
        return None if git_light.is_null_oid(old) else _pointers_changed(repo, old, new)
    if name == "post-merge":
        return _pointers_changed(repo, "ORIG_HEAD", "HEAD")
    if name == "post-rewrite":
        if args and args[0] == "rebase":
            changed = _pointers_changed(repo, "ORIG_HEAD", "HEAD")
            if changed is not None:
                return changed
        first = stdin.decode("utf-8", "replace").split()
        return _pointers_changed(repo, first[0] if first else "ORIG_HEAD", "HEAD")
    return None


def _pointers_changed(repo: Repo, old: str, new: str) -> list[str] | None:
    """Pointer files that differ between ``old`` and ``new``; None when ``old`` is not
    in this repository (then every tracked model is checked)."""
    args = ("diff", "--name-only", "-z", "--no-renames", old, new, "--", f"*{SUFFIX}")
    code, out = repo.git(*args)
    if code != 0:
        if not repo.exists(old):
            return None
        out = repo.full_git().run(*args)  # raises the error git.py always raised
    return [p for p in out.decode("utf-8", "surrogateescape").split("\0") if p]
