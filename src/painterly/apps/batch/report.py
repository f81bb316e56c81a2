"""What a `painterly batch` writes into OUTDIR: each job's result with its settings beside it, and the report of
every job (batch.json and batch.csv), rewritten as the batch goes so that a killed batch still says how far it
got."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from ... import __version__
from ...errors import PainterlyError
from ...media.images import write_atomically
from .jobs import Job
from .plan import Plan

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


def _json(path: Path, data: dict, replace: bool = True) -> None:
    write_atomically(path, lambda f: f.write(json.dumps(data, indent=2).encode()), replace=replace)


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
        # A file at one of the job's names that this batch did not write (one that appeared during the run, say)
        # is never replaced: each write links its finished file in place, and fails if the name is taken.
        owned = job.owned
        try:
            if status == "done":
                settings = job.settings_path(self.folder)
                # the name is ours before the PNG lands
                _json(settings, self.settings(job, {}, complete=False), replace=owned)
                output = job.output(self.folder)
                write_atomically(output, lambda f: f.write(answer["data"]), replace=owned)
                job.owned = True
                _json(settings, self.settings(job, answer, complete=True))
                if owned:
                    job.partial_path(self.folder).unlink(missing_ok=True)
            elif status == "stopped":
                output = job.partial_path(self.folder)
                write_atomically(output, lambda f: f.write(answer["data"]), replace=owned)
                _json(job.settings_path(self.folder), self.settings(job, answer, complete=False), replace=owned)
                job.owned = True
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
