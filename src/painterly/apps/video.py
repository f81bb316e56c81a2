"""`painterly video IN.mp4 --style S -o OUT.mp4`: a video repainted frame after frame without flicker (Ruder et al.
2016, painterly.engine.temporal), at the input's exact frame rate and timestamps, with its audio copied unchanged.

Every finished frame is written at once, atomically, to a work folder (OUT.frames/ beside the output, or --work /
--frames-out), with the run's settings in video.json there. Ctrl-C stops after saying so (exit 130); the same command
with --resume reads the finished frames back, takes the last few as the earlier stylised frames of the temporal
chain, and paints on from the next. The output video is assembled as frames finish and appears, by rename, only
when the last one is done; the work folder is removed then unless it is --frames-out.
"""

from __future__ import annotations

import json
import sys
import time
from collections import deque
from collections.abc import Iterator, Sequence
from fractions import Fraction
from pathlib import Path

from PIL import Image

from .. import __version__
from ..config import StyleConfig
from ..engine.optimize import Progress
from ..engine.painter import Painter
from ..engine.temporal import (
    DEFAULT_FRAME_ITERATIONS,
    DEFAULT_FRESH_ITERATIONS,
    DEFAULT_TEMPORAL_WEIGHT,
    LONG_TERM,
    paint_timed_frames,
)
from ..errors import PainterlyError
from ..media.images import load_image, write_atomically
from ..media.video import (
    DEFAULT_FPS,
    VIDEO_FORMATS,
    VideoInfo,
    VideoWriter,
    even_size,
    finished_frames,
    frame_path,
    probe,
    read_frames,
    save_frame,
)
from . import untrusted_json
from .options import HelpFormatter, Parser, add_config_options, config_from_args, styles_from_args
from .progress import CountProgress
from .runner import StopOnSignal
from .write_guard import check_output

SETTINGS = "video.json"  # the run's settings, in the work folder: --resume checks it is the same run


