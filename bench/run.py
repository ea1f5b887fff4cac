#!/usr/bin/env python3
"""Side-by-side benchmark of gitmodel, DVC and Git LFS (plus plain `cp` as a floor).

Every tool runs the same scenario on the same generated data, each in its own fresh Git
repository, N times; the script prints medians, ratios and peak RSS per scenario.
It is a benchmark, not a test: CI never runs it. Stdlib only.

    bash bench/setup.sh
    bench/.venv/bin/python bench/run.py                      # everything, 2 GiB model
    bench/.venv/bin/python bench/run.py --big-size 256MiB --dir-files 10000 --repeat 3
    bench/.venv/bin/python bench/run.py --scenarios push-pull --tools gitmodel,dvc
    bench/.venv/bin/python bench/run.py --skip 'git-lfs:add-dir-50k' --json out.json

Each tool is a small adapter (`Tool` subclass) that turns an operation (init, add, status,
restore after `git checkout`, remote add, push, pull) into the command lines to run.
A scenario (`Scenario`) drives the adapters; to add one, write a function
`run(ctx, tool)` that prepares repos untimed and calls `ctx.measure(case, tool, cmds)`,
and list it in `build_scenarios`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import fnmatch
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import stat
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
VENV_BIN = BENCH_DIR / ".venv" / "bin"
GNU_TIME = "/usr/bin/time"
KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
BIG = "model.bin"  # name of the big file inside every benchmark repo

Cmd = list[str]

# --------------------------------------------------------------------------- helpers


def parse_size(text: str) -> int:
    """'2GiB', '256MiB', '1.5G', '100MB', '4096' -> bytes (bare K/M/G are binary)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)(b?)\s*", text, re.IGNORECASE)
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (try 2GiB, 256MiB)")
    number, unit, binary, b = m.groups()
    power = "kmgt".find(unit.lower()) + 1 if unit else 0
    base = 1000 if (unit and b and not binary) else 1024
    return int(float(number) * base**power)


def fmt_size(n: int) -> str:
    for unit, size in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= size and n % (size // 16) == 0:
            return f"{n / size:g} {unit}"
    return f"{n} B"


def count_label(n: int) -> str:
    return f"{n // 1000}k" if n % 1000 == 0 and n >= 1000 else str(n)


def median(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def same_file(a: Path, b: Path, probe: int = MiB) -> bool:
    """Cheap identity check for generated random data: size, first and last MiB."""
    try:
        size = a.stat().st_size
        if size != b.stat().st_size:
            return False
        with a.open("rb") as fa, b.open("rb") as fb:
            if fa.read(probe) != fb.read(probe):
                return False
            fa.seek(max(0, size - probe))
            fb.seek(max(0, size - probe))
            return fa.read(probe) == fb.read(probe)
    except OSError:
        return False


def tree_summary(root: Path) -> tuple[int, int]:
    """(number of files, total bytes) under root, ignoring nothing."""
    files = total = 0
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            files += 1
            total += os.lstat(os.path.join(dirpath, name)).st_size
    return files, total


def has_hardlink(*roots: Path) -> bool:
    """Whether the first regular file found under roots has another link (no copy made)."""
    for root in roots:
        for dirpath, _dirs, names in os.walk(root):
            for name in names:
                st = os.lstat(os.path.join(dirpath, name))
                if stat.S_ISREG(st.st_mode):
                    return st.st_nlink > 1
    return False


def rmtree(path: Path) -> None:
    """rm -rf that also copes with read-only files (caches make objects read-only)."""
    if not path.exists() and not path.is_symlink():
        return
    if path.is_file() or path.is_symlink():
        path.unlink()
        return

    def onerror(func: Callable, p: str, _exc: object) -> None:
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(p), 0o755)
            os.chmod(p, 0o755)
        func(p)

    shutil.rmtree(path, onerror=onerror)


def first_line(cmd: Iterable[str], default: str = "?") -> str:
    try:
        out = subprocess.run(
            list(cmd), capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired):
        return default
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if out.returncode == 0 and text else default


def find_exe(name: str, override: str | None = None) -> str | None:
    if override:
        return override if (os.sep in override or shutil.which(override)) else None
    local = VENV_BIN / name
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(name)


# --------------------------------------------------------------------------- running commands


class CommandFailed(Exception):
    def __init__(self, cmd: Cmd, returncode: int | None, output: str, timeout: float | None):
        self.cmd, self.returncode, self.output, self.timeout = cmd, returncode, output, timeout
        super().__init__(self.summary())

    def summary(self) -> str:
        shown = " ".join(Path(c).name if i == 0 else c for i, c in enumerate(self.cmd))
        if len(shown) > 80:
            shown = shown[:77] + "..."
        if self.timeout is not None:
            return f"`{shown}` timed out after {self.timeout:g} s"
        lines = [ln.strip() for ln in self.output.splitlines() if ln.strip()]
        lines = [ln for ln in lines if not ln.startswith(("Command exited with", "Traceback"))]
        why = lines[-1] if lines else "no output"
        return f"`{shown}` exited {self.returncode}: {why[:160]}"


class NotSupported(Exception):
    """An adapter has no equivalent of the operation (e.g. `status` for plain cp)."""


@dataclass
class Measure:
    seconds: float
    rss_kib: int | None
    output: str = ""


class Runner:
    """Runs commands, optionally under GNU time for peak RSS, with a per-command timeout.

    Every command and its output go to a log file (workdir/logs/) for post-mortems.
    """

    def __init__(self, env: dict[str, str], timeout: float, log_path: Path, verbose: bool):
        self.env = env
        self.timeout = timeout
        self.verbose = verbose
        self.use_time = os.access(GNU_TIME, os.X_OK)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log = log_path.open("a", encoding="utf-8", errors="replace")

    def run(
        self,
        cmd: Cmd,
        cwd: Path,
        *,
        measure: bool = False,
        env: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> Measure:
        timeout = timeout or self.timeout
        full_env = {**self.env, **(env or {})}
        rss_file = None
        argv = list(cmd)
        if measure and self.use_time:
            fd, rss_file = tempfile.mkstemp(prefix="bench-time-")
            os.close(fd)
            argv = [GNU_TIME, "-v", "-o", rss_file, *argv]
        self.log.write(f"\n$ (cd {cwd} && {' '.join(cmd)})\n")
        self.log.flush()
        if self.verbose:
            print(f"    $ {' '.join(cmd)}", flush=True)
        with tempfile.TemporaryFile() as out:
            start = time.perf_counter()
            proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env=full_env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # so a timeout can kill the whole process group
            )
            # Wait blocking, and let a timer enforce the timeout: Popen.wait(timeout)
            # polls in sleeps of up to 50 ms, which rounded short commands (status)
            # up by as much.
            fired = threading.Event()

            def kill_group(pid: int = proc.pid) -> None:
                fired.set()
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)

            killer = threading.Timer(timeout, kill_group)
            killer.start()
            try:
                rc = proc.wait()
            finally:
                killer.cancel()
            seconds = time.perf_counter() - start
            timed_out = fired.is_set()
            out.seek(0)
            output = out.read().decode("utf-8", "replace")
        rss = None
        if rss_file:
            with contextlib.suppress(OSError):
                text = Path(rss_file).read_text(errors="replace")
                m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
                rss = int(m.group(1)) if m else None
                with contextlib.suppress(OSError):
                    os.unlink(rss_file)
        self.log.write(output[-20000:])
        self.log.write(f"[rc={rc} {seconds:.3f}s rss_kib={rss}]\n")
        self.log.flush()
        if timed_out:
            raise CommandFailed(cmd, None, output, timeout)
        if rc != 0:
            raise CommandFailed(cmd, rc, output, None)
        return Measure(seconds, rss, output)

    def run_all(self, cmds: Iterable[Cmd], cwd: Path, **kw: object) -> None:
        for cmd in cmds:
            self.run(cmd, cwd, **kw)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- tool adapters


