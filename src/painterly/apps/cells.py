"""Several ordinary runs of the main command as the cells of one contact sheet: what `painterly reconstruct
--each-layer` and `painterly grid` share.

Each cell is the argument list of a normal `painterly CONTENT --style STYLE ...` run, parsed by the same parser and
run by the same `run_stylize`: every value is validated, every output checked and every result saved with its
settings exactly as on the command line, and there is no second optimisation loop. All cells are parsed and all
outputs checked before the first run starts, so a bad value in the last cell costs no minutes of work.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from ..config import INITS, StyleConfig
from ..errors import PainterlyError
from ..media.images import load_image, save_image
from ..media.sheets import contact_sheet
from .options import build_parser
from .runner import plan_new_run, run_stylize
from .write_guard import check_output


@dataclass
class Cell:
    """One run of the sheet: the main command's arguments, where its result goes, and its label."""

    argv: list[str]
    output: Path
    label: str


def check_cells(cells: list[Cell], sheet: Path, overwrite: bool) -> list[StyleConfig]:
    """Everything that can be wrong with any cell, found before the first run: values, inputs and outputs."""
    main = build_parser()
    configs = []
    inputs: set[Path] = set()
    for cell in cells:
        try:  # parsed and planned as run_stylize will: every setting validated, the cell's output checked
            content, styles, config, *_ = plan_new_run(main.parse_args(cell.argv))
        except PainterlyError as exc:
            raise PainterlyError(f"{cell.label}: {exc}") from None
        configs.append(config)
        inputs.update([content, *styles] + ([Path(config.init)] if config.init not in INITS else []))
    check_output(sheet, sorted(inputs), overwrite)
    for path in sorted(inputs):  # an unreadable image in the last cell is found now, not after the others ran
        load_image(path)
    return configs


def run_cells(cells: list[Cell], quiet: bool) -> bool:
    """Run the cells one after another; False when one was interrupted (its best image is saved, the rest skipped)."""
    for k, cell in enumerate(cells, 1):
        if not quiet:
            print(f"painterly: run {k}/{len(cells)}: {cell.label}", file=sys.stderr, flush=True)
        if run_stylize(cell.argv) != 0:
            return False
    return True


def open_result(path: Path) -> Image.Image:
    """A cell's result as RGB, read whole and closed, so a large grid does not hold a file open per cell."""
    with Image.open(path) as image:
        return image.convert("RGB")


def write_sheet(
    path: Path, cells: list[list[Image.Image]], row_labels: list[str], column_labels: list[str], quiet: bool
) -> int:
    """The labelled sheet of `cells` (rows of images) to `path`; returns the command's exit status."""
    sheet = contact_sheet(cells, row_labels, column_labels)
    save_image(sheet, path)
    if not quiet:
        print(f"wrote {path} ({len(cells[0])}x{len(cells)} sheet, {sheet.width}x{sheet.height})")
    return 0
