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


def match_histogram(style: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """The style image recoloured so its RGB mean and covariance are the content's (the linear transfer of
    Gatys et al. 2017, section 5.1, with symmetric matrix square roots)."""
    source = style.reshape(3, -1).double()
    target = content.reshape(3, -1).double()
    mu_s, mu_t = source.mean(1, keepdim=True), target.mean(1, keepdim=True)
    cov_s = torch.cov(source) + 1e-5 * torch.eye(3, dtype=source.dtype)
    cov_t = torch.cov(target) + 1e-5 * torch.eye(3, dtype=source.dtype)
    transform = _sqrtm(cov_t) @ torch.linalg.inv(_sqrtm(cov_s))
    recoloured = transform @ (source - mu_s) + mu_t
    return recoloured.reshape(style.shape).to(style.dtype).clamp(0, 1)


def _sqrtm(matrix: torch.Tensor) -> torch.Tensor:
    values, vectors = torch.linalg.eigh(matrix)
    return vectors @ torch.diag(values.clamp_min(0).sqrt()) @ vectors.T
