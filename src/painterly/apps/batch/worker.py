"""Painting one job of `painterly batch` from bytes, the same way on this machine and on a Dask worker.

A task carries everything as bytes (the photo, the paintings, a --mask or --init file, a stopped run's partial
result), so a worker needs no shared filesystem, and its answer is the PNG's bytes plus the figures. Both the local
run and every Dask worker paint through `paint_task`, so their results are the same bytes when torch uses the same
number of threads (a different thread count sums in another order: the last bits of the pixels may differ).

`PainterCache` is what makes a worker cheap after its first job: the network is loaded once per process (per
weights, layers, pooling and device) and shared by every Painter, and each painting's Painter (with its Gram
matrices per size) is kept for the next photo in that painting.
"""

from __future__ import annotations

import atexit
import gc
import io
import os
import re
import shutil
import socket
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ...config import StyleConfig
from ...engine.optimize import Progress
from ...engine.painter import Painter, load_model, model_key
from ...errors import PainterlyError
from ...media.images import load_alpha, load_image
from .jobs import digest

PAINTERS_KEPT = 8  # painters a process keeps (most recently used): each holds its paintings' Gram matrices


@dataclass
class Task:
    """One job as it travels to whoever paints it: plain data, picklable, no paths that must exist there."""

    name: str  # the result's name, for messages
    photo_name: str  # the photo as the user named it, for messages
    photo: bytes
    painting_names: tuple[str, ...]  # file names (the suffix tells the format); the bytes travel separately
    config: dict  # StyleConfig.to_dict(); "mask" and a file "init" are replaced by the bytes in `files`
    files: dict[str, bytes] = field(default_factory=dict)  # "mask" / "init" -> that file's bytes
    file_names: dict[str, str] = field(default_factory=dict)  # their names, for the suffix and messages
    start: bytes | None = None  # a stopped run's partial result; config["done_iterations"] says how far it got
    alpha: bool = False  # --alpha keep: the photo's alpha channel goes into the result
    threads: int = 0  # torch threads; 0 = leave as they are
    video: bool = False  # `photo` holds a video: its frames are painted in order, with temporal consistency


def failure(reason: str, **figures) -> dict:
    return {"status": "failed", "reason": reason, **figures}


class PainterCache:
    """The network and the painters one process has built, kept for its next jobs. Thread-safe: a Dask worker
    with several threads runs several tasks in one process."""

    def __init__(self, kept: int = PAINTERS_KEPT) -> None:
        self.kept = kept
        self.models: dict[tuple, torch.nn.Module] = {}
        self.painters: OrderedDict[tuple, Painter] = OrderedDict()
        self.lock = threading.Lock()
        self.folder = Path(tempfile.mkdtemp(prefix="painterly-batch-"))
        atexit.register(shutil.rmtree, self.folder, ignore_errors=True)
        self.models_loaded = 0
        self.painters_built = 0

    def file(self, data: bytes, name: str) -> Path:
        """The bytes as a file (named by their hash, keeping the suffix that tells the format): the image
        readers take paths, and reading a file is how they refuse unsafe formats."""
        folder = self.folder / digest(data)[:24]
        path = folder / (Path(name).name or "image")
        if not path.is_file():
            folder.mkdir(exist_ok=True)
            tmp = folder / f".{os.getpid()}.{threading.get_ident()}.tmp"
            tmp.write_bytes(data)
            tmp.replace(path)
        return path

    def model(self, config: StyleConfig) -> torch.nn.Module:
        key = model_key(config)
        if key not in self.models:
            self.models[key] = load_model(config)
            self.models_loaded += 1
        return self.models[key]

    def painter(
        self, paintings: list[bytes], names: tuple[str, ...], config: StyleConfig, keep: bool = True
    ) -> tuple[Painter, bool]:
        """The Painter of these paintings with this config, and whether it was built before (reused). A painter
        that no other job will ask for (a stopped run's continuation starts from its own image) is not kept."""
        key = (tuple(digest(p) for p in paintings), repr(sorted(config.to_dict().items())))
        with self.lock:
            if key in self.painters:
                self.painters.move_to_end(key)
                return self.painters[key], True
            styles = [self.file(data, name) for data, name in zip(paintings, names)]
            painter = Painter(styles, config, model=self.model(config))
            self.painters_built += 1
            if not keep:
                return painter, False
            self.painters[key] = painter
            while len(self.painters) > self.kept:
                self.painters.popitem(last=False)
            return painter, False


