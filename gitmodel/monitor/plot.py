"""Plots of one metric over time with deployment events marked: a Unicode block chart
for the terminal (no dependency) and a PNG through matplotlib (imported when asked).

The terminal chart is our own rather than plotext's: it needs nothing installed, reads
the same in a pipe, a CI log or a terminal, and does not move with plotext's API (its
6.0 rewrite replaced the 5.x functions). Each column is the mean of the observations
in one time slice; the version that produced most of them is written under the axis,
and events (deploy, rollback) are numbered markers with a legend::

    accuracy · churn in prod · 2024-05-01 12:00 .. 2024-05-01 20:00 UTC
      0.93 ┤▇█▇██▇▇█
           ┤████████
      0.85 ┤┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄ rule #1
      0.69 ┤████████▂▁▂▁
           └────────────────
            v0.1.0  v0.2.0  v0.1.0
                    1       2
      1  2024-05-01 16:00  deploy v0.2.0
      2  2024-05-01 18:00  rollback to v0.1.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gitmodel.errors import MonitorError

BLOCKS = " ▁▂▃▄▅▆▇█"
THRESHOLD = "┄"


@dataclass(frozen=True)
class Point:
    time: datetime
    value: float
    series: str  # e.g. the version that produced the value


@dataclass(frozen=True)
class Marker:
    time: datetime
    label: str  # e.g. "deploy v0.2.0"


@dataclass(frozen=True)
class Threshold:
    value: float
    label: str  # e.g. "rule #1"


def text_chart(
    points: Sequence[Point],
    markers: Sequence[Marker] = (),
    *,
    title: str = "",
    width: int = 72,
    height: int = 8,
    thresholds: Sequence[Threshold] = (),
) -> str:
    """The chart as text lines (see the module docstring); '' when there are no points."""
    finite = [p for p in points if math.isfinite(p.value)]
    if not finite:
        return ""
    start = min(p.time for p in finite)
    end = max(p.time for p in finite)
    values = [p.value for p in finite] + [t.value for t in thresholds]
    low, high = min(values), max(values)
    labels = [_num(high), _num(low), *(_num(t.value) for t in thresholds)]
    gutter = max(len(s) for s in labels) + 1
    columns = max(8, width - gutter - 2)
    cells = _columns(finite, start, end, columns)
    levels = height * 8
    rows = []
    threshold_rows = {_row(t.value, low, high, height): t for t in thresholds}
    for r in range(height):
        floor = (height - 1 - r) * 8
        line = []
        for cell in cells:
            if cell is None:
                line.append(" ")
                continue
            level = _level(cell[0], low, high, levels)
            line.append(BLOCKS[max(0, min(8, level - floor))])
        label = ""
        mark = threshold_rows.get(r)
        if mark is not None:
            line = [THRESHOLD if c == " " else c for c in line]
            label = _num(mark.value)
        elif r == 0:
            label = _num(high)
        elif r == height - 1:
            label = _num(low)
        tail = f" {mark.label}" if mark is not None else ""
        rows.append(f"{label:>{gutter}} ┤{''.join(line)}{tail}".rstrip())
    rows.append(" " * gutter + " └" + "─" * columns)
    rows.append(" " * (gutter + 2) + _series_row(cells, columns))
    # Seconds matter when everything happened within the hour (a demo, a burst).
    fmt = "%Y-%m-%d %H:%M:%S" if end - start < timedelta(hours=1) else "%Y-%m-%d %H:%M"
    rows += _marker_rows(markers, start, end, columns, gutter, fmt)
    header = f"{title} · " if title else ""
    heading = f"{header}{_time(start, fmt)} .. {_time(end, fmt)} UTC"
    return "\n".join([heading, *rows]) + "\n"


def _columns(
    points: Sequence[Point], start: datetime, end: datetime, columns: int
) -> list[tuple[float, str] | None]:
    """Per column: (mean value, series with most points there), or None if empty."""
    span = max((end - start).total_seconds(), 1e-9)
    sums = [0.0] * columns
    counts: list[dict[str, int]] = [{} for _ in range(columns)]
    for p in points:
        col = min(columns - 1, int((p.time - start).total_seconds() / span * columns))
        sums[col] += p.value
        counts[col][p.series] = counts[col].get(p.series, 0) + 1
    cells: list[tuple[float, str] | None] = []
    for total, by_series in zip(sums, counts, strict=True):
        n = sum(by_series.values())
        if n == 0:
            cells.append(None)
        else:
            cells.append((total / n, max(by_series, key=lambda s: (by_series[s], s))))
    return cells


def _level(value: float, low: float, high: float, levels: int) -> int:
    if high == low:
        return levels // 2
    return 1 + round((value - low) / (high - low) * (levels - 1))


def _row(value: float, low: float, high: float, height: int) -> int:
    level = _level(value, low, high, height * 8)
    return max(0, min(height - 1, height - 1 - (level - 1) // 8))


def _series_row(cells: Sequence[tuple[float, str] | None], columns: int) -> str:
    """Each series' name where it starts, if there is room before the next one."""
    line = [" "] * columns
    previous = None
    free_from = 0
    for col, cell in enumerate(cells):
        if cell is None or cell[1] == previous:
            continue
        previous = cell[1]
        name = cell[1][:columns]
        at = max(free_from, min(col, columns - len(name)))  # near the end: shift it left
        if at + len(name) > columns:
            continue
        line[at : at + len(name)] = name
        free_from = at + len(name) + 1
    return "".join(line).rstrip()


