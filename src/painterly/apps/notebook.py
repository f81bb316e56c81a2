"""painterly in a Jupyter notebook: one call paints with a live preview, a progress bar and the loss curve.

    from painterly.apps.notebook import paint
    paint("photo.jpg", "painting.jpg", size=256)      # StyleConfig fields as keywords

In a Jupyter kernel, `paint` shows the picture as it forms, updated in place (every few iterations and at each new
size of a coarse-to-fine run), a tqdm progress bar (the terminal's library, as tqdm.auto picks it: a widget where
ipywidgets is installed, else a text bar) and, at the end, the run's loss curve drawn by the same code as --plot.
Jupyter's "interrupt" stops the run and keeps the best image so far, as Ctrl-C does on the command line. Outside a
kernel it is `painterly.stylize` and shows nothing. Either way it returns the PIL image, which Jupyter shows.

`reconstruct` shows what layers of VGG-19 keep of one image (the paper's Fig. 1) with the settings of
`painterly reconstruct`. `sheet` lays images out as a labelled contact sheet (what `painterly grid` writes) and
`animation` shows frames as a looping GIF, for the comparisons of docs/tutorial.ipynb. IPython is imported only
inside these functions, when a kernel is there: nothing else in painterly, and certainly not the engine, imports it.
"""

from __future__ import annotations

import base64
import html
import io
import signal
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from PIL import Image

from ..config import StyleConfig
from ..engine.optimize import Progress
from ..engine.painter import Painter
from ..media.images import ImageSource
from ..media.loss_plot import History, plot_losses
from ..media.sheets import contact_sheet
from ..reconstruction import reconstruction_fields
from .progress import describe
from .runner import StopOnSignal

PREVIEW_EVERY = 5  # iterations between two updates of the live preview (and at every new size)
PREVIEW_WIDTH = 256  # px on the page: a 64 px first size shows as large as the result


def in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel (not a plain Python, not a terminal IPython). IPython is not imported
    here: without it in sys.modules no kernel can be running."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def _data_url(data: bytes, kind: str = "png") -> str:
    return f"data:image/{kind};base64,{base64.b64encode(data).decode('ascii')}"


class LivePreview:
    """The engine's callback that draws a run in a notebook: the current picture with its iteration, size and
    losses in one display updated in place, and a tqdm bar below it. `close()` ends the bar; `history` holds every
    iteration's losses for the loss plot."""

    def __init__(self, every: int = PREVIEW_EVERY, width: int = PREVIEW_WIDTH) -> None:
        from IPython.display import HTML, display

        self.every, self.width = max(1, every), width
        self.history: History = []
        self.size: tuple[int, int] | None = None
        self.updates = 0  # how many times the picture was drawn (tests and the tutorial read it)
        self.handle = display(HTML("<i>painterly: loading the network and the paintings…</i>"), display_id=True)
        self.bar = None

    def _bar(self, total: int):
        from tqdm.auto import tqdm

        try:  # tqdm.auto's notebook bar is an ipywidgets widget; without ipywidgets it raises on creation
            return tqdm(total=total, unit="it", leave=True)
        except ImportError:
            from tqdm.std import tqdm as text_tqdm

            return text_tqdm(total=total, unit="it", leave=True, file=sys.stderr)

    def __call__(self, progress: Progress) -> None:
        self.history.append((progress.iteration, dict(progress.losses), progress.size))
        if self.bar is None:
            self.bar = self._bar(progress.iterations)
        self.bar.n = progress.iteration
        self.bar.set_postfix_str(f"{progress.size[0]}x{progress.size[1]}  total {progress.losses['total']:.4g}")
        new_size = progress.size != self.size
        last = progress.iteration == progress.iterations
        if new_size or last or progress.iteration % self.every == 0 or progress.iteration == 1:
            self.size = progress.size
            self.show(progress.image(), describe(progress))

    def show(self, image: Image.Image, text: str) -> None:
        from IPython.display import HTML

        self.updates += 1
        height = round(self.width * image.height / image.width)
        self.handle.update(
            HTML(
                f'<div class="painterly-live"><img src="{_data_url(_png(image))}" width="{self.width}" '
                f'height="{height}" style="image-rendering:auto"/>'
                f'<pre style="margin:2px 0;font-size:11px">{html.escape(text)}</pre></div>'
            )
        )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.refresh()
            self.bar.close()


