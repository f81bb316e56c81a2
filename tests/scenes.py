"""Synthetic scenes for the quality tests: made here, seeded, so a test needs nothing beside the repository."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def plastered_facade(width: int = 256, height: int = 192, grain: float = 10.0) -> tuple[Image.Image, tuple]:
    """A large house front in fine plaster grain (seeded noise, `grain` grey levels), a grid of windows, under a
    flat sky: a photographic surface whose own fine texture the content layers hold, as Tuebingen's fronts.
    Returns the picture and a box inside the front (left, top, right, bottom)."""
    generator = np.random.default_rng(0)
    image = Image.new("RGB", (width, height), (200, 215, 230))
    draw = ImageDraw.Draw(image)
    front = (16, 40, 200, 180)
    draw.rectangle(front, fill=(225, 190, 180))
    for x in range(28, 190, 34):
        for y in range(52, 170, 40):
            draw.rectangle([x, y, x + 18, y + 26], fill=(235, 235, 230))
            draw.rectangle([x + 3, y + 3, x + 15, y + 23], fill=(50, 55, 70))
            draw.line([x + 9, y + 3, x + 9, y + 23], fill=(235, 235, 230), width=1)
    draw.rectangle([0, 180, width, height], fill=(90, 80, 60))
    noise = Image.fromarray((generator.normal(0, 40, (height, width)) + 128).clip(0, 255).astype(np.uint8))
    grain_map = (np.asarray(noise.filter(ImageFilter.GaussianBlur(0.7)), dtype=np.float32) - 128) * grain / 40
    pixels = np.asarray(image, dtype=np.float32)
    left, top, right, bottom = front
    pixels[top:bottom, left:right] += grain_map[top:bottom, left:right, None]
    return Image.fromarray(pixels.clip(0, 255).astype(np.uint8)), (20, 44, 196, 176)


def painting_with_a_face(images: Path) -> Image.Image:
    """Van Gogh's swirls (no face of their own) with one drawn face in them: a motif the painting has once."""
    with Image.open(images / "starry_night_crop.png") as opened:
        painting = opened.convert("RGB").resize((256, 208), Image.Resampling.LANCZOS)
    draw = ImageDraw.Draw(painting)
    x, y, r = 150, 100, 34
    draw.ellipse([x - r, y - r * 1.25, x + r, y + r * 1.25], fill=(236, 196, 160), outline=(90, 50, 30), width=3)
    for eye in (x - 13, x + 13):
        draw.ellipse([eye - 7, y - 14, eye + 7, y - 4], fill=(255, 255, 255))
        draw.ellipse([eye - 4, y - 12, eye + 4, y - 5], fill=(30, 30, 40))
    draw.line([x, y - 4, x - 3, y + 10], fill=(120, 70, 50), width=2)
    draw.arc([x - 14, y + 8, x + 14, y + 26], 20, 160, fill=(170, 30, 40), width=4)
    return painting


def street(width: int = 320, height: int = 72, house: int = 12, seed: int = 0) -> Image.Image:
    """A long street of house fronts `house` px wide under a row of clouds, above a cobbled road: the same three
    houses (plaster colours, roofs, two rows of windows) and the same cloud repeat every 3 * `house` px, so every
    strip of that width holds what any other does, and a camera panning along it shows nothing new in kind."""
    generator = np.random.default_rng(seed)
    image = Image.new("RGB", (width, height), (170, 195, 225))
    draw = ImageDraw.Draw(image)
    period = 3 * house
    ground = round(height * 0.8)
    colours = ((226, 190, 150), (170, 200, 170), (200, 140, 130))
    tops = [round(height * share) for share in (0.3, 0.38, 0.34)]
    for x in range(-period, width + period, period):
        draw.ellipse([x + 4, 3, x + period - 4, 3 + height * 0.12], fill=(235, 238, 242))
        for i, (colour, top) in enumerate(zip(colours, tops)):
            left, right = x + i * house, x + (i + 1) * house - 1
            draw.rectangle([left, top, right, ground], fill=colour)
            draw.polygon([(left, top), ((left + right) / 2, top - 5), (right, top)], fill=(120, 50, 40))
            for row in (top + 4, top + 12):
                draw.rectangle([left + 2, row, left + house // 2, row + 4], fill=(40, 45, 60))
    cobbles = generator.normal(0, 25, (height - ground, width))
    pixels = np.asarray(image, dtype=np.float32)
    pixels[ground:] = np.array([110, 100, 90], np.float32) + cobbles[..., None]
    return Image.fromarray(pixels.clip(0, 255).astype(np.uint8)).filter(ImageFilter.SMOOTH)