def _config(task: Task, cache: PainterCache, scratch: Path) -> StyleConfig:
    data = dict(task.config)
    for name, content in task.files.items():
        data[name] = str(cache.file(content, task.file_names.get(name, name)))
    if task.start is not None:  # continue a stopped run, as `painterly --resume` does
        start = scratch / f"{task.name}.partial.png"
        start.write_bytes(task.start)
        data["init"], data["noise_ratio"] = str(start), 0.0
    return StyleConfig.from_dict(data)


def _one_line(text: str, task: Task, cache: PainterCache, photo: Path) -> str:
    """A reason for the report: one line, naming the user's files rather than this process's copies of them."""
    text = " ".join(str(text).split()).replace(str(photo), task.photo_name)
    text = re.sub(re.escape(str(cache.folder)) + r"/[^/'\"\s]+/", "", text)
    return text if len(text) <= 300 else text[:297] + "..."


def _video_plan(source: Path, config: StyleConfig) -> tuple:
    """Probe a video job's input (a file that is not a video fails here, before a painter is built) and fix its
    frame size: even, as H.264 needs, with config.size set to it so every frame is painted at exactly that size."""
    from ...media.video import even_size, probe

    info = probe(source)
    size = even_size(info.width, info.height, config.size)
    config.size = max(size)
    return info, size


def _paint_video(
    painter: Painter, info, size: tuple[int, int], output: Path, callback: Callable[[Progress], bool]
) -> int | None:
    """Paint every frame of a video in order with temporal consistency (the defaults of `painterly video`) into
    `output`, audio copied; the number of frames, or None when stopped (nothing is left at `output` then)."""
    from ...engine.temporal import paint_timed_frames
    from ...media.video import VideoWriter, read_frames

    stopped = False

    def relay(index: int, progress: Progress) -> bool:
        nonlocal stopped
        stopped = bool(callback(progress))
        return stopped

    count = 0
    audio = info.path if info.audio else None
    with VideoWriter(output, size, info.frame_rate, info.time_base, audio_from=audio) as writer:
        for frame, stylised in paint_timed_frames(painter, read_frames(info), size, callback=relay):
            writer.write(stylised, frame.pts)
            count += 1
        if stopped:
            writer.abort()
            return None
        if count == 0:
            raise PainterlyError("the video has no frames")
    return count


def paint_task(
    task: Task,
    paintings: list[bytes],
    cache: PainterCache,
    should_stop: Callable[[], bool] = lambda: False,
    on_progress: Callable[[Progress], None] | None = None,
) -> dict:
    """Paint one task; never raises for a problem of this job alone (a bad photo, out of memory): the answer says
    failed, with a one-line reason, and the batch goes on. `should_stop()` is asked every iteration; when it says
    yes the best image so far comes back as status "stopped", to be continued by the next run."""
    started = time.perf_counter()
    figures: dict = {"worker": f"{socket.gethostname()}:{os.getpid()}"}
    if should_stop():
        return {"status": "cancelled", "reason": "stopped before it began", **figures}
    if task.threads:
        torch.set_num_threads(task.threads)
    last: list[Progress] = []

    def callback(progress: Progress) -> bool:
        last[:] = [progress]
        if on_progress is not None:
            on_progress(progress)
        return should_stop()

    scratch = Path(tempfile.mkdtemp(prefix="job-", dir=cache.folder))  # this task's own: tasks may run at once
    photo = scratch / (Path(task.photo_name).name or "photo")
    try:
        painted = _paint_in(scratch, photo, task, paintings, cache, figures, callback)
        if painted is None:  # a stopped video: it has no partial result; the next run paints it again
            seconds = time.perf_counter() - started
            return {"status": "cancelled", "reason": "stopped; the next run paints it again", "seconds": seconds}
    except PainterlyError as exc:
        return _failed(str(exc), task, cache, photo, started, figures)
    except (MemoryError, RuntimeError) as exc:  # torch's out-of-memory (CUDA's is a RuntimeError) and op failures
        reason = _runtime_reason(exc)
        _free_memory()
        return _failed(reason, task, cache, photo, started, figures)
    except OSError as exc:  # this process's temporary files (a full disk): the job fails, the batch goes on
        return _failed(f"cannot write a temporary file: {exc.strerror or exc}", task, cache, photo, started, figures)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    progress = last[-1] if last else None
    stopped = progress is not None and progress.iteration < progress.iterations and should_stop()
    return _answer(figures, task, painted, progress, stopped, started)


