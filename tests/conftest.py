"""Shared fixtures: the real test images shipped in tests/images (their sources and licences in its README) and the
real weights."""

from __future__ import annotations

from pathlib import Path

import pytest

IMAGES = Path(__file__).resolve().parent / "images"


@pytest.fixture(scope="session")
def images() -> Path:
    return IMAGES


@pytest.fixture(scope="session")
def vgg_weights():
    from painterly.engine.weights import load_weights

    return load_weights()


@pytest.fixture(scope="session")
def model():
    """The real VGG-19 as a Painter loads it, on the CPU in float32: one for every test module that measures
    targets with it (a module may define its own, as test_highres.py does)."""
    from painterly import StyleConfig
    from painterly.engine.painter import load_model

    return load_model(StyleConfig(precision="float32"), "cpu")
