"""Where the system time of large images goes, and what stops it: VGG-19 forward + backward passes at one tile
size, each variant in a fresh process, reporting wall, user and system time, minor page faults and peak memory.

    python benchmarks/memory_churn.py [--size 1024] [--passes 6]

Variants: glibc's default malloc; PyTorch's THP_MEM_ALLOC_ENABLE=1 (huge-page-aligned allocations, set in the
environment before torch loads); painterly.engine.allocator.keep_freed_memory() (mallopt: no mmap for large blocks,
high trim threshold). Results go to stdout as a Markdown table (copied into benchmarks/RESULTS.md).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time

CHILD = r"""
import sys, time, torch
from painterly.engine.allocator import keep_freed_memory
from painterly.engine.vgg import VGG19Features
from painterly.engine.weights import load_weights
if sys.argv[1] == "mallopt":
    keep_freed_memory()
size, passes = int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(int(sys.argv[4]))
model = VGG19Features(load_weights(), ["conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv4_2", "conv5_1"], "max")
image = torch.rand(1, 3, size * 3 // 4, size, requires_grad=True)
precision = sys.argv[5]
for _ in range(passes):
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bfloat16"):
        features = model(image)
    sum(f.float().pow(2).mean() for f in features.values()).backward()
    image.grad = None
with open(f"/proc/self/status") as status:
    print([line.split()[1] for line in status if line.startswith("VmHWM")][0])
"""


def run(variant: str, size: int, passes: int, threads: int, precision: str) -> dict:
    env = dict(os.environ)
    env.pop("THP_MEM_ALLOC_ENABLE", None)
    if variant == "thp":
        env["THP_MEM_ALLOC_ENABLE"] = "1"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", CHILD, variant, str(size), str(passes), str(threads), precision],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "variant": variant,
        "wall": wall,
        "user": after.ru_utime - before.ru_utime,
        "sys": after.ru_stime - before.ru_stime,
        "faults": after.ru_minflt - before.ru_minflt,
        "peak_gb": int(out.split()[-1]) / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024, help="longest edge of the tile (4:3)")
    parser.add_argument("--passes", type=int, default=6)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--precision", choices=("float32", "bfloat16"), default="float32")
    parser.add_argument("--variants", default="default,thp,mallopt", help="comma-separated, from: default,thp,mallopt")
    args = parser.parse_args()
    print(f"{args.passes} passes at {args.size}x{args.size * 3 // 4}, {args.precision}, {args.threads} threads\n")
    print("| allocator | wall (s) | user (s) | system (s) | system share | minor faults | peak RSS (GB) |")
    print("|---|---|---|---|---|---|---|")
    for variant in args.variants.split(","):
        r = run(variant, args.size, args.passes, args.threads, args.precision)
        print(
            f"| {variant} | {r['wall']:.1f} | {r['user']:.1f} | {r['sys']:.1f} | {r['sys'] / r['wall']:.0%} | "
            f"{r['faults']:,} | {r['peak_gb']:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
