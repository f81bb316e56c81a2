"""The engine: turn a content image, a style image and a StyleConfig into a stylised image."""

from __future__ import annotations

from collections.abc import Callable

import torch
from PIL import Image

from . import optimize
from .config import StyleConfig
from .errors import PainterlyError
from .images import ImageSource, load_image, resize_longest, to_image, to_tensor
from .losses import content_loss, gram_matrix, style_loss, tv_loss
from .resources import available_bytes, estimate_peak_bytes, largest_size_within
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
    need = estimate_peak_bytes(height, width, layers)
    budget = config.max_memory_gb * 2**30 if config.max_memory_gb else available_bytes()
    if budget is not None and need > budget:
        fits = largest_size_within(budget, height, width, layers)
        raise PainterlyError(
            f"size {config.size} needs about {need / 2**30:.1f} GB of memory but {budget / 2**30:.1f} GB is "
            f"available; try --size {fits}"
        )


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


def stylize(
    content: ImageSource,
    style: ImageSource,
    config: StyleConfig | None = None,
    callback: Callable[[optimize.Progress], bool | None] | None = None,
) -> Image.Image:
    """Repaint `content` in the style of `style` (paths or PIL images) and return the result as a PIL image.

    `callback(progress)` is called after every iteration with the iteration number, the loss terms and
    `progress.image()`; returning True stops the run early (the best image so far is returned).
    """
    config = config or StyleConfig()
    config.validate()  # the caller may have changed fields since construction
    device = resolve_device(config.device)
    content_img = resize_longest(load_image(content), config.size)
    # 16 px at least: below that VGG's four poolings leave nothing for conv5_1 to see.
    style_img = resize_longest(load_image(style), max(16, round(config.size * config.style_scale)))
    init_img = None  # content and noise need no image
    if config.init == "style":
        init_img = style_img
    elif config.init not in ("content", "noise"):
        init_img = load_image(config.init)  # read before the heavy work, so a bad path fails at once

    if device.type == "cpu":
        check_memory(config, *content_img.size)

    weights = load_weights(config.weights, config.weights_format)
    model = VGG19Features(weights, config.content_layers + config.style_layers, config.pooling).to(device)

    content_tensor = to_tensor(content_img).to(device)
    with torch.no_grad():  # targets are constants: no graph kept for them
        content_targets = {name: f for name, f in model(content_tensor).items() if name in config.content_layers}
        style_features = model(to_tensor(style_img).to(device))
        style_targets = {name: gram_matrix(style_features[name]) for name in config.style_layers}
    del style_features
    layer_weights = dict(zip(config.style_layers, config.normalised_style_layer_weights()))

    def objective(image: torch.Tensor) -> dict[str, torch.Tensor]:
        features = model(image)
        zero = image.new_zeros(())
        content_term = sum((content_loss(features[n], t) for n, t in content_targets.items()), zero)
        if content_targets:
            content_term = content_term / len(content_targets)
        style_term = sum((layer_weights[n] * style_loss(features[n], t) for n, t in style_targets.items()), zero)
        losses = {
            "content": config.content_weight * content_term,
            "style": config.style_weight * style_term,
            "tv": config.tv_weight * tv_loss(image) if config.tv_weight else zero,
        }
        losses["total"] = losses["content"] + losses["style"] + losses["tv"]
        return losses

    start = initial_image(config, content_tensor, init_img)
    best, _ = optimize.run(
        start,
        objective,
        optimizer=config.optimizer,
        lr=config.learning_rate,
        iterations=config.iterations,
        render=to_image,
        callback=callback,
    )
    return to_image(best)
