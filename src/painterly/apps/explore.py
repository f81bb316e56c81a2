"""`painterly reconstruct` and `painterly grid`: several ordinary runs of the main command and a labelled sheet of them.

Each cell is the argument list of a normal `painterly CONTENT --style STYLE ...` run, parsed by the same parser and
run by the same `run_stylize`: every value is validated, every output checked and every result saved with its
settings exactly as on the command line, and there is no second optimisation loop. All cells are parsed and all
outputs checked before the first run starts, so a bad value in the last cell costs no minutes of work.

A reconstruction is Gatys et al.'s Fig. 1: optimise noise until its features at some layers (content) or their Gram
matrices (style, i.e. texture synthesis) match one image, and see what those layers keep of it.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import product
from pathlib import Path

from PIL import Image

from ..config import INITS, StyleConfig
from ..errors import PainterlyError
from ..layers import canonical_layer
from ..media.images import load_image, resize_longest, save_image
from ..media.sheets import contact_sheet
from .options import DEFAULTS, Parser, build_parser, check_output
from .runner import plan_new_run, run_stylize

MODES = ("content", "style")
# Options a reconstruction sets itself (argparse dests): the user may not give them.
RECONSTRUCTION_SETS = (
    "init",
    "noise_ratio",
    "content_layers",
    "style_layers",
    "style_layer_weights",
    "content_weight",
    "style_weight",
    "style_blend",
)
# Options that are the same for every cell of a grid: varying them means nothing or would clash.
NOT_VARIED = ("output", "o", "overwrite", "quiet", "q", "gif", "plot", "resume", "help", "h")
_UNSET = object()  # the default of the options a reconstruction sets, so that giving one is seen


@dataclass
class Cell:
    """One run of the sheet: the main command's arguments, where its result goes, and its label."""

    argv: list[str]
    output: Path
    label: str


def reconstruction_options(mode: str, image: str, layers: Sequence[str]) -> list[str]:
    """The main command's options that turn a run on `image` into a reconstruction from `layers` alone.

    Content: noise is pushed towards the image's features at `layers`; the style term is weighted 0 (its one layer,
    conv1_1, adds no VGG depth). Style: no content layers, so only the Gram matrices of `layers` count, and the
    output takes the image's own shape at --size.
    """
    joined = ",".join(layers)
    if mode == "content":
        terms = [f"--content-layers={joined}", "--content-weight=1", "--style-layers=conv1_1", "--style-weight=0"]
    else:
        terms = ["--content-layers=", "--content-weight=0", f"--style-layers={joined}", "--style-weight=1"]
    return ["--style", image, "--init=noise", "--noise-ratio=0", *terms]


def reconstruct_parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="painterly reconstruct",
        usage="painterly reconstruct {content,style} IMAGE [--layers L1,L2,...] [--each-layer [--cumulative]] "
        "[-o OUT.png] [options of painterly]",
        description="See what VGG-19 layers keep of IMAGE: optimise noise until its features at --layers\n"
        "(content) or their Gram matrices (style: texture synthesis) match IMAGE's.\n"
        "Each image is an ordinary painterly run and takes as long.",
        epilog="Every option of the main command applies (see painterly --help): --size, --iterations,\n"
        "--seed, --optimizer, --lr, --tv-weight, --pooling, --weights, --device, --save-every, --gif,\n"
        "--plot, --overwrite, --quiet, ... except those a reconstruction sets itself: --style, --init,\n"
        "--noise-ratio, --content-layers, --style-layers, --style-layer-weights, --content-weight and\n"
        "--style-weight.\n\n"
        "example:\n"
        "  painterly reconstruct content photo.jpg --layers conv1_1,conv3_1,conv5_1 --each-layer \\\n"
        "      --size 256 -o recon.png     # recon_conv1_1.png ... and recon_sheet.png",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    p.add_argument("mode", choices=MODES, metavar="{content,style}", help="what to reconstruct from IMAGE")
    p.add_argument(
        "--layers",
        "--layer",
        metavar="L1,L2,...",
        help="VGG-19 layers to reconstruct from [content: conv4_2; style: conv1_1,conv2_1,conv3_1,conv4_1,conv5_1]",
    )
    p.add_argument(
        "--each-layer",
        action="store_true",
        help="one run per layer, written to OUT_conv1_1.png ..., and OUT_sheet.png: IMAGE and every result side "
        "by side, labelled (OUT.png itself is not written)",
    )
    p.add_argument(
        "--cumulative",
        action="store_true",
        help="with --each-layer, run k uses the first k layers together, as in the style row of Gatys et al.'s "
        "Fig. 1 (OUT_conv3_1.png: conv1_1 + conv2_1 + conv3_1)",
    )
    return p


