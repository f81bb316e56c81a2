"""Shared fixtures: the real test images (../shared/images beside the repository) and the real weights."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
IMAGES = Path(os.environ.get("PAINTERLY_TEST_IMAGES", ROOT.parent / "shared" / "images"))


@pytest.fixture(scope="session")
def images() -> Path:
    if not (IMAGES / "tubingen.jpg").is_file():
        pytest.fail(f"test images not found in {IMAGES}; set PAINTERLY_TEST_IMAGES to the shared/images folder")
    return IMAGES


@pytest.fixture(scope="session")
def vgg_weights():
    from painterly.engine.weights import load_weights

    return load_weights()
