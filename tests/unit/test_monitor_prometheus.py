"""Prometheus exposition of the latest values, parsed back with prometheus_client."""

from __future__ import annotations

import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gitmodel.monitor.prometheus import export, metric_name, serve
from gitmodel.monitor.store import MonitorStore, Observation

parser = pytest.importorskip("prometheus_client.parser")

T0 = datetime(2024, 5, 1, 12, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> MonitorStore:
    store = MonitorStore(tmp_path / "store", clock=lambda: T0 + timedelta(days=1))
    store.append(
        [
            Observation(T0, "churn", "v1", "prod", "accuracy", 0.80),
            Observation(T0 + timedelta(minutes=1), "churn", "v1", "prod", "accuracy", 0.91),
            Observation(T0, "churn", "v2", "canary", "accuracy", 0.93),
            Observation(T0, "churn", "v1", "prod", "p95 latency (ms)", 120.0),
            Observation(T0, 'odd "model"\\', "v1", "prod", "accuracy", float("nan")),
        ]
    )
    return store


def parse(text: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    families = {}
    for family in parser.text_string_to_metric_families(text):
        assert family.type == "gauge"
        families[family.name] = {tuple(sorted(s.labels.items())): s.value for s in family.samples}
    return families


def key(model: str, version: str, env: str, **extra: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted({"model": model, "version": version, "env": env, **extra}.items()))


@pytest.mark.parametrize(
    ("metric", "name"),
    [
        ("accuracy", "gitmodel_accuracy"),
        ("p95 latency (ms)", "gitmodel_p95_latency_ms"),
        ("rmse:daily", "gitmodel_rmse:daily"),
        ("точность", "gitmodel_unnamed"),
    ],
)
def test_metric_names_are_sanitised_and_prefixed(metric: str, name: str) -> None:
    assert metric_name(metric) == name
    assert metric_name("1st", prefix="") == "_1st"


def test_export_renders_latest_value_per_series_that_prometheus_parses(
    store: MonitorStore,
) -> None:
    text = export(store)
    families = parse(text)

    assert families["gitmodel_accuracy"][key("churn", "v1", "prod")] == 0.91
    assert families["gitmodel_accuracy"][key("churn", "v2", "canary")] == 0.93
    assert families["gitmodel_p95_latency_ms"] == {key("churn", "v1", "prod"): 120.0}
    odd = families["gitmodel_accuracy"][key('odd "model"\\', "v1", "prod")]
    assert odd != odd  # NaN survives the round trip
    stamps = families["gitmodel_observation_timestamp_seconds"]
    assert (
        stamps[key("churn", "v1", "prod", metric="accuracy")]
        == (T0 + timedelta(minutes=1)).timestamp()
    )
    assert "# HELP gitmodel_accuracy Latest observed value of 'accuracy'" in text
    assert "# TYPE gitmodel_accuracy gauge" in text


def test_metrics_that_sanitise_to_one_name_keep_distinct_series(tmp_path: Path) -> None:
    store = MonitorStore(tmp_path / "store", clock=lambda: T0)
    store.append(
        [
            Observation(T0, "m", "v1", "prod", "p95-latency", 1.0),
            Observation(T0, "m", "v1", "prod", "p95 latency", 2.0),
        ]
    )
    family = parse(export(store, "m"))["gitmodel_p95_latency"]
    assert family == {
        key("m", "v1", "prod", metric="p95-latency"): 1.0,
        key("m", "v1", "prod", metric="p95 latency"): 2.0,
    }


def test_empty_store_exports_nothing(tmp_path: Path) -> None:
    assert export(MonitorStore(tmp_path / "empty")) == ""


def test_serve_exposes_metrics_over_loopback_and_reads_the_store_per_scrape(
    store: MonitorStore,
) -> None:
    with serve(store, port=0) as server:
        assert server.port > 0
        with urllib.request.urlopen(server.url, timeout=5) as response:
            first = parse(response.read().decode())
        store.append([Observation(T0 + timedelta(hours=1), "churn", "v1", "prod", "accuracy", 0.5)])
        with urllib.request.urlopen(server.url, timeout=5) as response:
            second = parse(response.read().decode())

    assert first["gitmodel_accuracy"][key("churn", "v1", "prod")] == 0.91
    assert second["gitmodel_accuracy"][key("churn", "v1", "prod")] == 0.5
    assert second["gitmodel_monitor_up"] == {(): 1.0}
    assert not server._thread.is_alive()