class Tool:
    """One tool = how to spell each operation. Return command lists; the harness runs them.

    Commands returned by init/add/status/restore/push/pull are timed; configure,
    remote_add, after_clone and warmup are setup (untimed).
    """

    name = "?"
    uses_git = True  # commits in scenarios go through git
    clone_env: dict[str, str] = {}  # noqa: RUF012 - class-level default, never mutated

    def unavailable(self) -> str | None:
        """None when usable, else a reason to skip this tool."""
        return None

    def version(self) -> str:
        return "?"

    def warmup(self) -> list[Cmd]:
        """Run after dropping caches so the tool's own program files are warm."""
        return []

    def init(self, repo: Path) -> list[Cmd]:
        return []

    def configure(self, repo: Path) -> list[Cmd]:
        return []

    def add(self, repo: Path, paths: list[str]) -> list[Cmd]:
        raise NotSupported

    def status(self, repo: Path) -> list[Cmd]:
        raise NotSupported

    def restore(self, repo: Path) -> list[Cmd]:
        """After `git checkout REV`: bring the binaries in line with the pointers."""
        raise NotSupported

    def snapshot(self, repo: Path, label: str, path: str) -> list[Cmd]:
        """After committing a version (untimed). Git-based tools need nothing."""
        return []

    def switch(self, repo: Path, label: str, path: str) -> list[Cmd]:
        """Go to the version tagged `label` (timed)."""
        return [["git", "checkout", "-q", label], *self.restore(repo)]

    def remote_add(self, repo: Path, url: Path) -> list[Cmd]:
        raise NotSupported

    def remote_add_s3(self, repo: Path, url: str, endpoint: str) -> list[Cmd]:
        """An S3 remote at ``url`` on the S3-compatible service at ``endpoint``
        (credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)."""
        raise NotSupported

    def push(self, repo: Path) -> list[Cmd]:
        raise NotSupported

    def pull(self, repo: Path) -> list[Cmd]:
        raise NotSupported

    def after_clone(self, repo: Path) -> list[Cmd]:
        return []


