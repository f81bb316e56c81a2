"""Watching a run: the frames of an animation (--gif) and the loss curves (--plot), fed by the engine's callback.

The recorder only listens to `Progress`; it never touches the optimisation. Iterations are the engine's, counted
over every size of a coarse-to-fine run, and frames taken at a smaller size are enlarged to the output size.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from ..errors import PainterlyError
from .images import write_atomically
from .sheets import caption

if TYPE_CHECKING:  # media sits below the engine: it reads a Progress it is given, never imports the engine
    from ..engine.optimize import Progress

DEFAULT_FRAMES = 20  # frames of a --gif when no --save-every says when to take them
FRAME_MS = 120  # how long each frame shows
LAST_FRAME_MS = 1500  # the result stays a while before the animation starts again
TERMS = ("content", "style", "tv", "total")
PLOT_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


def frame_iterations(iterations: int, every: int) -> list[int]:
    """The iterations a --gif shows: each --save-every snapshot (every N-th), or without one DEFAULT_FRAMES spread
    evenly from the start (iteration 1 shows the starting image) to the last iteration, all of them when fewer."""
    if every:
        return list(range(every, iterations + 1, every))
    count = min(DEFAULT_FRAMES, iterations)
    if count == 1:
        return [1]
    # Steps of (iterations - 1) / (count - 1) >= 1, so the floors are distinct: exactly `count` frames.
    return [1 + k * (iterations - 1) // (count - 1) for k in range(count)]


class Recorder:
    """The callback's listener for --gif and --plot: it keeps every iteration's losses (a few floats) and renders
    the image only at the frame iterations, since rendering costs a copy of the image."""

    def __init__(self, every: int, frames: bool) -> None:
        self.every = every
        self.want_frames = frames
        self.frame_at: set[int] | None = None  # known at the first iteration, which says the planned total
        self.frames: list[tuple[int, int, Image.Image]] = []  # (iteration, planned total, image)
        self.history: list[tuple[int, dict[str, float], tuple[int, int]]] = []  # (iteration, losses, size)

    def __call__(self, progress: Progress) -> None:
        if self.frame_at is None:
            self.frame_at = set(frame_iterations(progress.iterations, self.every)) if self.want_frames else set()
            if self.want_frames and not self.frame_at:  # found at once, not after the whole run
                raise PainterlyError(
                    f"--save-every {self.every} is more than the run's {progress.iterations} iterations: "
                    "the --gif would have no frames"
                )
        self.history.append((progress.iteration, dict(progress.losses), progress.size))
        if progress.iteration in self.frame_at:
            self.frames.append((progress.iteration, progress.iterations, progress.image()))

    def write_gif(self, path: Path, size: tuple[int, int]) -> int:
        """Write the frames, enlarged to `size` (the output's) and captioned with their iteration; returns how many."""
        if not self.frames:
            raise PainterlyError(f"no frames to write to '{path}': the run stopped before the first one")
        frames = []
        for iteration, total, image in self.frames:
            if image.size != size:
                image = image.resize(size, Image.Resampling.LANCZOS)
            frames.append(caption(image, f"iteration {iteration}/{total}"))
        durations = [FRAME_MS] * (len(frames) - 1) + [LAST_FRAME_MS]
        # Captions differ from frame to frame, so Pillow never merges two equal-looking frames into one.
        write_atomically(
            path,
            lambda f: frames[0].save(
                f, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0
            ),
        )
        return len(frames)

    def write_plot(self, path: Path) -> None:
        """Loss terms against iteration on a log scale; a dotted line marks each change of size (coarse to fine)."""
        if not self.history:
            raise PainterlyError(f"no losses to plot to '{path}': the run stopped before the first iteration")
        plot_losses(path, self.history)


def plot_losses(path: Path, history: list[tuple[int, dict[str, float], tuple[int, int]]]) -> None:
    # matplotlib is imported here, not at the top: it costs half a second, and only --plot needs it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(6.4, 4.0), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)  # the Agg backend, without pyplot's global state
    axes = figure.add_subplot()
    iterations = [iteration for iteration, _, _ in history]
    finals = []
    for term in TERMS:
        values = [losses.get(term, 0.0) for _, losses, _ in history]
        positive = [v if v > 0 and math.isfinite(v) else math.nan for v in values]
        if any(not math.isnan(v) for v in positive):  # a term that is always 0 has no place on a log scale
            axes.plot(iterations, positive, label=term, linewidth=2 if term == "total" else 1.2)
            finals += [v for v in positive[len(positive) // 2 :] if not math.isnan(v)]
    changes = [(i, size) for (_, _, before), (i, _, size) in zip(history, history[1:]) if size != before and size[0]]
    if changes:  # a coarse-to-fine run: say which size each stretch of the curves is at
        changes.insert(0, (history[0][0], history[0][2]))
    for k, (iteration, size) in enumerate(changes):
        if k:
            axes.axvline(iteration, color="grey", linestyle=":", linewidth=1)
        axes.annotate(
            f"{size[0]}x{size[1]}",
            (iteration, 0),
            xycoords=("data", "axes fraction"),
            xytext=(3, 4),
            textcoords="offset points",
            fontsize=8,
            color="grey",
        )
    axes.set_yscale("log")
    # A term that starts at 0 (content, when the run starts from the content) would stretch the axis over decades
    # that say nothing: start it a little below the smallest value of the run's second half.
    low, high = axes.get_ylim()
    if finals:
        axes.set_ylim(max(low, 0.3 * min(finals)), high)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("iteration")
    axes.set_ylabel("weighted loss")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    fmt = PLOT_FORMATS[path.suffix.lower()]
    write_atomically(path, lambda f: figure.savefig(f, format=fmt))