def build_parser() -> Parser:
    p = Parser(
        prog="painterly video",
        description="Repaint a video in the style of a painting, frame after frame without flicker (Ruder et al. "
        "2016): each frame starts from the previous stylised one carried along by the optical flow. The frame rate, "
        "timestamps and audio of the input are kept.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("input", metavar="INPUT", help="a video file, or a folder of numbered frames (see --fps)")
    p.add_argument(
        "--style",
        "-s",
        action="append",
        metavar="STYLE[:WEIGHT]",
        help="the painting whose style to copy; repeat to blend several (a.jpg:0.7 sets its blend weight)",
    )
    p.add_argument("-o", "--output", metavar="OUT.mp4", help="the video to write [INPUT_STYLE.mp4]")
    add_config_options(p)
    g = p.add_argument_group("video")
    g.add_argument(
        "--temporal-weight",
        type=float,
        default=DEFAULT_TEMPORAL_WEIGHT,
        help="weight of the temporal term (mean squared difference from the previous stylised frame, warped, where "
        "the flow is reliable); 0 = paint each frame independently with the full schedule (flickers)",
    )
    g.add_argument(
        "--frame-iterations",
        type=int,
        default=DEFAULT_FRAME_ITERATIONS,
        metavar="N",
        help="iterations of each frame after the first, at the output size (the first gets the full schedule)",
    )
    g.add_argument(
        "--fresh-iterations",
        type=int,
        default=DEFAULT_FRESH_ITERATIONS,
        metavar="N",
        help="iterations that paint what comes into view (a pan's edge, what a moving object uncovers) before the "
        "frame's own, in a box around it; 0 = start it from the photo and leave it to the frame's iterations",
    )
    g.add_argument("--start", type=float, default=None, metavar="SECONDS", help="paint from this time on")
    g.add_argument("--end", type=float, default=None, metavar="SECONDS", help="stop before this time")
    g.add_argument(
        "--fps",
        type=Fraction,
        default=DEFAULT_FPS,
        metavar="RATE",
        help="frame rate of a folder of frames (a video file has its own), e.g. 24 or 30000/1001",
    )
    g.add_argument("--frames-out", metavar="DIR", help="keep the stylised frames in DIR (it is the work folder then)")
    g.add_argument("--work", metavar="DIR", help="where finished frames wait until the video is done [OUT.frames]")
    g.add_argument("--resume", action="store_true", help="continue a stopped run from its last finished frame")
    g.add_argument("--crf", type=int, default=18, help="H.264 quality: 0 = lossless, 18 = visually lossless, 51 worst")
    g = p.add_argument_group("output")
    g.add_argument(
        "--print-every",
        type=int,
        default=0,
        metavar="N",
        help="also print a line every N iterations within a frame (a line per finished frame is always printed)",
    )
    g.add_argument("--overwrite", action="store_true", help="replace OUT and start the work folder afresh")
    g.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    return p


def _frame(index: int, total: int | None) -> str:
    return f"frame {index + 1}/{total}" if total else f"frame {index + 1}"


def _plan(args) -> tuple[VideoInfo, list[Path], StyleConfig, Path, Path, dict]:
    """Everything that can be wrong with the inputs and outputs, found before the network loads."""
    styles = styles_from_args(args)
    for style in styles:
        load_image(style)  # a bad painting fails now, not after the video was probed and the network loaded
    config = config_from_args(args, len(styles))
    if args.temporal_weight < 0 or args.temporal_weight != args.temporal_weight:
        raise PainterlyError(f"--temporal-weight must be zero or more, got {args.temporal_weight}")
    if args.frame_iterations < 1:
        raise PainterlyError(f"--frame-iterations must be 1 or more, got {args.frame_iterations}")
    if args.fresh_iterations < 0:
        raise PainterlyError(f"--fresh-iterations must be 0 or more, got {args.fresh_iterations}")
    if args.print_every < 0:
        raise PainterlyError("--print-every must be 0 or more")
    if not 0 <= args.crf <= 51:
        raise PainterlyError(f"--crf must be from 0 to 51, got {args.crf}")
    if args.fps <= 0:
        raise PainterlyError(f"--fps must be positive, got {args.fps}")
    if args.start is not None and args.start < 0:
        raise PainterlyError(f"--start must be 0 or more seconds, got {args.start}")
    if args.start is not None and args.end is not None and args.end <= args.start:
        raise PainterlyError(f"--end ({args.end} s) must come after --start ({args.start} s)")
    source = Path(args.input)
    info = probe(source, args.fps)
    output = Path(args.output or f"{source.stem}_{styles[0].stem}.mp4")
    check_output(output, [source, *styles], args.overwrite, tuple(VIDEO_FORMATS))
    width, height = even_size(info.width, info.height, config.size)
    config.size = max(width, height)  # frames are resized to exactly (width, height) before painting
    work = Path(args.frames_out or args.work or output.with_suffix(".frames"))
    settings = {
        "painterly": __version__,
        "input": str(source.resolve()),
        "style": [str(style.resolve()) for style in styles],
        "config": config.to_dict(),
        "temporal_weight": args.temporal_weight,
        "frame_iterations": args.frame_iterations,
        "fresh_iterations": args.fresh_iterations,
        "start": args.start,
        "end": args.end,
        "fps": str(info.frame_rate),
        "size": [width, height],
    }
    return info, styles, config, output, work, settings


def _prepare_work(work: Path, settings: dict, resume: bool, overwrite: bool) -> int:
    """Make the work folder ready and say how many frames are finished in it (0 for a new run)."""
    saved_path = work / SETTINGS
    if work.exists() and work.resolve() in _input_folders(settings):
        raise PainterlyError(f"work folder '{work}' holds this run's input; choose another --frames-out or --work")
    done = finished_frames(work) if work.is_dir() else 0
    if done and not saved_path.is_file():  # numbered frames that no earlier run of this command left there
        raise PainterlyError(
            f"'{work}' holds frame_*.png files that painterly video did not write (no {SETTINGS}); choose another "
            "--frames-out or --work"
        )
    if resume:
        if not saved_path.is_file():
            raise PainterlyError(f"nothing to resume: '{saved_path}' does not exist (run without --resume)")
        try:
            saved = untrusted_json.load_object(saved_path)
        except ValueError as exc:
            raise PainterlyError(
                f"cannot resume: '{saved_path}' is not a painterly video settings file ({exc})"
            ) from None
        if not isinstance(saved, dict):
            raise PainterlyError(f"cannot resume: '{saved_path}' is not a painterly video settings file")
        settings = untrusted_json.loads(json.dumps(settings))  # tuples as the file holds them: lists
        changed = sorted(key for key in settings if key != "painterly" and saved.get(key) != settings[key])
        if changed:
            raise PainterlyError(
                f"cannot resume: the frames in '{work}' were painted with other settings ({', '.join(changed)} "
                "differ); run the same command, or start again with --overwrite"
            )
        return done
    if done:
        if not overwrite:
            raise PainterlyError(
                f"'{work}' holds {done} frame(s) of an earlier run: pass --resume to continue it, or --overwrite "
                "to start again"
            )
        _clear_work(work, remove_folder=False)
    if work.exists() and not work.is_dir():
        raise PainterlyError(f"work folder '{work}' is a file; choose another with --work")
    try:
        work.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PainterlyError(f"cannot create work folder '{work}': {exc.strerror or exc}") from None
    write_atomically(saved_path, lambda f: f.write(json.dumps(settings, indent=2).encode()))
    return 0


def _input_folders(settings: dict) -> set[Path]:
    """The folders a run reads: a frames folder given as the input, and the folders of the input and the
    paintings. A work folder is emptied with --overwrite, so it must be none of them."""
    inputs = [Path(settings["input"]), *map(Path, settings["style"])]
    return {path.resolve() for path in inputs} | {path.resolve().parent for path in inputs}


def _clear_work(work: Path, remove_folder: bool) -> None:
    """Remove the files this command writes in `work` (and no others), and the folder if asked and then empty."""
    for index in range(finished_frames(work)):
        frame_path(work, index).unlink(missing_ok=True)
    (work / SETTINGS).unlink(missing_ok=True)
    if remove_folder:
        try:
            work.rmdir()
        except OSError:  # the user put something else there: leave it
            pass


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(argv)
    info, styles, config, output, work, settings = _plan(args)
    done = _prepare_work(work, settings, args.resume, args.overwrite)
    size = tuple(settings["size"])
    total = info.frames_between(args.start, args.end)
    if done and total is not None and done >= total:
        total = None  # an estimate below what is done: count without a total
    painter = Painter(styles, config)
    progress = None if args.quiet else _open_progress(args, info, painter, size, total, done)
    writer = VideoWriter(
        output,
        size,
        info.frame_rate,
        info.time_base,
        audio_from=info.path if info.audio else None,
        start=args.start,
        end=args.end,
        crf=args.crf,
        replace=args.overwrite,
    )
    started = time.perf_counter()
    painted = 0
    try:
        with StopOnSignal() as stop:
            frames = read_frames(info, args.start, args.end)
            previous = _replay_finished(frames, work, done, size, writer)
            painted = _paint_frames(args, painter, frames, size, previous, work, writer, progress, stop, done, total)
            if stop.requested:
                writer.abort()
                if progress:
                    progress.close()
                print(
                    f"painterly: interrupted after {finished_frames(work)} finished frame(s), kept in '{work}'; run "
                    "the same command with --resume to continue",
                    file=sys.stderr,
                )
                return 130
            if done == 0 and painted == 0:
                _clear_work(work, remove_folder=not args.frames_out)
                raise PainterlyError(
                    f"no frames between {args.start or 0} s and {args.end if args.end is not None else 'the end'}"
                )
            writer.close()
    finally:
        writer.abort()  # does nothing once closed; otherwise no half-written video is left
        if progress:
            progress.close()
    if not args.frames_out:
        _clear_work(work, remove_folder=True)
    if not args.quiet:
        elapsed = time.perf_counter() - started
        print(
            f"wrote {output} ({done + painted} frames, {size[0]}x{size[1]}, {info.frame_rate} fps"
            + (", audio copied" if info.audio else "")
            + f") in {elapsed:.1f} s ({elapsed / max(1, painted):.1f} s/frame)"
            + (f"; frames in {work}" if args.frames_out else "")
        )
    return 0


def _open_progress(
    args, info: VideoInfo, painter: Painter, size: tuple[int, int], total: int | None, done: int
) -> CountProgress:
    """The frame counter, and the run's first line. The first frame of a new run has the full schedule: the time
    left is predicted from the shorter others."""
    progress = CountProgress(sys.stderr, total, "frame", args.print_every, finished=done, first_apart=not done)
    progress.note(
        f"painterly video: {info.width}x{info.height} at {info.frame_rate} fps -> {size[0]}x{size[1]}"
        + (f", {total} frames" if total else "")
        + (f", resuming after frame {done}" if done else "")
        + f"; {painter.device.type}, {painter.precision} ({painter.precision_reason})"
    )
    return progress


def _replay_finished(
    frames: Iterator, work: Path, done: int, size: tuple[int, int], writer: VideoWriter
) -> list[tuple[Image.Image, Image.Image]]:
    """Frames finished before (a resumed run) go into the video again; the last few, with their photos (oldest
    first), continue the temporal chain (engine.temporal.LONG_TERM). Empty on a new run."""
    previous: deque[tuple[Image.Image, Image.Image]] = deque(maxlen=max(LONG_TERM))
    for _ in range(done):
        frame = next(frames, None)
        if frame is None:
            raise PainterlyError(f"'{work}' holds more finished frames than the input has: not this run's")
        image = frame.image.resize(size, Image.Resampling.LANCZOS)
        stylised = load_image(frame_path(work, frame.index))
        if stylised.size != size:
            raise PainterlyError(f"'{frame_path(work, frame.index)}' is not {size[0]}x{size[1]}: not this run's")
        writer.write(stylised, frame.pts)
        previous.append((image, stylised))
    return list(previous)


def _paint_frames(
    args,
    painter: Painter,
    frames: Iterator,
    size: tuple[int, int],
    previous: list[tuple[Image.Image, Image.Image]],
    work: Path,
    writer: VideoWriter,
    progress: CountProgress | None,
    stop: StopOnSignal,
    done: int,
    total: int | None,
) -> int:
    """Paint the frames left, each saved to the work folder (for --resume) and written to the video; returns
    how many were painted. Stops early when a signal asks."""

    def callback(index: int, step: Progress) -> bool:
        if progress:
            progress.at(_frame(done + index, total), step)
        return stop.requested

    painted = 0
    frame_started = time.perf_counter()
    for frame, stylised in paint_timed_frames(
        painter,
        frames,
        size,
        temporal_weight=args.temporal_weight,
        frame_iterations=args.frame_iterations,
        fresh_iterations=args.fresh_iterations,
        previous=previous,
        callback=callback,
    ):
        save_frame(work, frame.index, stylised)
        writer.write(stylised, frame.pts)
        painted += 1
        if progress:
            seconds = time.perf_counter() - frame_started
            progress.finish(f"frame {frame.index + 1} done in {seconds:.1f} s", seconds)
        frame_started = time.perf_counter()
    return painted