class GitModel(Tool):
    """gitmodel's CLI as described in shared/DESIGN.md. Adjust here when the CLI changes."""

    name = "gitmodel"

    def __init__(self, exe: str | None):
        self.exe = exe

    def unavailable(self) -> str | None:
        if not self.exe:
            return "not installed (bash bench/setup.sh once the package has a CLI)"
        try:
            probe = subprocess.run(
                [self.exe, "--help"], capture_output=True, text=True, timeout=120, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"`gitmodel --help` fails: {exc}"
        if probe.returncode != 0:
            lines = (probe.stderr or probe.stdout).strip().splitlines()
            return f"`gitmodel --help` fails: {lines[-1] if lines else probe.returncode}"
        return None

    def version(self) -> str:
        return first_line([self.exe or "gitmodel", "--version"])

    def warmup(self) -> list[Cmd]:
        return [[self.exe or "gitmodel", "--help"]]  # --version skips the CLI's imports

    def _(self, *args: str) -> Cmd:
        return [self.exe or "gitmodel", *args]

    def init(self, repo: Path) -> list[Cmd]:
        return [self._("init")]

    def add(self, repo: Path, paths: list[str]) -> list[Cmd]:
        return [self._("add", *paths)]

    def status(self, repo: Path) -> list[Cmd]:
        return [self._("status")]

    def restore(self, repo: Path) -> list[Cmd]:
        return [self._("checkout")]

    def remote_add(self, repo: Path, url: Path) -> list[Cmd]:
        return [self._("remote", "add", "origin", str(url), "--default")]

    def remote_add_s3(self, repo: Path, url: str, endpoint: str) -> list[Cmd]:
        return [
            self._("remote", "add", "origin", url, "--default"),
            self._("remote", "modify", "origin", "endpoint_url", endpoint),
        ]

    def push(self, repo: Path) -> list[Cmd]:
        return [self._("push")]

    def pull(self, repo: Path) -> list[Cmd]:
        return [self._("pull")]


class Dvc(Tool):
    name = "dvc"

    def __init__(self, exe: str | None):
        self.exe = exe

    def unavailable(self) -> str | None:
        return None if self.exe else "not installed (bash bench/setup.sh)"

    def version(self) -> str:
        return first_line([self.exe or "dvc", "--version"])

    def warmup(self) -> list[Cmd]:
        return [[self.exe or "dvc", "--help"]]

    def _(self, *args: str) -> Cmd:
        return [self.exe or "dvc", *args]

    def init(self, repo: Path) -> list[Cmd]:
        return [self._("init", "-q")]

    def configure(self, repo: Path) -> list[Cmd]:
        # autostage: `dvc add` stages its .dvc/.gitignore like `gitmodel add` and `git add`.
        return [
            self._("config", "core.autostage", "true"),
            self._("config", "core.analytics", "false"),
        ]

    def add(self, repo: Path, paths: list[str]) -> list[Cmd]:
        return [self._("add", "-q", *paths)]

    def status(self, repo: Path) -> list[Cmd]:
        return [self._("status")]

    def restore(self, repo: Path) -> list[Cmd]:
        return [self._("checkout")]

    def remote_add(self, repo: Path, url: Path) -> list[Cmd]:
        return [self._("remote", "add", "-d", "storage", str(url))]

    def remote_add_s3(self, repo: Path, url: str, endpoint: str) -> list[Cmd]:
        return [
            self._("remote", "add", "-d", "storage", url),
            self._("remote", "modify", "storage", "endpointurl", endpoint),
        ]

    def push(self, repo: Path) -> list[Cmd]:
        return [self._("push", "-q")]

    def pull(self, repo: Path) -> list[Cmd]:
        return [self._("pull", "-q")]


class GitLfs(Tool):
    """Git LFS; its remote is the Git remote itself (a local bare repo: lfs/objects/...)."""

    name = "git-lfs"
    clone_env = {"GIT_LFS_SKIP_SMUDGE": "1"}  # noqa: RUF012 - `git lfs pull` is what we time

    def unavailable(self) -> str | None:
        if first_line(["git", "lfs", "version"], "") == "":
            return "`git lfs` not found (bash bench/setup.sh installs Debian's git-lfs)"
        return None

    def version(self) -> str:
        return first_line(["git", "lfs", "version"])

    def warmup(self) -> list[Cmd]:
        return [["git", "lfs", "version"]]

    def init(self, repo: Path) -> list[Cmd]:
        return [["git", "lfs", "install", "--local"]]

    def add(self, repo: Path, paths: list[str]) -> list[Cmd]:
        patterns = [f"{p}/**" if (repo / p).is_dir() else p for p in paths]
        return [["git", "lfs", "track", *patterns], ["git", "add", ".gitattributes", *paths]]

    def status(self, repo: Path) -> list[Cmd]:
        return [["git", "lfs", "status"]]

    def restore(self, repo: Path) -> list[Cmd]:
        return []  # `git checkout` runs the smudge filter itself

    def remote_add(self, repo: Path, url: Path) -> list[Cmd]:
        return []  # objects go to the Git remote (origin)

    def push(self, repo: Path) -> list[Cmd]:
        # plain `git lfs push origin main` skips objects of already-pushed refs
        return [["git", "lfs", "push", "--all", "origin", "main"]]

    def pull(self, repo: Path) -> list[Cmd]:
        return [["git", "lfs", "pull"]]

    def after_clone(self, repo: Path) -> list[Cmd]:
        return [["git", "lfs", "install", "--local"]]


class Copy(Tool):
    """Baseline: plain `cp` of the same bytes (what any cache-writing tool must at least do)."""

    name = "cp"
    uses_git = False

    def version(self) -> str:
        return first_line(["cp", "--version"])

    def configure(self, repo: Path) -> list[Cmd]:
        return [["mkdir", "-p", ".cpcache"]]

    def add(self, repo: Path, paths: list[str]) -> list[Cmd]:
        return [["cp", "-r", *paths, ".cpcache/"]]

    def snapshot(self, repo: Path, label: str, path: str) -> list[Cmd]:
        return [["cp", path, f".cpcache/{label}"]]

    def switch(self, repo: Path, label: str, path: str) -> list[Cmd]:
        return [["cp", f".cpcache/{label}", path]]


# --------------------------------------------------------------------------- results


@dataclass
class Result:
    case: str
    tool: str
    samples: list[float] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)
    status: str = "pending"  # ok | skipped | n/a | failed | timeout
    note: str = ""

    @property
    def median(self) -> float | None:
        return median(self.samples)

    @property
    def peak_rss_mib(self) -> float | None:
        return max(self.rss_kib) / 1024 if self.rss_kib else None

    def as_json(self) -> dict[str, object]:
        return {
            "case": self.case,
            "tool": self.tool,
            "status": self.status,
            "note": self.note,
            "samples_s": [round(s, 4) for s in self.samples],
            "median_s": None if self.median is None else round(self.median, 4),
            "rss_kib": self.rss_kib,
            "peak_rss_mib": None if self.peak_rss_mib is None else round(self.peak_rss_mib, 1),
        }


# --------------------------------------------------------------------------- data


