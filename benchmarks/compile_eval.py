"""Does `torch.compile` pay for itself? The default 512 px run, eager against compiled, compile time included.

The network (VGG19Features) is the only part worth compiling: the losses are a few matrix products. A compiled
model is traced again for every new input shape, so the default schedule (256 px, then 512 px) compiles twice.
Each run is a whole `Painter.paint` in this process with the weights already loaded, so the difference is the
compiler's cost and the compiled code's speed, nothing else. Prints figures; nothing here is a test.

Run: .venv/bin/python benchmarks/compile_eval.py [--size 512] [--precision auto]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import torch

from painterly import Painter, StyleConfig
from painterly.engine.painter import load_model

IMAGES = Path(os.environ.get("PAINTERLY_TEST_IMAGES", Path(__file__).resolve().parents[2] / "shared" / "images"))


def timed_paint(painter: Painter, photo: Path) -> tuple[float, list[tuple[int, tuple[int, int], float]]]:
    """Wall seconds of one paint, and (iteration, size, elapsed) at every iteration."""
    trace: list[tuple[int, tuple[int, int], float]] = []
    start = time.perf_counter()
    painter.paint(photo, lambda p: trace.append((p.iteration, p.size, time.perf_counter() - start)))
    return time.perf_counter() - start, trace


def per_iteration(trace: list[tuple[int, tuple[int, int], float]], size: tuple[int, int]) -> float:
    """Steady seconds per iteration at one size: from the third iteration there (the first ones compile)."""
    times = [t for _, s, t in trace if s == size][2:]
    return (times[-1] - times[0]) / (len(times) - 1)


def first_iteration(trace: list[tuple[int, tuple[int, int], float]], size: tuple[int, int]) -> float:
    """Seconds of the first iteration at a size (for a compiled model: the tracing and compiling of that shape)."""
    index = next(i for i, (_, s, _) in enumerate(trace) if s == size)
    return trace[index][2] - (trace[index - 1][2] if index else 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--mode", default="default", help="torch.compile mode (default, max-autotune-no-cudagraphs)")
    args = parser.parse_args()
    photo, painting = IMAGES / "tubingen.jpg", IMAGES / "starry_night.jpg"
    config = StyleConfig(size=args.size, precision=args.precision)
    model = load_model(config)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.size} px, precision {args.precision}")

    eager = Painter(painting, config, model=model)
    eager.style_grams(args.size)  # both painters measure the paintings before the clock starts
    eager_wall, eager_trace = timed_paint(eager, photo)
    sizes = list(dict.fromkeys(s for _, s, _ in eager_trace))
    print(f"eager:    {eager_wall:.1f} s for {len(eager_trace)} iterations")

    compiled_model = torch.compile(model, mode=args.mode, dynamic=False)
    compiled = Painter(painting, config, model=compiled_model)
    compiled_wall, compiled_trace = timed_paint(compiled, photo)
    print(f"compiled: {compiled_wall:.1f} s for {len(compiled_trace)} iterations (compiling included)")
    for size in sizes:
        e, c = per_iteration(eager_trace, size), per_iteration(compiled_trace, size)
        print(
            f"  {size[0]}x{size[1]}: eager {e:.3f} s/it, compiled {c:.3f} s/it ({e / c:.2f}x); first iteration "
            f"eager {first_iteration(eager_trace, size):.1f} s, compiled {first_iteration(compiled_trace, size):.1f} s"
        )
    again_wall, _ = timed_paint(compiled, photo)
    print(f"compiled, second photo (already compiled): {again_wall:.1f} s")
    verdict = "pays" if compiled_wall < eager_wall else "does not pay"
    print(f"verdict: torch.compile {verdict} for itself on one {args.size} px run", end=" ")
    print(f"({compiled_wall:.1f} s against {eager_wall:.1f} s)")


if __name__ == "__main__":
    main()
