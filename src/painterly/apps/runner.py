"""One run of the main command, from its argument list to files: plan (inputs, settings, output checked before
any work), paint with a progress bar, snapshots and recordings, and write the result with its settings beside it.
`painterly CONTENT --style STYLE` and every cell of `painterly grid`/`reconstruct` run through `run_stylize`."""

from __future__ import annotations

import argparse
import json
import re
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from PIL import Image

from .. import __version__
from ..config import StyleConfig
from ..engine.optimize import Progress
from ..engine.painter import Painter
from ..errors import PainterlyError
from ..media.animation import Recorder
from ..media.images import load_alpha, save_image, write_atomically
from ..media.loss_plot import PLOT_FORMATS
from . import untrusted_json
from .options import build_parser, config_from_args, styles_from_args
from .progress import ProgressBar
from .write_guard import check_output, check_settings_file, run_inputs


def snapshot_path(output: Path, iteration: int, iterations: int) -> Path:
    return output.with_name(f"{output.stem}_{iteration:0{max(4, len(str(iterations)))}d}{output.suffix}")


class StopOnSignal:
    """The first Ctrl-C or SIGTERM (or each of `signals`) asks the run to stop and keep its best image; a second one
    exits at once. Only where signals can be handled (the main thread); elsewhere it never asks."""

    def __init__(self, signals: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)) -> None:
        self.requested = False
        self.signum = 0
        self.signals = signals
        self.previous: dict[int, object] = {}

    def __enter__(self) -> StopOnSignal:
        if threading.current_thread() is threading.main_thread():
            self.previous = {sig: signal.signal(sig, self._handle) for sig in self.signals}
        return self

    def _handle(self, signum: int, frame: object) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested, self.signum = True, signum

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)


def write_settings(
    path: Path, content: Path, styles: Sequence[Path], output: Path, config: StyleConfig, last: Progress | None
) -> None:
    """The settings beside the output, so a result can be reproduced or a stopped run continued (--resume)."""
    settings = {  # absolute paths: a resume reads them wherever it is run from
        "painterly": __version__,
        "content": str(content.resolve()),
        "style": [str(style.resolve()) for style in styles],
        "output": str(output.resolve()),
        "config": config.to_dict(),
        "iterations_done": last.iteration if last else config.done_iterations,
        "last_losses": last.losses if last else None,  # of the last iteration; the image saved is the best one
    }
    write_atomically(path, lambda f: f.write(json.dumps(settings, indent=2).encode()))


class RunPlan(NamedTuple):
    """What one run reads and writes, checked before any work. `replace` says whether the final write may replace
    a file at `output`: --overwrite, or a resume writing the first run's own output further on."""

    content: Path
    styles: list[Path]
    config: StyleConfig
    output: Path
    replace: bool


def plan_new_run(args: argparse.Namespace) -> RunPlan:
    """Content, styles, settings and output of a run from the command line."""
    if not args.content:
        raise PainterlyError("CONTENT is required (or --resume SNAPSHOT)")
    styles = styles_from_args(args)
    config = config_from_args(args, len(styles))
    content = Path(args.content)
    output = Path(args.output or f"{content.stem}_{styles[0].stem}.png")
    inputs = run_inputs(content, styles, config)
    check_output(output, inputs, args.overwrite)
    check_settings_file(output.with_suffix(".json"), inputs)
    return RunPlan(content, styles, config, output, bool(args.overwrite))


def plan_resumed_run(args: argparse.Namespace) -> RunPlan:
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
        settings = untrusted_json.load_object(settings_path)
        config = StyleConfig.from_dict(settings["config"])
        folder = settings_path.parent  # relative paths in the file are relative to the file itself
        content, styles = folder / settings["content"], [folder / style for style in settings["style"]]
        done = int(numbered[2]) if numbered else int(settings["iterations_done"])
        recorded = Path(str(settings.get("output", snapshot.name)))
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise PainterlyError(f"cannot resume: '{settings_path}' is not a painterly settings file ({exc})") from None
    # The first run's output is the file beside its settings, whatever folder the file records: a tampered
    # "output" must not name some other file to replace. Only its extension is taken from the record.
    first_output = settings_path.with_suffix(recorded.suffix if recorded.suffix else snapshot.suffix)
    inputs = run_inputs(content, styles, config)  # the mask and an --init image of the first run too
    config.init, config.noise_ratio, config.done_iterations = str(snapshot), 0.0, done
    output = Path(args.output) if args.output else first_output
    replace = bool(args.overwrite) or output.resolve() == first_output.resolve()
    check_output(output, inputs, replace)
    check_settings_file(output.with_suffix(".json"), inputs)
    return RunPlan(content, styles, config, output, replace)


