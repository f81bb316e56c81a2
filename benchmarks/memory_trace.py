"""Where a large run's peak memory sits: one painterly run with its resident memory sampled every few
milliseconds, each sample put down to the engine step that was running (measuring the whole image, a tile's
forward pass, its backward pass, upsampling, rendering...).

    python benchmarks/memory_trace.py PHOTO PAINTING [--size 4096] [--iterations 1] [--threads 2]

With `--iterations 1` every size gets one iteration (each tile one visit per pass), which reaches every step
of the schedule in minutes rather than the full run's half hour; memory per step does not depend on the count.
Prints, for each step, the highest resident memory seen while it ran and the most bytes malloc had handed out
(the RSS also counts freed blocks the process keeps for reuse: painterly.engine.allocator), and the VmHWM at the end.
"""

from __future__ import annotations

import argparse
import ctypes
import functools
import os
import threading
import time
from contextlib import contextmanager

if os.environ.get("TRACE_ARENA_MAX"):  # an experiment: every thread allocates from this many arenas
    ctypes.CDLL("libc.so.6").mallopt(-8, int(os.environ["TRACE_ARENA_MAX"]))  # M_ARENA_MAX, before any thread

import torch  # noqa: E402

from painterly import StyleConfig  # noqa: E402
from painterly.engine import highres, optimize, painter  # noqa: E402
from painterly.engine.allocator import allocated_bytes, resident_bytes  # noqa: E402


def hwm_bytes() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM"))


class Trace:
    """A stack of step names, and the highest RSS sampled under each innermost name."""

    def __init__(self) -> None:
        self.stack: list[str] = ["setup"]
        self.peaks: dict[str, int] = {}
        self.live: dict[str, int] = {}
        self.done = False

    def sample(self) -> None:
        while not self.done:
            name = "/".join(self.stack[-2:])
            self.peaks[name] = max(self.peaks.get(name, 0), resident_bytes())
            self.live[name] = max(self.live.get(name, 0), allocated_bytes() or 0)
            time.sleep(0.002)

    @contextmanager
    def step(self, name: str):
        self.stack.append(name)
        try:
            yield
        finally:
            self.stack.pop()

    def wrap(self, owner, attribute: str, name: str) -> None:
        original = getattr(owner, attribute)

        @functools.wraps(original)
        def traced(*args, **kwargs):
            with self.step(name):
                return original(*args, **kwargs)

        setattr(owner, attribute, traced)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("photo")
    parser.add_argument("painting")
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--iterations", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    trace = Trace()
    trace.wrap(painter, "measure", "measure")
    trace.wrap(painter, "style_grams", "style_grams")
    trace.wrap(painter.Painter, "style_grams", "painting_grams")
    trace.wrap(painter, "to_tensor", "to_tensor")
    trace.wrap(painter, "initial_image", "initial_image")
    trace.wrap(painter.F, "interpolate", "upsample")
    trace.wrap(painter, "refine_in_tiles", "tiles")
    trace.wrap(painter, "feather", "feather")
    trace.wrap(painter, "blend", "blend")
    trace.wrap(optimize, "run", "optimize")
    trace.wrap(highres.TileObjective, "__init__", "tile_setup")
    trace.wrap(highres.TileObjective, "__call__", "forward+loss")
    trace.wrap(torch.Tensor, "backward", "backward")
    trace.wrap(torch.optim.LBFGS, "step", "lbfgs_step")
    trace.wrap(painter, "to_image", "to_image")
    sampler = threading.Thread(target=trace.sample, daemon=True)
    sampler.start()
    config = StyleConfig(size=args.size, iterations=args.iterations, start_iterations=args.iterations)
    start = time.perf_counter()
    with trace.step("paint"):
        result = painter.stylize(args.photo, args.painting, config)
    with trace.step("save"):
        result.save("/tmp/memory_trace.png")
    trace.done = True
    sampler.join()
    print(f"{args.size} px, {time.perf_counter() - start:.0f} s, VmHWM {hwm_bytes() / 2**30:.2f} GiB")
    print("| step (caller/step) | highest RSS while it ran (GiB) | most allocated while it ran (GiB) |")
    print("|---|---|---|")
    for name, peak in sorted(trace.peaks.items(), key=lambda item: -item[1]):
        print(f"| {name} | {peak / 2**30:.2f} | {trace.live[name] / 2**30:.2f} |")


if __name__ == "__main__":
    main()
