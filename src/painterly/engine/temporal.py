"""Video frames without flicker, after Ruder, Dosovitskiy & Brox, "Artistic style transfer for videos" (2016).

Painted one by one, the frames of a video each settle into their own arrangement of brush strokes, and the result
flickers. Here every frame after the first starts from the previous *stylised* frame, carried into the new frame by
the optical flow between the two *input* frames, and is held there by Ruder et al.'s short-term term
weight * mean(c * (x - warped_previous)^2) (painterly.engine.objective.Temporal), where c is 0 at pixels the flow
cannot vouch for: disoccluded by motion, on motion boundaries, or come from outside the picture. Those pixels start
from the new frame instead and are painted afresh.

Differences from the paper: the flow is OpenCV's DIS (Kroeger et al. 2016: milliseconds a frame, no binaries to
install) rather than DeepFlow; the term is a mean over pixels rather than a sum, so its weight does not depend on
size; the first frame gets the usual coarse-to-fine schedule and later frames one short run at the output size,
since they start close to done; the long-term term (frames t-2, t-4) is not used.

This module knows frames (PIL images or RGB arrays), not files or terminals: `paint_frames` takes frames and
yields stylised frames, and `paint_timed_frames` pairs each with the decoded frame (and its timestamp) it came
from, so the video front-end and `painterly batch` share both.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import numpy as np
import torch
from PIL import Image

from ..errors import PainterlyError
from ..media.images import resize_longest
from .objective import Temporal
from .optimize import Progress

# Chosen by measurement (benchmarks/VIDEO.md, video_sweep.py on the test clip at 128 px): weight 100 cuts the warping
# error to a tenth of frame by frame with the style score within 2 %; heavier weights gain little and cost style. 30
# iterations repaint what the warp blurred (15 leave the style 4 % worse; 60 are no better).
DEFAULT_TEMPORAL_WEIGHT = 100.0
DEFAULT_FRAME_ITERATIONS = 30

# Ruder et al.'s thresholds, in pixels (flow) and pixels^2.
FB_RELATIVE, FB_ABSOLUTE = 0.01, 0.5  # forward-backward check: |w~ + w^|^2 > 0.01 (|w~|^2 + |w^|^2) + 0.5
BOUNDARY_RELATIVE, BOUNDARY_ABSOLUTE = 0.01, 0.002  # motion boundary: |grad u|^2 + |grad v|^2 > 0.01 |w^|^2 + 0.002

FrameCallback = Callable[[int, Progress], "bool | None"]
FrameLike = Image.Image | np.ndarray


def _cv2() -> Any:
    try:
        import cv2
    except ImportError:
        raise PainterlyError(
            "video needs OpenCV for the optical flow: pip install opencv-python-headless (or 'painterly[video]')"
        ) from None
    return cv2


def _array(frame: FrameLike) -> np.ndarray:
    """An RGB frame as a float32 [H, W, 3] array in 0-1."""
    if isinstance(frame, Image.Image):
        frame = np.asarray(frame.convert("RGB"))
    array = np.asarray(frame)
    return array.astype(np.float32) / 255.0 if array.dtype == np.uint8 else array.astype(np.float32)


def _grey(frame: FrameLike) -> np.ndarray:
    rgb = _array(frame)
    return np.clip(rgb @ np.array([0.299, 0.587, 0.114], np.float32) * 255 + 0.5, 0, 255).astype(np.uint8)


def optical_flow(source: FrameLike, target: FrameLike) -> np.ndarray:
    """The flow from `source` to `target` ([H, W, 2] float32, x then y, in pixels): source(p) ~ target(p + flow(p)).

    DIS at its medium preset (with variational refinement), on the grey images: the preset that stays within a
    few tens of milliseconds at 512 px while following a ball of a tenth of the frame across it."""
    cv2 = _cv2()
    a, b = _grey(source), _grey(target)
    if a.shape != b.shape:
        raise ValueError(f"frames of different sizes: {a.shape} and {b.shape}")
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    return dis.calc(a, b, None)


def warp(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """`image` sampled at p + flow(p) for every pixel p (bilinear; edges repeated): with the flow from frame A to
    frame B, this brings B's pixels (or anything aligned with B) into A's place."""
    cv2 = _cv2()
    h, w = flow.shape[:2]
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    map_x, map_y = xs + flow[..., 0], ys + flow[..., 1]
    return cv2.remap(np.asarray(image, np.float32), map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def occlusion_mask(flow: np.ndarray, reverse: np.ndarray) -> np.ndarray:
    """Ruder et al.'s c for the pixels of frame A ([H, W] float32, 1 = trust the warp, 0 = do not), given `flow`
    from A to B (their w^ when A is frame t and B frame t-1) and `reverse` from B to A (their w).

    A pixel gets 0 where the two flows disagree (|w~ + w^|^2 > 0.01 (|w~|^2 + |w^|^2) + 0.5, with
    w~(p) = w(p + w^(p)): disocclusion), on a motion boundary (|grad u|^2 + |grad v|^2 > 0.01 |w^|^2 + 0.002, with
    (u, v) = w^), and where p + w^(p) falls outside the picture."""
    h, w = flow.shape[:2]
    reverse_there = warp(reverse, flow)
    flow_sq = (flow**2).sum(-1)
    round_trip = ((reverse_there + flow) ** 2).sum(-1)
    disagree = round_trip > FB_RELATIVE * ((reverse_there**2).sum(-1) + flow_sq) + FB_ABSOLUTE
    du_dy, du_dx = np.gradient(flow[..., 0])
    dv_dy, dv_dx = np.gradient(flow[..., 1])
    boundary = du_dx**2 + du_dy**2 + dv_dx**2 + dv_dy**2 > BOUNDARY_RELATIVE * flow_sq + BOUNDARY_ABSOLUTE
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    x, y = xs + flow[..., 0], ys + flow[..., 1]
    off_frame = (x < 0) | (x > w - 1) | (y < 0) | (y > h - 1)
    return (~(disagree | boundary | off_frame)).astype(np.float32)


def consistency(frame: FrameLike, previous: FrameLike) -> tuple[np.ndarray, np.ndarray]:
    """The flow from `frame` back to `previous` and the mask c of the pixels of `frame` it carries reliably, both
    directions of flow measured on these (input) frames."""
    backward = optical_flow(frame, previous)
    forward = optical_flow(previous, frame)
    return backward, occlusion_mask(backward, forward)


def paint_frames(
    painter,
    frames: Iterable[FrameLike],
    *,
    temporal_weight: float = DEFAULT_TEMPORAL_WEIGHT,
    frame_iterations: int = DEFAULT_FRAME_ITERATIONS,
    warm_start: bool | None = None,
    previous: tuple[FrameLike, FrameLike] | None = None,
    callback: FrameCallback | None = None,
) -> Iterator[Image.Image]:
    """Paint `frames` in order with `painter` (a painterly.Painter), yielding each stylised frame as it is done.

    The first frame gets the painter's full schedule. Each later one starts from the previous stylised frame
    warped into it (its disoccluded pixels from the new frame), runs `frame_iterations` iterations at the output
    size, and is held to the warped frame by the temporal term of `temporal_weight`. With temporal_weight 0 the
    frames are painted independently, each with the full schedule (frame by frame: the baseline that flickers);
    `warm_start` overrides whether later frames start from the warped previous one (default: weight > 0).

    Every frame uses the painter's config, hence the same seed. Frames are resized so their longest edge is
    `painter.config.size` (pass them at that size to control the exact size). `previous` = (input frame, its
    stylised frame) continues the chain of a stopped run; the stylised frame is fed back as the 8-bit image that
    was yielded, so a resumed run paints exactly what an uninterrupted one does.

    `callback(index, progress)` is called at every iteration, `index` counting from 0 over `frames`; returning
    True stops: the frame being painted is dropped (not yielded) and the generator ends.
    """
    if temporal_weight < 0 or temporal_weight != temporal_weight:
        raise PainterlyError(f"temporal weight must be zero or more, got {temporal_weight}")
    if frame_iterations < 1:
        raise PainterlyError(f"frame iterations must be 1 or more, got {frame_iterations}")
    warm = temporal_weight > 0 if warm_start is None else warm_start
    if warm:
        _cv2()  # a missing OpenCV is found before the first frame's minutes, not after
    size = painter.config.size
    last_input, last_output = (None, None) if previous is None else (_image(previous[0]), _image(previous[1]))
    for index, frame in enumerate(frames):
        photo = resize_longest(_image(frame), size)
        stopped = False

        def relay(progress: Progress, index: int = index) -> bool:
            nonlocal stopped
            stopped = bool(callback(index, progress))
            return stopped

        hook = relay if callback is not None else None
        if not warm or last_output is None:
            result = painter.paint(photo, hook)
        else:
            options = _continuation(photo, last_input, last_output, temporal_weight, painter.device)
            result = painter.paint(photo, hook, iterations=frame_iterations, **options)
            result = result.resize(photo.size) if result.size != photo.size else result
        if stopped:
            return
        yield result
        last_input, last_output = photo, result
    return


Timed = TypeVar("Timed")  # a decoded frame: anything with an `.image` (media.video.Frame, with its timestamp)


def paint_timed_frames(
    painter, frames: Iterable[Timed], size: tuple[int, int], **options
) -> Iterator[tuple[Timed, Image.Image]]:
    """`paint_frames` over decoded frames, each resized to exactly `size` (w, h), yielding (decoded frame,
    stylised frame) pairs, so a writer gets each result with the timestamp it belongs to. Frames are read one
    ahead of the painter at most: memory does not grow with the video."""
    pending: deque[Timed] = deque()  # handed to the painter and not yet back

    def images() -> Iterator[Image.Image]:
        for frame in frames:
            pending.append(frame)
            yield frame.image.resize(size, Image.Resampling.LANCZOS)

    for stylised in paint_frames(painter, images(), **options):
        yield pending.popleft(), stylised


def _image(frame: FrameLike) -> Image.Image:
    return frame.convert("RGB") if isinstance(frame, Image.Image) else Image.fromarray(np.asarray(frame), "RGB")


def _continuation(
    photo: Image.Image, last_input: Image.Image, last_output: Image.Image, weight: float, device: torch.device
) -> dict:
    """The start image and temporal term of a frame that follows `last_input` (painted as `last_output`)."""
    if last_input.size != photo.size:
        last_input = last_input.resize(photo.size, Image.Resampling.LANCZOS)
    if last_output.size != photo.size:
        last_output = last_output.resize(photo.size, Image.Resampling.LANCZOS)
    flow, mask = consistency(photo, last_input)
    warped = warp(_array(last_output), flow)
    start = mask[..., None] * warped + (1 - mask[..., None]) * _array(photo)
    start_image = Image.fromarray(np.clip(start * 255 + 0.5, 0, 255).astype(np.uint8), "RGB")
    options: dict = {"start": start_image}
    if weight > 0:
        previous = torch.from_numpy(np.ascontiguousarray(warped.transpose(2, 0, 1)))[None].to(device)
        options["temporal"] = Temporal(previous, torch.from_numpy(mask)[None, None].to(device), weight)
    return options
