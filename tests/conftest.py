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
