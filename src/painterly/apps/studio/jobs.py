"""The studio's jobs: what was asked, where it stands, and the one worker thread that paints them in turn.

A CPU has no room for two runs at once (each wants every core and over a gigabyte at 512 px), so jobs wait in a
queue and one thread paints them one after the other. A job belongs to the server, not to a page: closing the tab
leaves it running, and any page can watch it or stop it by its id.

The engine's callback runs on the worker thread after every iteration. It records the losses, and renders a
preview only when the page would see a difference: at the first iteration, at each new size and when
PREVIEW_EVERY seconds have passed since the last one. Rendering costs a copy and a JPEG encode, which the run
would otherwise spend on iterations.
"""

from __future__ import annotations

import io
import logging
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from ... import __version__
from ...config import StyleConfig
from ...engine.optimize import Progress
from ...engine.painter import Painter, load_model, model_key
from ...errors import PainterlyError
from .store import Store, new_id

PREVIEW_EVERY = 1.0  # seconds between previews (and at every new size); the page sees at least this often
PUBLISH_EVERY = 0.25  # seconds between progress messages without a new preview
# Every term a run can have, in the order of the page's plot columns (studio.js drawPlot): the total is their sum.
HISTORY_TERMS = ("content", "style", "tv", "hold", "temporal", "total")
MAX_WAITING = 20  # queued jobs: each holds its request and, once running, a network's worth of work
HISTORY_POINTS = 400  # loss points kept per job; older halves are thinned so a long run's curve stays small

log = logging.getLogger("painterly.studio")


class QueueFull(PainterlyError):
    """A job refused because the queue is full (the page shows it; HTTP 429)."""


class Engine:
    """Paints with the engine's Painter, keeping one loaded network for the server's life: jobs that use the
    same weights, layers, pooling and device share it, so a job starts without reloading VGG-19."""

    def __init__(self) -> None:
        self._model_key: tuple | None = None
        self._model = None
        self.note = ""  # what the last run chose (precision and why), for the page

    def paint(
        self,
        photo: Path,
        paintings: Sequence[Path],
        config: StyleConfig,
        callback: Callable[[Progress], bool | None],
    ) -> Image.Image:
        key = model_key(config)
        if key != self._model_key:
            self._model = self._model_key = None  # let the old network go before loading another
            self._model, self._model_key = load_model(config), key
        painter = Painter(list(paintings), config, model=self._model)
        self.note = f"precision {painter.precision} ({painter.precision_reason})"
        return painter.paint(photo, callback=callback)


