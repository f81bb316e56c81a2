"""Put images side by side at one height, for the README and docs/: python scripts/side_by_side.py OUT IMG..."""

import sys

from PIL import Image


def side_by_side(paths: list[str], height: int = 384, gap: int = 8) -> Image.Image:
    images = [Image.open(p).convert("RGB") for p in paths]
    images = [im.resize((round(im.width * height / im.height), height), Image.Resampling.LANCZOS) for im in images]
    sheet = Image.new("RGB", (sum(im.width for im in images) + gap * (len(images) - 1), height), "white")
    x = 0
    for im in images:
        sheet.paste(im, (x, 0))
        x += im.width + gap
    return sheet


if __name__ == "__main__":
    side_by_side(sys.argv[2:]).save(sys.argv[1], quality=90)
