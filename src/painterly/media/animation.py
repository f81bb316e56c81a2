"""Watching a run: the frames of an animation (--gif) and the losses for the plot (--plot), fed by the callback.

The recorder only listens to what the engine's callback hands it; it never touches the optimisation. Iterations
are the engine's, counted over every size of a coarse-to-fine run, and frames taken at a smaller size are
enlarged to the output size.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from PIL import Image

from ..errors import PainterlyError
from .images import write_atomically
from .loss_plot import History, plot_losses
from .sheets import caption

DEFAULT_FRAMES = 20  # frames of a --gif when no --save-every says when to take them
FRAME_MS = 120  # how long each frame shows
LAST_FRAME_MS = 1500  # the result stays a while before the animation starts again


class Watched(Protocol):
    """What the recorder reads of one iteration: the engine's Progress has these. Media sits below the engine,
    so it names the shape it needs instead of importing the engine's class."""

    iteration: int
    iterations: int
    losses: dict[str, float]
    size: tuple[int, int]

    def image(self) -> Image.Image: ...


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
        self.history: History = []  # (iteration, losses, size)

    def __call__(self, progress: Watched) -> None:
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
