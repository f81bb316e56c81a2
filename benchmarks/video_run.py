"""Paint the first frames of a clip with one checkout's code and save them with each frame's time: one row of
benchmarks/video_compare.py, run in its own process so that another checkout's code (PYTHONPATH) can be timed.

    PYTHONPATH=OTHER/src .venv/bin/python benchmarks/video_run.py CLIP --style PAINTING --size 512 --frames 12 \
        --mode default OUT_FOLDER

--mode default paints with that checkout's own video defaults (`paint_frames` with no options); fbf paints every
frame on its own (temporal weight 0: the full schedule per frame). Only what every version of painterly has is
used here. Writes OUT_FOLDER/frame_NNNNNN.png and OUT_FOLDER/times.json (seconds per frame, in order).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from PIL import Image

from painterly import Painter, StyleConfig
from painterly.engine.temporal import paint_frames
from painterly.media.video import even_size, probe, read_frames


def clip_frames(clip: Path, size: int, count: int) -> list[Image.Image]:
    """The first `count` frames of `clip`, resized as `painterly video` does for `--size size`."""
    info = probe(clip)
    width, height = even_size(info.width, info.height, size)
    frames = []
    for frame in read_frames(info):
        if len(frames) == count:
            break
        frames.append(frame.image.resize((width, height), Image.Resampling.LANCZOS))
    return frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("clip", type=Path)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--style", type=Path, required=True)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--mode", choices=("default", "fbf"), default="default")
    args = parser.parse_args()
    inputs = clip_frames(args.clip, args.size, args.frames)
    width, height = inputs[0].size
    args.folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    painter = Painter(args.style, StyleConfig(size=max(width, height)))
    options = {"temporal_weight": 0.0} if args.mode == "fbf" else {}
    times = []
    for index, image in enumerate(paint_frames(painter, inputs, **options)):
        image.save(args.folder / f"frame_{index + 1:06d}.png")
        times.append(time.perf_counter() - started)
        started = time.perf_counter()
        print(f"frame {index + 1}: {times[-1]:.1f} s", flush=True)
    (args.folder / "times.json").write_text(json.dumps({"seconds": times, "precision": painter.precision}))


if __name__ == "__main__":
    main()
