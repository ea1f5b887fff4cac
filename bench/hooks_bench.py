"""What gitmodel's Git hooks cost: ``git commit`` with and without the hooks when no
model is touched, and ``pre-push`` with nothing new to send for 1,000 tracked models.

    python bench/hooks_bench.py [--repeat 15] [--models 1000] [--gitmodel PATH]

Prints medians (ms) and the overhead. A benchmark, not a test: CI does not run it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path


def sh(*cmd: str, cwd: Path, env: dict[str, str], stdin: str | None = None) -> None:
    subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True, text=True, input=stdin)


def timed(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--gitmodel", default=shutil.which("gitmodel") or "gitmodel")
    args = parser.parse_args()
    gitmodel = args.gitmodel
    work = Path(tempfile.mkdtemp(prefix="gitmodel-hooks-bench-"))
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": str(work / "gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "PATH": f"{Path(gitmodel).parent}{os.pathsep}{os.environ['PATH']}",
        "CI": "1",
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: with bytecode caches
    try:
        for key, value in (
            ("user.name", "bench"),
            ("user.email", "b@example.com"),
            ("init.defaultBranch", "main"),
        ):
            sh("git", "config", "--global", key, value, cwd=work, env=env)
        repo = work / "repo"
        repo.mkdir()
        sh("git", "init", "-q", cwd=repo, env=env)
        sh(gitmodel, "init", cwd=repo, env=env)
        sh(gitmodel, "remote", "add", "store", str(work / "store"), "--default", cwd=repo, env=env)
        models = repo / "models"
        models.mkdir()
        for i in range(args.models):
            (models / f"m{i:04d}.bin").write_bytes(os.urandom(256) + i.to_bytes(4, "big"))
        start = time.perf_counter()
        sh(
            gitmodel,
            "add",
            *[f"models/m{i:04d}.bin" for i in range(args.models)],
            cwd=repo,
            env=env,
        )
        add_s = time.perf_counter() - start
        sh("git", "commit", "-qm", "models", cwd=repo, env=env)
        sh("git", "init", "-q", "--bare", str(work / "origin.git"), cwd=work, env=env)
        sh("git", "remote", "add", "origin", str(work / "origin.git"), cwd=repo, env=env)
        start = time.perf_counter()
        sh("git", "push", "-q", "origin", "main", cwd=repo, env=env)
        first_push_s = time.perf_counter() - start

        counter = iter(range(10**6))

        def commit() -> None:
            (repo / "notes.txt").write_text(f"note {next(counter)}\n")
            sh("git", "add", "notes.txt", cwd=repo, env=env)
            sh("git", "commit", "-qm", "note", cwd=repo, env=env)

        with_hooks = timed(commit, args.repeat)
        hooks_path = repo / ".git" / "hooks-off"
        hooks_path.mkdir()
        sh("git", "config", "core.hooksPath", str(hooks_path), cwd=repo, env=env)
        without_hooks = timed(commit, args.repeat)
        sh("git", "config", "--unset", "core.hooksPath", cwd=repo, env=env)

        # pre-push over every commit (a new remote branch: the whole history, 1,000
        # pointers) when the objects are already on the remote: the state db answers.
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=repo,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        stdin = f"refs/heads/main {head} refs/heads/other {'0' * 40}\n"

        def pre_push() -> None:
            sh(gitmodel, "hook", "pre-push", "nowhere", "nowhere", cwd=repo, env=env, stdin=stdin)

        pre_push_ms = timed(pre_push, args.repeat)

        def pre_push_nothing() -> None:
            sh(
                gitmodel,
                "hook",
                "pre-push",
                "origin",
                "url",
                cwd=repo,
                env=env,
                stdin=f"refs/heads/main {head} refs/heads/main {head}\n",
            )

        nothing_ms = timed(pre_push_nothing, args.repeat)
        print(
            f"models tracked: {args.models} (add {add_s:.2f} s, first git push "
            f"{first_push_s:.2f} s)"
        )
        print(
            f"git commit, no model touched: {with_hooks:.0f} ms with hooks, "
            f"{without_hooks:.0f} ms without -> overhead {with_hooks - without_hooks:.0f} ms"
        )
        print(
            f"pre-push, {args.models} pointers in range, all already on the remote: "
            f"{pre_push_ms:.0f} ms"
        )
        print(f"pre-push, no pointer in range (fast path): {nothing_ms:.0f} ms")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
