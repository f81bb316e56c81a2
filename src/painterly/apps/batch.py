"""`painterly batch INPUT... --style S [--style S2 ...] -o OUTDIR [options]`: every photo in every painting (or
the pairs of a CSV), resumable, on this machine or on a Dask cluster (`--scheduler`).

Each painting's Painter is built once and paints every photo (the network loaded once per process and shared), so
a batch pays for the weights and the paintings' Gram matrices once, not once per photo. Without --scheduler the
jobs run one after another in this process: torch already spreads one job over every core, and two processes on a
2-core machine were not faster (benchmarks/ENGINE_REUSE.md).

Exit status: 0 when every job is done or skipped, 1 when any failed (one line on stderr says how many; the report
says which and why), 2 for bad input found before any work, 130 when stopped by Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import sys
import time
from collections.abc import Sequence
from copy import copy
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO

from .. import __version__
from ..config import INITS
from ..engine.optimize import Progress
from ..errors import PainterlyError
from ..media.images import load_image, write_atomically
from .batch_jobs import Job, Painting, check_painting, find_photos, parse_painting, plan_jobs, read_pairs
from .options import HelpFormatter, Parser, add_config_options, config_from_args
from .progress import describe
from .runner import StopOnSignal

REPORT_COLUMNS = (
    "photo",
    "painting",
    "output",
    "status",
    "reason",
    "seconds",
    "width",
    "height",
    "iterations",
    "resumed_from",
    "content",
    "style",
    "tv",
    "total",
    "worker",
    "engine",
)
REPORT_EVERY = 5.0  # seconds between rewrites of batch.json/csv during a run (always at the end)


def build_parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="painterly batch",
        description="Paint every photo in every painting (or the pairs of --pairs) into OUTDIR, named "
        "PHOTO__PAINTING.png with its settings beside it. Run the same command again to skip what is done and "
        "continue what was stopped. See docs/batch.md for Dask clusters.",
        formatter_class=HelpFormatter,
    )
    p.add_argument(
        "inputs",
        metavar="INPUT",
        nargs="*",
        help="photos or videos, or folders of them; a video is one job, painted frame after frame without "
        "flicker as `painterly video` does, into PHOTO__PAINTING.mp4",
    )
    p.add_argument(
        "--style",
        "-s",
        action="append",
        metavar="STYLE",
        help="a painting; repeat for several (each photo is painted in each). a.jpg+b.jpg is one style set, "
        "blended (a.jpg:0.7+b.jpg:0.3) or one per --mask region",
    )
    p.add_argument("-o", "--output", metavar="OUTDIR", help="the folder for the results and the report")
    p.add_argument("--recursive", "-r", action="store_true", help="also take the photos in subfolders of INPUT")
    p.add_argument(
        "--pairs",
        metavar="PAIRS.csv",
        help="paint only these pairs: a CSV with the columns photo,painting (paths relative to the CSV's folder); "
        "replaces INPUT and --style",
    )
    g = p.add_argument_group("cluster (pip install 'painterly[cluster]'; see docs/batch.md)")
    g.add_argument("--scheduler", metavar="tcp://HOST:8786", help="run the jobs on this Dask scheduler's workers")
    g.add_argument(
        "--gpu",
        action="store_true",
        help="send the jobs only to workers started with --resources GPU=1 (they paint on their CUDA GPU)",
    )
    g.add_argument(
        "--worker-threads",
        type=int,
        default=0,
        metavar="N",
        help="torch threads per job (0 = on a worker: its cores / its Dask threads; here: torch's default)",
    )
    add_config_options(p)
    g = p.add_argument_group("output")
    g.add_argument(
        "--alpha",
        choices=("white", "keep"),
        default="white",
        help="transparent photos: composite on white, or keep their alpha channel in the results",
    )
    g.add_argument(
        "--print-every",
        type=int,
        default=0,
        metavar="N",
        help="also print the current job's progress every N iterations (0 = only the live bar and a line per job)",
    )
    g.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors and the failure summary")
    return p


class Plan:
    """Everything a batch needs, checked before any work: the jobs, and the bytes readers with their caches."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        if not args.output:
            raise PainterlyError("-o OUTDIR is required: the folder for the results")
        self.folder = Path(args.output)
        if self.folder.exists() and not self.folder.is_dir():
            raise PainterlyError(f"OUTDIR '{self.folder}' is a file, not a folder")
        for name in ("worker_threads", "print_every"):
            if getattr(args, name) < 0:
                raise PainterlyError(f"--{name.replace('_', '-')} must be 0 or more")
        if args.gpu and not args.scheduler:
            raise PainterlyError("--gpu picks a cluster's GPU workers, so it needs --scheduler (here: --device cuda)")
        if args.gpu and args.device == "cpu":
            raise PainterlyError("--gpu and --device cpu contradict each other")
        if args.pairs:
            if args.inputs or args.style:
                raise PainterlyError("--pairs names the photos and paintings: give no INPUT or --style with it")
            pairs = read_pairs(Path(args.pairs))
            self.description = f"{len(pairs)} pairs from {args.pairs}"
        else:
            if not args.inputs:
                raise PainterlyError("no INPUT given: name photos or folders of photos (or --pairs PAIRS.csv)")
            if not args.style:
                raise PainterlyError("at least one --style STYLE is required (or --pairs PAIRS.csv)")
            paintings = list(dict.fromkeys(parse_painting(text) for text in args.style))
            photos = find_photos([Path(i) for i in args.inputs], args.recursive, exclude=self.folder)
            pairs = [(photo, painting) for painting in paintings for photo in photos]
            self.description = f"{_count(len(photos), 'photo')} x {_count(len(paintings), 'painting')}"
        for painting in dict.fromkeys(painting for _, painting in pairs):
            check_painting(painting)
            for path in painting.paths:
                load_image(path)  # a painting that cannot be read is the command's mistake, not one job's
        configs = {painting: self.config_for(painting) for painting in dict.fromkeys(p for _, p in pairs)}
        self.files: dict[str, bytes] = {}
        for config in configs.values():  # --mask and an --init file are read before any work, and once
            for name in ("mask", "init"):
                value = getattr(config, name)
                if value and (name == "mask" or value not in INITS) and value not in self.files:
                    load_image(value)
                    self.files[value] = _read(Path(value), f"--{name} file")
        self.created = not self.folder.exists()  # by this batch: removed again if it fails before any result
        if self.created:
            try:
                self.folder.mkdir(parents=True)
            except OSError as exc:
                raise PainterlyError(f"cannot create OUTDIR '{self.folder}': {exc.strerror or exc}") from None
        if not os.access(self.folder, os.W_OK):
            raise PainterlyError(f"OUTDIR '{self.folder}' is not writable")
        self.lock = _lock(self.folder)
        self.jobs = plan_jobs(pairs, configs.__getitem__, self.folder, {"alpha": args.alpha})
        self.paintings: dict[Path, bytes] = {}

    def config_for(self, painting: Painting):
        args = copy(self.args)
        if painting.weights is not None:
            if args.style_blend:
                raise PainterlyError("give blend weights as STYLE:WEIGHT or with --style-blend, not both")
            args.style_blend = painting.weights
        return config_from_args(args, len(painting.paths))

    def read_painting(self, path: Path) -> bytes:
        if path not in self.paintings:
            self.paintings[path] = _read(path, "painting")
        return self.paintings[path]

    def task(self, job: Job):
        """The job as bytes and plain data, ready to travel (and the paintings it needs, sent apart)."""
        from .batch_worker import Task

        config = job.config.to_dict()
        files, names = {}, {}
        for name in ("mask", "init"):
            value = config.get(name)
            if value in self.files:
                files[name], names[name] = self.files[value], Path(value).name
        start = None
        if job.state == "partial" and not job.video:
            try:
                start = job.partial_path(self.folder).read_bytes()
                config["done_iterations"] = job.done_iterations
            except OSError:  # gone since the plan: start afresh
                start = None
        task = Task(
            name=job.name,
            photo_name=str(job.photo),
            photo=_read(job.photo, "photo"),
            painting_names=tuple(p.name for p in job.painting.paths),
            config=config,
            files=files,
            file_names=names,
            start=start,
            alpha=self.args.alpha == "keep",
            threads=self.args.worker_threads,
            video=job.video,
        )
        return task, list(job.painting.paths)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _read(path: Path, role: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise PainterlyError(f"cannot read {role} '{path}': {exc.strerror or exc}") from None


def _lock(folder: Path):
    """One batch at a time per OUTDIR: two would paint the same jobs and race for the same names."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; the names are still written atomically
        return None
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise PainterlyError(
            f"another painterly batch is writing to '{folder}'; wait for it or choose another -o"
        ) from None
    return fd


def _json(path: Path, data: dict) -> None:
    write_atomically(path, lambda f: f.write(json.dumps(data, indent=2).encode()))


class Results:
    """What the batch writes into OUTDIR: each result with its settings, and the report of every job."""

    def __init__(self, plan: Plan, argv: Sequence[str]) -> None:
        self.plan = plan
        self.folder = plan.folder
        self.started = time.perf_counter()
        self.header = {
            "painterly": __version__,
            "command": ["painterly", "batch", *argv],
            "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        self.rows: dict[int, dict] = {}
        self.written = 0.0
        for index, job in enumerate(plan.jobs):
            if job.state == "done":
                earlier = job.previous
                figures = {
                    "size": earlier["batch"].get("size"),
                    "iterations_done": earlier.get("iterations_done"),
                    "losses": earlier.get("last_losses"),
                    "worker": earlier["batch"].get("worker", ""),
                }
                self.rows[index] = self.row(
                    job, "skipped", "done before with the same settings", job.output(self.folder), figures
                )
            else:
                self.rows[index] = self.row(job, "pending", "not begun")
        self.index = {id(job): index for index, job in enumerate(plan.jobs)}

    def row(self, job: Job, status: str, reason: str, output: Path | None = None, figures: dict | None = None) -> dict:
        figures = figures or {}
        losses = figures.get("losses") or {}
        size = figures.get("size") or ["", ""]
        return {
            "photo": str(job.photo),
            "painting": str(job.painting),
            "output": str(output) if output else "",
            "status": status,
            "reason": reason,
            "seconds": round(float(figures.get("seconds") or 0.0), 2),
            "width": size[0],
            "height": size[1],
            "iterations": figures.get("iterations_done", ""),  # done by the end of this run
            "resumed_from": job.done_iterations if job.state == "partial" else 0,
            **{name: round(losses[name], 6) if name in losses else "" for name in ("content", "style", "tv", "total")},
            "worker": figures.get("worker", ""),
            "engine": figures.get("engine", ""),
        }

    def settings(self, job: Job, answer: dict, complete: bool) -> dict:
        """The result's settings, as the main command writes them beside OUT.png, plus what the batch needs to
        know the result again: its settings hash, its inputs' hashes, and whether it is complete."""
        return {
            "painterly": __version__,
            "content": str(job.photo),
            "style": [str(path) for path in job.painting.paths],
            "output": str(job.output(self.folder)),
            "config": job.config.to_dict(),
            "iterations_done": answer.get("iterations_done", 0),
            "last_losses": answer.get("losses") or None,
            "batch": {
                "settings": job.settings,
                "inputs": job.inputs,
                "alpha": self.plan.args.alpha,
                "complete": complete,
                "partial": None if complete else job.partial_path(self.folder).name,
                "size": answer.get("size"),
                "seconds": round(float(answer.get("seconds") or 0.0), 2),
                "worker": answer.get("worker", ""),
                "precision": answer.get("precision", ""),
                **({"frames": answer.get("frames")} if job.video else {}),
            },
        }

    def finish(self, job: Job, answer: dict) -> dict:
        """Write one job's answer: a result (settings claimed first, then the PNG, then the settings marked
        complete, each atomically), a partial result, or a failed row."""
        status = answer["status"]
        output = None
        try:
            if status == "done":
                settings = job.settings_path(self.folder)
                _json(settings, self.settings(job, {}, complete=False))  # the name is ours before the PNG lands
                output = job.output(self.folder)
                write_atomically(output, lambda f: f.write(answer["data"]))
                _json(settings, self.settings(job, answer, complete=True))
                job.partial_path(self.folder).unlink(missing_ok=True)
            elif status == "stopped":
                output = job.partial_path(self.folder)
                write_atomically(output, lambda f: f.write(answer["data"]))
                _json(job.settings_path(self.folder), self.settings(job, answer, complete=False))
        except PainterlyError as exc:  # e.g. a full disk: this result is lost, the batch says so
            status, answer, output = "failed", {**answer, "reason": str(exc)}, None
        status = "pending" if status == "cancelled" else status
        reason = answer.get("reason", "") if status != "done" else ""
        row = self.row(job, status, reason, output, answer)
        self.rows[self.index[id(job)]] = row
        if time.perf_counter() - self.written > REPORT_EVERY:
            self.write()
        return row

    def summary(self) -> dict[str, int]:
        counts = {status: 0 for status in ("done", "skipped", "failed", "stopped", "pending")}
        for row in self.rows.values():
            counts[row["status"]] += 1
        return counts

    def write(self) -> None:
        """batch.json and batch.csv: one row per job, rewritten as the batch goes (so a killed batch still says
        how far it got) and at the end."""
        rows = [self.rows[i] for i in sorted(self.rows)]
        report = {
            **self.header,
            "seconds": round(time.perf_counter() - self.started, 2),
            "summary": self.summary(),
            "jobs": rows,
        }
        _json(self.folder / "batch.json", report)
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=REPORT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        write_atomically(self.folder / "batch.csv", lambda f: f.write(text.getvalue().encode()))
        self.written = time.perf_counter()


def _duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class BatchProgress:
    """The whole batch's line (jobs finished of total, images per hour, time left) with the current job's progress
    after it: redrawn in place on a terminal; elsewhere a line per finished job (and, with --print-every, the
    current job's lines)."""

    def __init__(self, stream: TextIO, total: int, print_every: int, enabled: bool) -> None:
        self.stream = stream
        self.total = total
        self.print_every = print_every
        self.enabled = enabled
        self.live = enabled and stream.isatty()
        self.start = time.perf_counter()
        self.finished = 0
        self.painted = 0
        self.painted_seconds = 0.0
        self.name = ""
        self.current: Progress | None = None
        self.cluster = ""
        self.drawn = 0.0
        self.noted = False

    def begin(self, job: Job) -> None:
        self.name, self.current = job.name, None

    def rate(self) -> float:
        elapsed = time.perf_counter() - self.start
        return 3600 * self.painted / elapsed if self.painted and elapsed > 0 else 0.0

    def left(self) -> float | None:
        remaining = self.total - self.finished
        if self.cluster:  # jobs run side by side: the wall-clock time per finished job so far
            return (time.perf_counter() - self.start) / self.finished * remaining if self.finished else None
        current = self.current
        per_job = self.painted_seconds / self.painted if self.painted else None
        if current is not None and per_job is None:
            per_job = current.elapsed + current.seconds_left
        if per_job is None:
            return None
        return (current.seconds_left if current else 0.0) + per_job * max(0, remaining - (1 if current else 0))

    def overall(self) -> str:
        left = self.left()
        width = 20
        filled = width * self.finished // max(1, self.total)
        return (
            f"[{'#' * filled}{'.' * (width - filled)}] {self.finished}/{self.total} jobs  {self.rate():.1f} images/h  "
            f"{_duration(left) + ' left' if left is not None else 'time left unknown yet'}"
        )

    def iteration(self, progress: Progress) -> None:
        self.current = progress
        if not self.enabled:
            return
        if self.print_every and progress.iteration % self.print_every == 0:
            self._print(f"  {self.name}: {describe(progress)}")
        elif self.live and time.perf_counter() - self.drawn > 0.1:
            self._draw(f"{self.overall()} | {self.name} {describe(progress)}")

    def poll(self, running: int, workers: int) -> None:
        self.cluster = f"{running} running on {workers} worker{'s' if workers != 1 else ''}"
        if self.live and time.perf_counter() - self.drawn > 0.5:
            self._draw(f"{self.overall()} | {self.cluster}")

    def done(self, job: Job, row: dict, answer: dict) -> None:
        self.finished += 1
        self.current = None
        if row["status"] == "done":
            self.painted += 1
            self.painted_seconds += float(answer.get("seconds") or 0.0)
        if not self.enabled:
            return
        if not self.noted and answer.get("precision"):
            self.noted = True
            reason = f" ({answer['precision_reason']})" if answer.get("precision_reason") else ""
            self._print(f"painterly: {answer.get('device', '')}, {answer['precision']}{reason}")
        figures = f"{row['width']}x{row['height']}, total loss {row['total']}" if row["status"] == "done" else ""
        what = f"{row['seconds']:.1f} s, {figures}" if figures else row["reason"]
        self._print(f"{row['status']:7} {job.name}  ({what})  {self.overall()}")

    def _print(self, line: str) -> None:
        self._clear()
        print(line, file=self.stream, flush=True)

    def _draw(self, line: str) -> None:
        columns = shutil.get_terminal_size((120, 20)).columns
        self.stream.write("\r" + line[: columns - 1] + "\x1b[K")
        self.stream.flush()
        self.drawn = time.perf_counter()

    def _clear(self) -> None:
        if self.live and self.drawn:
            self.stream.write("\r\x1b[K")
            self.drawn = 0.0

    def close(self) -> None:
        self._clear()
        self.stream.flush()


def run_here(plan: Plan, jobs: list[Job], results: Results, progress: BatchProgress, stop: StopOnSignal) -> list:
    """The jobs one after another in this process, each painting's Painter built once and kept."""
    from .batch_worker import PainterCache, failure, paint_task

    cache = PainterCache()
    for position, job in enumerate(jobs):
        if stop.requested:
            return jobs[position:]
        progress.begin(job)
        try:
            task, paths = plan.task(job)
            paintings = [plan.read_painting(path) for path in paths]
        except PainterlyError as exc:
            answer = failure(str(exc))
        else:
            answer = paint_task(task, paintings, cache, lambda: stop.requested, progress.iteration)
        progress.done(job, results.finish(job, answer), answer)
    return []


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(argv)
    plan = Plan(args)
    try:
        return _run(plan, argv)
    except PainterlyError:  # e.g. the scheduler refused: leave no empty OUTDIR behind
        if plan.created and not any(plan.folder.iterdir()):
            plan.folder.rmdir()
        raise
    finally:
        if plan.lock is not None:
            os.close(plan.lock)


def _run(plan: Plan, argv: Sequence[str]) -> int:
    args = plan.args
    results = Results(plan, argv)
    todo = [job for job in plan.jobs if job.state != "done"]
    skipped = len(plan.jobs) - len(todo)
    progress = BatchProgress(sys.stderr, len(todo), args.print_every, not args.quiet)
    client = None
    if args.scheduler and todo:
        from .cluster import connect

        client = connect(args.scheduler, args.gpu)
    if not args.quiet:
        continued = sum(job.state == "partial" for job in todo)
        where = f" on {args.scheduler} ({len(client.nthreads())} workers)" if client else ""
        print(
            f"painterly batch: {len(plan.jobs)} jobs ({plan.description}): {skipped} done before, "
            f"{len(todo)} to paint{f' ({continued} continued)' if continued else ''}{where}; results in "
            f"{plan.folder}",
            file=sys.stderr,
        )

    def finish(job: Job, answer: dict) -> None:
        progress.done(job, results.finish(job, answer), answer)

    try:
        with StopOnSignal() as stop:
            if client is not None:
                from .cluster import run_on_cluster

                try:
                    run_on_cluster(
                        client,
                        todo,
                        plan.task,
                        plan.read_painting,
                        finish,
                        lambda: stop.requested,
                        gpu=args.gpu,
                        on_poll=progress.poll,
                    )
                finally:
                    client.close()
            else:
                run_here(plan, todo, results, progress, stop)
    finally:
        progress.close()
        results.write()
    counts = results.summary()
    seconds = time.perf_counter() - results.started
    line = (
        f"painterly batch: {counts['done']} done, {counts['skipped']} skipped, {counts['failed']} failed"
        + (f", {counts['stopped']} stopped, {counts['pending']} not begun" if stop.requested else "")
        + f" of {len(plan.jobs)} jobs in {_duration(seconds)}"
        + (f" ({progress.rate():.1f} images/h)" if counts["done"] else "")
        + f"; report: {plan.folder / 'batch.csv'}"
    )
    if stop.requested:
        print(f"{line}\npainterly: interrupted; run the same command again to continue", file=sys.stderr)
        return 130
    if counts["failed"]:
        print(line, file=sys.stderr)
        return 1
    if not args.quiet:
        print(line, file=sys.stderr)
    return 0
