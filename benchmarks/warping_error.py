"""Temporal stability of stylised videos: the warping error of Lai et al., "Learning Blind Video Temporal
Consistency" (ECCV 2018), with one flow for every method, plus each method's style score per frame.

For each pair of consecutive frames t-1, t:
  - the flow both ways and the occlusion mask M (1 = visible in both, binary) are computed on the *input* frames,
    with the thresholds of Ruder et al. (painterly.engine.temporal.occlusion_mask; OpenCV DIS flow);
  - output frame t is warped back to t-1 along the forward flow;
  - E_pair = sum M * (O_{t-1} - warp(O_t))^2 / sum M, RGB in [0, 1]. As in Lai et al.'s evaluate_WarpError.py
    (where the mask is read as a 3-channel image), the sums run over the three channels, so E_pair is the mean
    squared difference per masked pixel and channel.
E_warp is the mean of E_pair over all pairs. The input frames are resized (Lanczos) to each output's size, so the
flow is measured at the size the output was painted at. Only values from this script are comparable: a different
flow or mask gives different numbers.

The style score of a frame is quality_metrics.GramScorer's distance to the painting (mean relative Gram error over
conv1_1..conv5_1 at 256 px); lower is closer to the painting.

    .venv/bin/python benchmarks/warping_error.py INPUT.mp4 OUT_A.mp4 OUT_B.mp4 ... [--style PAINTING]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from painterly.engine.temporal import occlusion_mask, optical_flow, warp
from painterly.media.video import probe, read_frames


def pair_error(inputs: tuple[Image.Image, Image.Image], outputs: tuple[Image.Image, Image.Image]) -> float:
    """E_pair for input frames (t-1, t) and output frames (t-1, t), all of one size."""
    forward = optical_flow(*inputs)  # t-1 -> t, at the pixels of t-1
    backward = optical_flow(inputs[1], inputs[0])
    mask = occlusion_mask(forward, backward)[..., None]
    before = np.asarray(outputs[0].convert("RGB"), np.float32) / 255
    after = warp(np.asarray(outputs[1].convert("RGB"), np.float32) / 255, forward)
    masked = mask.sum() * 3
    return float((mask * (before - after) ** 2).sum() / masked) if masked else 0.0


def warping_error(inputs: Sequence[Image.Image], outputs: Sequence[Image.Image]) -> tuple[float, list[float]]:
    """E_warp of `outputs` (stylised frames) given the `inputs` they were painted from, and every E_pair."""
    if len(inputs) != len(outputs):
        raise ValueError(f"{len(inputs)} input frames but {len(outputs)} output frames")
    size = outputs[0].size
    inputs = [frame if frame.size == size else frame.resize(size, Image.Resampling.LANCZOS) for frame in inputs]
    pairs = [pair_error((inputs[t - 1], inputs[t]), (outputs[t - 1], outputs[t])) for t in range(1, len(inputs))]
    return float(np.mean(pairs)), pairs


def frames_of(path: Path) -> list[Image.Image]:
    return [frame.image for frame in read_frames(probe(path))]


def style_scores(outputs: Sequence[Image.Image], painting: Path) -> list[float]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from quality_metrics import GramScorer

    scorer = GramScorer()
    style = Image.open(painting).convert("RGB")
    return [scorer.distance(frame, style, key="painting") for frame in outputs]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="E_warp (Lai et al. 2018) of stylised videos of one input.")
    parser.add_argument("input", type=Path, help="the input video (or folder of frames) the outputs were made from")
    parser.add_argument("outputs", type=Path, nargs="+", help="stylised videos or folders of frames")
    parser.add_argument("--style", type=Path, help="the painting: also print each output's mean style score")
    args = parser.parse_args(argv)
    inputs = frames_of(args.input)
    print(f"{'video':40} {'frames':>6} {'size':>9} {'E_warp':>9}" + (f" {'style':>8}" if args.style else ""))
    sizes_done = set()
    for path in args.outputs:
        outputs = frames_of(path)
        size = outputs[0].size
        shown = f"{size[0]}x{size[1]}"
        if size not in sizes_done:  # the input's own E_warp at this size: the floor set by the flow's errors
            sizes_done.add(size)
            resized = [frame.resize(size, Image.Resampling.LANCZOS) for frame in inputs]
            error, _ = warping_error(resized, resized)
            print(f"{str(args.input) + ' (input)':40} {len(inputs):>6} {shown:>9} {error:>9.5f}")
        error, _ = warping_error(inputs, outputs)
        line = f"{str(path):40} {len(outputs):>6} {shown:>9} {error:>9.5f}"
        if args.style:
            line += f" {np.mean(style_scores(outputs, args.style)):>8.4f}"
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
