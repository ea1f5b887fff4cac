"""Terminal output: rich tables and progress on a TTY, plain text in pipes and CI,
stable JSON for machines. The only place (with the command modules) that uses rich."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from gitmodel.progress import NullProgress

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def interactive() -> bool:
    """Progress bars only for a person at a terminal: not in CI, not in pipes."""
    return err.is_terminal and not os.environ.get("CI") and os.environ.get("TERM") != "dumb"


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def info(message: str) -> None:
    err.print(message, markup=False)


def warn(message: str) -> None:
    err.print(f"warning: {message}", markup=False, style="yellow")


def human_size(n: int | None) -> str:
    if n is None:
        return "-"
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


class RichProgress:
    """gitmodel.progress.Progress drawn with rich: bytes, files, rate, ETA."""

    def __init__(self) -> None:
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(binary_units=True),
            TextColumn("{task.fields[files]}"),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        )
        self._task: TaskID | None = None
        self._files_total: int | None = None
        self._files_done = 0

    def __enter__(self) -> RichProgress:
        self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()

    def _files_text(self) -> str:
        if not self._files_total or self._files_total <= 1:
            return ""
        return f"{self._files_done}/{self._files_total} files"

    def start(
        self, description: str, total_bytes: int | None = None, total_files: int | None = None
    ) -> None:
        self.finish()
        self._files_total, self._files_done = total_files, 0
        self._task = self._bar.add_task(description, total=total_bytes, files=self._files_text())

    def advance(self, nbytes: int) -> None:
        if self._task is not None:
            self._bar.advance(self._task, nbytes)

    def file_done(self, count: int = 1) -> None:
        self._files_done += count
        if self._task is not None:
            self._bar.update(self._task, files=self._files_text())

    def finish(self) -> None:
        if self._task is not None:
            self._bar.remove_task(self._task)
            self._task = None


class NoProgress(NullProgress):
    """No bars (CI, pipes): gitmodel.progress.NullProgress usable in a ``with``."""

    def __enter__(self) -> NoProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def progress() -> RichProgress | NoProgress:
    return RichProgress() if interactive() else NoProgress()
