"""The style terms of --style-loss (gram, sliced, meancov; engine.losses, docs/losses.md "Style losses"), with the
real VGG-19 weights at 64 px: each is ~0 at the painting and larger at the photo, has finite gradients, paints,
and works with blends, masks, the motif weighting, tiles and video, or refuses with one line."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image

from painterly import PainterlyError, StyleConfig, stylize
from painterly.apps.cli import main
from painterly.config import STRENGTH_GAIN, STYLE_LOSSES
from painterly.engine.highres import TileObjective, measure, style_statistics
from painterly.engine.losses import (
    Moments,
    Samples,
    SlicedTarget,
    directions,
    gaussian_w2,
    moments,
    samples,
    sliced_wasserstein,
    style_term,
)
from painterly.engine.objective import Temporal, make_objective
from painterly.engine.painter import Painter
from painterly.engine.temporal import paint_frames
from painterly.engine.tiles import boxes
from painterly.media.images import resize_longest, to_tensor

ROOT = Path(__file__).resolve().parents[1]
NOCTURNE = ROOT / "benchmarks" / "images" / "nocturne.jpg"  # one large moon: a motif the weighting finds
LAYERS = StyleConfig().style_layers
FAST = {"size": 64, "start_size": 0, "iterations": 12, "device": "cpu", "precision": "float32"}


def picture(images: Path, name: str, edge: int = 64) -> torch.Tensor:
    return to_tensor(resize_longest(Image.open(images / name).convert("RGB"), edge))


def style_distance(model, image: torch.Tensor, targets: dict, seed: int = 1) -> torch.Tensor:
    """The style term (mean over the style layers) of `image` against a painting's targets."""
    features = model(image)
    terms = {name: style_term(target, seed) for name, target in targets.items()}
    return sum(terms[name](features[name], None) for name in LAYERS) / len(LAYERS)


@pytest.mark.parametrize("loss", STYLE_LOSSES)
def test_each_loss_is_zero_at_the_painting_larger_at_the_photo_and_has_finite_gradients(model, images, loss):
    painting, photo = picture(images, "starry_night.jpg"), picture(images, "tubingen.jpg")
    targets = style_statistics(model, painting, LAYERS, loss)
    with torch.no_grad():
        itself = float(style_distance(model, painting, targets))
    pixels = photo.clone().requires_grad_(True)
    at_photo = style_distance(model, pixels, targets)
    at_photo.backward()
    at_photo = at_photo.item()
    assert abs(itself) < 1e-3, f"{loss} at the painting itself: {itself:.2e}"
    assert 0.05 < at_photo < 5, f"{loss} at the photo: {at_photo:.3f} (normalised: of order 1)"
    assert torch.isfinite(pixels.grad).all() and pixels.grad.abs().sum() > 0
    # Where the painting's own covariance is rank-deficient (conv5_1: fewer positions than channels) the
    # gradient at the painting itself must be finite too: the eigenvalue floor of gaussian_w2.
    at_painting = painting.clone().requires_grad_(True)
    style_distance(model, at_painting, targets).backward()
    assert torch.isfinite(at_painting.grad).all()


def test_meancov_is_the_wasserstein_distance_of_gaussians_by_hand():
    # Target: mean (1, 0), covariance diag(4, 1). Same covariance, mean moved by (0, 2): W2^2 = 4. Same mean,
    # covariance diag(1, 1): W2^2 = (2 - 1)^2 + 0 = 1. The normaliser is ||mu||^2 + tr(S) = 1 + 5 = 6.
    mean, cov = torch.tensor([[1.0, 0.0]]), torch.diag(torch.tensor([4.0, 1.0]))
    target = Moments(mean, (cov + mean.T @ mean)[None]).gaussian()

    def w2(m, c):
        m = torch.tensor([m])
        return float(gaussian_w2(m, (c + m.T @ m)[None], target))

    assert w2([1.0, 2.0], cov) == pytest.approx(4 / 6, abs=1e-3)
    assert w2([1.0, 0.0], torch.eye(2)) == pytest.approx(1 / 6, abs=1e-3)
    assert w2([0.0, 0.0], torch.zeros(2, 2)) == pytest.approx(1.0, abs=1e-3)  # all-zero features: 1


