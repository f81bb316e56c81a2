"""The engine: turn a content image, a style image and a StyleConfig into a stylised image."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial

import torch
from PIL import Image
from torch.nn import functional as F

from . import optimize
from .colors import luminance, match_histogram, match_luminance, with_colours_of
from .config import StyleConfig
from .errors import PainterlyError
from .highres import TileObjective, guides_in, measure, style_grams
from .images import ImageSource, load_image, resize_longest, to_image, to_tensor
from .losses import content_loss, gram_matrix, guided_gram_matrix, relative_squared_error, tv_loss
from .masks import guide_at, parse_colors, region_guides
from .resources import available_bytes, estimate_peak_bytes, largest_size_within, largest_tile_within
from .tiles import Box, blend, boxes, feather
from .vgg import VGG19Features
from .weights import load_weights


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

    Sizes above `tile_size` are refined in tiles, and there each doubling of the size halves the iterations:
    a pass costs four times the last size's, and by then the picture's structure is settled, so these passes
    only sharpen detail. A one-size run keeps its full count.
    """
    sizes = scale_sizes(config, width, height)
    stages = []
    for i, (w, h) in enumerate(sizes):
        n = config.start_iterations if i == 0 and len(sizes) > 1 else config.iterations
        if not config.tile_size or max(w, h) <= config.tile_size:
            stages.append(Stage(w, h, n))
            continue
        if i > 0:
            n = max(1, round(n * config.tile_size / max(w, h)))
        passes = max(2, math.ceil(n / VISIT))  # two at least: the second moves every border of the first
        stages.append(Stage(w, h, passes * math.ceil(n / passes), config.tile_size, config.tile_overlap, passes))
    return stages


def initial_image(config: StyleConfig, content: torch.Tensor, other: Image.Image | None) -> torch.Tensor:
    """The starting pixels: the content, noise, or `other` (the style or an --init image, stretched to the
    output size), mixed with `noise_ratio` of uniform noise. Noise comes from a CPU generator so a seed means
    the same start on every device."""
    h, w = content.shape[-2:]
    generator = torch.Generator().manual_seed(config.seed)
    noise = torch.rand(content.shape, generator=generator).to(content.device)
    if config.init == "noise":
        return noise
    if other is None:
        start = content
    else:
        start = to_tensor(other.resize((w, h), Image.Resampling.LANCZOS)).to(content.device)
    return (1 - config.noise_ratio) * start + config.noise_ratio * noise


def style_targets(
    grams: Sequence[dict[str, torch.Tensor]], guides: torch.Tensor | None, config: StyleConfig
) -> tuple[list[dict[str, torch.Tensor]], list[float]]:
    """The Gram targets of each region and its share of the image. Without guides there is one region, the
    whole image, whose targets are the styles' Gram matrices mixed by the blend weights, layer by layer; with
    guides, style i is region i's target."""
    if guides is None:
        mix = config.normalised_style_blend(len(grams))
        return [{n: sum(b * g[n] for b, g in zip(mix, grams)) for n in config.style_layers}], [1.0]
    return list(grams), [float(guide.mean()) for guide in guides]


def make_objective(
    model: VGG19Features,
    content: torch.Tensor,
    grams: Sequence[dict[str, torch.Tensor]],
    config: StyleConfig,
    guides: torch.Tensor | None = None,
) -> optimize.Objective:
    """The weighted loss terms for an image the shape of `content` (the whole picture or one tile), against each
    style's Gram targets (`style_grams`, of the whole style image even for a tile). The content targets are
    computed here once, without autograd: they are constants.

    Without `guides` the styles' Gram matrices blend into one target; with guides ([S, 1, H, W], one region per
    style) each style is matched by the guided Gram matrix of its own region, weighted by the region's area.
    """
    with torch.no_grad():
        content_targets = {name: f for name, f in model(content).items() if name in config.content_layers}
    targets, areas = style_targets(grams, guides, config)
    regions = [
        (None if guides is None else guides[r][None], area, target)
        for r, (area, target) in enumerate(zip(areas, targets))
        if area > 0
    ]
    layer_weights = dict(zip(config.style_layers, config.normalised_style_layer_weights()))

    low_precision = config.precision == "bfloat16"

    def objective(image: torch.Tensor) -> dict[str, torch.Tensor]:
        with torch.autocast(image.device.type, dtype=torch.bfloat16, enabled=low_precision):
            features = model(image)
        features = {name: f.float() for name, f in features.items()}  # Gram matrices and sums in float32
        zero = image.new_zeros(())
        content_term = sum((content_loss(features[n], t) for n, t in content_targets.items()), zero)
        if content_targets:
            content_term = content_term / len(content_targets)
        style_term = zero
        for guide, area, targets in regions:
            for name, target in targets.items():
                f = features[name]
                gram = gram_matrix(f) if guide is None else guided_gram_matrix(f, guide_at(guide, f))
                style_term = style_term + area * layer_weights[name] * relative_squared_error(gram, target)
        losses = {
            "content": config.content_weight * content_term,
            "style": config.style_weight * style_term,
            "tv": config.tv_weight * tv_loss(image) if config.tv_weight else zero,
        }
        losses["total"] = losses["content"] + losses["style"] + losses["tv"]
        return losses

    return objective


