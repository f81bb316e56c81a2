"""The feature extractor against Gatys et al.'s table, and the input conventions against exact round trips."""

import pytest
import torch
from PIL import Image

from painterly.engine.vgg import VGG19Features
from painterly.errors import PainterlyError
from painterly.layers import LAYER_NAMES, canonical_layer
from painterly.media.images import to_image, to_tensor

PAPER_TABLE = [  # (layer, channels, spatial size for a 224 x 224 input)
    ("conv1_1", 64, 224), ("conv1_2", 64, 224),
    ("conv2_1", 128, 112), ("conv2_2", 128, 112),
    ("conv3_1", 256, 56), ("conv3_2", 256, 56), ("conv3_3", 256, 56), ("conv3_4", 256, 56),
    ("conv4_1", 512, 28), ("conv4_2", 512, 28), ("conv4_3", 512, 28), ("conv4_4", 512, 28),
    ("conv5_1", 512, 14), ("conv5_2", 512, 14), ("conv5_3", 512, 14), ("conv5_4", 512, 14),
]  # fmt: skip


@pytest.mark.parametrize("pooling", ["avg", "max"])
def test_layer_names_and_shapes_match_the_paper(vgg_weights, pooling):
    assert LAYER_NAMES == tuple(name for name, _, _ in PAPER_TABLE)
    model = VGG19Features(vgg_weights, LAYER_NAMES, pooling)
    with torch.no_grad():
        features = model(torch.rand(1, 3, 224, 224))
    assert list(features) == list(LAYER_NAMES)
    for name, channels, side in PAPER_TABLE:
        assert features[name].shape == (1, channels, side, side), name
        assert features[name].min() >= 0  # rectified outputs


def test_network_stops_at_the_deepest_layer_used(vgg_weights):
    model = VGG19Features(vgg_weights, ["conv1_1", "conv4_2"])
    assert model.names[-1] == "conv4_2" and len(model.convs) == 10
    assert not any(p.requires_grad for p in model.parameters())


def test_relu_names_are_accepted_and_unknown_names_list_the_choices():
    assert canonical_layer("relu4_2") == "conv4_2"
    assert canonical_layer(" CONV1_1 ") == "conv1_1"
    with pytest.raises(PainterlyError, match="unknown layer 'conv9_9'.*conv1_1, conv1_2"):
        canonical_layer("conv9_9")


def test_preprocessing_round_trips_an_image(vgg_weights, images):
    original = Image.open(images / "tubingen.jpg").convert("RGB").resize((96, 72))
    model = VGG19Features(vgg_weights, ["conv1_1"])
    x = model.preprocess(to_tensor(original))
    # The Caffe convention: BGR, 0-255, mean subtracted; check one pixel by hand.
    r, g, b = original.getpixel((0, 0))
    torch.testing.assert_close(x[0, :, 0, 0], torch.tensor([b - 103.939, g - 116.779, r - 123.68]))
    restored = to_image(deprocess(model, x))
    difference = (to_tensor(restored) - to_tensor(original)).abs().max().item()
    assert difference <= 1 / 255


def deprocess(model: VGG19Features, x: torch.Tensor) -> torch.Tensor:
    """The network's input space -> RGB [0, 1]: the inverse of `model.preprocess`, which only this test needs."""
    image = (x + model.offset) / model.gain
    return image.flip(1) if model.bgr else image


def test_a_pass_for_some_layers_stops_at_the_deepest_of_them_with_the_same_features(vgg_weights):
    model = VGG19Features(vgg_weights, ("conv1_1", "conv2_2", "conv3_2", "conv4_2", "conv5_1"), "max")
    image = torch.rand(1, 3, 64, 48, generator=torch.Generator().manual_seed(0))
    whole = model(image)
    shallow = model(image, ("conv2_2", "conv1_1"))
    assert set(shallow) == {"conv1_1", "conv2_2"}
    for name in shallow:
        torch.testing.assert_close(shallow[name], whole[name])


@pytest.mark.parametrize("channels_last", [False, True])
def test_bfloat16_weights_made_once_give_autocasts_own_numbers(vgg_weights, monkeypatch, channels_last):
    # Issue 29: autocast casts every weight again at every pass; the model keeps one bfloat16 copy instead. Same
    # features and the same gradient, bit for bit, in both memory layouts; and float32 outside autocast.
    model = VGG19Features(vgg_weights, ("conv1_1", "conv3_2", "conv5_1"), "max").use_channels_last(channels_last)
    image = torch.rand(1, 3, 40, 56, generator=torch.Generator().manual_seed(1))

    def run() -> tuple[dict, torch.Tensor]:
        x = image.clone().requires_grad_(True)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            features = model(x)
        sum(f.float().pow(2).mean() for f in features.values()).backward()
        return features, x.grad

    copied, copied_grad = run()
    assert model._bfloat16 is not None and model._bfloat16[0][0].dtype == torch.bfloat16
    monkeypatch.setattr(model, "_bfloat16_weights", lambda device_type: None)
    cast, cast_grad = run()
    for name in cast:
        assert copied[name].dtype == cast[name].dtype == torch.bfloat16
        assert torch.equal(copied[name], cast[name]), name
    assert torch.equal(copied_grad, cast_grad)
    monkeypatch.undo()
    assert model(image)["conv1_1"].dtype == torch.float32  # outside autocast, the float32 weights


def test_where_the_hold_applies_only_layers_down_to_the_hold_depth_are_used():
    from painterly import StyleConfig
    from painterly.engine.objective import layers_in_use

    config = StyleConfig(hold_depth="relu3_2")
    assert layers_in_use(config, held=True) == (("conv2_2", "conv3_2"), ("conv1_1", "conv2_1", "conv3_1"))
    assert layers_in_use(config, held=False) == (config.content_layers, config.style_layers)
    assert layers_in_use(StyleConfig(hold_depth=None), held=True) == (config.content_layers, config.style_layers)
    # shallower than every content layer: a term would have no layer left, so all of them are used
    shallow = StyleConfig(hold_depth="conv1_2")
    assert layers_in_use(shallow, held=True) == (shallow.content_layers, shallow.style_layers)