def test_sliced_is_zero_for_the_same_distribution_resampled_and_one_at_zero():
    torch.manual_seed(0)
    features = torch.rand(1, 6, 40, 40) ** 2
    target = SlicedTarget(samples(features[..., ::2, :]), directions(6, 6, seed=3))  # half the positions
    assert float(sliced_wasserstein(features, target)) < 0.01  # the resampled quantiles match
    shuffled = features.flatten(2)[..., torch.randperm(1600)].reshape(1, 6, 40, 40)
    assert float(sliced_wasserstein(shuffled, target)) == pytest.approx(float(sliced_wasserstein(features, target)))
    assert float(sliced_wasserstein(torch.zeros_like(features), target)) == pytest.approx(1.0, rel=1e-4)
    assert float(sliced_wasserstein(features + 0.5, target)) > 0.2


def test_a_guide_of_ones_is_no_guide(model, images):
    features = model(picture(images, "starry_night.jpg"))["conv2_1"]
    ones = torch.ones_like(features[:, :1])
    target = SlicedTarget(samples(features), directions(features.shape[1], 8, seed=1))
    assert float(sliced_wasserstein(features, target, ones)) == pytest.approx(
        float(sliced_wasserstein(features, target)), abs=1e-6
    )
    plain, guided = moments(features), moments(features, ones)
    torch.testing.assert_close(guided.mean, plain.mean)
    torch.testing.assert_close(guided.second, plain.second)


@pytest.mark.parametrize("loss", STYLE_LOSSES)
def test_a_short_run_moves_from_the_photo_towards_the_painting(model, images, loss):
    config = StyleConfig(**FAST, style_loss=loss)
    result = stylize(images / "tubingen.jpg", images / "starry_night.jpg", config)
    photo, painting = picture(images, "tubingen.jpg"), picture(images, "starry_night.jpg")
    pixels = to_tensor(result)
    assert pixels.shape == photo.shape
    assert float((pixels - photo).abs().mean()) > 0.03  # the photo moved
    with torch.no_grad():
        for measured in STYLE_LOSSES:  # nearer the painting by its own term and by the others
            targets = style_statistics(model, painting, LAYERS, measured)
            before = float(style_distance(model, photo, targets, seed=99))
            after = float(style_distance(model, pixels, targets, seed=99))
            assert after < 0.8 * before, f"{loss} run, {measured} distance: {before:.3f} -> {after:.3f}"


@pytest.mark.parametrize("loss", ("sliced", "meancov"))
def test_the_objective_is_deterministic(model, images, loss):
    # L-BFGS builds its curvature from gradient differences of one function, and the loop keeps the best image by
    # its loss: the sliced directions are fixed for the objective's life (one stage).
    config = StyleConfig(**FAST, style_loss=loss)
    content = picture(images, "tubingen.jpg")
    targets = [style_statistics(model, picture(images, "starry_night.jpg"), LAYERS, loss)]
    objective = make_objective(model, content, targets, config)
    image = (content + 0.05).clamp(0, 1)
    with torch.no_grad():
        assert float(objective(image)["style"]) == float(objective(image)["style"])


@pytest.mark.parametrize("loss", STYLE_LOSSES)
def test_a_blend_of_one_and_zero_is_the_single_painting_and_an_even_blend_is_neither(model, images, loss):
    config = StyleConfig(**FAST, style_loss=loss)
    content = picture(images, "tubingen.jpg")
    starry, wreck = (
        style_statistics(model, picture(images, n), LAYERS, loss) for n in ("starry_night.jpg", "shipwreck.jpg")
    )
    image = (content * 0.8 + 0.1).clamp(0, 1)

    def style(targets, blend):
        changed = StyleConfig(**{**FAST, "style_loss": loss, "style_blend": blend})
        with torch.no_grad():
            return float(make_objective(model, content, targets, changed)(image)["style"])

    single = float(make_objective(model, content, [starry], config)(image)["style"])
    assert style([starry, wreck], (1, 0)) == pytest.approx(single, rel=1e-4)
    even = style([starry, wreck], (1, 1))
    assert even != pytest.approx(single, rel=1e-3)
    assert even != pytest.approx(style([wreck, starry], (1, 0)), rel=1e-3)


