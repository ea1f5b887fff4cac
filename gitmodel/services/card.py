"""Model cards: one version of a registered model described from what gitmodel
knows: the pointer (object, meta, offline metrics), the registry (who registered it,
where it is deployed, its deploy and rollback history) and the monitoring store
(observations per environment, the rules that watch it). ``card`` builds the data;
``markdown`` renders it. The JSON form is the data itself.

A card holds no generation time, so the same repository state gives the same card.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from gitmodel.errors import GitModelError, RegistryError
from gitmodel.registry_state import Step, iso_time, sorted_versions
from gitmodel.services.workspace import Workspace

if TYPE_CHECKING:
    from gitmodel.registry_state import ArtifactState, RegistryState, VersionState

Warn = Callable[[str], None]


def card(ws: Workspace, ref: str, on_warning: Warn | None = None) -> dict[str, Any]:
    """The card of ``ref``: ``NAME`` (its latest version), ``NAME@vX.Y.Z``,
    ``NAME@latest`` or ``NAME#ENV`` (the version deployed there)."""
    from gitmodel.services.registry import load, model_path, pointer_at

    art, version = _resolve(load(ws), ref)
    path = model_path(ws, art, version)
    pointer = pointer_at(ws, version.commit, path, f"{art.name} {version.version}")
    previous = _previous(art, version)
    before = dict(previous.fields.get("metrics") or {}) if previous else {}
    metrics = []
    for name, value in sorted(pointer.metrics.items()):
        old = before.get(name)
        change = value - old if isinstance(old, int | float) and old is not None else None
        metrics.append({"metric": name, "value": value, "previous": old, "change": change})
    history = [
        s.to_json()
        for s in art.history
        if s.version == version.version or s.event.rollback_from == version.version
    ]
    return {
        "name": art.name,
        "version": version.version,
        "registered": version.registered,
        "tag": version.tag,
        "commit": version.commit,
        "registered_at": iso_time(version.registered_at),
        "registered_by": version.author,
        "message": version.note,
        "model": {
            "path": path,
            "hash": pointer.algo,
            "oid": pointer.oid,
            "size": pointer.size,
            "kind": pointer.kind,
            "files": pointer.files,
        },
        "meta": dict(sorted(pointer.meta.items())),
        "metrics": metrics,
        "previous_version": previous.version if previous else None,
        "deployed_in": sorted(e for e, s in art.stages.items() if s.version == version.version),
        "history": history,
        "monitoring": _monitoring(ws, art.name, version.version, on_warning),
    }


def _resolve(state: RegistryState, ref: str) -> tuple[ArtifactState, VersionState]:
    from gitmodel.services.registry import resolve_version

    if "@" not in ref and "#" not in ref:
        art = state.artifact(ref)
        if art.latest is None:
            raise RegistryError(
                f"{ref} has no registered version", fix=f"gitmodel register {ref} --path PATH"
            )
        return art, art.latest
    art, found = resolve_version(state, ref)
    if isinstance(found, Step):
        if found.version is None or found.version not in art.versions:
            raise RegistryError(f"{ref} holds commit {found.label}, which is no registered version")
        return art, art.versions[found.version]
    return art, found


def _previous(art: ArtifactState, version: VersionState) -> VersionState | None:
    """The registered version just below ``version`` by SemVer, to compare metrics."""
    lower = [
        v
        for v in sorted_versions(art)
        if v.registered and v.parsed.precedence < version.parsed.precedence
    ]
    return lower[0] if lower else None


def _monitoring(ws: Workspace, name: str, version: str, on_warning: Warn | None) -> dict[str, Any]:
    from gitmodel.services.monitoring import monitor_rules, open_store

    rules = [
        {
            "rule": r.index,
            "description": r.describe(),
            "action": r.action,
            "env": r.env,
        }
        for r in monitor_rules(ws)
        if r.applies_to(name, None)
    ]
    rows: list[dict[str, Any]] = []
    try:
        store = open_store(ws, on_warning)
        summary = store.summary(name, version=version).to_pylist()
    except GitModelError as exc:  # an unreachable store must not prevent a card
        if on_warning is not None:
            on_warning(f"monitoring data left out of the card: {exc}")
        summary = []
    for row in summary:
        rows.append(
            {
                "env": row["env"],
                "metric": row["metric"],
                "count": row["count"],
                "mean": _finite(row["mean"]),
                "min": _finite(row["min"]),
                "max": _finite(row["max"]),
                "last": _finite(row["last"]),
                "first_time": _iso(row["first_time"]),
                "last_time": _iso(row["last_time"]),
            }
        )
    rows.sort(key=lambda r: (r["env"], r["metric"]))
    return {"summary": rows, "rules": rules}


