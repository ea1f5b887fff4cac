"""The monitoring service's pure parts: parsing command-line input, where the store is,
deployment events from the registry, plot buckets, exit codes and rollback messages."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pyarrow as pa
import pytest

from gitmodel.config import Config
from gitmodel.errors import ConfigError, RegistryError, UsageError
from gitmodel.monitor.rules import Outcome, Rule
from gitmodel.registry_state import Event, fold_artifact
from gitmodel.services.monitoring import (
    Check,
    bucket,
    deploy_events,
    deployed_version,
    known_envs,
    parse_labels,
    parse_since,
    parse_time,
    parse_values,
    rollback_reason,
    store_location,
)
from gitmodel.services.registry import Recorded
from gitmodel.tags import parse_tag

NOW = datetime(2024, 5, 3, 12, 0, tzinfo=UTC)
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
C1, C2 = "1" * 40, "2" * 40


# ---------------------------------------------------------------- input


def test_parse_values_reads_numbers_and_free_text_names() -> None:
    values = parse_values(["accuracy=0.91", "p95 latency (ms)= 41 ", "errors=3", "drift=nan"])
    assert values["accuracy"] == 0.91 and values["p95 latency (ms)"] == 41.0
    assert values["errors"] == 3.0 and math.isnan(values["drift"])


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        (["accuracy=high"], "--metric 'accuracy': 'high' is not a number"),
        (["accuracy="], "--metric 'accuracy': '' is not a number"),
        (["accuracy"], "expected NAME=NUMBER"),
        (["=0.9"], "expected NAME=NUMBER"),
        ([], "no --metric given"),
    ],
)
def test_parse_values_refuses_what_is_not_name_equals_number(
    pairs: list[str], message: str
) -> None:
    with pytest.raises(UsageError, match=re.escape(message)):
        parse_values(pairs)


def test_parse_labels() -> None:
    assert parse_labels(["region=eu", "shard = 3"]) == {"region": "eu", "shard": "3"}
    with pytest.raises(UsageError, match="expected KEY=VALUE"):
        parse_labels(["region"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T12:00:00Z", T0),
        ("2024-05-01T14:00:00+02:00", T0),
        ("2024-05-01 12:00", T0),  # no zone: UTC
        ("2024-05-01", T0 - timedelta(hours=12)),
        ("now", NOW),
    ],
)
def test_parse_time_reads_iso_8601_and_zoneless_times_as_utc(text: str, expected: datetime) -> None:
    parsed = parse_time(text, NOW)
    assert parsed == expected and parsed.tzinfo is UTC


def test_parse_time_refuses_other_text() -> None:
    with pytest.raises(UsageError, match="'yesterday' is not ISO 8601"):
        parse_time("yesterday", NOW)


@pytest.mark.parametrize(
    ("text", "back"),
    [
        ("90s", timedelta(seconds=90)),
        ("30min", timedelta(minutes=30)),
        ("30m", timedelta(minutes=30)),
        ("12h", timedelta(hours=12)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("1.5h", timedelta(minutes=90)),
    ],
)
def test_parse_since_reads_durations_back_from_now(text: str, back: timedelta) -> None:
    assert parse_since(text, NOW) == NOW - back


def test_parse_since_also_reads_times_and_refuses_the_rest() -> None:
    assert parse_since("2024-05-01T12:00:00Z", NOW) == T0
    with pytest.raises(UsageError, match="neither a duration"):
        parse_since("last week", NOW)


# ---------------------------------------------------------------- store location


def workspace(tmp_path: Path, data: dict[str, Any]) -> Any:
    """What store_location needs of a Workspace: config, data_dir and root."""
    root = tmp_path / "repo"
    return SimpleNamespace(config=Config(data), data_dir=root / ".git" / "gitmodel", root=root)


def test_store_defaults_to_git_dir_gitmodel_monitor(tmp_path: Path) -> None:
    ws = workspace(tmp_path, {})
    assert store_location(ws) == (str(tmp_path / "repo/.git/gitmodel/monitor"), {})


def test_store_path_is_relative_to_the_repository_root(tmp_path: Path) -> None:
    ws = workspace(tmp_path, {"monitor": {"store": "monitoring/data"}})
    assert store_location(ws)[0] == str(tmp_path / "repo/monitoring/data")
    ws = workspace(tmp_path, {"monitor": {"store": "/srv/monitor"}})
    assert store_location(ws)[0] == "/srv/monitor"


def test_store_url_gets_monitor_storage_options(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        {"monitor": {"store": "s3://ml/monitor", "storage_options": {"profile": "mon"}}},
    )
    assert store_location(ws) == ("s3://ml/monitor", {"profile": "mon"})


def test_store_on_a_named_remote_uses_its_url_and_options(tmp_path: Path) -> None:
    remotes = {
        "origin": {"url": "s3://bucket/models", "endpoint_url": "http://minio:9000"},
        "local": {"url": "shared/models"},
    }
    ws = workspace(
        tmp_path,
        {"remotes": remotes, "monitor": {"store": "remote://origin", "storage_options": {"a": 1}}},
    )
    location, options = store_location(ws)
    assert location == "s3://bucket/models/monitor"
    assert options["endpoint_url"] == "http://minio:9000" and options["a"] == 1
    ws = workspace(tmp_path, {"remotes": remotes, "monitor": {"store": "remote://local/obs/"}})
    assert store_location(ws) == (str(tmp_path / "repo/shared/models/obs"), {})


@pytest.mark.parametrize(
    ("monitor", "message"),
    [
        ({"store": "remote://nope"}, "names unknown remote 'nope' \\(known: none\\)"),
        ({"store": ""}, "monitor.store must be a path or URL"),
        ({"store": 3}, "monitor.store must be a path or URL"),
        ({"storage_options": "x"}, "must be a table"),
    ],
)
def test_bad_store_settings_are_config_errors(
    tmp_path: Path, monitor: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        store_location(workspace(tmp_path, {"monitor": monitor}))


# ---------------------------------------------------------------- registry view


def ev(tag: str, commit: str, ts: int, note: str = "", **fields: Any) -> Event:
    return Event(tag, parse_tag(tag), commit, ts, "Ann <ann@example.com>", tag, note, fields)


def churn() -> Any:
    state, _ = fold_artifact(
        "churn",
        [
            ev("churn@v0.1.0", C1, 100, seq=0),
            ev("churn@v0.2.0", C2, 110, seq=0),
            ev("churn#staging#1", C1, 120, version="v0.1.0"),
            ev("churn#prod#2", C1, 130, version="v0.1.0"),
            ev("churn#prod#3", C2, 140, version="v0.2.0"),
            ev("churn#prod#4", C1, 150, "accuracy fell\nmore", rollback_from="v0.2.0"),
        ],
    )
    return state


def test_deploy_events_are_the_env_assignments_in_registry_order() -> None:
    events = deploy_events(churn(), "prod")
    assert [(e.kind, e.version, e.tag) for e in events] == [
        ("deploy", "v0.1.0", "churn#prod#2"),
        ("deploy", "v0.2.0", "churn#prod#3"),
        ("rollback", "v0.1.0", "churn#prod#4"),
    ]
    assert events[-1].label == "rollback to v0.1.0" and events[-1].message == "accuracy fell"
    assert events[0].time == datetime.fromtimestamp(130, UTC)
    assert len(deploy_events(churn())) == 4
    assert known_envs(churn()) == ["prod", "staging"]


def test_deployed_version_names_the_envs_that_have_one() -> None:
    assert deployed_version(churn(), "prod") == "v0.1.0"
    with pytest.raises(RegistryError, match=r"deployed to 'prdo' \(deployed: prod=v0.1.0, staging"):
        deployed_version(churn(), "prdo")


# ---------------------------------------------------------------- plot buckets


def test_bucket_averages_time_slices_per_version() -> None:
    n = 10_000
    times = [T0 + timedelta(seconds=i) for i in range(n)]
    versions = ["v1" if i < n // 2 else "v2" for i in range(n)]
    rows = pa.table(
        {
            "time": pa.array(times, pa.timestamp("us", tz="UTC")),
            "version": versions,
            "value": pa.array([float(i % 2) for i in range(n)]),
        }
    )
    out = bucket(rows, 50)
    assert out.num_rows == 50
    assert set(out["version"].to_pylist()) == {"v1", "v2"}
    assert all(v == pytest.approx(0.5, abs=0.01) for v in out["value"].to_pylist())
    assert out["time"].to_pylist() == sorted(out["time"].to_pylist())
    assert bucket(rows.slice(0, 0), 50).num_rows == 0
    assert bucket(rows.slice(0, 1), 50).num_rows == 1


# ---------------------------------------------------------------- check outcomes


ROLLBACK = Rule("accuracy", "below", 0.85, window=3, action="rollback", index=1)
FAIL = Rule("latency", "above", 250.0, window=1, action="fail", index=2)


def outcome(rule: Rule, status: Any, values: tuple[float, ...] = ()) -> Outcome:
    first = T0 if values else None
    last = T0 + timedelta(minutes=len(values)) if values else None
    return Outcome(rule, status, values, first, last)


def test_check_fails_for_a_fail_rule_or_a_rollback_rule_without_rollback() -> None:
    quiet = Check("churn", "prod", "v2", [outcome(ROLLBACK, "ok", (0.9, 0.9, 0.9))])
    assert not quiet.failed and quiet.firing == []
    assert not Check("churn", "prod", "v2", [outcome(FAIL, "no data")]).failed
    firing = outcome(ROLLBACK, "firing", (0.8, 0.7, 0.75))
    not_rolled = Check("churn", "prod", "v2", [firing])
    assert not_rolled.failed
    made = Recorded("churn", "churn#prod#3", "v1", "prod")
    assert not Check("churn", "prod", "v2", [firing], rollback=made).failed
    both = Check("churn", "prod", "v2", [firing, outcome(FAIL, "firing", (300.0,))], rollback=made)
    assert both.failed
    assert both.to_json()["firing"] == 2 and both.to_json()["ok"] is False


def test_rollback_reason_names_the_rule_and_the_observed_values() -> None:
    check = Check("churn", "prod", "v0.2.0", [])
    reason = rollback_reason(check, [outcome(ROLLBACK, "firing", (0.8, 0.7, 0.75))])
    assert reason == (
        "monitor check: churn v0.2.0 in prod: [[monitor.rules]] #1 accuracy below 0.85 for 3 "
        "observations in a row (observed 0.8, 0.7, 0.75; 2024-05-01T12:00:00Z..2024-05-01T12:03:00Z)"
    )
