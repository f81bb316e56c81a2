"""High resolution: the tile grid, the whole-image terms a tile is optimised against, and a tiled run's seams."""

import sys
from pathlib import Path

import pytest
import torch
from PIL import Image

from painterly import StyleConfig, stylize
from painterly.engine import painter as painter_module
from painterly.engine.highres import TileObjective, measure, style_statistics
from painterly.engine.losses import gram_matrix
from painterly.engine.memory_budget import estimate_peak_bytes
from painterly.engine.objective import make_objective
from painterly.engine.schedule import schedule
from painterly.engine.tiles import boxes, feather, spans
from painterly.engine.vgg import VGG19Features
from painterly.errors import PainterlyError
from painterly.layers import LAYER_NAMES
from painterly.media.images import resize_longest, to_tensor

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from seam import seam_ratio  # noqa: E402

LAYERS = StyleConfig().content_layers + StyleConfig().style_layers


@pytest.mark.parametrize("length,tile,overlap", [(4096, 1024, 64), (3072, 1024, 64), (256, 64, 12), (100, 64, 12)])
def test_spans_cover_the_axis_with_exact_overlaps_and_never_exceed_the_tile(length, tile, overlap):
    for pass_index in range(6):
        found = spans(length, tile, overlap, pass_index)
        assert found[0][0] == 0 and found[-1][1] == length
        assert all(end - start <= tile for start, end in found)
        assert all(a[1] - b[0] == overlap for a, b in zip(found, found[1:]))


def test_the_grid_moves_so_no_border_of_one_pass_lies_near_one_of_the_next():
    first, second = spans(4096, 1024, 64, 0), spans(4096, 1024, 64, 1)
    cuts = lambda found: [end for _, end in found[:-1]]  # noqa: E731
    assert min(abs(a - b) for a in cuts(first) for b in cuts(second)) > 64


def test_feather_weights_of_a_pass_sum_to_one_everywhere():
    width, height, overlap = 300, 200, 16
    total = torch.zeros(1, 1, height, width)
    for pass_index in range(3):
        total.zero_()
        for top, bottom, left, right in boxes(width, height, 96, overlap, pass_index):
            total[..., top:bottom, left:right] += feather((top, bottom, left, right), width, height, overlap)
        assert torch.allclose(total, torch.ones_like(total), atol=1e-6)


@pytest.fixture(scope="module")
def model(vgg_weights):
    return VGG19Features(vgg_weights, LAYERS, "max")


def test_style_gram_measured_in_tiles_matches_the_whole_image(model, images):
    style = to_tensor(resize_longest(Image.open(images / "starry_night.jpg"), 256))
    whole = style_statistics(model, style, StyleConfig().style_layers)
    tiled = style_statistics(model, style, StyleConfig().style_layers, tile=128)
    for name, gram in whole.items():
        error = float((tiled[name] - gram).norm() / gram.norm())
        assert error < 0.02, f"{name}: {error:.4f}"


def test_a_tile_objective_starts_at_the_whole_image_loss_whichever_tile(model, images):
    # The loss a tile descends is the whole picture's: at the visit's first image every tile reports the same
    # value, and it is the loss of a plain (untiled) objective on the whole image.
    config = StyleConfig(tile_size=128, tile_overlap=16)
    content = to_tensor(resize_longest(Image.open(images / "tubingen.jpg"), 256))
    image = (content + 0.1 * torch.randn_like(content)).clamp(0, 1)
    style = to_tensor(resize_longest(Image.open(images / "starry_night.jpg"), 256))
    grams = [style_statistics(model, style, config.style_layers)]
    with torch.no_grad():
        plain = make_objective(model, content, grams, config)(image)
        whole = measure(model, image, content, None, config)
        starts = []
        for top, bottom, left, right in boxes(256, 192, 128, 16)[:3]:
            crop = (..., slice(top, bottom), slice(left, right))
            objective = TileObjective(model, whole, content[crop], [None], grams, [1.0], config, 0.25)
            starts.append({k: float(v) for k, v in objective(image[crop]).items()})
    for start in starts:
        assert start["total"] == pytest.approx(starts[0]["total"], rel=1e-5)
        for term in ("content", "style"):  # whole-image sums measured in pieces with a 64 px margin
            assert start[term] == pytest.approx(float(plain[term]), rel=0.03), term


def _run(images, **changes):
    settings = dict(size=128, tile_size=64, tile_overlap=12, start_size=64, start_iterations=60, iterations=20)
    config = StyleConfig(**{**settings, **changes})
    seen = []
    result = stylize(images / "tubingen.jpg", images / "starry_night.jpg", config, seen.append)
    return result, config, seen


@pytest.fixture(scope="module")
def tiled_run(images):
    return _run(images)


def test_a_tiled_run_shows_no_seam(tiled_run):
    result, config, _ = tiled_run
    stage = schedule(config, *result.size)[-1]
    assert stage.tile and stage.tiles > 1
    ratio, lines = seam_ratio(result, config)  # the measure benchmarks/seam.py gives a 4096 px run
    print(f"seam ratio {ratio:.3f} over {lines} border lines")
    assert abs(ratio - 1) < 0.10, f"gradient across tile borders / inside = {ratio:.3f}"


