"""Engine reuse: 8 photos x 1 painting at 256 px, painted by one Painter against 8 separate `stylize` calls, and
against 8 separate `painterly` commands (what a command-line user paid before `painterly batch`: each command
starts Python and torch, decodes the weights, builds the network and measures the painting again).

Paired, on purpose: the machine this project is built on is shared with other work, and its load moves the time
of a painting by a factor of two from one minute to the next. So each photo is painted by all three arms one after
another (in a rotating order), and the saving is read from the per-photo differences, which that drift cancels.
Besides, what reuse saves is measured directly, as the best of 5 repeats: building a Painter (network and
painting) and measuring the painting's Gram matrices at each size of the schedule.

The Painter's and stylize's results must be the same bytes (the same computation; only the set-up is shared);
the script checks it.

Run: .venv/bin/python benchmarks/engine_reuse.py [--size 256] [--start-iterations N --iterations N] [--no-cli]
Prints Markdown tables for benchmarks/ENGINE_REUSE.md. Timings only; nothing here is a test.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch
from PIL import Image, ImageOps

from painterly import Painter, StyleConfig, stylize
from painterly.engine.painter import load_model
from painterly.engine.schedule import scale_sizes
from painterly.media.images import load_image, resize_longest

ROOT = Path(__file__).resolve().parents[1]
IMAGES = Path(os.environ.get("PAINTERLY_TEST_IMAGES", ROOT.parent / "shared" / "images"))
OUT = ROOT / "benchmarks" / "out" / "engine_reuse"
PHOTOS = ("tubingen", "brad_pitt", "hoovertowernight", "shipwreck")
PAINTING = IMAGES / "starry_night.jpg"
ARMS = ("paint", "stylize", "command")


def make_photos() -> list[Path]:
    """8 photos: the 4 test photos and their mirror images (real photos, each one different)."""
    folder = OUT / "photos"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in PHOTOS:
        image = Image.open(IMAGES / f"{name}.jpg").convert("RGB")
        for suffix, version in (("", image), ("_mirror", ImageOps.mirror(image))):
            path = folder / f"{name}{suffix}.png"
            if not path.exists():
                version.save(path)
            paths.append(path)
    return paths


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(work) -> tuple[float, float]:
    """(wall, CPU) seconds of work(); CPU counts this process's threads and any child process."""
    wall, cpu, child = time.perf_counter(), time.process_time(), children_cpu()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu + children_cpu() - child


def best_of(repeats: int, work) -> float:
    return min(timed(work)[0] for _ in range(repeats))


def fixed_costs(config: StyleConfig, photo: Path) -> dict[str, float]:
    """What one Painter saves each later photo: the best of 5, so the machine's load barely shows."""
    model = load_model(config)
    painter = Painter(PAINTING, config, model=model)
    sizes = scale_sizes(config, *resize_longest(load_image(photo), config.size).size)
    edges = [max(16, round(max(w, h) * config.style_scale)) for w, h in sizes]

    def grams() -> None:
        painter._grams.clear()  # measure again, as a new Painter would
        for edge in edges:
            painter.style_grams(edge)

    return {
        "network": best_of(5, lambda: load_model(config)),
        "painter without a network": best_of(5, lambda: Painter(PAINTING, config, model=model)),
        f"Gram matrices at {', '.join(map(str, edges))} px": best_of(5, grams),
        "Painter with its network (what stylize builds)": best_of(5, lambda: Painter(PAINTING, config)),
    }