def stylize(
    content: ImageSource,
    style: ImageSource | Sequence[ImageSource],
    config: StyleConfig | None = None,
    callback: Callable[[optimize.Progress], bool | None] | None = None,
) -> Image.Image:
    """Repaint `content` in the style of `style` (paths or PIL images) and return the result as a PIL image.
    A list of styles blends them by `config.style_blend`, or with `config.mask` gives each its own region.

    The run goes coarse to fine (`config.start_size`): most iterations are spent at the smallest size, where one
    costs a sixteenth of a 512 px one and the large structures of the style settle; each result is upsampled to
    start the next size, where a few iterations restore the detail.

    `callback(progress)` is called after every iteration with the iteration number (counted over all sizes),
    the loss terms, the current size and `progress.image()`; returning True stops the run early (the best image
    so far is returned, at the size it was reached).
    """
    config = config or StyleConfig()
    config.validate()  # the caller may have changed fields since construction
    device = resolve_device(config.device)
    content_full = load_image(content)
    styles_full = [load_image(s) for s in (style if isinstance(style, (list, tuple)) else [style])]
    config.normalised_style_blend(len(styles_full))  # a blend list of the wrong length fails before the work
    mask = load_image(config.mask) if config.mask else None
    colors = parse_colors(config.mask_colors, len(styles_full)) if mask else []
    content_img = resize_longest(content_full, config.size)
    init_img = None  # content and noise need no image
    if config.init == "style":
        init_img = styles_full[0]
    elif config.init not in ("content", "noise"):
        init_img = load_image(config.init)  # read before the heavy work, so a bad path fails at once

    if device.type == "cpu":
        check_memory(config, *content_img.size)

    weights = load_weights(config.weights, config.weights_format)
    model = VGG19Features(weights, config.content_layers + config.style_layers, config.pooling).to(device)

    stages = schedule(config, *content_img.size)
    relay = _Relay(callback, sum(s.steps for s in stages), sum(s.work for s in stages), time.perf_counter())
    image: torch.Tensor | None = None
    render = to_image
    for stage in stages:
        w, h = stage.width, stage.height
        skip = min(stage.steps, max(0, config.done_iterations - relay.done))  # done before, in the run resumed
        if skip == stage.steps:
            relay.done, relay.work_done = relay.done + stage.steps, relay.work_done + stage.work
            continue
        content_tensor = to_tensor(content_full.resize((w, h), Image.Resampling.LANCZOS)).to(device)
        # 16 px at least: below that VGG's four poolings leave nothing for conv5_1 to see.
        style_edge = max(16, round(max(w, h) * config.style_scale))
        style_tensors = [to_tensor(resize_longest(s, style_edge)).to(device) for s in styles_full]
        target, render = content_tensor, to_image
        if config.preserve_colors == "histogram":
            style_tensors = [match_histogram(s, content_tensor) for s in style_tensors]
        elif config.preserve_colors == "luminance":
            style_tensors = [match_luminance(s, content_tensor) for s in style_tensors]
            target = luminance(content_tensor)
            render = partial(_colourised, content=content_tensor)
        grams = [style_grams(model, s, config.style_layers, config.tile_size) for s in style_tensors]  # no autograd
        del style_tensors
        guides = region_guides(mask, colors, (w, h)).to(device) if mask else None
        if image is None:
            image = initial_image(config, target, init_img)
            if config.preserve_colors == "luminance":
                image = luminance(image)
        else:  # the coarser result, upsampled, is where this size starts
            image = F.interpolate(image, size=(h, w), mode="bicubic", align_corners=False).clamp_(0, 1)
        relay.size = (w, h)
        if stage.tile:
            image = _refine_in_tiles(image, stage, skip, model, target, grams, guides, config, render, relay)
        else:
            relay.done, relay.work_done, relay.pixels = relay.done + skip, relay.work_done + skip * w * h, w * h
            image, _ = optimize.run(
                image,
                make_objective(model, target, grams, config, guides),
                optimizer=config.optimizer,
                lr=config.learning_rate,
                iterations=stage.steps - skip,
                render=render,
                callback=relay if callback else None,
            )
            relay.done += stage.steps - skip
            relay.work_done += (stage.steps - skip) * w * h
        if relay.stopped:
            break
    if image is None:
        total = sum(s.steps for s in stages)
        raise PainterlyError(f"nothing left to do: all {total} iterations were done before")
    return render(image)


def _refine_in_tiles(
    image: torch.Tensor,
    stage: Stage,
    skip: int,
    model: VGG19Features,
    target: torch.Tensor,
    grams: list[dict[str, torch.Tensor]],
    guides: torch.Tensor | None,
    config: StyleConfig,
    render: Callable[[torch.Tensor], Image.Image],
    relay: _Relay,
) -> torch.Tensor:
    """Refine `image` one tile at a time, pass after pass, each tile by the whole image's loss
    (painterly.highres), and feather each result back in (painterly.tiles). Only one tile's activations and
    optimiser history are held at once, so memory follows the tile size, not the image size.

    Visits done before (a resumed run's `skip` steps) are passed over; a visit cut short is done again whole.
    """
    w, h = stage.width, stage.height
    whole = measure(model, image, target, guides, config)
    targets, areas = style_targets(grams, guides, config)
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
class _Relay:
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
