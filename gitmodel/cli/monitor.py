"""Monitoring commands (``monitor record|ingest|show|check|export|serve``) and
``card``. The work is in ``gitmodel.services.monitoring`` and ``.card``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gitmodel.cli.metrics import number, table
from gitmodel.cli.output import info, out, print_json, warn
from gitmodel.errors import EXIT_CHECK_FAILED, EXIT_INTERRUPTED

if TYPE_CHECKING:
    from gitmodel.monitor.plot import Marker, Point, Threshold
    from gitmodel.services.monitoring import Check, Overview
    from gitmodel.services.workspace import Workspace

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
ModelArg = Annotated[str, typer.Argument(help="Registered model (artifact) name, e.g. churn.")]
EnvOpt = Annotated[str, typer.Option("--env", "-e", help="Environment, e.g. prod.", metavar="ENV")]

monitor_app = typer.Typer(
    name="monitor",
    help="Online monitoring of deployed models: record observations, summarise and plot "
    "them, check rules (and roll back), expose them to Prometheus.\n\n"
    "Example:  gitmodel monitor check churn --env prod --rollback",
    no_args_is_help=True,
)


def _ws() -> Workspace:
    from gitmodel.services.workspace import Workspace

    return Workspace.open()


def record(
    model: ModelArg,
    env: EnvOpt,
    metric: Annotated[
        list[str],
        typer.Option("--metric", "-m", help="Observed value NAME=NUMBER (repeatable)."),
    ],
    label: Annotated[
        list[str] | None,
        typer.Option("--label", "-l", help="Extra dimension KEY=VALUE (repeatable)."),
    ] = None,
    time: Annotated[
        str | None,
        typer.Option("--time", "-t", help="When it was measured, ISO 8601 (default: now; UTC)."),
    ] = None,
    version: Annotated[
        str | None,
        typer.Option(
            "--version", "-v", help="Version observed (default: the one deployed to ENV)."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Record observed values of a deployed model (one observation per --metric).

    Example:  gitmodel monitor record churn --env prod --metric accuracy=0.71 --label region=eu
    """
    from gitmodel.services.monitoring import parse_labels, parse_time, parse_values
    from gitmodel.services.monitoring import record as do_record

    values = parse_values(metric)
    labels = parse_labels(label or [])
    moment = parse_time(time) if time else None
    written = do_record(_ws(), model, env, values, labels=labels, time=moment, version=version)
    if as_json:
        print_json(written.to_json())
        return
    shown = ", ".join(f"{k}={number(v)}" for k, v in values.items())
    info(f"recorded {shown} for {model} {written.version} in {env}")


