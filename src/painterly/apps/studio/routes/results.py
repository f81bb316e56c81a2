"""Results: the gallery's list, each result's files (image, settings, thumbnail), and resuming a stopped one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from ....config import StyleConfig
from ....errors import PainterlyError
from ..gallery import gallery_entry
from ..job_request import config_from_request
from ..jobs import Job, JobQueue
from ..store import Store, checked_id
from .replies import error, not_found


class ResultRoutes:
    """Serves the results in the studio folder; a resumed result becomes a new job on `queue`."""

    def __init__(self, store: Store, queue: JobQueue) -> None:
        self.store, self.queue = store, queue

    async def results(self, request: Request) -> Response:
        return JSONResponse([gallery_entry(r, self.store) for r in self.store.results_list()])

    def result_file(self, suffix: str) -> Callable[[Request], Awaitable[Response]]:
        """The endpoint for one of a result's files; the image and settings download as painterly_<id>."""

        async def endpoint(request: Request) -> Response:
            result_id = checked_id(request.path_params["id"])
            path = self.store.result_path(result_id, suffix) if result_id and self.store.result(result_id) else None
            if path is None:
                return not_found()
            if suffix == ".thumb.jpg":
                return FileResponse(path)
            return FileResponse(path, filename=f"painterly_{result_id[:8]}{suffix}", content_disposition_type="inline")

        return endpoint

    async def resume(self, request: Request) -> Response:
        """A stopped result goes on from its image, with its own schedule and the iterations it had done."""
        result_id = checked_id(request.path_params["id"])
        record = self.store.result(result_id) if result_id else None
        if record is None:
            return not_found()
        entry = gallery_entry(record, self.store)
        if entry["state"] != "stopped":
            return error("only a stopped result can be resumed; this one finished")
        try:
            config, photo, paintings, names, kept = config_from_request(entry["request"], self.store)
            saved = StyleConfig.from_dict(record["config"])
            config.start_size, config.start_iterations = saved.start_size, saved.start_iterations
            config.iterations, config.size = saved.iterations, saved.size
            config.init, config.noise_ratio = str(self.store.result_image_path(result_id)), 0.0
            config.done_iterations = int(record.get("iterations_done") or 0)
            config.validate()
        except (PainterlyError, KeyError, TypeError, ValueError) as exc:
            return error(f"cannot resume this result: {exc}")
        job = self.queue.submit(Job(kept, config, photo, paintings, names, resumed_from=result_id))
        return JSONResponse(self.queue.summary(job), status_code=201)
