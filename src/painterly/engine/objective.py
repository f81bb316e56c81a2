"""The objective of one image (or one tile, see highres.TileObjective): the weighted content, style, total-variation
and, for video, temporal terms of docs/losses.md, as a function of the pixels for the optimiser loop."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F

from ..config import StyleConfig
from ..layers import LAYER_NAMES
from .losses import StyleTarget, content_loss, mix, style_term, temporal_loss, tv_loss
from .masks import guide_at
from .optimize import Objective
from .vgg import VGG19Features


@dataclass
class Temporal:
    """Ruder et al. (2016)'s short-term consistency term for a video frame: `weight * mean(mask * (x - previous)^2)`.

    `previous` is the previous stylised frame warped into this frame by the optical flow ([1, 3, H, W], 0-1),
    `mask` is 1 where that warp is trustworthy and 0 at occlusions, motion boundaries and off-frame pixels
    ([1, 1, H, W]). A mean, in 0-1 pixel units, not Ruder's sum: the weight then means the same at every size.
    """

    previous: torch.Tensor
    mask: torch.Tensor
    weight: float
    # True where the warped frame already fixes the picture's coarse structure, so the objective stops at
    # config.hold_depth as a held size does: the second pass over a frame's newly visible parts (engine.temporal).
    shallow: bool = False


HOLD_SCALE = 0.5  # the hold sees the picture at this fraction of the first size (see Hold)


def seen_at(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """`image` shrunk to `size` with an antialiased tent filter: a smooth kernel, so a strong hold leaves no
    grid of blocks behind as a box filter's would."""
    return F.interpolate(image, size=size, mode="bilinear", antialias=True, align_corners=False)


@dataclass
class Hold:
    """The picture as it formed at the first size of the schedule, seen at half that size (`anchor`): a larger
    size is held to it by `weight * mean((seen_at(x) - anchor)^2)`, in 0-1 pixel units.

    Why: each larger size's style and content terms see finer texture than the first size did, and left alone
    they would restyle the whole picture, so one strength would look different at each output size. Held, a
    larger size can change only what half the first size cannot see: it adds finer strokes and the photo's finer
    detail to the picture the first size formed (benchmarks/QUALITY.md). Half, not the whole first size: the
    finest octave of the first size is where its L-BFGS leaves speckle, which the larger sizes should be free to
    clean into crisp strokes. A mean over a fixed small grid, so one weight means the same at every size.
    """

    anchor: torch.Tensor
    weight: float

    @classmethod
    def of(cls, formed: torch.Tensor, weight: float) -> Hold:
        h, w = formed.shape[-2:]
        return cls(seen_at(formed, (max(1, round(h * HOLD_SCALE)), max(1, round(w * HOLD_SCALE)))), weight)

    def loss(self, image: torch.Tensor) -> torch.Tensor:
        return self.weight * (seen_at(image, self.anchor.shape[-2:]) - self.anchor).pow(2).mean()


def style_targets(
    grams: Sequence[dict[str, StyleTarget]], guides: torch.Tensor | None, config: StyleConfig
) -> tuple[list[dict[str, StyleTarget]], list[float]]:
    """The style targets of each region and its share of the image. Without guides there is one region, the
    whole image, whose targets are the styles' mixed by the blend weights, layer by layer (`losses.mix`: the
    statistics of the mixture of the paintings' feature distributions); with guides, style i is region i's
    target."""
    if guides is None:
        blend = config.normalised_style_blend(len(grams))
        return [{n: mix([g[n] for g in grams], blend) for n in config.style_layers}], [1.0]
    return list(grams), [float(guide.mean()) for guide in guides]


def direction_seed(config: StyleConfig, shape: Sequence[int], layer: str) -> int:
    """The seed of a sliced term's directions: the run's seed, the size and the layer, so each size of the
    schedule draws its own directions, and a video's frames, all one size, the same ones."""
    height, width = shape[-2:]
    return config.seed * 1_000_003 + (height * 65_537 + width) * 64 + config.style_layers.index(layer)


