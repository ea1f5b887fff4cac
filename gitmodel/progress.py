"""Progress reporting as a narrow callback protocol, so services stay free of rich.

The CLI passes a rich-backed implementation on a terminal; everything else gets
``NULL_PROGRESS``.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def start(
        self, description: str, total_bytes: int | None = None, total_files: int | None = None
    ) -> None: ...
    def advance(self, nbytes: int) -> None: ...
    def file_done(self, count: int = 1) -> None: ...
    def finish(self) -> None: ...


class NullProgress:
    """Reports nothing."""

    def start(
        self, description: str, total_bytes: int | None = None, total_files: int | None = None
    ) -> None:
        pass

    def advance(self, nbytes: int) -> None:
        pass

    def file_done(self, count: int = 1) -> None:
        pass

    def finish(self) -> None:
        pass


NULL_PROGRESS = NullProgress()
