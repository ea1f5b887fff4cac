"""Alert rules from ``[[monitor.rules]]`` in ``.gitmodel.toml``, and their evaluation.

    [[monitor.rules]]
    metric = "accuracy"
    below = 0.85          # or: above = 250.0   (exactly one; strict comparison)
    window = 3            # the last 3 observations must all breach (default 1)
    action = "rollback"   # or "fail" (default): exit 1, for CI/cron alerts
    model = "churn"       # optional: only this model
    env = "prod"          # optional: only this environment

A rule *fires* when the last ``window`` observations (by time) of its metric for the
deployed version all breach the threshold; one good value in the window keeps it
quiet, so 3 bad values in a row fire a window of 3 but bad-good-bad does not. A NaN
never breaches. Fewer than ``window`` observations is "not enough data", none at all
"no data": neither fires, both are reported.

Pure: parsing needs only the standard library; evaluation takes an Arrow table (the
store supplies just the tail it needs, see ``MonitorStore.tails``) and uses pyarrow
compute, imported when first needed, so no Python loop ever runs over rows.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from gitmodel.errors import ConfigError

if TYPE_CHECKING:
    import pyarrow as pa

    from gitmodel.config import Config

ACTIONS = ("rollback", "fail")
DEFAULT_ACTION = "fail"  # rolling back is never implied; ask for it
_FIELDS = ("metric", "below", "above", "window", "action", "model", "env")
_EXAMPLE = '[[monitor.rules]] metric = "accuracy", below = 0.85, window = 3, action = "rollback"'

Status = Literal["firing", "ok", "not enough data", "no data"]


@dataclass(frozen=True)
class Rule:
    """One parsed ``[[monitor.rules]]`` entry."""

    metric: str
    direction: Literal["below", "above"]
    threshold: float
    window: int = 1
    action: Literal["rollback", "fail"] = "fail"
    model: str | None = None
    env: str | None = None
    index: int = 1  # 1-based position in the config file, for messages

    def applies_to(self, model: str | None, env: str | None) -> bool:
        """False when the rule names another model or environment."""
        if self.model is not None and model is not None and self.model != model:
            return False
        return not (self.env is not None and env is not None and self.env != env)

    def describe(self) -> str:
        """``accuracy below 0.85 for 3 observations in a row``."""
        times = (
            "the last observation" if self.window == 1 else f"{self.window} observations in a row"
        )
        return f"{self.metric} {self.direction} {self.threshold:g} for {times}"


@dataclass(frozen=True)
class Outcome:
    """What one rule says about the observations it was given."""

    rule: Rule
    status: Status
    values: tuple[float, ...] = ()  # the last ``window`` values, oldest first
    first_time: datetime | None = None
    last_time: datetime | None = None

    @property
    def firing(self) -> bool:
        return self.status == "firing"


@dataclass(frozen=True)
class Firing:
    """A rule that fires, with the evidence; ``reason`` goes into the rollback tag message."""

    rule: Rule
    values: tuple[float, ...]
    first_time: datetime
    last_time: datetime

    @property
    def reason(self) -> str:
        shown = ", ".join(f"{v:g}" for v in self.values)
        return (
            f"{self.rule.describe()} ({shown}; {self.first_time:%Y-%m-%dT%H:%M:%SZ}"
            f"..{self.last_time:%Y-%m-%dT%H:%M:%SZ})"
        )


# --- parsing ------------------------------------------------------------------------


def rules_from_config(config: Config) -> tuple[Rule, ...]:
    """The rules of ``config`` (``monitor.rules``), validated."""
    return parse_rules(config.get("monitor.rules"), config.source)


def parse_rules(raw: object, source: str = ".gitmodel.toml") -> tuple[Rule, ...]:
    """Validate ``[[monitor.rules]]`` tables; ConfigError names the rule and the field."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ConfigError(f"{source}: monitor.rules must be an array of tables, e.g. {_EXAMPLE}")
    return tuple(_parse_rule(item, i + 1, source) for i, item in enumerate(raw))


