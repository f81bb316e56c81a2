"""The page itself (index.html and its static files), what it opens with (/api/state), and the bundled examples."""

from __future__ import annotations

from importlib import resources

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .... import config as config_module
from ....config import COLOR_MODES, DEVICES, INITS, OPTIMIZERS, PRECISIONS, StyleConfig
from ....errors import PainterlyError
from ....layers import LAYER_NAMES, POOLINGS
from ..gallery import gallery_entry
from ..job_request import SERVER_ONLY
from ..jobs import JobQueue
from ..store import EXAMPLES, Store
from .replies import error, not_found

STATIC = {"index.html": "text/html", "studio.css": "text/css", "studio.js": "text/javascript"}
STUDIO_PACKAGE = __package__.rpartition(".")[0]  # static/ lies beside server.py, one package up


class PageRoutes:
    """Serves the page's files from memory (read once, at start) and the settings and lists it opens with."""

    def __init__(self, store: Store, queue: JobQueue, max_upload_bytes: int) -> None:
        self.store, self.queue, self.max_upload_bytes = store, queue, max_upload_bytes
        self.static = {name: (resources.files(STUDIO_PACKAGE) / "static" / name).read_bytes() for name in STATIC}

    async def index(self, request: Request) -> Response:
        return Response(self.static["index.html"], media_type="text/html; charset=utf-8")

    async def static_file(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return not_found()
        media = f"{STATIC[name]}; charset=utf-8"
        return Response(self.static[name], media_type=media, headers={"Cache-Control": "no-cache"})

    async def state(self, request: Request) -> Response:
        """The form's defaults and choices, the upload limit, and every job and result, for a page that opens."""
        defaults = {k: v for k, v in StyleConfig().to_dict().items() if k not in SERVER_ONLY}
        choices = {
            "precision": list(PRECISIONS),
            "init": list(INITS),
            "preserve_colors": list(COLOR_MODES),
            "device": list(DEVICES),
            "optimizer": list(OPTIMIZERS),
            "pooling": list(POOLINGS),
            "layers": list(LAYER_NAMES),
        }
        return JSONResponse(
            {
                "max_upload_bytes": self.max_upload_bytes,
                "strength_log_range": getattr(config_module, "STRENGTH_LOG_RANGE", None),
                "defaults": defaults,
                "choices": choices,
                "examples": [{"name": n, "kind": k} for n, k in EXAMPLES.items()],
                "jobs": self.queue.summaries(),
                "results": [gallery_entry(r, self.store) for r in self.store.results_list()],
                "folder": str(self.store.folder),
            }
        )

    async def use_example(self, request: Request) -> Response:
        """An example becomes an upload like any other (once: the store remembers it), so jobs name it by id."""
        name = request.path_params["name"]
        if name not in EXAMPLES:
            return not_found()
        try:
            return JSONResponse(await run_in_threadpool(self.store.add_example, name), status_code=201)
        except PainterlyError as exc:
            return error(str(exc), 500)

    async def example_image(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in EXAMPLES:
            return not_found()
        media = "image/png" if name.endswith(".png") else "image/jpeg"
        return Response(self.store.example_bytes(name), media_type=media, headers={"Cache-Control": "max-age=3600"})