class Data:
    """Generated inputs, cached in workdir/data between runs (regenerated if missing)."""

    def __init__(self, root: Path, big_size: int, seed: int):
        self.root = root
        self.big_size = big_size
        self.seed = seed
        root.mkdir(parents=True, exist_ok=True)

    def big(self, version: int) -> Path:
        path = self.root / f"big-{self.big_size}-v{version}.bin"
        if path.is_file() and path.stat().st_size == self.big_size:
            return path
        print(f"  generating {path.name} ({fmt_size(self.big_size)} of random bytes)...")
        tmp = path.with_suffix(".tmp")
        chunk = 8 * MiB
        with tmp.open("wb") as f:
            left = self.big_size
            while left > 0:
                n = min(chunk, left)
                f.write(os.urandom(n))  # fully random: no tool can dedupe or compress it
                left -= n
        tmp.replace(path)
        return path

    def small_dir(self, count: int) -> Path:
        """`count` files of 1-16 KiB random bytes, 1000 per subdirectory."""
        path = self.root / f"files-{count}"
        done = self.root / f"files-{count}.complete"
        if path.is_dir() and done.exists():
            return path
        print(f"  generating {path.name}/ ({count} files of 1-16 KiB)...")
        rmtree(path)
        rng = random.Random(self.seed + count)
        pool = os.urandom(32 * MiB)
        for i in range(count):
            sub = path / f"part{i // 1000:03d}"
            if i % 1000 == 0:
                sub.mkdir(parents=True)
            size = rng.randint(1 * KiB, 16 * KiB)
            start = rng.randrange(0, len(pool) - size)
            # unique content per file: the slice of a random pool, prefixed with its index
            (sub / f"f{i:06d}.bin").write_bytes(
                i.to_bytes(8, "little") + pool[start : start + size - 8]
            )
        done.touch()
        return path


# --------------------------------------------------------------------------- context


class Context:
    def __init__(self, args: argparse.Namespace, runner: Runner, data: Data, drop_caches: bool):
        self.args = args
        self.runner = runner
        self.data = data
        self.drop_caches = drop_caches
        self.repos = Path(args.workdir) / "repos"
        self.results: dict[tuple[str, str], Result] = {}
        self.current: Result | None = None

    # -- results
    def result(self, case: str, tool: str) -> Result:
        return self.results.setdefault((case, tool), Result(case, tool))

    def skipped(self, case: str, tool: str) -> bool:
        key = f"{tool}:{case}"
        return any(fnmatch.fnmatch(key, pat) for pat in self.args.skip)

    # -- repos
    def new_repo(self, tool: Tool, name: str, *, init: bool = True) -> Path:
        repo = self.repos / f"{tool.name}-{name}"
        rmtree(repo)
        repo.mkdir(parents=True)
        git_init(self.runner, repo)
        if init:
            self.runner.run_all(tool.init(repo), repo)
            self.runner.run_all(tool.configure(repo), repo)
        return repo

    def place(self, src: Path, dst: Path) -> None:
        """Copy input data into a repo (untimed)."""
        if dst.exists():
            rmtree(dst)
        self.runner.run(["cp", "-r", str(src), str(dst)], dst.parent)

    def commit(self, tool: Tool, repo: Path, message: str, exclude: Iterable[str] = ()) -> None:
        """Commit what the tool staged plus new/changed small files, never the raw data.

        (The data paths are left out explicitly so a tool that forgot to gitignore them
        cannot push gigabytes into Git; `git add -A ':(exclude)p'` errors on ignored p.)
        """
        if not tool.uses_git:
            return
        out = self.runner.run(
            ["git", "ls-files", "-z", "--others", "--modified", "--deleted", "--exclude-standard"],
            repo,
        ).output
        skip = tuple(exclude)
        paths = sorted(
            {
                p
                for p in out.split("\0")
                if p and not any(p == x or p.startswith(x + "/") for x in skip)
            }
        )
        for i in range(0, len(paths), 500):
            self.runner.run(["git", "add", "-A", "--", *paths[i : i + 500]], repo)
        self.runner.run(["git", "commit", "-q", "--no-verify", "-m", message], repo)

    # -- timing
    def settle(self, tool: Tool, repo: Path) -> None:
        """Before a timed run: flush writes; cold data cache if possible; warm the program."""
        self.runner.run(["sync"], repo)
        if self.drop_caches:
            try_drop_caches()
        self.runner.run_all(tool.warmup(), repo)

    def measure(self, case: str, tool: Tool, cmds: list[Cmd], cwd: Path) -> Measure:
        """Run `cmds` as one timed sample of `case` for `tool` (time summed, RSS maxed)."""
        res = self.result(case, tool.name)
        self.current = res
        total, rss = 0.0, []
        for cmd in cmds:
            m = self.runner.run(cmd, cwd, measure=True)
            total += m.seconds
            if m.rss_kib is not None:
                rss.append(m.rss_kib)
        res.samples.append(total)
        if rss:
            res.rss_kib.append(max(rss))
        res.status = "ok"
        self.current = None
        if self.args.verbose:
            print(f"    {case} {tool.name}: {total:.3f} s")
        return Measure(total, max(rss) if rss else None)

    def cleanup(self, tool: Tool) -> None:
        if not self.args.keep:
            for repo in self.repos.glob(f"{tool.name}-*"):
                rmtree(repo)


def git_init(runner: Runner, repo: Path, bare: bool = False) -> None:
    runner.run(["git", "init", "-q", "-b", "main", *(["--bare"] if bare else []), str(repo)], repo)
    if not bare:
        for key, value in (("gc.auto", "0"), ("commit.gpgsign", "false"), ("tag.gpgsign", "false")):
            runner.run(["git", "config", key, value], repo)


