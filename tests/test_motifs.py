"""A painting's motifs (what it has once: a moon, a figure) count less in its style (engine.motifs, issue 11).

With the real weights: the Nocturne's moon is found and weighted down while paintings that are all texture keep
their whole style, and with the weighting the Nocturne's yellow moon no longer forms in a landscape's empty sky.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from painterly import StyleConfig, stylize
from painterly.engine.colors import colour_statistics
from painterly.engine.highres import style_statistics
from painterly.engine.motifs import MOTIF_EDGE, guide_of, motif_map, motif_map_of
from painterly.engine.painter import model_key
from painterly.media.images import load_image, resize_longest, to_tensor

ROOT = Path(__file__).resolve().parents[1]
NOCTURNE = ROOT / "benchmarks" / "images" / "nocturne.jpg"  # dark swirls, one large moon, one figure
LANDSCAPE = ROOT / "benchmarks" / "images" / "landscape.jpg"  # hills under an empty sky


def painting(path: Path, edge: int = 256) -> torch.Tensor:
    return to_tensor(resize_longest(load_image(path), edge))


def motif_guide(model, style: torch.Tensor, threshold: float) -> torch.Tensor:
    """The painting's motif map stretched to the painting's own size, as the Painter measures it."""
    return guide_of(motif_map(model, style, threshold), *style.shape[-2:])


def test_the_nocturne_moon_is_a_motif_and_its_swirls_are_not(model):
    nocturne = painting(NOCTURNE)
    weight = motif_guide(model, nocturne, StyleConfig().motif_rarity)[0, 0].pow(2)
    moon = nocturne[0].mean(0) > 0.75  # the moon's bright disc
    assert 0.01 < moon.float().mean() < 0.1
    assert weight[moon].mean() < 0.1, f"the moon still weighs {weight[moon].mean():.2f}"
    assert weight.median() > 0.99  # the swirls, most of the painting, count in full


@pytest.mark.parametrize("name", ["starry_night.jpg", "shipwreck.jpg", "mosaic.png", "strokes.jpg"])
def test_paintings_of_texture_keep_nearly_all_their_weight(model, images, name):
    folders = (images, ROOT / "src" / "painterly" / "examples", ROOT / "benchmarks" / "images")
    path = next(folder / name for folder in folders if (folder / name).is_file())
    weight = motif_guide(model, painting(path), StyleConfig().motif_rarity).pow(2)
    assert weight.mean() > 0.95, f"{name}: only {weight.mean():.3f} of the painting counts"


def test_the_motif_is_found_at_any_painting_size(model):
    """The painting is judged at one size, so the same moon is a motif whatever size it is painted at."""
    small, large = (painting(NOCTURNE, edge) for edge in (128, 512))
    threshold = StyleConfig().motif_rarity
    a = motif_guide(model, small, threshold)
    b = torch.nn.functional.interpolate(motif_guide(model, large, threshold), size=a.shape[-2:], mode="area")
    assert (a - b).abs().mean() < 0.05


def test_weighted_statistics_are_the_weighted_positions_only(model):
    nocturne = painting(NOCTURNE, 128)
    plain = style_statistics(model, nocturne, ("conv1_1", "conv3_1"))
    ones = style_statistics(model, nocturne, ("conv1_1", "conv3_1"), guide=torch.ones_like(nocturne[:, :1]))
    for name in plain:
        torch.testing.assert_close(ones[name], plain[name], rtol=1e-4, atol=1e-6)
    half = torch.zeros_like(nocturne[:, :1])
    half[..., :64, :] = 1
    mean, covariance = colour_statistics(nocturne, half)
    top_mean, top_covariance = colour_statistics(nocturne[..., :64, :])
    torch.testing.assert_close(mean, top_mean)
    torch.testing.assert_close(covariance, top_covariance)


def sky_yellow(image) -> float:
    """The share of the top 40 % (the photo's empty sky) that is yellow: the Nocturne's moon, where one formed."""
    rgb = np.asarray(image, dtype=np.float64) / 255
    sky = rgb[: int(0.4 * rgb.shape[0])]
    return float(((sky[..., 0] + sky[..., 1]) / 2 - sky[..., 2] > 0.1).mean())


def test_the_moon_does_not_form_in_an_empty_sky():
    photo = load_image(LANDSCAPE)
    with_moon = stylize(photo, NOCTURNE, StyleConfig(size=128, motif_rarity=0, seed=0))
    without = stylize(photo, NOCTURNE, StyleConfig(size=128, seed=0))
    assert sky_yellow(with_moon) > 0.01, "every position counting, the moon should form (the failure shown)"
    assert sky_yellow(without) < 0.2 * sky_yellow(with_moon)


def test_a_painter_finds_each_paintings_motifs_once(model, monkeypatch):
    """The map depends on the painting alone: every size it is measured at, and its palette, reuse one map."""
    from painterly.engine import painter as painter_module

    found = []

    def counted(*args, **kwargs):
        found.append(1)
        return motif_map_of(*args, **kwargs)

    monkeypatch.setattr(painter_module, "motif_map_of", counted)
    painter = painter_module.Painter([NOCTURNE], StyleConfig(precision="float32"), model=model)
    for edge in (128, 256, 512):
        painter.style_grams(edge)
    painter.palette()
    assert len(found) == 1


def test_style_targets_at_the_motif_edge_reuse_the_motif_pass_unchanged(model):
    """The first size's targets come from the features the motif map measured (one pass of the painting fewer at
    start-up): the same numbers as a pass of their own."""
    from painterly.engine.painter import Painter

    config = StyleConfig(precision="float32")
    painter = Painter([NOCTURNE], config, model=model)
    passes = []
    hook = model.register_forward_hook(lambda *_: passes.append(1))
    try:
        reused = painter.style_grams(MOTIF_EDGE)[0]
    finally:
        hook.remove()
    assert len(passes) == 1 and painter._seen is None  # the motif map's pass only, and its features let go
    seen = painting(NOCTURNE, MOTIF_EDGE)
    guide = guide_of(painter.motif_maps()[0], *seen.shape[-2:])
    anew = style_statistics(model, seen, config.style_layers, config.style_loss, config.tile_size, guide)
    for name in config.style_layers:
        assert torch.equal(reused[name], anew[name]), name


def test_configs_that_build_the_same_network_share_a_key():
    base = StyleConfig()
    assert model_key(base) == model_key(StyleConfig(strength=0.9, size=128, motif_rarity=2.0))
    assert model_key(base) != model_key(StyleConfig(motif_rarity=0))  # the motif layer leaves the network
    assert model_key(base) != model_key(StyleConfig(pooling="avg"))
    assert model_key(base) != model_key(StyleConfig(content_layers=("conv4_2",)))


def test_a_motif_larger_than_its_neighbourhood_counts_less_as_a_whole(model, images):
    """A face's cheeks and mouth resemble each other, so only its eyes score as rare: grown() spreads their rarity
    over the face, and the swirls around it keep their weight."""
    from painterly.engine.motifs import MOTIF_LAYER, SHARPNESS, grown, rarity
    from scenes import painting_with_a_face

    face = painting_with_a_face(images)
    style = to_tensor(face)
    threshold = StyleConfig().motif_rarity
    inside = torch.zeros(style.shape[-2:], dtype=torch.bool)
    inside[80:125, 130:170] = True  # cheeks, nose and mouth, inside the drawn outline
    with torch.no_grad():
        score = rarity(model(style)[MOTIF_LAYER])
    cells = torch.nn.functional.interpolate(inside[None, None].float(), size=score.shape, mode="area")[0, 0] > 0.99
    weight_of = lambda rarities: (threshold / rarities).clamp(max=1).pow(SHARPNESS).mean()  # noqa: E731
    assert weight_of(score[cells]) > 0.25  # by the measure alone the face would keep a third of its weight (0.35)
    assert weight_of(grown(score, threshold)[cells]) < 0.05  # grown: under 0.01
    weight = motif_guide(model, style, threshold)[0, 0].pow(2)
    assert weight[inside].mean() < 0.1, f"the face still weighs {weight[inside].mean():.2f}"
    assert weight[~inside].median() > 0.99
