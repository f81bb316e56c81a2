"""Local parallelism for `painterly batch`: one process with torch on every core, against the same jobs split
over two processes with one torch thread each, started together (and, to tell the two effects apart, one process
with one torch thread). Decides whether a batch without --scheduler
should start worker processes (it does not, on the 2-core machine measured: see benchmarks/ENGINE_REUSE.md).

Run: .venv/bin/python benchmarks/batch_processes.py [--size 128] [--iterations 30] [--rounds 2]
Prints a Markdown table. Timings only; nothing here is a test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
IMAGES = Path(os.environ.get("PAINTERLY_TEST_IMAGES", ROOT.parent / "shared" / "images"))
OUT = ROOT / "benchmarks" / "out" / "batch_processes"
PHOTOS = ("tubingen", "brad_pitt", "hoovertowernight", "shipwreck")


def batch(photos: Path, out: Path, threads: int, args: argparse.Namespace) -> subprocess.Popen:
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "painterly", "batch", str(photos), "--style", str(IMAGES / "starry_night.jpg")]
    command += ["-o", str(out), "--size", str(args.size), "--start-size", "0", "--iterations", str(args.iterations)]
    command += ["--worker-threads", str(threads), "--quiet"]
    return subprocess.Popen(command, env={**os.environ, "OMP_NUM_THREADS": str(threads)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    halves = [OUT / "half0", OUT / "half1"]
    for i, name in enumerate(PHOTOS):
        for folder in (OUT / "all", halves[i % 2]):
            folder.mkdir(parents=True, exist_ok=True)
            Image.open(IMAGES / f"{name}.jpg").convert("RGB").save(folder / f"{name}.png")
    rows = []
    for round_ in range(args.rounds):  # alternate the arms, so a change in the machine's load hits each
        start = time.perf_counter()
        assert batch(OUT / "all", OUT / "out_one", cores, args).wait() == 0
        one = time.perf_counter() - start
        start = time.perf_counter()
        processes = [batch(half, OUT / f"out_two{i}", 1, args) for i, half in enumerate(halves)]
        assert all(p.wait() == 0 for p in processes)
        two = time.perf_counter() - start
        start = time.perf_counter()
        assert batch(OUT / "all", OUT / "out_single", 1, args).wait() == 0
        single = time.perf_counter() - start
        rows.append((round_ + 1, one, two, single))
        print(f"round {round_ + 1}: {one:.1f} s, {two:.1f} s, {single:.1f} s", file=sys.stderr)
    load = os.getloadavg()
    print(
        f"{len(PHOTOS)} photos x 1 painting, size {args.size}, {args.iterations} iterations at one size, "
        f"{cores} cores; "
        f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}\n"
    )
    print(
        f"| round | 1 process x {cores} torch threads (s) | 2 processes x 1 thread, 2 photos each (s) | "
        "1 process x 1 thread (s) | 2 processes / 1 process |"
    )
    print("|---|---|---|---|---|")
    for round_, one, two, single in rows:
        print(f"| {round_} | {one:.1f} | {two:.1f} | {single:.1f} | {two / one:.2f} |")


if __name__ == "__main__":
    main()