@dataclass
class Job:
    """One run asked for from the page. `request` is what the page sent (upload ids and form settings), kept so
    that the gallery can put it back into the form; `config` is the validated StyleConfig built from it."""

    request: dict
    config: StyleConfig
    photo: Path
    paintings: list[Path]
    names: dict  # display names of the uploads, for the settings file
    resumed_from: str | None = None
    id: str = field(default_factory=new_id)
    state: str = "queued"  # queued | running | done | stopped | failed | cancelled
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    error: str | None = None
    note: str = ""
    stop_requested: bool = False
    version: int = 0  # bumped at every change the page should see
    # progress
    iteration: int = 0
    iterations: int = 0
    size: tuple[int, int] = (0, 0)
    tile: tuple[int, int] | None = None
    elapsed: float = 0.0
    seconds_left: float | None = None
    losses: dict = field(default_factory=dict)
    history: list = field(default_factory=list)  # [iteration, *HISTORY_TERMS]
    stride: int = 1  # history keeps every stride-th iteration
    sizes: list = field(default_factory=list)  # [iteration, width, height] where each size began
    preview: bytes | None = None
    preview_version: int = 0
    has_result: bool = False

    def record(self, progress: Progress) -> bool:
        """Take in one iteration; True when the size changed (the page needs a preview of the new size)."""
        self.iteration, self.iterations = progress.iteration, progress.iterations
        self.elapsed, self.losses, self.tile = progress.elapsed, dict(progress.losses), progress.tile
        try:
            self.seconds_left = max(0.0, float(progress.seconds_left))
        except (ZeroDivisionError, ValueError):
            self.seconds_left = None
        new_size = tuple(progress.size) != tuple(self.size)
        if new_size:
            self.size = tuple(progress.size)
            self.sizes.append([progress.iteration, *self.size])
        if progress.iteration % self.stride == 0 or new_size:
            losses = progress.losses
            self.history.append([progress.iteration, *(float(losses.get(k, 0.0)) for k in HISTORY_TERMS)])
            if len(self.history) > HISTORY_POINTS:
                self.stride *= 2
                keep = {s[0] for s in self.sizes}
                self.history = [p for p in self.history if p[0] % self.stride == 0 or p[0] in keep]
        return new_size

    def summary(self, position: int | None = None) -> dict:
        """What the page shows of this job (JSON)."""
        return {
            "id": self.id,
            "version": self.version,
            "state": self.state,
            "ahead": position,
            "created": self.created,
            "started": self.started,
            "finished": self.finished,
            "error": self.error,
            "note": self.note,
            "stopping": self.stop_requested and self.state == "running",
            "iteration": self.iteration,
            "iterations": self.iterations,
            "size": list(self.size),
            "tile": list(self.tile) if self.tile else None,
            "elapsed": round(self.elapsed, 2),
            "seconds_left": None if self.seconds_left is None else round(self.seconds_left, 1),
            "losses": self.losses,
            "history": self.history,
            "sizes": self.sizes,
            "preview_version": self.preview_version if self.preview else 0,
            "result": self.id if self.has_result else None,
            "resumed_from": self.resumed_from,
            "request": self.request,
        }

    def settings(self, state: str, output: Path, last_losses: dict | None) -> dict:
        """The result's settings file: the CLI's format (so `painterly --resume` reads it) plus the studio's."""
        return {
            "painterly": __version__,
            "content": str(self.photo),
            "style": [str(p) for p in self.paintings],
            "output": str(output),
            "config": self.config.to_dict(),
            "iterations_done": self.iteration if self.iteration else self.config.done_iterations,
            "last_losses": last_losses,
            "studio": {
                "state": state,
                "request": self.request,
                "names": self.names,
                "iterations": self.iterations,
                "size": list(self.size),
                "created": self.created,
                "finished": self.finished,
                "elapsed": round(self.elapsed, 2),
                "resumed_from": self.resumed_from,
                "note": self.note,
            },
        }


