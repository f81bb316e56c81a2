"""`painterly batch --scheduler tcp://HOST:8786`: the batch's jobs as tasks on an existing Dask cluster.

What travels: each task carries its photo's bytes (read by this client) and the job's settings; each painting is
sent once, as a small task of its own that returns its bytes, so it reaches every worker that needs it once and,
if a worker dies, is simply sent again. The answer is the result's PNG bytes and its figures. Only this client
writes OUTDIR: no shared filesystem is assumed.

On a worker: `paint_on_worker` keeps a `PainterCache` on the Dask worker object itself, so each worker process
loads the network once and keeps the Painter of every painting it has painted with (its Gram matrices measured
once per size). torch's threads are set per task: Dask's nanny starts workers with OMP_NUM_THREADS=1, which would
leave torch on one core; by default a task takes the machine's cores divided by the worker's threads
(`--worker-threads` sets it).

Failures: a task that raises is retried (`retries`), and the scheduler reruns the tasks of a worker that dies
on the other workers. A problem of the job itself (an unreadable photo, out of memory) is not an exception: the
task answers "failed" with the reason, and the batch goes on.

Ctrl-C: the client sets a Dask Event; running tasks see it within a second, stop and send back their best image
so far (saved as a partial result that the next run continues); tasks not yet begun answer at once.

Dask is imported only here, and this module only when --scheduler is given.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ...errors import PainterlyError
from .jobs import Job, digest
from .worker import PainterCache, Task, failure, paint_task

STOP_CHECK_SECONDS = 1.0  # how often a running task asks the scheduler whether the batch was stopped
_cache_lock = threading.Lock()  # guards creating a worker's cache, not the cache itself (it has its own lock)


def distributed() -> Any:
    """The `distributed` package, or a one-line error saying how to install it."""
    try:
        import distributed as dask_distributed
    except ImportError:
        raise PainterlyError(
            "--scheduler needs Dask's distributed scheduler: pip install 'painterly[cluster]'"
        ) from None
    return dask_distributed


def connect(address: str, gpu: bool, timeout: float = 10.0) -> Any:
    """A client of the scheduler at `address`; with `gpu`, checks that some worker offers the GPU resource (tasks
    asking for it would otherwise wait for ever)."""
    dask = distributed()
    try:
        client = dask.Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise PainterlyError(f"cannot reach the Dask scheduler at {address}: {' '.join(str(exc).split())}") from None
    if gpu:
        workers = client.scheduler_info().get("workers", {})
        if not any(info.get("resources", {}).get("GPU") for info in workers.values()):
            client.close()
            raise PainterlyError(
                f"--gpu: no worker of {address} offers a GPU; start GPU workers with "
                "'dask worker ADDRESS --nthreads 1 --resources GPU=1'"
            )
    return client


class _StopFlag:
    """Whether the client has stopped the batch, asked of the scheduler at most once per STOP_CHECK_SECONDS
    (painting iterations are far more frequent than that)."""

    def __init__(self, name: str) -> None:
        self.event = distributed().Event(name)
        self.next_check = 0.0
        self.stopped = False

    def __call__(self) -> bool:
        now = time.monotonic()
        if not self.stopped and now >= self.next_check:
            self.next_check = now + STOP_CHECK_SECONDS
            try:
                self.stopped = bool(self.event.is_set())
            except Exception:  # the scheduler is unreachable: keep painting; the client will decide
                pass
        return self.stopped


def paint_on_worker(task: Task, *paintings: bytes, stop: str | None = None) -> dict:
    """The task a Dask worker runs: one job, painted with this worker process's cached network and painters."""
    worker = distributed().get_worker()
    with _cache_lock:
        cache = getattr(worker, "painterly_cache", None)
        if cache is None:
            cache = PainterCache()
            worker.painterly_cache = cache
    if not task.threads:
        task.threads = max(1, (os.cpu_count() or 1) // max(1, int(getattr(worker, "nthreads", 1) or 1)))
    result = paint_task(task, list(paintings), cache, _StopFlag(stop) if stop else (lambda: False))
    result.update(threads=task.threads, models_loaded=cache.models_loaded, painters_built=cache.painters_built)
    return result


def _painting_bytes(data: bytes) -> bytes:
    """A painting as a task's result: its bytes live in the task itself, so a worker that dies loses nothing
    that cannot be sent again."""
    return data


class _ClusterBatch:
    """One `run_on_cluster`: the jobs waiting here, the tasks running on the cluster and the paintings sent to it."""

    def __init__(
        self,
        client: Any,
        jobs: Iterable[Job],
        make_task: Callable[[Job], tuple[Task, list[Path]]],
        read_painting: Callable[[Path], bytes],
        finish: Callable[[Job, dict], None],
        gpu: bool,
        retries: int,
    ) -> None:
        dask = distributed()
        self.client = client
        self.make_task, self.read_painting, self.finish = make_task, read_painting, finish
        self.retries = retries
        self.token = uuid.uuid4().hex[:12]
        self.stop_event = dask.Event(f"painterly-stop-{self.token}", client=client)
        self.resources = {"GPU": 1} if gpu else None
        self.paintings: dict[Path, Any] = {}
        self.queue = deque(jobs)
        self.running: dict[Any, Job] = {}
        self.stopping = False
        self.count = 0

    def run(self, should_stop: Callable[[], bool], on_poll: Callable[[int, int], None] | None) -> None:
        """Keep the window of running tasks full and finish each as it comes back, until every job has been
        answered or, once stopped, every running task has."""
        while self.queue or self.running:
            if should_stop():
                self.stop()
            self.fill()
            if self.stopping and not self.running:
                break
            done = [future for future in self.running if future.done()]
            if on_poll is not None:
                on_poll(len(self.running), len(self.client.nthreads()))
            if not done:
                time.sleep(0.2)
                continue
            for future in done:
                self.collect(future)

    def stop(self) -> None:
        """Begin no more jobs, and tell the running tasks (once) to send back their best image so far."""
        if not self.stopping:
            self.stopping = True
            self.stop_event.set()

    def fill(self) -> None:
        """Submit waiting jobs until twice as many tasks run as the cluster has threads (at least two): this
        client holds only a window of photos in memory, and workers that join later get work."""
        window = max(2, 2 * sum(self.client.nthreads().values()))
        while self.queue and not self.stopping and len(self.running) < window:
            self.submit(self.queue.popleft())

    def submit(self, job: Job) -> None:
        try:
            task, painting_paths = self.make_task(job)
            futures = [self.painting_future(path) for path in painting_paths]
        except PainterlyError as exc:  # an unreadable photo fails its job here, before it travels
            self.finish(job, failure(str(exc)))
            return
        self.count += 1
        future = self.client.submit(
            paint_on_worker,
            task,
            *futures,
            stop=self.stop_event.name,
            key=f"painterly-{self.token}-{self.count:06d}",
            retries=self.retries,
            resources=self.resources,
        )
        self.running[future] = job

    def painting_future(self, path: Path) -> Any:
        """The task holding this painting's bytes, submitted at its first use: each painting travels once."""
        if path not in self.paintings:
            data = self.read_painting(path)
            key = f"painterly-painting-{digest(data)[:16]}-{self.token}"
            self.paintings[path] = self.client.submit(_painting_bytes, data, key=key, retries=self.retries)
        return self.paintings[path]

    def collect(self, future: Any) -> None:
        """Finish the job of a task that came back, with its answer or why the cluster could not give one."""
        job = self.running.pop(future)
        try:
            answer = future.result()
        except Exception as exc:  # lost with its workers more times than the scheduler allows, or cancelled
            answer = failure(f"the cluster could not run it: {type(exc).__name__}: {' '.join(str(exc).split())}")
        future.release()
        self.finish(job, answer)

    def release(self) -> None:
        """Cancel the tasks still running and let the scheduler forget the paintings and the stop Event."""
        for future in self.running:
            future.cancel()
        for future in self.paintings.values():
            future.release()
        try:
            self.stop_event.clear()  # the scheduler forgets an Event once it is clear and nobody waits on it
        except Exception:
            pass


def run_on_cluster(
    client: Any,
    jobs: Iterable[Job],
    make_task: Callable[[Job], tuple[Task, list[Path]]],
    read_painting: Callable[[Path], bytes],
    finish: Callable[[Job, dict], None],
    should_stop: Callable[[], bool],
    gpu: bool = False,
    retries: int = 2,
    on_poll: Callable[[int, int], None] | None = None,
) -> list[Job]:
    """Submit every job, at most twice as many at a time as the cluster has threads (so this client holds only
    a window of photos in memory, and workers that join later get work), and `finish(job, answer)` each as it
    comes back. Returns the jobs never begun because the batch was stopped."""
    batch = _ClusterBatch(client, jobs, make_task, read_painting, finish, gpu, retries)
    try:
        batch.run(should_stop, on_poll)
    finally:
        batch.release()
    return list(batch.queue)
