"""Where the tiles of a large image lie, and how a refined tile is blended back without a seam.

Sizes above the tile size are refined a tile at a time, so memory follows the tile, not the image. Tiles overlap,
and a tile's result is feathered in: its weight ramps linearly from 0 to 1 across the overlap, so neighbouring
tiles' weights sum to one there and no step can form at a tile's edge. The grid also moves between passes (by up
to an eighth of a cell, following the golden ratio so no shift repeats), so no border stays where the last pass
put it: the pixels at a tile's edge, which VGG sees next to zero padding, lie in a tile's middle in the next pass.
"""

from __future__ import annotations

import math

import torch

GOLDEN = (math.sqrt(5) - 1) / 2
MAX_SHIFT = 1 / 8  # of a cell: an edge tile grows by at most this when the grid moves


def cells(length: int, tile: int, overlap: int) -> int:
    """How many tiles span `length` so that none, with its overlap and the grid's shift, exceeds `tile` px."""
    if length <= tile:
        return 1
    cell = min(tile - overlap, (tile - overlap / 2) / (1 + MAX_SHIFT))  # an inner tile, an edge tile shifted
    return math.ceil(length / cell)


def grid_shift(pass_index: int) -> float:
    """The grid's offset in pass `pass_index`, as a fraction of a cell, in [-MAX_SHIFT, MAX_SHIFT)."""
    return ((pass_index * GOLDEN) % 1 - 0.5) * 2 * MAX_SHIFT


def spans(length: int, tile: int, overlap: int, pass_index: int = 0) -> list[tuple[int, int]]:
    """The [start, end) of each tile along one axis: cells cut at k * cell + shift, widened by half the overlap
    on each side that has a neighbour."""
    n = cells(length, tile, overlap)
    if n == 1:
        return [(0, length)]
    cell = length / n
    cuts = [round(k * cell + grid_shift(pass_index) * cell) for k in range(1, n)]
    starts = [0] + [c - overlap // 2 for c in cuts]
    ends = [c + overlap - overlap // 2 for c in cuts] + [length]
    return list(zip(starts, ends))


Box = tuple[int, int, int, int]  # top, bottom, left, right: image[..., top:bottom, left:right]


def boxes(width: int, height: int, tile: int, overlap: int, pass_index: int = 0) -> list[Box]:
    """Every tile of one pass, row by row."""
    rows = spans(height, tile, overlap, pass_index)
    columns = spans(width, tile, overlap, pass_index)
    return [(top, bottom, left, right) for top, bottom in rows for left, right in columns]


def ramp(start: int, end: int, length: int, overlap: int) -> torch.Tensor:
    """A tile's blend weight along one axis: 1 inside, a linear ramp across each overlap shared with a
    neighbour (pixel centres, so a pair of ramps sums to exactly one), 1 up to the image's own edge."""
    weight = torch.ones(end - start)
    steps = (torch.arange(overlap, dtype=torch.float32) + 0.5) / overlap
    width = min(overlap, end - start)
    if start > 0:
        weight[:width] = steps[:width]
    if end < length:
        weight[-width:] = torch.minimum(weight[-width:], steps.flip(0)[-width:])
    return weight


def feather(box: Box, width: int, height: int, overlap: int) -> torch.Tensor:
    """[1, 1, h, w]: the blend weight of one tile."""
    top, bottom, left, right = box
    return (ramp(top, bottom, height, overlap)[:, None] * ramp(left, right, width, overlap)[None, :])[None, None]


def blend(image: torch.Tensor, tile: torch.Tensor, box: Box, weight: torch.Tensor) -> torch.Tensor:
    """`image` with `tile` feathered in at `box` (in place, and returned)."""
    top, bottom, left, right = box
    region = image[..., top:bottom, left:right]
    region.mul_(1 - weight).add_(tile * weight)
    return image
