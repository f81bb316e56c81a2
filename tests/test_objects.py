"""A portrait's face is not pasted whole where the photo has none, with `object_scale` (issue 28).

At the first size conv5_1 sees the whole face of a portrait painting, so its Gram matrix asks for a face, and the
optimiser paints one where the photo is flat: between the bridge's towers. With `object_scale` the conv5_1 targets
are measured on the painting that many times larger, where conv5_1 sees the face's parts. With the real weights.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from PIL import Image

from painterly import PainterlyError, StyleConfig, stylize
from painterly.apps.cli import main
from painterly.engine.highres import style_statistics
from painterly.engine.motifs import guide_of
from painterly.engine.painter import OBJECT_EDGE, OBJECT_LAYERS, Painter
from painterly.media.images import load_image, resize_longest, to_tensor

ROOT = Path(__file__).resolve().parents[1]
PORTRAIT = ROOT / "benchmarks" / "images" / "portrait.jpg"  # a fauvist head and shoulders: one large face

sys.path.insert(0, str(ROOT / "benchmarks"))

import quality_metrics as qm  # noqa: E402


def test_only_conv5_1_is_measured_on_the_larger_painting(model):
    plain = Painter([PORTRAIT], StyleConfig(precision="float32"), model=model).style_grams(256)[0]
    painter = Painter([PORTRAIT], StyleConfig(precision="float32", object_scale=3), model=model)
    parts = painter.style_grams(256)[0]
    assert OBJECT_LAYERS == ("conv5_1",)
    for name in plain:
        if name not in OBJECT_LAYERS:
            assert torch.equal(plain[name], parts[name]), name
    larger = to_tensor(resize_longest(load_image(PORTRAIT), 768))
    guide = guide_of(painter.motif_maps()[0], *larger.shape[-2:])
    expected = style_statistics(model, larger, OBJECT_LAYERS, "gram", 0, guide)["conv5_1"]
    assert torch.allclose(parts["conv5_1"], expected)
    assert not torch.allclose(parts["conv5_1"], plain["conv5_1"], rtol=0.05)


def test_the_larger_painting_is_capped_and_scale_one_changes_nothing(model):
    config = StyleConfig(precision="float32", object_scale=3)
    big = Painter([PORTRAIT], config, model=model).style_grams(OBJECT_EDGE, ("conv5_1",))[0]["conv5_1"]
    plain = Painter([PORTRAIT], StyleConfig(precision="float32"), model=model)
    # at OBJECT_EDGE and above the painting is measured at its own size: conv5_1 already sees a face in parts
    assert torch.equal(big, plain.style_grams(OBJECT_EDGE, ("conv5_1",))[0]["conv5_1"])


def test_preserved_colours_measure_the_recoloured_larger_painting(model, images):
    photo = to_tensor(resize_longest(load_image(images / "bridge.jpg"), 128))
    kept = StyleConfig(precision="float32", preserve_colors="histogram")
    plain = Painter([PORTRAIT], kept, model=model).target_grams(128, photo)[0]
    kept.object_scale = 3
    parts = Painter([PORTRAIT], kept, model=model).target_grams(128, photo)[0]
    assert torch.equal(plain["conv1_1"], parts["conv1_1"])
    assert not torch.allclose(plain["conv5_1"], parts["conv5_1"], rtol=0.05)


@pytest.mark.parametrize("value", [0.5, 0, -1, float("nan")])
def test_an_object_scale_below_one_is_refused_in_one_line(value):
    with pytest.raises(PainterlyError, match="object_scale") as caught:
        StyleConfig(object_scale=value)
    assert "\n" not in str(caught.value)


def test_the_cli_refuses_a_bad_object_scale_with_one_line(tmp_path, images, capsys):
    out = tmp_path / "out.png"
    code = main([str(images / "bridge.jpg"), "--style", str(PORTRAIT), "-o", str(out), "--object-scale", "0.5"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "object_scale" in err
    assert not out.exists()


# With the default the face forms between the towers (tests/images/bridge.jpg at 256 px: motif hits 0.49, edge
# correlation 0.60); with --object-scale 3 there is sky (0.31 and 0.71; AMD EPYC, bfloat16).
FACE_HITS = 0.4  # motif hits: the portrait's rare parts found in the result and not in the photo
KEPT = 0.65  # edge correlation with the photo: a face painted in the sky invents edges there


def test_the_portraits_face_is_not_pasted_between_the_bridges_towers(images):
    with Image.open(PORTRAIT) as opened:
        painting = opened.convert("RGB")
    with Image.open(images / "bridge.jpg") as opened:
        photo = opened.convert("RGB")
    result = stylize(photo, painting, StyleConfig(size=256, object_scale=3))
    seen = photo.resize(result.size, Image.Resampling.LANCZOS)
    hits = qm.motif_hits(seen, result, painting)
    assert hits < FACE_HITS, f"{hits:.2f} of the portrait's rare parts were found in the result"
    before, after = qm.pair_arrays(photo, result, qm.EDGE_SIZE)
    assert qm.edge_correlation(before, after) > KEPT, "edges the photo does not have: a face in the sky?"
    assert qm.patch_gain(seen, result, painting) > 0.2  # and painted
