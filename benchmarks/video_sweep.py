"""How the temporal weight and the iterations of later frames trade flicker (E_warp) against style, on the test
clip at a small size: the measurements behind the defaults of `painterly video` (benchmarks/VIDEO.md).

Each variant paints the first FRAMES frames with one Painter (so the network and the painting's Gram matrices are
shared), through painterly.engine.temporal.paint_frames, exactly as the front-end does; then the one scorer
(benchmarks/warping_error.py) gives E_warp and the mean style score per frame.

    .venv/bin/python benchmarks/video_sweep.py --size 128 --frames 12 fbf warm w30 w100 w300 w1000 w100:i15

Variant names: fbf = frame by frame (weight 0, full schedule each frame); warm = warm start only (weight 0, later
frames start from the warped previous frame); wW = weight W; a suffix :iN sets the later frames' iterations.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np
import torch

from painterly import Painter, StyleConfig
from painterly.engine.temporal import DEFAULT_FRAME_ITERATIONS, paint_frames

sys.path.insert(0, str(Path(__file__).resolve().parent))
from video_run import clip_frames  # noqa: E402
from warping_error import style_scores, warping_error  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"


def parse_variant(name: str) -> dict:
    match = re.fullmatch(r"(fbf|warm|w[\d.e+]+)(?::i(\d+))?", name)
    if not match:
        raise SystemExit(f"unknown variant '{name}'")
    kind, iterations = match[1], int(match[2]) if match[2] else DEFAULT_FRAME_ITERATIONS
    if kind == "fbf":
        return {"temporal_weight": 0.0, "frame_iterations": iterations, "warm_start": False}
    if kind == "warm":
        return {"temporal_weight": 0.0, "frame_iterations": iterations, "warm_start": True}
    return {"temporal_weight": float(kind[1:]), "frame_iterations": iterations, "warm_start": True}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("variants", nargs="+")
    parser.add_argument("--clip", type=Path, default=OUT / "clip.mp4")
    parser.add_argument("--style", type=Path, default=ROOT.parent / "shared" / "images" / "starry_night.jpg")
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--frames", type=int, default=12)
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--results", type=Path, default=OUT / "video_sweep.json")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    inputs = clip_frames(args.clip, args.size, args.frames)
    width, height = inputs[0].size
    config = StyleConfig(size=max(width, height), precision=args.precision)
    painter = Painter(args.style, config)
    results = json.loads(args.results.read_text()) if args.results.is_file() else {}
    print(f"{args.clip.name}: {len(inputs)} frames at {width}x{height}, {painter.precision}", flush=True)
    print(f"{'variant':14} {'E_warp':>9} {'style':>8} {'s/frame':>8} {'first s':>8}", flush=True)
    for name in args.variants:
        options = parse_variant(name)
        folder = OUT / "sweep" / f"{args.size}_{name.replace(':', '_')}"
        folder.mkdir(parents=True, exist_ok=True)
        times, outputs = [], []
        start = time.perf_counter()
        for index, image in enumerate(paint_frames(painter, inputs, **options)):
            times.append(time.perf_counter() - start)
            image.save(folder / f"frame_{index + 1:06d}.png")
            outputs.append(image)
            start = time.perf_counter()
        error, pairs = warping_error(inputs, outputs)
        style = float(np.mean(style_scores(outputs, args.style)))
        later = float(np.mean(times[1:])) if len(times) > 1 else float("nan")
        key = f"{args.clip.name}@{args.size}x{len(inputs)}:{name}"
        results[key] = {**options, "E_warp": error, "style": style, "s_per_frame": later, "first_s": times[0]}
        args.results.write_text(json.dumps(results, indent=2))
        print(f"{name:14} {error:>9.5f} {style:>8.4f} {later:>8.2f} {times[0]:>8.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
