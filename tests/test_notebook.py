"""painterly in a notebook: docs/tutorial.ipynb runs top to bottom in a real Jupyter kernel, each step's output is
what the paper's figure needs, and `paint` outside a kernel is `stylize`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "tutorial.ipynb"
EXAMPLES = ROOT / "src" / "painterly" / "examples"


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> nbformat.NotebookNode:
    """The tutorial as a reader runs it: a fresh kernel, from a folder of its own (it writes only to a temporary
    folder), every cell in order; a cell that raises fails here."""
    notebook = nbformat.read(TUTORIAL, as_version=4)
    folder = tmp_path_factory.mktemp("tutorial")
    client = nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    )
    client.execute()
    assert not list(folder.iterdir())  # nothing written beside the reader's notebook
    return notebook


def _checks(notebook) -> dict:
    for cell in reversed(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("name") == "stdout" and "CHECKS " in output.get("text", ""):
                line = next(line for line in output["text"].splitlines() if line.startswith("CHECKS "))
                return json.loads(line.removeprefix("CHECKS "))
    raise AssertionError("the tutorial's last cell printed no CHECKS line")


def _outputs(notebook, kind: str) -> int:
    return sum(kind in output.get("data", {}) for cell in notebook.cells for output in cell.get("outputs", []))


def test_the_tutorial_runs_in_a_kernel_and_each_step_shows_what_it_says(executed):
    checks = _checks(executed)
    # Figure 1: five content and five style reconstructions, all different, each layer further from the photo's
    # pixels than the one below it (the higher layers keep the arrangement, not the exact look).
    assert checks["content_least_difference"] > 1.0 and checks["style_least_difference"] > 1.0, checks
    errors = checks["content_error_by_layer"]
    assert len(errors) == 5 and errors == sorted(errors), errors
    # The Gram matrix written by hand is painterly's.
    assert checks["gram_relative_difference"] < 1e-5
    # Figure 3 as a grid: 3 strengths x 2 style-layer sets, one sheet holding them with its labels.
    assert checks["grid_cells"] == 6 and checks["grid_sheet_size"][0] > 3 * 64
    # Each of painterly's choices, turned off, changes the picture; the video has its frames.
    assert all(value > 1.0 for name, value in checks["choices"].items() if name != "painterly's defaults"), checks
    assert checks["video_frames"] == 4
    # The live preview was drawn more than once, and the pictures are in the notebook for a reader to see.
    assert checks["preview_updates"] >= 3
    outputs = [output for cell in executed.cells for output in cell.get("outputs", [])]
    html = [output["data"]["text/html"] for output in outputs if "text/html" in output.get("data", {})]
    assert any('class="painterly-live"' in text for text in html)
    assert _outputs(executed, "image/png") >= 7


def test_paint_outside_a_kernel_is_stylize(images, tmp_path):
    """No kernel here: `paint` shows nothing and returns exactly what painterly.stylize returns."""
    from painterly import StyleConfig, stylize
    from painterly.apps import notebook as nb

    config = StyleConfig(size=64, iterations=4, precision="float32")
    photo, painting = EXAMPLES / "village.jpg", EXAMPLES / "swirls.jpg"
    assert not nb.in_notebook()
    ours = nb.paint(photo, painting, config)
    theirs = stylize(photo, painting, config)
    assert np.array_equal(np.asarray(ours), np.asarray(theirs))
    with pytest.raises(TypeError, match="painting"):
        nb.paint(photo)


def test_a_reconstruction_is_the_command_lines():
    """nb.reconstruct and `painterly reconstruct` share their settings (painterly.reconstruction)."""
    from painterly.apps.options import build_parser
    from painterly.reconstruction import reconstruction_fields, reconstruction_options

    for mode, layers in (("content", ["conv4_2"]), ("style", ["conv1_1", "conv2_1"])):
        parsed = vars(build_parser().parse_args(["photo.jpg", *reconstruction_options(mode, "photo.jpg", layers)]))
        for name, value in reconstruction_fields(mode, layers).items():
            assert parsed[name] == value, (mode, name)
    with pytest.raises(ValueError, match="content or style"):
        reconstruction_fields("texture", ["conv1_1"])


def test_nothing_of_the_engine_imports_ipython():
    code = "import sys, painterly.engine.painter, painterly.engine.temporal; print('IPython' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "False", result.stderr
