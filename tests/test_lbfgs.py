"""engine.lbfgs: torch's L-BFGS arithmetic (max_iter 1, no line search) without torch.optim's start-up cost."""

from __future__ import annotations

import subprocess
import sys

import torch

from painterly.engine import optimize
from painterly.engine.lbfgs import LBFGS


def _minimise(make, steps: int = 40) -> tuple[torch.Tensor, list[float]]:
    generator = torch.Generator().manual_seed(0)
    a, b = torch.randn(40, 30, generator=generator), torch.randn(40, generator=generator)
    x = torch.zeros(30, requires_grad=True)
    optimiser = make(x)

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        loss = ((a @ x - b) ** 2).sum() + x.pow(4).sum()
        loss.backward()
        return loss

    return x.detach(), [float(optimiser.step(closure).detach()) for _ in range(steps)]


def test_every_step_is_torchs_own():
    # history 5 over 40 steps: the oldest pairs are dropped as in torch
    ours, our_losses = _minimise(lambda x: LBFGS(x, lr=0.5, history=5))
    theirs, their_losses = _minimise(
        lambda x: torch.optim.LBFGS([x], lr=0.5, max_iter=1, history_size=5, tolerance_grad=-1, tolerance_change=-1)
    )
    torch.testing.assert_close(ours, theirs, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(torch.tensor(our_losses), torch.tensor(their_losses), rtol=1e-6, atol=0)
    assert our_losses[-1] < 0.5 * our_losses[0]  # and it minimises (the least-squares part cannot reach 0)


def test_a_channels_last_image_is_optimised_as_it_is():
    target = torch.rand(1, 3, 8, 8)
    image = torch.zeros(1, 3, 8, 8).contiguous(memory_format=torch.channels_last).requires_grad_(True)
    optimiser = LBFGS(image, lr=0.5)

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        loss = (image - target).pow(2).sum()
        loss.backward()
        return loss

    for _ in range(10):
        optimiser.step(closure)
    assert float((image - target).detach().abs().max()) < 1e-2  # from up to 1


def test_a_run_does_not_load_torchs_compiler():
    # torch.optim's optimisers import torch._dynamo when built: about a second of every run's start-up
    script = (
        "import sys; from PIL import Image; from painterly import StyleConfig, stylize\n"
        "stylize(Image.new('RGB', (32, 24), 'gray'), Image.new('RGB', (32, 32), 'blue'),"
        " StyleConfig(size=32, iterations=2, precision='float32'))\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def _run(iterations: int, keep_last: bool, lr: float = 0.5):
    generator = torch.Generator().manual_seed(1)
    target = torch.rand(1, 3, 8, 8, generator=generator)

    def objective(image: torch.Tensor) -> dict[str, torch.Tensor]:
        loss = (image - target).pow(2).sum() + image.pow(4).sum()
        return {"total": loss}

    start = torch.zeros(1, 3, 8, 8)
    return optimize.run(
        start, objective, optimizer="lbfgs", lr=lr, iterations=iterations, render=lambda x: x, keep_last=keep_last
    )


def test_keep_last_makes_with_n_passes_the_picture_n_plus_one_made():
    # A video frame's short run (engine.temporal): its last step's image is kept, not dropped unmeasured, so three
    # passes give what four gave when every step improved on the last.
    four, four_losses = _run(4, keep_last=False)
    three, three_losses = _run(3, keep_last=True)
    torch.testing.assert_close(three, four, rtol=0, atol=0)
    dropped, _ = _run(3, keep_last=False)
    assert not torch.equal(dropped, three)  # without it, three passes stop a step short
    assert three_losses["total"] > four_losses["total"]  # the losses are those of the last image measured


def test_keep_last_keeps_the_best_when_the_last_step_did_not_improve():
    # lr 3 overshoots: the measured losses rise, so the last (unmeasured) step is not trusted either
    best, _ = _run(4, keep_last=False, lr=3.0)
    kept, _ = _run(4, keep_last=True, lr=3.0)
    torch.testing.assert_close(kept, best, rtol=0, atol=0)
