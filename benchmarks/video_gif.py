"""The side-by-side animation in docs/: the input clip, the same clip painted frame by frame, and painted by
`painterly video` with temporal consistency, one frame of each per GIF frame, labelled.

    .venv/bin/python benchmarks/video_gif.py IN.mp4 FRAME_BY_FRAME.mp4 TEMPORAL.mp4 -o docs/images/video.gif
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image, ImageDraw

from painterly.media.video import probe, read_frames

LABELS = ("input", "frame by frame", "painterly video")


def side_by_side(videos: list[Path], height: int, gap: int = 4, label: int = 16) -> list[Image.Image]:
    streams = [read_frames(probe(path)) for path in videos]
    frames = []
    for row in zip(*streams):
        images = [frame.image.resize((round(frame.image.width * height / frame.image.height), height)) for frame in row]
        width = sum(image.width for image in images) + gap * (len(images) - 1)
        canvas = Image.new("RGB", (width, height + label), "white")
        draw = ImageDraw.Draw(canvas)
        x = 0
        for image, text in zip(images, LABELS):
            canvas.paste(image, (x, label))
            draw.text((x + 4, 2), text, fill="black")
            x += image.width + gap
        frames.append(canvas)
    return frames


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("videos", type=Path, nargs=3, help="input, frame by frame, temporal")
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--height", type=int, default=144)
    args = parser.parse_args()
    frames = side_by_side(args.videos, args.height)
    rate = probe(args.videos[0]).frame_rate
    # One shared palette (from the middle frame) keeps the GIF small and stops the palette itself flickering.
    palette = frames[len(frames) // 2].quantize(colors=255, method=Image.Quantize.MEDIANCUT)
    quantised = [frame.quantize(palette=palette, dither=Image.Dither.NONE) for frame in frames]
    quantised[0].save(
        args.output, save_all=True, append_images=quantised[1:], duration=round(1000 / float(rate)), loop=0
    )
    print(f"wrote {args.output} ({len(frames)} frames, {frames[0].width}x{frames[0].height})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