def _marker_rows(
    markers: Sequence[Marker], start: datetime, end: datetime, columns: int, gutter: int, fmt: str
) -> list[str]:
    if not markers:
        return []
    span = max((end - start).total_seconds(), 1e-9)
    line = [" "] * columns
    legend = []
    for number, m in enumerate(sorted(markers, key=lambda m: m.time), start=1):
        tag = str(number)
        where = ""
        if start <= m.time <= end:
            col = min(columns - 1, int((m.time - start).total_seconds() / span * columns))
            line[col : col + len(tag)] = tag
        else:
            where = "  (outside the plotted time range)"
        legend.append(f"{tag:>{gutter}}  {_time(m.time, fmt)}  {m.label}{where}")
    row = " " * (gutter + 2) + "".join(line[:columns]).rstrip()
    return [row, *legend] if row.strip() else legend


def _num(value: float) -> str:
    return f"{value:.4g}"


def _time(moment: datetime, fmt: str) -> str:
    return moment.astimezone(UTC).strftime(fmt)


# ---------------------------------------------------------------- PNG


def write_png(
    points: Sequence[Point],
    markers: Sequence[Marker],
    path: str | Path,
    *,
    title: str = "",
    ylabel: str = "",
    thresholds: Sequence[Threshold] = (),
) -> None:
    """A PNG of the series (one line per series), events as dashed vertical lines and
    thresholds as dotted horizontal ones. Needs matplotlib (``gitmodel[plot]``)."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display needed, and never open a window
        import matplotlib.pyplot as plt
        from matplotlib.dates import date2num
    except ImportError:
        raise MonitorError(
            "--plot-file needs matplotlib", fix="pip install 'gitmodel[plot]'"
        ) from None
    figure, axes = plt.subplots(figsize=(10, 4.5), dpi=100)
    try:
        names = sorted({p.series for p in points})
        for name in names:
            mine = [p for p in points if p.series == name]
            axes.plot(
                date2num([p.time for p in mine]), [p.value for p in mine], marker=".", label=name
            )
        for t in thresholds:
            axes.axhline(t.value, linestyle=":", color="grey", linewidth=1)
            axes.annotate(t.label, (0, t.value), xycoords=("axes fraction", "data"), fontsize=8)
        for m in markers:
            axes.axvline(
                float(date2num(m.time)), linestyle="--", color="tab:red", linewidth=1, alpha=0.7
            )
            axes.annotate(
                m.label, (float(date2num(m.time)), 1), xycoords=("data", "axes fraction"), rotation=90,
                fontsize=8, va="top", ha="right", color="tab:red",
            )  # fmt: skip
        axes.xaxis_date(tz=UTC)
        axes.set_title(title)
        axes.set_ylabel(ylabel)
        axes.set_xlabel("time (UTC)")
        if names:
            axes.legend(title="version", loc="best", fontsize=8)
        figure.autofmt_xdate()
        figure.tight_layout()
        try:
            figure.savefig(path, format="png")
        except OSError as exc:
            raise MonitorError(f"{path}: cannot write the plot: {exc.strerror or exc}") from None
    finally:
        plt.close(figure)