def command(photo: Path, out: Path, args: argparse.Namespace) -> None:
    line = [sys.executable, "-m", "painterly", str(photo), "--style", str(PAINTING), "-o", str(out), "--overwrite"]
    line += ["--quiet", "--size", str(args.size), "--start-iterations", str(args.start_iterations)]
    line += ["--iterations", str(args.iterations)]
    subprocess.run(line, check=True, env={**os.environ, "OMP_NUM_THREADS": str(args.threads)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    defaults = StyleConfig()
    parser.add_argument("--start-iterations", type=int, default=defaults.start_iterations, help="the default's")
    parser.add_argument("--iterations", type=int, default=defaults.iterations, help="the default's")
    parser.add_argument("--threads", type=int, default=1, help="1: on a busy machine 2 stall (ENGINE_REUSE.md)")
    parser.add_argument("--no-cli", action="store_true", help="leave out the 8-commands arm")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = StyleConfig(size=args.size, start_iterations=args.start_iterations, iterations=args.iterations)
    photos = make_photos()
    arms = ARMS[:2] if args.no_cli else ARMS
    for arm in arms:
        (OUT / arm).mkdir(parents=True, exist_ok=True)
    load_start = os.getloadavg()

    built: dict[str, Painter] = {}
    setup = timed(lambda: built.update(painter=Painter(PAINTING, config, model=load_model(config))))
    painter = built["painter"]
    work = {
        "paint": lambda photo: painter.paint(photo).save(OUT / "paint" / photo.name),
        "stylize": lambda photo: stylize(photo, PAINTING, config).save(OUT / "stylize" / photo.name),
        "command": lambda photo: command(photo, OUT / "command" / photo.name, args),
    }
    seconds: dict[str, list[tuple[float, float]]] = {arm: [] for arm in arms}
    for i, photo in enumerate(photos):
        order = arms[i % len(arms) :] + arms[: i % len(arms)]  # each arm goes first as often as the others
        for arm in order:
            seconds[arm].append(timed(lambda arm=arm, photo=photo: work[arm](photo)))
        print(f"{photo.name}: " + ", ".join(f"{a} {seconds[a][-1][0]:.1f} s" for a in arms), file=sys.stderr)
    costs = fixed_costs(config, photos[0])
    load_end = os.getloadavg()
    same = all((OUT / "paint" / p.name).read_bytes() == (OUT / "stylize" / p.name).read_bytes() for p in photos)

    sizes = scale_sizes(config, *resize_longest(load_image(photos[0]), config.size).size)
    print(
        f"{len(photos)} photos x 1 painting, size {args.size} (sizes {' -> '.join(f'{w}x{h}' for w, h in sizes)} for "
        f"the first photo), {args.start_iterations} iterations at the first size then {args.iterations} per size, "
        f"torch {args.threads} threads, precision {painter.precision}; load average {load_start[0]:.1f} at the "
        f"start, {load_end[0]:.1f} at the end\n"
    )
    print("| arm | 8 photos, wall (s) | 8 photos, CPU (s) | per photo, median wall (s) | per photo, median CPU (s) |")
    print("|---|---|---|---|---|")
    names = {
        "paint": f"one Painter (built once: {setup[0]:.1f} s wall, counted in)",
        "stylize": "8 `stylize` calls",
        "command": "8 `painterly` commands",
    }
    for arm in arms:
        wall = sum(s[0] for s in seconds[arm]) + (setup[0] if arm == "paint" else 0.0)
        cpu = sum(s[1] for s in seconds[arm]) + (setup[1] if arm == "paint" else 0.0)
        median_wall = statistics.median(s[0] for s in seconds[arm])
        median_cpu = statistics.median(s[1] for s in seconds[arm])
        print(f"| {names[arm]} | {wall:.1f} | {cpu:.1f} | {median_wall:.2f} | {median_cpu:.2f} |")
    print("\n| paired difference, per photo | median wall (s) | median CPU (s) | range of wall (s) |")
    print("|---|---|---|---|")
    for arm in arms[1:]:
        walls = [s[0] - p[0] for s, p in zip(seconds[arm], seconds["paint"])]
        cpus = [s[1] - p[1] for s, p in zip(seconds[arm], seconds["paint"])]
        print(
            f"| {arm} - paint | {statistics.median(walls):+.2f} | {statistics.median(cpus):+.2f} | "
            f"{min(walls):+.1f} to {max(walls):+.1f} |"
        )
    print("\n| what a new Painter costs (best of 5) | wall (s) |")
    print("|---|---|")
    for name, value in costs.items():
        print(f"| {name} | {value:.3f} |")
    print(f"\nPainter and stylize results byte-identical: {'yes' if same else 'NO'}")
    print(f"\n```json\n{json.dumps({'setup': setup, 'seconds': seconds, 'fixed': costs})}\n```")


if __name__ == "__main__":
    main()
