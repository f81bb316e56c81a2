"""The optimiser loop: L-BFGS or Adam over the pixels, one objective evaluation per iteration.

L-BFGS runs without a line search and with `max_iter=1` per `step()`, so "iteration" means the same for both
optimisers (one forward and one backward pass through VGG) and the callback sees every one. Without a line search
L-BFGS may occasionally step uphill, so the loop keeps the best image seen and returns that one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

Objective = Callable[[torch.Tensor], dict[str, torch.Tensor]]  # image -> named loss terms incl. "total"


@dataclass
class Progress:
    """What a callback sees after each iteration. Return True from the callback to stop the run."""

    iteration: int  # 1-based
    iterations: int  # planned total
    losses: dict[str, float]  # content, style, tv, total at this iteration's image
    elapsed: float  # seconds since the loop started
    _image: torch.Tensor = field(repr=False)
    _render: Callable[[torch.Tensor], object] = field(repr=False)

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
) -> tuple[torch.Tensor, dict[str, float]]:
    """Minimise objective(image) over the pixels; returns the best image and its losses."""
    # LBFGS flattens the gradient with .view(-1), which fails on a channels-last gradient: keep it contiguous.
    image = image.detach().clone().contiguous().requires_grad_(True)
    if optimizer == "lbfgs":
        # history 20, not 100: each entry holds two image-sized vectors (7.5 GB at 2048 px with 100).
        opt: torch.optim.Optimizer = torch.optim.LBFGS(
            [image], lr=lr, max_iter=1, history_size=20, tolerance_grad=-1, tolerance_change=-1
        )
    else:
        opt = torch.optim.Adam([image], lr=lr)

    best_image, best_losses = image.detach().clone(), {"total": math.inf}
    start = time.perf_counter()
    current: dict[str, torch.Tensor] = {}

    def closure() -> torch.Tensor:
        opt.zero_grad(set_to_none=True)
        losses = objective(image)
        losses["total"].backward()
        current.update({name: value.detach() for name, value in losses.items()})
        return losses["total"]

    for iteration in range(1, iterations + 1):
        snapshot = image.detach().clone()  # the image the losses are measured at, before the step moves it
        opt.step(closure)
        losses = {name: float(value) for name, value in current.items()}
        if not math.isfinite(losses["total"]):
            break  # never hand back a NaN image: the best one so far is returned instead
        if losses["total"] < best_losses["total"]:
            best_image, best_losses = snapshot, losses
        if callback is not None:
            progress = Progress(iteration, iterations, losses, time.perf_counter() - start, snapshot, render)
            if callback(progress):
                break
    return best_image, best_losses
