"""The three terms of the objective, each normalised so that its size does not depend on the image size,
the layer or the weights file.

How this differs from Gatys et al. (2015), who write
    L_content = 1/2 sum (F - P)^2,   E_l = 1/(4 N_l^2 M_l^2) sum (G_l - A_l)^2,   G_l = F_l F_l^T:
- The Gram matrix is divided by M_l (= H*W, the number of positions): G = F F^T / M is the mean outer product
  of the feature vectors, so a bigger image gives the same Gram matrix rather than a bigger one.
- Each term is a *relative* squared error: divided by the squared norm of its own target. The raw terms with
  these 0-255 Caffe weights start near 1e14 (and L-BFGS without a line search jumps to NaN from there), differ by
  orders of magnitude between layers, and change with the weights file's input scale; the relative terms start
  near 1 for a noise image at every layer and every size.
So content_weight * ||F - P||^2 / ||P||^2 is the paper's alpha * L_content with alpha = 2 * content_weight / ||P||^2,
and style_weight * w_l * ||G - A||^2 / ||A||^2 is the paper's beta * w_l * E_l with
beta = 4 N_l^2 M_l^2 * style_weight / ||F_a F_a^T||^2 (F_a: the style image's features), layer by layer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

CHUNK_FLOATS = 1 << 22  # 16 MB of float32: how much of a low-precision feature map is widened at once


class _Gram(torch.autograd.Function):
    """F F^T * scale, in float32 (or double) whatever F's precision, with a backward of one matrix product,
    (dG + dG^T) F * scale, where autograd's generic backward of `flat @ flat.T` takes two (one per operand).

    A bfloat16 F is widened a slice of positions at a time and kept (for backward) in bfloat16, and its gradient
    is returned in bfloat16: a whole float32 copy of conv1_1 and its gradient would be a large share of a tile's
    peak (benchmarks/memory_trace.py). The Gram products run over every position, so the saved product counts."""

    @staticmethod
    def forward(ctx, flat: torch.Tensor, scale: float) -> torch.Tensor:
        ctx.save_for_backward(flat)
        ctx.scale = scale
        with torch.autocast(flat.device.type, enabled=False):  # called inside autocast, bmm would be bfloat16
            if flat.dtype in (torch.float32, torch.float64):
                return torch.bmm(flat, flat.transpose(1, 2)).mul_(scale)
            b, c, n = flat.shape
            gram = flat.new_zeros((b, c, c), dtype=torch.float32)
            for chunk in _chunks(n, c):
                part = flat[..., chunk].float()
                gram.baddbmm_(part, part.transpose(1, 2))
            return gram.mul_(scale)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        (flat,) = ctx.saved_tensors
        with torch.autocast(flat.device.type, enabled=False):
            symmetric = (grad + grad.transpose(1, 2)).mul_(ctx.scale)
            if flat.dtype in (torch.float32, torch.float64):
                return torch.bmm(symmetric.to(flat.dtype), flat), None
            out = torch.empty_like(flat)
            for chunk in _chunks(flat.shape[-1], flat.shape[-2]):
                out[..., chunk] = torch.bmm(symmetric, flat[..., chunk].float())
            return out, None


def _chunks(positions: int, channels: int) -> list[slice]:
    step = max(1, CHUNK_FLOATS // channels)
    return [slice(s, min(positions, s + step)) for s in range(0, positions, step)]


def outer_sum(features: torch.Tensor, guide: torch.Tensor | None = None) -> torch.Tensor:
    """[B, C, H, W] -> [B, C, C]: the sum over positions of f f^T (of (g f)(g f)^T with a guide [1, 1, H, W]).
    A tiled image's Gram matrix is the sum of its tiles' (painterly.engine.highres)."""
    b, c, h, w = features.shape
    flat = (features if guide is None else features * guide).reshape(b, c, h * w)
    return _Gram.apply(flat, 1.0)


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """[B, C, H, W] -> [B, C, C], the feature correlations averaged over the H*W positions."""
    b, c, h, w = features.shape
    return _Gram.apply(features.reshape(b, c, h * w), 1.0 / (h * w))


def guided_gram_matrix(features: torch.Tensor, guide: torch.Tensor) -> torch.Tensor:
    """The Gram matrix of one region (Gatys et al. 2017): positions weighted by `guide` ([1, 1, H, W], 0-1) and
    averaged over the region's own size, so a region's texture compares with a whole style image's."""
    return outer_sum(features, guide) / guide.pow(2).sum().clamp_min(1e-8)


