"""Jobs: asked for, looked at, stopped, previewed, and watched live on one server-sent event stream per page."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from ....errors import PainterlyError
from ... import untrusted_json
from ..hub import Hub
from ..job_request import config_from_request
from ..jobs import Job, JobQueue, QueueFull
from ..store import Store, checked_id
from .replies import error, not_found
from .uploads import ClientGone, UploadTooLarge, read_body

JOB_BODY_LIMIT = 64 * 1024  # a job is a few ids and settings: far below this, and never buffered past it
KEEPALIVE = 15  # seconds without a change after which the stream sends a comment line, to show it is alive


class JobRoutes:
    """The queue's face to the page. `hub` wakes the event streams when the worker thread changes a job."""

    def __init__(self, store: Store, queue: JobQueue, hub: Hub) -> None:
        self.store, self.queue, self.hub = store, queue, hub

    async def list_jobs(self, request: Request) -> Response:
        return JSONResponse(self.queue.summaries())

    async def submit(self, request: Request) -> Response:
        if "application/json" not in request.headers.get("content-type", ""):
            return error("send the job as JSON", 415)
        try:
            body = untrusted_json.loads(await read_body(request, JOB_BODY_LIMIT), limit=JOB_BODY_LIMIT)
        except UploadTooLarge:
            return error(f"the job request is over {JOB_BODY_LIMIT // 1024} KB", 413)
        except ClientGone:
            return Response(status_code=400)  # never sent: the client is gone
        except untrusted_json.BadJSON as exc:
            return error(f"the request cannot be read: {exc}")
        if not isinstance(body, dict):
            return error("the job must be a JSON object")
        try:
            config, photo, paintings, names, kept = config_from_request(body, self.store)
            job = self.queue.submit(Job(kept, config, photo, paintings, names))
        except QueueFull as exc:
            return error(str(exc), 429)
        except PainterlyError as exc:
            return error(str(exc))
        return JSONResponse(self.queue.summary(job), status_code=201)

    def _job_of(self, request: Request) -> Job | None:
        job_id = checked_id(request.path_params["id"])
        return self.queue.get(job_id) if job_id else None

    async def job_info(self, request: Request) -> Response:
        job = self._job_of(request)
        return JSONResponse(self.queue.summary(job)) if job else not_found()

    async def stop(self, request: Request) -> Response:
        job = self._job_of(request)
        if job is None:
            return not_found()
        self.queue.stop(job.id)
        return JSONResponse(self.queue.summary(job))

    async def preview(self, request: Request) -> Response:
        job = self._job_of(request)
        data = self.queue.preview(job.id) if job else None
        if data is None:
            return not_found()
        return Response(data, media_type="image/jpeg", headers={"Cache-Control": "no-store"})

    async def events(self, request: Request) -> Response:
        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        return StreamingResponse(self._stream(), media_type="text/event-stream", headers=headers)

    async def _stream(self) -> AsyncIterator[str]:
        yield "retry: 1000\n\n"
        # The stream opens with every job, then sends each change after it, on one ordered channel. A page
        # that fetched the list separately could take an answer computed before a Stop after the Stop's event.
        wake = self.hub.event  # taken before reading, so a change after the read wakes this loop
        snapshot = self.queue.summaries()
        seen = {summary["id"]: summary["version"] for summary in snapshot}
        yield f"event: jobs\ndata: {json.dumps(snapshot)}\n\n"
        while True:  # ends when the page goes (Starlette cancels it) or the server stops
            try:
                await asyncio.wait_for(wake.wait(), timeout=KEEPALIVE)
            except asyncio.TimeoutError:
                yield ": still here\n\n"
            wake = self.hub.event
            for summary in self.queue.summaries(since=seen):
                seen[summary["id"]] = summary["version"]
                yield f"event: job\ndata: {json.dumps(summary)}\n\n"