def layers_in_use(config: StyleConfig, held: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The content and style layers an objective uses: all of them, or where the picture is `held` to the one
    that formed, only those no deeper than `config.hold_depth`. There the hold already fixes what the deep layers
    see (their receptive fields span what half the first size shows), and a pass that stops early costs a
    fraction of a whole one (benchmarks/RESULTS.md). Every layer where that would leave a term with none."""
    if not held or config.hold_depth is None:
        return config.content_layers, config.style_layers
    last = LAYER_NAMES.index(config.hold_depth)
    content = tuple(n for n in config.content_layers if LAYER_NAMES.index(n) <= last)
    style = tuple(n for n in config.style_layers if LAYER_NAMES.index(n) <= last)
    if not content or not style:
        return config.content_layers, config.style_layers
    return content, style


def held_config(config: StyleConfig, held: bool) -> StyleConfig:
    """The settings an objective runs by: `config`, or where `held`, with only the layers `layers_in_use` keeps
    and their style weights kept in proportion (the config renormalises them: the style term weighs the same
    with fewer layers). The one place a held size, a tile after the held sizes and a shallow video box are cut."""
    content, style = layers_in_use(config, held)
    if (content, style) == (config.content_layers, config.style_layers):
        return config
    weights = dict(zip(config.style_layers, config.normalised_style_layer_weights()))
    kept = tuple(weights[n] for n in style)
    return replace(config, content_layers=content, style_layers=style, style_layer_weights=kept)


def make_objective(
    model: VGG19Features,
    content: torch.Tensor,
    grams: Sequence[dict[str, StyleTarget]],
    config: StyleConfig,
    guides: torch.Tensor | None = None,
    temporal: Temporal | None = None,
    hold: Hold | None = None,
) -> Objective:
    """The weighted loss terms for an image the shape of `content`, against each style's targets
    (`highres.style_statistics`: Gram matrices, moments or samples by `config.style_loss`). The content targets
    are computed here once, without autograd: they are constants; so are a sliced term's directions.

    Without `guides` the styles' targets blend into one; with guides ([S, 1, H, W], one region per style) each
    style is matched by the statistic of its own region (positions weighted by the guide), weighted by the
    region's area.
    `hold` (a larger size of the schedule) adds the term that holds it to the picture as it formed; `temporal` (a
    video frame) the one that holds it to the previous frame. Either lets the objective stop at config.hold_depth
    (a temporal term only where it says so: `Temporal.shallow`).
    """
    held = hold is not None or (temporal is not None and temporal.shallow)  # by the picture formed, or the frame
    seeds = {name: direction_seed(config, content.shape, name) for name in config.style_layers}
    config = held_config(config, held)
    content_layers, style_layers = config.content_layers, config.style_layers
    low_precision = config.precision == "bfloat16"
    # A still's content targets are measured once a size, in float32; a video frame's (`temporal`) at every frame
    # and every box of it, so in the run's precision: about 0.2 s less a frame at 512x288 (benchmarks/VIDEO.md).
    with (
        torch.no_grad(),
        torch.autocast(content.device.type, dtype=torch.bfloat16, enabled=low_precision and temporal is not None),
    ):
        content_targets = {name: f.float() for name, f in model(content, content_layers).items()}
    targets, areas = style_targets(grams, guides, config)
    regions = [
        (
            None if guides is None else guides[r][None],
            area,
            {n: style_term(t, seeds[n]) for n, t in target.items() if n in style_layers},
        )
        for r, (area, target) in enumerate(zip(areas, targets))
        if area > 0
    ]
    layer_weights = dict(zip(style_layers, config.normalised_style_layer_weights()))
    network_layers = content_layers + style_layers

    def objective(image: torch.Tensor) -> dict[str, torch.Tensor]:
        with torch.autocast(image.device.type, dtype=torch.bfloat16, enabled=low_precision):
            features = model(image, network_layers)
        # Sums in float32: the Gram products widen their input a slice at a time (losses._Gram), so the large
        # early layers are never copied whole into float32.
        zero = image.new_zeros(())
        content_term = sum((content_loss(features[n].float(), t) for n, t in content_targets.items()), zero)
        if content_targets:
            content_term = content_term / len(content_targets)
        style_sum = zero
        for guide, area, terms in regions:
            for name, term in terms.items():
                f = features[name]
                error = term(f, None if guide is None else guide_at(guide, f))
                style_sum = style_sum + area * layer_weights[name] * error
        losses = {
            "content": config.content_weight * content_term,
            "style": config.style_term_weight * style_sum,
            "tv": config.tv_weight * tv_loss(image) if config.tv_weight else zero,
        }
        if hold is not None:
            losses["hold"] = hold.loss(image)
        if temporal is not None:
            losses["temporal"] = temporal.weight * temporal_loss(image, temporal.previous, temporal.mask)
        losses["total"] = sum(losses.values(), zero)
        return losses

    return objective
