"""The optimiser loop: L-BFGS or Adam over the pixels, one objective evaluation per iteration.

L-BFGS runs without a line search and with `max_iter=1` per `step()`, so "iteration" means the same for both
optimisers (one forward and one backward pass through VGG) and the callback sees every one. Without a line search
L-BFGS may occasionally step uphill, so the loop keeps the best image seen and returns that one.

With `still` the loop also stops once the picture has stopped moving: the mean change of a pixel per iteration,
averaged over the last STILL_WINDOW iterations, below `still` levels of 255, but never before `least` iterations.
It watches the pixels, not the loss: the loss can go on falling where nothing visible changes.

A NaN or infinite loss (a step far too large, a broken weights file) never reaches the output: the loop goes back
to the best image, halves the step and starts the optimiser afresh; after MAX_FAULTS such faults it stops and
returns the best image, with a warning.
"""

from __future__ import annotations

import math
import time
import warnings
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from ..errors import PainterlyError, PainterlyWarning
from .lbfgs import LBFGS

MAX_FAULTS = 3
# Iterations over which the motion is averaged: without a line search single L-BFGS steps jump about.
STILL_WINDOW = 5
Objective = Callable[[torch.Tensor], dict[str, torch.Tensor]]  # image -> named loss terms incl. "total"


@dataclass
class Progress:
    """What a callback sees after each iteration. Return True from the callback to stop the run."""

    iteration: int  # 1-based, counted over every size of a coarse-to-fine run
    iterations: int  # planned total
    losses: dict[str, float]  # content, style, tv, total at this iteration's image
    elapsed: float  # seconds since the loop started
    _image: torch.Tensor = field(repr=False)
    _render: Callable[[torch.Tensor], object] = field(repr=False)
    size: tuple[int, int] = (0, 0)  # (width, height) being optimised; grows during a coarse-to-fine run
    work_done: float | None = None  # fraction of the run's compute done (iterations at small sizes cost less)
    tile: tuple[int, int] | None = None  # (visit, visits) at a size refined in tiles; iterations count per tile

    @property
    def seconds_left(self) -> float:
        done = self.work_done if self.work_done else self.iteration / self.iterations
        return self.elapsed * (1 - done) / done

    def image(self):
        """The current image as a PIL image; rendered only when asked for, since that costs a copy."""
        return self._render(self._image)


def run(
    image: torch.Tensor,
    objective: Objective,
    *,
    optimizer: str,
    lr: float,
    iterations: int,
    render: Callable[[torch.Tensor], object],
    callback: Callable[[Progress], bool | None] | None = None,
    still: float = 0.0,
    least: int = 0,
    keep_last: bool = False,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Minimise objective(image) over the pixels for at most `iterations`, or until it is still (`still` > 0,
    after at least `least`); returns the best image and its losses.

    Each iteration measures the image and then steps, so the last step's image is never measured: by default it
    is dropped, and the best measured image returned. With `keep_last`, a run that went all its iterations without
    a fault, its last measured image its best, returns the image its last step made instead (with the losses of the
    one before it): n passes then make n steps, the same picture as n + 1 passes give when each step improves on
    the last, as a short run that starts close to done does (a video frame, engine.temporal)."""
    image = image.detach().clone().contiguous().requires_grad_(True)

    def make_optimizer(lr: float) -> LBFGS | torch.optim.Optimizer:
        if optimizer == "lbfgs":
            return LBFGS(image, lr=lr)
        return torch.optim.Adam([image], lr=lr)

    opt = make_optimizer(lr)
    best_image, best_losses = image.detach().clone(), {"total": math.inf}
    start = time.perf_counter()
    current: dict[str, torch.Tensor] = {}
    faults = 0
    best_iteration = 0
    motion: deque[float] = deque(maxlen=STILL_WINDOW)  # mean |change| of the last iterations, in 0-1 units
    previous: torch.Tensor | None = None

    def closure() -> torch.Tensor:
        opt.zero_grad(set_to_none=True)
        losses = objective(image)
        losses["total"].backward()
        current.update({name: value.detach() for name, value in losses.items()})
        return losses["total"]

    finished = False  # went all its iterations: no callback or stillness stopped it
    for iteration in range(1, iterations + 1):
        snapshot = image.detach().clone()  # the image the losses are measured at, before the step moves it
        opt.step(closure)
        losses = {name: float(value) for name, value in current.items()}
        if not (math.isfinite(losses["total"]) and torch.isfinite(snapshot).all()):
            if best_losses["total"] == math.inf:
                raise PainterlyError(
                    "the loss is not a finite number from the first iteration: check the weights file "
                    "(painterly weights --check) and the loss weights"
                )
            faults += 1
            if faults > MAX_FAULTS:
                warnings.warn(
                    f"the loss became NaN or infinite {faults} times (last at iteration {iteration}); stopped and "
                    f"kept the best image (iteration loss {best_losses['total']:.4g}). Try a smaller --lr.",
                    PainterlyWarning,
                    stacklevel=2,
                )
                break
            lr /= 2
            with torch.no_grad():
                image.copy_(best_image)
            opt = make_optimizer(lr)  # the old history describes the blown-up region: start afresh
            motion.clear()
            previous = None
            continue
        if losses["total"] < best_losses["total"]:
            best_image, best_losses, best_iteration = snapshot, losses, iteration
        if callback is not None:
            progress = Progress(
                iteration,
                iterations,
                losses,
                time.perf_counter() - start,
                snapshot,
                render,
                (snapshot.shape[-1], snapshot.shape[-2]),
            )
            if callback(progress):
                break
        if still > 0:
            if previous is not None:
                motion.append(float((snapshot - previous).abs().mean()))
            previous = snapshot
            if iteration >= least and len(motion) == STILL_WINDOW and sum(motion) / STILL_WINDOW * 255 < still:
                break
    else:
        finished = True
    if 0 < faults <= MAX_FAULTS and best_iteration <= 1:  # recovered each time, yet nothing better came of it
        warnings.warn(
            f"the loss became NaN or infinite {faults} time(s) and no later step improved on the first image: the "
            "result is where this size started. Try a smaller --lr.",
            PainterlyWarning,
            stacklevel=2,
        )
    if keep_last and finished and not faults and best_iteration == iterations and bool(torch.isfinite(image).all()):
        return image.detach().clone(), best_losses
    return best_image, best_losses