@pytest.mark.parametrize("loss", ("sliced", "meancov"))
def test_blends_and_masks_paint(images, tmp_path, loss):
    styles = [images / "starry_night.jpg", images / "shipwreck.jpg"]
    blended = stylize(images / "tubingen.jpg", styles, StyleConfig(**{**FAST, "iterations": 4}, style_loss=loss))
    mask = Image.new("RGB", (64, 48), "white")
    mask.paste((0, 0, 0), (32, 0, 64, 48))  # left: the first painting, right: the second
    mask.save(tmp_path / "mask.png")
    config = StyleConfig(**{**FAST, "iterations": 4}, style_loss=loss, mask=str(tmp_path / "mask.png"))
    regions = stylize(images / "tubingen.jpg", styles, config)
    for result in (blended, regions):
        assert result.size == (64, 48)
        assert float((to_tensor(result) - picture(images, "tubingen.jpg")).abs().mean()) > 0.01


@pytest.mark.parametrize("loss", ("sliced", "meancov"))
def test_a_region_kept_free_of_style_adds_nothing_and_a_region_is_matched_alone(model, images, loss):
    content = picture(images, "tubingen.jpg")
    targets = [style_statistics(model, picture(images, "starry_night.jpg"), LAYERS, loss)] * 2
    guides = torch.zeros(2, 1, 48, 64)
    guides[0, :, :, :32] = 1  # the second region is empty
    config = StyleConfig(**FAST, style_loss=loss)
    with torch.no_grad():
        value = float(make_objective(model, content, targets, config, guides)(content)["style"])
        only = float(make_objective(model, content, targets[:1], config, guides[:1])(content)["style"])
    assert value == pytest.approx(only) and value > 0


@pytest.mark.skipif(not NOCTURNE.exists(), reason="benchmarks/images/nocturne.jpg is not here")
@pytest.mark.parametrize("loss", STYLE_LOSSES)
def test_the_motif_weighting_reaches_each_losss_targets(model, loss):
    config = StyleConfig(**FAST, style_loss=loss)
    weighted = Painter(NOCTURNE, config, model).style_grams(64)[0]["conv4_1"]
    plain = Painter(NOCTURNE, StyleConfig(**FAST, style_loss=loss, motif_rarity=0), model).style_grams(64)[0]["conv4_1"]
    if isinstance(weighted, Samples):
        assert float(weighted.weights.min()) < 0.5 * float(weighted.weights.max())  # the moon's positions count less
        assert float(plain.weights.min()) == pytest.approx(float(plain.weights.max()))
    elif isinstance(weighted, Moments):
        assert float((weighted.mean - plain.mean).norm()) > 0.01 * float(plain.mean.norm())
    else:
        assert float((weighted - plain).norm()) > 0.01 * float(plain.norm())


def test_a_meancov_tile_objective_starts_at_the_whole_image_loss(model, images):
    # As for Gram (tests/test_highres.py): the W2 term is a function of the whole image's first and second moments,
    # kept as sums, so every tile descends the whole picture's loss.
    config = StyleConfig(tile_size=128, tile_overlap=16, style_loss="meancov", precision="float32")
    content = picture(images, "tubingen.jpg", 256)
    image = (content + 0.1 * torch.randn_like(content)).clamp(0, 1)
    targets = [style_statistics(model, picture(images, "starry_night.jpg", 256), LAYERS, "meancov")]
    with torch.no_grad():
        plain = make_objective(model, content, targets, config)(image)
        whole = measure(model, image, content, None, config)
        for top, bottom, left, right in boxes(256, 192, 128, 16)[:3]:
            crop = (..., slice(top, bottom), slice(left, right))
            start = TileObjective(model, whole, content[crop], [None], targets, [1.0], config, 0.25)(image[crop])
            assert float(start["style"]) == pytest.approx(float(plain["style"]), rel=0.03)


