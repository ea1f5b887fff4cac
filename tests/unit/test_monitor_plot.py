"""Plots of a metric over time: the Unicode terminal chart and the matplotlib PNG."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gitmodel.errors import MonitorError
from gitmodel.monitor.plot import BLOCKS, THRESHOLD, Marker, Point, Threshold, text_chart, write_png

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def series(values: list[float], version: str = "v1", start: int = 0) -> list[Point]:
    return [Point(T0 + timedelta(minutes=start + i), v, version) for i, v in enumerate(values)]


def body(chart: str) -> list[str]:
    """The plotted area: the text right of the y axis, one string per row."""
    return [line.split("┤", 1)[1] for line in chart.splitlines() if "┤" in line]


def test_no_points_no_chart() -> None:
    assert text_chart([]) == ""
    assert text_chart([Point(T0, float("nan"), "v1")]) == ""


def test_each_column_is_a_bar_from_the_lowest_to_the_highest_value() -> None:
    chart = text_chart(series([0.0, 1.0]), width=20, height=4)
    rows = body(chart)
    assert len(rows) == 4
    first = [row[0] if row else " " for row in rows]
    last = [row.rstrip()[-1] for row in rows]
    assert first == [" ", " ", " ", BLOCKS[1]]  # the lowest value: the smallest bar
    assert last == [BLOCKS[8]] * 4  # the highest: full height
    lines = chart.splitlines()
    assert lines[0] == "2024-05-01 12:00:00 .. 2024-05-01 12:01:00 UTC"  # within the hour
    assert lines[1].lstrip().startswith("1 ┤") and lines[4].lstrip().startswith("0 ┤")


def test_threshold_row_is_drawn_and_labelled() -> None:
    chart = text_chart(
        series([0.9, 0.92, 0.7]), width=30, height=6, thresholds=[Threshold(0.85, "rule #1")]
    )
    [line] = [line for line in chart.splitlines() if "rule #1" in line]
    assert THRESHOLD in line and line.lstrip().startswith("0.85 ┤")


def test_versions_are_named_under_the_axis_and_events_numbered() -> None:
    points = series([0.9] * 10) + series([0.7] * 10, "v0.2.0", start=10)
    markers = [
        Marker(T0 - timedelta(hours=1), "deploy v1"),
        Marker(T0 + timedelta(minutes=10), "deploy v0.2.0"),
    ]
    chart = text_chart(points, markers, title="accuracy · churn in prod", width=50)
    lines = chart.splitlines()
    assert lines[0].startswith("accuracy · churn in prod · 2024-05-01 12:00:00")
    names = next(line for line in lines if "v0.2.0" in line and "deploy" not in line)
    assert names.split() == ["v1", "v0.2.0"]
    assert names.index("v0.2.0") > len(names) // 2
    assert "1  2024-05-01 11:00:00  deploy v1  (outside the plotted time range)" in chart
    assert "2  2024-05-01 12:10:00  deploy v0.2.0" in chart
    marker_row = lines[lines.index(names) + 1]
    assert marker_row.strip() == "2"


def test_times_are_shown_to_the_minute_over_longer_spans() -> None:
    points = [Point(T0, 1.0, "v1"), Point(T0 + timedelta(days=2), 2.0, "v1")]
    chart = text_chart(points, [Marker(T0 + timedelta(days=1), "deploy v2")])
    assert chart.startswith("2024-05-01 12:00 .. 2024-05-03 12:00 UTC\n")
    assert "1  2024-05-02 12:00  deploy v2" in chart


def test_a_series_name_near_the_end_moves_left_to_fit() -> None:
    points = [*series([1.0] * 30), Point(T0 + timedelta(minutes=30), 0.5, "v0.10.0")]
    chart = text_chart(points, width=40)
    assert "v0.10.0" in chart


def test_png_is_written_with_matplotlib(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    path = tmp_path / "plot.png"
    points = series([0.9, 0.91, 0.7]) + series([0.92], "v2", start=5)
    write_png(
        points,
        [Marker(T0 + timedelta(minutes=2), "deploy v2")],
        path,
        title="accuracy",
        thresholds=[Threshold(0.85, "rule #1")],
    )
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_png_without_matplotlib_says_which_extra_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(MonitorError, match="needs matplotlib") as caught:
        write_png(series([1.0]), [], tmp_path / "plot.png")
    assert caught.value.fix == "pip install 'gitmodel[plot]'"
    assert not (tmp_path / "plot.png").exists()


def test_png_to_an_unwritable_place_is_one_error(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    with pytest.raises(MonitorError, match="cannot write the plot"):
        write_png(series([1.0]), [], tmp_path / "missing-dir" / "plot.png")
