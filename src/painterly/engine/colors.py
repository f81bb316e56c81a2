"""Keeping the photo's colours (Gatys et al. 2017, "Controlling Perceptual Factors in Neural Style Transfer").

Two ways, both on [B, 3, H, W] RGB tensors in [0, 1]:
- luminance: transfer the style on luminance alone, then put the content's colour back. The style's luminance
  is first matched to the content's mean and spread, so its contrast, not its brightness, carries over.
- histogram: before the transfer, give the style image the content's colour mean and covariance (a linear map
  of RGB), so the style's strokes are painted in the photo's palette.
"""

from __future__ import annotations

import torch

# RGB -> YIQ (NTSC). Y is luminance; I and Q carry the colour.
_YIQ = torch.tensor([[0.299, 0.587, 0.114], [0.595716, -0.274453, -0.321263], [0.211456, -0.522591, 0.311135]])


def rgb_to_yiq(image: torch.Tensor) -> torch.Tensor:
    return torch.einsum("ij,bjhw->bihw", _YIQ.to(image), image)


def yiq_to_rgb(image: torch.Tensor) -> torch.Tensor:
    return torch.einsum("ij,bjhw->bihw", torch.linalg.inv(_YIQ).to(image), image)


def luminance(image: torch.Tensor) -> torch.Tensor:
    """The Y channel repeated three times: a grey RGB image VGG can read."""
    return rgb_to_yiq(image)[:, :1].expand(-1, 3, -1, -1).contiguous()


def match_luminance(style: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """The style's grey image, shifted and scaled to the content's luminance mean and standard deviation."""
    y_style, y_content = rgb_to_yiq(style)[:, :1], rgb_to_yiq(content)[:, :1]
    scale = y_content.std() / y_style.std().clamp_min(1e-6)
    matched = (y_style - y_style.mean()) * scale + y_content.mean()
    return matched.clamp(0, 1).expand(-1, 3, -1, -1).contiguous()


def with_colours_of(grey_result: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """The result's luminance with the content's I and Q channels."""
    yiq = rgb_to_yiq(content)
    yiq[:, :1] = rgb_to_yiq(grey_result)[:, :1]
    return yiq_to_rgb(yiq).clamp(0, 1)


def colour_statistics(image: torch.Tensor, weight: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The RGB mean ([3, 1]) and covariance ([3, 3]) of an image's pixels, in float64; with a weight per pixel
    (the image's size, any shape), of the weighted pixels (a painting's motifs weighted down: engine.motifs)."""
    pixels = image.reshape(3, -1).double()
    if weight is None:
        return pixels.mean(1, keepdim=True), torch.cov(pixels)
    w = weight.reshape(-1).double()
    return (pixels @ w / w.sum())[:, None], torch.cov(pixels, aweights=w)


def mixture_statistics(
    statistics: list[tuple[torch.Tensor, torch.Tensor]], weights: tuple[float, ...]
) -> tuple[torch.Tensor, torch.Tensor]:
    """The mean and covariance of several images' pixels pooled with these weights (summing to one)."""
    mean = sum(w * m for w, (m, _) in zip(weights, statistics))
    second = sum(w * (c + m @ m.T) for w, (m, c) in zip(weights, statistics))
    return mean, second - mean @ mean.T


def recolour(
    image: torch.Tensor, mean: torch.Tensor, covariance: torch.Tensor, *, keep_luminance: bool = False
) -> torch.Tensor:
    """`image` recoloured so its RGB mean and covariance are these: a linear map of the colours, so every edge
    stays where it was.

    Every map T = C_t^(1/2) R C_s^(-1/2) with R orthogonal gives the target covariance. By default R = I, the
    map that moves the colours least (the linear transfer of Gatys et al. 2017, section 5.1, with symmetric
    matrix square roots). With `keep_luminance` (the starting image of --init-palette painting), R sends the
    image's luminance direction onto the target's, so the new luminance is an increasing affine function of the
    old and the photo's light-dark edges, which VGG and the eye read its structure from, stay as they were. Why:
    where the painting's spread runs along another axis of colour than the photo's (a skin-toned face, a
    rainbow of strokes) R = I turns the photo's light and dark into hues, and the start loses the photo's
    edges (tests/test_controls.py, the palette start tests)."""
    mu_s, cov_s = colour_statistics(image)
    eye = 1e-5 * torch.eye(3, dtype=torch.float64, device=image.device)
    root_t, root_s = _sqrtm(covariance.to(image.device) + eye), _sqrtm(cov_s + eye)
    if keep_luminance:
        root_t = root_t @ _luminance_keeping_rotation(root_s, root_t)
    transform = root_t @ torch.linalg.inv(root_s)
    recoloured = transform @ (image.reshape(3, -1).double() - mu_s) + mean.to(image.device)
    return recoloured.reshape(image.shape).to(image.dtype).clamp(0, 1)


def _luminance_keeping_rotation(root_s: torch.Tensor, root_t: torch.Tensor) -> torch.Tensor:
    """The orthogonal R with R b = a (|b|/|a|) for a = root_t y, b = root_s y (y: the luminance weights), so that
    y^T root_t R root_s^-1 is a positive multiple of y^T; among those, the one that moves the colours least,
    where trace(R root_s root_t) is largest: R = onto_a diag(1, Q) from_b, Q an orthogonal Procrustes solution on
    the plane left over."""
    y = _YIQ[0].to(root_t)
    a, b = root_t @ y, root_s @ y
    onto_a, from_b = _householder(a / a.norm()), _householder(b / b.norm())
    rest = (from_b @ root_s @ root_t @ onto_a)[1:, 1:]
    u, _, vh = torch.linalg.svd(rest)
    turn = torch.eye(3, dtype=root_t.dtype, device=root_t.device)
    turn[1:, 1:] = vh.T @ u.T
    return onto_a @ turn @ from_b


def _householder(unit: torch.Tensor) -> torch.Tensor:
    """The reflection that swaps `unit` and the first axis (its own inverse)."""
    first = torch.zeros_like(unit)
    first[0] = 1
    v = unit - first
    if v.norm() < 1e-9:
        return torch.eye(3, dtype=unit.dtype, device=unit.device)
    return torch.eye(3, dtype=unit.dtype, device=unit.device) - 2 * torch.outer(v, v) / (v @ v)


def match_histogram(image: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """`image` recoloured to `reference`'s RGB mean and covariance: a painting given the photo's colours
    (--preserve-colors histogram). The other way, the photo given the paintings' pooled colours as a starting
    image (--init-palette painting), calls `recolour` with `mixture_statistics` and `keep_luminance`."""
    return recolour(image, *colour_statistics(reference))


def _sqrtm(matrix: torch.Tensor) -> torch.Tensor:
    values, vectors = torch.linalg.eigh(matrix)
    return vectors @ torch.diag(values.clamp_min(0).sqrt()) @ vectors.T