def paint(
    photo: ImageSource,
    painting: ImageSource | Sequence[ImageSource] | None = None,
    config: StyleConfig | None = None,
    *,
    painter: Painter | None = None,
    callback: Callable[[Progress], bool | None] | None = None,
    live: bool | None = None,
    preview_every: int = PREVIEW_EVERY,
    plot: bool = True,
    **overrides,
) -> Image.Image:
    """Repaint `photo` in the style of `painting` (paths or PIL images, or a list of them) and return the PIL
    image. `config` and then `overrides` (any StyleConfig field: size=256, strength=0.6, ...) set the run; or pass
    a `painter` (a painterly.Painter, which keeps its network and paintings between calls) instead of both.

    `live` (default: whether this runs in a Jupyter kernel) shows the live preview, the progress bar and, with
    `plot`, the loss curve at the end. `callback` is the engine's: called with every iteration's Progress, True
    stops the run."""
    if painter is None:
        if painting is None:
            raise TypeError("paint() needs a painting (or a painter)")
        config = replace(config if config is not None else StyleConfig(), **overrides)  # validated by replace
        painter = Painter(painting, config)
    elif painting is not None or config is not None or overrides:
        raise TypeError("give a painter, or a painting and its settings, not both")
    if not (in_notebook() if live is None else live):
        return painter.paint(photo, callback)

    preview = LivePreview(preview_every)

    def watch(progress: Progress) -> bool:
        preview(progress)
        return bool(callback and callback(progress)) or stop.requested

    try:
        with StopOnSignal((signal.SIGINT,)) as stop:  # Jupyter's interrupt; a second one stops at once
            result = painter.paint(photo, watch)
    finally:
        preview.close()
    preview.show(result, f"done: {result.width}x{result.height}" + ("  (stopped)" if stop.requested else ""))
    if plot and preview.history:
        show_loss_plot(preview.history)
    return result


def reconstruct(
    image: ImageSource, mode: str, layers: Sequence[str], config: StyleConfig | None = None, **options
) -> Image.Image:
    """What VGG-19 keeps of `image` at `layers`: noise optimised until its features there ("content") or their
    Gram matrices ("style") match the image's; the same run as `painterly reconstruct MODE IMAGE --layers ...`.
    `config` and `options` set the rest (size, iterations, ...); `paint`'s keywords (live, plot) apply."""
    own = {k: options.pop(k) for k in ("live", "preview_every", "plot", "callback") if k in options}
    config = replace(config if config is not None else StyleConfig(), **options, **reconstruction_fields(mode, layers))
    return paint(image, image, config, **own)


def loss_plot(history: History) -> Image.Image:
    """The loss curve of a run (its Progress history: (iteration, losses, size) per iteration), drawn by
    painterly's --plot code, as a PIL image."""
    with tempfile.TemporaryDirectory(prefix="painterly-plot-") as folder:
        path = Path(folder) / "losses.png"
        plot_losses(path, history)
        with Image.open(path) as image:
            return image.convert("RGB")


def show_loss_plot(history: History) -> None:
    from IPython.display import display

    display(loss_plot(history))


def sheet(
    cells: Sequence[Image.Image] | Sequence[Sequence[Image.Image]],
    column_labels: Sequence[str] = (),
    row_labels: Sequence[str] = (),
) -> Image.Image:
    """Images side by side (a list) or in rows (a list of lists), labelled as `painterly grid` labels its sheet."""
    rows = [list(row) for row in cells] if cells and isinstance(cells[0], (list, tuple)) else [list(cells)]
    return contact_sheet(rows, list(row_labels), list(column_labels))


class Animation:
    """Frames (PIL images) that a notebook shows as a looping GIF; `save(path)` writes the GIF."""

    def __init__(self, frames: Sequence[Image.Image], ms: int = 250) -> None:
        if not frames:
            raise ValueError("an animation needs at least one frame")
        self.frames = [frame.convert("RGB") for frame in frames]
        self.ms = ms

    def gif(self) -> bytes:
        buffer = io.BytesIO()
        first, *rest = self.frames
        first.save(buffer, format="GIF", save_all=True, append_images=rest, duration=self.ms, loop=0)
        return buffer.getvalue()

    def save(self, path: str | Path) -> Path:
        Path(path).write_bytes(self.gif())
        return Path(path)

    def _repr_html_(self) -> str:
        width = self.frames[0].width
        return f'<img src="{_data_url(self.gif(), "gif")}" width="{max(width, PREVIEW_WIDTH)}"/>'

    def _repr_png_(self) -> bytes:  # where HTML is not shown: the frames side by side
        return _png(sheet(self.frames))

    def __len__(self) -> int:
        return len(self.frames)


def animation(frames: Sequence[Image.Image], ms: int = 250) -> Animation:
    """`frames` as a looping GIF in the notebook (e.g. the frames of a video painted with engine.temporal)."""
    return Animation(frames, ms)