class JobQueue:
    """Jobs in the order asked, painted one at a time by a single worker thread.

    `notify` is called (from any thread) after every change a page should see; the server turns it into
    server-sent events."""

    def __init__(self, store: Store, engine: Engine | None = None, notify: Callable[[], None] = lambda: None):
        self.store = store
        self.engine = engine or Engine()
        self.notify = notify
        self._jobs: dict[str, Job] = {}
        self._waiting: list[Job] = []
        self._running: Job | None = None
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._work, name="painterly-studio-worker", daemon=True)
        self._thread.start()

    # asked by the server (event-loop thread)

    def submit(self, job: Job) -> Job:
        with self._cond:
            if self._closed:
                raise PainterlyError("the studio is shutting down")
            if len(self._waiting) >= MAX_WAITING:
                raise QueueFull(f"{len(self._waiting)} jobs are already waiting: let some finish, or stop them first")
            self._jobs[job.id] = job
            self._waiting.append(job)
            self._changed(job)
            for other in self._waiting:  # everyone's place stays right
                other.version += 1
            self._cond.notify_all()
        self.notify()
        return job

    def stop(self, job_id: str) -> Job | None:
        """A running job stops at its next iteration and keeps its best image; a waiting one is cancelled."""
        with self._cond:
            job = self._jobs.get(job_id)
            if job is None:
                return None
            if job.state == "running":
                job.stop_requested = True
                self._changed(job)
            elif job.state == "queued":
                self._waiting.remove(job)
                job.state, job.finished = "cancelled", time.time()
                self._changed(job)
                for other in self._waiting:
                    other.version += 1
        self.notify()
        return job

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def summaries(self, since: dict[str, int] | None = None) -> list[dict]:
        """Every job of this server's life (oldest first), or only those changed since the versions in `since`."""
        with self._cond:
            return [
                self._summary(job)
                for job in self._jobs.values()
                if since is None or since.get(job.id, -1) < job.version
            ]

    def summary(self, job: Job) -> dict:
        with self._cond:
            return self._summary(job)

    def preview(self, job_id: str) -> bytes | None:
        job = self._jobs.get(job_id)
        return job.preview if job else None

    def close(self, timeout: float = 120.0) -> None:
        """Shutting down: cancel the waiting jobs, stop the running one (its best image is saved), wait for it."""
        with self._cond:
            self._closed = True
            for job in self._waiting:
                job.state, job.finished = "cancelled", time.time()
            self._waiting.clear()
            if self._running is not None:
                self._running.stop_requested = True
            self._cond.notify_all()
        self._thread.join(timeout)

    # the worker thread

    def _summary(self, job: Job) -> dict:
        ahead = None
        if job.state == "queued" and job in self._waiting:
            ahead = self._waiting.index(job) + (1 if self._running is not None else 0)
        return job.summary(ahead)

    def _changed(self, job: Job) -> None:
        job.version += 1

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._waiting and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                job = self._running = self._waiting.pop(0)
                job.state, job.started = "running", time.time()
                for other in [job, *self._waiting]:
                    self._changed(other)
            self.notify()
            try:
                self._run(job)
            finally:
                with self._cond:
                    self._running = None
                    self._changed(job)
                self.notify()

    def _run(self, job: Job) -> None:
        last: list[Progress] = []
        clock = {"preview": 0.0, "publish": 0.0}

        def callback(progress: Progress) -> bool:
            now = time.monotonic()
            with self._cond:
                new_size = job.record(progress)
                if not job.note and self.engine.note:
                    job.note = self.engine.note
            if new_size or now - clock["preview"] >= PREVIEW_EVERY:
                job.preview = _jpeg(progress.image())
                job.preview_version += 1
                clock["preview"] = clock["publish"] = now
                self._publish(job)
            elif now - clock["publish"] >= PUBLISH_EVERY:
                clock["publish"] = now
                self._publish(job)
            last[:] = [progress]
            return job.stop_requested

        try:
            image = self.engine.paint(job.photo, job.paintings, job.config, callback)
        except PainterlyError as exc:
            self._finish(job, "failed", error=str(exc))
            return
        except Exception as exc:  # a bug or the machine (e.g. out of memory): the server must keep serving
            log.error("job %s failed:\n%s", job.id, traceback.format_exc())
            self._finish(job, "failed", error=f"the run failed: {type(exc).__name__}: {exc}")
            return
        done = bool(last) and last[0].iteration >= last[0].iterations
        state = "stopped" if job.stop_requested and not done else "done"
        job.finished = time.time()
        settings = job.settings(state, self.store.result_image_path(job.id), last[0].losses if last else None)
        try:
            self.store.save_result(job.id, image, settings)
        except PainterlyError as exc:
            self._finish(job, "failed", error=str(exc))
            return
        job.preview = _jpeg(image)  # the page shows the result itself (the best image, not the last one)
        job.preview_version += 1
        job.has_result = True
        self._finish(job, state)

    def _finish(self, job: Job, state: str, error: str | None = None) -> None:
        with self._cond:
            job.state, job.error = state, error
            job.finished = job.finished or time.time()
            self._changed(job)
        self.notify()

    def _publish(self, job: Job) -> None:
        with self._cond:
            self._changed(job)
        self.notify()


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=88)
    return buffer.getvalue()
