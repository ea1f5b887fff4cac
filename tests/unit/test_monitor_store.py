"""The monitoring store: layout, round trips, ingest validation, concurrency, corruption."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gitmodel.errors import MonitorError
from gitmodel.monitor.schema import SCHEMA
from gitmodel.monitor.store import LATEST_SCHEMA, SUMMARY_SCHEMA, MonitorStore, Observation

NOW = datetime(2024, 5, 3, 12, 0, tzinfo=UTC)
T0 = datetime(2024, 5, 1, 23, 58, tzinfo=UTC)


def obs(minutes: float, value: float, metric: str = "accuracy", **kw: str) -> Observation:
    fields = {"model": "churn", "version": "v1", "env": "prod", **kw}
    return Observation(T0 + timedelta(minutes=minutes), metric=metric, value=value, **fields)


@pytest.fixture
def store(tmp_path: Path) -> MonitorStore:
    return MonitorStore(tmp_path / "store", clock=lambda: NOW)


def parquet_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.parquet"))


# --- writing and reading ------------------------------------------------------------


def test_append_then_read_returns_the_observations_oldest_first(store: MonitorStore) -> None:
    written = [obs(3, 0.7), obs(1, 0.9, labels={"region": "eu"}), obs(2, 0.8)]
    assert store.append(written) == 3

    table = store.read("churn")

    assert table.schema == SCHEMA
    assert table["value"].to_pylist() == [0.9, 0.8, 0.7]
    assert table["time"].to_pylist() == [T0 + timedelta(minutes=m) for m in (1, 2, 3)]
    assert table["labels"].to_pylist() == ['{"region":"eu"}', None, None]
    assert set(table["model"].to_pylist()) == {"churn"}


def test_files_are_hive_partitioned_by_model_and_utc_date(store: MonitorStore) -> None:
    store.append([obs(0, 1.0), obs(5, 1.0), obs(0, 1.0, model="team/fraud detector")])

    root = Path(store.location)
    dirs = sorted(str(p.parent.relative_to(root)) for p in parquet_files(root))
    assert dirs == [
        "model=churn/date=2024-05-01",
        "model=churn/date=2024-05-02",  # 23:58 + 5 min is the next UTC day
        "model=team%2Ffraud%20detector/date=2024-05-01",
    ]
    assert all(p.name.startswith("part-") for p in parquet_files(root))
    assert not [p for p in root.rglob("*") if p.name.startswith(".")]  # no temp files left
    assert store.models() == ["churn", "team/fraud detector"]
    assert store.read("team/fraud detector").num_rows == 1
    # partition columns live in the path only, as hive readers expect
    assert "model" not in pq.read_schema(parquet_files(root)[0]).names


def test_each_append_writes_new_files_and_never_rewrites(store: MonitorStore) -> None:
    store.append([obs(0, 1.0)])
    first = parquet_files(Path(store.location))
    before = first[0].read_bytes()

    store.append([obs(1, 2.0)])

    files = parquet_files(Path(store.location))
    assert len(files) == 2 and first[0] in files
    assert first[0].read_bytes() == before
    assert store.read("churn")["value"].to_pylist() == [1.0, 2.0]


def test_concurrent_appends_from_threads_lose_nothing(store: MonitorStore) -> None:
    def writer(worker: int) -> None:
        for i in range(20):
            store.append([obs(i, float(worker * 100 + i), version=f"v{worker}")])

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    values = store.read("churn")["value"].to_pylist()
    assert sorted(values) == sorted(float(w * 100 + i) for w in range(8) for i in range(20))


def test_append_accepts_an_arrow_table_and_coerces_types(store: MonitorStore) -> None:
    table = pa.table(
        {
            "time": pa.array([T0.replace(tzinfo=None)], pa.timestamp("ns")),  # naive = UTC
            "model": ["churn"],
            "version": pa.array([3]),
            "env": pa.array(["prod"]).dictionary_encode(),
            "metric": ["latency"],
            "value": pa.array([12], pa.int32()),
            "labels": pa.array([[("zone", "b"), ("host", "a")]], pa.map_(pa.string(), pa.string())),
        }
    )
    store.append(table)

    row = store.read("churn").to_pylist()[0]
    assert (row["time"], row["version"], row["value"]) == (T0, "3", 12.0)
    assert row["labels"] == '{"host":"a","zone":"b"}'  # maps become canonical JSON


def test_storage_url_goes_through_fsspec() -> None:
    store = MonitorStore(f"memory://gitmodel-test-{id(object())}/monitor", clock=lambda: NOW)
    store.append([obs(0, 0.5), obs(1, 0.6)])

    assert store.models() == ["churn"]
    assert store.read("churn")["value"].to_pylist() == [0.5, 0.6]
    assert [f.day for f in store.files("churn")] == ["2024-05-01"]


# --- validation ---------------------------------------------------------------------


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_ingest_csv_parses_times_with_and_without_zone(store: MonitorStore, tmp_path: Path) -> None:
    csv = write_csv(
        tmp_path / "obs.csv",
        "time,model,version,env,metric,value,labels\n"
        "2024-05-01T12:00:00Z,churn,v1,prod,accuracy,0.9,\n"
        '2024-05-01T14:00:00+02:00,churn,v1,prod,accuracy, 1 ,"{""b"": 2, ""a"": ""x""}"\n'
        "2024-05-01 12:30:00,churn,v1,prod,accuracy,nan,\n",
    )
    assert store.ingest(csv) == 3

    table = store.read("churn")
    noon = datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert table["time"].to_pylist() == [noon, noon, noon + timedelta(minutes=30)]
    assert table["value"].to_pylist()[:2] == [0.9, 1.0]
    assert table["labels"].to_pylist()[1] == '{"a":"x","b":"2"}'


def test_ingest_parquet_fills_missing_columns_from_arguments(
    store: MonitorStore, tmp_path: Path
) -> None:
    path = tmp_path / "obs.parquet"
    pq.write_table(
        pa.table({"time": ["2024-05-01T00:00:00Z"], "metric": ["auc"], "value": [0.75]}), path
    )
    store.ingest(path, model="churn", version="v7", env="staging")

    row = store.read("churn").to_pylist()[0]
    assert (row["version"], row["env"], row["metric"], row["value"]) == (
        "v7",
        "staging",
        "auc",
        0.75,
    )


def test_ingest_names_line_and_column_of_a_non_numeric_value(
    store: MonitorStore, tmp_path: Path
) -> None:
    csv = write_csv(
        tmp_path / "obs.csv",
        "time,model,version,env,metric,value\n"
        "2024-05-01T12:00:00Z,churn,v1,prod,accuracy,0.9\n"
        "2024-05-01T12:01:00Z,churn,v1,prod,accuracy,n/a\n",
    )
    with pytest.raises(MonitorError, match=r"obs\.csv:3: value 'n/a' is not a number"):
        store.ingest(csv)
    assert store.models() == []  # nothing half-written


@pytest.mark.parametrize(
    ("header", "row", "expected"),
    [
        ("time,model,version,env,metric", "2024-05-01T12:00:00Z,churn,v1,prod,acc", "missing column"),
        ("time,model,version,env,metric,value,extra", "x,churn,v1,prod,acc,1,2", "unknown column"),
        ("time,model,version,env,metric,value", "yesterday,churn,v1,prod,acc,1", ":2: time 'yesterday'"),
        ("time,model,version,env,metric,value", "2024-05-01T12:00:00Z,,v1,prod,acc,1", "'model' is empty"),
        ("time,model,version,env,metric,value,labels", '2024-05-01,churn,v1,prod,acc,1,"[1]"', "not a JSON object"),
    ],
)  # fmt: skip
def test_ingest_refuses_malformed_files_naming_the_problem(
    store: MonitorStore, tmp_path: Path, header: str, row: str, expected: str
) -> None:
    csv = write_csv(tmp_path / "obs.csv", f"{header}\n{row}\n")
    with pytest.raises(MonitorError, match=expected):
        store.ingest(csv)


def test_future_observations_beyond_clock_skew_tolerance_are_refused(
    store: MonitorStore,
) -> None:
    ok = Observation(NOW + timedelta(minutes=4), "churn", "v1", "prod", "accuracy", 0.9)
    late = Observation(NOW + timedelta(hours=2), "churn", "v1", "prod", "accuracy", 0.9)

    store.append([ok])
    with pytest.raises(MonitorError, match=r"observation 2: time .* is 2h in the future"):
        store.append([ok, late])
    assert store.read("churn").num_rows == 1


def test_naive_datetimes_and_non_numbers_are_refused(store: MonitorStore) -> None:
    with pytest.raises(MonitorError, match="no time zone"):
        store.append([Observation(datetime(2024, 5, 1), "churn", "v1", "prod", "acc", 1.0)])
    with pytest.raises(MonitorError, match="'high' is not a number"):
        store.append([obs(0, "high")])  # type: ignore[arg-type]


# --- queries ------------------------------------------------------------------------


def test_read_filters_by_env_version_metric_and_since(store: MonitorStore) -> None:
    store.append(
        [
            obs(0, 1.0),
            obs(1, 2.0, env="staging"),
            obs(2, 3.0, version="v2"),
            obs(3, 4.0, metric="latency"),
            obs(60 * 24, 5.0),
        ]
    )
    assert store.read("churn", env="staging")["value"].to_pylist() == [2.0]
    assert store.read("churn", version="v2")["value"].to_pylist() == [3.0]
    assert store.read("churn", metrics=["latency"])["value"].to_pylist() == [4.0]
    since = T0 + timedelta(minutes=2)
    assert store.read("churn", since=since)["value"].to_pylist() == [3.0, 4.0, 5.0]
    assert store.read("unknown-model").num_rows == 0


def test_since_prunes_older_date_partitions_without_opening_them(store: MonitorStore) -> None:
    store.append([obs(0, 1.0), obs(60 * 24, 2.0)])
    old_day = Path(store.location) / "model=churn" / "date=2024-05-01"
    (old_day / "part-garbage.parquet").write_bytes(b"not parquet")

    table = store.read("churn", since=datetime(2024, 5, 2, tzinfo=UTC))

    assert table["value"].to_pylist() == [2.0]
    assert store.warnings == []


def test_corrupt_parquet_file_is_skipped_with_a_warning_naming_it(tmp_path: Path) -> None:
    seen: list[str] = []
    store = MonitorStore(tmp_path / "store", on_warning=seen.append, clock=lambda: NOW)
    store.append([obs(0, 1.0)])
    bad = Path(store.location) / "model=churn" / "date=2024-05-01" / "part-bad.parquet"
    bad.write_bytes(b"PAR1 truncated by a crashed copy")

    assert store.read("churn")["value"].to_pylist() == [1.0]
    assert store.latest("churn")["value"].to_pylist() == [1.0]
    assert len(seen) == 1  # once per store, not once per query
    assert str(bad) in seen[0] and "skipped" in seen[0]


def test_tail_returns_the_last_n_by_time_across_days(store: MonitorStore) -> None:
    store.append([obs(m, float(m)) for m in (0, 1, 3, 5)])  # days 2024-05-01 and -02
    store.append([obs(4, 4.0), obs(2, 2.0, metric="latency"), obs(6, 6.0, version="v2")])

    tail = store.tail("churn", "prod", "v1", "accuracy", 3)

    assert tail["value"].to_pylist() == [3.0, 4.0, 5.0]
    assert store.tail("churn", "prod", "v1", "accuracy", 10).num_rows == 5
    assert store.tail("churn", "prod", "v1", "missing", 3).num_rows == 0
    both = store.tails("churn", "prod", "v1", {"accuracy": 1, "latency": 2})
    assert list(zip(both["metric"].to_pylist(), both["value"].to_pylist(), strict=True)) == [
        ("accuracy", 5.0),
        ("latency", 2.0),
    ]


def test_latest_is_the_newest_value_per_series_and_sees_new_files(store: MonitorStore) -> None:
    store.append([obs(0, 1.0), obs(2, 2.0), obs(1, 9.0, env="staging"), obs(0, 5.0, model="b")])
    first = store.latest()
    assert first.schema == LATEST_SCHEMA
    assert [(r["model"], r["env"], r["value"]) for r in first.to_pylist()] == [
        ("b", "prod", 5.0),
        ("churn", "prod", 2.0),
        ("churn", "staging", 9.0),
    ]

    store.append([obs(3, 3.0)])

    assert store.latest("churn", env="prod")["value"].to_pylist() == [3.0]


def test_summary_per_metric_and_version(store: MonitorStore) -> None:
    store.append([obs(0, 0.9), obs(5, 0.7), obs(2, 0.8), obs(1, 0.5, version="v2")])
    store.append([obs(3, 100.0, metric="latency")])

    rows = store.summary("churn").to_pylist()

    assert store.summary("churn").schema == SUMMARY_SCHEMA
    assert [(r["metric"], r["version"], r["count"]) for r in rows] == [
        ("accuracy", "v1", 3),
        ("accuracy", "v2", 1),
        ("latency", "v1", 1),
    ]
    v1 = rows[0]
    assert v1["mean"] == pytest.approx(0.8)
    assert (v1["min"], v1["max"], v1["last"]) == (0.7, 0.9, 0.7)
    assert (v1["first_time"], v1["last_time"]) == (T0, T0 + timedelta(minutes=5))
    assert store.summary("churn", since=NOW).num_rows == 0


def test_duckdb_queries_the_store_with_hive_partitioning(store: MonitorStore) -> None:
    duckdb = pytest.importorskip("duckdb")
    store.append([obs(0, 0.9, labels={"region": "eu"}), obs(5, 0.7), obs(1, 0.5, model="a b")])

    rows = duckdb.sql(
        f"""
        SELECT model, date::VARCHAR, metric, avg(value), count(*) FILTER (labels->>'region' = 'eu')
        FROM read_parquet('{store.location}/**/*.parquet', hive_partitioning = true)
        GROUP BY ALL ORDER BY ALL
        """
    ).fetchall()

    assert rows == [
        ("a b", "2024-05-01", "accuracy", 0.5, 0),
        ("churn", "2024-05-01", "accuracy", 0.9, 1),
        ("churn", "2024-05-02", "accuracy", 0.7, 0),
    ]
