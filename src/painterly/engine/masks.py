"""Regions: a mask image whose colours say which style paints where (Gatys et al. 2017, guided Gram matrices).

Each style gets one colour of the mask; pixels far from every listed colour are a region kept free of style,
where only the content term acts. Inside the network a region is a guide channel per layer: the mask resized to
that layer's grid, so a Gram matrix can be taken over one region's positions alone.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image, ImageColor
from torch.nn import functional as F

from ..errors import PainterlyError

DEFAULT_COLORS = ("white", "black", "red", "lime", "blue", "yellow", "cyan", "magenta")
MATCH_DISTANCE = 96  # RGB distance (0-441) within which a mask pixel belongs to a colour: survives JPEG and blur


def parse_colors(names: tuple[str, ...] | None, styles: int) -> list[tuple[int, int, int]]:
    """One RGB colour per style: the names given (CSS names or #rrggbb), or white, black, red, ... in order."""
    names = names or DEFAULT_COLORS[:styles]
    if len(names) != styles:
        raise PainterlyError(f"{len(names)} mask colours given for {styles} style image(s)")
    try:
        return [ImageColor.getrgb(name)[:3] for name in names]
    except ValueError as exc:
        raise PainterlyError(f"bad mask colour: {exc}") from None


def region_guides(mask: Image.Image, colors: list[tuple[int, int, int]], size: tuple[int, int]) -> torch.Tensor:
    """[S, 1, H, W] in {0, 1}: for each style, where the mask (stretched to `size`) has its colour."""
    rgb = np.asarray(mask.resize(size, Image.Resampling.NEAREST).convert("RGB"), dtype=np.float32)
    pixels = torch.from_numpy(rgb.copy())  # H, W, 3
    palette = torch.tensor(colors, dtype=torch.float32)  # S, 3
    distance = (pixels[None] - palette[:, None, None]).norm(dim=-1)  # S, H, W
    nearest = distance.argmin(0)
    guides = (nearest[None] == torch.arange(len(colors))[:, None, None]) & (distance.min(0).values <= MATCH_DISTANCE)
    return guides.float()[:, None]


def guide_at(guides: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
    """The guides resized to a layer's grid; area averaging keeps a region's share of each position."""
    return F.interpolate(guides, size=features.shape[-2:], mode="area")