def run_stylize(argv: Sequence[str]) -> int:
    """One run from its argument list: every input and output checked before any work, then painted and saved;
    130 when stopped by a signal (the best image so far saved), 0 when done."""
    args = build_parser().parse_args(argv)
    content, styles, config, output, replace = plan_resumed_run(args) if args.resume else plan_new_run(args)
    _check_extra_outputs(args, content, styles, output)
    recorder = Recorder(args.save_every, frames=bool(args.gif)) if args.gif or args.plot else None
    _check_counts(args)
    alpha = _kept_alpha(args, content, output)

    bar = None if args.quiet else ProgressBar(sys.stderr, print_every=args.print_every)
    settings = output.with_suffix(".json")
    start = time.perf_counter()
    with StopOnSignal() as stop:
        result, last = _paint(content, styles, config, output, settings, args.save_every, recorder, bar, stop)
        if stop.requested and last is None:
            print(
                "painterly: stopped during start-up, before the first iteration; nothing was written", file=sys.stderr
            )
            return 128 + stop.signum
        _save_results(args, result, alpha, output, replace, recorder)
        write_settings(settings, content, styles, output, config, last)
    if stop.requested:
        print(
            f"painterly: interrupted; saved the best image so far to {output} (settings: {settings})", file=sys.stderr
        )
        return 130
    if not args.quiet:
        print(f"wrote {output} ({result.width}x{result.height}) in {time.perf_counter() - start:.1f} s")
    return 0


def _check_extra_outputs(args: argparse.Namespace, content: Path, styles: Sequence[Path], output: Path) -> None:
    """--gif and --plot: each a new file of its format, overwriting no input, and --plot not the result itself."""
    for path, extensions in ((args.gif, (".gif",)), (args.plot, tuple(PLOT_FORMATS))):
        if path:
            check_output(Path(path), [content, *styles], args.overwrite, extensions)
    if args.plot and Path(args.plot).resolve() == output.resolve():
        raise PainterlyError("--plot and -o name the same file; choose another")


def _check_counts(args: argparse.Namespace) -> None:
    for name in ("save_every", "print_every"):
        if getattr(args, name) < 0:
            raise PainterlyError(f"--{name.replace('_', '-')} must be 0 or more")


def _kept_alpha(args: argparse.Namespace, content: Path, output: Path) -> Image.Image | None:
    """With --alpha keep, the content's alpha channel for the result (None when it has none), once the output's
    format is known to hold one; None without --alpha keep."""
    if args.alpha == "keep" and output.suffix.lower() in (".jpg", ".jpeg", ".bmp"):
        raise PainterlyError(
            f"--alpha keep needs an output format with transparency (.png, .webp, .tif), not '{output}'"
        )
    return load_alpha(content) if args.alpha == "keep" else None


def _paint(
    content: Path,
    styles: Sequence[Path],
    config: StyleConfig,
    output: Path,
    settings: Path,
    save_every: int,
    recorder: Recorder | None,
    bar: ProgressBar | None,
    stop: StopOnSignal,
) -> tuple[Image.Image, Progress | None]:
    """Paint the content, watched at every iteration (the recorder, the settings once the work has begun, the bar,
    --save-every snapshots) until done or `stop` is requested; the result and the last iteration's progress."""
    last: list[Progress] = []

    def callback(progress: Progress) -> bool:
        if stop.requested and not last:  # stopped while the network and the painting were prepared: write nothing
            return True
        if recorder:  # first: at iteration 1 it refuses a --gif that would get no frames, before any file
            recorder(progress)
        if not last:  # the inputs are good and the work has begun: a killed run can now be resumed
            write_settings(settings, content, styles, output, config, None)
            if bar:
                bar.note(f"painterly: {painter.device.type}, {painter.precision} ({painter.precision_reason})")
        last[:] = [progress]
        if bar:
            bar(progress)
        if save_every and progress.iteration % save_every == 0:
            save_image(progress.image(), snapshot_path(output, progress.iteration, progress.iterations))
        return stop.requested

    try:
        painter = Painter(styles, config)
        result = painter.paint(content, callback)
    finally:
        if bar:
            bar.close()
    return result, last[0] if last else None


def _save_results(
    args: argparse.Namespace,
    result: Image.Image,
    alpha: Image.Image | None,
    output: Path,
    replace: bool,
    recorder: Recorder | None,
) -> None:
    """The result (with the content's alpha channel when kept), then the --gif and the --plot when recorded."""
    if alpha is not None:
        result.putalpha(alpha.resize(result.size, Image.Resampling.LANCZOS))
    save_image(result, output, replace=replace)  # a file that appeared meanwhile is never replaced
    if recorder and args.gif and recorder.frames:
        recorder.write_gif(Path(args.gif), result.size)
    if recorder and args.plot and recorder.history:
        recorder.write_plot(Path(args.plot))
