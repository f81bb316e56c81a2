"""Video frames without flicker, after Ruder, Dosovitskiy & Brox, "Artistic style transfer for videos" (2016).

Painted one by one, the frames of a video each settle into their own arrangement of brush strokes, and the result
flickers. Here every frame after the first starts from the previous *stylised* frame, carried into the new frame by
the optical flow between the two *input* frames, and is held there by Ruder et al.'s short-term term
weight * mean(c * (x - warped_previous)^2) (painterly.engine.objective.Temporal), where c is 0 at pixels the flow
cannot vouch for: disoccluded by motion, on motion boundaries, or come from outside the picture. As in their
long-term term, such a pixel is carried from (and held to) the latest of frames t-2 ... t-16 (LONG_TERM) that saw
it (`carried`): what a shaking camera loses and finds again, or a passing object uncovers, keeps its strokes. Only
pixels no such frame saw start from the new frame and are painted afresh.

Differences from the paper: the flow is OpenCV's DIS (Kroeger et al. 2016: milliseconds a frame, no binaries to
install) rather than DeepFlow; the term is a mean over pixels rather than a sum, so its weight does not depend on
size; the first frame gets the usual coarse-to-fine schedule and later frames one short run at the output size,
since they start close to done; the previous frame is warped bicubically; what comes into view is painted on its
own first, in a small box (_paint_fresh), since a short run cannot paint it from the photo; the long-term frames
share the short-term term's weight, each pixel held to one frame. Figures: benchmarks/VIDEO.md.

This module knows frames (PIL images or RGB arrays), not files or terminals: `paint_frames` takes frames and
yields stylised frames, and `paint_timed_frames` pairs each with the decoded frame (and its timestamp) it came
from, so the video front-end and `painterly batch` share both.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

import numpy as np
import torch
from PIL import Image

from ..errors import PainterlyError
from ..media.images import resize_longest
from .colors import recolour
from .objective import Temporal
from .optimize import Progress

# Chosen by measurement (benchmarks/VIDEO.md): weight 100 cuts the warping error to a tenth of frame by frame with
# the style score within 2 % (video_sweep.py); heavier weights gain little and cost style. With what comes into view
# painted on its own (20 iterations formed, 10 refined) and the previous frame warped bicubically (a bilinear warp
# softens the strokes a little more at every frame), 3 iterations a frame keep the warping error and the style
# scores of the 30 they replaced at a fraction of the time (video_compare.py). Each of these short runs keeps its last
# step (optimize.run's keep_last): 3 passes make the picture 4 made, whose 4th pass only measured the 3rd step.
# 20, not 15, for what comes into view: a strip that enters a few pixels a frame came out a fifth less painted than
# the rest of the frame with 15, within 15 % from 18 on (benchmarks/VIDEO.md, the entering strip).
DEFAULT_TEMPORAL_WEIGHT = 100.0
DEFAULT_FRAME_ITERATIONS = 3
DEFAULT_FRESH_ITERATIONS = 20

# Newly visible regions (fresh_regions, _paint_fresh): formed at half the frame's size at most, as a still's first
# size forms its picture; boxes with 16 px of painted context, 48 px a side at least (8 and 24 px for the second pass,
# at the frame's size); a feather of 3 px into the painted frame.
FRESH_SCALE = 0.5
FRESH_MARGIN = 16
FRESH_LEAST = 48
FRESH_GROW = 3
FRESH_LEAST_SHARE = 0.002

# Ruder et al.'s long-term frames: a pixel the previous frame cannot vouch for is held to (and starts from) the
# latest of these earlier frames that saw it, warped by the flow measured directly between the two input frames.
# Reaching 16 frames back finds what a passing object hid for longer than t-4 did; the set is dense, since a pixel
# is found only in a frame where it was not hidden. Each frame back costs two flows (milliseconds) and saves boxes of
# _paint_fresh; the painted strip behind a passing van went from 44 % to about 21 % below the rest of the frame
# (benchmarks/VIDEO.md). What the history holds: 16 pairs of frames.
LONG_TERM = (1, 2, 3, 4, 6, 8, 12, 16)

# Ruder et al.'s thresholds, in pixels (flow) and pixels^2.
FB_RELATIVE, FB_ABSOLUTE = 0.01, 0.5  # forward-backward check: |w~ + w^|^2 > 0.01 (|w~|^2 + |w^|^2) + 0.5
BOUNDARY_RELATIVE, BOUNDARY_ABSOLUTE = 0.01, 0.002  # motion boundary: |grad u|^2 + |grad v|^2 > 0.01 |w^|^2 + 0.002

FrameCallback = Callable[[int, Progress], "bool | None"]
Box = tuple[int, int, int, int]  # left, top, right, bottom
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


def warp(image: np.ndarray, flow: np.ndarray, sharp: bool = False) -> np.ndarray:
    """`image` sampled at p + flow(p) for every pixel p (bilinear, or bicubic if `sharp`; edges repeated): with
    the flow from frame A to frame B, this brings B's pixels (or anything aligned with B) into A's place."""
    cv2 = _cv2()
    h, w = flow.shape[:2]
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    map_x, map_y = xs + flow[..., 0], ys + flow[..., 1]
    interpolation = cv2.INTER_CUBIC if sharp else cv2.INTER_LINEAR
    return cv2.remap(np.asarray(image, np.float32), map_x, map_y, interpolation, borderMode=cv2.BORDER_REPLICATE)


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
    previous: Sequence[tuple[FrameLike, FrameLike]] = (),
    callback: FrameCallback | None = None,
    fresh_iterations: int = DEFAULT_FRESH_ITERATIONS,
) -> Iterator[Image.Image]:
    """Paint `frames` in order with `painter` (a painterly.Painter), yielding each stylised frame as it is done.

    The first frame gets the painter's full schedule. Each later one starts from the previous stylised frame
    warped into it (bicubic), its newly visible regions painted first (`fresh_iterations`, see _paint_fresh; 0
    leaves them as the new frame), runs `frame_iterations` iterations at the output size, and is held to the warped
    frame by the temporal term of `temporal_weight`. With temporal_weight 0 the
    frames are painted independently, each with the full schedule (frame by frame: the baseline that flickers);
    `warm_start` overrides whether later frames start from the warped previous one (default: weight > 0).

    Every frame uses the painter's config, hence the same seed. Frames are resized so their longest edge is
    `painter.config.size` (pass them at that size to control the exact size). `previous`, the last (input frame,
    its stylised frame) pairs, oldest first, continues the chain of a stopped run (the last max(LONG_TERM) are
    used); the stylised frames are fed back as the 8-bit images that were yielded, so a resumed run paints exactly
    what an uninterrupted one does.

    `callback(index, progress)` is called at every iteration, `index` counting from 0 over `frames`; returning
    True stops: the frame being painted is dropped (not yielded) and the generator ends.
    """
    if temporal_weight < 0 or temporal_weight != temporal_weight:
        raise PainterlyError(f"temporal weight must be zero or more, got {temporal_weight}")
    if frame_iterations < 1:
        raise PainterlyError(f"frame iterations must be 1 or more, got {frame_iterations}")
    if fresh_iterations < 0:
        raise PainterlyError(f"fresh iterations must be 0 or more, got {fresh_iterations}")
    warm = temporal_weight > 0 if warm_start is None else warm_start
    if warm:
        _cv2()  # a missing OpenCV is found before the first frame's minutes, not after
    size = painter.config.size
    history: deque[tuple[Image.Image, Image.Image]] = deque(maxlen=max(LONG_TERM))
    history.extend((_image(a), _image(b)) for a, b in previous)
    for index, frame in enumerate(frames):
        photo = resize_longest(_image(frame), size)
        stopped = False

        def relay(progress: Progress, index: int = index) -> bool:
            nonlocal stopped
            stopped = bool(callback(index, progress))
            return stopped

        hook = relay if callback is not None else None
        if not warm or not history:
            result = painter.paint(photo, hook)
        else:
            options = _continuation(photo, history, temporal_weight, painter, fresh_iterations)
            result = painter.paint(photo, hook, iterations=frame_iterations, **options)
            result = result.resize(photo.size) if result.size != photo.size else result
        if stopped:
            return
        yield result
        history.append((photo, result))
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


def _tensor(array: np.ndarray, device: torch.device) -> torch.Tensor:
    """An [H, W, 3] or [H, W] float32 array as a [1, C, H, W] tensor on `device`."""
    array = array[None] if array.ndim == 2 else array.transpose(2, 0, 1)
    return torch.from_numpy(np.ascontiguousarray(array))[None].to(device)


def _pixels(tensor: torch.Tensor) -> np.ndarray:
    """A [1, 3, H, W] tensor as an [H, W, 3] float32 array."""
    return tensor[0].permute(1, 2, 0).float().cpu().numpy()


def _blend_into(out: np.ndarray, painted: np.ndarray, blend: np.ndarray, box: Box) -> None:
    """`painted` (the part `box` of the frame) into `out` where `blend` says (1 = all of it)."""
    left, top, right, bottom = box
    k = blend[top:bottom, left:right]
    out[top:bottom, left:right] = k * painted + (1 - k) * out[top:bottom, left:right]


def _image(frame: FrameLike) -> Image.Image:
    return frame.convert("RGB") if isinstance(frame, Image.Image) else Image.fromarray(np.asarray(frame), "RGB")


def fresh_regions(trust: np.ndarray, least_share: float = FRESH_LEAST_SHARE) -> np.ndarray:
    """The newly visible regions of a frame ([H, W] uint8, 1 = new) given its mask c (`trust`): the untrusted
    pixels, less specks and lines a pixel or two wide (flow noise, which the frame's own iterations repaint from
    their painted neighbours) and less regions under `least_share` of the frame."""
    cv2 = _cv2()
    untrusted = (trust < 0.5).astype(np.uint8)
    opened = cv2.morphologyEx(untrusted, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(opened, connectivity=8)
    keep = np.zeros(count, np.uint8)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= max(16, least_share * trust.size)
    return keep[labels]


def fresh_boxes(fresh: np.ndarray, margin: int, least: int) -> list[Box]:
    """A box around each region of `fresh` with `margin` px of the painted frame around it for context, at least
    `least` px a side (VGG's deep layers see nothing but padding in a sliver), overlapping boxes merged."""
    cv2 = _cv2()
    h, w = fresh.shape
    count, _, stats, _ = cv2.connectedComponentsWithStats(fresh, connectivity=8)
    boxes: list[Box] = []
    for x, y, width, height, _area in stats[1:count]:
        half_w, half_h = max(width / 2 + margin, least / 2), max(height / 2 + margin, least / 2)
        cx, cy = x + width / 2, y + height / 2
        box = (
            max(0, int(cx - half_w)),
            max(0, int(cy - half_h)),
            min(w, int(np.ceil(cx + half_w))),
            min(h, int(np.ceil(cy + half_h))),
        )
        while overlapping := [b for b in boxes if b[0] < box[2] and box[0] < b[2] and b[1] < box[3] and box[1] < b[3]]:
            for other in overlapping:
                boxes.remove(other)
                box = (min(box[0], other[0]), min(box[1], other[1]), max(box[2], other[2]), max(box[3], other[3]))
        boxes.append(box)
    return boxes


def _paint_fresh(
    painter,
    photo: Image.Image,
    start: np.ndarray,
    warped: np.ndarray,
    trust: np.ndarray,
    weight: float,
    iterations: int,
) -> np.ndarray:
    """`start` with its newly visible regions painted: first formed with every layer (`iterations`) where a still
    of the frame's size forms its picture (FRESH_SCALE of the frame from twice the start size up), then refined at
    the frame's size with the still's hold depth (half as many), each in a box around the region with the painted
    frame around it held by the temporal term. Only the regions (feathered) take the result: the rest keeps the
    warped frame exactly.

    Why: the frame's own few iterations cannot paint what starts as the photo, and the temporal term then keeps
    it so in every later frame: the strip that enters a pan stayed unpainted (benchmarks/VIDEO.md)."""
    cv2 = _cv2()
    fresh = fresh_regions(trust)
    if not fresh.any():
        return start
    h, w = trust.shape
    grown = cv2.dilate(fresh.astype(np.float32), np.ones((2 * FRESH_GROW + 1,) * 2, np.float32))
    blend = np.maximum(np.clip(cv2.GaussianBlur(grown, (0, 0), FRESH_GROW / 2), 0, 1), fresh)[..., None]
    # Formed where a still of this size forms its picture (half of 512 px and up; the frame's own size below its
    # start size), never below FRESH_SCALE: a region shrunk further keeps too little of the photo in a box.
    config = painter.config
    scale = min(1.0, max(FRESH_SCALE, config.start_size / max(w, h))) if config.start_size else 1.0
    small_size = (max(1, round(w * scale)), max(1, round(h * scale)))

    def small(array: np.ndarray) -> np.ndarray:
        return cv2.resize(array, small_size, interpolation=cv2.INTER_AREA)

    def paint(
        image: np.ndarray, previous: np.ndarray, mask: np.ndarray, scale: float, box: Box, steps: int, shallow: bool
    ) -> np.ndarray:
        left, top, right, bottom = (round(v * scale) for v in box)
        part = (slice(top, bottom), slice(left, right))
        device = painter.device
        term = None
        if weight > 0:
            term = Temporal(_tensor(previous[part], device), _tensor(mask[part], device), weight, shallow)
        start_part = _tensor(image[part], device)
        painted = painter.paint_part(photo, box, scale, start=start_part, iterations=steps, temporal=term)
        return _pixels(painted)

    out = start.copy()
    formed = [small(start), small(warped), small(trust)]
    for box in fresh_boxes(fresh, FRESH_MARGIN, FRESH_LEAST):
        left, top, right, bottom = box
        painted = paint(*formed, scale, box, iterations, shallow=False)
        _blend_into(out, cv2.resize(painted, (right - left, bottom - top), interpolation=cv2.INTER_CUBIC), blend, box)
    out = np.clip(out, 0, 1)
    if scale == 1.0:
        return out
    for box in fresh_boxes(fresh, FRESH_MARGIN // 2, FRESH_LEAST // 2):
        _blend_into(out, paint(out, warped, trust, 1.0, box, max(1, iterations // 2), shallow=True), blend, box)
    return np.clip(out, 0, 1)


def carried(photo: Image.Image, history: Sequence[tuple[Image.Image, Image.Image]]) -> tuple[np.ndarray, np.ndarray]:
    """The painted frames of `history` ((input, stylised) pairs, oldest first) carried into `photo` by the flow,
    and the mask of the pixels they vouch for: the previous frame where its flow can, and elsewhere the latest
    earlier one of LONG_TERM in `history` that can (Ruder et al.'s long-term masks: each pixel is held to one
    frame). Where none can, the previous frame's warp, which the mask then leaves out."""
    warped = mask = None
    for back in LONG_TERM:
        if back > len(history):
            break
        last_input, last_output = (
            f if f.size == photo.size else f.resize(photo.size, Image.Resampling.LANCZOS) for f in history[-back]
        )
        flow, trust = consistency(photo, last_input)
        carried_here = np.clip(warp(_array(last_output), flow, sharp=True), 0, 1)
        if warped is None or mask is None:
            warped, mask = carried_here, trust
            continue
        take = trust * (1 - mask)  # seen there and by no later frame
        warped = take[..., None] * carried_here + (1 - take[..., None]) * warped
        mask = mask + take
        if mask.min() >= 1:  # every pixel vouched for: frames further back have nothing to add
            break
    assert warped is not None and mask is not None, "carried needs at least one earlier frame"
    return warped, mask


def _continuation(
    photo: Image.Image,
    history: Sequence[tuple[Image.Image, Image.Image]],
    weight: float,
    painter,
    fresh_iterations: int,
) -> dict:
    """The start image and temporal term of a frame that follows `history` ((input, stylised) pairs, oldest
    first): the painted frames carried into this one where the flow vouches for them (`carried`), and elsewhere
    the new frame, recoloured to the paintings' palette as a still's start is, and painted (`_paint_fresh`) where
    a region of it is new."""
    warped, mask = carried(photo, history)
    new = _array(photo)
    config = painter.config
    if config.init_palette == "painting" and config.preserve_colors == "none" and painter.mask is None:
        new = _pixels(recolour(_tensor(new, torch.device("cpu")), *painter.palette(), keep_luminance=True))
    start = mask[..., None] * warped + (1 - mask[..., None]) * new
    if fresh_iterations:
        start = _paint_fresh(painter, photo, start, warped, mask, weight, fresh_iterations)
    start_image = Image.fromarray(np.clip(start * 255 + 0.5, 0, 255).astype(np.uint8), "RGB")
    options: dict = {"start": start_image}
    if weight > 0:
        options["temporal"] = Temporal(_tensor(warped, painter.device), _tensor(mask, painter.device), weight)
    return options
