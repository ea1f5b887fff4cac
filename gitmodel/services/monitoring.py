"""Online monitoring of deployed models: where the store is, recording and ingesting
observations, summaries with deployment events, rule checks with automatic rollback,
Prometheus exposition. The store, rules and exposition themselves are
``gitmodel.monitor``; this module ties them to the repository's config and registry.

The registry is the authority on names: observations are recorded for registered
artifacts only, and the version defaults to the one deployed to the environment, so
a typo never silently starts a series that no rule ever looks at.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitmodel.errors import ConfigError, GitModelError, MonitorError, RegistryError, UsageError
from gitmodel.services.workspace import Workspace
from gitmodel.tags import parse_version, validate_stage

if TYPE_CHECKING:
    import pyarrow as pa

    from gitmodel.monitor.prometheus import MetricsServer
    from gitmodel.monitor.rules import Outcome, Rule
    from gitmodel.monitor.store import MonitorStore
    from gitmodel.registry_state import ArtifactState, RegistryState
    from gitmodel.services.registry import Recorded

DEFAULT_SUBDIR = "monitor"  # under $GIT_DIR/gitmodel/, or under a remote's root
REMOTE_SCHEME = "remote://"
Warn = Callable[[str], None]
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d|w)", re.IGNORECASE)
_SECONDS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


# ---------------------------------------------------------------- the store


def store_location(ws: Workspace) -> tuple[str, dict[str, Any]]:
    """Where the store is and the fsspec storage options to open it with.

    ``monitor.store`` unset: ``$GIT_DIR/gitmodel/monitor``. A relative path is
    relative to the repository root. ``remote://NAME[/PATH]`` (DVC's notation) is
    PATH (default ``monitor``) under remote NAME, opened with that remote's options.
    Any other URL is opened by fsspec. ``[monitor.storage_options]`` apply on top.
    """
    options = ws.config.get("monitor.storage_options", {})
    if not isinstance(options, dict):
        raise ConfigError(
            f"{ws.config.where('monitor.storage_options')}: [monitor.storage_options] must be "
            'a table, e.g. profile = "monitoring"'
        )
    raw = ws.config.get("monitor.store")
    if raw is None:
        return str(ws.data_dir / DEFAULT_SUBDIR), dict(options)
    where = ws.config.where("monitor.store")
    if not isinstance(raw, str) or not raw.strip():
        raise ConfigError(f'{where}: monitor.store must be a path or URL, e.g. "s3://b/monitor"')
    if raw.startswith(REMOTE_SCHEME):
        return _remote_location(ws, raw, where, options)
    if "://" not in raw or raw.startswith("file://"):
        path = Path(raw.removeprefix("file://")).expanduser()
        return str(path if path.is_absolute() else ws.root / path), dict(options)
    return raw, dict(options)


def _remote_location(
    ws: Workspace, raw: str, where: str, options: Mapping[str, Any]
) -> tuple[str, dict[str, Any]]:
    from gitmodel.storage.remote import parse_location

    name, _, sub = raw[len(REMOTE_SCHEME) :].partition("/")
    remotes = ws.config.remotes
    if name not in remotes:
        known = ", ".join(sorted(remotes)) or "none"
        raise ConfigError(
            f"{where}: monitor.store = {raw!r} names unknown remote {name!r} (known: {known})",
            fix="gitmodel remote list",
        )
    table = dict(remotes[name])
    url = str(table.pop("url", ""))
    location = parse_location(url, table, base_dir=ws.root)
    sub = sub.strip("/") or DEFAULT_SUBDIR
    if location.protocol == "file":
        return f"{location.fs_url}/{sub}", dict(options)
    return f"{location.fs_url}/{sub}", {**location.fs_options, **options}


def open_store(ws: Workspace, on_warning: Warn | None = None) -> MonitorStore:
    """The monitoring store of this repository; warnings (skipped corrupt files) go to
    ``on_warning`` or to ``store.warnings``."""
    from gitmodel.monitor.store import MonitorStore

    location, options = store_location(ws)
    return MonitorStore(location, options, on_warning=on_warning)


# ---------------------------------------------------------------- parsing input


def parse_values(pairs: Iterable[str]) -> dict[str, float]:
    """``["accuracy=0.91", "p95 latency (ms)=41"]`` -> values; UsageError naming a pair
    without '=' or a value that is not a number (``nan`` and ``inf`` are numbers)."""
    values: dict[str, float] = {}
    for pair in pairs:
        name, sep, text = pair.rpartition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"--metric {pair!r}: expected NAME=NUMBER, e.g. accuracy=0.91")
        try:
            values[name] = float(text.strip())
        except ValueError:
            raise UsageError(f"--metric {name!r}: {text.strip()!r} is not a number") from None
    if not values:
        raise UsageError("no --metric given; record at least one, e.g. --metric accuracy=0.91")
    return values


def parse_labels(pairs: Iterable[str]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--label {pair!r}: expected KEY=VALUE, e.g. region=eu")
        labels[key.strip()] = value.strip()
    return labels


def parse_time(text: str, now: datetime | None = None) -> datetime:
    """ISO 8601 (a date, or a date and time; without a zone it is UTC) or ``now``."""
    now = now or datetime.now(UTC)
    value = text.strip()
    if value.lower() == "now":
        return now
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"time {text!r} is not ISO 8601; write e.g. 2024-05-01T12:00:00Z "
            "(times without a zone are UTC)"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """A start time: a duration back from now (``90s``, ``30min``, ``12h``, ``7d``,
    ``2w``; ``m`` is minutes) or a time as :func:`parse_time` reads it."""
    now = now or datetime.now(UTC)
    match = _DURATION.fullmatch(text.strip())
    if match:
        seconds = float(match.group(1)) * _SECONDS[match.group(2).lower()]
        return now - timedelta(seconds=seconds)
    try:
        return parse_time(text, now)
    except UsageError:
        raise UsageError(
            f"--since {text!r} is neither a duration (30min, 12h, 7d, 2w) nor a time "
            "(2024-05-01 or 2024-05-01T12:00:00Z)"
        ) from None


# ---------------------------------------------------------------- the registry's view


def _registry(ws: Workspace) -> RegistryState:
    from gitmodel.services.registry import load

    return load(ws)


def _artifact(state: RegistryState, model: str) -> ArtifactState:
    found = state.artifacts.get(model)
    if found is None:
        known = ", ".join(sorted(state.artifacts)[:10]) or "none yet"
        raise RegistryError(
            f"unknown model {model!r}: it is not in the registry (known: {known})",
            fix=f"gitmodel register {model} --path PATH",
        )
    return found


def known_envs(art: ArtifactState) -> list[str]:
    """Every environment the artifact was ever assigned to."""
    return sorted({s.event.stage for s in art.history if s.event.stage})


def deployed_version(art: ArtifactState, env: str) -> str:
    """The version ``env`` holds now; RegistryError naming the deployed envs if none."""
    step = art.stages.get(env)
    if step is None:
        held = ", ".join(f"{e}={s.label}" for e, s in sorted(art.stages.items())) or "none"
        raise RegistryError(
            f"no version of {art.name} is deployed to {env!r} (deployed: {held}); "
            "deploy one, or name the version with --version",
            fix=f"gitmodel deploy {art.name} --env {env}",
        )
    return step.label


def _version(art: ArtifactState, text: str) -> str:
    from gitmodel.services.registry import find_version

    return find_version(art, str(parse_version(text))).version


@dataclass(frozen=True)
class DeployEvent:
    """A deployment, rollback or unassignment of an environment, from registry tags."""

    time: datetime
    kind: str  # "deploy", "rollback", "unassign"
    env: str
    version: str
    tag: str
    message: str = ""

    @property
    def label(self) -> str:
        if self.kind == "rollback":
            return f"rollback to {self.version}"
        return f"{self.kind} {self.version}"

    def to_json(self) -> dict[str, Any]:
        return {
            "time": _iso(self.time),
            "event": self.kind,
            "env": self.env,
            "version": self.version,
            "tag": self.tag,
            "message": self.message,
        }


def deploy_events(art: ArtifactState, env: str | None = None) -> list[DeployEvent]:
    """Assignments of ``env`` (all environments if None), in registry order."""
    from gitmodel.tags import Action

    events = []
    for step in art.history:
        e = step.event
        if e.stage is None or (env is not None and e.stage != env):
            continue
        if e.action is Action.ASSIGN:
            kind = "rollback" if e.rollback_from else "deploy"
        else:
            kind = "unassign"
        when = datetime.fromtimestamp(e.timestamp, UTC)
        note = e.note.splitlines()[0] if e.note else ""
        events.append(DeployEvent(when, kind, e.stage, step.label, e.tag, note))
    return events


# ---------------------------------------------------------------- record, ingest


@dataclass
class Written:
    """What ``record`` or ``ingest`` stored."""

    model: str | None
    env: str | None
    version: str | None
    rows: int
    store: str
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "env": self.env,
            "version": self.version,
            "rows": self.rows,
            "store": self.store,
            "notes": self.notes,
        }


def record(
    ws: Workspace,
    model: str,
    env: str,
    values: Mapping[str, float],
    *,
    labels: Mapping[str, str] | None = None,
    time: datetime | None = None,
    version: str | None = None,
    store: MonitorStore | None = None,
) -> Written:
    """Store one observation per metric of ``model`` in ``env``, measured at ``time``
    (default now) by ``version`` (default: the version deployed to ``env``)."""
    from gitmodel.monitor.store import Observation

    validate_stage(env)
    art = _artifact(_registry(ws), model)
    chosen = _version(art, version) if version else deployed_version(art, env)
    store = store or open_store(ws)
    moment = time or datetime.now(UTC)
    rows = [
        Observation(moment, model, chosen, env, metric, value, dict(labels or {}))
        for metric, value in values.items()
    ]
    written = store.append(rows)
    return Written(model, env, chosen, written, store.location)


def ingest(
    ws: Workspace,
    path: str | Path,
    *,
    model: str | None = None,
    env: str | None = None,
    version: str | None = None,
    store: MonitorStore | None = None,
) -> Written:
    """Store the observations of a CSV or Parquet file (all or nothing). ``model``,
    ``env`` and ``version`` fill columns the file lacks; without a version column or
    ``version``, the version deployed to ``env`` is used. Models must be registered;
    versions the registry does not know are stored, with a note."""
    from gitmodel.monitor.schema import read_observations_file

    path = Path(path)
    state = _registry(ws)
    if env is not None:
        validate_stage(env)
    if model is not None:
        art = _artifact(state, model)
        if version is not None:
            version = _version(art, version)
        elif env is not None and "version" not in _file_columns(path):
            version = deployed_version(art, env)
    store = store or open_store(ws)
    defaults = {k: v for k, v in (("model", model), ("env", env), ("version", version)) if v}
    table = read_observations_file(
        path, now=datetime.now(UTC), tolerance=store.future_tolerance, defaults=defaults
    )
    notes = []
    pairs = table.select(["model", "version"]).group_by(["model", "version"]).aggregate([])
    versions: dict[str, list[str]] = {}
    for pair in pairs.to_pylist():  # one row per distinct (model, version), not per row
        versions.setdefault(pair["model"], []).append(pair["version"])
    unknown = sorted(m for m in versions if m not in state.artifacts)
    if unknown:
        raise RegistryError(
            f"{path}: unknown model(s) {', '.join(map(repr, unknown))}: not in the registry "
            "(nothing was stored)",
            fix=f"gitmodel register {unknown[0]} --path PATH",
        )
    for name, seen in sorted(versions.items()):
        stray = sorted(v for v in seen if v not in state.artifacts[name].versions)
        if stray:
            notes.append(
                f"{path}: {name} has no registered version {', '.join(stray)}; stored anyway, "
                f"but rules only look at registered versions (gitmodel history {name})"
            )
    rows_written = store.append(table)
    return Written(model, env, version, rows_written, store.location, notes)


def _file_columns(path: Path) -> list[str]:
    """Column names of an observations file, without reading its rows."""
    try:
        if path.suffix.lower() == ".csv":
            with open(path, newline="", encoding="utf-8") as fh:
                return [c.strip() for c in next(csv.reader(fh), [])]
        if path.suffix.lower() in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            return list(pq.read_schema(path).names)
    except Exception:  # unreadable: read_observations_file reports it, naming the file
        return []
    return []


# ---------------------------------------------------------------- show


@dataclass
class Overview:
    """What ``monitor show`` prints: a summary per metric, version and env, the
    environments' deployments, and optionally one metric's series for a plot."""

    model: str
    env: str | None
    since: datetime | None
    summary: pa.Table  # SUMMARY_SCHEMA
    deployed: dict[str, str]  # env -> version now
    events: list[DeployEvent]
    metric: str | None = None  # the plotted metric, in ``plot_env``
    plot_env: str | None = None
    series: pa.Table | None = None  # time, version, value: bucketed for plotting
    thresholds: list[Rule] = field(default_factory=list)  # rules on ``metric``

    def to_json(self) -> dict[str, Any]:
        rows = self.summary.to_pylist()
        for row in rows:
            for key in ("first_time", "last_time"):
                row[key] = _iso(row[key])
            for key in ("mean", "min", "max", "last"):
                row[key] = _finite(row[key])
        data: dict[str, Any] = {
            "model": self.model,
            "env": self.env,
            "since": _iso(self.since) if self.since else None,
            "deployed": self.deployed,
            "summary": rows,
            "events": [e.to_json() for e in self.events],
        }
        if self.series is not None:
            data["plot"] = {
                "metric": self.metric,
                "env": self.plot_env,
                "points": [
                    {"time": _iso(r["time"]), "version": r["version"], "value": _finite(r["value"])}
                    for r in self.series.to_pylist()
                ],
            }
        return data


def overview(
    ws: Workspace,
    model: str,
    *,
    env: str | None = None,
    since: datetime | None = None,
    metric: str | None = None,
    plot: bool = False,
    points: int = 120,
    store: MonitorStore | None = None,
) -> Overview:
    """Summary of ``model``'s observations (in ``env``, since ``since``); with ``plot``,
    ``metric`` (default: the first rule's metric, else the first observed) over time,
    averaged into at most ``points`` time buckets per version."""
    import pyarrow.compute as pc

    store = store or open_store(ws)
    state = _registry(ws)
    art = state.artifacts.get(model)
    if art is None and model not in store.models():
        _artifact(state, model)  # the "unknown model" error, listing the known ones
    summary = store.summary(model, since=since)
    envs = set(summary["env"].to_pylist()) | set(known_envs(art) if art else [])
    if env is not None:
        if env not in envs:
            known = ", ".join(sorted(envs)) or "none"
            raise MonitorError(
                f"{model} has neither observations nor deployments in {env!r} (known: {known})"
            )
        summary = summary.filter(pc.equal(summary["env"], env))
    deployed = {e: s.label for e, s in sorted(art.stages.items())} if art else {}
    events = deploy_events(art, env) if art else []
    result = Overview(model, env, since, summary, deployed, events)
    if not plot or summary.num_rows == 0:
        return result
    plot_env = env or _single_env(model, summary)
    result.events = [e for e in events if e.env == plot_env]
    observed = sorted(set(summary["metric"].to_pylist()))
    rules = monitor_rules(ws)
    if metric is None:
        ruled = [r.metric for r in rules if r.applies_to(model, plot_env) and r.metric in observed]
        metric = ruled[0] if ruled else observed[0]
    elif metric not in observed:
        raise MonitorError(
            f"{model} has no observations of {metric!r}"
            + (f" in {plot_env}" if plot_env else "")
            + f" (observed: {', '.join(observed)})"
        )
    rows = store.read(model, env=plot_env, since=since, metrics=[metric])
    result.metric, result.plot_env = metric, plot_env
    result.series = bucket(rows, points)
    result.thresholds = [r for r in rules if r.metric == metric and r.applies_to(model, plot_env)]
    return result


def _single_env(model: str, summary: pa.Table) -> str:
    envs = sorted(set(summary["env"].to_pylist()))
    if len(envs) != 1:
        raise UsageError(
            f"a plot shows one environment; {model} has observations in {', '.join(envs)}",
            fix=f"gitmodel monitor show {model} --env {envs[0]} --plot",
        )
    return envs[0]


def bucket(rows: pa.Table, points: int) -> pa.Table:
    """(time, version, value) averaged over ``points`` equal time buckets, per version;
    vectorised, so a plot of millions of observations costs one pass."""
    import pyarrow as pa
    import pyarrow.compute as pc

    schema = pa.schema([("time", rows.schema.field("time").type), ("version", pa.string()),
                        ("value", pa.float64())])  # fmt: skip
    if rows.num_rows == 0:
        return schema.empty_table()
    micros = pc.cast(rows["time"], pa.int64())
    low, high = pc.min(micros).as_py(), pc.max(micros).as_py()
    span = max(high - low, 1)
    index = pc.min_element_wise(
        pc.divide(pc.multiply(pc.subtract(micros, low), points), span), points - 1
    )
    columns = {"bucket": index, "version": rows["version"], "time": micros, "value": rows["value"]}
    grouped = (
        pa.table(columns)
        .group_by(["bucket", "version"])
        .aggregate([("time", "mean"), ("value", "mean")])
    )
    mean_micros = pc.cast(grouped["time_mean"], pa.int64(), safe=False)  # drops fractions
    times = pc.cast(mean_micros, schema.field("time").type)
    out = pa.table(
        {"time": times, "version": grouped["version"], "value": grouped["value_mean"]},
        schema=schema,
    )
    return out.take(pc.sort_indices(out, [("time", "ascending"), ("version", "ascending")]))


# ---------------------------------------------------------------- check


@dataclass
class Check:
    """The outcome of ``monitor check``: every applicable rule's status, what fired,
    and the rollback made (or why none was)."""

    model: str
    env: str
    version: str
    outcomes: list[Outcome]
    rollback: Recorded | None = None
    rollback_error: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def firing(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.firing]

    @property
    def failed(self) -> bool:
        """Exit 1: a ``fail`` rule fired, or a ``rollback`` rule fired and no rollback
        was made (not asked for, or impossible). A rollback made is the remedy: exit 0."""
        return any(o.rule.action == "fail" or self.rollback is None for o in self.firing)

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "env": self.env,
            "version": self.version,
            "rules": [_outcome_json(o) for o in self.outcomes],
            "firing": len(self.firing),
            "rollback": self.rollback.to_json() if self.rollback else None,
            "rollback_error": self.rollback_error,
            "notes": self.notes,
            "ok": not self.failed,
        }


def monitor_rules(ws: Workspace) -> tuple[Rule, ...]:
    """``[[monitor.rules]]`` of the config, validated (ConfigError naming the rule)."""
    from gitmodel.monitor.rules import parse_rules

    return parse_rules(ws.config.get("monitor.rules"), ws.config.where("monitor.rules"))


def check(
    ws: Workspace,
    model: str,
    env: str,
    *,
    rollback: bool = False,
    allow_local: bool = False,
    store: MonitorStore | None = None,
) -> Check:
    """Evaluate ``[[monitor.rules]]`` on the version deployed to ``env``; with
    ``rollback``, firing rules whose action is ``rollback`` roll ``env`` back to the
    previous version, with the rules and the observed values in the tag message.

    A rule on a metric never observed for the model is a ConfigError naming the rule
    (a typo guard), unless the model has no observations at all yet.
    """
    from gitmodel.monitor.rules import assess, check_rules_against_known_metrics, tail_sizes

    validate_stage(env)
    state = _registry(ws)
    art = _artifact(state, model)
    version = deployed_version(art, env)
    rules = [r for r in monitor_rules(ws) if r.applies_to(model, env)]
    result = Check(model, env, version, [])
    if not rules:
        result.notes.append(
            f"no [[monitor.rules]] apply to {model} in {env}; add some to .gitmodel.toml "
            "(docs/monitoring.md)"
        )
        return result
    store = store or open_store(ws)
    observations = store.tails(model, env, version, tail_sizes(rules, model, env))
    known = set(observations["metric"].to_pylist())
    unseen = sorted({r.metric for r in rules} - known)
    if unseen:
        # Observed for another version or env? Scans newest days first, stops when found.
        known |= set(store.tails(model, None, None, dict.fromkeys(unseen, 1))["metric"].to_pylist())
    if any(r.metric not in known for r in rules):
        if store.files(model):  # a metric never observed: a typo guard, naming the rule
            everything = set(store.latest(model)["metric"].to_pylist())
            check_rules_against_known_metrics(rules, everything, ws.config.where("monitor.rules"))
        else:
            result.notes.append(f"no observations of {model} yet")
    result.outcomes = assess(rules, observations, model=model, env=env)
    to_roll = [o for o in result.firing if o.rule.action == "rollback"]
    if to_roll and rollback:
        _roll_back(ws, art, result, to_roll, allow_local)
    elif to_roll:
        result.notes.append(
            f"a rollback rule fired; roll back with: gitmodel monitor check {model} "
            f"--env {env} --rollback"
        )
    return result


def rollback_reason(result: Check, outcomes: Sequence[Outcome]) -> str:
    """The tag message note: one line per firing rule, with the observed values."""
    lines = []
    for o in outcomes:
        shown = ", ".join(f"{v:g}" for v in o.values)
        span = f"{_iso(o.first_time)}..{_iso(o.last_time)}" if o.first_time else ""
        lines.append(
            f"monitor check: {result.model} {result.version} in {result.env}: "
            f"[[monitor.rules]] #{o.rule.index} {o.rule.describe()} "
            f"(observed {shown}; {span})"
        )
    return "\n".join(lines)


def _roll_back(
    ws: Workspace, art: ArtifactState, result: Check, outcomes: list[Outcome], allow_local: bool
) -> None:
    from gitmodel.services.registry import Recorded, rollback, rollback_target

    try:
        target = rollback_target(art, result.env, None)
    except GitModelError as exc:  # e.g. no earlier version to go back to
        result.rollback_error = str(exc)
        return
    try:
        # The target is named: a second `check --rollback` that read the registry before
        # the first one's tag then finds ENV on it already, instead of rolling back again.
        result.rollback = rollback(
            ws,
            art.name,
            result.env,
            to=target.version,
            reason=rollback_reason(result, outcomes),
            allow_local=allow_local,
        )
    except GitModelError as exc:
        now = _registry(ws).artifacts[art.name].stages.get(result.env)
        if (
            now is None
            or now.version != target.version
            or now.event.tag == _current_tag(art, result.env)
        ):
            result.rollback_error = str(exc)
            return
        note = f"{result.env} was rolled back to {target.version} meanwhile ({now.event.tag})"
        result.rollback = Recorded(art.name, None, target.version, result.env, notes=[note])


def _current_tag(art: ArtifactState, env: str) -> str | None:
    step = art.stages.get(env)
    return step.event.tag if step is not None else None


def _outcome_json(o: Outcome) -> dict[str, Any]:
    r = o.rule
    return {
        "rule": r.index,
        "metric": r.metric,
        r.direction: r.threshold,
        "window": r.window,
        "action": r.action,
        "status": o.status,
        "values": [_finite(v) for v in o.values],
        "first_time": _iso(o.first_time) if o.first_time else None,
        "last_time": _iso(o.last_time) if o.last_time else None,
        "description": r.describe(),
    }


# ---------------------------------------------------------------- Prometheus


def prometheus_text(ws: Workspace, model: str | None = None, on_warning: Warn | None = None) -> str:
    """The latest value of every series (of ``model``) in Prometheus text format."""
    from gitmodel.monitor.prometheus import export

    store = open_store(ws, on_warning)
    if model is not None and model not in store.models():
        _artifact(_registry(ws), model)  # unknown: say so; known but unobserved: empty
    return export(store, model)


def serve_metrics(
    ws: Workspace,
    port: int,
    host: str = "127.0.0.1",
    model: str | None = None,
    on_warning: Warn | None = None,
) -> MetricsServer:
    """Start serving ``/metrics`` in the background; the caller waits and stops it."""
    from gitmodel.monitor.prometheus import serve

    return serve(open_store(ws, on_warning), port, host, model=model)


# ---------------------------------------------------------------- helpers


def _iso(moment: datetime | None) -> str | None:
    """``2024-05-01T12:00:00Z``: UTC, whole seconds."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None
