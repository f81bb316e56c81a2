"""`painterly studio`: a local web page on the same engine, with a live preview.

The HTTP side is Starlette on uvicorn; progress reaches the page by server-sent events (one stream per page,
one message per changed job). Starlette is imported only here and only when the command runs, so painterly
without the studio extra still works and this command says what to install.

Safe by default, because a local server is reachable by every web page the user visits:
- it listens on 127.0.0.1 unless told otherwise (and then warns);
- a request whose Host header is not this server's is refused (a DNS-rebinding page names its own host);
- a POST whose Origin header names another site is refused (a cross-site form or fetch);
- uploads are capped (Content-Length first, then the bytes actually read), go through the CLI's image loader,
  and files are found only by ids the server made.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import re
import socket
import sys
import threading
import time
import webbrowser
from collections.abc import Sequence
from dataclasses import fields
from importlib import resources
from pathlib import Path

from ... import config as config_module
from ...config import COLOR_MODES, DEVICES, INITS, OPTIMIZERS, PRECISIONS, StyleConfig
from ...errors import PainterlyError
from ...layers import LAYER_NAMES, POOLINGS
from ..options import Parser
from .jobs import Job, JobQueue
from .store import EXAMPLES, KINDS, Store, checked_id, default_folder, display_name, new_id

EXTRA_HINT = "painterly studio needs the studio extra: pip install 'painterly[studio]'"
STATIC = {"index.html": "text/html", "studio.css": "text/css", "studio.js": "text/javascript"}
# Settings the page may not send: they name files on the server, or are set by the studio itself (resume).
SERVER_ONLY = frozenset({"weights", "weights_format", "mask", "done_iterations"})
UPLOAD_DRAIN = 4  # a body up to this many times the limit is read (and dropped) so the browser sees the 413
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
}
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")

log = logging.getLogger("painterly.studio")


class UploadTooLarge(Exception):
    pass


def parse_args(argv: Sequence[str]):
    p = Parser(
        prog="painterly studio",
        description="A local web studio: pick a photo and paintings, watch the picture form, stop, change, repeat.",
    )
    p.add_argument("--port", type=int, default=8765, help="port to listen on (0 = any free port)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on; anything but 127.0.0.1 is exposed")
    p.add_argument("--no-browser", action="store_true", help="do not open the page in a browser")
    p.add_argument("--out", metavar="DIR", help=f"the studio folder for uploads and results [{default_folder()}]")
    p.add_argument("--max-upload-mb", type=float, default=25.0, help="largest upload accepted, in MB")
    args = p.parse_args(argv)
    if not 0 <= args.port <= 65535:
        raise PainterlyError(f"--port must be from 0 to 65535, got {args.port}")
    if not args.max_upload_mb > 0:
        raise PainterlyError(f"--max-upload-mb must be positive, got {args.max_upload_mb}")
    return args


# The request -> a StyleConfig


def _field_types() -> dict[str, str]:
    return {f.name: str(f.type) for f in fields(StyleConfig) if f.name not in SERVER_ONLY}


def _coerce(name: str, value, annotation: str):
    """One form value as the type StyleConfig's field wants (the page sends numbers as numbers, lists as
    comma-separated text); StyleConfig's own validation then checks the range."""
    optional = "None" in annotation
    if value is None or (isinstance(value, str) and not value.strip()):
        if optional:
            return None
        raise PainterlyError(f"{name} needs a value")
    kind = annotation.split("|")[0].strip()
    try:
        if kind.startswith("tuple"):
            items = value if isinstance(value, list) else [p.strip() for p in str(value).split(",") if p.strip()]
            return tuple(float(v) for v in items) if "float" in kind else tuple(str(v) for v in items)
        if kind == "bool":
            if isinstance(value, bool):
                return value
            raise ValueError
        if kind == "int":
            number = float(value) if not isinstance(value, int) or isinstance(value, bool) else value
            if isinstance(number, bool) or not float(number).is_integer():
                raise ValueError
            return int(number)
        if kind == "float":
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        if kind == "str":
            if not isinstance(value, str):
                raise ValueError
            return value
    except (TypeError, ValueError):
        wanted = "a whole number" if kind == "int" else "a number" if kind == "float" else f"a {kind}"
        raise PainterlyError(f"{name} must be {wanted}, got {value!r}") from None
    return value


