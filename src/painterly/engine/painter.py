"""Painter: a network and one set of style targets, painting any number of photos (or video frames) with them.

Building a Painter reads the paintings and loads VGG-19 once; the paintings' style targets (Gram matrices, or the
statistics of another --style-loss) are measured once per size and kept, so the second photo costs only its own
optimisation. `stylize` is one Painter painting one photo.

The run goes coarse to fine (painterly.engine.schedule): most iterations are spent at the smallest size, where one
costs a sixteenth of a 512 px one and the large structures settle; each result is upsampled to start the next size,
where a few iterations restore the detail. Sizes above `config.tile_size` are refined in tiles (highres, tiles).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import NamedTuple

import torch
from PIL import Image
from torch.nn import functional as F

from ..config import StyleConfig
from ..errors import PainterlyError
from ..media.images import ImageSource, load_image, resize_longest, to_image, to_tensor
from . import optimize
from .allocator import keep_freed_memory, release_freed_memory
from .colors import (
    colour_statistics,
    luminance,
    match_histogram,
    match_luminance,
    mixture_statistics,
    recolour,
    with_colours_of,
)
from .highres import TileObjective, WholeImage, guides_in, measure, style_statistics
from .losses import StyleTarget
from .masks import parse_colors, region_guides
from .memory_budget import available_bytes, estimate_peak_bytes, largest_size_within, largest_tile_within
from .motifs import MOTIF_EDGE, MOTIF_LAYER, guide_of, motif_map_of
from .objective import Hold, Temporal, held_config, make_objective, style_targets
from .precision import choose_layout, choose_precision
from .schedule import Stage, schedule
from .tiles import Box, blend, feather
from .vgg import VGG19Features
from .weights import load_weights

Callback = Callable[[optimize.Progress], "bool | None"]
PALETTE_EDGE = 256  # px: a painting's colour statistics need no more
# config.object_scale: the layers measured on the larger painting. conv5_1 alone: with conv4_1 too the face went as
# well, but paintings of texture lost more of their style (benchmarks/QUALITY.md, issue 28).
OBJECT_LAYERS = ("conv5_1",)
# The largest edge the larger painting is measured at: from there a face a third of the painting is already wider
# than conv5_1's field of view (about 200 px), and a one-size run at 4096 px would measure a 12288 px painting.
OBJECT_EDGE = 1024

__all__ = ["Painter", "Temporal", "load_model", "model_key", "stylize"]


def load_model(config: StyleConfig, device: torch.device | str | None = None) -> VGG19Features:
    """The VGG-19 a config needs (its weights file, layers and pooling), on `device` (default: config.device).
    Load it once and pass it to every Painter with the same weights, layers and pooling."""
    device = resolve_device(config.device) if device is None else torch.device(device)
    weights = load_weights(config.weights, config.weights_format)
    model = VGG19Features(weights, network_layers(config), config.pooling).to(device)
    return model.use_channels_last(choose_layout(device))


def network_layers(config: StyleConfig) -> tuple[str, ...]:
    """The layers the network of a config returns: its content and style layers, and the motif layer when
    motifs are weighted down (engine.motifs)."""
    motif = (MOTIF_LAYER,) if config.motif_rarity else ()
    return config.content_layers + config.style_layers + motif


def model_key(config: StyleConfig) -> tuple:
    """What `load_model` builds from a config: two configs with the same key can share one network, so a
    front-end that keeps networks between runs keys them by this. Built from the same fields `load_model`
    reads, through the same `network_layers`."""
    return (config.weights, config.weights_format, network_layers(config), config.pooling, config.device)


class SizeTargets(NamedTuple):
    """What one size of the run is optimised against, and how its pixels are shown."""

    content: torch.Tensor  # the photo at this size (its luminance with preserve_colors "luminance")
    grams: list[dict[str, StyleTarget]]  # each painting's style targets at this size (by config.style_loss)
    guides: torch.Tensor | None  # each painting's region of the mask, or None
    render: Callable[[torch.Tensor], Image.Image]  # pixels -> the picture the caller sees


class Painter:
    """The network and one set of paintings (blended by `config.style_blend`, or one per region of
    `config.mask`), painting any number of photos with `paint`.

    Every input is read here, before any heavy work, so a bad painting, mask or --init image fails at once.
    `config` is the painter's own copy of the caller's, validated once here, with the precision that "auto"
    resolved to: the engine reads it from there. `precision_reason` says why that precision.
    """

    def __init__(
        self,
        styles: ImageSource | Sequence[ImageSource],
        config: StyleConfig | None = None,
        model: VGG19Features | None = None,
    ) -> None:
        # A copy validates itself: the caller may have changed fields since construction, and keeps its own.
        config = replace(config) if config is not None else StyleConfig()
        self.device = resolve_device(config.device)
        if self.device.type == "cpu":
            keep_freed_memory()  # large activations are reused, not mapped and faulted in anew each iteration
        self.precision, self.precision_reason = choose_precision(config.precision, self.device)
        config.precision = self.precision
        self.config = config
        self.styles = [load_image(s) for s in (styles if isinstance(styles, (list, tuple)) else [styles])]
        self.style_blend = config.normalised_style_blend(len(self.styles))  # a wrong length fails before the work
        self.mask = load_image(config.mask) if config.mask else None
        self.colors = parse_colors(config.mask_colors, len(self.styles)) if self.mask else []
        self.init_image: Image.Image | None = None  # content and noise need no image
        if config.init == "style":
            self.init_image = self.styles[0]
        elif config.init not in ("content", "noise"):
            self.init_image = load_image(config.init)
        self.model = model if model is not None else load_model(config, self.device)
        # (style edge, layers) -> each style's targets at those layers
        self._grams: dict[tuple[int, tuple[str, ...]], list[dict[str, StyleTarget]]] = {}
        self._palette: tuple[torch.Tensor, torch.Tensor] | None = None
        self._motifs: list[torch.Tensor | None] | None = None  # each painting's motif map, found once
        # Each painting's features at MOTIF_EDGE, measured for its motif map: its style targets at that edge
        # (the first size's, by default) are taken from them rather than from a second pass. Used once, then freed.
        self._seen: list[dict[str, torch.Tensor]] | None = None

    def style_grams(self, edge: int, layers: tuple[str, ...] | None = None) -> list[dict[str, StyleTarget]]:
        """Each painting's style targets with its longest edge at `edge` px, at `layers` (default: every style
        layer), measured once per edge: its Gram matrices, or with another `config.style_loss` its moments or
        samples (highres.style_statistics). A size that runs VGG only part way (objective.held_config) asks for
        its own layers: at 4096 px the deep ones would cost a pass through the whole painting for nothing."""
        layers = layers or self.config.style_layers
        for (measured_at, have), grams in self._grams.items():
            if measured_at == edge and set(layers) <= set(have):
                return grams if have == layers else [{n: g[n] for n in layers} for g in grams]
        tensors = self._paintings_at(edge)
        grams = [self._grams_of(t, i, self._measured(edge, i), layers) for i, t in enumerate(tensors)]
        grams = self._with_objects_in_parts(grams, edge, layers)
        self._grams[edge, layers] = grams
        self._seen = None
        return grams

    def _measured(self, edge: int, index: int) -> dict[str, torch.Tensor] | None:
        """Painting `index`'s features at `edge` px when its motif map measured them so, in one piece as its
        style targets would be; else None."""
        tile = self.config.tile_size
        self.motif_maps()
        if self._seen is None or edge != MOTIF_EDGE or (tile and edge > tile):
            return None
        return self._seen[index]

    def target_grams(
        self, edge: int, photo: torch.Tensor, layers: tuple[str, ...] | None = None
    ) -> list[dict[str, StyleTarget]]:
        """The style targets of each painting at `edge` px and `layers` (default: all): the paintings' own
        (measured once per edge), or with preserved colours the paintings recoloured to `photo` first, whose
        targets are this photo's."""
        if self.config.preserve_colors == "none":
            return self.style_grams(edge, layers)
        grams = [self._grams_of(t, i, None, layers) for i, t in enumerate(self._paintings_at(edge, photo))]
        return self._with_objects_in_parts(grams, edge, layers, photo)

    def _paintings_at(self, edge: int, photo: torch.Tensor | None = None) -> list[torch.Tensor]:
        """Each painting with its longest edge at `edge` px; with preserved colours and a `photo`, recoloured to
        it (`config.preserve_colors`)."""
        tensors = [to_tensor(resize_longest(s, edge)).to(self.device) for s in self.styles]
        if photo is None or self.config.preserve_colors == "none":
            return tensors
        match = match_histogram if self.config.preserve_colors == "histogram" else match_luminance
        return [match(s, photo) for s in tensors]

    def _with_objects_in_parts(
        self,
        grams: list[dict[str, StyleTarget]],
        edge: int,
        layers: tuple[str, ...] | None,
        photo: torch.Tensor | None = None,
    ) -> list[dict[str, StyleTarget]]:
        """`grams` with the OBJECT_LAYERS among `layers` measured on the paintings `config.object_scale` times
        larger (up to OBJECT_EDGE): there conv5_1 sees a portrait's face in parts, so its targets no longer ask
        for the whole face. Unchanged at scale 1 (the default) or when no such layer is asked for."""
        deep = tuple(n for n in (layers or self.config.style_layers) if n in OBJECT_LAYERS)
        larger = min(round(edge * self.config.object_scale), max(edge, OBJECT_EDGE))
        if not deep or larger <= edge:
            return grams
        paintings = self._paintings_at(larger, photo)
        return [{**g, **self._grams_of(t, i, None, deep)} for i, (g, t) in enumerate(zip(grams, paintings))]

    def motif_maps(self) -> list[torch.Tensor | None]:
        """Each painting's motif map (engine.motifs), None where every position counts (`motif_rarity` 0).
        Found once per painting, from the painting itself (recoloured or not, at whatever size it is measured):
        the same parts are motifs at every size and for every photo."""
        rarity = self.config.motif_rarity
        if not rarity:
            return [None] * len(self.styles)
        if self._motifs is None:
            seen = [to_tensor(resize_longest(s, MOTIF_EDGE)).to(self.device) for s in self.styles]
            with torch.no_grad():
                features = [self.model(s) for s in seen]
            self._motifs = [motif_map_of(f[MOTIF_LAYER], rarity) for f in features]
            if self.config.preserve_colors == "none":  # else the targets are of recoloured paintings: no reuse
                self._seen = [{n: f[n] for n in self.config.style_layers} for f in features]
        return self._motifs

    def _guide(self, index: int, painting: torch.Tensor) -> torch.Tensor | None:
        motifs = self.motif_maps()[index]
        return None if motifs is None else guide_of(motifs, *painting.shape[-2:]).to(painting.device)

    def _grams_of(
        self,
        painting: torch.Tensor,
        index: int,
        features: dict[str, torch.Tensor] | None = None,
        layers: tuple[str, ...] | None = None,
    ) -> dict[str, StyleTarget]:
        """Painting `index`'s style targets at `layers` (default: all), its motifs weighted down
        (`config.motif_rarity`, engine.motifs); `features`: the painting's own, when already measured."""
        config = self.config
        guide = self._guide(index, painting)
        layers, loss, tile = layers or config.style_layers, config.style_loss, config.tile_size
        return style_statistics(self.model, painting, layers, loss, tile, guide, features)

    def _colours_of(self, painting: torch.Tensor, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Painting `index`'s colour mean and covariance, its motifs weighted down as in its Gram matrices: the
        moon's yellow would otherwise tint the start of an empty sky, where the moon then forms."""
        guide = self._guide(index, painting)
        return colour_statistics(painting, None if guide is None else guide.pow(2))

    def palette(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The paintings' colour mean and covariance, pooled by the style blend (each painting at 256 px): what
        a start recoloured to the paintings' palette takes (`config.init_palette`)."""
        if self._palette is None:
            seen = [to_tensor(resize_longest(s, PALETTE_EDGE)) for s in self.styles]
            statistics = [self._colours_of(s, i) for i, s in enumerate(seen)]
            self._palette = mixture_statistics(statistics, self.style_blend)
        return self._palette

    def paint(
        self,
        photo: ImageSource,
        callback: Callback | None = None,
        *,
        start: ImageSource | None = None,
        iterations: int | None = None,
        temporal: Temporal | None = None,
    ) -> Image.Image:
        """Repaint `photo` and return the result as a PIL image.

        `callback(progress)` is called after every iteration with the iteration number (counted over all sizes),
        the loss terms, the current size and `progress.image()`; returning True stops the run early (the best
        image so far is returned, at the size it was reached).

        For video frames: `start` replaces `config.init` as the starting image, `iterations` makes the run one
        size (the output size) with that many iterations, and `temporal` adds Ruder et al.'s term at that size.
        """
        content = load_image(photo)
        start_image = load_image(start) if start is not None else self.init_image
        stages = self._stages(content, iterations)
        progress = RunProgress.of(stages, callback, self.config.done_iterations)
        first = stages[0]
        image: torch.Tensor | None = None
        formed: torch.Tensor | None = None  # the picture at the first size, whose style the later sizes hold
        render = to_image
        for stage in stages:
            skip = progress.done_before(stage)
            if skip == stage.steps:
                progress.skip(stage.steps, stage.work)
                continue
            held = self._held(stage, first)
            targets = self._size_targets(content, stage, held_config(self.config, held).style_layers)
            render = targets.render
            image = self._start(image, stage, targets.content, start_image)
            if formed is None and stage is not first:
                # Resumed past the first size: the start is what formed (held to, or tiles run shallow by).
                formed = F.interpolate(image, size=(first.height, first.width), mode="area")
            hold = Hold.of(formed, self.config.hold) if held and formed is not None else None
            image = self._refine(
                image, stage, skip, targets, progress, hold, temporal, keep_last=iterations is not None
            )
            if stage is first:
                formed = image.detach()
            if progress.stopped:
                break
        if image is None:
            raise PainterlyError(f"nothing left to do: all {progress.total} iterations were done before")
        return render(image)

    def paint_part(
        self,
        photo: Image.Image,
        box: Box,
        scale: float,
        *,
        start: torch.Tensor,
        iterations: int,
        temporal: Temporal | None = None,
    ) -> torch.Tensor:
        """Paint the part `box` (left, top, right, bottom) of `photo` at `scale` times its size, from `start`
        (that part at that scale, [1, 3, h, w] in 0-1), against the paintings' statistics at the scale of the
        whole picture, at every layer: a video frame's newly visible parts (engine.temporal). Returns the
        part's pixels."""
        width, height = (max(1, round(v * scale)) for v in photo.size)
        left, top, right, bottom = (round(v * scale) for v in box)
        content = to_tensor(photo.resize((width, height), Image.Resampling.LANCZOS)).to(self.device)
        content = content[..., top:bottom, left:right]
        target, _ = self._colour_mode(content)
        layers = held_config(self.config, temporal is not None and temporal.shallow).style_layers
        grams = self.target_grams(painting_edge(self.config, width, height), target, layers)
        guides = None
        if self.mask:
            guides = region_guides(self.mask, self.colors, (width, height))[..., top:bottom, left:right]
            guides = guides.to(self.device)
        objective = make_objective(self.model, target, grams, self.config, guides, temporal)
        image = luminance(start) if self.config.preserve_colors == "luminance" else start
        image, _ = optimize.run(
            image.contiguous(),
            objective,
            optimizer=self.config.optimizer,
            lr=self.config.learning_rate,
            iterations=iterations,
            render=to_image,
            keep_last=True,  # a short run from a start close to done: its last step counts (optimize.run)
            **stopping(self.config, iterations),
        )
        return image.detach()

    def _stages(self, photo: Image.Image, iterations: int | None = None) -> list[Stage]:
        """The sizes `photo` is painted at: the schedule, or with `iterations` (a video frame) one size. On a
        CPU a run that would exhaust the memory is refused first."""
        width, height = resize_longest(photo, self.config.size).size
        if self.device.type == "cpu":
            check_memory(self.config, width, height)
        if iterations is None:
            return schedule(self.config, width, height)
        return [Stage(width, height, iterations)]

    def _size_targets(self, photo: Image.Image, stage: Stage, layers: tuple[str, ...]) -> SizeTargets:
        """The photo, the paintings' style targets at `layers` and the mask's regions at `stage`'s size."""
        w, h = stage.width, stage.height
        content = to_tensor(photo.resize((w, h), Image.Resampling.LANCZOS)).to(self.device)
        style_edge = painting_edge(self.config, w, h)
        target, render = self._colour_mode(content)
        grams = self.target_grams(style_edge, content, layers)
        guides = region_guides(self.mask, self.colors, (w, h)).to(self.device) if self.mask else None
        return SizeTargets(target, grams, guides, render)

    def _colour_mode(self, content: torch.Tensor) -> tuple[torch.Tensor, Callable[[torch.Tensor], Image.Image]]:
        """The content as the optimiser sees it and how its results are shown: with preserve_colors
        "luminance" the run is grey, and its results are shown in the content's colours."""
        if self.config.preserve_colors == "luminance":
            return luminance(content), partial(_colourised, content=content)
        return content, to_image

    def _start(
        self, image: torch.Tensor | None, stage: Stage, content: torch.Tensor, other: Image.Image | None
    ) -> torch.Tensor:
        """Where `stage` starts: the coarser size's result upsampled, or at the first size run the starting
        image (`other`: the style, an --init image or a video frame's start; None for content or noise)."""
        w, h = stage.width, stage.height
        if image is not None:
            return F.interpolate(image, size=(h, w), mode="bicubic", align_corners=False).clamp_(0, 1)
        config = self.config
        # Not with a mask: the part of the photo that no style paints must keep its own colours.
        in_palette = (
            other is None
            and config.init_palette == "painting"
            and config.preserve_colors == "none"
            and self.mask is None
        )
        image = initial_image(config, content, other, self.palette() if in_palette else None)
        return luminance(image) if config.preserve_colors == "luminance" else image

    def _refine(
        self,
        image: torch.Tensor,
        stage: Stage,
        skip: int,
        targets: SizeTargets,
        progress: RunProgress,
        hold: Hold | None,
        temporal: Temporal | None,
        keep_last: bool = False,
    ) -> torch.Tensor:
        """`stage`'s iterations, less the `skip` done before: in tiles above the tile size, else over the whole
        picture, held to the picture as it formed (`hold`, from `config.hold_from` times the first size) and
        kept close to the previous frame (`temporal`, at the size of that frame). Tiles carry no hold term, but
        they come after the held sizes, which fixed what the deeper layers see: they run VGG only as deep as a
        held size does (at 4096 px a visit then costs about 0.6 of a full one, docs/speed.md)."""
        if stage.tile:
            config = held_config(self.config, hold is not None)
            return refine_in_tiles(image, stage, skip, self.model, targets, config, progress)
        w, h = stage.width, stage.height
        frame_term = temporal if temporal is not None and temporal.previous.shape[-2:] == (h, w) else None
        objective = make_objective(
            self.model, targets.content, targets.grams, self.config, targets.guides, frame_term, hold
        )
        return self._run_whole(image, objective, stage, skip, targets.render, progress, keep_last)

    def _held(self, stage: Stage, first: Stage) -> bool:
        """Whether `stage` is held to the picture that formed at the `first` size: from `config.hold_from` times
        that size, with a hold weight."""
        if stage is first or not self.config.hold:
            return False
        scale = max(stage.width, stage.height) / max(first.width, first.height)  # in multiples of the first
        return scale >= self.config.hold_from

    def _run_whole(
        self,
        image: torch.Tensor,
        objective: optimize.Objective,
        stage: Stage,
        skip: int,
        render: Callable[[torch.Tensor], Image.Image],
        progress: RunProgress,
        keep_last: bool = False,
    ) -> torch.Tensor:
        """The optimiser over the whole picture for `stage`'s iterations less the `skip` done before (`keep_last`:
        optimize.run's, for a video frame's short run)."""
        w, h = stage.width, stage.height
        progress.begin((w, h), w * h)
        progress.skip(skip, skip * w * h)
        image, _ = optimize.run(
            image,
            objective,
            optimizer=self.config.optimizer,
            lr=self.config.learning_rate,
            iterations=stage.steps - skip,
            render=render,
            callback=progress.listener,
            keep_last=keep_last,
            **stopping(self.config, stage.steps - skip),
        )
        progress.advance(stage.steps - skip)
        return image


def stylize(
    content: ImageSource,
    style: ImageSource | Sequence[ImageSource],
    config: StyleConfig | None = None,
    callback: Callback | None = None,
) -> Image.Image:
    """Repaint `content` in the style of `style` (paths or PIL images) and return the result as a PIL image.
    A list of styles blends them by `config.style_blend`, or with `config.mask` gives each its own region.
    One Painter painting one photo; to paint several photos with the same paintings, keep a Painter."""
    return Painter(style, config).paint(content, callback)


def painting_edge(config: StyleConfig, width: int, height: int) -> int:
    """The paintings' longest edge for a picture of `width` x `height`: its own times `style_scale`, and 16 px
    at least, below which VGG's four poolings leave nothing for conv5_1 to see."""
    return max(16, round(max(width, height) * config.style_scale))


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise PainterlyError("--device cuda asked for, but this PyTorch build sees no CUDA GPU; use --device cpu")
    return torch.device(name)


def check_memory(config: StyleConfig, width: int, height: int) -> None:
    """Refuse, with the estimate and a size that fits, a run that would exhaust the machine's memory."""
    layers = config.content_layers + config.style_layers
    tile = config.tile_size if config.tile_size and max(width, height) > config.tile_size else 0
    need = estimate_peak_bytes(height, width, layers, tile)
    budget = config.max_memory_gb * 2**30 if config.max_memory_gb else available_bytes()
    if budget is not None and need > budget:
        smaller_tile = largest_tile_within(budget, height, width, layers) if tile else 0
        if smaller_tile:
            advice = f"try --tile-size {smaller_tile}"
        else:
            smaller = largest_size_within(budget, height, width, layers, config.tile_size)
            advice = f"try --size {smaller}" if smaller else "not even the smallest size fits: raise --max-memory"
        raise PainterlyError(
            f"size {config.size} needs about {need / 2**30:.1f} GB of memory but {budget / 2**30:.1f} GB is "
            f"available; {advice}"
        )


def initial_image(
    config: StyleConfig,
    content: torch.Tensor,
    other: Image.Image | None,
    palette: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> torch.Tensor:
    """The starting pixels: the content (recoloured to `palette`, a colour mean and covariance, when given), noise,
    or `other` (the style or an --init image, stretched to the output size), mixed with `noise_ratio` of uniform
    noise. Noise comes from a CPU generator so a seed means the same start on every device."""
    h, w = content.shape[-2:]
    generator = torch.Generator().manual_seed(config.seed)
    noise = torch.rand(content.shape, generator=generator).to(content.device)
    if config.init == "noise":
        return noise
    if other is None:
        start = content if palette is None else recolour(content, *palette, keep_luminance=True)
    else:
        start = to_tensor(other.resize((w, h), Image.Resampling.LANCZOS)).to(content.device)
    return (1 - config.noise_ratio) * start + config.noise_ratio * noise


def refine_in_tiles(
    image: torch.Tensor,
    stage: Stage,
    skip: int,
    model: VGG19Features,
    targets: SizeTargets,
    config: StyleConfig,
    progress: RunProgress,
) -> torch.Tensor:
    """Refine `image` one tile at a time, pass after pass, each tile by the whole image's loss
    (painterly.highres), and feather each result back in (painterly.tiles). Only one tile's activations and
    optimiser history are held at once, so memory follows the tile size, not the image size.

    Visits done before (a resumed run's `skip` steps) are passed over; a visit cut short is done again whole.
    """
    whole = measure(model, image, targets.content, targets.guides, config)
    grams, areas = style_targets(targets.grams, targets.guides, config)
    release_freed_memory()  # the whole-image measure's blocks do not fit a tile's: hand their pages back
    visits = stage.passes * stage.tiles
    boxes = (box for pass_index in range(stage.passes) for box in stage.boxes(pass_index))
    for index, box in enumerate(boxes, start=1):
        top, bottom, left, right = box
        pixels = (bottom - top) * (right - left)
        if index * stage.visit <= skip:
            progress.skip(stage.visit, stage.visit * pixels)
            continue
        _refine_tile(image, box, stage, model, whole, targets, grams, areas, config, progress, (index, visits))
        progress.advance(stage.visit)
        if progress.stopped:
            break
    return image


def _refine_tile(
    image: torch.Tensor,
    box: Box,
    stage: Stage,
    model: VGG19Features,
    whole: WholeImage,
    targets: SizeTargets,
    grams: list[dict[str, StyleTarget]],
    areas: list[float],
    config: StyleConfig,
    progress: RunProgress,
    visit: tuple[int, int],
) -> None:
    """One visit: the tile at `box` optimised by the whole image's loss, feathered into `image` (in place), and
    its new share of the sums put into `whole`."""
    w, h = stage.width, stage.height
    top, bottom, left, right = box
    pixels = (bottom - top) * (right - left)
    crop = (..., slice(top, bottom), slice(left, right))
    tile_guides = guides_in(targets.guides, box)
    objective = TileObjective(model, whole, targets.content[crop], tile_guides, grams, areas, config, pixels / (w * h))
    weight = feather(box, w, h, config.tile_overlap).to(image.device)
    progress.begin((w, h), pixels, visit)
    best, _ = optimize.run(
        image[crop],
        objective,
        optimizer=config.optimizer,
        lr=config.learning_rate,
        iterations=stage.visit,
        render=partial(_render_with_tile, image=image, box=box, weight=weight, render=targets.render),
        callback=progress.listener,
        **stopping(config, stage.visit),
    )
    blend(image, best, box, weight)
    objective.commit()
    del objective, best
    release_freed_memory()  # the next tile may have another shape: its blocks would not fit these holes


def stopping(config: StyleConfig, iterations: int) -> dict[str, float | int]:
    """optimize.run's stopping rule for a run of at most `iterations`: `config.still`, after half of them."""
    return {"still": config.still, "least": (iterations + 1) // 2}


def _render_with_tile(
    tile: torch.Tensor, image: torch.Tensor, box: Box, weight: torch.Tensor, render: Callable
) -> Image.Image:
    """The whole picture as it would be with this tile blended in now (for snapshots taken mid-visit)."""
    return render(blend(image.clone(), tile, box, weight))


def _colourised(grey: torch.Tensor, content: torch.Tensor) -> Image.Image:
    """A luminance-only result shown in the content's colours."""
    return to_image(with_colours_of(grey, content))


@dataclass
class RunProgress:
    """The whole run's progress, into which each optimiser run's is turned before the callback sees it:
    iterations counted over all sizes and tiles, time since the start, and the share of the compute done
    (pixel-iterations, for an honest time-left estimate: an iteration at a large size costs more)."""

    callback: Callable[[optimize.Progress], bool | None] | None
    total: int
    total_work: int
    start: float
    resumed_at: int = 0  # iterations of the run resumed that were done before (config.done_iterations)
    done: int = 0  # iterations counted before the optimiser run now going
    work_done: int = 0  # their cost, in pixel-iterations
    pixels: int = 0  # of the size (or the tile) now running
    size: tuple[int, int] = (0, 0)  # of the whole image now being refined
    tile: tuple[int, int] | None = None  # (visit, visits) at a tiled size
    stopped: bool = False

    @classmethod
    def of(cls, stages: Sequence[Stage], callback: Callback | None, resumed_at: int = 0) -> RunProgress:
        """The progress of a run over `stages`, starting now."""
        steps, work = sum(s.steps for s in stages), sum(s.work for s in stages)
        return cls(callback, steps, work, time.perf_counter(), resumed_at)

    def done_before(self, stage: Stage) -> int:
        """How many of `stage`'s steps, the next to count, the resumed run had done."""
        return min(stage.steps, max(0, self.resumed_at - self.done))

    def skip(self, steps: int, work: int) -> None:
        """Count `steps` iterations, `work` pixel-iterations in all, as done without running them."""
        self.done += steps
        self.work_done += work

    def begin(self, size: tuple[int, int], pixels: int, tile: tuple[int, int] | None = None) -> None:
        """An optimiser run starts over `pixels` (the whole `size`, or tile `tile` = (visit, visits) of it)."""
        self.size, self.pixels, self.tile = size, pixels, tile

    def advance(self, steps: int) -> None:
        """The optimiser run begun last has run `steps` iterations (or was stopped: they count all the same)."""
        self.done += steps
        self.work_done += steps * self.pixels

    @property
    def listener(self) -> RunProgress | None:
        """What an optimiser run is given as its callback: this, or None when nobody listens."""
        return self if self.callback else None

    def __call__(self, progress: optimize.Progress) -> bool:
        self.stopped = bool(
            self.callback
            and self.callback(
                replace(
                    progress,
                    iteration=self.done + progress.iteration,
                    iterations=self.total,
                    elapsed=time.perf_counter() - self.start,
                    work_done=(self.work_done + progress.iteration * self.pixels) / self.total_work,
                    size=self.size,
                    tile=self.tile,
                )
            )
        )
        return self.stopped
