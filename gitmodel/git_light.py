"""Git for the hooks' fast path: run one ``git`` command through ``os.posix_spawn``.

Every ``git commit`` and ``git push`` starts a hook, and most of them have nothing to
do. ``git.py`` imports pathlib and typing, and subprocess for most questions (~15 ms,
a third of a hook's budget), so the questions a hook asks before it knows there is
work are asked here, importing nothing beyond ``os`` (and ``select`` when git is fed
input). A failed command is not interpreted here: the caller hands over to
``git.py``, which runs it again and reports the error as it always did. ``git.py``
itself asks the two questions of every ``status`` (where the repository is, which
pointers exist) through here; everything else goes through its ``run_git``.
"""

from __future__ import annotations

import os

_READ = 1 << 16
_PIPE_BUF = 512  # POSIX's least PIPE_BUF: a write this small into an empty pipe never blocks


def is_null_oid(sha: str) -> bool:
    """Git's "no object" id: 40 zeros, or 64 in a SHA-256 repository."""
    return len(sha) in (40, 64) and sha.count("0") == len(sha)


def _env() -> dict[str, str]:
    # As git.py: keep what git set for the hook (GIT_DIR, GIT_INDEX_FILE...), never
    # let a pager or a credential prompt block.
    env = dict(os.environ)
    env.setdefault("GIT_PAGER", "cat")
    env["GIT_TERMINAL_PROMPT"] = "0"
    return env


def run(args: list[str], cwd: str | None = None, input: bytes | None = None) -> tuple[int, bytes]:
    """``git ARGS`` (in ``cwd``, through ``git -C``): its exit code and stdout.

    stderr is discarded. FileNotFoundError when git is not on PATH.
    """
    return start(args, cwd, input).finish()


class Running:
    """A git command ``start`` started; ``finish`` collects it."""

    __slots__ = ("_in_w", "_input", "_out_r", "_pid", "_result")

    def __init__(self, pid: int, out_r: int, in_w: int, input: bytes | None) -> None:
        self._pid, self._out_r, self._in_w, self._input = pid, out_r, in_w, input
        self._result: tuple[int, bytes] | None = None

    def finish(self) -> tuple[int, bytes]:
        """Wait for git: its exit code and stdout (again on every later call)."""
        if self._result is None:
            try:
                if self._input is None:
                    out = _read_all(self._out_r)
                else:
                    out = _exchange(self._out_r, self._in_w, self._input)
            finally:
                _, status = os.waitpid(self._pid, 0)
            self._result = os.waitstatus_to_exitcode(status), out
        return self._result


def start(args: list[str], cwd: str | None = None, input: bytes | None = None) -> Running:
    """Start ``git ARGS`` as ``run`` does, without waiting: a hook can ask two questions
    at once. Call ``finish`` on the result, always (it reaps the process)."""
    argv = ["git", "-C", cwd, *args] if cwd else ["git", *args]
    out_r, out_w = os.pipe()  # not inheritable: only the dup2'd ends reach git
    in_r = in_w = -1
    actions: list[tuple[object, ...]] = [
        (os.POSIX_SPAWN_DUP2, out_w, 1),
        (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
    ]
    try:
        if input is not None:
            in_r, in_w = os.pipe()
            actions.append((os.POSIX_SPAWN_DUP2, in_r, 0))
        pid = os.posix_spawnp("git", argv, _env(), file_actions=actions)
    except BaseException:
        for fd in (out_r, out_w, in_r, in_w):
            if fd >= 0:
                os.close(fd)
        raise
    os.close(out_w)
    if in_r >= 0:
        os.close(in_r)
    if input is not None and len(input) <= _PIPE_BUF:
        _write_all(in_w, input)  # an empty pipe takes it at once: no need to poll
        in_w, input = -1, None
    return Running(pid, out_r, in_w, input)


def _write_all(fd: int, data: bytes) -> None:
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except BrokenPipeError:  # git stopped reading: its exit code says why
        pass
    finally:
        os.close(fd)


def _read_all(fd: int) -> bytes:
    chunks = []
    try:
        while chunk := os.read(fd, _READ):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def _exchange(out_r: int, in_w: int, data: bytes) -> bytes:
    """Write ``data`` to git's stdin while reading its stdout (either pipe may fill)."""
    import select

    chunks = []
    view = memoryview(data)
    poller = select.poll()
    poller.register(out_r, select.POLLIN)
    if view:
        os.set_blocking(in_w, False)
        poller.register(in_w, select.POLLOUT)
    else:
        os.close(in_w)
        in_w = -1
    try:
        while out_r >= 0:
            for fd, _ in poller.poll():
                if fd == out_r:
                    chunk = os.read(out_r, _READ)
                    if chunk:
                        chunks.append(chunk)
                        continue
                    poller.unregister(out_r)
                    os.close(out_r)
                    out_r = -1
                elif fd == in_w:
                    try:
                        view = view[os.write(in_w, view[:_READ]) :]
                    except BlockingIOError:
                        continue
                    except BrokenPipeError:  # git stopped reading: its exit code says why
                        view = view[:0]
                    if not view:
                        poller.unregister(in_w)
                        os.close(in_w)
                        in_w = -1
    finally:
        for fd in (out_r, in_w):
            if fd >= 0:
                os.close(fd)
    return b"".join(chunks)


# --- the output of the few commands the hooks ask ------------------------------------


def parse_raw(out: bytes) -> list[tuple[str, str, str, str]]:
    """``git diff/log --raw -z --no-abbrev`` output: (new mode, new blob, status letter,
    path) per change (``--no-renames``: one path each)."""
    fields = out.decode("utf-8", "surrogateescape").split("\0")
    changes = []
    i = 0
    while i < len(fields) - 1:
        meta = fields[i].strip()
        if not meta.startswith(":"):
            i += 1
            continue
        parts = meta[1:].split()
        changes.append((parts[1], parts[3], parts[4][:1], fields[i + 1]))
        i += 2
    return changes


def parse_sizes(out: bytes) -> dict[str, int]:
    """``git cat-file --batch-check='%(objectname) %(objectsize)'`` output: sha -> size
    (objects git reports missing are left out)."""
    sizes = {}
    for line in out.decode().splitlines():
        sha, _, size = line.partition(" ")
        if size.isdigit():
            sizes[sha] = int(size)
    return sizes