def _paint_in(
    scratch: Path,
    photo: Path,
    task: Task,
    paintings: list[bytes],
    cache: PainterCache,
    figures: dict,
    callback: Callable[[Progress], bool],
) -> tuple[bytes, tuple[int, int], int] | None:
    """Paint the task with its files written into `scratch` and the painter's figures added to `figures`: the
    result's bytes, its size and its frames (0 for a photo), or None for a video that was stopped. Raises for a
    problem of this job; `figures` then says as much as was known."""
    photo.write_bytes(task.photo)
    config = _config(task, cache, scratch)
    if task.video:
        info, frame_size = _video_plan(photo, config)
    else:
        load_image(photo)  # a photo that cannot be read fails here, before a network or painter is built for it
    painter, reused = cache.painter(paintings, task.painting_names, config, keep=task.start is None)
    figures.update(engine="reused" if reused else "new", device=painter.device.type, precision=painter.precision)
    figures.update(precision_reason=painter.precision_reason)
    if task.video:
        frames = _paint_video(painter, info, frame_size, scratch / "result.mp4", callback)
        if frames is None:
            return None
        return (scratch / "result.mp4").read_bytes(), frame_size, frames
    data, size = _paint_image(painter, photo, task.alpha, callback)
    return data, size, 0


def _paint_image(
    painter: Painter, photo: Path, alpha: bool, callback: Callable[[Progress], bool]
) -> tuple[bytes, tuple[int, int]]:
    """Paint a photo (its alpha channel put back with --alpha keep): the PNG's bytes and its size."""
    image = painter.paint(photo, callback)
    if alpha:
        mask = load_alpha(photo)
        if mask is not None:
            image.putalpha(mask.resize(image.size))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue(), image.size


def _runtime_reason(exc: BaseException) -> str:
    """Why torch failed, saying "out of memory" when it was (CUDA's out-of-memory is a RuntimeError)."""
    text = str(exc) or type(exc).__name__
    return f"out of memory ({text})" if isinstance(exc, MemoryError) or "out of memory" in text else text


def _free_memory() -> None:
    """Give back what a failed job held, so that the next job of this process has the memory it had."""
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _failed(reason: str, task: Task, cache: PainterCache, photo: Path, started: float, figures: dict) -> dict:
    """A failed job's answer: its one-line reason, its time and the figures known when it failed."""
    return failure(_one_line(reason, task, cache, photo), seconds=time.perf_counter() - started, **figures)


def _answer(
    figures: dict,
    task: Task,
    painted: tuple[bytes, tuple[int, int], int],
    progress: Progress | None,
    stopped: bool,
    started: float,
) -> dict:
    """A painted job's answer: done, or stopped (its best image so far, for the next run to continue)."""
    data, size, frames = painted
    figures.update(
        status="stopped" if stopped else "done",
        reason="stopped; the next run continues it" if stopped else "",
        data=data,
        size=list(size),
        frames=frames,
        iterations_done=progress.iteration if progress else task.config.get("done_iterations", 0),
        iterations=progress.iterations if progress else 0,
        losses=progress.losses if progress else {},
        seconds=time.perf_counter() - started,
    )
    return figures
