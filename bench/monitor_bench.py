"""Monitoring at scale, measured by hand (not run by CI): ingest N observations from one
Parquet file through ``gitmodel monitor ingest``, then time ``monitor check`` (rules
with windows 3 and 20), ``monitor show`` (a summary over every row) and ``monitor
export --prometheus``, each as the user runs it: the real CLI in a fresh process.

    python bench/monitor_bench.py                       # 10 million rows
    python bench/monitor_bench.py --rows 1000000 --repeat 5 --keep

Standard library and pyarrow only. The data: 1 model, 3 versions deployed one after
the other over 30 days, 2 environments, 10 metrics, evenly spaced in time. Needs git
and gitmodel (``python -m gitmodel`` of this interpreter).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

METRICS = ["accuracy", "latency", *(f"metric_{i}" for i in range(8))]
ENVS = ["prod", "staging"]
VERSIONS = ["v0.1.0", "v0.2.0", "v0.3.0"]
DAYS = 30
RULES = """
[[monitor.rules]]
metric = "accuracy"
below = 0.5
window = 3
action = "rollback"

[[monitor.rules]]
metric = "latency"
above = 250
window = 20
"""


def make_observations(rows: int, end: datetime) -> pa.Table:
    """``rows`` observations over the ``DAYS`` before ``end``, vectorised."""
    index = pa.array(range(rows), pa.int64())
    per_tick = len(METRICS) * len(ENVS)
    tick = pc.divide(index, per_tick)
    ticks = max(1, rows // per_tick)
    span_us = DAYS * 86_400_000_000
    start_us = int((end - timedelta(days=DAYS)).timestamp() * 1_000_000)
    micros = pc.add(pc.divide(pc.multiply(tick, span_us), ticks), start_us)
    metric = pc.take(pa.array(METRICS), pc.remainder(index, len(METRICS)))
    env = pc.take(pa.array(ENVS), pc.remainder(pc.divide(index, len(METRICS)), len(ENVS)))
    version = pc.take(pa.array(VERSIONS), pc.divide(pc.multiply(tick, len(VERSIONS)), ticks))
    noise = pc.random(rows)
    value = pc.if_else(
        pc.equal(metric, "latency"), pc.add(pc.multiply(noise, 100), 20), pc.add(noise, 0.5)
    )
    return pa.table(
        {
            "time": pc.cast(micros, pa.timestamp("us", tz="UTC")),
            "model": pa.repeat(pa.scalar("churn"), rows),
            "version": version,
            "env": env,
            "metric": metric,
            "value": value,
        }
    )


def sh(args: list[str], cwd: Path, env: dict[str, str], ok: tuple[int, ...] = (0,)) -> float:
    """Run a command; its wall time in seconds (exit codes other than ``ok`` stop all)."""
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in ok:
        sys.exit(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return elapsed


def setup_repo(root: Path, env: dict[str, str]) -> None:
    gm = [sys.executable, "-m", "gitmodel"]
    sh(["git", "init", "-q", str(root)], root.parent, env)
    sh([*gm, "init", "--no-hooks"], root, env)
    with open(root / ".gitmodel.toml", "a") as fh:
        fh.write(RULES)
    (root / "models").mkdir()
    for i, version in enumerate(VERSIONS):
        (root / "models" / "churn.pkl").write_bytes(f"model {i}".encode() * 1000)
        sh([*gm, "add", "models/churn.pkl"], root, env)
        sh(["git", "commit", "-qam", f"churn {version}"], root, env)
        sh(
            [*gm, "register", "churn", "--path", "models/churn.pkl", "--version", version],
            root,
            env,
        )
        for e in ENVS:
            sh([*gm, "deploy", "churn", "--env", e, "--version", version], root, env)


def timed(
    label: str,
    args: list[str],
    root: Path,
    env: dict[str, str],
    repeat: int,
    ok: tuple[int, ...] = (0,),
) -> list[float]:
    samples = [sh(args, root, env, ok) for _ in range(repeat)]
    print(f"{label:<44} median {statistics.median(samples):6.2f} s  "
          f"(min {min(samples):.2f}, max {max(samples):.2f}, n={repeat})")  # fmt: skip
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of check/show/export")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="gitmodel-monitor-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        HOME=str(work), GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=str(work / "gitconfig"),
        GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.com",
        GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.com",
        GITMODEL_SKIP_HOOKS="1", CI="1",
    )  # fmt: skip
    try:
        root = work / "repo"
        root.mkdir()
        setup_repo(root, env)
        start = time.perf_counter()
        table = make_observations(args.rows, datetime.now(UTC) - timedelta(minutes=1))
        source = work / "observations.parquet"
        pq.write_table(table, source, compression="zstd")
        print(f"generated {args.rows:,} rows ({source.stat().st_size / 1e6:.0f} MB Parquet) "
              f"in {time.perf_counter() - start:.1f} s")  # fmt: skip

        gm = [sys.executable, "-m", "gitmodel"]
        [ingest] = timed("monitor ingest (one Parquet file)", [*gm, "monitor", "ingest",
                         str(source)], root, env, 1)  # fmt: skip
        store = root / ".git" / "gitmodel" / "monitor"
        files = list(store.rglob("*.parquet"))
        size = sum(f.stat().st_size for f in files)
        print(f"{'':<44} {args.rows / ingest / 1e6:.2f} M rows/s, {len(files)} files, "
              f"{size / 1e6:.0f} MB")  # fmt: skip
        timed(
            "monitor check churn --env prod",
            [*gm, "monitor", "check", "churn", "--env", "prod"],
            root,
            env,
            args.repeat,
            ok=(0, 1),
        )  # fmt: skip (1: a rule fires)
        timed("monitor show churn (summary of every row)", [*gm, "monitor", "show", "churn"],
              root, env, args.repeat)  # fmt: skip
        timed("monitor show churn --since 1d", [*gm, "monitor", "show", "churn", "--since",
              "1d"], root, env, args.repeat)  # fmt: skip
        timed("monitor export --prometheus", [*gm, "monitor", "export", "--prometheus"], root,
              env, args.repeat)  # fmt: skip
        timed("gitmodel --version (interpreter + CLI start)", [*gm, "--version"], root, env,
              args.repeat)  # fmt: skip
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
