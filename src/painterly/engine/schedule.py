"""The coarse-to-fine schedule: which sizes a run visits, how many iterations each gets, and which are refined in
tiles. Gatys et al. optimise at one size; starting small puts most iterations where they are cheap."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..config import StyleConfig
from .tiles import Box, boxes


def scale_sizes(config: StyleConfig, width: int, height: int) -> list[tuple[int, int]]:
    """The (width, height) of each size of the coarse-to-fine schedule, smallest first, ending at the output
    size: the output size halved while the longest edge stays at or above `config.start_size`."""
    sizes = [(width, height)]
    while config.start_size and max(sizes[0]) / 2 >= config.start_size:
        w, h = sizes[0]
        sizes.insert(0, (max(1, round(w / 2)), max(1, round(h / 2))))
    return sizes


VISIT = 10  # most iterations a tile gets before the grid moves on (L-BFGS starts afresh at each visit)


@dataclass(frozen=True)
class Stage:
    """One size of the schedule. A tiled stage (tile > 0) refines its tiles one at a time, `visit` iterations
    each, in `passes` passes with the grid shifted between them; progress counts its tile-iterations (`steps`)."""

    width: int
    height: int
    iterations: int  # of the whole image, or of each tile over all passes
    tile: int = 0
    overlap: int = 0
    passes: int = 1

    def boxes(self, pass_index: int) -> list[Box]:
        return boxes(self.width, self.height, self.tile, self.overlap, pass_index)

    @property
    def visit(self) -> int:
        return math.ceil(self.iterations / self.passes)

    @property
    def tiles(self) -> int:
        return len(self.boxes(0)) if self.tile else 1

    @property
    def steps(self) -> int:
        return self.visit * self.passes * self.tiles

    @property
    def work(self) -> int:
        """Pixel-iterations, overlaps counted: a time-left estimate must weight the big sizes by their cost."""
        if not self.tile:
            return self.iterations * self.width * self.height
        return self.visit * sum(
            (bottom - top) * (right - left) for p in range(self.passes) for top, bottom, left, right in self.boxes(p)
        )


def schedule(config: StyleConfig, width: int, height: int) -> list[Stage]:
    """The stages of a run: `start_iterations` at the first size, `iterations` at each later one.

    The first size is where the picture forms, so it gets `start_iterations` whenever it is at least
    `start_size`: every output from `start_size` up forms the same way at the same working size, which is what
    makes a strength mean the same at every output size. An output smaller than `start_size` (a preview) and a
    one-size run (`start_size` 0) get `iterations`.

    Sizes above `tile_size` are refined in tiles, and there each doubling of the size halves the iterations:
    a pass costs four times the last size's, and by then the picture's structure is settled, so these passes
    only sharpen detail. A one-size run keeps its full count.
    """
    sizes = scale_sizes(config, width, height)
    stages = []
    for i, (w, h) in enumerate(sizes):
        forms = i == 0 and config.start_size and max(w, h) >= config.start_size
        n = config.start_iterations if forms else config.iterations
        if not config.tile_size or max(w, h) <= config.tile_size:
            stages.append(Stage(w, h, n))
            continue
        if i > 0:
            n = max(1, round(n * config.tile_size / max(w, h)))
        passes = max(2, math.ceil(n / VISIT))  # two at least: the second moves every border of the first
        stages.append(Stage(w, h, passes * math.ceil(n / passes), config.tile_size, config.tile_overlap, passes))
    return stages
