"""The memory budget of a run: how much it will need at its peak and how much the system can give, estimated
before any heavy work so a too-large --size fails in a second rather than after minutes of swapping."""

from __future__ import annotations

import math
import os

from ..layers import CHANNELS, LAYER_NAMES, ends_block
from .lbfgs import HISTORY as LBFGS_HISTORY

BASELINE_BYTES = 600 * 2**20  # PyTorch itself, the decoded weights and the model
SAVED_PER_ACTIVATION = 3  # conv output, rectified output and its gradient are alive at once in backward


def estimate_peak_bytes(height: int, width: int, layers: tuple[str, ...], tile: int = 0) -> int:
    """Peak RSS of one run at this size, from the activation sizes of every layer up to the deepest used.
    With `tile`, the network sees at most tile x tile px at once, and the whole image is held only as a few
    RGB copies (the picture, the content, a blend, a snapshot). Calibrated against the measured peak of a
    512 px run on this project's machine (peak RSS of such runs: benchmarks/RESULTS.md).
    """
    if tile:
        whole = 8 * 3 * height * width * 4
        return whole + estimate_peak_bytes(min(height, tile), min(width, tile), layers)
    deepest = max(LAYER_NAMES.index(name) for name in layers)
    floats = 0
    h, w = height, width
    for name in LAYER_NAMES[: deepest + 1]:
        floats += SAVED_PER_ACTIVATION * CHANNELS[name] * h * w
        if ends_block(name):
            h, w = math.ceil(h / 2), math.ceil(w / 2)
    floats += (2 * LBFGS_HISTORY + 8) * 3 * height * width  # L-BFGS history, gradients and image copies
    return BASELINE_BYTES + 4 * floats


def available_bytes() -> int | None:
    """Memory the system can give us now without swapping (Linux MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def largest_size_within(budget: int, height: int, width: int, layers: tuple[str, ...], tile: int = 0) -> int:
    """The largest longest edge (a multiple of 64, below the size asked for) whose estimate fits the budget, for
    the error message; 0 when none does."""
    longest = max(height, width)
    size = longest - longest % 64 if longest % 64 else longest - 64
    while size >= 64:
        scale = size / longest
        tiled = tile if tile and size > tile else 0
        if estimate_peak_bytes(round(height * scale), round(width * scale), layers, tiled) <= budget:
            return size
        size -= 64
    return 0  # not even the smallest size fits: no size to suggest


def largest_tile_within(budget: int, height: int, width: int, layers: tuple[str, ...]) -> int:
    """The largest tile size (a multiple of 64, 320 at least) whose estimate fits the budget; 0 if none does."""
    size = min(max(height, width), 4096) // 64 * 64
    while size >= 320:
        if estimate_peak_bytes(height, width, layers, size) <= budget:
            return size
        size -= 64
    return 0
