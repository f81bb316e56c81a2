"""High resolution: refine an image too large for one pass through VGG a tile at a time, against the terms of the
whole image.

A tile is not matched to the style on its own. Made to hold all of a painting's statistics, every crop grows its
own moon and swirl, and the photo disappears under them. Instead the sums behind the loss are kept for the whole
image: a Gram matrix is the sum over positions of f f^T divided by their number, and a content error is a sum over
positions too. A tile's objective is the whole image's loss with the tile's own share of those sums replaced by
its current pixels,

    S(x) = S_whole - s_tile(x_0) + s_tile(x),     G(x) = S(x) / positions,

so L-BFGS on one tile descends the real objective of the whole picture (block-coordinate descent): a tile of sky
can stay sky while another carries the painting's yellows, as in a plain run. After each visit the whole sums
take the tile's new share. The style targets are the Gram matrices of the whole style image, also summed in tiles.
With --style-loss meancov the first moments are kept beside the second in the same way; the sliced term has no such
sums (config.validate refuses it in tiles).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import torch

from ..config import StyleConfig
from ..layers import LAYER_NAMES, ends_block
from .allocator import release_freed_memory
from .losses import (
    SLICED_SAMPLES,
    Moments,
    Samples,
    StyleTarget,
    feature_moments,
    gaussian_w2,
    join_samples,
    outer_sum,
    relative_squared_error,
    samples,
    tv_loss,
)
from .masks import guide_at
from .tiles import Box
from .vgg import VGG19Features

HALO = 64  # px of context around each core when an image is measured in pieces; a multiple of 16


def stride(layer: str) -> int:
    """How many image pixels one position of `layer`'s grid spans."""
    return 2 ** sum(ends_block(n) for n in LAYER_NAMES[: LAYER_NAMES.index(layer)])