def ingest(
    file: Annotated[Path, typer.Argument(help="A .csv or .parquet file of observations.")],
    model: Annotated[
        str | None, typer.Option("--model", help="Model of every row (if the file has none).")
    ] = None,
    env: Annotated[
        str | None, typer.Option("--env", "-e", help="Environment of every row (if none).")
    ] = None,
    version: Annotated[
        str | None,
        typer.Option(
            "--version",
            "-v",
            help="Version of every row (default with --model and --env: the one deployed there).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Store observations from a CSV or Parquet file: all rows or, on a bad row, none.

    Columns: time, model, version, env, metric, value and optionally labels (a JSON
    object); --model/--env/--version stand in for missing columns. docs/monitoring.md

    Example:  gitmodel monitor ingest scores.csv --model churn --env prod
    """
    from gitmodel.services.monitoring import ingest as do_ingest

    written = do_ingest(_ws(), file, model=model, env=env, version=version)
    if as_json:
        print_json(written.to_json())
        return
    for note in written.notes:
        warn(note)
    info(f"stored {written.rows} observation(s) from {file}")


def _print_overview(view: Overview) -> None:
    scope = f"{view.model}" + (f" in {view.env}" if view.env else "")
    deployed = ", ".join(f"{e}={v}" for e, v in view.deployed.items()) or "nothing deployed"
    info(f"{scope}: {deployed}")
    rows = []
    for r in view.summary.to_pylist():
        marker = "*" if view.deployed.get(r["env"]) == r["version"] else ""
        last_seen = r["last_time"].strftime("%Y-%m-%d %H:%M") if r["last_time"] else "-"
        rows.append(
            [r["metric"], r["env"], r["version"] + marker, str(r["count"]), number(r["mean"]),
             number(r["min"]), number(r["max"]), number(r["last"]), last_seen]
        )  # fmt: skip
    if not rows:
        info(f"No observations of {scope}" + (" in that time range" if view.since else ""))
        return
    table(rows, ["METRIC", "ENV", "VERSION", "COUNT", "MEAN", "MIN", "MAX", "LAST", "LAST SEEN"])
    info("* the version deployed there now")


def _plot_inputs(view: Overview) -> tuple[list[Point], list[Marker], list[Threshold]]:
    from gitmodel.monitor.plot import Marker, Point, Threshold

    assert view.series is not None
    points = [Point(r["time"], r["value"], r["version"]) for r in view.series.to_pylist()]
    markers = [Marker(e.time, f"{e.label} ({e.tag})") for e in view.events]
    thresholds = [
        Threshold(r.threshold, f"rule #{r.index}: {r.direction} {r.threshold:g}")
        for r in view.thresholds
    ]
    return points, markers, thresholds


def show(
    model: ModelArg,
    env: Annotated[
        str | None, typer.Option("--env", "-e", help="Only this environment.", metavar="ENV")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only observations since: 7d, 12h, 30min, or a date/time."),
    ] = None,
    plot: Annotated[
        bool, typer.Option("--plot", help="Plot a metric over time, with deploys and rollbacks.")
    ] = False,
    plot_file: Annotated[
        Path | None,
        typer.Option("--plot-file", help="Write the plot to a PNG file (needs matplotlib)."),
    ] = None,
    metric: Annotated[
        str | None,
        typer.Option("--metric", "-m", help="Metric to plot (default: the first rule's)."),
    ] = None,
    width: Annotated[int, typer.Option("--width", min=20, help="Width of the terminal plot.")] = 80,
    as_json: JsonOpt = False,
) -> None:
    """Summarise a model's observations; --plot draws a metric over time.

    The table has one row per metric, environment and version. The plot shows one
    metric in one environment, deploys and rollbacks marked, rule thresholds dotted.

    Examples:
      gitmodel monitor show churn --env prod --since 7d
      gitmodel monitor show churn --env prod --plot --metric accuracy
      gitmodel monitor show churn --env prod --plot-file accuracy.png
    """
    from gitmodel.services.monitoring import open_store, overview, parse_since

    ws = _ws()
    start = parse_since(since) if since else None
    drawing = plot or plot_file is not None
    view = overview(
        ws, model, env=env, since=start, metric=metric, plot=drawing,
        points=max(20, width - 10), store=open_store(ws, warn),
    )  # fmt: skip
    if as_json:
        print_json(view.to_json())
    else:
        _print_overview(view)
    if not drawing or view.series is None:
        return
    from gitmodel.monitor.plot import text_chart, write_png

    points, markers, thresholds = _plot_inputs(view)
    title = f"{view.metric} · {view.model} in {view.plot_env}"
    if plot and not as_json:
        out.print("")
        chart = text_chart(points, markers, title=title, width=width, thresholds=thresholds)
        out.print(chart, markup=False, end="")
    if plot_file is not None:
        write_png(points, markers, plot_file, title=title, ylabel=view.metric or "",
                  thresholds=thresholds)  # fmt: skip
        info(f"wrote {plot_file}")


def _print_check(result: Check) -> None:
    info(f"{result.model} {result.version} in {result.env}:")
    for o in result.outcomes:
        shown = ", ".join(number(v) for v in o.values)
        evidence = f" (last: {shown})" if shown else ""
        out.print(
            f"  {o.status:>15}  rule #{o.rule.index}: {o.rule.describe()} -> {o.rule.action}"
            f"{evidence}",
            markup=False,
            style="red" if o.firing else None,
        )
    for note in result.notes:
        info(note)
    if result.rollback is not None:
        for note in result.rollback.notes:
            info(note)
    if result.rollback is not None and result.rollback.tag:
        info(
            f"Rolled back {result.model} in {result.env} from {result.version} to "
            f"{result.rollback.version}: tag {result.rollback.tag}"
        )
        info(f"Share it with: git push origin '{result.rollback.tag}'")
    if result.rollback_error:
        warn(f"the rollback failed: {result.rollback_error}")
    if not result.firing:
        info("No rule fires.")


def check(
    model: ModelArg,
    env: EnvOpt,
    rollback: Annotated[
        bool,
        typer.Option("--rollback", help='Roll back when a rule with action = "rollback" fires.'),
    ] = False,
    allow_local: Annotated[
        bool,
        typer.Option(
            "--allow-local", help="Roll back even if the objects are not on the default remote."
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Evaluate \\[\\[monitor.rules]] on the deployed version; --rollback acts on them.

    A firing "rollback" rule, with --rollback, rolls ENV back to the previous version
    and records the rule and the observed values in the tag message. Exits 1 when a
    "fail" rule fires (or a rollback rule fires without --rollback), 0 otherwise.

    Example:  gitmodel monitor check churn --env prod --rollback   (e.g. from cron)
    """
    from gitmodel.services.monitoring import check as do_check
    from gitmodel.services.monitoring import open_store

    ws = _ws()
    result = do_check(
        ws, model, env, rollback=rollback, allow_local=allow_local, store=open_store(ws, warn)
    )
    if as_json:
        print_json(result.to_json())
    else:
        _print_check(result)
    if result.failed:
        raise typer.Exit(EXIT_CHECK_FAILED)


def export(
    model: Annotated[
        str | None, typer.Argument(help="Only this model (default: every model).")
    ] = None,
    prometheus: Annotated[
        bool,
        typer.Option(
            "--prometheus", help="Prometheus text format (the default, and the only format)."
        ),
    ] = True,
) -> None:
    """Print the latest value of every monitored series in the Prometheus text format.

    Example:  gitmodel monitor export --prometheus churn > /var/lib/node_exporter/churn.prom
    """
    from gitmodel.services.monitoring import prometheus_text

    sys.stdout.write(prometheus_text(_ws(), model, warn))


def serve(
    port: Annotated[int, typer.Option("--port", "-p", min=0, max=65535, help="TCP port.")] = 9464,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (0.0.0.0: every interface).")
    ] = "127.0.0.1",
    model: Annotated[
        str | None, typer.Option("--model", help="Only this model (default: every model).")
    ] = None,
) -> None:
    """Serve the latest values at http://HOST:PORT/metrics for Prometheus, until Ctrl-C.

    The store is read at every scrape. Needs prometheus_client.

    Example:  gitmodel monitor serve --port 9464 --host 0.0.0.0
    """
    from gitmodel.services.monitoring import serve_metrics

    server = serve_metrics(_ws(), port, host, model, warn)
    info(f"serving {server.url} (Ctrl-C to stop)")
    try:
        server.wait()
    except KeyboardInterrupt:
        server.stop()
        info("stopped")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    server.stop()


def card(
    ref: Annotated[
        str,
        typer.Argument(help="NAME (latest version), NAME@vX.Y.Z or NAME#ENV.", metavar="REF"),
    ],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="md (Markdown) or json.", metavar="FORMAT")
    ] = "md",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file, not stdout.")
    ] = None,
) -> None:
    """Render a model card of a registered version, as Markdown or JSON.

    The version's object and metadata, offline metrics (against the previous version),
    deployment history and monitoring summary.

    Examples:
      gitmodel card churn
      gitmodel card churn#prod --format json -o card.json
    """
    import json

    from gitmodel.errors import UsageError
    from gitmodel.services.card import card as build_card
    from gitmodel.services.card import markdown

    if fmt not in ("md", "json"):
        raise UsageError(f"--format {fmt!r}: use md or json")
    data = build_card(_ws(), ref, warn)
    text = markdown(data) if fmt == "md" else json.dumps(data, indent=2, default=str) + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{output}: cannot write: {exc.strerror or exc}") from None
    info(f"wrote {output}")


def register(app: typer.Typer) -> None:
    """Add ``monitor ...`` and ``card`` to ``app``."""
    for command in (record, ingest, show, check, export, serve):
        monitor_app.command()(command)
    app.add_typer(monitor_app)
    app.command()(card)