def relative_squared_error(value: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """||value - target||^2 / ||target||^2: zero at the target, one at zero, the same at any scale."""
    return (value - target).pow(2).sum() / target.pow(2).sum().clamp_min(1e-12)


def content_loss(features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """How far the image's features at a content layer are from the content photo's."""
    return relative_squared_error(features, target)


def tv_loss(image: torch.Tensor) -> torch.Tensor:
    """Mean squared difference between neighbouring pixels (in [0, 1] RGB units): discourages pixel noise.

    A mean, not the usual sum, so the same weight smooths the same amount at any size.
    """
    dy = image[..., 1:, :] - image[..., :-1, :]
    dx = image[..., :, 1:] - image[..., :, :-1]
    return dy.pow(2).mean() + dx.pow(2).mean()


def temporal_loss(image: torch.Tensor, previous: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared difference from the previous frame warped into this one, where `mask` trusts the warp
    (Ruder et al. 2016, short-term term; a mean rather than their sum, so its weight does not depend on size)."""
    return (mask * (image - previous).pow(2)).mean()


# --- Style terms beyond the Gram matrix (--style-loss, docs/losses.md "Style losses") ---------------------------
#
# A painting's style at one layer is the distribution of its feature vectors over positions. The Gram matrix
# matches its mean outer product; the two terms below match more of it:
# - meancov: the Wasserstein-2 distance between the Gaussians fitted to the two distributions (mean and covariance);
# - sliced: the sliced Wasserstein distance (Heitz et al. 2021): the distributions' 1-D projections on random
#   directions, each compared whole, as sorted lists.
# Each is divided by what it would be for all-zero features, as the Gram term is (relative_squared_error): 0 at the
# painting, 1 at zero, the same at any size, layer depth and weights file. Positions carry weights w = g^2 (a
# region's guide, the painting's motif weights, engine.motifs), as the guided Gram matrix does.

SLICED_SAMPLES = 1 << 16  # most positions of a painting kept per layer for the sliced term (an even subsample)
# The square root of a covariance eigenvalue has an infinite slope at 0, which a deep layer with fewer positions
# than channels always has: sqrt(lambda + EPS * scale^2) keeps the gradient finite (scale: the painting's mean
# variance). The bias, about EPS^(1/2) of the variance per channel, is about 1e-4 of the term's scale (6e-5 to
# 9e-5 at the painting itself, tests/test_style_losses.py).
W2_EPS = 1e-8


@dataclass
class Moments:
    """One layer's feature distribution by its first two moments, weighted by w = g^2 over positions: the mean
    [1, C] and the mean outer product [1, C, C] (the Gram matrix). Both mix linearly, so a blend of paintings is
    the blend of their moments (the moments of the mixture of their distributions)."""

    mean: torch.Tensor
    second: torch.Tensor
    _gaussian: Gaussian | None = field(default=None, repr=False, compare=False)

    def gaussian(self) -> Gaussian:
        """The fitted Gaussian with its covariance's square root, found once (in float64) and kept."""
        if self._gaussian is None:
            self._gaussian = Gaussian.of(self.mean, self.second)
        return self._gaussian


@dataclass
class Gaussian:
    """A target of the meancov term: mean, covariance and its square root (float64), the normaliser
    E||f||^2 = ||mean||^2 + tr(cov) (the term's value at all-zero features) and the eigenvalue floor."""

    mean: torch.Tensor  # [C]
    cov: torch.Tensor  # [C, C]
    root: torch.Tensor  # cov^(1/2)
    norm: float
    eps: float

    @classmethod
    def of(cls, mean: torch.Tensor, second: torch.Tensor) -> Gaussian:
        mu = mean.reshape(-1).double()
        cov = _symmetric(second.reshape(mu.numel(), mu.numel()).double() - torch.outer(mu, mu))
        values, vectors = torch.linalg.eigh(cov)
        root = _symmetric(vectors @ torch.diag(values.clamp_min(0).sqrt()) @ vectors.T)
        norm = float(mu.pow(2).sum() + cov.diagonal().sum())
        scale = float(cov.diagonal().mean().clamp_min(1e-30))
        return cls(mu, cov, root, max(norm, 1e-12), W2_EPS * scale**2)


def _symmetric(matrix: torch.Tensor) -> torch.Tensor:
    return (matrix + matrix.transpose(-1, -2)) / 2


def feature_moments(features: torch.Tensor, guide: torch.Tensor | None = None) -> tuple[torch.Tensor, ...]:
    """[1, C, H, W] -> the sums over positions of w f [1, C] and of w f f^T [1, C, C] (w = g^2 with a guide
    [1, 1, H, W], else 1), in float32: what a tile adds to the whole image's moments (highres)."""
    b, c, h, w = features.shape
    weights = None if guide is None else guide.pow(2)
    with torch.autocast(features.device.type, enabled=False):
        weighted = features.float() if weights is None else features.float() * weights
        first = weighted.reshape(b, c, h * w).sum(-1)
    return first, outer_sum(features, guide)


def moments(features: torch.Tensor, guide: torch.Tensor | None = None) -> Moments:
    """The weighted mean and mean outer product of a layer's features (see Moments)."""
    b, _, h, w = features.shape
    first, second = feature_moments(features, guide)
    mass = h * w if guide is None else guide.pow(2).sum().clamp_min(1e-8)
    return Moments(first / mass, second / mass)


def gaussian_w2(mean: torch.Tensor, second: torch.Tensor, target: Gaussian) -> torch.Tensor:
    """The squared Wasserstein-2 distance between the Gaussian of the moments (`mean` [1, C], mean outer product
    `second` [1, C, C]) and the target's, over the target's E||f||^2:

        (||mu - mu_t||^2 + tr(S) + tr(S_t) - 2 tr((S_t^1/2 S S_t^1/2)^1/2)) / (||mu_t||^2 + tr(S_t))

    The trace of the matrix square root is the sum of the square roots of the eigenvalues (eigvalsh, float64),
    whose gradient involves the eigenvectors alone, never the differences between eigenvalues."""
    with torch.autocast(mean.device.type, enabled=False):
        mu = mean.reshape(-1).double()
        cov = _symmetric(second.reshape(mu.numel(), mu.numel()).double() - torch.outer(mu, mu))
        cross = _symmetric(target.root @ cov @ target.root)
        roots = torch.linalg.eigvalsh(cross).clamp_min(0).add(target.eps).sqrt().sum()
        floor = target.eps**0.5 * mu.numel()  # what the eigenvalue floor adds at the target itself
        distance = (mu - target.mean).pow(2).sum() + cov.diagonal().sum() + target.cov.diagonal().sum()
        return ((distance - 2 * (roots - floor)) / target.norm).float()


@dataclass
class Samples:
    """One layer's feature distribution as weighted samples: feature vectors [N, C] (float32) and their weights
    [N], summing to 1. A blend of paintings is the union of their samples, each painting's weights scaled by its
    blend weight: the mixture of their distributions."""

    features: torch.Tensor
    weights: torch.Tensor


def samples(features: torch.Tensor, guide: torch.Tensor | None = None, limit: int = SLICED_SAMPLES) -> Samples:
    """A layer's feature vectors with their weights (w = g^2), at most `limit` of them, taken evenly over the
    positions (a fixed stride: the same ones every time) when there are more."""
    b, c, h, w = features.shape
    flat = features.detach().float().reshape(c, h * w).T
    weights = torch.ones(h * w, device=features.device) if guide is None else guide.detach().float().pow(2).flatten()
    if h * w > limit:
        keep = torch.linspace(0, h * w - 1, limit, device=features.device).round().long()
        flat, weights = flat[keep], weights[keep]
    keep = weights > 0
    flat, weights = flat[keep], weights[keep]
    return Samples(flat.contiguous(), weights / weights.sum().clamp_min(1e-12))


def join_samples(parts: list[Samples]) -> Samples:
    """Samples of one painting measured in pieces (highres.core_features), each piece's weights summing to its
    share of the positions' weight."""
    features = torch.cat([p.features for p in parts])
    weights = torch.cat([p.weights for p in parts])
    return Samples(features, weights / weights.sum().clamp_min(1e-12))


def sort_rows(values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Each row of [K, N] sorted, with the order (as torch.sort; the values keep their gradient). On a CPU the
    order comes from NumPy's argsort, which uses the CPU's vector sorting networks: five times torch.sort's speed on
    the 64 x 49152 projections of conv1_1 at 256 px, where the sort is most of the sliced term's cost."""
    if values.device.type != "cpu":
        return values.sort(dim=1)
    order = torch.from_numpy(np.argsort(values.detach().numpy(), axis=1))
    return values.gather(1, order), order


def directions(channels: int, count: int, seed: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """[count, channels] random unit vectors, from a CPU generator: the same seed gives the same directions on
    every device."""
    generator = torch.Generator().manual_seed(seed % 2**63)
    d = torch.randn(count, channels, generator=generator)
    return (d / d.norm(dim=1, keepdim=True).clamp_min(1e-12)).to(device)


class SlicedTarget:
    """A target of the sliced term: a painting's (or a blend's) samples projected on fixed directions [K, C],
    each projection sorted with its weights into a quantile function (values and the levels of their midpoints).

    Quantiles at the levels of an unweighted result's N sorted values, (k + 1/2) / N, are computed once per N,
    so an iteration without a guide costs one projection, one sort and a difference."""

    def __init__(self, target: Samples, dirs: torch.Tensor) -> None:
        self.directions = dirs
        projected = (target.features @ dirs.T).T  # K, N_t
        self.values, order = sort_rows(projected)
        weights = target.weights[order]  # K, N_t: each direction sorts the samples its own way
        self.levels = (weights.cumsum(1) - weights / 2).contiguous()
        # E[(theta . f)^2] over the directions: the term's value at all-zero features.
        self.norm = float((projected.pow(2) * target.weights).sum(1).mean().clamp_min(1e-12))
        self._uniform: dict[int, torch.Tensor] = {}

    def quantiles(self, levels: torch.Tensor) -> torch.Tensor:
        """[K, N] values of the target's quantile function at `levels` [K, N] (0-1), linear between its
        samples' midpoints and constant beyond the first and last."""
        values, known = self.values, self.levels
        if known.shape[1] == 1:
            return values.expand_as(levels)
        upper = torch.searchsorted(known, levels.contiguous()).clamp(1, known.shape[1] - 1)
        lower = upper - 1
        k0, k1 = known.gather(1, lower), known.gather(1, upper)
        v0, v1 = values.gather(1, lower), values.gather(1, upper)
        t = ((levels - k0) / (k1 - k0).clamp_min(1e-12)).clamp(0, 1)
        return v0 + t * (v1 - v0)

    def uniform(self, count: int) -> torch.Tensor:
        if count not in self._uniform:
            levels = (torch.arange(count, device=self.values.device, dtype=torch.float32) + 0.5) / count
            self._uniform[count] = self.quantiles(levels.expand(self.values.shape[0], -1)).contiguous()
        return self._uniform[count]


def sliced_wasserstein(features: torch.Tensor, target: SlicedTarget, guide: torch.Tensor | None = None) -> torch.Tensor:
    """The sliced Wasserstein distance between a layer's features [1, C, H, W] (positions weighted by w = g^2
    with a guide) and the target's distribution, over the target's mean squared projection:

        mean_theta sum_k w_k (sort(theta . f)_k - Q_theta(u_k))^2 / mean_theta E[(theta . f_t)^2]

    with Q_theta the target's quantile function along theta and u_k the weighted level of the k-th sorted value
    ((k + 1/2) / N unweighted): Heitz et al.'s sorted-list L2, with the painting's sorted list resampled to the
    result's count."""
    b, c, h, w = features.shape
    with torch.autocast(features.device.type, enabled=False):
        flat = features.reshape(c, h * w).float()
        if guide is not None:
            weights = guide.float().pow(2).flatten()
            keep = weights > 0
            if not keep.any():
                return features.new_zeros((), dtype=torch.float32)
            flat, weights = flat[:, keep], weights[keep] / weights[keep].sum()
        projected = target.directions @ flat  # K, N
        ordered, order = sort_rows(projected)
        if guide is None:
            error = (ordered - target.uniform(ordered.shape[1])).pow(2).mean(1)
        else:
            ranked = weights[order]
            levels = ranked.cumsum(1) - ranked / 2
            error = (ranked * (ordered - target.quantiles(levels.detach())).pow(2)).sum(1)
        return error.mean() / target.norm


StyleTarget = torch.Tensor | Moments | Samples  # a painting's statistic at one layer: Gram matrix, meancov, sliced
StyleTerm = Callable[[torch.Tensor, "torch.Tensor | None"], torch.Tensor]  # (features, guide) -> relative term


def mix(targets: Sequence[StyleTarget], weights: Sequence[float]) -> StyleTarget:
    """The statistic of the mixture of distributions whose statistics are `targets`, by `weights` (summing to 1):
    the weighted mean of the Gram matrices or of the moments, or the union of the samples, reweighted. One
    painting alone (or with all the weight) is its own target, kept with what it has found once (Moments.gaussian).
    """
    first = targets[0]
    alone = [t for b, t in zip(weights, targets) if b > 0]
    if len(alone) == 1:
        return alone[0]
    if isinstance(first, Moments):
        return Moments(
            sum(b * t.mean for b, t in zip(weights, targets)), sum(b * t.second for b, t in zip(weights, targets))
        )
    if isinstance(first, Samples):
        kept = [(b, t) for b, t in zip(weights, targets) if b > 0]
        return Samples(torch.cat([t.features for _, t in kept]), torch.cat([b * t.weights for b, t in kept]))
    return sum(b * t for b, t in zip(weights, targets))


def style_term(target: StyleTarget, seed: int) -> StyleTerm:
    """The relative style term of one layer against `target`, as a function of the features and a guide:
    Gram, meancov or sliced by the target's kind. `seed` draws the sliced term's directions (one per channel),
    fixed for the term's life: one size of the schedule (docs/losses.md, "Style losses")."""
    if isinstance(target, Moments):
        gaussian = target.gaussian()
        return lambda f, g: gaussian_w2(*_mean_and_second(f, g), gaussian)
    if isinstance(target, Samples):
        channels = target.features.shape[1]
        sliced = SlicedTarget(target, directions(channels, channels, seed, target.features.device))
        return lambda f, g: sliced_wasserstein(f, sliced, g)
    return lambda f, g: relative_squared_error(gram_matrix(f) if g is None else guided_gram_matrix(f, g), target)


def _mean_and_second(features: torch.Tensor, guide: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
    m = moments(features, guide)
    return m.mean, m.second
