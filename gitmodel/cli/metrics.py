"""Offline metrics and versions through history: ``metrics show``, ``metrics diff``,
``log PATH`` and ``diff``. The work is in ``gitmodel.services.metrics``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from gitmodel.cli.output import human_size, info, out, print_json, warn

if TYPE_CHECKING:
    from gitmodel.services.metrics import Comparison, MetricChange
    from gitmodel.services.workspace import Workspace

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
Rev1Arg = Annotated[
    str | None,
    typer.Argument(help="Old revision (commit, branch, tag, NAME@vX.Y.Z). Default: HEAD."),
]
Rev2Arg = Annotated[
    str | None,
    typer.Argument(help="New revision, or 'workspace' (the default): the pointers on disk."),
]

metrics_app = typer.Typer(
    name="metrics",
    help="Offline metrics kept in the pointers' \\[metrics] tables.\n\n"
    "Example:  gitmodel metrics diff HEAD~1",
    no_args_is_help=True,
)


def _ws() -> Workspace:
    from gitmodel.services.workspace import Workspace

    return Workspace.open()


def table(rows: list[list[str]], header: list[str]) -> None:
    """Plain aligned columns: readable on a terminal, greppable in a pipe."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        line = "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        out.print(line, markup=False, style="bold" if row is header else None)


def number(value: float | None) -> str:
    """A metric value as people read it: ints as they are, floats to 6 digits."""
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    return f"{value:.6g}"


def signed(value: float | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:+d}"
    return f"{value:+.6g}"


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:+.2f}%"


def _warn_all(messages: list[str]) -> None:
    for message in messages:
        warn(message)


def show(
    paths: Annotated[
        list[str] | None, typer.Argument(help="Models (or directories of models); default: all.")
    ] = None,
    rev: Annotated[
        str | None, typer.Option("--rev", "-r", help="Read the pointers of this revision.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the metrics recorded in the models' pointers.

    Examples:
      gitmodel metrics show
      gitmodel metrics show models/churn.pkl --rev churn@v0.1.0 --json
    """
    from gitmodel.services.metrics import show_metrics

    rows, warnings = show_metrics(_ws(), paths or [], rev)
    _warn_all(warnings)
    if as_json:
        print_json([r.to_json() for r in rows])
        return
    lines = [[r.model, k, number(v)] for r in rows for k, v in r.metrics.items()]
    if not lines:
        info("No metrics recorded (add some with: gitmodel add PATH --metric NAME=VALUE)")
        return
    table(lines, ["PATH", "METRIC", "VALUE"])


def _describe(both: Comparison) -> str:
    def side(label: str, commit: str | None) -> str:
        return label if commit is None or label == commit else f"{label} ({commit[:7]})"

    return f"{side(both.old.label, both.old.commit)} -> {side(both.new.label, both.new.commit)}"


def _change_rows(changes: list[MetricChange]) -> list[list[str]]:
    return [
        [c.model, c.metric, number(c.old), number(c.new), signed(c.change), percent(c.relative)]
        for c in changes
    ]


def diff_metrics(
    rev1: Rev1Arg = None,
    rev2: Rev2Arg = None,
    paths: Annotated[
        list[str] | None,
        typer.Option("--path", "-p", help="Only these models (repeatable)."),
    ] = None,
    all_: Annotated[
        bool, typer.Option("--all", "-a", help="Also show metrics that did not change.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Compare metrics between two revisions (default: HEAD against the workspace).

    Old and new values, absolute and relative change, like dvc metrics diff: REV1
    defaults to HEAD, REV2 to the workspace (the pointer files on disk).

    Examples:
      gitmodel metrics diff                      HEAD against the workspace
      gitmodel metrics diff HEAD~1               the last commit against the workspace
      gitmodel metrics diff churn@v0.1.0 churn@v0.2.0 --json
    """
    from gitmodel.services.metrics import diff_metrics as do_diff

    both, changes = do_diff(_ws(), rev1, rev2, paths or [], include_unchanged=all_)
    _warn_all(both.warnings)
    if as_json:
        print_json({**both.labels(), "metrics": [c.to_json() for c in changes]})
        return
    if not changes:
        info(f"No metric changed ({_describe(both)})")
        return
    info(_describe(both))
    table(_change_rows(changes), ["PATH", "METRIC", "OLD", "NEW", "CHANGE", "RELATIVE"])


def log(
    path: Annotated[str, typer.Argument(help="A tracked model (or its pointer file).")],
    as_json: JsonOpt = False,
) -> None:
    """Show every version of a model through Git history, with metrics and registry tags.

    Newest first: commit, date, object id, size, metrics, the registered versions and
    the environments holding it; uncommitted pointer changes come first.

    Example:  gitmodel log models/churn.pkl
    """
    from gitmodel.registry_state import iso_time
    from gitmodel.services.metrics import model_log

    entries = model_log(_ws(), path)
    if as_json:
        print_json([e.to_json() for e in entries])
        return
    rows = []
    for e in entries:
        p = e.pointer
        date = iso_time(e.timestamp).replace("T", " ").rstrip("Z") if e.timestamp else "-"
        metrics = ", ".join(f"{k}={number(v)}" for k, v in sorted(p.metrics.items())) if p else ""
        registry = ", ".join([*e.versions, *e.stages])
        rows.append(
            [
                e.commit[:7] if e.commit else "(workspace)",
                date,
                p.oid[:12] if p else "invalid",
                human_size(p.size) if p else "-",
                metrics or ("-" if p else (e.error or "")),
                registry,
                e.subject,
            ]
        )
    table(rows, ["COMMIT", "DATE (UTC)", "OID", "SIZE", "METRICS", "REGISTRY", "SUBJECT"])


def diff(
    rev1: Rev1Arg = None,
    rev2: Rev2Arg = None,
    as_json: JsonOpt = False,
) -> None:
    """Show which models changed between two revisions (default: HEAD against the workspace).

    Added, deleted or modified models, with their size and metric changes.

    Examples:
      gitmodel diff                        uncommitted pointer changes
      gitmodel diff HEAD~3 HEAD --json
      gitmodel diff churn@v0.1.0 churn#prod
    """
    from gitmodel.services.metrics import diff_models

    both, changes = diff_models(_ws(), rev1, rev2)
    _warn_all(both.warnings)
    if as_json:
        print_json({**both.labels(), "models": [c.to_json() for c in changes]})
        return
    if not changes:
        info(f"No model changed ({_describe(both)})")
        return
    info(_describe(both))
    rows = []
    for c in changes:
        old, new = c.old, c.new
        size = human_size(new.size if new else old.size if old else None)
        if c.size_change is not None:
            sign = "+" if c.size_change >= 0 else "-"
            size = f"{human_size(old.size if old else 0)} -> {human_size(new.size if new else 0)}"
            size += f" ({sign}{human_size(abs(c.size_change))})"
        oid = f"{old.oid[:8] if old else '-'} -> {new.oid[:8] if new else '-'}"
        rows.append([c.status, c.model, size, oid])
    table(rows, ["STATUS", "PATH", "SIZE", "OID"])
    metric_rows = _change_rows([m for c in changes for m in c.metrics])
    if metric_rows:
        out.print("")
        table(metric_rows, ["PATH", "METRIC", "OLD", "NEW", "CHANGE", "RELATIVE"])


def register(app: typer.Typer) -> None:
    """Add ``metrics show|diff``, ``log`` and ``diff`` to ``app``."""
    metrics_app.command("show")(show)
    metrics_app.command("diff")(diff_metrics)
    app.add_typer(metrics_app)
    app.command()(log)
    app.command()(diff)