def config_from_request(body: dict, store: Store) -> tuple[StyleConfig, Path, list[Path], dict, dict]:
    """The validated StyleConfig, the photo, the paintings, the uploads' names, and the request as kept.

    Every file is named by an upload id; every setting is checked by StyleConfig (PainterlyError -> 400)."""
    if not isinstance(body, dict):
        raise PainterlyError("the request must be a JSON object")
    photo_id, painting_ids = body.get("photo"), body.get("paintings") or []
    mask_id, blend, settings = body.get("mask") or None, body.get("blend"), body.get("settings") or {}
    if not photo_id:
        raise PainterlyError("choose a photo first")
    if not isinstance(painting_ids, list) or not painting_ids:
        raise PainterlyError("choose at least one painting")
    if not isinstance(settings, dict):
        raise PainterlyError("settings must be a JSON object")
    names = {}

    def upload(upload_id, what: str) -> Path:
        path = store.upload_path(upload_id) if isinstance(upload_id, str) else None
        if path is None:
            raise PainterlyError(f"the {what} is no longer on the server; choose it again")
        names[upload_id] = (store.upload(upload_id) or {}).get("name", "upload")
        return path

    photo = upload(photo_id, "photo")
    paintings = [upload(p, "painting") for p in painting_ids]
    types = _field_types()
    values = {}
    for name, value in settings.items():
        if name not in types:
            raise PainterlyError(f"unknown setting '{name}'")
        values[name] = _coerce(name, value, types[name])
    if values.get("init", "content") not in INITS:
        raise PainterlyError(f"start from must be one of: {', '.join(INITS)}")
    if mask_id:
        values["mask"] = str(upload(mask_id, "mask"))
    elif blend is not None:
        values["style_blend"] = _coerce("style_blend", blend, types["style_blend"])
    try:
        config = StyleConfig(**values)
    except TypeError as exc:  # only if a field was renamed under us
        raise PainterlyError(f"bad settings: {exc}") from None
    config.normalised_style_blend(len(paintings))
    if config.mask and config.mask_colors is not None and len(config.mask_colors) < len(paintings):
        raise PainterlyError(f"{len(config.mask_colors)} mask colours given for {len(paintings)} paintings")
    request = {
        "photo": photo_id,
        "paintings": list(painting_ids),
        "blend": list(config.style_blend) if config.style_blend else None,
        "mask": mask_id,
        "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in values.items() if k in types},
    }
    return config, photo, paintings, names, request


def gallery_entry(record: dict, store: Store) -> dict:
    """A result as the gallery shows it: its settings (as the form sent them) and whether it can go on."""
    studio = record.get("studio") or {}
    request = studio.get("request") or {}
    ids = [request.get("photo"), *(request.get("paintings") or []), request.get("mask")]
    uploads = {i: store.upload(i) for i in ids if isinstance(i, str) and checked_id(i)}
    present = all(uploads.get(i) for i in ids if i)
    state = studio.get("state", "done")
    return {
        "id": record["id"],
        "state": state,
        "finished": studio.get("finished"),
        "size": studio.get("size"),
        "iterations_done": record.get("iterations_done"),
        "iterations": studio.get("iterations"),
        "elapsed": studio.get("elapsed"),
        "note": studio.get("note", ""),
        "resumed_from": studio.get("resumed_from"),
        "request": request,
        "uploads": {i: u for i, u in uploads.items() if u},
        "resumable": state == "stopped" and present,
    }


# HTTP


def allowed_hosts(host: str, port: int) -> set[str]:
    """The Host header values a browser sends for this server. A wildcard bind adds this machine's names."""
    names = {"localhost", "127.0.0.1", "[::1]"}
    wildcard = host in ("0.0.0.0", "::", "")
    extra = [host] if not wildcard else []
    if wildcard:
        try:
            extra += [socket.gethostname(), socket.getfqdn()]
            extra += socket.gethostbyname_ex(socket.gethostname())[2]
        except OSError:
            pass
    for name in extra:
        try:
            name = f"[{name}]" if ipaddress.ip_address(name).version == 6 else name
        except ValueError:
            pass
        names.add(name.lower())
    return {f"{n}:{port}" for n in names} | (names if port == 80 else set())


