"""The latest value of every monitored metric in the Prometheus text exposition format
(version 0.0.4), for ``monitor export --prometheus`` and ``monitor serve``.

Each metric becomes a gauge ``gitmodel_<metric>`` (the name sanitised to
``[a-zA-Z_:][a-zA-Z0-9_:]*``) with labels ``model``, ``version`` and ``env``::

    # HELP gitmodel_accuracy Latest observed value of 'accuracy' (gitmodel monitor).
    # TYPE gitmodel_accuracy gauge
    gitmodel_accuracy{model="churn",version="v3",env="prod"} 0.91

If two metric names sanitise to the same name ("p95-latency", "p95 latency"), their
samples also carry ``metric="<original name>"`` so the series stay distinct. The time of
each latest observation is a separate gauge, ``gitmodel_observation_timestamp_seconds``,
rather than a sample timestamp: Prometheus drops samples whose timestamps are old, and a
model observed once a day would then vanish from Grafana.

Rendering is plain Python over one row per series; only :func:`serve` needs
``prometheus_client``, imported when called.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gitmodel.errors import GitModelError, MonitorError

if TYPE_CHECKING:
    import pyarrow as pa

    from gitmodel.monitor.store import MonitorStore

PREFIX = "gitmodel_"
TIMESTAMP_METRIC = "observation_timestamp_seconds"
UP_METRIC = "monitor_up"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True)
class Sample:
    labels: tuple[tuple[str, str], ...]
    value: float


@dataclass
class Family:
    """One Prometheus gauge and its samples."""

    name: str
    help: str
    samples: list[Sample] = field(default_factory=list)


def metric_name(metric: str, prefix: str = PREFIX) -> str:
    """``"p95 latency (ms)"`` -> ``gitmodel_p95_latency_ms``."""
    body = re.sub(r"[^a-zA-Z0-9_:]+", "_", metric).strip("_") or "unnamed"
    name = prefix + body
    return name if re.match(r"[a-zA-Z_:]", name) else "_" + name


def families(latest: pa.Table, prefix: str = PREFIX) -> list[Family]:
    """Gauges for a :meth:`MonitorStore.latest` table, sorted by name."""
    rows = latest.to_pylist()  # one row per (model, version, env, metric), not per observation
    originals: dict[str, set[str]] = {}
    for row in rows:
        originals.setdefault(metric_name(row["metric"], prefix), set()).add(row["metric"])
    by_name: dict[str, Family] = {}
    stamps = Family(
        prefix + TIMESTAMP_METRIC, "Time of the latest observation of each metric, Unix seconds."
    )
    for row in rows:
        name = metric_name(row["metric"], prefix)
        labels: tuple[tuple[str, str], ...] = (
            ("model", row["model"]),
            ("version", row["version"]),
            ("env", row["env"]),
        )
        if len(originals[name]) > 1:
            labels += (("metric", row["metric"]),)
        if name not in by_name:
            shown = ", ".join(repr(m) for m in sorted(originals[name]))
            by_name[name] = Family(name, f"Latest observed value of {shown} (gitmodel monitor).")
        by_name[name].samples.append(Sample(labels, row["value"]))
        stamp_labels = (*labels[:3], ("metric", row["metric"]))
        stamps.samples.append(Sample(stamp_labels, row["time"].timestamp()))
    out = [by_name[n] for n in sorted(by_name)]
    if stamps.samples and stamps.name not in by_name:
        out.append(stamps)
    return out


def render(fams: list[Family]) -> str:
    """The text exposition format of ``fams``."""
    lines = []
    for fam in fams:
        lines.append(f"# HELP {fam.name} {_escape_help(fam.help)}")
        lines.append(f"# TYPE {fam.name} gauge")
        for sample in fam.samples:
            labels = ",".join(f'{k}="{_escape_label(v)}"' for k, v in sample.labels)
            lines.append(f"{fam.name}{{{labels}}} {_number(sample.value)}")
    return "\n".join(lines) + "\n" if lines else ""


def export(store: MonitorStore, model: str | None = None, prefix: str = PREFIX) -> str:
    """The latest values in ``store`` (every model unless ``model``) as exposition text."""
    return render(families(store.latest(model), prefix))


# --- serving ------------------------------------------------------------------------


class StoreCollector:
    """A prometheus_client collector that reads the store at every scrape."""

    def __init__(self, store: MonitorStore, model: str | None = None, prefix: str = PREFIX):
        self.store = store
        self.model = model
        self.prefix = prefix
        self._lock = threading.Lock()

    def describe(self) -> list[Any]:
        return []  # nothing to announce; and registering must not read the store

    def collect(self) -> Iterator[Any]:
        from prometheus_client.metrics_core import Metric

        up = 1.0
        with self._lock:
            try:
                fams = families(self.store.latest(self.model), self.prefix)
            except GitModelError as exc:  # an unreachable store is a 0, not a 500
                self.store.warn(str(exc))
                fams, up = [], 0.0
        for fam in fams:
            metric = Metric(fam.name, fam.help, "gauge")
            for sample in fam.samples:
                metric.add_sample(fam.name, dict(sample.labels), sample.value)
            yield metric
        health = Metric(self.prefix + UP_METRIC, "1 if the monitoring store was readable.", "gauge")
        health.add_sample(self.prefix + UP_METRIC, {}, up)
        yield health


@dataclass
class MetricsServer:
    """A running ``/metrics`` endpoint; ``stop()`` it, or ``wait()`` until interrupted."""

    host: str
    port: int
    _server: Any
    _thread: threading.Thread

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/metrics"

    def wait(self) -> None:
        """Block until the server stops (Ctrl-C raises KeyboardInterrupt here)."""
        while self._thread.is_alive():
            self._thread.join(timeout=0.5)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> MetricsServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(
    store: MonitorStore,
    port: int,
    host: str = "127.0.0.1",
    *,
    model: str | None = None,
    prefix: str = PREFIX,
) -> MetricsServer:
    """Serve the latest values at ``http://host:port/metrics`` from a background thread.
    ``port=0`` picks a free port (see ``.port``). Returns at once."""
    try:
        from prometheus_client import CollectorRegistry, start_http_server
    except ImportError:
        raise MonitorError(
            "monitor serve needs prometheus_client", fix="pip install prometheus_client"
        ) from None
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(store, model, prefix))
    try:
        server, thread = start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        raise MonitorError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another port"
        ) from None
    return MetricsServer(host, server.server_address[1], server, thread)


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))