def core_features(
    model: VGG19Features, image: torch.Tensor, tile: int, layers: tuple[str, ...] | None = None
) -> Iterator[tuple[dict, Box]]:
    """VGG features of `image` in pieces of at most `tile` px: (features of the core only, core box) for cores
    that partition the image. Each core is seen with HALO px of its surroundings, so features near a cut are
    computed from their neighbourhood rather than next to zero padding. Without need (`tile` 0 or larger than
    the image) it is one piece. Only `layers` (default: all the model's) are kept, and while the consumer holds
    a piece the generator holds nothing else: a piece's unused layers are hundreds of MB at a 1024 px tile."""
    _, _, h, w = image.shape
    if not tile or max(h, w) <= tile:
        features = model(image, layers)
        yield {name: features[name] for name in layers or features}, (0, h, 0, w)
        return
    step = max(tile - 2 * HALO, tile // 2) // 16 * 16  # multiples of 16: every cut falls on every layer's grid
    for top in range(0, h, step):
        for left in range(0, w, step):
            bottom, right = min(h, top + step), min(w, left + step)
            y0, x0 = max(0, top - HALO), max(0, left - HALO)
            features = model(image[..., y0 : min(h, bottom + HALO), x0 : min(w, right + HALO)], layers)
            cores = {}
            for name in layers or features:
                d = stride(name)
                rows = slice((top - y0) // d, math.ceil((bottom - y0) / d))
                cores[name] = features[name][..., rows, (left - x0) // d : math.ceil((right - x0) / d)]
            del features
            yield cores, (top, bottom, left, right)
            del cores
            release_freed_memory()  # edge pieces differ in shape: their holes would stay resident beside the next


def style_statistics(
    model: VGG19Features,
    style: torch.Tensor,
    layers: tuple[str, ...],
    loss: str = "gram",
    tile: int = 0,
    guide: torch.Tensor | None = None,
    features: dict[str, torch.Tensor] | None = None,
) -> dict[str, StyleTarget]:
    """What the whole style image is matched by at each style layer with `loss` (config.style_loss): its Gram
    matrix, its moments (meancov) or its samples (sliced), measured in tiles when the style image is larger than
    `tile`, its positions weighted by the guide's square (the motif weights) when given. `features`: the style
    image's own, already measured in one piece, to use instead of measuring it again."""
    firsts: dict[str, torch.Tensor] = {}
    sums: dict[str, torch.Tensor] = {}
    parts: dict[str, list[Samples]] = {name: [] for name in layers}
    masses = dict.fromkeys(layers, 0.0)
    with torch.no_grad():
        _, _, h, w = style.shape
        pieces = core_features(model, style, tile, layers) if features is None else [(features, (0, h, 0, w))]
        for measured, box in pieces:
            (piece,) = guides_in(guide, box)
            for name in layers:
                f = measured[name]
                g = None if piece is None else guide_at(piece, f)
                mass = f.shape[-1] * f.shape[-2] if g is None else float(g.pow(2).sum())
                masses[name] += mass
                if loss == "sliced":
                    part = samples(f, g)
                    parts[name].append(Samples(part.features, part.weights * mass))
                    continue
                if loss == "meancov":
                    first, second = feature_moments(f, g)
                    firsts[name] = firsts.get(name, 0) + first
                else:
                    second = outer_sum(f, g)
                sums[name] = sums.get(name, 0) + second
    if loss == "sliced":
        return {name: _at_most(join_samples(parts[name])) for name in layers}
    if loss == "meancov":
        return {name: Moments(firsts[name] / masses[name], sums[name] / masses[name]) for name in layers}
    return {name: sums[name] / masses[name] for name in layers}


def _at_most(found: Samples, limit: int = SLICED_SAMPLES) -> Samples:
    """Samples of a painting measured in pieces, thinned evenly to `limit` when the pieces gave more."""
    count = found.weights.shape[0]
    if count <= limit:
        return found
    keep = torch.linspace(0, count - 1, limit, device=found.weights.device).round().long()
    weights = found.weights[keep]
    return Samples(found.features[keep], weights / weights.sum().clamp_min(1e-12))


@dataclass
class WholeImage:
    """The sums behind the loss, over every position of the image being refined."""

    grams: dict[tuple[int, str], torch.Tensor]  # (region, style layer) -> sum of (g f)(g f)^T
    masses: dict[tuple[int, str], float]  # (region, style layer) -> sum of g^2 (positions, without a mask)
    errors: dict[str, torch.Tensor]  # content layer -> sum of (F - P)^2
    norms: dict[str, float]  # content layer -> sum of P^2
    # --style-loss meancov: (region, style layer) -> sum of g^2 f, the first moments beside the second (grams)
    firsts: dict[tuple[int, str], torch.Tensor] = field(default_factory=dict)


def guides_in(guides: torch.Tensor | None, box: Box) -> list[torch.Tensor | None]:
    """Each region's guide ([1, 1, h, w]) cropped to `box`; one None (the whole image, unguided) without guides."""
    if guides is None:
        return [None]
    top, bottom, left, right = box
    return [g[None, :, top:bottom, left:right] for g in guides]


def measure(
    model: VGG19Features, image: torch.Tensor, content: torch.Tensor, guides: torch.Tensor | None, config: StyleConfig
) -> WholeImage:
    """The whole image's sums, measured in tiles (two passes of VGG without autograd: content, then image).
    The sums of the Gram term, or with --style-loss meancov of its first and second moments; the sliced term has
    no sums to keep (config.validate refuses it in tiles).

    In the run's precision, as each tile visit measures its own share (which `TileObjective` subtracts from
    these sums); and of the content only its content layers are kept: both pieces' whole feature sets in
    float32 would make this the peak of a large run (benchmarks/memory_trace.py)."""
    whole = WholeImage({}, {}, {}, {})
    low_precision = config.precision == "bfloat16"
    with torch.no_grad(), torch.autocast(image.device.type, dtype=torch.bfloat16, enabled=low_precision):
        content_pieces = core_features(model, content, config.tile_size, config.content_layers)
        image_pieces = core_features(model, image, config.tile_size, config.style_layers + config.content_layers)
        for (targets, _), (features, box) in zip(content_pieces, image_pieces):
            for r, guide in enumerate(guides_in(guides, box)):
                for name in config.style_layers:
                    f = features[name]
                    g = None if guide is None else guide_at(guide, f)
                    key = (r, name)
                    if config.style_loss == "meancov":
                        first, second = feature_moments(f, g)
                        whole.firsts[key] = whole.firsts.get(key, 0) + first
                    else:
                        second = outer_sum(f, g)
                    whole.grams[key] = whole.grams.get(key, 0) + second
                    mass = f.shape[-1] * f.shape[-2] if g is None else float(g.pow(2).sum())
                    whole.masses[key] = whole.masses.get(key, 0.0) + mass
            for name in config.content_layers:
                f, p = features[name].float(), targets[name].float()
                whole.errors[name] = whole.errors.get(name, 0) + (f - p).pow(2).sum()
                whole.norms[name] = whole.norms.get(name, 0.0) + float(p.pow(2).sum())
            del targets, features
    return whole


class TileObjective:
    """The whole image's loss as a function of one tile's pixels (the rest held fixed), for `optimize.run`.

    `targets[r]` are region r's style targets (one region without a mask): Gram matrices, or Moments with
    --style-loss meancov, whose Gaussian W2 term is a function of the whole image's first and second moments,
    kept as sums like the Gram matrix's; `areas[r]` is the region's share of the whole image, as in
    `objective.make_objective`. `commit()` puts the best evaluated tile's share into `whole`.
    """

    def __init__(
        self,
        model: VGG19Features,
        whole: WholeImage,
        content: torch.Tensor,
        guides: list[torch.Tensor | None],
        targets: list[dict[str, torch.Tensor]],
        areas: list[float],
        config: StyleConfig,
        share: float,
    ) -> None:
        self.model, self.whole, self.config, self.share = model, whole, config, share
        self.guides, self.targets, self.areas = guides, targets, areas
        # Float32 targets, as an untiled run's: bfloat16 ones leave visible seams (tests/test_highres.py).
        with torch.no_grad():
            features = model(content, config.content_layers)
            self.content = {name: features[name].float() for name in config.content_layers}
        del features
        self.layer_weights = dict(zip(config.style_layers, config.normalised_style_layer_weights()))
        self.gaussians = {
            (r, name): target.gaussian()
            for r, region in enumerate(targets)
            for name, target in region.items()
            if isinstance(target, Moments)
        }
        self.start: dict | None = None  # the tile's own sums at the visit's first image
        self.best: tuple[float, dict] = (math.inf, {})

    def __call__(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        config, whole = self.config, self.whole
        with torch.autocast(image.device.type, dtype=torch.bfloat16, enabled=config.precision == "bfloat16"):
            features = self.model(image, config.style_layers + config.content_layers)
        # Float32 sums; the Gram products widen the style layers a slice at a time (losses._Gram).
        own = {name: (features[name].float() - p).pow(2).sum() for name, p in self.content.items()}
        for r, guide in enumerate(self.guides):
            for name in config.style_layers:
                f = features[name]
                g = None if guide is None else guide_at(guide, f)
                if self.gaussians:
                    own[("first", r, name)], own[(r, name)] = feature_moments(f, g)
                else:
                    own[(r, name)] = outer_sum(f, g)
        if self.start is None:
            self.start = {key: value.detach() for key, value in own.items()}
        start = self.start
        zero = image.new_zeros(())
        content_term = sum(
            ((whole.errors[n] - start[n] + own[n]) / max(whole.norms[n], 1e-12) for n in self.content), zero
        )
        if self.content:
            content_term = content_term / len(self.content)
        style_term = zero
        for r, targets in enumerate(self.targets):
            for name in config.style_layers:
                target, key = targets[name], (r, name)
                if whole.masses[key] > 0:
                    gram = (whole.grams[key] - start[key] + own[key]) / whole.masses[key]
                    if key in self.gaussians:
                        first = ("first", r, name)
                        mean = (whole.firsts[key] - start[first] + own[first]) / whole.masses[key]
                        error = gaussian_w2(mean, gram, self.gaussians[key])
                    else:
                        error = relative_squared_error(gram, target)
                    style_term = style_term + self.areas[r] * self.layer_weights[name] * error
        losses = {
            "content": config.content_weight * content_term,
            "style": config.style_term_weight * style_term,
            "tv": config.tv_weight * self.share * tv_loss(image) if config.tv_weight else zero,  # a mean's share
        }
        losses["total"] = losses["content"] + losses["style"] + losses["tv"]
        total = float(losses["total"].detach())
        if total < self.best[0]:
            self.best = (total, {key: value.detach() for key, value in own.items()})
        return losses

    def commit(self) -> None:
        """The best image of the visit is the tile's new part of the whole image's sums."""
        if self.start is None or not self.best[1]:
            return
        for key, value in self.best[1].items():
            if isinstance(key, str):
                table, entry = self.whole.errors, key
            elif key[0] == "first":
                table, entry = self.whole.firsts, key[1:]
            else:
                table, entry = self.whole.grams, key
            table[entry] = table[entry] - self.start[key] + value
