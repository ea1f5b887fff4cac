"""Registry scale benchmark: ``gitmodel ls`` and ``history NAME`` over many tags.

Builds a throwaway repository with ``git fast-import`` (commits and annotated tags in
one stream, seconds for 10^4 tags): ARTIFACTS artifacts, each with VERSIONS versions
at their own commits and the rest of its EVENTS as deploys/rollbacks to dev, staging
and prod with increasing N, all within a few seconds of tagger time. Then times the
real commands (a fresh process each, Python start-up included) and, with ``--gto``,
``gto show --json`` on the same repository.

    python bench/registry_bench.py                      # 500 artifacts x 20 = 10,000 tags
    python bench/registry_bench.py --gto /tmp/gtovenv/bin/gto
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ENVS = ("dev", "staging", "prod")
TAGGER = "Bench <bench@example.com>"
T0 = 1_700_000_000


def _data(text: str) -> bytes:
    raw = text.encode()
    return b"data %d\n" % len(raw) + raw + b"\n"


def _message(summary: str, fields: dict[str, object]) -> str:
    record = json.dumps({"format": 1, **fields}, separators=(",", ":"))
    return f"{summary}\n\nGitmodel: {record}\n"


def fast_import_stream(artifacts: int, versions: int, events: int, per_second: int) -> bytes:
    """Commits (one pointer change each) and annotated tags for every artifact."""
    out = bytearray()
    mark = 0
    for a in range(artifacts):
        name = f"model-{a:04d}"
        path = f"models/{name}.bin"
        commits = []
        for v in range(versions):
            mark += 1
            oid = f"{a:08x}{v:08x}".ljust(64, "0")
            pointer = f'version = 1\nhash = "blake3"\noid = "{oid}"\nsize = 1\nkind = "file"\n'
            out += b"commit refs/heads/main\nmark :%d\n" % mark
            out += f"committer {TAGGER} {T0} +0000\n".encode()
            out += _data(f"{name} v{v}")
            if mark > 1:
                out += b"from :%d\n" % (mark - 1)
            out += f"M 100644 inline {path}.gitmodel\n".encode() + _data(pointer)
            commits.append((mark, f"v0.{v + 1}.0", oid))
        for m, version, oid in commits:
            fields = {"event": "register", "version": version, "path": path, "hash": "blake3"}
            fields.update(oid=oid, size=1, kind="file", metrics={"acc": 0.9}, seq=0)
            out += f"tag {name}@{version}\nfrom :{m}\ntagger {TAGGER} {T0} +0000\n".encode()
            out += _data(_message(f"Register {name} {version}", fields))
        for n in range(1, events - versions + 1):
            m, version, _ = commits[(n * 7) % versions]
            env = ENVS[n % len(ENVS)]
            when = T0 + n // per_second  # several tags a second: time cannot order them
            fields = {"event": "assign", "version": version, "target": None}
            out += f"tag {name}#{env}#{n}\nfrom :{m}\ntagger {TAGGER} {when} +0000\n".encode()
            out += _data(_message(f"Deploy {name} {version} to {env}", fields))
    return bytes(out)


def build(
    root: Path, artifacts: int, versions: int, events: int, per_second: int, pack: bool
) -> Path:
    repo = root / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".gitmodel.toml").write_text('hash = "blake3"\n')
    started = time.perf_counter()
    stream = fast_import_stream(artifacts, versions, events, per_second)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=stream, check=True)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=repo, check=True)
    if pack:  # as after `git clone` or `git gc`; --loose keeps 10^4 files in refs/tags
        subprocess.run(["git", "pack-refs", "--all"], cwd=repo, check=True)
    count = len(
        subprocess.run(["git", "tag"], cwd=repo, capture_output=True, check=True).stdout.split()
    )
    print(f"built {count} tags over {artifacts} artifacts in {time.perf_counter() - started:.1f} s")
    return repo


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], cwd: Path, runs: int) -> tuple[float, float, str]:
    """Median wall time and CPU time (user + sys, git subprocesses included) of ``cmd``.
    CPU time is the steadier number on a busy machine."""
    walls, cpus = [], []
    out = ""
    for _ in range(runs):
        started, cpu = time.perf_counter(), _children_cpu()
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
        walls.append(time.perf_counter() - started)
        cpus.append(_children_cpu() - cpu)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr}")
        out = proc.stdout
    return statistics.median(walls), statistics.median(cpus), out


def report(label: str, wall: float, cpu: float, extra: str = "") -> None:
    print(f"{label:<30}{wall * 1000:7.0f} ms wall {cpu * 1000:7.0f} ms cpu  {extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--artifacts", type=int, default=500)
    parser.add_argument("--events", type=int, default=20, help="tags per artifact")
    parser.add_argument("--versions", type=int, default=5, help="registered versions each")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--per-second", type=int, default=10, help="assignment tags per tagger second"
    )
    parser.add_argument("--gto", help="path of a gto executable to compare with")
    parser.add_argument("--loose", action="store_true", help="leave tag refs unpacked")
    parser.add_argument("--keep", action="store_true", help="keep the repository")
    args = parser.parse_args()
    gitmodel = str(Path(sys.executable).with_name("gitmodel"))
    root = Path(tempfile.mkdtemp(prefix="gitmodel-registry-bench-"))
    repo = build(root, args.artifacts, args.versions, args.events, args.per_second, not args.loose)
    print(f"repository: {repo}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

    wall, cpu, out = timed([gitmodel, "ls", "--json"], repo, args.runs)
    listed = json.loads(out)
    report("gitmodel ls --json", wall, cpu, f"({len(listed)} artifacts)")
    wall, cpu, _ = timed([gitmodel, "ls"], repo, args.runs)
    report("gitmodel ls", wall, cpu)
    name = listed[len(listed) // 2]["name"]
    wall, cpu, out = timed([gitmodel, "history", name, "--json"], repo, args.runs)
    report("gitmodel history NAME --json", wall, cpu, f"({len(json.loads(out))} events)")
    wall, cpu, _ = timed([gitmodel, "which", name, "--env", "prod"], repo, args.runs)
    report("gitmodel which NAME --env", wall, cpu)
    wall, cpu, _ = timed([sys.executable, "-c", "import gitmodel.cli.app"], repo, args.runs)
    report("(python + CLI import alone)", wall, cpu)

    if args.gto:
        wall, cpu, out = timed([args.gto, "show", "--json"], repo, 1)
        report("gto show --json", wall, cpu)
        shown = json.loads(out)
        agree = sum(
            1
            for a in listed
            if {k: v for k, v in shown[a["name"]]["stage"].items() if v} == a["stages"]
            and shown[a["name"]]["version"] == a["latest"]
        )
        print(f"gto and gitmodel agree on {agree} of {len(listed)} artifacts")
        wall, cpu, _ = timed([args.gto, "history", name, "--json"], repo, 1)
        report("gto history NAME --json", wall, cpu)
    if args.keep:
        print(f"kept {root}")
    else:
        subprocess.run(["rm", "-rf", str(root)], check=False)


if __name__ == "__main__":
    main()
