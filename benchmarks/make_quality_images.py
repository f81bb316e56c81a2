"""Compose the quality evaluation's own test images (benchmarks/images/), deterministically, from numpy and Pillow.

Why these images: the shared images are the ones painterly's defaults were tuned on, and a default that only works
there fails users (issue 11). These add the kinds the shared set lacks, each chosen for a failure it can show:
- bridge: a city scene of straight structure and nothing round (towers with rectangular windows, a walkway,
  chains, hangers): a bent tower, or a moon in a window, is plain to see and is scored as invented structure.
- landscape: ridges, a lake with reflections, pines and a fence under an empty sky, where a pasted motif shows.
- face_close: a tight, mirrored, warmer crop of brad_pitt: a close-up portrait whose features must stay put.
- facade: a zoomed crop of tubingen's house fronts: a close-up of windows and straight lines.
- mondrian: a flat painting of colour fields and black bars (almost no texture to transfer).
- nocturne: a dark painting with a strong motif (a big moon and a standing figure), like The Scream's figure.
- strokes: a dense, colourful field of brush strokes following a flow field, with no motif at all.

Every random choice comes from a seeded numpy Generator, so a rerun writes the same pictures (up to the JPEG
encoder of the installed Pillow). Run: .venv/bin/python benchmarks/make_quality_images.py [--out DIR]
"""

from __future__ import annotations

import argparse
import io
import math
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PAINTERLY_TEST_IMAGES", ROOT.parent / "shared" / "images"))
OUT = Path(__file__).resolve().parent / "images"
LONGEST = 1024
MAX_BYTES = 300_000

Array = np.ndarray


# ---------------------------------------------------------------------------------------------------- helpers


def smooth_noise(rng: np.random.Generator, height: int, width: int, cells: tuple[int, int]) -> Array:
    """Value noise in [0, 1]: a coarse random grid of `cells` (rows, columns) upsampled bicubically."""
    grid = rng.random(cells).astype(np.float32)
    up = Image.fromarray(grid, mode="F").resize((width, height), Image.Resampling.BICUBIC)
    return np.asarray(up, dtype=np.float32)


def fbm(
    rng: np.random.Generator, height: int, width: int, base: int = 3, octaves: int = 5, aspect: float = 1.0
) -> Array:
    """Fractal noise in [0, 1]: octaves of value noise, each twice as fine and half as strong.

    `aspect` > 1 stretches the features horizontally (clouds, ripples)."""
    total = np.zeros((height, width), np.float32)
    amplitude, norm = 1.0, 0.0
    for octave in range(octaves):
        rows = base * 2**octave + 1
        cols = max(2, round(rows * width / height / aspect)) + 1
        total += amplitude * smooth_noise(rng, height, width, (rows, cols))
        norm += amplitude
        amplitude /= 2
    total /= norm
    return (total - total.min()) / max(float(np.ptp(total)), 1e-6)


def ridge(rng: np.random.Generator, width: int, base: float, amplitude: float, octaves: int = 7) -> Array:
    """A mountain skyline: the height (in rows) of each column, a sum of random sines halving in size."""
    x = np.linspace(0, 1, width)
    y = np.zeros(width)
    for octave in range(octaves):
        frequency = 1.5 * 2**octave
        phase = rng.uniform(0, 2 * math.pi)
        y += amplitude / 1.9**octave * np.sin(2 * math.pi * frequency * x + phase)
    return base - y


def vertical_gradient(height: int, width: int, top: tuple, bottom: tuple, power: float = 1.0) -> Array:
    t = np.linspace(0, 1, height, dtype=np.float32)[:, None, None] ** power
    colour = (1 - t) * np.array(top, np.float32) + t * np.array(bottom, np.float32)
    return np.broadcast_to(colour, (height, width, 3)).copy()


def to_image(array: Array) -> Image.Image:
    return Image.fromarray(np.clip(array, 0, 255).round().astype(np.uint8), "RGB")


def to_array(image: Image.Image) -> Array:
    return np.asarray(image.convert("RGB"), dtype=np.float32)


