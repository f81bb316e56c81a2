"""StyleConfig validation: every bad value is refused with a message that names it."""

import math

import pytest

from painterly import PainterlyError, StyleConfig


def test_defaults_follow_the_paper_with_two_shallower_content_layers():
    config = StyleConfig()
    assert config.content_layers == ("conv2_2", "conv3_2", "conv4_2")  # the paper's conv4_2, and two to keep the photo
    assert config.style_layers == ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1")
    assert config.normalised_style_layer_weights() == pytest.approx((0.2,) * 5)


def test_layer_names_are_canonicalised_and_weights_normalised():
    config = StyleConfig(style_layers="relu1_1, conv2_1", style_layer_weights=(3, 1))
    assert config.style_layers == ("conv1_1", "conv2_1")
    assert config.normalised_style_layer_weights() == pytest.approx((0.75, 0.25))


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"style_layers": ("conv1_1", "pool9")}, "unknown layer 'pool9'"),
        ({"content_weight": -1.0}, "content_weight must be zero or more"),
        ({"style_weight": math.nan}, "style_weight must be a finite number"),
        ({"tv_weight": math.inf}, "tv_weight must be a finite number"),
        ({"size": 0}, "size must be a whole number"),
        ({"iterations": 0}, "iterations must be a whole number"),
        ({"style_layer_weights": (1.0, 2.0)}, "2 style layer weights given for 5 style layers"),
        ({"style_layer_weights": (1.0, -1.0, 1.0, 1.0, 1.0)}, "style layer weight must be zero or more"),
        ({"optimizer": "sgd"}, "unknown optimizer 'sgd'; choose one of: lbfgs, adam"),
        ({"pooling": "min"}, "unknown pooling 'min'"),
        ({"noise_ratio": 1.5}, "noise_ratio must be between 0 and 1"),
        ({"style_scale": 0.0}, "style_scale must be positive"),
        ({"style_layers": ()}, "at least one style layer"),
    ],
)
def test_bad_values_are_refused_by_name(changes, message):
    with pytest.raises(PainterlyError, match=message):
        StyleConfig(**changes)


def test_round_trips_through_a_dict():
    config = StyleConfig(size=64, style_weight=5.0, style_layers=("conv2_1",))
    assert StyleConfig.from_dict(config.to_dict()) == config
    with pytest.raises(PainterlyError, match="unknown setting"):
        StyleConfig.from_dict({"sizee": 3})


def test_settings_saved_before_an_option_retired_still_load():
    """OUT.json files written while coarse_style and style_growth existed resume; a value that did something
    is refused in one line, since the engine no longer has it."""
    saved = {**StyleConfig().to_dict(), "style_growth": 0.0, "coarse_style": 0.0, "coarse_from": 4.0}
    assert StyleConfig.from_dict(saved) == StyleConfig()
    with pytest.raises(PainterlyError, match="coarse_style=1.0 is no longer supported"):
        StyleConfig.from_dict({**saved, "coarse_style": 1.0})
    with pytest.raises(PainterlyError, match="unknown setting"):
        StyleConfig.from_dict({"no_such_option": 1})


def test_a_step_size_the_optimiser_cannot_hold_is_refused_in_one_line():
    with pytest.raises(PainterlyError, match="lr must be at most 1e"):
        StyleConfig(optimizer="adam", lr=1e38)