def test_a_tiled_run_keeps_the_photo_like_a_plain_one(tiled_run, images):
    # Tiles matched to the style's Gram matrix each on its own paint a whole painting into every tile and lose
    # the photo; against the whole image's terms the content term ends close to a plain run's.
    _, _, tiled = tiled_run
    # to --hold-depth, as the tiles after a held size are (their content term is over the same layers)
    _, _, plain = _run(images, tile_size=0)
    assert tiled[-1].losses["content"] < 1.25 * plain[-1].losses["content"]
    first_tile = next(p for p in tiled if p.tile)
    assert min(p.losses["style"] for p in tiled if p.tile) < 0.5 * first_tile.losses["style"]


def test_progress_names_the_size_and_each_tile(tiled_run):
    result, config, seen = tiled_run
    stage = schedule(config, *result.size)[-1]
    visits = stage.passes * stage.tiles
    assert [p.iteration for p in seen] == list(range(1, len(seen) + 1))
    assert {p.tile for p in seen if p.tile} == {(i, visits) for i in range(1, visits + 1)}
    assert all(p.size == result.size for p in seen if p.tile)
    assert seen[-1].work_done == pytest.approx(1.0)


def test_tiles_bound_the_memory_estimate():
    untiled = estimate_peak_bytes(3072, 4096, LAYERS)
    tiled = estimate_peak_bytes(3072, 4096, LAYERS, 1024)
    assert tiled < 8 * 2**30 < untiled


def test_tile_size_must_leave_room_beside_the_overlap():
    with pytest.raises(PainterlyError, match="tile_size"):
        StyleConfig(tile_size=100, tile_overlap=64)
    StyleConfig(tile_size=0, tile_overlap=64)  # 0: never tile


def test_gram_of_a_single_piece_is_the_plain_gram(model, images):
    style = to_tensor(resize_longest(Image.open(images / "shipwreck.jpg"), 96))
    grams = style_statistics(model, style, ("conv1_1", "conv3_1"), tile=1024)
    features = model(style)
    assert torch.allclose(grams["conv3_1"], gram_matrix(features["conv3_1"]), rtol=1e-5, atol=1e-6)


def test_a_tiled_size_that_does_not_fit_suggests_a_smaller_tile_then_a_smaller_size():
    from painterly.engine.painter import check_memory

    with pytest.raises(PainterlyError, match=r"try --tile-size (\d+)") as caught:
        check_memory(StyleConfig(size=4096, max_memory_gb=4), 4096, 3072)
    tile = int(str(caught.value).rsplit(" ", 1)[1])
    assert 320 <= tile < 1024
    check_memory(StyleConfig(size=4096, max_memory_gb=4, tile_size=tile), 4096, 3072)  # the advice fits
    with pytest.raises(PainterlyError, match="try --size"):
        check_memory(StyleConfig(size=4096, max_memory_gb=1.5), 4096, 3072)


def test_resuming_inside_a_tiled_size_skips_the_visits_done(tiled_run, images):
    result, config, seen = tiled_run
    first = schedule(config, *result.size)[0].steps  # 60 at 64 px, then 5 iterations per tile visit
    resumed = []
    snapshot = StyleConfig(**{**config.to_dict(), "init": str(images / "tubingen.jpg"), "done_iterations": first + 7})
    stylize(images / "tubingen.jpg", images / "starry_night.jpg", snapshot, resumed.append)
    assert resumed[0].iteration == first + 6  # the second visit, cut short at 7, is done again whole
    assert resumed[0].tile == (2, seen[-1].tile[1])
    assert resumed[-1].iteration == seen[-1].iteration


def test_tiles_after_the_held_sizes_run_vgg_only_to_the_hold_depth(images, monkeypatch):
    # Issue 29: the sizes below fixed what the deep layers see, so a tile visit there stops at --hold-depth, as a
    # held whole size does; where nothing held the picture (hold 0), the tiles keep every layer.
    inside: list[bool] = []
    deepest: list[int] = []
    forward, refine = VGG19Features.forward, painter_module.refine_in_tiles

    def spy(self, image, layers=None):
        if inside:
            deepest.append(max(self.names.index(n) for n in (self.layers if layers is None else layers)))
        return forward(self, image, layers)

    def tiles(*args, **kwargs):
        inside.append(True)
        try:
            return refine(*args, **kwargs)
        finally:
            inside.pop()

    monkeypatch.setattr(VGG19Features, "forward", spy)
    monkeypatch.setattr(painter_module, "refine_in_tiles", tiles)
    for hold, layer in ((StyleConfig().hold, "conv3_2"), (0.0, "conv5_1")):
        deepest.clear()
        result, config, _ = _run(images, start_iterations=3, iterations=4, hold=hold)
        assert schedule(config, *result.size)[-1].tile
        assert deepest and max(deepest) == LAYER_NAMES.index(layer), f"hold {hold}"
