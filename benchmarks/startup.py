"""Where the time to the first iteration goes: each phase of a default run's start-up, in a fresh process per run
(docs/speed.md, "Start-up"). compare.py measures the whole of it from the command; this splits it.

    .venv/bin/python benchmarks/startup.py --runs 3

Phases, in the order a run meets them: importing torch; painterly's own imports; the Painter (the painting read,
the weights read, checked and decoded, the network built); the painting's motif map and palette; its style
targets at the first size; the first iteration (the photo read and measured, one forward and backward pass); the
first snapshot written. Seconds from the process's start (the interpreter's own start-up included), median over
the runs. Run it with nothing else on the machine: a second job doubles every figure.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGES = Path(os.environ.get("PAINTERLY_TEST_IMAGES", ROOT.parent / "shared" / "images"))
PHASES = (
    "import torch",
    "painterly imports",
    "Painter",
    "motif map and palette",
    "style targets at the first size",
    "first iteration",
    "first snapshot written",
)


def phases(content: Path, style: Path, size: int, folder: Path) -> None:
    """One run in this process, printing `phase seconds` lines (seconds since the process started)."""
    started = float(os.environ["STARTUP_T0"])
    marks = iter(PHASES)

    def mark() -> None:
        print(f"{next(marks)}\t{time.time() - started:.3f}", flush=True)

    import torch  # noqa: F401

    mark()
    from painterly import Painter, StyleConfig
    from painterly.engine.painter import painting_edge
    from painterly.engine.schedule import schedule
    from painterly.media.images import load_image, resize_longest, save_image

    mark()
    painter = Painter(style, StyleConfig(size=size))
    mark()
    painter.palette()
    mark()
    photo = load_image(content)
    first = schedule(painter.config, *resize_longest(photo, size).size)[0]
    painter.style_grams(painting_edge(painter.config, first.width, first.height))
    mark()

    def callback(progress) -> bool:
        mark()
        save_image(progress.image(), folder / "first.png", replace=True)
        mark()
        return True  # stop after the first iteration

    painter.paint(photo, callback)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", type=Path, default=IMAGES / "tubingen.jpg")
    parser.add_argument("--style", type=Path, default=IMAGES / "starry_night.jpg")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    parser.add_argument("--phases", action="store_true", help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    if args.phases:
        phases(args.content, args.style, args.size, args.out)
        return
    args.out.mkdir(parents=True, exist_ok=True)
    seen: dict[str, list[float]] = {name: [] for name in PHASES}
    for _ in range(args.runs):
        command = [sys.executable, __file__, "--phases", "--content", str(args.content), "--style", str(args.style)]
        command += ["--size", str(args.size), "--out", str(args.out)]
        env = {**os.environ, "STARTUP_T0": repr(time.time())}
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        for line in done.stdout.splitlines():
            name, seconds = line.split("\t")
            seen[name].append(float(seconds))
    previous = 0.0
    print(f"{args.size} px, {args.content.name} x {args.style.name}, median of {args.runs} runs")
    print(f"{'phase':34s} {'at (s)':>8s} {'takes (s)':>10s}")
    for name in PHASES:
        at = statistics.median(seen[name])
        print(f"{name:34s} {at:8.3f} {at - previous:10.3f}")
        previous = at


if __name__ == "__main__":
    main()
