"""The progress display of every front-end that prints one (the main command, batch, video), fed from the engine's
callback: a live tqdm bar when the stream is a terminal, plain lines elsewhere (a log file, CI, a test reading
stderr), so that both read the same figures written the same way."""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

from tqdm import tqdm

from ..engine.optimize import Progress

REDRAW_SECONDS = 0.1  # a small run's iterations come far faster than anyone reads a terminal line
# The figures after the bar are ours (desc), not tqdm's rate and ETA: those take every iteration as equal, and an
# iteration at a larger size costs more.
BAR = "{percentage:3.0f}%|{bar:20}| {desc}"
TEXT = "{desc}"  # a count without a total (a video of unknown length) has no bar to fill
FALLBACK_SIZE = (120, 24)  # a terminal that reports no size (a bare pseudo-terminal): tqdm would print nothing


def duration(seconds: float) -> str:
    """45s, 12:05 or 1:02:05: every elapsed, left and total time the front-ends print."""
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    return f"{minutes}:{seconds:02d}" if minutes else f"{seconds}s"


def describe(progress: Progress) -> str:
    """One iteration: iteration/total, size (and tile), the loss terms and the time elapsed and left."""
    extra = tuple(name for name in ("hold", "temporal") if name in progress.losses)  # only where a run has them
    names = ("content", "style", "tv", *extra, "total")
    losses = "  ".join(f"{name} {progress.losses.get(name, 0.0):.4g}" for name in names)
    width = len(str(progress.iterations))
    size = f"{progress.size[0]}x{progress.size[1]}  " if progress.size[0] else ""
    if progress.tile:
        size += f"tile {progress.tile[0]}/{progress.tile[1]}  "
    return (
        f"{progress.iteration:>{width}}/{progress.iterations}  {size}{losses}  "
        f"{duration(progress.elapsed)} elapsed, {duration(progress.seconds_left)} left"
    )


