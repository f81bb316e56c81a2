"""What turns a run into a reconstruction (Gatys et al.'s Fig. 1): the settings, shared by `painterly reconstruct`
and the notebook's `reconstruct`, so both show the same thing.

A reconstruction optimises noise until its features at some layers (content) or their Gram matrices (style, i.e.
texture synthesis) match one image, which is both the run's photo and its painting.
"""

from __future__ import annotations

from collections.abc import Sequence

MODES = ("content", "style")


def reconstruction_fields(mode: str, layers: Sequence[str]) -> dict[str, object]:
    """The StyleConfig fields that make a run on one image a reconstruction from `layers` alone.

    Content: noise is pushed towards the image's features at `layers`; the style term is weighted 0 (its one layer,
    conv1_1, adds no VGG depth). Style: no content layers, so only the Gram matrices of `layers` count, and the
    output takes the image's own shape at its size."""
    if mode not in MODES:
        raise ValueError(f"a reconstruction is of {' or '.join(MODES)}, not {mode!r}")
    start = {"init": "noise", "noise_ratio": 0.0}
    if mode == "content":
        terms = {"content_layers": tuple(layers), "content_weight": 1.0, "style_layers": ("conv1_1",)}
        return {**start, **terms, "style_weight": 0.0}
    return {**start, "content_layers": (), "content_weight": 0.0, "style_layers": tuple(layers), "style_weight": 1.0}


def reconstruction_options(mode: str, image: str, layers: Sequence[str]) -> list[str]:
    """The same settings as the main command's options, for a run on `image`."""
    options = ["--style", image]
    for name, value in reconstruction_fields(mode, layers).items():
        text = ",".join(value) if isinstance(value, tuple) else f"{value:g}" if isinstance(value, float) else value
        options.append(f"--{name.replace('_', '-')}={text}")
    return options
