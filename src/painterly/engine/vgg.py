"""VGG-19 (Simonyan & Zisserman 2014) as a feature extractor, named as in Gatys et al.'s table.

Differences from a classifier VGG: the network stops at the deepest layer a loss uses (nothing past conv5_1 is
ever computed by default), max pooling may be swapped for average pooling as Gatys et al. recommend, and the
input is an RGB image in [0, 1] whatever the weights expect: each weights file's convention (channel order,
0-255 or 0-1 scale, mean, std) is applied inside `forward`, so the optimiser works in the same pixel space for
every file.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn
from torch.nn import functional as F

from ..errors import PainterlyError
from ..layers import CHANNELS, LAYER_NAMES, POOLINGS, canonical_layer, ends_block
from .weights import VGGWeights


class VGG19Features(nn.Module):
    """Returns the rectified output of each requested conv layer (the paper's 'conv4_2' is relu(conv4_2))."""

    def __init__(self, weights: VGGWeights, layers: Iterable[str], pooling: str = "avg") -> None:
        super().__init__()
        if pooling not in POOLINGS:
            raise PainterlyError(f"unknown pooling '{pooling}'; choose one of: {', '.join(POOLINGS)}")
        self.layers = tuple(dict.fromkeys(canonical_layer(name) for name in layers))
        if not self.layers:
            raise PainterlyError("no layers requested")
        deepest = max(LAYER_NAMES.index(name) for name in self.layers)
        self.names = LAYER_NAMES[: deepest + 1]
        self.pooling = pooling
        self.convs = nn.ModuleList()
        in_channels = 3
        for name in self.names:
            weight, bias = weights.convs[name]
            # Built without storage ("meta"): a random initialisation of weights about to be replaced costs
            # about 0.06 s of start-up. Copies, so that the loader's cached tensors are never the model's.
            conv = nn.Conv2d(in_channels, CHANNELS[name], 3, padding=1, device="meta")
            conv.weight = nn.Parameter(weight.to(torch.float32, copy=True))
            conv.bias = nn.Parameter(bias.to(torch.float32, copy=True))
            self.convs.append(conv)
            in_channels = CHANNELS[name]
        convention = weights.convention
        self.bgr = convention.bgr
        # x_net = (x_rgb * scale - mean) / std, folded into one affine map per channel.
        scale = torch.tensor(convention.scale, dtype=torch.float32)
        mean = torch.tensor(convention.mean, dtype=torch.float32).view(1, 3, 1, 1)
        std = torch.tensor(convention.std, dtype=torch.float32).view(1, 3, 1, 1)
        self.register_buffer("gain", scale / std)
        self.register_buffer("offset", mean / std)
        self.requires_grad_(False)  # only the image is optimised; no weight gradients are ever needed
        self.channels_last = False
        self._bfloat16: list[tuple[torch.Tensor, torch.Tensor]] | None = None  # see _bfloat16_weights

    def _apply(self, fn, *args, **kwargs):  # .to(), .cuda(), memory formats: the bfloat16 copies are of the old
        self._bfloat16 = None
        return super()._apply(fn, *args, **kwargs)

    def _bfloat16_weights(self, device_type: str) -> list[tuple[torch.Tensor, torch.Tensor]] | None:
        """Each conv's weight and bias in bfloat16 when running under bfloat16 autocast, made once: autocast would
        otherwise cast all of them again at every pass (the same numbers), which costs more than the convolutions
        themselves on a small picture, such as a video frame's newly visible strip."""
        if not torch.is_autocast_enabled(device_type) or torch.get_autocast_dtype(device_type) != torch.bfloat16:
            return None
        if self._bfloat16 is None:
            self._bfloat16 = [(c.weight.to(torch.bfloat16), c.bias.to(torch.bfloat16)) for c in self.convs]
        return self._bfloat16

    def use_channels_last(self, on: bool = True) -> VGG19Features:
        """Weights and activations in channels-last (NHWC) memory, where oneDNN's CPU convolutions are fastest
        (engine.precision.choose_layout says where); the features a loss sees are the same numbers either way."""
        self.channels_last = on
        return self.to(memory_format=torch.channels_last if on else torch.contiguous_format)

    def preprocess(self, image: torch.Tensor) -> torch.Tensor:
        """RGB [0, 1] -> the network's input space."""
        if self.bgr:
            image = image.flip(1)
        return image * self.gain - self.offset

    def forward(self, image: torch.Tensor, layers: Iterable[str] | None = None) -> dict[str, torch.Tensor]:
        """The features of `layers` (default: all the network's), computing no deeper than the deepest of them:
        a pass to conv3_2 costs about 0.6 of one to conv5_1."""
        wanted = self.layers if layers is None else tuple(layers)
        if not wanted:  # a style-only reconstruction asks nothing of the content: no pass at all
            return {}
        last = max(self.names.index(name) for name in wanted)
        x = self.preprocess(image)
        if self.channels_last:  # here, at the network's input: the optimised image keeps its own layout
            x = x.contiguous(memory_format=torch.channels_last)
        features: dict[str, torch.Tensor] = {}
        low = self._bfloat16_weights(x.device.type)
        for index, (name, conv) in enumerate(zip(self.names[: last + 1], self.convs)):
            x = F.relu(conv(x) if low is None else F.conv2d(x, *low[index], padding=1))
            if name in wanted:
                features[name] = x
            if ends_block(name) and name != self.names[last]:
                x = F.avg_pool2d(x, 2, ceil_mode=True) if self.pooling == "avg" else F.max_pool2d(x, 2, ceil_mode=True)
        return features