def try_drop_caches() -> str | None:
    """Drop the page cache; None if it worked, else the reason."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError as exc:
        return f"{exc.strerror or exc}"
    return None


# --------------------------------------------------------------------------- scenarios


@dataclass
class Scenario:
    group: str  # what --scenarios selects (or any of the case ids)
    cases: list[tuple[str, str]]  # (case id, description)
    run: Callable[[Context, Tool], None]
    needs: Callable[[Data], None]  # generate the data it uses
    tools: tuple[str, ...] = ("gitmodel", "dvc", "git-lfs", "cp")


def scenario_init(ctx: Context, tool: Tool) -> None:
    for i in range(ctx.args.repeat):
        repo = ctx.new_repo(tool, f"init-{i}", init=False)
        ctx.settle(tool, repo)
        ctx.measure("init", tool, tool.init(repo), repo)
        rmtree(repo)


def scenario_add_big(ctx: Context, tool: Tool) -> None:
    src = ctx.data.big(1)
    for i in range(ctx.args.repeat):
        repo = ctx.new_repo(tool, f"add-big-{i}")
        ctx.place(src, repo / BIG)
        ctx.settle(tool, repo)
        ctx.measure("add-big", tool, tool.add(repo, [BIG]), repo)
        rmtree(repo)


def make_status(case: str, source: Callable[[Data], Path], name: str) -> Callable:
    def run(ctx: Context, tool: Tool) -> None:
        repo = ctx.new_repo(tool, case)
        ctx.place(source(ctx.data), repo / name)
        ctx.runner.run_all(tool.add(repo, [name]), repo)
        ctx.commit(tool, repo, "add", exclude=[name])
        ctx.runner.run_all(tool.status(repo), repo)  # warm-up: fills state/hash caches
        for _ in range(ctx.args.repeat):
            ctx.settle(tool, repo)
            ctx.measure(case, tool, tool.status(repo), repo)
        rmtree(repo)

    return run


def make_add_dir(count: int) -> Callable:
    case = f"add-dir-{count_label(count)}"

    def run(ctx: Context, tool: Tool) -> None:
        src = ctx.data.small_dir(count)
        name = f"data{count_label(count)}"
        for i in range(ctx.args.repeat):
            repo = ctx.new_repo(tool, f"{case}-{i}")
            ctx.place(src, repo / name)
            ctx.settle(tool, repo)
            ctx.measure(case, tool, tool.add(repo, [name]), repo)
            rmtree(repo)

    return run


def scenario_switch(ctx: Context, tool: Tool) -> None:
    """v1 and v2 committed; time `git checkout v1 && <restore>` (cp: copy v1 back)."""
    v1, v2 = ctx.data.big(1), ctx.data.big(2)
    repo = ctx.new_repo(tool, "switch")
    for label, src in (("v1", v1), ("v2", v2)):
        ctx.place(src, repo / BIG)
        ctx.runner.run_all(tool.add(repo, [BIG]), repo)
        ctx.commit(tool, repo, label, exclude=[BIG])
        if tool.uses_git:
            ctx.runner.run(["git", "tag", label], repo)
        ctx.runner.run_all(tool.snapshot(repo, label, BIG), repo)
    for _ in range(ctx.args.repeat):
        ctx.settle(tool, repo)
        ctx.measure("switch-big", tool, tool.switch(repo, "v1", BIG), repo)
        if not same_file(repo / BIG, v1):
            raise CommandFailed(["switch", "v1"], 1, f"{BIG} is not v1 after the switch", None)
        ctx.runner.run_all(tool.switch(repo, "v2", BIG), repo)  # back, untimed
        if not same_file(repo / BIG, v2):
            raise CommandFailed(["switch", "v2"], 1, f"{BIG} is not v2 after switching back", None)
    rmtree(repo)


@dataclass
class S3:
    """The loopback S3 server (moto) of the remotes kit (shared/remotes), read from the
    remotes.env its up.sh writes. Between runs the bench empties it through moto's own
    reset call, so this works with moto only, never with a real S3 account."""

    endpoint: str
    bucket: str
    key: str
    secret: str

    @classmethod
    def from_env_file(cls, path: str) -> S3:
        import shlex

        values: dict[str, str] = {}
        for line in Path(path).read_text().splitlines():
            words = shlex.split(line)
            if len(words) == 2 and words[0] == "export" and "=" in words[1]:
                k, v = words[1].split("=", 1)
                values[k] = v
        try:
            return cls(
                values["REMOTE_S3_ENDPOINT_URL"],
                values["REMOTE_S3_BUCKET"],
                values["REMOTE_S3_KEY"],
                values["REMOTE_S3_SECRET"],
            )
        except KeyError as exc:
            raise SystemExit(f"{path}: no {exc} (start the kit with SERVERS=s3 up.sh)") from None

    def env(self) -> dict[str, str]:
        return {
            "AWS_ACCESS_KEY_ID": self.key,
            "AWS_SECRET_ACCESS_KEY": self.secret,
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def _call(self, method: str, path: str) -> None:
        import http.client
        from urllib.parse import urlsplit

        parts = urlsplit(self.endpoint)
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
        try:
            conn.request(method, path)
            resp = conn.getresponse()
            resp.read()
            if resp.status >= 300:
                raise CommandFailed(
                    [method, path], resp.status, f"moto answered {resp.status}", None
                )
        finally:
            conn.close()

    def reset(self) -> None:
        """Drop everything moto holds, then make the bucket again (unsigned: moto allows it)."""
        self._call("POST", "/moto-api/reset")
        self._call("PUT", f"/{self.bucket}")


def make_push_pull(
    kind: str, source: Callable[[Data], Path], name: str, s3: S3 | None = None
) -> Callable:
    """Push to a local-directory remote (or, with ``s3``, to a fresh prefix of the S3
    bucket), then pull into a fresh clone (both timed)."""
    suffix = "-s3" if s3 else ""

    def run(ctx: Context, tool: Tool) -> None:
        src = source(ctx.data)
        for i in range(ctx.args.repeat):
            remotes = Path(ctx.args.remote_dir) if ctx.args.remote_dir else ctx.repos
            git_remote = remotes / f"{tool.name}-pp-{kind}-origin.git"
            data_remote = remotes / f"{tool.name}-pp-{kind}-storage"
            for p in (git_remote, data_remote):
                rmtree(p)
            git_remote.mkdir(parents=True)
            data_remote.mkdir(parents=True)
            git_init(ctx.runner, git_remote, bare=True)
            repo = ctx.new_repo(tool, f"pp-{kind}-{i}")
            if s3:
                s3.reset()  # an empty bucket: nothing from an earlier run, bounded memory
                url = f"s3://{s3.bucket}/{tool.name}-{kind}-{i}"
                ctx.runner.run_all(tool.remote_add_s3(repo, url, s3.endpoint), repo)
            else:
                ctx.runner.run_all(tool.remote_add(repo, data_remote), repo)
            ctx.runner.run(["git", "remote", "add", "origin", str(git_remote)], repo)
            ctx.place(src, repo / name)
            ctx.runner.run_all(tool.add(repo, [name]), repo)
            ctx.commit(tool, repo, "add", exclude=[name])
            ctx.runner.run(["git", "push", "-q", "--no-verify", "origin", "main"], repo)
            if not ctx.skipped(f"push-{kind}{suffix}", tool.name):
                ctx.settle(tool, repo)
                ctx.measure(f"push-{kind}{suffix}", tool, tool.push(repo), repo)
                if has_hardlink(git_remote / "lfs", data_remote):
                    ctx.result(
                        f"push-{kind}{suffix}", tool.name
                    ).note = "remote objects are hardlinks (same filesystem: try --remote-dir)"
            else:
                ctx.runner.run_all(tool.push(repo), repo)
            if ctx.skipped(f"pull-{kind}{suffix}", tool.name):
                rmtree(repo)
                continue
            clone = ctx.repos / f"{tool.name}-pp-{kind}-clone-{i}"
            rmtree(clone)
            ctx.runner.run(
                ["git", "clone", "-q", str(git_remote), str(clone)], ctx.repos, env=tool.clone_env
            )
            ctx.runner.run_all(tool.after_clone(clone), clone)
            ctx.settle(tool, clone)
            ctx.measure(f"pull-{kind}{suffix}", tool, tool.pull(clone), clone)
            ok = (
                same_file(clone / name, src)
                if src.is_file()
                else tree_summary(clone / name) == tree_summary(src)
            )
            if not ok:
                raise CommandFailed(
                    ["pull"], 1, f"{name} in the clone differs from the source", None
                )
            for p in (repo, clone, git_remote, data_remote):
                rmtree(p)

    return run


def build_scenarios(args: argparse.Namespace) -> list[Scenario]:
    big = fmt_size(args.big_size)
    counts = args.dir_files
    first = counts[0]
    fl = count_label(first)
    git_tools = ("gitmodel", "dvc", "git-lfs")
    scenarios = [
        Scenario(
            "init",
            [("init", "init in a fresh git repo (tool startup + setup)")],
            scenario_init,
            lambda d: None,
            git_tools,
        ),
        Scenario(
            "add-big",
            [("add-big", f"add one {big} file (cp: copy it into a cache dir)")],
            scenario_add_big,
            lambda d: d.big(1),
        ),
        Scenario(
            "status",
            [("status-big", f"status, nothing changed, one {big} file")],
            make_status("status-big", lambda d: d.big(1), BIG),
            lambda d: d.big(1),
            git_tools,
        ),
        Scenario(
            "status",
            [(f"status-dir-{fl}", f"status, nothing changed, dir of {first} small files")],
            make_status(f"status-dir-{fl}", lambda d: d.small_dir(first), f"data{fl}"),
            lambda d: d.small_dir(first),
            git_tools,
        ),
    ]
    for count in counts:
        scenarios.append(
            Scenario(
                "add-dir",
                [(f"add-dir-{count_label(count)}", f"add a dir of {count} files of 1-16 KiB")],
                make_add_dir(count),
                lambda d, c=count: d.small_dir(c),
            )
        )
    scenarios += [
        Scenario(
            "switch",
            [("switch-big", f"git checkout v1 + restore, {big} file v2 -> v1 (cp: copy v1)")],
            scenario_switch,
            lambda d: (d.big(1), d.big(2)),
        ),
        Scenario(
            "push-pull",
            [
                ("push-big", f"push one {big} file to a local-directory remote"),
                ("pull-big", f"pull it into a fresh clone (fetch + checkout, {big})"),
            ],
            make_push_pull("big", lambda d: d.big(1), BIG),
            lambda d: d.big(1),
            git_tools,
        ),
        Scenario(
            "push-pull",
            [
                (f"push-dir-{fl}", f"push a dir of {first} small files to a local remote"),
                (f"pull-dir-{fl}", f"pull it into a fresh clone ({first} files)"),
            ],
            make_push_pull(f"dir-{fl}", lambda d: d.small_dir(first), f"data{fl}"),
            lambda d: d.small_dir(first),
            git_tools,
        ),
    ]
    if args.s3_env:
        s3 = S3.from_env_file(args.s3_env)
        scenarios += [
            Scenario(
                "push-pull-s3",
                [
                    ("push-big-s3", f"push one {big} file to S3 (moto on loopback)"),
                    ("pull-big-s3", f"pull it from S3 into a fresh clone ({big})"),
                ],
                make_push_pull("big", lambda d: d.big(1), BIG, s3),
                lambda d: d.big(1),
                ("gitmodel", "dvc"),
            ),
            Scenario(
                "push-pull-s3",
                [
                    (f"push-dir-{fl}-s3", f"push a dir of {first} small files to S3 (moto)"),
                    (f"pull-dir-{fl}-s3", f"pull it from S3 into a fresh clone ({first} files)"),
                ],
                make_push_pull(f"dir-{fl}", lambda d: d.small_dir(first), f"data{fl}", s3),
                lambda d: d.small_dir(first),
                ("gitmodel", "dvc"),
            ),
        ]
    return scenarios


DEFAULT_SCENARIOS = "init,add-big,status,add-dir,switch"
ALL_GROUPS = "init,add-big,status,add-dir,switch,push-pull"


def selected(scenarios: list[Scenario], selectors: list[str]) -> list[Scenario]:
    out = []
    for sc in scenarios:
        names = [sc.group, *(c for c, _ in sc.cases)]
        if any(fnmatch.fnmatch(n, sel) for sel in selectors for n in names):
            out.append(sc)
    return out


# --------------------------------------------------------------------------- report


def fmt_s(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.3f}" if x < 100 else f"{x:.1f}"


def ratio(a: Result | None, b: Result | None) -> str:
    if not a or not b or a.median is None or b.median is None or b.median == 0:
        return "n/a"
    return f"{a.median / b.median:.2f}x"


def print_case(ctx: Context, case: str, title: str, tools: list[str]) -> None:
    print(f"\n### {case}: {title}")
    print(
        f"{'tool':<10} {'median s':>9} {'min s':>9} {'max s':>9} {'peak RSS MiB':>13} {'runs':>5}  note"
    )
    for name in tools:
        r = ctx.results.get((case, name))
        if r is None:
            continue
        rss = "-" if r.peak_rss_mib is None else f"{r.peak_rss_mib:.1f}"
        lo = min(r.samples) if r.samples else None
        hi = max(r.samples) if r.samples else None
        note = r.note if r.status == "ok" else f"{r.status}: {r.note}".rstrip(": ")
        print(
            f"{name:<10} {fmt_s(r.median):>9} {fmt_s(lo):>9} {fmt_s(hi):>9} {rss:>13} "
            f"{len(r.samples):>5}  {note}"
        )
    g = ctx.results.get((case, "gitmodel"))
    parts = [
        f"dvc/gitmodel {ratio(ctx.results.get((case, 'dvc')), g)}",
        f"lfs/gitmodel {ratio(ctx.results.get((case, 'git-lfs')), g)}",
    ]
    if (case, "cp") in ctx.results:
        parts.append(f"gitmodel/cp {ratio(g, ctx.results.get((case, 'cp')))}")
    print("ratios: " + "   ".join(parts))


def machine_info(workdir: Path) -> dict[str, object]:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with contextlib.suppress(OSError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kib / (1 << 20):.1f} GiB"
    fs = first_line(["findmnt", "-n", "-o", "FSTYPE", "-T", str(workdir)], "")
    fs = fs or first_line(["stat", "-f", "-c", "%T", str(workdir)])
    return {
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": mem,
        "workdir_fs": fs,
        "python": platform.python_version(),
    }


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--workdir", default=str(BENCH_DIR / "work"), help="data + repos (default bench/work)"
    )
    p.add_argument(
        "--big-size", type=parse_size, default=2 * GiB, help="big file size (default 2GiB)"
    )
    p.add_argument(
        "--dir-files",
        type=lambda s: [int(x) for x in s.split(",") if x],
        default=[10000, 50000],
        help="file counts of the small-file dirs, comma-separated (default 10000,50000); "
        "the first is used for status and push-pull",
    )
    p.add_argument("--repeat", type=int, default=3, help="timed runs per tool and case (default 3)")
    p.add_argument(
        "--tools",
        default="gitmodel,dvc,git-lfs,cp",
        help="comma-separated subset of gitmodel,dvc,git-lfs,cp",
    )
    p.add_argument(
        "--scenarios",
        default=DEFAULT_SCENARIOS,
        help=f"comma-separated groups or case ids, globs ok; 'all' = {ALL_GROUPS} "
        f"(default {DEFAULT_SCENARIOS})",
    )
    p.add_argument(
        "--skip",
        action="append",
        default=[],
        help="TOOL:CASE glob to skip, repeatable or comma-separated, e.g. 'git-lfs:add-dir-50k'",
    )
    p.add_argument("--timeout", type=float, default=900, help="seconds per command (default 900)")
    p.add_argument(
        "--cache",
        choices=["auto", "cold", "warm"],
        default="auto",
        help="cold: drop the page cache before each timed run (needs root); "
        "auto: cold if possible, else warm (default)",
    )
    p.add_argument("--gitmodel", help="gitmodel executable (default: bench/.venv/bin or PATH)")
    p.add_argument("--dvc", help="dvc executable (default: bench/.venv/bin or PATH)")
    p.add_argument(
        "--remote-dir",
        help="where push-pull puts its local remotes (default: workdir/repos); another "
        "filesystem stops Git LFS from hardlinking instead of copying",
    )
    p.add_argument(
        "--s3-env",
        help="remotes.env of the remotes kit's S3 server (SERVERS=s3 shared/remotes/up.sh "
        "DIR): adds the push-pull-s3 group (gitmodel and dvc; dvc needs dvc-s3)",
    )
    p.add_argument("--json", help="write raw results and machine info to this file")
    p.add_argument("--keep", action="store_true", help="keep repos of failed runs")
    p.add_argument("--seed", type=int, default=1, help="seed for small-file sizes")
    p.add_argument("-v", "--verbose", action="store_true", help="print every command")
    args = p.parse_args(argv)
    args.skip = [s for item in args.skip for s in item.split(",") if s]
    args.tools = [t for t in args.tools.split(",") if t]
    unknown = set(args.tools) - {"gitmodel", "dvc", "git-lfs", "cp"}
    if unknown:
        p.error(f"unknown tools: {', '.join(sorted(unknown))}")
    sel = args.scenarios.replace("all", ALL_GROUPS)
    args.scenarios = [s for s in sel.split(",") if s]
    if args.repeat < 1 or not args.dir_files:
        p.error("--repeat must be >= 1 and --dir-files non-empty")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(args.workdir).resolve()
    args.workdir = str(workdir)
    workdir.mkdir(parents=True, exist_ok=True)

    env = dict(os.environ)
    # Measure every tool as a normal install runs it: with bytecode caches. Without
    # them an editable install recompiles its modules on every start (~0.1 s each time).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PATH"] = os.pathsep.join([str(VENV_BIN), str(Path(sys.executable).parent), env["PATH"]])
    env.update(
        {
            "LC_ALL": "C.UTF-8",
            "DVC_NO_ANALYTICS": "1",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_AUTHOR_NAME": "bench",
            "GIT_AUTHOR_EMAIL": "bench@example.invalid",
            "GIT_COMMITTER_NAME": "bench",
            "GIT_COMMITTER_EMAIL": "bench@example.invalid",
        }
    )
    if args.s3_env:
        env.update(S3.from_env_file(args.s3_env).env())
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    runner = Runner(env, args.timeout, workdir / "logs" / f"run-{stamp}.log", args.verbose)

    # cache mode
    drop_note = None
    if args.cache in ("auto", "cold"):
        drop_note = try_drop_caches()
        if drop_note and args.cache == "cold":
            print(f"cannot drop the page cache ({drop_note}); use --cache warm", file=sys.stderr)
            return 2
    drop = args.cache != "warm" and drop_note is None
    cache_mode = (
        "cold data (page cache dropped before each timed run; tool program files re-warmed)"
        if drop
        else "warm"
        + (f" (could not drop the page cache: {drop_note})" if drop_note else " (--cache warm)")
    )

    all_tools: list[Tool] = [
        GitModel(find_exe("gitmodel", args.gitmodel)),
        Dvc(find_exe("dvc", args.dvc)),
        GitLfs(),
        Copy(),
    ]
    tools = [t for t in all_tools if t.name in args.tools]
    unavailable: dict[str, str] = {}
    versions: dict[str, str] = {"git": first_line(["git", "--version"])}
    for t in tools:
        why = t.unavailable()
        if why:
            unavailable[t.name] = why
            print(f"skipping {t.name}: {why}")
        else:
            versions[t.name] = t.version()

    scenarios = selected(build_scenarios(args), args.scenarios)
    if not scenarios:
        print(f"no scenario matches {args.scenarios}; groups: {ALL_GROUPS}", file=sys.stderr)
        return 2
    if not runner.use_time:
        print(f"{GNU_TIME} not found: peak RSS will not be measured (bash bench/setup.sh)")

    data = Data(workdir / "data", args.big_size, args.seed)
    ctx = Context(args, runner, data, drop)
    info = machine_info(workdir)
    print(
        f"gitmodel bench {dt.date.today()} | {info['cpu']}, {info['cores']} cores, "
        f"{info['memory']} | fs {info['workdir_fs']} | big file {fmt_size(args.big_size)} | "
        f"{args.repeat} runs | cache: {cache_mode}"
    )
    print("versions: " + "; ".join(f"{k}: {v}" for k, v in versions.items()))
    print(f"log: {runner.log.name}")

    print("preparing data...")
    for sc in scenarios:
        sc.needs(data)

    order = [t.name for t in tools]
    for sc in scenarios:
        for tool in tools:
            if tool.name not in sc.tools:
                continue
            cases = [c for c, _ in sc.cases]
            if tool.name in unavailable:
                for c in cases:
                    r = ctx.result(c, tool.name)
                    r.status, r.note = "skipped", unavailable[tool.name]
                continue
            wanted = [c for c in cases if not ctx.skipped(c, tool.name)]
            for c in cases:
                if c not in wanted:
                    r = ctx.result(c, tool.name)
                    r.status, r.note = "skipped", "--skip"
            if not wanted:
                continue
            print(f"== {'/'.join(wanted)} | {tool.name}", flush=True)
            t0 = time.perf_counter()
            try:
                sc.run(ctx, tool)
            except NotSupported:
                for c in wanted:
                    r = ctx.result(c, tool.name)
                    r.status, r.note = "n/a", "no equivalent operation"
            except CommandFailed as exc:
                status = "timeout" if exc.timeout is not None else "failed"
                failed = ctx.current
                for c in wanted:
                    r = ctx.result(c, tool.name)
                    if r is failed or r.status == "pending":
                        r.status = status
                        r.note = ("" if r is failed else "setup: ") + exc.summary()
                print(f"   {tool.name} {status}: {exc.summary()}")
                if not args.keep:
                    ctx.cleanup(tool)
            finally:
                ctx.current = None
            for c in wanted:
                r = ctx.result(c, tool.name)
                if r.status == "ok" and len(r.samples) < args.repeat:
                    r.note = r.note or f"only {len(r.samples)}/{args.repeat} runs"
                if r.samples:
                    print(f"   {c}: median {fmt_s(r.median)} s over {len(r.samples)} runs")
            print(f"   ({time.perf_counter() - t0:.0f} s wall)", flush=True)

    print(
        f"\n## Results ({fmt_size(args.big_size)} big file, {args.repeat} runs, cache: {cache_mode})"
    )
    for sc in scenarios:
        for case, title in sc.cases:
            print_case(ctx, case, title, [n for n in order if n in sc.tools])

    if args.json:
        payload = {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": info,
            "versions": versions,
            "cache": {"mode": "cold" if drop else "warm", "drop_caches_error": drop_note},
            "args": {k: v for k, v in vars(args).items()},
            "results": [r.as_json() for r in ctx.results.values()],
        }
        Path(args.json).write_text(json.dumps(payload, indent=2) + "\n")
        print(f"\nraw results: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
