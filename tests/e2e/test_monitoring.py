"""Online monitoring with real git and the real CLI (DESIGN §6, §9): record, ingest,
show, check with automatic rollback, Prometheus export and serve, model cards, and
bad input of every kind. The store is read back with pyarrow and DuckDB."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest

from tests.e2e.conftest import GITMODEL, Result, Runner, write

RULES = """
[[monitor.rules]]
metric = "accuracy"
below = 0.85
window = 3
action = "rollback"
"""
START = datetime.now(UTC) - timedelta(hours=3)


def at(minutes: int) -> str:
    """A time ``minutes`` after START (three hours ago), ISO 8601."""
    return (START + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def commit_model(run: Runner, repo: Path, data: bytes, acc: float, msg: str) -> None:
    write(repo / "models" / "churn.pkl", data)
    run("gitmodel", "add", "models/churn.pkl", "--metric", f"accuracy={acc}")
    run("git", "commit", "-qm", msg)


def configure(repo: Path, text: str) -> None:
    path = repo / ".gitmodel.toml"
    path.write_text(path.read_text() + "\n" + text)


def as_json(run: Runner, *args: str) -> object:
    return json.loads(run("gitmodel", *args, "--json").stdout)


def tags(run: Runner) -> list[str]:
    return run("git", "tag", "--list").stdout.split()


def record(run: Runner, *values: str, minute: int, env: str = "prod", check: bool = True) -> Result:
    args = [a for v in values for a in ("--metric", v)]
    return run(
        "gitmodel", "monitor", "record", "churn", "--env", env, *args, "--time", at(minute),
        check=check,
    )  # fmt: skip


def store_files(repo: Path) -> list[Path]:
    return sorted((repo / ".git" / "gitmodel" / "monitor").rglob("*.parquet"))


@pytest.fixture
def deployed(gm_repo: Path, run: Runner) -> Path:
    """churn v0.1.0 then v0.2.0 deployed to prod (v0.2.0 holds it); one rollback rule."""
    configure(gm_repo, RULES)
    run("git", "commit", "-qam", "monitoring rules")
    commit_model(run, gm_repo, b"one" * 1000, 0.91, "churn v1")
    run("gitmodel", "register", "churn", "--path", "models/churn.pkl")
    commit_model(run, gm_repo, b"two" * 1000, 0.88, "churn v2")
    run("gitmodel", "register", "churn")
    run("gitmodel", "deploy", "churn", "--env", "prod", "--version", "v0.1.0")
    run("gitmodel", "deploy", "churn", "--env", "prod")
    assert run("gitmodel", "which", "churn", "--env", "prod").stdout == "v0.2.0\n"
    return gm_repo


# ---------------------------------------------------------------- the whole cycle


def test_three_bad_observations_roll_prod_back_and_history_says_why(
    deployed: Path, run: Runner
) -> None:
    for minute, value in ((1, "0.8"), (2, "0.78"), (3, "0.79")):
        recorded = record(run, f"accuracy={value}", minute=minute)
        assert "for churn v0.2.0 in prod" in recorded.stderr

    result = as_json(run, "monitor", "check", "churn", "--env", "prod", "--rollback")
    assert isinstance(result, dict)
    assert result["version"] == "v0.2.0" and result["firing"] == 1 and result["ok"] is True
    [rule] = result["rules"]
    assert rule["status"] == "firing" and rule["values"] == [0.8, 0.78, 0.79]
    assert result["rollback"]["tag"] == "churn#prod#3"
    assert run("gitmodel", "which", "churn", "--env", "prod").stdout == "v0.1.0\n"

    history = as_json(run, "history", "churn", "--env", "prod")
    assert isinstance(history, list)
    last = history[-1]
    assert (last["event"], last["version"], last["rollback_from"]) == (
        "rollback",
        "v0.1.0",
        "v0.2.0",
    )
    assert last["message"].startswith(
        "monitor check: churn v0.2.0 in prod: [[monitor.rules]] #1 accuracy below 0.85 for 3 "
        "observations in a row (observed 0.8, 0.78, 0.79; " + at(1)
    )
    message = run("git", "tag", "-l", "--format=%(contents)", "churn#prod#3").stdout
    assert "Roll back churn in prod to v0.1.0 (from v0.2.0)" in message
    assert "observed 0.8, 0.78, 0.79" in message

    # v0.1.0 has no observations yet: nothing fires, nothing is recorded.
    before = tags(run)
    quiet = run("gitmodel", "monitor", "check", "churn", "--env", "prod", "--rollback")
    assert "no data" in quiet.stdout and "No rule fires" in quiet.stderr
    for minute in (10, 11, 12):
        record(run, "accuracy=0.92", minute=minute)
    fine = run("gitmodel", "monitor", "check", "churn", "--env", "prod", "--rollback")
    assert "ok  rule #1" in fine.stdout and "No rule fires" in fine.stderr
    assert tags(run) == before


def test_good_observations_fire_nothing_and_record_no_event(deployed: Path, run: Runner) -> None:
    before = tags(run)
    for minute, value in ((1, "0.9"), (2, "0.8"), (3, "0.91"), (4, "0.7"), (5, "0.8")):
        record(run, f"accuracy={value}", minute=minute)  # bad, bad: but never 3 in a row
    result = run("gitmodel", "monitor", "check", "churn", "--env", "prod", "--rollback")
    assert result.returncode == 0 and "No rule fires" in result.stderr
    assert tags(run) == before
    assert run("gitmodel", "which", "churn", "--env", "prod").stdout == "v0.2.0\n"


def test_fail_rules_and_rollback_rules_without_rollback_exit_1(deployed: Path, run: Runner) -> None:
    configure(deployed, '[[monitor.rules]]\nmetric = "latency"\nabove = 250\naction = "fail"\n')
    record(run, "accuracy=0.9", "latency=300", minute=1)
    failed = run("gitmodel", "monitor", "check", "churn", "--env", "prod", check=False)
    assert failed.returncode == 1 and "firing  rule #2: latency above 250" in failed.stdout

    for minute in (2, 3, 4):
        record(run, "accuracy=0.5", "latency=10", minute=minute)
    before = tags(run)
    unasked = run("gitmodel", "monitor", "check", "churn", "--env", "prod", check=False)
    assert unasked.returncode == 1
    assert "gitmodel monitor check churn --env prod --rollback" in unasked.stderr
    assert tags(run) == before
    rolled = run("gitmodel", "monitor", "check", "churn", "--env", "prod", "--rollback")
    assert "Rolled back churn in prod from v0.2.0 to v0.1.0: tag churn#prod#3" in rolled.stderr


def test_a_rule_on_a_metric_never_observed_is_a_config_error_naming_it(
    deployed: Path, run: Runner
) -> None:
    configure(deployed, '[[monitor.rules]]\nmetric = "acuracy"\nbelow = 0.5\n')
    fresh = run("gitmodel", "monitor", "check", "churn", "--env", "prod")  # no data at all yet
    assert "no observations of churn yet" in fresh.stderr
    record(run, "accuracy=0.9", minute=1)
    result = run("gitmodel", "monitor", "check", "churn", "--env", "prod", check=False)
    assert result.returncode == 2
    assert result.stderr == (
        "error: .gitmodel.toml: [[monitor.rules]] #2: metric 'acuracy' is never observed; "
        "did you mean 'accuracy'?\n"
    )


# ---------------------------------------------------------------- bad input


def test_bad_record_input_is_one_line_and_stores_nothing(deployed: Path, run: Runner) -> None:
    text = record(run, "accuracy=high", minute=1, check=False)
    assert text.returncode == 2
    assert text.stderr == "error: --metric 'accuracy': 'high' is not a number\n"

    unknown = run(
        "gitmodel", "monitor", "record", "churnn", "--env", "prod", "--metric", "accuracy=1",
        check=False,
    )  # fmt: skip
    assert unknown.returncode == 1
    assert "unknown model 'churnn': it is not in the registry (known: churn)" in unknown.stderr

    no_env = record(run, "accuracy=0.9", minute=1, env="canary", check=False)
    assert no_env.returncode == 1
    assert "no version of churn is deployed to 'canary' (deployed: prod=v0.2.0)" in no_env.stderr
    bad_version = run(
        "gitmodel", "monitor", "record", "churn", "--env", "canary", "--metric", "accuracy=1",
        "--version", "v9.0.0", check=False,
    )  # fmt: skip
    assert bad_version.returncode == 1 and "churn has no version v9.0.0" in bad_version.stderr

    future = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    skewed = run(
        "gitmodel", "monitor", "record", "churn", "--env", "prod", "--metric", "accuracy=1",
        "--time", future, check=False,
    )  # fmt: skip
    assert skewed.returncode == 1
    assert re.search(r"is 2h in the future \(tolerance 5min\); check the clock", skewed.stderr)
    assert store_files(deployed) == []

    canary = run(
        "gitmodel", "monitor", "record", "churn", "--env", "canary", "--metric", "accuracy=1",
        "--version", "v0.1.0",
    )  # fmt: skip
    assert "churn v0.1.0 in canary" in canary.stderr
    assert len(store_files(deployed)) == 1


def test_a_corrupt_parquet_file_is_skipped_with_a_warning_naming_it(
    deployed: Path, run: Runner
) -> None:
    for minute, value in ((1, "0.8"), (2, "0.7"), (3, "0.75")):
        record(run, f"accuracy={value}", minute=minute)
    day = store_files(deployed)[0].parent
    bad = day / "part-corrupt.parquet"
    bad.write_bytes(b"PAR1 this is not parquet")

    shown = run("gitmodel", "monitor", "show", "churn", "--env", "prod")
    assert f"{bad}: skipped, not a readable Parquet file" in shown.stderr
    assert re.search(r"accuracy\s+prod\s+v0\.2\.0\*\s+3\s+0\.75", shown.stdout)
    checked = run("gitmodel", "monitor", "check", "churn", "--env", "prod", "--rollback")
    assert "part-corrupt.parquet: skipped" in checked.stderr
    assert "Rolled back churn in prod" in checked.stderr
    exported = run("gitmodel", "monitor", "export", "--prometheus")
    assert 'gitmodel_accuracy{model="churn",version="v0.2.0",env="prod"} 0.75' in exported.stdout


# ---------------------------------------------------------------- ingest and read back


def test_ingest_csv_and_parquet_then_read_back_with_pyarrow_and_duckdb(
    deployed: Path, run: Runner, tmp_path: Path
) -> None:
    csv = tmp_path / "scores.csv"
    csv.write_text(
        "time,metric,value,labels\n"
        + "".join(f'{at(i)},accuracy,0.9{i},"{{""region"": ""eu""}}"\n' for i in range(5))
    )
    result = run("gitmodel", "monitor", "ingest", str(csv), "--model", "churn", "--env", "prod")
    assert "stored 5 observation(s)" in result.stderr
    table = pa.table(
        {
            "time": pa.array([START + timedelta(minutes=10 + i) for i in range(4)],
                             pa.timestamp("us", tz="UTC")),
            "model": ["churn"] * 4,
            "version": ["v0.1.0"] * 4,
            "env": ["staging"] * 4,
            "metric": ["latency"] * 4,
            "value": [40.0, 41.0, 42.0, 43.0],
        }
    )  # fmt: skip
    parquet = tmp_path / "latency.parquet"
    pq.write_table(table, parquet)
    ingested = as_json(run, "monitor", "ingest", str(parquet))
    assert isinstance(ingested, dict) and ingested["rows"] == 4

    store = deployed / ".git" / "gitmodel" / "monitor"
    data = pads.dataset(store, format="parquet", partitioning="hive").to_table()
    assert data.num_rows == 9
    rows = sorted(data.select(["version", "env", "metric"]).to_pylist(), key=str)
    assert rows.count({"version": "v0.2.0", "env": "prod", "metric": "accuracy"}) == 5
    assert rows.count({"version": "v0.1.0", "env": "staging", "metric": "latency"}) == 4

    duckdb = pytest.importorskip("duckdb")
    query = f"""
        SELECT version, env, metric, count(*) AS n, round(avg(value), 3) AS mean,
               max(labels->>'region') AS region
        FROM read_parquet('{store}/**/*.parquet', hive_partitioning = true)
        WHERE model = 'churn'
        GROUP BY ALL ORDER BY version
    """
    assert duckdb.sql(query).fetchall() == [
        ("v0.1.0", "staging", "latency", 4, 41.5, None),
        ("v0.2.0", "prod", "accuracy", 5, 0.92, "eu"),
    ]


def test_ingest_refuses_bad_files_and_stores_nothing(
    deployed: Path, run: Runner, tmp_path: Path
) -> None:
    bad_value = tmp_path / "bad.csv"
    bad_value.write_text(f"time,metric,value\n{at(1)},accuracy,0.9\n{at(2)},accuracy,n/a\n")
    result = run(
        "gitmodel", "monitor", "ingest", str(bad_value), "--model", "churn", "--env", "prod",
        check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr == f"error: {bad_value}:3: value 'n/a' is not a number\n"

    stranger = tmp_path / "stranger.csv"
    stranger.write_text(
        f"time,model,version,env,metric,value\n{at(1)},fraud,v1,prod,accuracy,0.9\n"
    )
    unknown = run("gitmodel", "monitor", "ingest", str(stranger), check=False)
    assert unknown.returncode == 1 and "unknown model(s) 'fraud'" in unknown.stderr
    assert store_files(deployed) == []


# ---------------------------------------------------------------- Prometheus


def test_prometheus_export_parses_with_prometheus_client(deployed: Path, run: Runner) -> None:
    parser = pytest.importorskip("prometheus_client.parser")
    record(run, "accuracy=0.91", "p95 latency (ms)=41", minute=1)
    text = run("gitmodel", "monitor", "export", "--prometheus", "churn").stdout
    families = {f.name: f for f in parser.text_string_to_metric_families(text)}
    accuracy = families["gitmodel_accuracy"]
    assert accuracy.type == "gauge"
    [sample] = accuracy.samples
    assert sample.labels == {"model": "churn", "version": "v0.2.0", "env": "prod"}
    assert sample.value == 0.91
    assert families["gitmodel_p95_latency_ms"].samples[0].value == 41.0
    stamps = families["gitmodel_observation_timestamp_seconds"].samples
    assert {s.labels["metric"] for s in stamps} == {"accuracy", "p95 latency (ms)"}
    empty = run("gitmodel", "monitor", "export", "nosuch", check=False)
    assert empty.returncode == 1 and "unknown model 'nosuch'" in empty.stderr


def test_serve_answers_scrapes_and_exits_130_on_ctrl_c(
    deployed: Path, run: Runner, env: dict[str, str]
) -> None:
    parser = pytest.importorskip("prometheus_client.parser")
    record(run, "accuracy=0.93", minute=1)
    proc = subprocess.Popen(
        [GITMODEL, "monitor", "serve", "--port", "0"],
        cwd=deployed,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        match = re.search(r"serving (http://127\.0\.0\.1:\d+/metrics)", line)
        assert match, line
        with urllib.request.urlopen(match.group(1), timeout=30) as response:
            text = response.read().decode()
        families = {f.name: f for f in parser.text_string_to_metric_families(text)}
        assert families["gitmodel_accuracy"].samples[0].value == 0.93
        assert families["gitmodel_monitor_up"].samples[0].value == 1.0
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 130
        assert "stopped" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------- show and card


def test_show_summarises_and_plots_with_deploys_and_rollbacks_marked(
    deployed: Path, run: Runner, tmp_path: Path
) -> None:
    for minute, value in ((1, "0.8"), (2, "0.7"), (3, "0.75")):
        record(run, f"accuracy={value}", "latency=40", minute=minute)
    run("gitmodel", "monitor", "check", "churn", "--env", "prod", "--rollback")
    for minute in (5, 6):
        record(run, "accuracy=0.92", minute=minute)

    shown = as_json(run, "monitor", "show", "churn", "--env", "prod", "--plot")
    assert isinstance(shown, dict)
    assert shown["deployed"] == {"prod": "v0.1.0"}
    summary = {(r["metric"], r["version"]): r for r in shown["summary"]}
    assert summary[("accuracy", "v0.2.0")]["count"] == 3
    assert summary[("accuracy", "v0.2.0")]["min"] == 0.7
    assert summary[("accuracy", "v0.1.0")]["last"] == 0.92
    assert [e["event"] for e in shown["events"]] == ["deploy", "deploy", "rollback"]
    assert shown["plot"]["metric"] == "accuracy"  # the rule's metric
    assert len(shown["plot"]["points"]) == 5

    text = run("gitmodel", "monitor", "show", "churn", "--env", "prod", "--plot").stdout
    assert "accuracy · churn in prod" in text and "┤" in text
    assert "rule #1: below 0.85" in text
    assert "rollback to v0.1.0 (churn#prod#3)" in text
    assert re.search(r"v0\.2\.0\s+v0\.1\.0", text)

    since = as_json(run, "monitor", "show", "churn", "--since", at(4))
    assert isinstance(since, dict)
    assert {r["version"] for r in since["summary"]} == {"v0.1.0"}

    unknown_env = run("gitmodel", "monitor", "show", "churn", "--env", "prdo", check=False)
    assert unknown_env.returncode == 1 and "(known: prod)" in unknown_env.stderr
    unknown_metric = run(
        "gitmodel", "monitor", "show", "churn", "--env", "prod", "--plot", "-m", "f1",
        check=False,
    )  # fmt: skip
    assert unknown_metric.returncode == 1
    assert "observed: accuracy, latency" in unknown_metric.stderr

    pytest.importorskip("matplotlib")
    png = tmp_path / "accuracy.png"
    run("gitmodel", "monitor", "show", "churn", "--env", "prod", "--plot-file", str(png))
    assert png.read_bytes().startswith(b"\x89PNG")


def test_card_renders_pointer_registry_and_monitoring(
    deployed: Path, run: Runner, tmp_path: Path
) -> None:
    for minute, value in ((1, "0.8"), (2, "0.7"), (3, "0.75")):
        record(run, f"accuracy={value}", minute=minute)
    run("gitmodel", "monitor", "check", "churn", "--env", "prod", "--rollback")

    text = run("gitmodel", "card", "churn@v0.2.0").stdout
    assert text.startswith("# Model card: churn v0.2.0\n")
    assert "| accuracy | 0.88 | 0.91 | -0.03 |" in text  # against v0.1.0
    assert "| rollback from v0.2.0 | v0.1.0 | prod |" in text
    assert "| prod | accuracy | 3 | 0.75 | 0.7 | 0.8 | 0.75 |" in text
    assert "- #1: accuracy below 0.85 for 3 observations in a row → rollback" in text

    out = tmp_path / "card.json"
    written = run("gitmodel", "card", "churn#prod", "--format", "json", "-o", str(out))
    assert f"wrote {out}" in written.stderr and written.stdout == ""
    data = json.loads(out.read_text())
    assert data["version"] == "v0.1.0" and data["deployed_in"] == ["prod"]
    assert data["model"]["path"] == "models/churn.pkl" and data["monitoring"]["summary"] == []
    latest = run("gitmodel", "card", "churn").stdout
    assert latest.startswith("# Model card: churn v0.2.0")
    assert run("gitmodel", "card", "nosuch", check=False).returncode == 1


# ---------------------------------------------------------------- where the store is


def test_monitor_store_setting_moves_the_store(deployed: Path, run: Runner) -> None:
    configure(deployed, '[monitor]\nstore = "monitoring"\n')
    record(run, "accuracy=0.9", minute=1)
    assert len(list((deployed / "monitoring").rglob("*.parquet"))) == 1
    assert store_files(deployed) == []

    run("gitmodel", "remote", "add", "shared", str(deployed.parent / "remote"))
    text = (
        (deployed / ".gitmodel.toml")
        .read_text()
        .replace('store = "monitoring"', 'store = "remote://shared"')
    )
    (deployed / ".gitmodel.toml").write_text(text)
    record(run, "accuracy=0.9", minute=2)
    found = list((deployed.parent / "remote" / "monitor").rglob("*.parquet"))
    assert len(found) == 1 and "model=churn" in str(found[0])


def test_two_checks_racing_roll_back_only_once(
    deployed: Path, run: Runner, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two `check --rollback` (cron on two hosts) both read v0.2.0 in prod; the second
    to tag must not roll back again (to v0.2.0!) but report the first one's rollback."""
    from gitmodel.services import monitoring
    from gitmodel.services.workspace import Workspace

    for minute, value in ((1, "0.8"), (2, "0.7"), (3, "0.75")):
        record(run, f"accuracy={value}", minute=minute)
    for key in ("HOME", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM"):
        monkeypatch.setenv(key, env[key])
    ws = Workspace.open(deployed)
    stale = monitoring._registry(ws).artifacts["churn"]  # read before the other one tags
    first = monitoring.check(ws, "churn", "prod", rollback=True)
    assert first.rollback is not None and first.rollback.tag == "churn#prod#3"

    second = monitoring.Check("churn", "prod", "v0.2.0", first.outcomes)
    monitoring._roll_back(ws, stale, second, second.firing, allow_local=False)
    assert second.rollback is not None and second.rollback.tag is None
    assert second.rollback.notes == ["prod was rolled back to v0.1.0 meanwhile (churn#prod#3)"]
    assert not second.failed and second.rollback_error is None
    assert run("gitmodel", "which", "churn", "--env", "prod").stdout == "v0.1.0\n"
    assert "churn#prod#4" not in tags(run)
