"""The options every front-end shares: a StyleConfig from the command line, and the checks on inputs and outputs
that must fail before minutes of work. The main command, batch and video all add the same options with
`add_config_options`, so an option means the same thing everywhere."""

from __future__ import annotations

import argparse
from dataclasses import Field, fields
from pathlib import Path

from ..config import OPTION_GROUPS, StyleConfig
from ..errors import PainterlyError
from ..media.animation import DEFAULT_FRAMES

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


PARSERS = {"int": int, "float": float, "names": _names, "numbers": _numbers}  # the metadata key "parse"
GROUP_TITLES = {"layers and weights": "layers and weights (terms normalised as in docs/losses.md)"}


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
    """Every StyleConfig field that has an option, from the facts in its metadata (config.py); argparse dest =
    field name. Grouped and ordered as the fields are."""
    groups = {name: p.add_argument_group(GROUP_TITLES.get(name, name)) for name in OPTION_GROUPS}
    for f in fields(StyleConfig):
        if f.metadata.get("group") is not None:
            flag, kwargs = option_of(f)
            groups[f.metadata["group"]].add_argument(flag, **kwargs)


def option_of(f: Field) -> tuple[str, dict]:
    """The flag and argparse keywords of one StyleConfig field's option."""
    meta = f.metadata
    default = f.default
    if meta.get("parse") == "names" and isinstance(default, tuple):
        default = ",".join(default)  # shown as typed; argparse parses a string default like a given value
    text = ("experts: " if meta.get("expert") else "") + meta["help"]
    kwargs: dict = {"dest": f.name, "default": default, "help": text}
    if "parse" in meta:
        kwargs["type"] = PARSERS[meta["parse"]]
    if "choices" in meta:
        kwargs["choices"] = meta["choices"]
    if "metavar" in meta:
        kwargs["metavar"] = meta["metavar"]
    return meta.get("flag", "--" + f.name.replace("_", "-")), kwargs


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