def screen(stream: TextIO) -> tuple[int, int]:
    """Columns and lines of the terminal `stream` writes to, read at every redraw (it may be resized)."""
    try:
        size = os.get_terminal_size(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return FALLBACK_SIZE
    return size.columns or FALLBACK_SIZE[0], size.lines or FALLBACK_SIZE[1]


class ProgressBar:
    """One run's iterations. A plain line every `print_every` iterations, whenever the size or the tile changes (a
    tile of a 4096 px run takes minutes: each gets its line) and at the last iteration; 0 prints none. On a
    terminal a tqdm bar is redrawn in place below those lines as well."""

    def __init__(self, stream: TextIO = sys.stderr, print_every: int = 50) -> None:
        self.stream = stream
        self.print_every = print_every
        self.live = stream.isatty()
        self.bar: tqdm | None = None
        self.stage: tuple = ()
        self.drawn = 0.0

    def __call__(self, progress: Progress) -> None:
        stage, self.stage = self.stage, self.stage_of(progress)
        last = progress.iteration == progress.iterations
        self.show(progress)  # first: a note redraws the bar below it, and should redraw this iteration's
        if self.print_every and (progress.iteration % self.print_every == 0 or stage != self.stage or last):
            self.note(self.line(progress))

    def stage_of(self, progress: Progress) -> tuple:
        """What, when it changes, gets a line of its own whatever --print-every says."""
        return (progress.size, progress.tile)

    def line(self, progress: Progress) -> str:
        return describe(progress)

    def show(self, progress: Progress) -> None:
        self.draw(progress.iteration, progress.iterations, describe(progress))

    def note(self, line: str) -> None:
        """A line of its own (an iteration's, or e.g. the precision chosen), above the live bar."""
        if self.live:
            tqdm.write(line, file=self.stream)
            self.stream.flush()
        else:
            print(line, file=self.stream, flush=True)

    def draw(self, n: int, total: int | None, text: str, force: bool = False) -> None:
        """The live bar at `n` of `total` with `text` after it; redrawn at most every REDRAW_SECONDS unless `force`
        (the state is kept either way, so a note's redraw of the bar shows the latest)."""
        if not self.live:
            return
        if self.bar is None:  # made at the first draw: the CLI learns its total from the first iteration
            width, height = screen(self.stream)
            self.bar = tqdm(
                total=total,
                initial=n,
                desc=text,
                file=self.stream,
                leave=False,  # the lines above are the record; the bar goes when the run ends
                ncols=width,
                nrows=height,
                bar_format=BAR if total else TEXT,
            )
            self.drawn = time.monotonic()
            return
        bar = self.bar
        bar.total, bar.n, bar.bar_format = total, n, BAR if total else TEXT
        bar.set_description_str(text, refresh=False)
        now = time.monotonic()
        if force or now - self.drawn >= REDRAW_SECONDS:
            bar.ncols, bar.nrows = screen(self.stream)
            bar.refresh()
            self.drawn = now

    def close(self) -> None:
        """Clear the live bar (the lines printed above it stay); safe to call more than once."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        self.stream.flush()


class CountProgress(ProgressBar):
    """Things that are each a run of their own, a batch's jobs or a video's frames: the bar counts the things
    finished, followed by the figures of the whole and the current run's iteration; every finished thing gets a
    line with the time left for the rest. `first_apart`: the first thing runs a longer schedule than the others (a
    video's first frame), so the time left is predicted from the others."""

    def __init__(
        self,
        stream: TextIO,
        total: int | None,
        unit: str,
        print_every: int = 0,
        finished: int = 0,
        first_apart: bool = False,
    ) -> None:
        super().__init__(stream, print_every)
        self.total = total
        self.unit = unit
        self.finished = finished  # a resumed run counts what was finished before
        self.first_apart = first_apart
        self.start = time.perf_counter()
        self.times: list[float] = []  # seconds of each thing painted by this process
        self.label = ""
        self.current: Progress | None = None

    def begin(self, label: str) -> None:
        """The next thing begins; its lines carry `label`, and its first iteration gets one."""
        self.label, self.current = label, None

    def at(self, label: str, progress: Progress) -> None:
        """An iteration of the thing called `label`: a new label is a new thing begun."""
        if label != self.label:
            self.begin(label)
        self(progress)

    def __call__(self, progress: Progress) -> None:
        self.current = progress
        super().__call__(progress)

    def stage_of(self, progress: Progress) -> tuple:
        return (self.label, *super().stage_of(progress))

    def line(self, progress: Progress) -> str:
        return f"  {self.label}: {describe(progress)}"

    def show(self, progress: Progress) -> None:
        self.draw(self.finished, self.total, f"{self.overall()} | {self.label}: {describe(progress)}")

    def finish(self, line: str, seconds: float | None = None) -> None:
        """One thing is finished; `seconds` is how long it was painted (None when it was not: failed, skipped,
        stopped). Its line is followed by the figures of the whole."""
        self.finished += 1
        self.current = None
        if seconds is not None:
            self.times.append(seconds)
        self.draw(self.finished, self.total, self.overall(), force=True)
        self.note(f"{line}  {self.overall()}")

    def mean_time(self) -> float | None:
        """Seconds per thing painted so far, leaving out the first when it ran the longer schedule."""
        times = self.times[1:] if self.first_apart and len(self.times) > 1 else self.times
        return sum(times) / len(times) if times else None

    def rate(self) -> str:
        mean = self.mean_time()
        return f"{mean:.1f} s/{self.unit}" if mean is not None else ""

    def left(self) -> float | None:
        if self.total is None:
            return None
        current, per = self.current, self.mean_time()
        if per is None and current is not None and not self.first_apart:  # nothing finished: this one's estimate
            per = current.elapsed + current.seconds_left
        if per is None:
            return None
        running = current is not None
        return (current.seconds_left if running else 0.0) + per * max(0, self.total - self.finished - running)

    def overall(self) -> str:
        count = f"{self.finished}/{self.total}" if self.total is not None else f"{self.finished}"
        parts = [f"{count} {self.unit}s", self.rate()]
        if self.total is not None:
            left = self.left()
            parts.append(f"{duration(left)} left" if left is not None else "time left unknown yet")
        return "  ".join(part for part in parts if part)


class BatchProgress(CountProgress):
    """A batch's jobs. Its rate is images per hour of wall-clock time; on a cluster, where jobs run side by side,
    the time left is the wall-clock time per finished job so far and the live line says what the cluster does."""

    def __init__(self, stream: TextIO, total: int, print_every: int = 0) -> None:
        super().__init__(stream, total, "job", print_every)
        self.cluster = ""

    def images_per_hour(self) -> float:
        elapsed = time.perf_counter() - self.start
        return 3600 * len(self.times) / elapsed if self.times and elapsed > 0 else 0.0

    def rate(self) -> str:
        return f"{self.images_per_hour():.1f} images/h"

    def left(self) -> float | None:
        if not self.cluster:
            return super().left()
        if not self.finished:
            return None
        return (time.perf_counter() - self.start) / self.finished * max(0, self.total - self.finished)

    def poll(self, running: int, workers: int) -> None:
        """The cluster's state, seen by the client between answers."""
        self.cluster = f"{running} running on {workers} worker{'s' if workers != 1 else ''}"
        self.draw(self.finished, self.total, f"{self.overall()} | {self.cluster}")
