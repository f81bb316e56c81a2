"""Painter: a network and one set of style targets, painting any number of photos (or video frames) with them.

Building a Painter reads the paintings and loads VGG-19 once; the paintings' Gram matrices are measured once per
size and kept, so the second photo costs only its own optimisation. `stylize` is one Painter painting one photo.

The run goes coarse to fine (painterly.engine.schedule): most iterations are spent at the smallest size, where one
costs a sixteenth of a 512 px one and the large structures settle; each result is upsampled to start the next size,
where a few iterations restore the detail. Sizes above `config.tile_size` are refined in tiles (highres, tiles).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial

import torch
from PIL import Image
from torch.nn import functional as F

from ..config import StyleConfig
from ..errors import PainterlyError
from ..media.images import ImageSource, load_image, resize_longest, to_image, to_tensor
from . import optimize
from .colors import (
    colour_statistics,
    luminance,
    match_histogram,
    match_luminance,
    mixture_statistics,
    recolour,
    with_colours_of,
)
from .highres import TileObjective, guides_in, measure, style_grams
from .masks import parse_colors, region_guides
from .memory import keep_freed_memory, release_freed_memory
from .motifs import MOTIF_EDGE, MOTIF_LAYER, guide_of, motif_map
from .objective import Hold, Temporal, make_objective, style_targets
from .precision import choose_precision
from .resources import available_bytes, estimate_peak_bytes, largest_size_within, largest_tile_within
from .schedule import Stage, schedule
from .tiles import Box, blend, feather
from .vgg import VGG19Features
from .weights import load_weights

Callback = Callable[[optimize.Progress], "bool | None"]
PALETTE_EDGE = 256  # px: a painting's colour statistics need no more

__all__ = ["Painter", "Temporal", "load_model", "model_key", "stylize"]


def load_model(config: StyleConfig, device: torch.device | str | None = None) -> VGG19Features:
    """The VGG-19 a config needs (its weights file, layers and pooling), on `device` (default: config.device).
    Load it once and pass it to every Painter with the same weights, layers and pooling."""
    device = resolve_device(config.device) if device is None else torch.device(device)
    weights = load_weights(config.weights, config.weights_format)
    return VGG19Features(weights, network_layers(config), config.pooling).to(device)


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


class Painter:
    """The network and one set of paintings (blended by `config.style_blend`, or one per region of
    `config.mask`), painting any number of photos with `paint`.

    Every input is read here, before any heavy work, so a bad painting, mask or --init image fails at once.
    `precision` and `precision_reason` say which precision `config.precision` ("auto" decides) resolved to.
    """

    def __init__(
        self,
        styles: ImageSource | Sequence[ImageSource],
        config: StyleConfig | None = None,
        model: VGG19Features | None = None,
    ) -> None:
        config = config or StyleConfig()
        config.validate()  # the caller may have changed fields since construction
        self.config = config
        self.device = resolve_device(config.device)
        if self.device.type == "cpu":
            keep_freed_memory()  # large activations are reused, not mapped and faulted in anew each iteration
        self.precision, self.precision_reason = choose_precision(config.precision, self.device)
        # The engine reads the precision from the config; it sees the resolved one, the caller keeps "auto".
        self._engine_config = replace(config, precision=self.precision)
        self.styles = [load_image(s) for s in (styles if isinstance(styles, (list, tuple)) else [styles])]
        config.normalised_style_blend(len(self.styles))  # a blend list of the wrong length fails before the work
        self.mask = load_image(config.mask) if config.mask else None
        self.colors = parse_colors(config.mask_colors, len(self.styles)) if self.mask else []
        self.init_image: Image.Image | None = None  # content and noise need no image
        if config.init == "style":
            self.init_image = self.styles[0]
        elif config.init not in ("content", "noise"):
            self.init_image = load_image(config.init)
        self.model = model if model is not None else load_model(config, self.device)
        self._grams: dict[int, list[dict[str, torch.Tensor]]] = {}  # style edge -> each style's Gram targets
        self._palette: tuple[torch.Tensor, torch.Tensor] | None = None
        self._motifs: list[torch.Tensor | None] | None = None  # each painting's motif map, found once

    def style_grams(self, edge: int) -> list[dict[str, torch.Tensor]]:
        """Each painting's Gram matrices with its longest edge at `edge` px, measured once per edge."""
        if edge not in self._grams:
            tensors = [to_tensor(resize_longest(s, edge)).to(self.device) for s in self.styles]
            self._grams[edge] = [self._grams_of(t, i) for i, t in enumerate(tensors)]
        return self._grams[edge]

    def target_grams(self, edge: int, photo: torch.Tensor) -> list[dict[str, torch.Tensor]]:
        """The Gram targets of each painting at `edge` px: the paintings' own (measured once per edge), or with
        preserved colours the paintings recoloured to `photo` first, whose Gram matrices are this photo's."""
        config = self._engine_config
        if config.preserve_colors == "none":
            return self.style_grams(edge)
        tensors = [to_tensor(resize_longest(s, edge)).to(self.device) for s in self.styles]
        if config.preserve_colors == "histogram":
            tensors = [match_histogram(s, photo) for s in tensors]
        else:
            tensors = [match_luminance(s, photo) for s in tensors]
        return [self._grams_of(t, i) for i, t in enumerate(tensors)]

    def motif_maps(self) -> list[torch.Tensor | None]:
        """Each painting's motif map (engine.motifs), None where every position counts (`motif_rarity` 0).
        Found once per painting, from the painting itself (recoloured or not, at whatever size it is measured):
        the same parts are motifs at every size and for every photo."""
        rarity = self._engine_config.motif_rarity
        if not rarity:
            return [None] * len(self.styles)
        if self._motifs is None:
            seen = [to_tensor(resize_longest(s, MOTIF_EDGE)).to(self.device) for s in self.styles]
            self._motifs = [motif_map(self.model, s, rarity) for s in seen]
        return self._motifs

    def _guide(self, index: int, painting: torch.Tensor) -> torch.Tensor | None:
        motifs = self.motif_maps()[index]
        return None if motifs is None else guide_of(motifs, *painting.shape[-2:]).to(painting.device)

    def _grams_of(self, painting: torch.Tensor, index: int) -> dict[str, torch.Tensor]:
        """Painting `index`'s Gram targets, its motifs weighted down (`config.motif_rarity`, engine.motifs)."""
        config = self._engine_config
        guide = self._guide(index, painting)
        return style_grams(self.model, painting, config.style_layers, config.tile_size, guide)

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
            self._palette = mixture_statistics(statistics, self.config.normalised_style_blend(len(self.styles)))
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
        config = self._engine_config
        content_full = load_image(photo)
        content_img = resize_longest(content_full, config.size)
        init_img = load_image(start) if start is not None else self.init_image
        if self.device.type == "cpu":
            check_memory(config, *content_img.size)
        if iterations is None:
            stages = schedule(config, *content_img.size)
        else:
            stages = [Stage(*content_img.size, iterations)]
        relay = Relay(callback, sum(s.steps for s in stages), sum(s.work for s in stages), time.perf_counter())
        image: torch.Tensor | None = None
        formed: torch.Tensor | None = None  # the picture at the first size, whose style the later sizes hold
        first = stages[0]
        render = to_image
        for stage in stages:
            w, h = stage.width, stage.height
            skip = min(stage.steps, max(0, config.done_iterations - relay.done))  # done before, in the run resumed
            if skip == stage.steps:
                relay.done, relay.work_done = relay.done + stage.steps, relay.work_done + stage.work
                continue
            content_tensor = to_tensor(content_full.resize((w, h), Image.Resampling.LANCZOS)).to(self.device)
            style_edge = painting_edge(config, w, h)
            target, render = content_tensor, to_image
            if config.preserve_colors == "luminance":
                target, render = luminance(content_tensor), partial(_colourised, content=content_tensor)
            grams = self.target_grams(style_edge, content_tensor)
            guides = region_guides(self.mask, self.colors, (w, h)).to(self.device) if self.mask else None
            if image is None:
                # Not with a mask: the part of the photo that no style paints must keep its own colours.
                in_palette = (
                    init_img is None
                    and config.init_palette == "painting"
                    and config.preserve_colors == "none"
                    and self.mask is None
                )
                image = initial_image(config, target, init_img, self.palette() if in_palette else None)
                if config.preserve_colors == "luminance":
                    image = luminance(image)
            else:  # the coarser result, upsampled, is where this size starts
                image = F.interpolate(image, size=(h, w), mode="bicubic", align_corners=False).clamp_(0, 1)
            relay.size = (w, h)
            scale = max(w, h) / max(first.width, first.height)  # this size, in multiples of the first
            if stage.tile:
                image = refine_in_tiles(
                    image, stage, skip, self.model, target, grams, guides, config, render, relay
                )
            else:
                frame_term = temporal if temporal is not None and temporal.previous.shape[-2:] == (h, w) else None
                hold = None
                if formed is None and stage is not first:  # resumed past the first size: the start is what formed
                    formed = F.interpolate(image, size=(first.height, first.width), mode="area")
                if formed is not None and config.hold and scale >= config.hold_from:
                    hold = Hold.of(formed, config.hold)
                relay.done, relay.work_done, relay.pixels = relay.done + skip, relay.work_done + skip * w * h, w * h
                image, _ = optimize.run(
                    image,
                    make_objective(self.model, target, grams, config, guides, frame_term, hold),
                    optimizer=config.optimizer,
                    lr=config.learning_rate,
                    iterations=stage.steps - skip,
                    render=render,
                    callback=relay if callback else None,
                )
                relay.done += stage.steps - skip
                relay.work_done += (stage.steps - skip) * w * h
            if stage is first:
                formed = image.detach()
            if relay.stopped:
                break
        if image is None:
            total = sum(s.steps for s in stages)
            raise PainterlyError(f"nothing left to do: all {total} iterations were done before")
        return render(image)


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
            advice = f"try --size {largest_size_within(budget, height, width, layers, config.tile_size)}"
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
    target: torch.Tensor,
    grams: list[dict[str, torch.Tensor]],
    guides: torch.Tensor | None,
    config: StyleConfig,
    render: Callable[[torch.Tensor], Image.Image],
    relay: Relay,
) -> torch.Tensor:
    """Refine `image` one tile at a time, pass after pass, each tile by the whole image's loss
    (painterly.highres), and feather each result back in (painterly.tiles). Only one tile's activations and
    optimiser history are held at once, so memory follows the tile size, not the image size.

    Visits done before (a resumed run's `skip` steps) are passed over; a visit cut short is done again whole.
    """
    w, h = stage.width, stage.height
    whole = measure(model, image, target, guides, config)
    targets, areas = style_targets(grams, guides, config)
    release_freed_memory()  # the whole-image measure's blocks do not fit a tile's: hand their pages back
    index = 0
    for pass_index in range(stage.passes):
        for box in stage.boxes(pass_index):
            index += 1
            top, bottom, left, right = box
            pixels = (bottom - top) * (right - left)
            if index * stage.visit <= skip:
                relay.done, relay.work_done = relay.done + stage.visit, relay.work_done + stage.visit * pixels
                continue
            crop = (..., slice(top, bottom), slice(left, right))
            tile_guides = guides_in(guides, box)
            objective = TileObjective(model, whole, target[crop], tile_guides, targets, areas, config, pixels / (w * h))
            weight = feather(box, w, h, config.tile_overlap).to(image.device)
            relay.pixels, relay.tile = pixels, (index, stage.passes * stage.tiles)
            best, _ = optimize.run(
                image[crop],
                objective,
                optimizer=config.optimizer,
                lr=config.learning_rate,
                iterations=stage.visit,
                render=partial(_render_with_tile, image=image, box=box, weight=weight, render=render),
                callback=relay if relay.callback else None,
            )
            blend(image, best, box, weight)
            objective.commit()
            del objective, best
            release_freed_memory()  # the next tile may have another shape: its blocks would not fit these holes
            relay.done, relay.work_done = relay.done + stage.visit, relay.work_done + stage.visit * pixels
            if relay.stopped:
                return image
    relay.tile = None
    return image


def _render_with_tile(
    tile: torch.Tensor, image: torch.Tensor, box: Box, weight: torch.Tensor, render: Callable
) -> Image.Image:
    """The whole picture as it would be with this tile blended in now (for snapshots taken mid-visit)."""
    return render(blend(image.clone(), tile, box, weight))


def _colourised(grey: torch.Tensor, content: torch.Tensor) -> Image.Image:
    """A luminance-only result shown in the content's colours."""
    return to_image(with_colours_of(grey, content))


@dataclass
class Relay:
    """Passes one size's progress on as the whole run's: iterations counted over all sizes, time since the
    start, and the share of the compute done (for an honest time-left estimate)."""

    callback: Callable[[optimize.Progress], bool | None] | None
    total: int
    total_work: int
    start: float
    done: int = 0  # iterations at earlier sizes
    work_done: int = 0  # their cost, in pixel-iterations
    pixels: int = 0  # of the size (or the tile) now running
    size: tuple[int, int] = (0, 0)  # of the whole image now being refined
    tile: tuple[int, int] | None = None  # (visit, visits) at a tiled size
    stopped: bool = False

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