def run_reconstruct(argv: Sequence[str]) -> int:
    own, rest = reconstruct_parser().parse_known_args(argv)
    probe = build_parser()
    probe.set_defaults(**dict.fromkeys(RECONSTRUCTION_SETS, _UNSET))
    given = probe.parse_args(rest)  # the user's own options, validated as on the command line
    if not given.content:
        raise PainterlyError(f"no IMAGE given: painterly reconstruct {own.mode} IMAGE [options]")
    if given.style:
        raise PainterlyError("reconstruct takes one IMAGE and no --style; it is both content and style")
    if given.resume:
        raise PainterlyError("--resume continues a run of the main command: painterly --resume SNAPSHOT")
    image = given.content
    for dest in RECONSTRUCTION_SETS:
        if getattr(given, dest) is not _UNSET:
            raise PainterlyError(f"reconstruct sets --{dest.replace('_', '-')} itself; leave it out")
    default_layers = DEFAULTS.content_layers if own.mode == "content" else DEFAULTS.style_layers
    layers = tuple(canonical_layer(n) for n in (own.layers or ",".join(default_layers)).split(",") if n.strip())
    if not layers:
        raise PainterlyError("--layers needs at least one layer, e.g. --layers conv4_2")
    if len(set(layers)) != len(layers):
        raise PainterlyError(f"--layers names a layer twice: {','.join(layers)}")
    output = Path(given.output or f"{Path(image).stem}_{own.mode}.png")
    if own.cumulative and not own.each_layer:
        raise PainterlyError("--cumulative goes with --each-layer")
    if not own.each_layer:
        return run_stylize([*rest, *reconstruction_options(own.mode, image, layers), "-o", str(output)])
    if given.gif or given.plot:
        raise PainterlyError("--gif and --plot watch one run; --each-layer makes several (leave --each-layer out)")

    cells = []
    for k, layer in enumerate(layers):
        used = layers[: k + 1] if own.cumulative else (layer,)
        path = output.with_name(f"{output.stem}_{layer}{output.suffix}")
        cells.append(
            Cell([*rest, *reconstruction_options(own.mode, image, used), "-o", str(path)], path, "+".join(used))
        )
    sheet = output.with_name(f"{output.stem}_sheet{output.suffix}")
    configs = _check(cells, sheet, overwrite=given.overwrite)
    original = resize_longest(load_image(image), configs[0].size)
    if not _run(cells, quiet=given.quiet):
        return 130
    results = [_open(cell.output) for cell in cells]
    return _write_sheet(sheet, [[original, *results]], [], ["original", *(c.label for c in cells)], given.quiet)


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
    _check(cells, sheet, overwrite=base.overwrite)
    if not _run(cells, quiet=base.quiet):
        return 130
    images = [
        [_open(cells[r * len(columns[1]) + c].output) for c in range(len(columns[1]))] for r in range(len(rows[1]))
    ]
    row_labels = [_label(rows[0], value) for value in rows[1]] if rows[0] else []
    column_labels = [_label(columns[0], value) for value in columns[1]]
    return _write_sheet(sheet, images, row_labels, column_labels, base.quiet)


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


def _check(cells: list[Cell], sheet: Path, overwrite: bool) -> list[StyleConfig]:
    """Everything that can be wrong with any cell, found before the first run: values, inputs and outputs."""
    main = build_parser()
    configs = []
    inputs: set[Path] = set()
    for cell in cells:
        try:  # parsed and planned as run_stylize will: every setting validated, the cell's output checked
            content, styles, config, _ = plan_new_run(main.parse_args(cell.argv))
        except PainterlyError as exc:
            raise PainterlyError(f"{cell.label}: {exc}") from None
        configs.append(config)
        inputs.update([content, *styles] + ([Path(config.init)] if config.init not in INITS else []))
    check_output(sheet, sorted(inputs), overwrite)
    for path in sorted(inputs):  # an unreadable image in the last cell is found now, not after the others ran
        load_image(path)
    return configs


def _run(cells: list[Cell], quiet: bool) -> bool:
    """Run the cells one after another; False when one was interrupted (its best image is saved, the rest skipped)."""
    for k, cell in enumerate(cells, 1):
        if not quiet:
            print(f"painterly: run {k}/{len(cells)}: {cell.label}", file=sys.stderr, flush=True)
        if run_stylize(cell.argv) != 0:
            return False
    return True


def _open(path: Path) -> Image.Image:
    with Image.open(path) as image:
        return image.convert("RGB")


def _write_sheet(
    path: Path, cells: list[list[Image.Image]], row_labels: list[str], column_labels: list[str], quiet: bool
) -> int:
    sheet = contact_sheet(cells, row_labels, column_labels)
    save_image(sheet, path)
    if not quiet:
        print(f"wrote {path} ({len(cells[0])}x{len(cells)} sheet, {sheet.width}x{sheet.height})")
    return 0