def _parse_rule(item: object, index: int, source: str) -> Rule:
    where = f"{source}: [[monitor.rules]] #{index}"
    if not isinstance(item, Mapping):
        raise ConfigError(f"{where}: must be a table, e.g. {_EXAMPLE}")
    unknown = sorted(set(item) - set(_FIELDS))
    if unknown:
        raise ConfigError(f"{where}: unknown field {unknown[0]!r}; fields are {', '.join(_FIELDS)}")
    metric = _text(item, "metric", where, required=True)
    assert metric is not None
    bounds = [k for k in ("below", "above") if k in item]
    if len(bounds) != 1:
        found = "both below and above" if bounds else "neither below nor above"
        raise ConfigError(f"{where}: field 'below'/'above': {found}; give exactly one")
    direction: Literal["below", "above"] = "below" if bounds[0] == "below" else "above"
    threshold = item[direction]
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise ConfigError(f"{where}: field {direction!r}: {threshold!r} is not a number")
    if not math.isfinite(threshold):
        raise ConfigError(f"{where}: field {direction!r}: {threshold!r} is not a finite number")
    window = item.get("window", 1)
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise ConfigError(f"{where}: field 'window': {window!r} is not an integer >= 1")
    action = item.get("action", DEFAULT_ACTION)
    if action not in ACTIONS:
        raise ConfigError(f'{where}: field \'action\': {action!r}; use "rollback" or "fail"')
    return Rule(
        metric=metric,
        direction=direction,
        threshold=float(threshold),
        window=window,
        action="rollback" if action == "rollback" else "fail",
        model=_text(item, "model", where),
        env=_text(item, "env", where),
        index=index,
    )


def _text(item: Mapping[str, Any], key: str, where: str, required: bool = False) -> str | None:
    value = item.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: field {key!r}: {value!r} is not a non-empty string")
    return value


def check_rules_against_known_metrics(
    rules: Iterable[Rule], known: Iterable[str], source: str = ".gitmodel.toml"
) -> None:
    """ConfigError naming the first rule whose metric is not in ``known`` (a typo guard)."""
    names = sorted(set(known))
    for rule in rules:
        if rule.metric in names:
            continue
        close = difflib.get_close_matches(rule.metric, names, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(names) or 'none'}"
        raise ConfigError(
            f"{source}: [[monitor.rules]] #{rule.index}: metric {rule.metric!r} is never "
            f"observed; {hint}"
        )


# --- evaluation ---------------------------------------------------------------------


def tail_sizes(
    rules: Iterable[Rule], model: str | None = None, env: str | None = None
) -> dict[str, int]:
    """How many latest observations of each metric evaluation needs (the largest window)."""
    sizes: dict[str, int] = {}
    for rule in rules:
        if rule.applies_to(model, env):
            sizes[rule.metric] = max(sizes.get(rule.metric, 0), rule.window)
    return sizes


def assess(
    rules: Sequence[Rule],
    observations: pa.Table,
    *,
    model: str | None = None,
    env: str | None = None,
) -> list[Outcome]:
    """The outcome of every rule that applies to ``model``/``env``.

    ``observations`` are those of the deployed version, with at least ``time``,
    ``metric`` and ``value`` columns (``model``/``env`` columns, when present, are
    matched against a rule's own filters). Any number of rows; only vectorised work.
    """
    return [_assess(rule, observations) for rule in rules if rule.applies_to(model, env)]


def evaluate(
    rules: Sequence[Rule],
    observations: pa.Table,
    *,
    model: str | None = None,
    env: str | None = None,
) -> list[Firing]:
    """The rules that fire (see :func:`assess`), in config order."""
    firings = []
    for outcome in assess(rules, observations, model=model, env=env):
        if outcome.firing and outcome.first_time and outcome.last_time:
            firings.append(
                Firing(outcome.rule, outcome.values, outcome.first_time, outcome.last_time)
            )
    return firings


def _assess(rule: Rule, table: pa.Table) -> Outcome:
    import pyarrow.compute as pc

    mask = pc.equal(table["metric"], rule.metric)
    for key in ("model", "env"):
        wanted = getattr(rule, key)
        if wanted is not None and key in table.column_names:
            mask = pc.and_(mask, pc.equal(table[key], wanted))
    rows = table.filter(mask).select(["time", "value"])
    if rows.num_rows == 0:
        return Outcome(rule, "no data")
    if rows.num_rows > rule.window:
        rows = rows.take(pc.select_k_unstable(rows, rule.window, [("time", "descending")]))
    rows = rows.take(pc.sort_indices(rows["time"]))
    compare = pc.less if rule.direction == "below" else pc.greater
    breached = compare(rows["value"], rule.threshold)
    times = rows["time"]
    status: Status
    if rows.num_rows < rule.window:
        status = "not enough data"
    else:
        status = "firing" if pc.all(breached).as_py() else "ok"
    return Outcome(
        rule,
        status,
        tuple(rows["value"].to_pylist()),
        times[0].as_py(),
        times[len(times) - 1].as_py(),
    )
