"""The progress display the CLI feeds from the engine's callback: a live bar on a terminal, plain lines elsewhere."""

from __future__ import annotations

import sys
from typing import TextIO

from ..engine.optimize import Progress


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds}s"


def describe(progress: Progress) -> str:
    extra = tuple(name for name in ("hold", "temporal") if name in progress.losses)  # only where a run has them
    names = ("content", "style", "tv", *extra, "total")
    losses = "  ".join(f"{name} {progress.losses.get(name, 0.0):.4g}" for name in names)
    width = len(str(progress.iterations))
    size = f"{progress.size[0]}x{progress.size[1]}  " if progress.size[0] else ""
    if progress.tile:
        size += f"tile {progress.tile[0]}/{progress.tile[1]}  "
    return (
        f"{progress.iteration:>{width}}/{progress.iterations}  {size}{losses}  "
        f"{_duration(progress.elapsed)} elapsed, {_duration(progress.seconds_left)} left"
    )


class ProgressBar:
    """Redraws one line in place when `stream` is a terminal; prints a line every `print_every` iterations and
    whenever the size or the tile changes (a tile of a 4096 px run takes minutes: each one gets its line)."""

    def __init__(self, stream: TextIO = sys.stderr, print_every: int = 50, bar_width: int = 20) -> None:
        self.stream = stream
        self.print_every = print_every
        self.bar_width = bar_width
        self.live = stream.isatty()
        self.drawn = False
        self.stage: tuple = ()

    def __call__(self, progress: Progress) -> None:
        line = describe(progress)
        last = progress.iteration == progress.iterations
        stage, self.stage = self.stage, (progress.size, progress.tile)
        if self.print_every and (progress.iteration % self.print_every == 0 or stage != self.stage or last):
            self._clear()
            print(line, file=self.stream, flush=True)
        elif self.live:
            filled = self.bar_width * progress.iteration // progress.iterations
            bar = "#" * filled + "." * (self.bar_width - filled)
            self.stream.write(f"\r[{bar}] {line}\x1b[K")
            self.stream.flush()
            self.drawn = True

    def note(self, line: str) -> None:
        """A line that is not an iteration's (e.g. the precision chosen), printed above the live bar."""
        self._clear()
        print(line, file=self.stream, flush=True)

    def _clear(self) -> None:
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.drawn = False

    def close(self) -> None:
        self._clear()
        self.stream.flush()
