"""The test clip for `painterly video`, made deterministically from a shared photo (no downloaded footage):
a camera that pans and zooms over Tübingen while a ball crosses the scene in front of it, with a sine tone.

    .venv/bin/python benchmarks/make_clip.py            # -> benchmarks/out/clip.mp4 (48 frames, 512x288, 24 fps)
    .venv/bin/python benchmarks/make_clip.py --variants # also rotated.mp4, odd.mp4, vfr.mp4 (small, as in tests)
    .venv/bin/python benchmarks/make_clip.py --shaken -o benchmarks/out/shaken.mp4  # the second clip

The pan, the zoom and the crossing ball give the optical flow what real footage has: global motion, scale change,
and an object that occludes and then disoccludes the background. `write_clip` is also what tests/test_video.py
uses to make its tiny clips (rotation metadata, odd sizes, variable frame rate), so they are made the same way.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
PHOTO = ROOT.parent / "shared" / "images" / "tubingen.jpg"
SHAKEN_PHOTO = ROOT / "benchmarks" / "images" / "bridge.jpg"  # a second scene, not the first clip's
OUT = ROOT / "benchmarks" / "out"
SAMPLE_RATE = 44100


def scene(photo: Image.Image, frames: int, size: tuple[int, int]) -> list[np.ndarray]:
    """`frames` RGB frames of `size`: a crop that pans left to right and zooms in by 25 %, with a dark-red ball
    crossing from the left edge to the right, lower in the picture (sub-pixel motion, antialiased)."""
    width, height = size
    pw, ph = photo.size
    out = []
    for i in range(frames):
        t = i / max(1, frames - 1)
        zoom = 1.0 + 0.25 * t  # crop shrinks: the camera zooms in
        crop_h = ph * 0.8 / zoom
        crop_w = min(pw, crop_h * width / height)
        crop_h = crop_w * height / width
        left = (pw - crop_w) * (0.1 + 0.6 * t)
        top = (ph - crop_h) * (0.5 - 0.2 * t)
        frame = photo.transform(
            size, Image.Transform.EXTENT, (left, top, left + crop_w, top + crop_h), Image.Resampling.BICUBIC
        )
        # The ball, drawn at 4x and reduced, so it moves smoothly rather than a whole pixel at a time.
        big = frame.resize((width * 4, height * 4), Image.Resampling.NEAREST)
        radius = 0.12 * height * 4
        cx = (-0.1 + 1.2 * t) * width * 4
        cy = (0.7 - 0.15 * math.sin(math.pi * t)) * height * 4
        ImageDraw.Draw(big).ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=(150, 20, 30))
        frame = Image.composite(big.resize(size, Image.Resampling.BOX), frame, _ball_mask(size, cx, cy, radius))
        out.append(np.asarray(frame.convert("RGB")))
    return out


def shaken_scene(photo: Image.Image, frames: int, size: tuple[int, int], seed: int = 0) -> list[np.ndarray]:
    """`frames` RGB frames of `size` with a different motion from `scene`'s: a hand-held camera (a smooth seeded
    random walk of a few per cent of the frame, a slight roll and breathing zoom) drifting right, while a dark-blue
    van crosses from right to left in front of it, occluding and disoccluding the scene behind it."""
    width, height = size
    pw, ph = photo.size
    generator = np.random.default_rng(seed)
    steps = generator.normal(0, 1, (frames, 4))
    walk = np.cumsum(steps, axis=0) * 0.25  # a random walk; its slow part is the drift of a held camera
    walk -= walk.mean(axis=0)
    out = []
    for i in range(frames):
        t = i / max(1, frames - 1)
        crop_h = ph * 0.7 * (1 + 0.02 * walk[i, 2] / 3)
        crop_w = crop_h * width / height
        cx = pw / 2 + (t - 0.5) * (pw - crop_w) * 0.5 + walk[i, 0] * 0.01 * crop_w
        cy = ph / 2 + walk[i, 1] * 0.01 * crop_h
        angle = math.radians(0.6 * walk[i, 3])
        cos, sin = math.cos(angle), math.sin(angle)
        # an affine map from output pixels to photo pixels: scale, roll about the centre, then move there
        sx, sy = crop_w / width, crop_h / height
        a, b = cos * sx, -sin * sy
        d, e = sin * sx, cos * sy
        c = cx - a * width / 2 - b * height / 2
        f = cy - d * width / 2 - e * height / 2
        frame = photo.transform(size, Image.Transform.AFFINE, (a, b, c, d, e, f), Image.Resampling.BICUBIC)
        big = frame.resize((width * 4, height * 4), Image.Resampling.NEAREST)
        mask = Image.new("L", big.size, 0)
        van_w, van_h = 0.3 * width * 4, 0.2 * height * 4
        left = (1.05 - 1.4 * t) * width * 4
        top = 0.62 * height * 4
        for draw, fill in ((ImageDraw.Draw(big), (25, 40, 110)), (ImageDraw.Draw(mask), 255)):
            draw.rounded_rectangle((left, top, left + van_w, top + van_h), radius=van_h * 0.2, fill=fill)
            draw.rounded_rectangle(
                (left + van_w * 0.05, top - van_h * 0.45, left + van_w * 0.55, top + 2), radius=van_h * 0.2, fill=fill
            )
        draw = ImageDraw.Draw(big)
        for wheel in (left + van_w * 0.2, left + van_w * 0.8):
            r = van_h * 0.28
            draw.ellipse((wheel - r, top + van_h - r, wheel + r, top + van_h + r), fill=(15, 15, 15))
            ImageDraw.Draw(mask).ellipse((wheel - r, top + van_h - r, wheel + r, top + van_h + r), fill=255)
        draw.rectangle((left + van_w * 0.12, top - van_h * 0.35, left + van_w * 0.45, top - 4), fill=(160, 190, 210))
        frame = Image.composite(big.resize(size, Image.Resampling.BOX), frame, mask.resize(size, Image.Resampling.BOX))
        out.append(np.asarray(frame.convert("RGB")))
    return out


def _ball_mask(size: tuple[int, int], cx: float, cy: float, radius: float) -> Image.Image:
    """Where the ball is (antialiased), so the photo keeps its own sharp pixels elsewhere."""
    big = Image.new("L", (size[0] * 4, size[1] * 4), 0)
    ImageDraw.Draw(big).ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=255)
    return big.resize(size, Image.Resampling.BOX)


def write_clip(
    path: Path,
    frames: Sequence[np.ndarray],
    fps: Fraction = Fraction(24),
    *,
    rotation: int = 0,
    times: Sequence[float] | None = None,
    audio: bool = True,
    tone: float = 440.0,
) -> Path:
    """Encode `frames` (upright RGB arrays, even or odd size) as H.264 in MP4 with an AAC sine tone as long as
    the video. `rotation` stores each frame turned by -rotation degrees with a display matrix of +rotation
    (counter-clockwise), as a phone does: a player that honours the matrix shows the frames upright.
    `times` (seconds, increasing) gives each frame its own timestamp: a variable-frame-rate clip."""
    fps = Fraction(fps)
    time_base = Fraction(1, 1000) if times is not None else 1 / fps
    stamps = [round(Fraction(t) / time_base) for t in times] if times is not None else list(range(len(frames)))
    stored = [np.ascontiguousarray(np.rot90(f, -rotation // 90)) for f in frames]
    height, width = stored[0].shape[:2]
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        # Odd sizes are stored as yuv444p, which libx264 accepts at any size; the reader must cope either way.
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p" if width % 2 == 0 and height % 2 == 0 else "yuv444p"
        stream.codec_context.time_base = time_base
        stream.codec_context.options = {"crf": "16", "preset": "medium", "threads": "1"}  # one thread: same bytes
        if rotation:
            stream.set_display_rotation(rotation)
        sound = None
        if audio:
            sound = container.add_stream("aac", rate=SAMPLE_RATE)
            sound.layout = "mono"
        for image, pts in zip(stored, stamps):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = pts, time_base
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
        if sound is not None:
            last = stamps[-1] * time_base + (Fraction(1) / fps)
            samples = int(last * SAMPLE_RATE)
            for offset in range(0, samples, 1024):
                n = min(1024, samples - offset)
                t = np.arange(offset, offset + n) / SAMPLE_RATE
                wave = (0.3 * np.sin(2 * np.pi * tone * t)).astype(np.float32)[None]
                chunk = av.AudioFrame.from_ndarray(wave, format="fltp", layout="mono")
                chunk.sample_rate, chunk.pts = SAMPLE_RATE, offset
                container.mux(sound.encode(chunk))
            container.mux(sound.encode())
    return path


def arrow(size: tuple[int, int]) -> np.ndarray:
    """An asymmetric test picture (white top-left block, red bar along the bottom) whose orientation a test can
    read back even after painting: no rotation or flip of it looks like itself."""
    width, height = size
    image = Image.new("RGB", size, (40, 40, 40))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width // 2 - 1, height // 2 - 1), fill=(255, 255, 255))
    draw.rectangle((0, height - height // 5, width - 1, height - 1), fill=(220, 0, 0))
    return np.asarray(image)


def make_variants(folder: Path) -> list[Path]:
    """Small clips that exercise the reader: rotated (display matrix 90), odd size, variable frame rate."""
    photo = Image.open(PHOTO).convert("RGB")
    folder.mkdir(parents=True, exist_ok=True)
    upright = [arrow((48, 64))] * 6  # portrait, stored landscape
    rotated = write_clip(folder / "rotated.mp4", upright, rotation=90)
    odd = write_clip(folder / "odd.mp4", scene(photo, 6, (67, 45)))
    times = [0.0, 0.04, 0.12, 0.16, 0.30, 0.34]
    vfr = write_clip(folder / "vfr.mp4", scene(photo, 6, (64, 36)), Fraction(25), times=times)
    return [rotated, odd, vfr]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--size", default="512x288", help="WIDTHxHEIGHT")
    parser.add_argument("--fps", type=Fraction, default=Fraction(24))
    parser.add_argument("-o", "--output", type=Path, default=OUT / "clip.mp4")
    parser.add_argument("--variants", action="store_true", help="also write the small test variants beside it")
    parser.add_argument(
        "--shaken", action="store_true", help="the second clip: a hand-held camera and a van crossing (bridge.jpg)"
    )
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    make = shaken_scene if args.shaken else scene
    photo = Image.open(SHAKEN_PHOTO if args.shaken else PHOTO).convert("RGB")
    write_clip(args.output, make(photo, args.frames, (width, height)), args.fps)
    print(f"wrote {args.output} ({args.frames} frames, {width}x{height}, {args.fps} fps, 440 Hz tone)")
    if args.variants:
        for path in make_variants(args.output.parent):
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
