"""Compose the quality evaluation's own test images (benchmarks/images/), deterministically, from numpy and Pillow.

Why these images: the shared images are the ones painterly's defaults were tuned on, and a default that only works
there fails users (issue 11). These add the kinds the shared set lacks, each chosen for a failure it can show:
- bridge: a city scene of straight structure and nothing round (towers with rectangular windows, a walkway,
  chains, hangers): a bent tower, or a moon in a window, is plain to see and is scored as invented structure.
- landscape: ridges, a lake with reflections, pines and a fence under an empty sky, where a pasted motif shows.
- face_close: a tight, mirrored, warmer crop of brad_pitt: a close-up portrait whose features must stay put.
- facade: a zoomed crop of tubingen's house fronts: a close-up of windows and straight lines.
- car: a red car seen from the side, filling the frame: a large textured subject the painting's strokes must cover,
  not only the wall or sky behind it.
- plant: a close-up of a potted plant's big veined leaves: another large textured subject to cover, not only the wall.
- mondrian: a flat painting of colour fields and black bars (almost no texture to transfer).
- nocturne: a dark painting with a strong motif (a big moon and a standing figure), like The Scream's figure.
- strokes: a dense, colourful field of brush strokes following a flow field, with no motif at all.
- portrait: a fauvist portrait painting in bold strokes: its face and eyes must not appear in a photo without one.

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


def chaikin(points: list[tuple[float, float]], iterations: int = 3) -> list[tuple[float, float]]:
    """A closed polygon with its corners rounded off: each pass cuts every corner at a quarter and three quarters."""
    for _ in range(iterations):
        cut = []
        for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1]):
            cut += [(0.75 * x0 + 0.25 * x1, 0.75 * y0 + 0.25 * y1), (0.25 * x0 + 0.75 * x1, 0.25 * y0 + 0.75 * y1)]
        points = cut
    return points


def polygon_mask(width: int, height: int, points: list[tuple[float, float]]) -> Array:
    """A float mask in {0, 1} of the filled polygon."""
    mask = Image.new("L", (width, height), 0)
    ImageDraw.Draw(mask).polygon(points, fill=255)
    return np.asarray(mask, dtype=np.float32) / 255


def blurred(mask: Array, radius: float) -> Array:
    """A float mask softened by a Gaussian blur of `radius` pixels."""
    image = Image.fromarray(np.clip(mask * 255, 0, 255).astype(np.uint8), "L")
    return np.asarray(image.filter(ImageFilter.GaussianBlur(radius)), dtype=np.float32) / 255


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


def car(rng: np.random.Generator) -> Image.Image:
    """A red saloon car seen from the side, filling the frame, parked on a street in front of a plain rendered wall:
    big body panels shaded like painted metal (a bright shoulder line, the horizon mirrored along the doors, the
    wall's blotches in the lacquer), windows, two wheels with tyres and five-spoke rims, head and tail lights.
    No face, and nothing round but the wheels."""
    s = 2
    w, h = 1024 * s, 683 * s
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    u, v = xx / w, yy / h

    # The street: a rendered wall with a dark plinth, a paved footway, the kerb, then asphalt.
    plinth_y, pave_y, kerb_y, road_y, ground_y = 0.56, 0.60, 0.69, 0.715, 0.905
    array = vertical_gradient(h, w, (214, 204, 186), (186, 176, 158))
    array *= (0.86 + 0.2 * fbm(rng, h, w, base=3, octaves=7))[..., None] * (1.06 - 0.12 * u)[..., None]
    grit = fbm(rng, h, w, base=40, octaves=3)
    plinth = (v >= plinth_y) & (v < pave_y)
    array[plinth] = np.array([120, 116, 110], np.float32) * (0.9 + 0.2 * grit[plinth])[:, None]
    pave = (v >= pave_y) & (v < kerb_y)
    array[pave] = np.array([170, 166, 158], np.float32) * (0.88 + 0.2 * grit[pave])[:, None]
    kerb = (v >= kerb_y) & (v < road_y)
    array[kerb] = np.where((v[kerb] < kerb_y + 0.008)[:, None], (204, 200, 192), (120, 118, 114))
    road = v >= road_y
    tar = 0.8 + 0.3 * grit[road] + rng.normal(0, 0.06, int(road.sum()))
    array[road] = np.array([84, 84, 88], np.float32) * tar[:, None] * (0.85 + 0.25 * v[road])[:, None]
    image = to_image(array)
    draw = ImageDraw.Draw(image)
    for jx in range(-40 * s, w, 150 * s):  # paving joints, splayed in perspective
        draw.line([(jx, pave_y * h), (jx - 30 * s, kerb_y * h)], fill=(132, 128, 122), width=2 * s)
    draw.line([(0, (pave_y + 0.045) * h), (w, (pave_y + 0.045) * h)], fill=(140, 136, 130), width=2 * s)
    array = to_array(image)

    # The body: one smoothed outline, front to the left.
    outline = [(0.055, 0.85), (0.034, 0.80), (0.028, 0.70), (0.038, 0.625), (0.075, 0.59), (0.20, 0.565),
               (0.335, 0.54), (0.43, 0.375), (0.47, 0.335), (0.56, 0.305), (0.68, 0.305), (0.77, 0.34),
               (0.87, 0.505), (0.935, 0.52), (0.968, 0.545), (0.972, 0.63), (0.966, 0.79), (0.948, 0.85)]  # fmt: skip
    body = polygon_mask(w, h, chaikin([(x * w, y * h) for x, y in outline], 3))
    radius = 0.068 * w
    wheels = [(0.205 * w, ground_y * h - radius), (0.79 * w, ground_y * h - radius)]

    # A soft shadow on the road under the car, darkest where the tyres stand.
    shade = polygon_mask(w, h, [(0.07 * w, 0.86 * h), (0.95 * w, 0.86 * h), (0.97 * w, 0.92 * h), (0.05 * w, 0.92 * h)])
    for cx, _ in wheels:
        under = [(cx - radius, 0.89 * h), (cx + radius, 0.89 * h), (cx + radius, 0.91 * h), (cx - radius, 0.91 * h)]
        shade = np.maximum(shade, 1.4 * polygon_mask(w, h, under))
    array *= (1 - 0.55 * np.clip(blurred(shade, 14 * s), 0, 1))[..., None]

    # Painted metal: lit from the sky above, a highlight along the shoulder, the horizon mirrored along the doors.
    paint = np.array([168, 22, 30], np.float32)
    wobble = 0.012 * (fbm(rng, h, w, base=2, octaves=4, aspect=6.0) - 0.5)
    horizon = 0.675 + wobble
    tone = np.where(v < 0.56, 1.25, 1.06 - 2.0 * (v - 0.585))
    tone = np.where(v > horizon, 0.52 - 0.9 * (v - horizon), tone)
    tone = tone + 0.25 * np.exp(-(((v - horizon - 0.03) / 0.006) ** 2))  # the mirrored kerb
    tone = tone - 0.35 * np.exp(-(((v - 0.765) / 0.004) ** 2)) + 0.25 * np.exp(-(((v - 0.772) / 0.004) ** 2))
    tone *= 1.12 - 0.25 * u
    blotches = np.clip((fbm(rng, h, w, base=3, octaves=5, aspect=5.0) - 0.5) * 3, 0, 1) * (v < horizon)
    gloss = 0.9 * np.exp(-(((v - 0.585) / 0.006) ** 2)) + 0.4 * blotches + 0.3 * (v < 0.56) * (0.56 - v) / 0.25
    metal = paint * tone[..., None] + 255 * np.clip(gloss, 0, 1)[..., None] * np.array([0.95, 0.97, 1.0])
    array = array * (1 - body[..., None]) + metal * body[..., None]

    # Wheel arches: the dark inside, where the body is cut away round each wheel.
    for cx, cy in wheels:
        arch = ((xx - cx) ** 2 + (yy - cy) ** 2 < (1.13 * radius) ** 2) * body
        array = np.where(arch[..., None] > 0, np.array([20, 20, 22], np.float32) * (0.6 + 0.6 * v[..., None]), array)
        lip = (np.abs(np.hypot(xx - cx, yy - cy) - 1.15 * radius) < 3 * s) * body
        array = np.where(lip[..., None] > 0, paint * 0.45, array)
    image = to_image(array)
    draw = ImageDraw.Draw(image)

    def at(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
        return [(x * w, y * h) for x, y in points]

    # Windows: dark glass under chrome trim, split by a black pillar, with the sky in streaks.
    glass = chaikin(at([(0.357, 0.535), (0.447, 0.383), (0.482, 0.35), (0.56, 0.33), (0.672, 0.33),
                        (0.742, 0.352), (0.848, 0.512)]), 2)  # fmt: skip
    draw.polygon(glass, fill=(206, 208, 212))
    inner = polygon_mask(w, h, glass)
    inner = blurred(inner, 3 * s) > 0.98
    array = to_array(image)
    streak = (((xx * 0.7 + yy) / (60 * s)) % 1.0 < 0.28) * np.clip(1.3 - 2.2 * (v - 0.33) / 0.2, 0, 1)
    sky = np.array([34, 40, 50], np.float32) + np.array([120, 130, 146]) * (np.clip(0.55 - v, 0, 1) / 0.2)[..., None]
    sky = sky * (1 + 0.7 * streak[..., None] * (0.6 + 0.4 * fbm(rng, h, w, base=4, octaves=3))[..., None])
    array = np.where(inner[..., None], np.minimum(sky, 255), array)
    image = to_image(array)
    draw = ImageDraw.Draw(image)
    draw.polygon(at([(0.588, 0.33), (0.607, 0.33), (0.602, 0.53), (0.583, 0.531)]), fill=(22, 22, 26))
    draw.polygon(at([(0.748, 0.35), (0.758, 0.355), (0.762, 0.522), (0.752, 0.523)]), fill=(22, 22, 26))

    seam, dark = (70, 8, 12), (44, 6, 10)
    for line in ([(0.342, 0.555), (0.337, 0.83)], [(0.598, 0.545), (0.598, 0.845)], [(0.752, 0.53), (0.73, 0.72)]):
        draw.line(at(line), fill=seam, width=2 * s)
    for x0 in (0.475, 0.668):  # door handles: a recess with a chrome grip
        draw.rectangle(at([(x0, 0.602), (x0 + 0.05, 0.622)]), fill=dark)
        draw.rectangle(at([(x0 + 0.004, 0.604), (x0 + 0.046, 0.614)]), fill=(214, 214, 218))
    draw.rectangle(at([(0.855, 0.585), (0.885, 0.62)]), outline=seam, width=2 * s)  # fuel flap
    draw.polygon(at([(0.36, 0.535), (0.40, 0.505), (0.415, 0.51), (0.41, 0.55), (0.365, 0.555)]),
                 fill=(128, 16, 24), outline=dark)  # fmt: skip  # door mirror
    draw.rectangle(at([(0.29, 0.81), (0.71, 0.85)]), fill=(30, 30, 32))  # black sill
    # Lights and bumpers: a swept headlamp, an amber indicator, a grille slot and a red tail lamp.
    draw.polygon(at([(0.036, 0.63), (0.075, 0.603), (0.145, 0.592), (0.15, 0.61), (0.085, 0.635), (0.04, 0.655)]),
                 fill=(226, 232, 238), outline=(70, 74, 80))  # fmt: skip
    draw.polygon(at([(0.06, 0.622), (0.13, 0.601), (0.135, 0.608), (0.07, 0.632)]), fill=(255, 255, 250))
    draw.polygon(at([(0.035, 0.64), (0.05, 0.632), (0.05, 0.655), (0.038, 0.66)]), fill=(240, 150, 40))
    draw.polygon(at([(0.033, 0.735), (0.11, 0.735), (0.115, 0.775), (0.04, 0.785)]), fill=(26, 26, 28))
    for gy in (0.748, 0.762):
        draw.line(at([(0.036, gy), (0.112, gy)]), fill=(70, 70, 74), width=s)
    draw.polygon(at([(0.92, 0.548), (0.966, 0.555), (0.968, 0.605), (0.93, 0.598)]),
                 fill=(196, 26, 30), outline=(60, 10, 12))  # fmt: skip
    draw.line(at([(0.925, 0.567), (0.966, 0.572)]), fill=(255, 120, 110), width=2 * s)
    draw.line(at([(0.03, 0.79), (0.12, 0.80)]), fill=dark, width=2 * s)
    draw.line(at([(0.88, 0.80), (0.965, 0.785)]), fill=dark, width=2 * s)

    # Wheels: a black tyre with a lighter sidewall, a five-spoke silver rim over a dark disc, a hub with bolts.
    array = to_array(image)
    for k, (cx, cy) in enumerate(wheels):
        rho = np.hypot(xx - cx, yy - cy) / radius
        theta = np.arctan2(yy - cy, xx - cx) + 0.4 * k
        tyre = np.array([30, 30, 33], np.float32) * (1 + 0.5 * np.exp(-(((rho - 0.82) / 0.06) ** 2)))[..., None]
        spoke = np.abs(((theta * 5 / (2 * math.pi)) % 1.0) - 0.5) * 2 * math.pi / 5 * rho < 0.09 + 0.04 * (0.6 - rho)
        silver = np.array([196, 200, 206], np.float32) * (1.05 - 0.35 * rho)[..., None]
        silver += (40 * np.cos(theta - 0.4 * k + 2.3))[..., None]
        disc = np.array([58, 58, 62], np.float32) * (1 + 0.3 * np.cos(theta * 24))[..., None] * (rho < 0.5)[..., None]
        rim = np.where(((rho > 0.56) | (rho < 0.17) | spoke)[..., None], silver, disc + 18)
        bolts = np.zeros_like(rho, bool)
        for b in range(5):
            a = b * 2 * math.pi / 5 - 0.4 * k
            bolts |= (
                np.hypot(xx - cx - 0.1 * radius * math.cos(a), yy - cy - 0.1 * radius * math.sin(a)) < 0.025 * radius
            )
        rim = np.where(bolts[..., None], 60, rim)
        wheel = np.where((rho < 0.62)[..., None], rim, tyre)
        wheel = np.where(((rho > 0.6) & (rho < 0.64))[..., None], 120, wheel)  # the rim's lip
        array = np.where((rho < 1)[..., None], wheel, array)
    image = to_image(array).resize((w // s, h // s), Image.Resampling.LANCZOS)
    return photographic(image, rng)


def plant(rng: np.random.Generator) -> Image.Image:
    """A close-up of a big potted rubber plant on a wooden sideboard against a plain wall: a dozen broad glossy
    leaves, overlapping and casting soft shadows, each with a pale midrib and side veins, in a terracotta pot."""
    s = 2
    w, h = 820 * s, 1024 * s
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    u, v = xx / w, yy / h

    # A plain wall lit from the upper left, a sideboard's top and front in wood.
    array = vertical_gradient(h, w, (222, 216, 200), (196, 188, 170))
    array *= (0.92 + 0.1 * fbm(rng, h, w, base=3, octaves=6))[..., None] * (1.08 - 0.2 * u)[..., None]
    top_y, edge_y = 0.885, 0.93
    grain = fbm(rng, h, w, base=30, octaves=3, aspect=25.0)
    wood = np.array([150, 100, 62], np.float32) * (0.8 + 0.35 * grain)[..., None]
    array = np.where((v >= top_y)[..., None], wood * np.where(v >= edge_y, 0.62, 1.0)[..., None], array)
    array[(v >= edge_y) & (v < edge_y + 0.004)] = (190, 140, 96)

    pot_top, pot_bottom, cx = 0.655, 0.905, 0.5 * w
    rim = [(cx - 0.215 * w, pot_top * h), (cx + 0.215 * w, pot_top * h), (cx + 0.21 * w, (pot_top + 0.05) * h),
           (cx - 0.21 * w, (pot_top + 0.05) * h)]  # fmt: skip
    bowl = [(cx - 0.19 * w, (pot_top + 0.05) * h), (cx + 0.19 * w, (pot_top + 0.05) * h),
            (cx + 0.145 * w, pot_bottom * h), (cx - 0.145 * w, pot_bottom * h)]  # fmt: skip
    pot = np.maximum(polygon_mask(w, h, rim), polygon_mask(w, h, bowl))
    # The pot's shadow on the wall, to the right and a little down.
    shadow = np.roll(np.roll(pot, 50 * s, axis=1), 14 * s, axis=0) * (v < top_y)
    array *= (1 - 0.3 * blurred(shadow, 24 * s))[..., None]

    leaves = []  # (angle, stem length, leaf length, width share, droop, depth 0 back .. 1 front)
    for angle, stem, length, width, droop, depth in (
        (-92, 0.30, 0.29, 0.5, 0.2, 0.2), (-122, 0.26, 0.28, 0.52, 0.35, 0.1), (-62, 0.25, 0.28, 0.5, 0.35, 0.15),
        (-148, 0.17, 0.27, 0.55, 0.5, 0.35), (-32, 0.16, 0.27, 0.55, 0.5, 0.3), (-105, 0.16, 0.25, 0.52, 0.3, 0.5),
        (-78, 0.14, 0.25, 0.55, 0.3, 0.55), (-170, 0.07, 0.25, 0.5, 0.7, 0.7), (-12, 0.07, 0.24, 0.5, 0.7, 0.75),
        (-150, 0.05, 0.22, 0.55, 1.1, 0.85), (-28, 0.05, 0.22, 0.55, 1.1, 0.9), (-88, 0.05, 0.2, 0.55, 0.2, 0.95),
    ):  # fmt: skip
        leaves.append((math.radians(angle + rng.uniform(-6, 6)), stem * h, length * h, width, droop, depth))

    def leaf(array: Array, angle: float, stem: float, length: float, width: float, droop: float, depth: float) -> Array:
        # The stem: a curve up out of the soil, bending towards the leaf's direction.
        sx, sy = cx + rng.uniform(-0.05, 0.05) * w, (pot_top + 0.01) * h
        ex, ey = sx + stem * math.cos(angle) * 0.8, sy + stem * math.sin(angle)
        bend = [(sx + (ex - sx) * t**2, sy + (ey - sy) * t) for t in np.linspace(0, 1, 16)]
        image = to_image(array)
        ImageDraw.Draw(image).line(bend, fill=(74, 96, 44), width=7 * s, joint="curve")
        array = to_array(image)
        # The leaf: a midrib curving down at the tip, an ovate outline either side of it.
        n = 48
        ts = np.linspace(0, 1, n)
        curl = droop * (1 if math.cos(angle) >= 0 else -1)
        angles = angle + curl * ts**1.5
        step = length / (n - 1)
        mx = ex + np.concatenate([[0], np.cumsum(step * np.cos(angles[:-1]))])
        my = ey + np.concatenate([[0], np.cumsum(step * np.sin(angles[:-1]))])
        half = width * length / 2 * np.sin(math.pi * ts**0.72) ** 0.85
        nx, ny = -np.sin(angles), np.cos(angles)
        left = list(zip(mx + nx * half, my + ny * half))
        right = list(zip(mx - nx * half, my - ny * half))
        rib = list(zip(mx, my))
        lo_x = int(max(0, min(p[0] for p in left + right) - 60 * s))
        hi_x = int(min(w, max(p[0] for p in left + right) + 60 * s))
        lo_y = int(max(0, min(p[1] for p in left + right) - 60 * s))
        hi_y = int(min(h, max(p[1] for p in left + right) + 60 * s))
        bw, bh = hi_x - lo_x, hi_y - lo_y
        if bw <= 0 or bh <= 0:
            return array

        def local(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
            return [(x - lo_x, y - lo_y) for x, y in points]

        side_a = polygon_mask(bw, bh, local(rib + left[::-1]))
        side_b = polygon_mask(bw, bh, local(rib + right[::-1]))
        mask = np.maximum(side_a, side_b)
        crop = array[lo_y:hi_y, lo_x:hi_x]
        cast = np.roll(np.roll(mask, 16 * s, axis=1), 22 * s, axis=0)
        cast[: 22 * s] = 0
        cast[:, : 16 * s] = 0
        crop *= (1 - 0.35 * blurred(cast, 12 * s))[..., None]
        # Shading: the leaf folds along its midrib (one half lit, one in shade) and darkens towards its edges.
        lit_a = math.sin(angle) < 0 and math.cos(angle) < 0.3
        fold = np.where(side_a > 0, 1.0 if lit_a else 0.74, 0.74 if lit_a else 1.0)
        rounding = 0.72 + 0.35 * blurred(mask, width * length / 10)
        green = np.array([50, 108, 44], np.float32) * rng.uniform(0.85, 1.12) * (0.7 + 0.4 * depth)
        texture = 0.92 + 0.16 * fbm(rng, bh, bw, base=4, octaves=4)
        colour = green * (fold * rounding * texture)[..., None]
        # A glossy highlight along the lit half, and pale veins.
        marks = Image.new("L", (bw, bh), 0)
        mark = ImageDraw.Draw(marks)
        side = 1 if lit_a else -1
        k0, k1 = int(0.15 * n), int(0.8 * n)
        sheen = [(mx[i] + side * nx[i] * half[i] * 0.45 - lo_x, my[i] + side * ny[i] * half[i] * 0.45 - lo_y)
                 for i in range(k0, k1)]  # fmt: skip
        mark.line(sheen, fill=255, width=int(width * length * 0.12))
        gloss = blurred(np.asarray(marks, np.float32) / 255, 16 * s) * mask
        colour += (70 * gloss)[..., None] * np.array([0.9, 1.0, 0.8])
        veins = Image.new("L", (bw, bh), 0)
        vein = ImageDraw.Draw(veins)
        vein.line(local(rib[: n - 2]), fill=255, width=4 * s, joint="curve")
        for t in np.linspace(0.08, 0.85, 9):
            i = int(t * (n - 1))
            for sign in (1, -1):
                out = angles[i] + sign * 1.0
                path = [(mx[i], my[i])]
                for _ in range(9):
                    out -= sign * 0.05
                    reach = half[i] * 0.11
                    path.append((path[-1][0] + reach * math.cos(out), path[-1][1] + reach * math.sin(out)))
                vein.line(local(path), fill=170, width=2 * s, joint="curve")
        lines = np.asarray(veins, np.float32) / 255 * mask
        colour += (lines * 55)[..., None] * np.array([1.0, 1.0, 0.55])
        # A dark rim where leaf meets leaf.
        edge = np.clip((0.5 - blurred(mask, 1.5 * s)) * 4 + 1, 0, 1) * mask
        colour *= (0.55 + 0.45 * edge)[..., None]
        crop[...] = crop * (1 - mask[..., None]) + colour * mask[..., None]
        return array

    for entry in leaves:
        if entry[5] < 0.8:
            array = leaf(array, *entry)

    # The pot: terracotta, shaded as a cylinder lit from the upper left, its rim casting a band of shade.
    halfwidth = np.where(v < pot_top + 0.05, 0.215 * w, 0.19 * w - (0.045 * w) * (v - pot_top - 0.05) / 0.2)
    across = np.clip((xx - cx) / halfwidth, -1, 1)
    lambert = np.clip(-0.55 * across + 0.83 * np.sqrt(1 - across**2), 0, 1)
    clay = np.array([186, 96, 60], np.float32) * (0.5 + 0.55 * lambert)[..., None]
    clay *= (0.86 + 0.24 * fbm(rng, h, w, base=10, octaves=6))[..., None]
    clay *= np.where((v > pot_top + 0.05) & (v < pot_top + 0.065), 0.7, 1.0)[..., None]
    clay += (18 * np.exp(-(((across + 0.45) / 0.15) ** 2)))[..., None]
    array = array * (1 - pot[..., None]) + clay * pot[..., None]
    top = (v >= pot_top) & (v < pot_top + 0.006) & (pot > 0)
    array[top] = (214, 138, 100)

    for entry in leaves:  # the front leaves hang over the rim
        if entry[5] >= 0.8:
            array = leaf(array, *entry)
    image = to_image(array).resize((w // s, h // s), Image.Resampling.LANCZOS)
    return photographic(image, rng)


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


def portrait(rng: np.random.Generator) -> Image.Image:
    """A fauvist head and shoulders, all in visible strokes: a pink-and-ochre face split by a green shadow down the
    nose, blue-black hair parted in the middle, dark outlined eyes and brows, a red mouth, a cobalt dress with a
    white collar, before a background of vermilion, violet and green patches: the face that must not be pasted into
    a photo without one."""
    w, h = 768, 1024
    fx, fy, rx, ry = 384.0, 430.0, 150.0, 200.0  # the face: an oval
    # A flat underpainting to sample the strokes' colours from, and a map of which part is which.
    ref = Image.new("RGB", (w, h), (214, 72, 38))
    part = Image.new("L", (w, h), 0)  # 0 background, 1 dress, 2 neck, 3 hair, 4 face
    paint, label = ImageDraw.Draw(ref), ImageDraw.Draw(part)
    paint.polygon([(0.58 * w, 0), (w, 0), (w, h), (0.42 * w, h)], fill=(62, 148, 104))
    paint.polygon([(0.62 * w, 0), (w, 0), (w, 0.42 * h), (0.8 * w, 0.5 * h)], fill=(128, 70, 160))
    paint.polygon([(0, 0.55 * h), (0.2 * w, 0.5 * h), (0.3 * w, h), (0, h)], fill=(240, 180, 40))

    def oval(cx: float, cy: float, ax: float, ay: float, n: int = 60) -> list[tuple[float, float]]:
        return [(cx + ax * math.cos(t), cy + ay * math.sin(t)) for t in np.linspace(0, 2 * math.pi, n, endpoint=False)]

    dress = [(40, h), (70, 800), (170, 735), (300, 705), (468, 705), (598, 735), (698, 800), (728, h)]
    paint.polygon(dress, fill=(36, 66, 176))
    label.polygon(dress, fill=1)
    collar = [(262, 712), (384, 800), (506, 712), (540, 730), (384, 850), (228, 730)]
    paint.polygon(collar, fill=(236, 232, 214))
    label.polygon(collar, fill=1)
    neck = [(322, 560), (446, 560), (460, 720), (384, 790), (308, 720)]
    paint.polygon(neck, fill=(222, 160, 96))
    paint.polygon([(400, 560), (446, 560), (460, 720), (420, 760)], fill=(120, 150, 80))
    label.polygon(neck, fill=2)
    hair = oval(fx, fy - 60, rx + 40, ry + 10)
    paint.polygon(hair, fill=(42, 40, 104))
    label.polygon(hair, fill=3)
    for side in (-1, 1):  # hair falling past the ears to the jaw
        lock = [
            (fx + side * 120, fy - 40),
            (fx + side * 196, fy + 10),
            (fx + side * 180, fy + 140),
            (fx + side * 130, fy + 120),
        ]
        paint.polygon(lock, fill=(42, 40, 104))
        label.polygon(lock, fill=3)
    face = oval(fx, fy, rx, ry)
    paint.polygon(face, fill=(240, 166, 128))
    paint.polygon([(fx, fy - ry), (fx + rx + 5, fy - 60), (fx + rx, fy + 90), (fx, fy + ry)], fill=(232, 196, 96))
    paint.polygon(
        [(fx - 6, fy - 150), (fx + 20, fy - 150), (fx + 14, fy + 80), (fx - 10, fy + 80)], fill=(110, 170, 86)
    )
    label.polygon(face, fill=4)
    for side in (-1, 1):
        paint.ellipse([fx + side * rx - 22, fy - 30, fx + side * rx + 22, fy + 50], fill=(226, 120, 90))
    reference = to_array(ref)
    parts = np.asarray(part)

    def angle_at(x: float, y: float) -> float:
        xi, yi = int(min(w - 1, max(0, x))), int(min(h - 1, max(0, y)))
        where = parts[yi, xi]
        if where == 4:  # round the face near its edge, in slanting hatches inside
            if math.hypot((x - fx) / rx, (y - fy) / ry) < 0.62:
                return 1.2 + 0.25 * math.sin(y / 40)
            return math.atan2(ry * (x - fx) / rx, -rx * (y - fy) / ry)
        if where == 3:  # down and out from the parting
            return math.atan2(1.0, (x - fx) / 90)
        if where in (1, 2):
            return math.pi / 2 + 0.3 * math.sin(x / 60)
        return 0.9 + 0.8 * math.sin(x / 110) * math.cos(y / 90)

    image = ref.filter(ImageFilter.GaussianBlur(6))
    draw = ImageDraw.Draw(image)
    for count, (lo, hi), (short, long) in ((2600, (14, 22), (30, 70)), (6000, (8, 13), (18, 40))):
        for _ in range(count):
            x, y = rng.uniform(-10, w + 10), rng.uniform(-10, h + 10)
            colour = reference[int(min(h - 1, max(0, y))), int(min(w - 1, max(0, x)))] * rng.uniform(0.82, 1.12, 3)
            brush_stroke(draw, flow_path((x, y), angle_at, rng.uniform(short, long)),
                         tuple(int(min(255, c)) for c in colour), int(rng.uniform(lo, hi)), rng)  # fmt: skip
    # A finer pass over the head, so the features sit on a modelled face.
    for _ in range(3500):
        x, y = rng.uniform(fx - rx - 50, fx + rx + 50), rng.uniform(fy - ry - 70, fy + ry + 120)
        colour = reference[int(y), int(x)] * rng.uniform(0.85, 1.1, 3)
        brush_stroke(draw, flow_path((x, y), angle_at, rng.uniform(10, 24), step=3.0),
                     tuple(int(min(255, c)) for c in colour), int(rng.uniform(5, 8)), rng)  # fmt: skip

    def stroke(points: list[tuple[float, float]], colour: tuple[int, int, int], width: int) -> None:
        """A drawn line laid in as a few overlapping dabs, each a little off the line and thicker or thinner."""
        xs, ys = np.array(points, np.float32).T
        along = np.concatenate([[0], np.cumsum(np.hypot(np.diff(xs), np.diff(ys)))])
        at = np.linspace(0, along[-1], max(2, int(along[-1] / 5)))
        dense = list(zip(np.interp(at, along, xs), np.interp(at, along, ys)))
        start = 0
        while start < len(dense) - 1:
            end = min(len(dense), start + int(rng.integers(5, 10)))
            dx, dy = rng.normal(0, 1.2, 2)
            tone = rng.uniform(0.88, 1.1)
            dab = tuple(int(min(255, c * tone)) for c in colour)
            size = max(2, int(width * rng.uniform(0.75, 1.25)))
            brush_stroke(draw, [(x + dx, y + dy) for x, y in dense[start:end]], dab, size, rng)
            start = len(dense) if end == len(dense) else end - 2

    def arc(cx: float, cy: float, ax: float, ay: float, a0: float, a1: float) -> list[tuple[float, float]]:
        return [(cx + ax * math.cos(t), cy + ay * math.sin(t)) for t in np.linspace(a0, a1, 14)]

    ink, blue = (30, 26, 60), (40, 60, 150)
    stroke(arc(fx, fy, rx, ry, -0.15, math.pi + 0.15), blue, 11)  # the jaw and chin, outlined
    stroke(arc(fx, fy - 60, rx + 40, ry + 10, math.pi + 0.2, 2 * math.pi - 0.2), ink, 9)  # the hair's crown
    stroke([(fx, fy - 268), (fx + 4, fy - 215), (fx, fy - 185)], (240, 170, 120), 6)  # the parting
    for side in (-1, 1):
        ex, ey = fx + side * 66, fy - 20
        stroke([(ex - side * 44, ey - 48), (ex, ey - 62), (ex + side * 46, ey - 46)], ink, 10)  # brow
        white = arc(ex, ey, 38, 16, 0, 2 * math.pi)
        draw.polygon(white, fill=(238, 234, 216))
        draw.ellipse([ex - 13, ey - 14, ex + 13, ey + 14], fill=(50, 110, 96))  # iris
        draw.ellipse([ex - 6, ey - 7, ex + 6, ey + 7], fill=(14, 12, 20))  # pupil
        draw.ellipse([ex - 4 + side * 2, ey - 7, ex + 1 + side * 2, ey - 2], fill=(255, 255, 250))
        stroke(arc(ex, ey + 2, 42, 20, math.pi + 0.1, 2 * math.pi - 0.1), ink, 7)  # upper lid
        stroke(arc(ex, ey - 2, 38, 16, 0.3, math.pi - 0.3), (120, 60, 70), 3)  # lower lid
        stroke(arc(ex, ey - 8, 44, 30, math.pi + 0.4, 2 * math.pi - 0.4), (170, 90, 120), 4)  # eyelid crease
        stroke([(fx + side * 96, fy + 70), (fx + side * 80, fy + 96)], (230, 80, 80), 12)  # cheek
        stroke([(fx + side * rx - 4, fy - 20), (fx + side * (rx + 18), fy + 10), (fx + side * rx, fy + 48)], blue, 5)
    # The nose: a shadowed side along the green stripe, the tip, the nostrils.
    stroke([(fx + 14, fy - 30), (fx + 20, fy + 30), (fx + 30, fy + 74)], (60, 110, 60), 6)
    stroke([(fx - 22, fy + 84), (fx + 2, fy + 92), (fx + 26, fy + 84)], (150, 70, 60), 6)
    stroke([(fx - 20, fy + 80), (fx - 12, fy + 86)], ink, 6)
    stroke([(fx + 12, fy + 86), (fx + 22, fy + 80)], ink, 6)
    stroke([(fx - 6, fy + 56), (fx - 2, fy + 72)], (255, 214, 170), 6)
    # The mouth: a red upper and lower lip and the dark line between them.
    my = fy + 138
    draw.polygon(
        [(fx - 48, my), (fx - 18, my - 14), (fx, my - 8), (fx + 18, my - 14), (fx + 48, my)], fill=(196, 34, 46)
    )
    draw.polygon([(fx - 48, my), (fx + 48, my), (fx + 24, my + 20), (fx - 24, my + 20)], fill=(226, 72, 74))
    stroke([(fx - 50, my), (fx - 20, my + 2), (fx + 20, my + 2), (fx + 50, my)], (80, 12, 24), 5)
    for lip_y, lip in ((my - 6, (196, 34, 46)), (my + 10, (226, 72, 74))):
        for _ in range(6):
            y0 = lip_y + rng.uniform(-3, 3)
            stroke([(fx - 34 + rng.uniform(-4, 4), y0), (fx + 34 + rng.uniform(-4, 4), y0)], lip, 5)
    stroke([(fx - 16, my + 12), (fx + 14, my + 12)], (250, 140, 130), 4)
    stroke([(fx - 20, my + 40), (fx + 20, my + 40)], (200, 130, 90), 6)  # under the lip
    for side in (-1, 1):  # neck and shoulders, outlined
        stroke([(fx + side * 64, 612), (fx + side * 70, 660), (fx + side * 80, 712)], blue, 6)
        stroke(
            [(fx + side * 84, 706), (fx + side * 220, 740), (fx + side * 320, 810), (fx + side * 346, 1024)], ink, 11
        )
    array = to_array(image) + canvas_texture(rng, h, w, 4.0)
    return to_image(array).filter(ImageFilter.GaussianBlur(0.5))


# Name -> (composer, seed). The names are those quality.py uses.
COMPOSERS: dict[str, tuple[Callable[[np.random.Generator], Image.Image], int]] = {
    "bridge": (bridge, 11),
    "landscape": (landscape, 12),
    "face_close": (face_close, 13),
    "facade": (facade, 14),
    "car": (car, 15),
    "plant": (plant, 16),
    "mondrian": (mondrian, 21),
    "nocturne": (nocturne, 22),
    "strokes": (strokes, 23),
    "portrait": (portrait, 24),
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