# ---------------------------------------------------------------- Markdown


def markdown(data: dict[str, Any]) -> str:
    """The card as Markdown (GitHub flavoured tables)."""
    name, version = data["name"], data["version"]
    model = data["model"]
    lines = [f"# Model card: {name} {version}", ""]
    facts = [
        ("Version", f"{version} (tag `{data['tag']}`)"
         + ("" if data["registered"] else ", deregistered")),
        ("Registered", f"{_date(data['registered_at'])} by {_person(data['registered_by'])}"),
        ("Commit", f"`{data['commit']}`"),
        ("Path", f"`{model['path']}`"),
        ("Object", f"{model['hash']}:`{model['oid']}` ({_size(model['size'])}"
         + (f", {model['files']} files)" if model["kind"] == "dir" else ")")),
        ("Deployed in", ", ".join(data["deployed_in"]) or "nowhere"),
    ]  # fmt: skip
    lines += _table(["", ""], [[f"**{k}**", v] for k, v in facts])
    if data["message"]:
        lines += ["", *(f"> {line}" for line in data["message"].splitlines())]
    lines += ["", "## Metadata", ""]
    meta = data["meta"]
    lines += _table(["key", "value"], [[k, str(v)] for k, v in meta.items()]) if meta else ["None."]
    lines += ["", "## Offline metrics", ""]
    if data["metrics"]:
        previous = data["previous_version"]
        header = ["metric", version] + ([previous, "change"] if previous else [])
        body = []
        for m in data["metrics"]:
            row = [m["metric"], _num(m["value"])]
            if previous:
                row += [_num(m["previous"]), _signed(m["change"])]
            body.append(row)
        lines += _table(header, body)
    else:
        lines.append("None recorded (gitmodel add PATH --metric NAME=VALUE).")
    lines += ["", "## Deployment history", ""]
    if data["history"]:
        body = [
            [
                str(h["counter"]) if h["counter"] is not None else "",
                _date(h["date"]),
                h["event"] + (f" from {h['rollback_from']}" if h["rollback_from"] else ""),
                h["version"] or "",
                h["stage"] or "",
                _person(h["author"]),
                h["message"] or "",
            ]
            for h in data["history"]
        ]
        lines += _table(["N", "date (UTC)", "event", "version", "env", "by", "message"], body)
    else:
        lines.append("No events.")
    lines += ["", "## Monitoring", ""]
    summary = data["monitoring"]["summary"]
    if summary:
        body = [
            [s["env"], s["metric"], str(s["count"]), _num(s["mean"]), _num(s["min"]),
             _num(s["max"]), _num(s["last"]), _date(s["last_time"])]
            for s in summary
        ]  # fmt: skip
        header = ["env", "metric", "observations", "mean", "min", "max", "last", "last seen (UTC)"]
        lines += _table(header, body)
    else:
        lines.append(f"No observations of {version} recorded.")
    rules = data["monitoring"]["rules"]
    if rules:
        lines += ["", "Rules watching it:", ""]
        for r in rules:
            where = f" in {r['env']}" if r["env"] else ""
            lines.append(f"- #{r['rule']}: {r['description']}{where} → {r['action']}")
    return "\n".join(lines) + "\n"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    def cells(row: list[str]) -> str:
        return "| " + " | ".join(_cell(c) for c in row) + " |"

    return [cells(header), "|" + "|".join("---" for _ in header) + "|", *map(cells, rows)]


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _person(author: str) -> str:
    """``Ann <ann@example.com>`` -> ``Ann``: an address in angle brackets is HTML to
    Markdown renderers."""
    return author.split(" <")[0]


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    return str(value) if isinstance(value, int) else f"{value:.6g}"


def _signed(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:+d}" if isinstance(value, int) else f"{value:+.6g}"


def _date(text: str | None) -> str:
    return text.replace("T", " ").rstrip("Z") if text else "-"


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024:
            return f"{n} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