def photographic(image: Image.Image, rng: np.random.Generator, blur: float = 0.6, grain: float = 2.5) -> Image.Image:
    """What a camera adds to a drawn scene: a little lens softness, sensor grain and a slight vignette."""
    array = to_array(image.filter(ImageFilter.GaussianBlur(blur)))
    h, w = array.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r2 = ((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2
    array *= (1 - 0.12 * r2)[..., None]
    array += rng.normal(0, grain, array.shape).astype(np.float32)
    return to_image(array)


def canvas_texture(rng: np.random.Generator, height: int, width: int, strength: float = 6.0) -> Array:
    """A woven canvas: fine horizontal and vertical threads plus blotchy ground, to add to a painting."""
    threads = np.sin(np.arange(width) * 2.1)[None, :] + np.sin(np.arange(height) * 1.9)[:, None]
    blotch = fbm(rng, height, width, base=4, octaves=4) - 0.5
    return (strength * (0.35 * threads + 1.5 * blotch))[..., None].astype(np.float32)


def brush_stroke(
    draw: ImageDraw.ImageDraw,
    points: list[tuple[float, float]],
    colour: tuple[int, int, int],
    width: int,
    rng: np.random.Generator,
) -> None:
    """A stroke with bristle marks: the body, then thinner lighter and darker lines along it."""
    draw.line(points, fill=colour, width=width, joint="curve")
    for shade, share in ((1.18, 0.35), (0.8, 0.25)):
        offset = rng.uniform(-width / 3, width / 3)
        c = tuple(int(min(255, v * shade)) for v in colour)
        moved = [(x + offset * 0.5, y + offset) for x, y in points]
        draw.line(moved, fill=c, width=max(1, int(width * share)), joint="curve")


def flow_path(
    start: tuple[float, float], angle_at: Callable[[float, float], float], length: float, step: float = 4.0
) -> list[tuple[float, float]]:
    """Points from `start` following the direction field `angle_at(x, y)` for about `length` pixels."""
    x, y = start
    points = [(x, y)]
    for _ in range(max(2, int(length / step))):
        a = angle_at(x, y)
        x, y = x + step * math.cos(a), y + step * math.sin(a)
        points.append((x, y))
    return points


def save_jpeg(image: Image.Image, path: Path) -> int:
    """Save at the best JPEG quality (from 92 down) that stays under MAX_BYTES; returns the byte count."""
    for quality in range(92, 40, -4):
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality, subsampling=0 if quality >= 88 else 2)
        if buffer.tell() <= MAX_BYTES:
            break
    path.write_bytes(buffer.getvalue())
    return buffer.tell()


def fit_longest(image: Image.Image, longest: int = LONGEST) -> Image.Image:
    scale = longest / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


# ---------------------------------------------------------------------------------------------------- photos


def bridge(rng: np.random.Generator) -> Image.Image:
    """A Tower-Bridge-like crossing at midday: two stone towers with rectangular windows and pointed roofs, a high
    walkway, chains and hangers down to the deck, a city skyline behind, a river with reflections. Nothing round."""
    s = 2  # drawn at twice the size, then downsampled: smooth edges
    w, h = 1024 * s, 683 * s
    sky = vertical_gradient(h, w, (62, 112, 178), (196, 214, 228), power=0.8)
    clouds = fbm(rng, h, w, base=2, octaves=6, aspect=3.0)
    cover = np.clip((clouds - 0.55) * 3.0, 0, 1)[..., None] * np.linspace(1, 0.3, h)[:, None, None]
    sky = sky * (1 - 0.8 * cover) + 245 * 0.8 * cover
    image = to_image(sky)
    draw = ImageDraw.Draw(image)
    water_y = int(0.66 * h)
    horizon = int(0.60 * h)

    # A hazy skyline on the far bank: blocks with window grids.
    x = 0
    while x < w:
        bw = int(rng.uniform(40, 140)) * s // 2
        bh = int(rng.uniform(40, 260)) * s // 2
        tone = rng.uniform(120, 170)
        base = np.array([tone * 0.92, tone * 0.98, tone * 1.08])
        draw.rectangle([x, horizon - bh, x + bw, water_y], fill=tuple(int(v) for v in base))
        draw.rectangle([x + bw - bw // 5, horizon - bh, x + bw, water_y], fill=tuple(int(v * 0.85) for v in base))
        for wy in range(horizon - bh + 8 * s, water_y - 6 * s, 11 * s):
            for wx in range(x + 5 * s, x + bw - 6 * s, 9 * s):
                lit = rng.random() < 0.5
                c = base * (1.12 if lit else 0.78)
                draw.rectangle([wx, wy, wx + 4 * s, wy + 5 * s], fill=tuple(int(min(255, v)) for v in c))
        x += bw + int(rng.uniform(0, 12)) * s

    stone = np.array([196, 178, 146])
    shadow = stone * 0.68
    towers = (int(0.31 * w), int(0.69 * w))
    tw = int(0.085 * w)
    top, roof_top, base_y = int(0.17 * h), int(0.05 * h), int(0.80 * h)
    walk_y = int(0.24 * h)
    deck_y = int(0.61 * h)

    def rgb(c: Array) -> tuple[int, int, int]:
        return tuple(int(v) for v in c)

    # Chains: from each tower's top down towards the banks and sagging between the towers (drawn as straight
    # segments: a polyline through a parabola), with vertical hangers to the deck.
    chain_top = top + int(0.05 * h)
    spans = [(-0.02 * w, towers[0] - tw / 2), (towers[0] + tw / 2, towers[1] - tw / 2), (towers[1] + tw / 2, 1.02 * w)]
    for left, right in spans:
        xs = np.linspace(left, right, 24)
        mid = (left + right) / 2
        half = (right - left) / 2
        end = deck_y - 0.02 * h  # where an outer span's chain meets the bank
        if left < 0:  # outer spans hang from their tower only, down to the bank
            ys = end + (chain_top - end) * ((xs - left) / (right - left)) ** 2
        elif right > w:
            ys = end + (chain_top - end) * ((right - xs) / (right - left)) ** 2
        else:
            ys = chain_top + (deck_y - 0.03 * h - chain_top) * (1 - ((xs - mid) / half) ** 2)
        draw.line(list(zip(xs, ys)), fill=(70, 86, 104), width=5 * s)
        for hx in np.arange(left + 14 * s, right - 8 * s, 16 * s):
            hy = np.interp(hx, xs, ys)
            draw.line([(hx, hy), (hx, deck_y)], fill=(88, 100, 116), width=max(1, s))

    # Deck: a dark girder with a light railing and posts.
    draw.rectangle([0, deck_y, w, deck_y + int(0.035 * h)], fill=(58, 66, 78))
    draw.rectangle([0, deck_y + int(0.035 * h), w, deck_y + int(0.045 * h)], fill=(36, 40, 48))
    draw.line([(0, deck_y - 7 * s), (w, deck_y - 7 * s)], fill=(214, 214, 206), width=2 * s)
    for px in range(0, w, 12 * s):
        draw.line([(px, deck_y - 7 * s), (px, deck_y)], fill=(190, 190, 184), width=max(1, s))

    # High walkway between the towers: two straight girders with a lattice of diagonals.
    wl, wr = towers[0] + tw // 2, towers[1] - tw // 2
    draw.rectangle([wl, walk_y, wr, walk_y + int(0.05 * h)], fill=(86, 104, 124))
    for k, gx in enumerate(range(wl, wr, 18 * s)):
        a, b = (walk_y, walk_y + int(0.05 * h)) if k % 2 else (walk_y + int(0.05 * h), walk_y)
        draw.line([(gx, a), (gx + 18 * s, b)], fill=(150, 166, 182), width=2 * s)
    draw.rectangle([wl, walk_y, wr, walk_y + 3 * s], fill=(40, 48, 60))
    draw.rectangle([wl, walk_y + int(0.05 * h) - 3 * s, wr, walk_y + int(0.05 * h)], fill=(40, 48, 60))

    for cx in towers:
        left, right = cx - tw // 2, cx + tw // 2
        split = cx + tw // 5
        draw.rectangle([left, top, split, base_y], fill=rgb(stone))
        draw.rectangle([split, top, right, base_y], fill=rgb(shadow))
        # Corner turrets: narrow straight shafts proud of the wall, each with its own pointed cap.
        for tx in (left - 6 * s, right - 12 * s):
            draw.rectangle([tx, top - int(0.03 * h), tx + 18 * s, base_y], fill=rgb(stone * 0.9))
            draw.polygon([(tx - 2 * s, top - int(0.03 * h)), (tx + 20 * s, top - int(0.03 * h)),
                          (tx + 9 * s, top - int(0.10 * h))], fill=(64, 72, 84))  # fmt: skip
        draw.polygon([(left + 8 * s, top), (right - 8 * s, top), (cx, roof_top)], fill=(72, 80, 94))
        draw.polygon([(cx, top), (right - 8 * s, top), (cx, roof_top)], fill=(52, 58, 70))
        # String courses and rectangular windows in two columns.
        for band in np.linspace(top + 0.06 * h, base_y - 0.04 * h, 6):
            draw.rectangle([left, band, right, band + 4 * s], fill=rgb(stone * 0.8))
        for row in range(5):
            wy = top + int(0.08 * h) + row * int(0.085 * h)
            if deck_y - 0.03 * h < wy < deck_y + 0.05 * h:
                continue
            for col in (-1, 1):
                wx = cx + col * tw // 5 - 9 * s
                draw.rectangle([wx - 3 * s, wy - 3 * s, wx + 21 * s, wy + 39 * s], fill=rgb(stone * 1.08))
                draw.rectangle([wx, wy, wx + 18 * s, wy + 36 * s], fill=(34, 38, 46))
                draw.line([(wx + 9 * s, wy), (wx + 9 * s, wy + 36 * s)], fill=rgb(stone * 0.9), width=2 * s)
                draw.line([(wx, wy + 18 * s), (wx + 18 * s, wy + 18 * s)], fill=rgb(stone * 0.9), width=2 * s)

    # The river: sky colour darkened, with the scene above mirrored, blurred and broken by ripples.
    array = to_array(image)
    depth = h - water_y
    mirror = array[water_y - 1 : water_y - 1 - depth : -1] if water_y - 1 - depth >= 0 else array[water_y - 1 :: -1]
    mirror = to_array(to_image(mirror).filter(ImageFilter.GaussianBlur(3 * s)))[:depth]
    ripples = fbm(rng, depth, w, base=6, octaves=5, aspect=12.0)
    shift = ((ripples - 0.5) * 26 * s).astype(int)
    cols = np.clip(np.arange(w)[None, :] + shift, 0, w - 1)
    mirror = mirror[np.arange(depth)[:, None], cols]
    water = vertical_gradient(depth, w, (58, 88, 104), (28, 46, 58))
    mix = 0.45 * np.linspace(1, 0.6, depth)[:, None, None]
    water = (1 - mix) * water + mix * mirror * 0.8
    water += ((ripples - 0.5) * 26)[..., None]
    array[water_y:] = water
    image = to_image(array)
    draw = ImageDraw.Draw(image)
    for cx in towers:  # the piers stand in the water, in front of their reflections
        left, right = cx - tw // 2 - 10 * s, cx + tw // 2 + 10 * s
        draw.rectangle([left, water_y, right, base_y], fill=rgb(stone * 0.74))
        draw.rectangle([cx + tw // 5, water_y, right, base_y], fill=rgb(shadow * 0.8))
        draw.rectangle([left, base_y - 6 * s, right, base_y], fill=(48, 56, 62))
    image = image.resize((w // s, h // s), Image.Resampling.LANCZOS)
    return photographic(image, rng)


def landscape(rng: np.random.Generator) -> Image.Image:
    """Mountains in three hazy ridges, a lake that mirrors them, pines on the shore and a fence in a meadow, under
    a plain sky: the empty sky is where a pasted moon would show."""
    s = 2
    w, h = 1024 * s, 683 * s
    array = vertical_gradient(h, w, (96, 142, 196), (226, 218, 200), power=0.7)
    clouds = fbm(rng, h, w, base=2, octaves=6, aspect=4.0)
    cover = np.clip((clouds - 0.62) * 3.0, 0, 1)[..., None]
    array = array * (1 - 0.6 * cover) + 250 * 0.6 * cover
    yy = np.arange(h)[:, None]
    lake_y = int(0.70 * h)
    layers = [
        (ridge(rng, w, 0.42 * h, 0.12 * h), (150, 164, 190), 0.2),
        (ridge(rng, w, 0.55 * h, 0.08 * h), (92, 118, 126), 0.25),
        (ridge(rng, w, 0.66 * h, 0.035 * h), (56, 86, 60), 0.15),
    ]
    for heights, colour, texture in layers:
        mask = yy >= heights[None, :]
        tone = fbm(rng, h, w, base=8, octaves=5)
        shade = np.array(colour, np.float32) * (1 - texture / 2 + texture * tone)[..., None]
        array = np.where(mask[..., None], shade, array)
    # The lake mirrors everything above its shore line.
    depth = h - lake_y
    mirror = array[lake_y - 1 : lake_y - 1 - depth : -1][: int(0.14 * h)]
    mirror = to_array(to_image(mirror).filter(ImageFilter.GaussianBlur(2 * s)))
    ripples = fbm(rng, mirror.shape[0], w, base=8, octaves=4, aspect=14.0)
    lake = 0.75 * mirror + 0.25 * np.array([60, 90, 110], np.float32) + ((ripples - 0.5) * 18)[..., None]
    array[lake_y : lake_y + lake.shape[0]] = lake
    meadow_y = lake_y + lake.shape[0]
    grass = fbm(rng, h - meadow_y, w, base=5, octaves=6, aspect=0.3)
    meadow = vertical_gradient(h - meadow_y, w, (110, 140, 58), (70, 104, 38)) * (0.75 + 0.5 * grass)[..., None]
    array[meadow_y:] = meadow
    image = to_image(array)
    draw = ImageDraw.Draw(image)
    # Pines along the shore and in the meadow: stacked triangles on a trunk.
    for _ in range(38):
        px = rng.uniform(0, w)
        near = rng.random() < 0.3
        py = rng.uniform(meadow_y + 0.02 * h, h * 0.97) if near else rng.uniform(lake_y - 6 * s, lake_y + 2 * s)
        size = (rng.uniform(70, 150) if near else rng.uniform(22, 50)) * s
        green = np.array([30, 62, 38]) * rng.uniform(0.8, 1.2)
        draw.rectangle([px - size * 0.04, py - size * 0.2, px + size * 0.04, py], fill=(70, 50, 34))
        for k in range(4):
            base = py - size * (0.15 + 0.2 * k)
            half = size * (0.32 - 0.06 * k)
            draw.polygon([(px - half, base), (px + half, base), (px, base - size * 0.38)],
                         fill=tuple(int(v * (1 + 0.08 * k)) for v in green))  # fmt: skip
    # A rail fence running down the meadow in perspective: straight posts and rails.
    x0, y0, x1, y1 = 0.55 * w, meadow_y + 0.03 * h, 1.0 * w, 0.98 * h
    posts = [(x0 + (x1 - x0) * t**1.6, y0 + (y1 - y0) * t**1.6, 10 + 60 * t**1.6) for t in np.linspace(0, 1, 9)]
    for (xa, ya, ha), (xb, yb, hb) in zip(posts, posts[1:]):
        for frac in (0.35, 0.75):
            rail = [(xa, ya - ha * s * frac), (xb, yb - hb * s * frac)]
            draw.line(rail, fill=(120, 92, 64), width=int(2 + hb / 14) * s)
    for x, y, height in posts:
        draw.rectangle([x - height * s / 14, y - height * s, x + height * s / 14, y], fill=(96, 72, 50))
    image = image.resize((w // s, h // s), Image.Resampling.LANCZOS)
    return photographic(image, rng)


def face_close(rng: np.random.Generator) -> Image.Image:
    """A tight crop of brad_pitt (eyes to chin), mirrored and graded warmer: a close-up portrait."""
    del rng
    with Image.open(SHARED / "brad_pitt.jpg") as source:
        crop = source.convert("RGB").crop((250, 330, 810, 1030)).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    array = to_array(fit_longest(crop))
    array = (array - 128) * 1.08 + 128
    array *= np.array([1.06, 1.0, 0.9], np.float32)
    return to_image(array).filter(ImageFilter.UnsharpMask(radius=2, percent=60, threshold=2))


def facade(rng: np.random.Generator) -> Image.Image:
    """tubingen's house fronts, zoomed: a close-up of windows, gables and straight lines."""
    with Image.open(SHARED / "tubingen.jpg") as source:
        crop = source.convert("RGB").crop((584, 180, 1024, 510))
    image = fit_longest(crop).filter(ImageFilter.UnsharpMask(radius=3, percent=80, threshold=2))
    return photographic(image, rng, blur=0.01, grain=2.0)


# ---------------------------------------------------------------------------------------------------- paintings


def mondrian(rng: np.random.Generator) -> Image.Image:
    """Colour fields split by black bars, in the manner of Mondrian: flat, with only canvas and faint brushing."""
    w = h = 1024
    cells = [(0, 0, w, h)]
    for _ in range(9):  # split the largest cells, alternating orientation by shape
        cells.sort(key=lambda c: (c[2] - c[0]) * (c[3] - c[1]))
        x0, y0, x1, y1 = cells.pop()
        if x1 - x0 >= y1 - y0:
            cut = int(rng.uniform(0.3, 0.7) * (x1 - x0)) + x0
            cells += [(x0, y0, cut, y1), (cut, y0, x1, y1)]
        else:
            cut = int(rng.uniform(0.3, 0.7) * (y1 - y0)) + y0
            cells += [(x0, y0, x1, cut), (x0, cut, x1, y1)]
    palette = [(200, 32, 30), (24, 52, 150), (246, 206, 34), (30, 30, 34)]
    colours = [(242, 238, 226)] * len(cells)
    for i, c in zip(rng.choice(len(cells), 5, replace=False), palette + [palette[0]]):
        colours[i] = c
    image = Image.new("RGB", (w, h), (242, 238, 226))
    draw = ImageDraw.Draw(image)
    for (x0, y0, x1, y1), colour in zip(cells, colours):
        draw.rectangle([x0, y0, x1, y1], fill=colour)
    bar = 18
    for x0, y0, x1, y1 in cells:
        for edge in ((x0, y0, x1, y0), (x0, y1, x1, y1), (x0, y0, x0, y1), (x1, y0, x1, y1)):
            draw.line(edge, fill=(22, 22, 24), width=bar)
    array = to_array(image)
    streaks = fbm(rng, h, w, base=10, octaves=4, aspect=0.15) - 0.5  # vertical brushing inside the fields
    array += (10 * streaks)[..., None] + canvas_texture(rng, h, w, 4.0)
    return to_image(array)


def nocturne(rng: np.random.Generator) -> Image.Image:
    """A dark night: swirling blue-black strokes round a large moon with a halo, dark hills, and a lone standing
    figure on the ridge: the motifs that must not be pasted into a photo that has none."""
    w, h = 1024, 768
    image = to_image(vertical_gradient(h, w, (12, 18, 46), (26, 36, 52)))
    draw = ImageDraw.Draw(image)
    mx, my, mr = 0.72 * w, 0.26 * h, 0.085 * w

    def angle_at(x: float, y: float) -> float:  # circles round the moon, blending into a horizontal drift
        a = math.atan2(y - my, x - mx) + math.pi / 2
        d = math.hypot(x - mx, y - my)
        wobble = 0.5 * math.sin(x / 70) * math.cos(y / 55)
        return a if d < 3.2 * mr else wobble

    for _ in range(5200):
        x, y = rng.uniform(-20, w + 20), rng.uniform(-20, 0.72 * h)
        d = math.hypot(x - mx, y - my)
        glow = max(0.0, 1 - d / (4 * mr))
        base = np.array([20, 34, 80]) * rng.uniform(0.6, 1.4) + np.array([150, 140, 60]) * glow**2
        width = int(rng.uniform(5, 11))
        brush_stroke(draw, flow_path((x, y), angle_at, rng.uniform(18, 50)), tuple(int(v) for v in base), width, rng)
    # The moon: concentric yellow strokes round a pale disc.
    for _ in range(240):
        radius = rng.uniform(0, 1.35) * mr
        a0 = rng.uniform(0, 2 * math.pi)
        arc = [(mx + radius * math.cos(a0 + t), my + radius * math.sin(a0 + t)) for t in np.linspace(0, 0.9, 8)]
        inside = radius < mr
        colour = (248, 232, 150) if inside else (214, 190, 90)
        brush_stroke(draw, arc, tuple(int(c * rng.uniform(0.85, 1.05)) for c in colour), 7 if inside else 5, rng)
    draw.ellipse([mx - 0.6 * mr, my - 0.6 * mr, mx + 0.6 * mr, my + 0.6 * mr], fill=(252, 240, 176))
    # Hills and the ground, in dark strokes along the slopes.
    hill = ridge(rng, w, 0.72 * h, 0.05 * h, octaves=4)
    for _ in range(3200):
        x = rng.uniform(0, w)
        y = rng.uniform(hill[int(min(w - 1, max(0, x)))], h + 10)
        colour = np.array([18, 30, 26]) * rng.uniform(0.6, 1.5)
        brush_stroke(draw, flow_path((x, y), lambda *_: rng.uniform(-0.3, 0.3), rng.uniform(20, 60)),
                     tuple(int(v) for v in colour), int(rng.uniform(5, 12)), rng)  # fmt: skip
    # The figure: head, shoulders, a long coat, standing on the ridge left of centre.
    fx, fy = 0.34 * w, hill[int(0.34 * w)] + 4
    body = [(fx - 26, fy), (fx - 18, fy - 120), (fx - 30, fy - 150), (fx, fy - 170),
            (fx + 30, fy - 150), (fx + 18, fy - 120), (fx + 26, fy)]  # fmt: skip
    draw.polygon(body, fill=(6, 8, 12))
    draw.ellipse([fx - 19, fy - 214, fx + 19, fy - 168], fill=(6, 8, 12))
    draw.line([(fx - 24, fy - 146), (fx - 40, fy - 86)], fill=(6, 8, 12), width=12)
    draw.line([(fx + 24, fy - 146), (fx + 36, fy - 84)], fill=(6, 8, 12), width=12)
    array = to_array(image) + canvas_texture(rng, h, w, 3.0)
    return to_image(array).filter(ImageFilter.GaussianBlur(0.6))


def strokes(rng: np.random.Generator) -> Image.Image:
    """A dense, colourful field of short thick strokes following a smooth flow field: texture with no motif."""
    w, h = 1024, 768
    image = Image.new("RGB", (w, h), (236, 200, 120))
    draw = ImageDraw.Draw(image)
    field = fbm(rng, h // 8, w // 8, base=2, octaves=3) * 2 * math.pi * 1.5
    hue_field = fbm(rng, h // 8, w // 8, base=2, octaves=3)

    def angle_at(x: float, y: float) -> float:
        return float(field[int(min(h - 1, max(0, y))) // 8, int(min(w - 1, max(0, x))) // 8])

    palette = np.array([(230, 50, 60), (250, 140, 30), (250, 215, 40), (70, 180, 80),
                        (30, 160, 190), (60, 80, 200), (170, 60, 180), (240, 110, 160)], np.float32)  # fmt: skip
    for _ in range(14000):
        x, y = rng.uniform(-10, w + 10), rng.uniform(-10, h + 10)
        local = hue_field[int(min(h - 1, max(0, y))) // 8, int(min(w - 1, max(0, x))) // 8]
        index = int(local * len(palette) + rng.normal(0, 1.1)) % len(palette)
        colour = palette[index] * rng.uniform(0.75, 1.1)
        brush_stroke(draw, flow_path((x, y), angle_at, rng.uniform(16, 44)), tuple(int(min(255, v)) for v in colour),
                     int(rng.uniform(5, 12)), rng)  # fmt: skip
    array = to_array(image) + canvas_texture(rng, h, w, 3.0)
    return to_image(array).filter(ImageFilter.GaussianBlur(0.5))


# Name -> (composer, seed). The names are those quality.py uses.
COMPOSERS: dict[str, tuple[Callable[[np.random.Generator], Image.Image], int]] = {
    "bridge": (bridge, 11),
    "landscape": (landscape, 12),
    "face_close": (face_close, 13),
    "facade": (facade, 14),
    "mondrian": (mondrian, 21),
    "nocturne": (nocturne, 22),
    "strokes": (strokes, 23),
}


def compose(name: str) -> Image.Image:
    composer, seed = COMPOSERS[name]
    return fit_longest(composer(np.random.default_rng(seed)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("names", nargs="*", help=f"only these ({', '.join(COMPOSERS)}); default all")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.names or COMPOSERS:
        image = compose(name)
        size = save_jpeg(image, args.out / f"{name}.jpg")
        print(f"{name}.jpg: {image.width}x{image.height}, {size / 1000:.0f} KB")


if __name__ == "__main__":
    main()
