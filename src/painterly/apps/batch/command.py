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
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from ...errors import PainterlyError
from ..options import HelpFormatter, Parser, add_config_options
from ..progress import BatchProgress, duration
from ..runner import StopOnSignal
from .jobs import Job
from .plan import Plan
from .report import Results


def build_parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="painterly batch",
        description="Paint every photo in every painting (or the pairs of --pairs) into OUTDIR, named "
        "PHOTO__PAINTING.png with its settings beside it. Run the same command again to skip what is done and "
        "continue what was stopped. See docs/batch.md for Dask clusters.",
        formatter_class=HelpFormatter,
    )
    _add_job_options(p)
    _add_cluster_options(p)
    add_config_options(p)
    _add_output_options(p)
    return p


def _add_job_options(p: argparse.ArgumentParser) -> None:
    """What to paint, in what, and where to."""
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


def _add_cluster_options(p: argparse.ArgumentParser) -> None:
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


def _add_output_options(p: argparse.ArgumentParser) -> None:
    """The results' alpha channel, and what is printed while the batch runs."""
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


def run_here(
    plan: Plan, jobs: list[Job], finish: Callable[[Job, dict], None], stop: StopOnSignal, progress: BatchProgress | None
) -> list[Job]:
    """The jobs one after another in this process, each painting's Painter built once and kept; returns the jobs
    never begun because the batch was stopped."""
    from .worker import PainterCache, failure, paint_task

    cache = PainterCache()
    for position, job in enumerate(jobs):
        if stop.requested:
            return jobs[position:]
        if progress is not None:
            progress.begin(job.name)
        try:
            task, paths = plan.task(job)
            paintings = [plan.read_painting(path) for path in paths]
        except PainterlyError as exc:
            answer = failure(str(exc))
        else:
            answer = paint_task(task, paintings, cache, lambda: stop.requested, progress)
        finish(job, answer)
    return []


def job_line(job: Job, row: dict) -> str:
    """A finished job's line: its status, name and figures (or why it has none)."""
    figures = f"{row['width']}x{row['height']}, total loss {row['total']}" if row["status"] == "done" else ""
    what = f"{row['seconds']:.1f} s, {figures}" if figures else row["reason"]
    return f"{row['status']:7} {job.name}  ({what})"


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
    """The batch of a checked plan: connect, paint every job not done, write the report, say how it went."""
    args = plan.args
    results = Results(plan, argv)
    todo = [job for job in plan.jobs if job.state != "done"]
    progress = None if args.quiet else BatchProgress(sys.stderr, len(todo), args.print_every)
    client = _connect(args) if args.scheduler and todo else None
    if not args.quiet:
        _print_plan(plan, todo, client)
    finish = _finisher(results, progress)
    try:
        with StopOnSignal() as stop:
            _paint_all(plan, todo, client, finish, stop, progress)
    finally:
        if progress is not None:
            progress.close()
        results.write()
    return _conclude(plan, results, stop.requested)


def _connect(args: argparse.Namespace) -> Any:
    """A client of --scheduler; Dask is imported only here, when a batch runs on a cluster."""
    from .cluster import connect

    return connect(args.scheduler, args.gpu)


def _print_plan(plan: Plan, todo: list[Job], client: Any) -> None:
    """The opening line: how many jobs, how many were done before, where they run and where the results go."""
    skipped = len(plan.jobs) - len(todo)
    continued = sum(job.state == "partial" for job in todo)
    where = f" on {plan.args.scheduler} ({len(client.nthreads())} workers)" if client else ""
    print(
        f"painterly batch: {len(plan.jobs)} jobs ({plan.description}): {skipped} done before, "
        f"{len(todo)} to paint{f' ({continued} continued)' if continued else ''}{where}; results in "
        f"{plan.folder}",
        file=sys.stderr,
    )


def _finisher(results: Results, progress: BatchProgress | None) -> Callable[[Job, dict], None]:
    """What to do with each answer: record it in the results and, unless --quiet, print its line (and the
    precision, said once: it is the same for every job, so the first answer that has it says it)."""
    noted = False

    def finish(job: Job, answer: dict) -> None:
        nonlocal noted
        row = results.finish(job, answer)
        if progress is None:
            return
        if not noted and answer.get("precision"):
            noted = True
            reason = f" ({answer['precision_reason']})" if answer.get("precision_reason") else ""
            progress.note(f"painterly: {answer.get('device', '')}, {answer['precision']}{reason}")
        painted = float(answer.get("seconds") or 0.0) if row["status"] == "done" else None
        progress.finish(job_line(job, row), painted)

    return finish


def _paint_all(
    plan: Plan,
    todo: list[Job],
    client: Any,
    finish: Callable[[Job, dict], None],
    stop: StopOnSignal,
    progress: BatchProgress | None,
) -> None:
    """The jobs on the cluster of `client` (closed afterwards, however it ends), or here without one."""
    if client is None:
        run_here(plan, todo, finish, stop, progress)
        return
    from .cluster import run_on_cluster

    try:
        run_on_cluster(
            client,
            todo,
            plan.task,
            plan.read_painting,
            finish,
            lambda: stop.requested,
            gpu=plan.args.gpu,
            on_poll=progress.poll if progress is not None else None,
        )
    finally:
        client.close()


def _conclude(plan: Plan, results: Results, stopped: bool) -> int:
    """Print the summary line (with --quiet only when something failed or it was stopped); the exit status."""
    counts = results.summary()
    line = _summary_line(plan, counts, time.perf_counter() - results.started, stopped)
    if stopped:
        print(f"{line}\npainterly: interrupted; run the same command again to continue", file=sys.stderr)
        return 130
    if counts["failed"]:
        print(line, file=sys.stderr)
        return 1
    if not plan.args.quiet:
        print(line, file=sys.stderr)
    return 0


def _summary_line(plan: Plan, counts: dict[str, int], seconds: float, stopped: bool) -> str:
    return (
        f"painterly batch: {counts['done']} done, {counts['skipped']} skipped, {counts['failed']} failed"
        + (f", {counts['stopped']} stopped, {counts['pending']} not begun" if stopped else "")
        + f" of {len(plan.jobs)} jobs in {duration(seconds)}"
        + (f" ({3600 * counts['done'] / seconds:.1f} images/h)" if counts["done"] else "")
        + f"; report: {plan.folder / 'batch.csv'}"
    )
