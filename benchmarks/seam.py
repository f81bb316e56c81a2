"""The seam measure of a tiled result: the mean step between neighbouring pixels across the tile borders of its
largest size, divided by the mean step everywhere else. 1.0 means the borders cannot be told from the rest.

Run: .venv/bin/python benchmarks/seam.py OUT.png [--tile-size 1024] [--tile-overlap 64]
The tile grid is worked out from the defaults (or the options given) exactly as the run's schedule made it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from painterly import StyleConfig
from painterly.engine.schedule import schedule
from painterly.engine.tiles import spans


def borders(width: int, height: int, tile: int, overlap: int, passes: int) -> tuple[set[int], set[int]]:
    """The columns and rows where any tile of any pass begins or ends: where a seam would show."""
    columns: set[int] = set()
    rows: set[int] = set()
    for p in range(passes):
        for found, length in ((columns, width), (rows, height)):
            for start, end in spans(length, tile, overlap, p):
                found.update(x for x in (start, end) if 0 < x < length)
    return columns, rows


def seam_ratio(image: Image.Image, config: StyleConfig) -> tuple[float, int]:
    """(ratio, number of border lines) for `image` painted with `config`."""
    stage = schedule(config, *image.size)[-1]
    if not stage.tile:
        raise SystemExit(f"a {image.size[0]}x{image.size[1]} result with these settings was not refined in tiles")
    pixels = np.asarray(image.convert("RGB"), dtype=np.float32) / 255
    dx = np.abs(np.diff(pixels, axis=1)).mean(axis=(0, 2))  # dx[x - 1]: the step between columns x - 1 and x
    dy = np.abs(np.diff(pixels, axis=0)).mean(axis=(1, 2))
    columns, rows = borders(*image.size, stage.tile, stage.overlap, stage.passes)
    across = [dx[x - 1] for x in columns] + [dy[y - 1] for y in rows]
    inside = [v for i, v in enumerate(dx) if i + 1 not in columns] + [v for i, v in enumerate(dy) if i + 1 not in rows]
    return float(np.mean(across) / np.mean(inside)), len(across)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image", type=Path)
    parser.add_argument("--tile-size", type=int, default=StyleConfig.tile_size)
    parser.add_argument("--tile-overlap", type=int, default=StyleConfig.tile_overlap)
    args = parser.parse_args()
    Image.MAX_IMAGE_PIXELS = None  # our own output, 4096 px and more; set here, not on import (tests import this)
    image = Image.open(args.image)
    config = StyleConfig(size=max(image.size), tile_size=args.tile_size, tile_overlap=args.tile_overlap)
    ratio, lines = seam_ratio(image, config)
    print(f"{args.image}: {image.size[0]}x{image.size[1]}, seam ratio {ratio:.3f} over {lines} border lines")


if __name__ == "__main__":
    main()
