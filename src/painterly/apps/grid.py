"""`painterly grid`: the main command once for every combination of some options' values, on one labelled sheet.

The first --vary runs across the columns, a second one down the rows; each cell is an ordinary run (cells.py).
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Sequence
from itertools import product
from pathlib import Path

from ..errors import PainterlyError
from .cells import Cell, check_cells, open_result, run_cells, write_sheet
from .options import Parser, build_parser

# Options that are the same for every cell of a grid: varying them means nothing or would clash.
NOT_VARIED = ("output", "o", "overwrite", "quiet", "q", "gif", "plot", "resume", "help", "h")


MAX_CELLS = 100  # a sheet of more is unreadable, and each cell costs a whole run


def _axis(text: str) -> tuple[str, tuple[str, ...]]:
    """--vary OPTION=V1,V2,... (';' separates values that hold commas themselves, such as layer lists)."""
    name, sep, values = text.partition("=")
    name = name.strip().lstrip("-")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected OPTION=V1,V2,..., e.g. style-weight=1e2,1e3; got '{text}'")
    if name in NOT_VARIED:
        raise argparse.ArgumentTypeError(f"--{name} is the same for every cell and cannot be varied")
    parts = tuple(v.strip() for v in values.split(";" if ";" in values else ",") if v.strip())
    if not parts:
        raise argparse.ArgumentTypeError(f"no values to vary {name} over in '{text}'")
    if len(set(parts)) != len(parts):
        raise argparse.ArgumentTypeError(f"'{text}' repeats a value")
    return name, parts


def grid_parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="painterly grid",
        usage="painterly grid CONTENT --style STYLE --vary OPTION=V1,V2,... [--vary OPTION=...] "
        "[-o SHEET.png | -o FOLDER] [options of painterly]",
        description="Run painterly once for every combination of the --vary values; write each result and one\n"
        "contact sheet of them, its columns and rows labelled OPTION=VALUE.",
        epilog="Every other option of the main command (see painterly --help) applies to all cells.\n"
        "Results go beside SHEET.png as SHEET_OPTION=VALUE[_OPTION=VALUE].png, each with its settings\n"
        "(.json); with -o FOLDER (made if missing) as FOLDER/OPTION=VALUE....png and FOLDER/sheet.png.\n\n"
        "example:\n"
        "  painterly grid photo.jpg --style painting.jpg --vary style-weight=1e1,1e2,1e3 \\\n"
        "      --vary content-layers=conv3_2,conv4_2,conv5_2 --size 256 -o grid.png",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    p.add_argument(
        "--vary",
        action="append",
        required=True,
        type=_axis,
        metavar="OPTION=V1,V2,...",
        help="an option of painterly (without --) and its values: the first --vary runs across the columns, a "
        "second one down the rows. Values are separated by ',' or, when they hold commas themselves (layer "
        "lists), by ';'",
    )
    return p


def run_grid(argv: Sequence[str]) -> int:
    own, rest = grid_parser().parse_known_args(argv)
    axes: list[tuple[str, tuple[str, ...]]] = own.vary
    if len(axes) > 2:
        raise PainterlyError(f"{len(axes)} --vary given; a sheet has two directions (columns, then rows)")
    if len({name for name, _ in axes}) != len(axes):
        raise PainterlyError(f"--vary {axes[0][0]} given twice; give all its values at once")
    main = build_parser()
    columns, rows = axes[0], axes[1] if len(axes) == 2 else ("", ("",))
    combos = list(product(rows[1], columns[1]))  # (row value, column value), row by row
    if len(combos) > MAX_CELLS:
        raise PainterlyError(
            f"--vary gives {len(combos)} cells ({len(columns[1])} x {len(rows[1])}), each a whole run; a grid takes at "
            f"most {MAX_CELLS}: vary fewer values at once"
        )
    base = main.parse_args([*rest, *_options(axes, combos[0])])  # errors not about a varied value, unprefixed
    if base.gif or base.plot:
        raise PainterlyError("--gif and --plot watch one run; a grid makes several (run that cell alone)")
    if base.resume:
        raise PainterlyError("--resume continues one run of the main command, not a grid")
    if not base.content or not base.style:
        raise PainterlyError("a grid needs CONTENT and --style STYLE: painterly grid CONTENT --style STYLE --vary ...")
    if any(name in ("style", "s") for name, _ in axes) and main.parse_args(rest).style:
        raise PainterlyError(
            "--vary style gives each cell its style (--style adds one more to blend); leave --style out"
        )
    folder, prefix, sheet = _grid_outputs(base)

    cells = []
    for combo in combos:
        pairs = [(name, value) for (name, _), value in zip(axes, combo[::-1])]
        name = "_".join(f"{option}={_slug(value)}" for option, value in pairs)
        path = folder / f"{prefix}{name}.png"
        cells.append(Cell([*rest, *_options(axes, combo), "-o", str(path)], path, ", ".join(_label(*p) for p in pairs)))
    if len({cell.output for cell in cells}) != len(cells):
        raise PainterlyError("two cells would have the same file name; make the --vary values differ more")
    check_cells(cells, sheet, overwrite=base.overwrite)
    if not run_cells(cells, quiet=base.quiet):
        return 130
    images = [
        [open_result(cells[r * len(columns[1]) + c].output) for c in range(len(columns[1]))]
        for r in range(len(rows[1]))
    ]
    row_labels = [_label(rows[0], value) for value in rows[1]] if rows[0] else []
    column_labels = [_label(columns[0], value) for value in columns[1]]
    return write_sheet(sheet, images, row_labels, column_labels, base.quiet)


def _options(axes: list[tuple[str, tuple[str, ...]]], combo: tuple[str, str]) -> list[str]:
    """The varied options of one cell, as single `--name=value` words (so a value may start with '-')."""
    row, column = combo
    return [f"--{name}={value}" for (name, _), value in zip(axes, (column, row))]


def _grid_outputs(args: argparse.Namespace) -> tuple[Path, str, Path]:
    """(folder, file-name prefix, sheet path): -o SHEET.png puts the cells beside the sheet, -o FOLDER inside."""
    out = Path(args.output or f"{Path(args.content).stem}_{Path(args.style[0]).stem}_grid.png")
    if out.suffix and not out.is_dir():
        return out.parent, f"{out.stem}_", out
    if not out.is_dir():
        if not out.parent.is_dir():
            raise PainterlyError(f"cannot make folder '{out}': '{out.parent}' does not exist")
        try:
            out.mkdir()
        except OSError as exc:
            raise PainterlyError(f"cannot make folder '{out}': {exc.strerror or exc}") from None
    return out, "", out / "sheet.png"


def _slug(value: str) -> str:
    """A value as part of a file name: a path by its stem, commas as '+', nothing a shell or file system minds."""
    if "/" in value or os.sep in value:
        value = Path(value).stem
    return re.sub(r"[^A-Za-z0-9._+-]", "_", value.replace(",", "+"))


def _label(name: str, value: str) -> str:
    return f"{name}={Path(value).name if '/' in value or os.sep in value else value}"
