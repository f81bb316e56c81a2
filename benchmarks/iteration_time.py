"""Seconds per iteration of painterly against a bare VGG-19 forward+backward at the same size.

Run: .venv/bin/python benchmarks/iteration_time.py [--size 512] [--iterations 10]
Prints figures only; nothing here is a test.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from painterly import StyleConfig, stylize
from painterly.engine.vgg import VGG19Features
from painterly.engine.weights import load_weights
from painterly.media.images import load_image, resize_longest, to_tensor

EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "painterly" / "examples"


def bare_vgg_seconds(size: int, repeats: int) -> float:
    config = StyleConfig()
    model = VGG19Features(load_weights(), config.content_layers + config.style_layers, config.pooling)
    image = to_tensor(resize_longest(load_image(EXAMPLES / "village.jpg"), size)).requires_grad_(True)

    def once() -> None:
        features = model(image)
        sum(f.pow(2).mean() for f in features.values()).backward()

    once()  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        once()
    return (time.perf_counter() - start) / repeats


def painterly_seconds(size: int, iterations: int, optimizer: str) -> float:
    times: list[float] = []
    config = StyleConfig(size=size, start_size=0, iterations=iterations + 1, optimizer=optimizer)
    stylize(EXAMPLES / "village.jpg", EXAMPLES / "swirls.jpg", config, lambda p: times.append(p.elapsed))
    return (times[-1] - times[0]) / iterations  # from the end of iteration 1: start-up excluded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--iterations", type=int, default=10)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, size {args.size}")
    bare = bare_vgg_seconds(args.size, args.iterations)
    print(f"bare VGG-19 forward+backward to conv5_1: {bare:.3f} s")
    for optimizer in ("lbfgs", "adam"):
        seconds = painterly_seconds(args.size, args.iterations, optimizer)
        print(f"painterly {optimizer} iteration: {seconds:.3f} s ({seconds / bare:.2f}x the bare pass)")


if __name__ == "__main__":
    main()
