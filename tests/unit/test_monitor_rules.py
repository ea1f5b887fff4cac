"""Alert rules: parsing [[monitor.rules]], window semantics, evaluation at scale."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from gitmodel.config import Config
from gitmodel.errors import ConfigError
from gitmodel.monitor.rules import (
    Rule,
    assess,
    check_rules_against_known_metrics,
    evaluate,
    parse_rules,
    rules_from_config,
    tail_sizes,
)

T0 = datetime(2024, 5, 1, tzinfo=UTC)
ACCURACY = Rule("accuracy", "below", 0.85, window=3, action="rollback")


def series(values: list[float], metric: str = "accuracy", **columns: list[str]) -> pa.Table:
    times = [T0 + timedelta(minutes=i) for i in range(len(values))]
    return pa.table(
        {"time": pa.array(times, pa.timestamp("us", tz="UTC")), "metric": [metric] * len(values),
         "value": pa.array(values, pa.float64()), **columns}
    )  # fmt: skip


# --- parsing ------------------------------------------------------------------------


def test_parse_rules_reads_every_field_and_applies_defaults() -> None:
    raw = [
        {"metric": "accuracy", "below": 0.85, "window": 3, "action": "rollback"},
        {"metric": "latency_p95", "above": 250, "model": "churn", "env": "prod"},
    ]
    assert parse_rules(raw) == (
        Rule("accuracy", "below", 0.85, window=3, action="rollback", index=1),
        Rule("latency_p95", "above", 250.0, window=1, action="fail", model="churn", env="prod",
             index=2),
    )  # fmt: skip
    assert parse_rules(None) == ()


def test_rules_from_config_reads_monitor_rules() -> None:
    config = Config({"monitor": {"rules": [{"metric": "auc", "below": 0.7}]}})
    assert rules_from_config(config) == (Rule("auc", "below", 0.7),)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"below": 0.8}, r"#2: field 'metric'"),
        ({"metric": "a", "below": 0.8, "above": 0.9}, r"#2: field 'below'/'above': both"),
        ({"metric": "a"}, r"#2: field 'below'/'above': neither"),
        ({"metric": "a", "below": "0.8"}, r"#2: field 'below': '0.8' is not a number"),
        ({"metric": "a", "above": float("nan")}, r"#2: field 'above'"),
        ({"metric": "a", "below": 0.8, "window": 0}, r"#2: field 'window': 0"),
        ({"metric": "a", "below": 0.8, "window": 2.5}, r"#2: field 'window'"),
        ({"metric": "a", "below": 0.8, "window": True}, r"#2: field 'window'"),
        ({"metric": "a", "below": 0.8, "action": "page"}, r"#2: field 'action': 'page'"),
        ({"metric": "a", "below": 0.8, "env": ""}, r"#2: field 'env'"),
        ({"metric": "a", "below": 0.8, "windw": 3}, r"#2: unknown field 'windw'"),
        ("accuracy < 0.8", r"#2: must be a table"),
    ],
)
def test_bad_rules_are_config_errors_naming_rule_index_and_field(rule: Any, message: str) -> None:
    good = {"metric": "ok", "below": 1}
    with pytest.raises(ConfigError, match=r"\.gitmodel\.toml: \[\[monitor\.rules\]\] " + message):
        parse_rules([good, rule])


def test_monitor_rules_must_be_an_array_of_tables() -> None:
    with pytest.raises(ConfigError, match="array of tables"):
        parse_rules({"metric": "a", "below": 1})


def test_rules_on_unknown_metrics_are_config_errors_with_a_suggestion() -> None:
    rules = parse_rules([{"metric": "accuracy", "below": 0.8}, {"metric": "acuracy", "below": 1}])
    with pytest.raises(ConfigError, match=r"#2: metric 'acuracy' is never observed; did you mean"):
        check_rules_against_known_metrics(rules, {"accuracy", "latency"})
    check_rules_against_known_metrics(rules[:1], ["accuracy"])


# --- window semantics ---------------------------------------------------------------


def test_three_bad_values_in_a_row_fire_a_window_of_three() -> None:
    firings = evaluate([ACCURACY], series([0.9, 0.84, 0.83, 0.80]))

    assert len(firings) == 1
    assert firings[0].values == (0.84, 0.83, 0.80)
    assert firings[0].last_time == T0 + timedelta(minutes=3)
    assert firings[0].reason.startswith("accuracy below 0.85 for 3 observations in a row (0.84,")


def test_bad_good_bad_does_not_fire() -> None:
    assert evaluate([ACCURACY], series([0.80, 0.90, 0.80])) == []
    assert evaluate([ACCURACY], series([0.80, 0.80, 0.80, 0.90])) == []  # recovered


def test_the_window_is_the_latest_observations_by_time_not_by_row_order() -> None:
    table = series([0.80, 0.80, 0.80, 0.95]).take([3, 0, 2, 1])  # shuffled rows
    assert evaluate([ACCURACY], table) == []
    assert evaluate([ACCURACY], series([0.95, 0.80, 0.80, 0.80]).take([1, 3, 0, 2])) != []


def test_threshold_is_strict_and_nan_never_breaches() -> None:
    at_threshold = Rule("accuracy", "below", 0.85)
    assert evaluate([at_threshold], series([0.85])) == []
    assert evaluate([at_threshold], series([float("nan")])) == []
    assert evaluate([Rule("latency", "above", 250)], series([251], metric="latency")) != []


def test_missing_or_short_data_never_fires_but_is_reported() -> None:
    outcomes = assess([ACCURACY, Rule("latency", "above", 1)], series([0.1, 0.1]))
    assert [(o.rule.metric, o.status, o.values) for o in outcomes] == [
        ("accuracy", "not enough data", (0.1, 0.1)),
        ("latency", "no data", ()),
    ]
    assert evaluate([ACCURACY], series([0.1, 0.1])) == []


def test_rules_only_apply_to_their_model_and_env() -> None:
    prod_only = Rule("accuracy", "below", 0.85, env="prod")
    bad = series([0.1])
    assert assess([prod_only], bad, model="churn", env="staging") == []
    assert evaluate([prod_only], bad, model="churn", env="prod") != []
    # without explicit model/env, env columns in the table are matched instead
    mixed = series([0.1, 0.1], env=["staging", "staging"])
    assert [o.status for o in assess([prod_only], mixed)] == ["no data"]


def test_tail_sizes_are_the_largest_window_per_applicable_metric() -> None:
    rules = [ACCURACY, Rule("accuracy", "below", 0.5, window=5, env="staging"),
             Rule("latency", "above", 1)]  # fmt: skip
    assert tail_sizes(rules, env="prod") == {"accuracy": 3, "latency": 1}
    assert tail_sizes(rules) == {"accuracy": 5, "latency": 1}


def test_evaluation_of_a_million_observations_is_vectorised() -> None:
    n = 1_000_000
    seconds = pa.array(range(n), pa.int64())
    times = pc.multiply(seconds, 1_000_000).cast(pa.timestamp("us", tz="UTC"))
    metrics = pa.DictionaryArray.from_arrays(
        pc.bit_wise_and(seconds, 3).cast(pa.int32()), ["accuracy", "auc", "f1", "latency"]
    ).cast(pa.string())
    values = pc.if_else(pc.greater_equal(seconds, n - 12), 0.5, 0.95)  # 3 newest of each
    table = pa.table({"time": times, "metric": metrics, "value": values})

    start = time.perf_counter()
    firings = evaluate([ACCURACY, Rule("auc", "below", 0.9, window=50)], table)
    elapsed = time.perf_counter() - start

    assert [f.rule.metric for f in firings] == ["accuracy"]
    assert elapsed < 2.0


def test_store_tails_feed_evaluation(tmp_path: Path) -> None:
    from gitmodel.monitor.store import MonitorStore, Observation

    store = MonitorStore(tmp_path / "store", clock=lambda: T0 + timedelta(days=1))
    store.append(
        [Observation(T0 + timedelta(minutes=i), "churn", "v2", "prod", "accuracy", v)
         for i, v in enumerate([0.9, 0.8, 0.8, 0.8])]
        + [Observation(T0, "churn", "v1", "prod", "accuracy", 0.1)]
    )  # fmt: skip
    rules = [ACCURACY]

    tails = store.tails("churn", "prod", "v2", tail_sizes(rules, "churn", "prod"))

    assert tails.num_rows == 3
    assert [f.values for f in evaluate(rules, tails, model="churn", env="prod")] == [
        (0.8, 0.8, 0.8)
    ]