def test_a_tiled_meancov_run_paints(images):
    config = StyleConfig(
        size=128, tile_size=64, tile_overlap=12, start_size=64, start_iterations=6, iterations=4, style_loss="meancov"
    )
    seen = []
    result = stylize(images / "tubingen.jpg", images / "starry_night.jpg", config, seen.append)
    assert result.size == (128, 96)
    assert any(p.tile for p in seen) and all(torch.isfinite(torch.tensor(p.losses["total"])) for p in seen)


def test_sliced_refuses_tiles_in_one_line_and_runs_without_them():
    with pytest.raises(PainterlyError, match="style_loss 'sliced' cannot refine in tiles") as error:
        StyleConfig(style_loss="sliced", size=2048)
    assert "\n" not in str(error.value)
    StyleConfig(style_loss="sliced", size=2048, tile_size=0)  # one pass at full size: allowed
    StyleConfig(style_loss="sliced", size=1024)  # the tile size itself is not tiled
    StyleConfig(style_loss="meancov", size=2048)


@pytest.mark.parametrize("loss", ("sliced", "meancov"))
def test_video_frames_paint_with_the_temporal_term(images, loss):
    painter = Painter(images / "starry_night.jpg", StyleConfig(**{**FAST, "iterations": 4}, style_loss=loss))
    first = Image.open(images / "tubingen.jpg").convert("RGB").resize((64, 48))
    second = first.transform(first.size, Image.Transform.AFFINE, (1, 0, 2, 0, 1, 0))  # moved 2 px
    seen = []
    frames = list(paint_frames(painter, [first, second], frame_iterations=3, callback=lambda i, p: seen.append((i, p))))
    assert len(frames) == 2 and frames[1].size == (64, 48)
    assert any(i == 1 and p.losses.get("temporal", 0) > 0 for i, p in seen)


def test_a_frames_temporal_term_joins_each_loss(model, images):
    content = picture(images, "tubingen.jpg")
    targets = [style_statistics(model, picture(images, "starry_night.jpg"), LAYERS, "sliced")]
    term = Temporal(content.clone(), torch.ones_like(content[:, :1]), 100.0)
    with torch.no_grad():
        losses = make_objective(model, content, targets, StyleConfig(**FAST, style_loss="sliced"), temporal=term)(
            (content + 0.1).clamp(0, 1)
        )
    assert float(losses["temporal"]) == pytest.approx(100 * 0.01, rel=0.1)


def test_the_strength_gives_each_loss_its_gain_and_an_explicit_style_weight_is_kept():
    gram = StyleConfig().style_term_weight
    for loss in STYLE_LOSSES:
        assert StyleConfig(style_loss=loss).style_term_weight == pytest.approx(STRENGTH_GAIN[loss] * gram)
        assert StyleConfig(style_loss=loss, style_weight=7.0).style_term_weight == 7.0


def test_a_bad_style_loss_is_one_line_in_the_config_and_on_the_command_line(images, tmp_path, capsys):
    with pytest.raises(PainterlyError, match="unknown style_loss 'wasserstein'; choose one of: gram, sliced, meancov"):
        StyleConfig(style_loss="wasserstein")
    out = tmp_path / "out.png"
    argv = [str(images / "tubingen.jpg"), "-s", str(images / "starry_night.jpg"), "-o", str(out), "--iterations", "1"]
    assert main([*argv, "--style-loss", "wasserstein"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "--style-loss" in lines[0] and "wasserstein" in lines[0], lines
    assert main([*argv, "--style-loss", "sliced", "--size", "2048"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "cannot refine in tiles" in lines[0], lines
    assert not out.exists()
