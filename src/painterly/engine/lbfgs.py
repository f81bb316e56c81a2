"""L-BFGS over one tensor, one objective evaluation per step, no line search: the arithmetic of
`torch.optim.LBFGS(max_iter=1, line_search_fn=None)`, step for step (Nocedal & Wright, algorithm 7.4, the two-loop
recursion), written here for two reasons.

- Start-up: constructing any `torch.optim` optimiser imports `torch._dynamo` (its methods are wrapped to disable
  the compiler), about a second before the first iteration of every run (benchmarks/RESULTS.md, issue 29).
- It works on the pixels as they are: a flat view where the image is contiguous and a copy where it is not,
  so no caller has to keep the image contiguous for a `grad.view(-1)`.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

HISTORY = 20  # pairs kept, not torch's 100: each holds two image-sized vectors (7.5 GB at 2048 px with 100)


class LBFGS:
    """Minimises `closure()` (which sets `param.grad` and returns the loss) over `param`, one step per call.

    The first step is scaled to at most `lr` in total over every pixel (torch's `min(1, 1/|g|_1) * lr`); later
    steps go `lr` along the two-loop direction, built from the last `history` (step, gradient change) pairs. A
    pair whose curvature s.y is not positive is skipped, as in torch."""

    def __init__(self, param: torch.Tensor, lr: float = 1.0, history: int = HISTORY) -> None:
        self.param = param
        self.lr = lr
        self.history = history
        self.steps: list[torch.Tensor] = []  # s_k: the moves made
        self.changes: list[torch.Tensor] = []  # y_k: the gradient changes they caused
        self.rho: list[torch.Tensor] = []  # 1 / (y_k . s_k)
        self.scale: torch.Tensor | float = 1.0  # H_0 = (s.y / y.y) of the newest pair
        self.direction: torch.Tensor | None = None
        self.step_size = 0.0
        self.previous_gradient: torch.Tensor | None = None

    def zero_grad(self, set_to_none: bool = True) -> None:
        if set_to_none:
            self.param.grad = None
        elif self.param.grad is not None:
            self.param.grad.zero_()

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor]) -> torch.Tensor:
        with torch.enable_grad():
            loss = closure()
        gradient = self.param.grad.reshape(-1)
        if self.direction is None:
            direction = gradient.neg()
        else:
            direction = self._direction(gradient)
        if self.previous_gradient is None:
            self.previous_gradient = gradient.clone(memory_format=torch.contiguous_format)
            step_size = min(1.0, 1.0 / float(gradient.abs().sum())) * self.lr
        else:
            self.previous_gradient.copy_(gradient)
            step_size = self.lr
        self.direction, self.step_size = direction, step_size
        if float(gradient.dot(direction)) > 1:  # torch's exit with tolerance_change -1: not a descent direction
            return loss
        self.param.add_(direction.view_as(self.param), alpha=step_size)
        return loss

    def _direction(self, gradient: torch.Tensor) -> torch.Tensor:
        """The two-loop recursion: -H g, H the inverse Hessian estimate of the stored pairs, after storing the
        pair of the step just made."""
        change = gradient.sub(self.previous_gradient)
        step = self.direction.mul(self.step_size)
        curvature = change.dot(step)
        if curvature > 1e-10:
            if len(self.steps) == self.history:
                self.steps.pop(0), self.changes.pop(0), self.rho.pop(0)
            self.steps.append(step)
            self.changes.append(change)
            self.rho.append(1.0 / curvature)
            self.scale = curvature / change.dot(change)
        alphas = [torch.zeros(())] * len(self.steps)
        q = gradient.neg()
        for i in range(len(self.steps) - 1, -1, -1):
            alphas[i] = self.steps[i].dot(q) * self.rho[i]
            q.add_(self.changes[i], alpha=-alphas[i])
        r = q.mul_(self.scale)
        for i in range(len(self.steps)):
            beta = self.changes[i].dot(r) * self.rho[i]
            r.add_(self.steps[i], alpha=alphas[i] - beta)
        return r
