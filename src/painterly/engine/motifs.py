"""Motifs: the parts of a painting that occur once (a moon, a figure), told apart from its texture, which recurs.

A Gram matrix is a sum over every position of the painting, so a painting that is mostly one moon asks for moon
features somewhere in the picture, and the optimiser puts them where they cost the photo least: in an empty sky
(benchmarks/QUALITY.md, landscape-nocturne). What the Gram matrices should carry is the painting's manner, the
strokes and colours that recur all over it. So before its Gram matrices are taken, each position of the painting
is weighted by how many look-alikes it has elsewhere in the painting: a position whose deep features (conv4_1,
where a moon is one thing) resemble hardly any position outside its own neighbourhood belongs to a motif, and
counts less. The neighbourhood is left out because a motif's own positions resemble each other; a texture's
look-alikes are found all over the painting.

Measured with the painting at MOTIF_EDGE px whatever size it is painted at, so the same parts count as motifs at
every output size.
"""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F

from .vgg import VGG19Features

MOTIF_EDGE = 256  # px: the painting's longest edge when its motifs are found (conv4_1 grid about 32 x 32)
MOTIF_LAYER = "conv4_1"
NEIGHBOURHOOD = 0.2  # of the grid's longest edge: look-alikes nearer than this are the motif itself
LOOK_ALIKES = 0.05  # of the positions: a recurring part has at least this many look-alikes elsewhere
SHARPNESS = 8  # weight = (threshold / rarity) ** SHARPNESS above the threshold: soon small, never abrupt
GROW_FLOOR = 0.85  # of the threshold: positions at least this rare may belong to a neighbouring motif (see grown)
GROW_DECAY = 0.9  # a motif's rarity fades by this per grid step as it spreads


def rarity(features: torch.Tensor) -> torch.Tensor:
    """[1, C, h, w] -> [h, w]: each position's distance to its LOOK_ALIKES-th nearest position outside its
    neighbourhood, over the typical distance between two positions of the painting (so about 1 for texture).

    The grid's outer ring is left at 0 (typical): VGG's zero padding makes border features unlike the inside
    ones in every painting, and the picture being painted has the same border."""
    _, c, h, w = features.shape
    device = features.device
    if min(h, w) < 3:  # all border: nothing to judge
        return torch.zeros(h, w, device=device)
    flat = features[0].reshape(c, h * w).T.float()
    distance = torch.cdist(flat, flat)
    typical = distance[~torch.eye(h * w, dtype=torch.bool, device=device)].median().clamp_min(1e-12)
    rows, cols = torch.meshgrid(torch.arange(h, device=device), torch.arange(w, device=device), indexing="ij")
    place = torch.stack([rows.flatten(), cols.flatten()], 1).float()
    near = torch.cdist(place, place) < NEIGHBOURHOOD * max(h, w)
    distance[near] = math.inf
    k = max(1, math.ceil(LOOK_ALIKES * h * w))
    if (~near).sum(1).min() <= k:  # a grid too small to tell a motif from texture: all of it counts
        return torch.zeros(h, w, device=device)
    kth = distance.kthvalue(k, dim=1).values
    score = (kth / typical).reshape(h, w)
    score[0, :] = score[-1, :] = score[:, 0] = score[:, -1] = 0
    return score


def motif_map(model: VGG19Features, style: torch.Tensor, threshold: float) -> torch.Tensor:
    """[1, 1, h, w], on the conv4_1 grid of a style image [1, 3, H, W] seen at MOTIF_EDGE px: the square root of
    each position's weight in the painting's Gram matrices, 1 for texture, falling towards 0 inside motifs whose
    rarity exceeds `threshold`. It depends on the painting alone, so a Painter finds it once per painting and
    stretches it (`guide_of`) to every size it measures the painting at."""
    _, _, h, w = style.shape
    scale = MOTIF_EDGE / max(h, w)
    seen = style
    if scale != 1:
        seen = F.interpolate(style, scale_factor=scale, mode="bilinear", antialias=scale < 1, align_corners=False)
    with torch.no_grad():
        return motif_map_of(model(seen.clamp(0, 1))[MOTIF_LAYER], threshold)


def motif_map_of(features: torch.Tensor, threshold: float) -> torch.Tensor:
    """`motif_map` from the painting's MOTIF_LAYER features at MOTIF_EDGE px, for a caller that measures the
    painting at that size anyway (a Painter's style targets at the first size)."""
    score = grown(rarity(features), threshold)
    weight = (threshold / score.clamp_min(1e-12)).clamp(max=1).pow(SHARPNESS)
    return weight.sqrt()[None, None]


def grown(score: torch.Tensor, threshold: float) -> torch.Tensor:
    """[h, w] rarity -> the same, with each motif's rarity spread over the whole motif.

    A motif larger than the neighbourhood is its own look-alike: a face's cheeks resemble its forehead, so only
    its eyes score as rare, and a Gram matrix that keeps the cheeks, mouth and outline still asks for a face.
    So, as hysteresis in an edge detector: positions above GROW_FLOOR x `threshold` that touch a rarer position
    take its rarity, less GROW_DECAY per grid step, and the spread stops where the painting turns typical."""
    eligible = score > GROW_FLOOR * threshold
    spread = score
    for _ in range(max(score.shape)):
        reach = F.max_pool2d(spread[None, None], 3, stride=1, padding=1)[0, 0] * GROW_DECAY
        wider = torch.where(eligible, torch.maximum(spread, reach), spread)
        if torch.equal(wider, spread):
            break
        spread = wider
    return spread


def guide_of(motifs: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """A motif map stretched to a painting of `height` x `width` px: the guide `losses.outer_sum` takes."""
    return F.interpolate(motifs, size=(height, width), mode="bilinear", align_corners=False)
