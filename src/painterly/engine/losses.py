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