class Guard:
    """ASGI middleware: refuses foreign Host headers (DNS rebinding) and foreign Origins on state-changing
    requests, and adds the security headers to every response."""

    def __init__(self, app, hosts: set[str]) -> None:
        self.app = app
        self.hosts = hosts
        self.origins = {f"http://{h}" for h in hosts}

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "").lower()
        if host not in self.hosts:
            return await _plain(send, 400, "unknown Host header: this studio answers only to its own address")
        origin = headers.get("origin")
        if scope.get("method") in ("POST", "PUT", "PATCH", "DELETE") and origin is not None:
            if origin.lower() not in self.origins:
                return await _plain(send, 403, "cross-origin request refused")

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                extra = [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _plain(send, status: int, text: str) -> None:
    body = json.dumps({"error": text}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Hub:
    """Wakes the event streams when the worker thread changes a job (the thread hands the wake-up to the loop)."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.event: asyncio.Event | None = None

    def start(self) -> None:
        self.loop, self.event = asyncio.get_running_loop(), asyncio.Event()

    def notify(self) -> None:
        if self.loop is not None:
            try:
                self.loop.call_soon_threadsafe(self._fire)
            except RuntimeError:  # the loop closed during shutdown
                pass

    def _fire(self) -> None:
        event, self.event = self.event, asyncio.Event()
        event.set()


def build_app(store: Store, max_upload_bytes: int, hosts: set[str]):
    """The studio's ASGI app (Starlette, wrapped in Guard). Starlette is imported here, not at module level."""
    try:
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
        from starlette.routing import Route
    except ImportError:
        raise PainterlyError(EXTRA_HINT) from None
    from starlette.concurrency import run_in_threadpool

    hub = Hub()
    queue = JobQueue(store, notify=hub.notify)
    static = {name: (resources.files(__package__) / "static" / name).read_bytes() for name in STATIC}

    def error(message: str, status: int = 400) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    def not_found() -> JSONResponse:
        return error("not found", 404)

    def mb(n: float) -> str:
        return f"{n / 1e6:.1f} MB"

    too_large = f"the file is over the studio's upload limit of {mb(max_upload_bytes)} (--max-upload-mb)"

    async def index(request: Request) -> Response:
        return Response(static["index.html"], media_type="text/html; charset=utf-8")

    async def static_file(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return not_found()
        media = f"{STATIC[name]}; charset=utf-8"
        return Response(static[name], media_type=media, headers={"Cache-Control": "no-cache"})

    async def state(request: Request) -> Response:
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
                "max_upload_bytes": max_upload_bytes,
                "strength_log_range": getattr(config_module, "STRENGTH_LOG_RANGE", None),
                "defaults": defaults,
                "choices": choices,
                "examples": [{"name": n, "kind": k} for n, k in EXAMPLES.items()],
                "jobs": queue.summaries(),
                "results": [gallery_entry(r, store) for r in store.results_list()],
                "folder": str(store.folder),
            }
        )

    async def read_body(request: Request) -> bytes:
        """The body, refused past the limit: by Content-Length before reading, and by the bytes read."""
        declared = request.headers.get("content-length")
        try:
            declared_bytes = int(declared) if declared is not None else None
        except ValueError:
            declared_bytes = None
        if declared_bytes is not None and declared_bytes > UPLOAD_DRAIN * max_upload_bytes:
            raise UploadTooLarge  # not read at all: the connection is closed after the answer
        body, seen = bytearray(), 0
        async for chunk in request.stream():
            seen += len(chunk)
            if seen <= max_upload_bytes:
                body += chunk
            elif seen > UPLOAD_DRAIN * max_upload_bytes:
                break
        if seen > max_upload_bytes or (declared_bytes or 0) > max_upload_bytes:
            raise UploadTooLarge
        return bytes(body)

    async def upload(request: Request) -> Response:
        try:
            body = await read_body(request)
        except UploadTooLarge:
            return error(too_large, 413)
        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        try:
            form = await Request(request.scope, replay).form(max_files=1, max_fields=4)
        except Exception:  # python-multipart's and Starlette's parse errors
            return error("the upload is not a multipart form with one file")
        item, kind = form.get("file"), form.get("kind", "photo")
        if item is None or isinstance(item, str):
            await form.close()
            return error("the upload has no file")
        if kind not in KINDS:
            await form.close()
            return error(f"unknown upload kind; choose one of: {', '.join(KINDS)}")
        name = display_name(item.filename)
        suffix = Path(name).suffix if re.fullmatch(r"\.[A-Za-z0-9]{1,5}", Path(name).suffix) else ".bin"
        raw = store.uploads / f".incoming-{new_id()}{suffix.lower()}"
        try:
            data = await item.read()
            await form.close()
            await run_in_threadpool(raw.write_bytes, data)
            record = await run_in_threadpool(store.add_upload, raw, name, kind)
        except PainterlyError as exc:
            return error(str(exc))
        except OSError as exc:
            return error(f"cannot keep the upload: {exc.strerror or exc}", 500)
        finally:
            raw.unlink(missing_ok=True)
        return JSONResponse(record, status_code=201)

    async def use_example(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in EXAMPLES:
            return not_found()
        try:
            return JSONResponse(await run_in_threadpool(store.add_example, name), status_code=201)
        except PainterlyError as exc:
            return error(str(exc), 500)

    async def example_image(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in EXAMPLES:
            return not_found()
        media = "image/png" if name.endswith(".png") else "image/jpeg"
        return Response(store.example_bytes(name), media_type=media, headers={"Cache-Control": "max-age=3600"})

    async def upload_info(request: Request) -> Response:
        record = store.upload(request.path_params["id"])
        return JSONResponse(record) if record else not_found()

    async def upload_image(request: Request) -> Response:
        what = request.path_params["what"]
        if what not in ("image", "thumb"):
            return not_found()
        path = store.upload_path(request.path_params["id"], thumb=what == "thumb")
        return FileResponse(path) if path else not_found()

    async def list_jobs(request: Request) -> Response:
        return JSONResponse(queue.summaries())

    async def submit(request: Request) -> Response:
        if "application/json" not in request.headers.get("content-type", ""):
            return error("send the job as JSON", 415)
        try:
            body = json.loads(await request.body())
        except ValueError:
            return error("the request is not valid JSON")
        try:
            config, photo, paintings, names, kept = config_from_request(body, store)
            job = queue.submit(Job(kept, config, photo, paintings, names))
        except PainterlyError as exc:
            return error(str(exc))
        return JSONResponse(queue.summary(job), status_code=201)

    def job_of(request: Request) -> Job | None:
        job_id = checked_id(request.path_params["id"])
        return queue.get(job_id) if job_id else None

    async def job_info(request: Request) -> Response:
        job = job_of(request)
        return JSONResponse(queue.summary(job)) if job else not_found()

    async def stop(request: Request) -> Response:
        job = job_of(request)
        if job is None:
            return not_found()
        queue.stop(job.id)
        return JSONResponse(queue.summary(job))

    async def preview(request: Request) -> Response:
        job = job_of(request)
        data = queue.preview(job.id) if job else None
        if data is None:
            return not_found()
        return Response(data, media_type="image/jpeg", headers={"Cache-Control": "no-store"})

    async def events(request: Request) -> Response:
        async def stream():
            yield "retry: 1000\n\n"
            # The stream opens with every job, then sends each change after it, on one ordered channel. A page
            # that fetched the list separately could take an answer computed before a Stop after the Stop's event.
            wake = hub.event  # taken before reading, so a change after the read wakes this loop
            snapshot = queue.summaries()
            seen = {summary["id"]: summary["version"] for summary in snapshot}
            yield f"event: jobs\ndata: {json.dumps(snapshot)}\n\n"
            while True:  # ends when the page goes (Starlette cancels it) or the server stops
                try:
                    await asyncio.wait_for(wake.wait(), timeout=15)
                except asyncio.TimeoutError:
                    yield ": still here\n\n"
                wake = hub.event
                for summary in queue.summaries(since=seen):
                    seen[summary["id"]] = summary["version"]
                    yield f"event: job\ndata: {json.dumps(summary)}\n\n"

        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)

    async def results(request: Request) -> Response:
        return JSONResponse([gallery_entry(r, store) for r in store.results_list()])

    def result_file(suffix: str):
        async def endpoint(request: Request) -> Response:
            result_id = checked_id(request.path_params["id"])
            path = store.result_path(result_id, suffix) if result_id and store.result(result_id) else None
            if path is None:
                return not_found()
            if suffix == ".thumb.jpg":
                return FileResponse(path)
            return FileResponse(path, filename=f"painterly_{result_id[:8]}{suffix}", content_disposition_type="inline")

        return endpoint

    async def resume(request: Request) -> Response:
        result_id = checked_id(request.path_params["id"])
        record = store.result(result_id) if result_id else None
        if record is None:
            return not_found()
        entry = gallery_entry(record, store)
        if entry["state"] != "stopped":
            return error("only a stopped result can be resumed; this one finished")
        try:
            config, photo, paintings, names, kept = config_from_request(entry["request"], store)
            saved = StyleConfig.from_dict(record["config"])
            config.start_size, config.start_iterations = saved.start_size, saved.start_iterations
            config.iterations, config.size = saved.iterations, saved.size
            config.init, config.noise_ratio = str(store.result_image_path(result_id)), 0.0
            config.done_iterations = int(record.get("iterations_done") or 0)
            config.validate()
        except (PainterlyError, KeyError, TypeError, ValueError) as exc:
            return error(f"cannot resume this result: {exc}")
        job = queue.submit(Job(kept, config, photo, paintings, names, resumed_from=result_id))
        return JSONResponse(queue.summary(job), status_code=201)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        hub.start()
        yield
        await run_in_threadpool(queue.close)  # the running job stops as Stop does: its best image is saved

    routes = [
        Route("/", index),
        Route("/static/{name}", static_file),
        Route("/api/state", state),
        Route("/api/uploads", upload, methods=["POST"]),
        Route("/api/uploads/{id}", upload_info),
        Route("/api/uploads/{id}/{what:str}", upload_image),
        Route("/api/examples/{name}", example_image),
        Route("/api/examples/{name}", use_example, methods=["POST"]),
        Route("/api/jobs", list_jobs),
        Route("/api/jobs", submit, methods=["POST"]),
        Route("/api/jobs/{id}", job_info),
        Route("/api/jobs/{id}/stop", stop, methods=["POST"]),
        Route("/api/jobs/{id}/preview", preview),
        Route("/api/events", events),
        Route("/api/results", results),
        Route("/api/results/{id}/resume", resume, methods=["POST"]),
        Route("/api/results/{id}.png", result_file(".png")),
        Route("/api/results/{id}.json", result_file(".json")),
        Route("/api/results/{id}/thumb", result_file(".thumb.jpg")),
    ]
    return Guard(Starlette(routes=routes, lifespan=lifespan), hosts)


def _listen(host: str, port: int) -> socket.socket:
    """Bind before starting uvicorn, so a taken port is one clear line (and --port 0 gets a free one)."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(64)
    except OSError as exc:
        raise PainterlyError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another --port") from None
    return sock


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    try:
        import starlette  # noqa: F401
        import uvicorn
    except ImportError:
        raise PainterlyError(EXTRA_HINT) from None
    store = Store(Path(args.out).expanduser() if args.out else default_folder())
    if args.host not in LOCAL_HOSTS:
        print(
            f"painterly: warning: --host {args.host} makes the studio reachable from other machines; it has no "
            "login, so anyone who can reach it can upload images and use this computer's time",
            file=sys.stderr,
        )
    sock = _listen(args.host, args.port)
    port = sock.getsockname()[1]
    app = build_app(store, int(args.max_upload_mb * 1e6), allowed_hosts(args.host, port))
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "") else f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{shown}:{port}/"
    logging.basicConfig(level=logging.INFO, format="painterly studio: %(message)s")
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=3, lifespan="on")
    server = uvicorn.Server(config)
    print(f"painterly studio: {url} (results in {store.folder}; Ctrl-C to stop)", flush=True)
    if not args.no_browser:

        def open_when_ready() -> None:
            for _ in range(200):
                if server.started:
                    webbrowser.open(url)
                    return
                time.sleep(0.05)

        threading.Thread(target=open_when_ready, daemon=True).start()
    server.run(sockets=[sock])
    return 0
