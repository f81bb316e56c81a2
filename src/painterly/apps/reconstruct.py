"""`painterly reconstruct`: see what VGG-19 layers keep of an image (Gatys et al.'s Fig. 1).

A reconstruction optimises noise until its features at some layers (content) or their Gram matrices (style, i.e.
texture synthesis) match one image. It is an ordinary run of the main command with options that make it one; with
--each-layer, one run per layer, laid out on a sheet (cells.py).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from ..errors import PainterlyError
from ..layers import canonical_layer
from ..media.images import load_image, resize_longest
from ..reconstruction import MODES, reconstruction_options
from .cells import Cell, check_cells, open_result, run_cells, write_sheet
from .options import DEFAULTS, Parser, build_parser
from .runner import run_stylize

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
_UNSET = object()  # the default of the options a reconstruction sets, so that giving one is seen


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
    text = ",".join(default_layers) if own.layers is None else own.layers  # "" is a mistake, not "the defaults"
    layers = tuple(canonical_layer(n) for n in text.split(",") if n.strip())
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
    configs = check_cells(cells, sheet, overwrite=given.overwrite)
    original = resize_longest(load_image(image), configs[0].size)
    if not run_cells(cells, quiet=given.quiet):
        return 130
    results = [open_result(cell.output) for cell in cells]
    return write_sheet(sheet, [[original, *results]], [], ["original", *(c.label for c in cells)], given.quiet)
