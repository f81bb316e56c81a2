"""Engine reuse: 8 photos x 1 painting at 256 px, painted by one Painter against 8 separate `stylize` calls, and
against 8 separate `painterly` commands (what a command-line user paid before `painterly batch`: each command
starts Python and torch, decodes the weights and measures the painting again).

Each arm runs in a fresh process with the same torch thread count, so none inherits another's decoded weights.
The Painter and the stylize arm must give the same bytes (same computation, only the set-up is shared); the
script checks it.

Run: .venv/bin/python benchmarks/engine_reuse.py [--size 256] [--start-iterations N --iterations N] [--no-cli]
Prints a Markdown table (paste it into benchmarks/ENGINE_REUSE.md). Timings only; nothing here is a test.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGES = Path(os.environ.get("PAINTERLY_TEST_IMAGES", ROOT.parent / "shared" / "images"))
OUT = ROOT / "benchmarks" / "out" / "engine_reuse"
PHOTOS = ("tubingen", "brad_pitt", "hoovertowernight", "shipwreck")
PAINTING = IMAGES / "starry_night.jpg"


def make_photos() -> list[Path]:
    """8 photos: the 4 test photos and their mirror images (real photos, each one different)."""
    from PIL import Image, ImageOps

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


def run_arm(arm: str, args: argparse.Namespace) -> dict:
    """One arm, in this process: seconds of set-up and of each photo, wall-clock and CPU (the CPU seconds of this
    process, all threads: on a machine shared with other work they move far less than the wall-clock)."""
    import torch

    from painterly import Painter, StyleConfig, stylize
    from painterly.engine.painter import load_model

    torch.set_num_threads(args.threads)
    config = StyleConfig(size=args.size, start_iterations=args.start_iterations, iterations=args.iterations)
    photos = make_photos()
    folder = OUT / arm
    folder.mkdir(parents=True, exist_ok=True)
    seconds, cpu = [], []
    start, start_cpu = time.perf_counter(), time.process_time()
    setup = setup_cpu = 0.0
    precision = None  # each stylize builds its own Painter, which decides the same way as the one below
    if arm == "painter":
        painter = Painter(PAINTING, config, model=load_model(config))
        setup, setup_cpu = time.perf_counter() - start, time.process_time() - start_cpu
        precision = painter.precision
    for photo in photos:
        t, c = time.perf_counter(), time.process_time()
        if arm == "painter":
            painter.paint(photo).save(folder / photo.name)
        else:
            stylize(photo, PAINTING, config).save(folder / photo.name)
        seconds.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return {
        "arm": arm,
        "setup": setup,
        "setup_cpu": setup_cpu,
        "photos": seconds,
        "photos_cpu": cpu,
        "total": time.perf_counter() - start,
        "total_cpu": time.process_time() - start_cpu,
        "threads": torch.get_num_threads(),
        "precision": precision,
    }


def run_cli_arm(args: argparse.Namespace) -> dict:
    """8 `painterly` commands, one per photo, as a user ran them before batch; timed from outside."""
    photos = make_photos()
    folder = OUT / "cli"
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
    seconds, cpu = [], []
    start = time.perf_counter()
    for photo in photos:
        t, c = time.perf_counter(), _children_cpu()
        command = [sys.executable, "-m", "painterly", str(photo), "--style", str(PAINTING), "-o"]
        command += [str(folder / photo.name), "--overwrite", "--quiet", "--size", str(args.size)]
        command += ["--start-iterations", str(args.start_iterations), "--iterations", str(args.iterations)]
        subprocess.run(command, check=True, env=env)
        seconds.append(time.perf_counter() - t)
        cpu.append(_children_cpu() - c)
    total = time.perf_counter() - start
    return {"arm": "cli", "setup": 0.0, "setup_cpu": 0.0, "photos": seconds, "photos_cpu": cpu, "total": total}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--start-iterations", type=int, default=150, help="the default schedule: 150 at 128 px")
    parser.add_argument("--iterations", type=int, default=50, help="the default schedule: then 50 at 256 px")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-cli", action="store_true", help="leave out the 8-commands arm")
    parser.add_argument("--arm", choices=("painter", "stylize"), help=argparse.SUPPRESS)  # one arm, in a child
    args = parser.parse_args()
    if args.arm:
        print(json.dumps(run_arm(args.arm, args)))
        return
    make_photos()
    passed = sys.argv[1:]
    results = {}
    for arm in ("painter", "stylize"):
        t, children = time.perf_counter(), _children_cpu()
        command = [sys.executable, __file__, *passed, "--arm", arm]
        out = subprocess.run(command, capture_output=True, text=True, check=True)
        results[arm] = json.loads(out.stdout.strip().splitlines()[-1])
        results[arm]["process"] = time.perf_counter() - t
        results[arm]["process_cpu"] = _children_cpu() - children
        print(f"{arm}: {results[arm]['total']:.1f} s", file=sys.stderr)
    if not args.no_cli:
        results["cli"] = run_cli_arm(args)
        results["cli"]["process"] = results["cli"]["total"]
        results["cli"]["process_cpu"] = sum(results["cli"]["photos_cpu"])
        print(f"cli: {results['cli']['total']:.1f} s", file=sys.stderr)
    same = all(
        (OUT / "painter" / p.name).read_bytes() == (OUT / "stylize" / p.name).read_bytes() for p in make_photos()
    )
    load = os.getloadavg()
    print(
        f"{len(make_photos())} photos x 1 painting, size {args.size}, {args.start_iterations} iterations at the "
        f"first size then {args.iterations} per size, torch {results['painter']['threads']} threads, precision "
        f"{results['painter']['precision']}; load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}\n"
    )
    print(
        "| arm | whole run, wall (s) | whole run, CPU (s) | set-up, wall / CPU (s) | first photo, wall / CPU (s) | "
        "later photos, mean wall / CPU (s) |"
    )
    print("|---|---|---|---|---|---|")
    names = {
        "painter": "one Painter, 8 `paint` calls",
        "stylize": "8 `stylize` calls, one process",
        "cli": "8 `painterly` commands",
    }
    for arm, r in results.items():
        later = sum(r["photos"][1:]) / (len(r["photos"]) - 1)
        later_cpu = sum(r["photos_cpu"][1:]) / (len(r["photos_cpu"]) - 1)
        print(
            f"| {names[arm]} | {r['process']:.1f} | {r['process_cpu']:.1f} | {r['setup']:.1f} / {r['setup_cpu']:.1f} | "
            f"{r['photos'][0]:.1f} / {r['photos_cpu'][0]:.1f} | {later:.2f} / {later_cpu:.2f} |"
        )
    print(f"\n```json\n{json.dumps(results)}\n```")
    print(f"\nPainter and stylize results byte-identical: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
