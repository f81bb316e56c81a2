"""`painterly studio`: a local web page on the same engine, with a live preview.

The HTTP side is Starlette on uvicorn; progress reaches the page by server-sent events (one stream per page,
one message per changed job). Starlette is imported only when the command runs (routes/ imports it, and only
build_app imports routes/), so painterly without the studio extra still works and this command says what to
install.

Safe by default, because a local server is reachable by every web page the user visits:
- it listens on 127.0.0.1 unless told otherwise (and then warns);
- a request whose Host header is not this server's is refused (a DNS-rebinding page names its own host);
- a POST whose Origin header names another site is refused (a cross-site form or fetch);
- uploads are capped (Content-Length first, then the bytes actually read), go through the CLI's image loader,
  and files are found only by ids the server made.

This module reads the command line, assembles the app (routes and the Guard) and runs it; the handlers live in
routes/ (pages, uploads, jobs, results), the Host/Origin guard in guard.py.
"""

from __future__ import annotations

import contextlib
import logging
import re
import secrets
import socket
import sys
import threading
import time
import webbrowser
from collections.abc import Sequence
from pathlib import Path

from ...errors import PainterlyError
from ..options import Parser
from .guard import Guard, allowed_hosts
from .hub import Hub
from .jobs import JobQueue
from .store import Store, default_folder

EXTRA_HINT = "painterly studio needs the studio extra: pip install 'painterly[studio]'"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def parse_args(argv: Sequence[str]):
    p = Parser(
        prog="painterly studio",
        description="A local web studio: pick a photo and paintings, watch the picture form, stop, change, repeat.",
    )
    p.add_argument("--port", type=int, default=8765, help="port to listen on (0 = any free port)")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on; off 127.0.0.1 (0.0.0.0: every interface) the studio asks for a token",
    )
    p.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a name other machines reach this studio by (its DNS name or address), answered besides its own; "
        "repeat for several",
    )
    p.add_argument(
        "--token",
        help="the token a shared studio asks for [a random one, printed in the URL at start]; given with the "
        "default --host, loopback asks for it too",
    )
    p.add_argument("--no-browser", action="store_true", help="do not open the page in a browser")
    p.add_argument("--out", metavar="DIR", help=f"the studio folder for uploads and results [{default_folder()}]")
    p.add_argument("--max-upload-mb", type=float, default=25.0, help="largest upload accepted, in MB")
    args = p.parse_args(argv)
    if not 0 <= args.port <= 65535:
        raise PainterlyError(f"--port must be from 0 to 65535, got {args.port}")
    if not args.max_upload_mb > 0:
        raise PainterlyError(f"--max-upload-mb must be positive, got {args.max_upload_mb}")
    if args.token is not None and not re.fullmatch(r"[A-Za-z0-9._~-]{8,256}", args.token):
        raise PainterlyError("--token must be 8 to 256 letters, digits or . _ ~ - (it goes in a URL and a cookie)")
    for name in args.allow_host:
        if not name or any(c in name for c in "/ @?#"):
            raise PainterlyError(f"--allow-host takes a host name or address, got '{name}'")
    return args


def studio_token(args) -> str | None:
    """The token this studio asks for: the user's, or a random one off loopback; None on loopback by default."""
    if args.token is not None:
        return args.token
    return None if args.host in LOCAL_HOSTS else secrets.token_urlsafe(24)


def build_app(store: Store, max_upload_bytes: int, hosts: set[str], token: str | None = None, port: int = 0):
    """The studio's ASGI app (Starlette, wrapped in Guard). Starlette is imported here, not at module level."""
    try:
        from starlette.applications import Starlette
        from starlette.routing import Route
    except ImportError:
        raise PainterlyError(EXTRA_HINT) from None
    from starlette.concurrency import run_in_threadpool

    from .routes.jobs import JobRoutes
    from .routes.pages import PageRoutes
    from .routes.results import ResultRoutes
    from .routes.uploads import UploadRoutes

    hub = Hub()
    queue = JobQueue(store, notify=hub.notify)
    pages = PageRoutes(store, queue, max_upload_bytes)
    uploads = UploadRoutes(store, max_upload_bytes)
    jobs = JobRoutes(store, queue, hub)
    results = ResultRoutes(store, queue)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        hub.start()
        yield
        await run_in_threadpool(queue.close)  # the running job stops as Stop does: its best image is saved

    # Order matters where a path has two methods: Starlette takes the first route whose path and method match.
    routes = [
        Route("/", pages.index),
        Route("/static/{name}", pages.static_file),
        Route("/api/state", pages.state),
        Route("/api/uploads", uploads.upload, methods=["POST"]),
        Route("/api/uploads/{id}", uploads.upload_info),
        Route("/api/uploads/{id}/{what:str}", uploads.upload_image),
        Route("/api/examples/{name}", pages.example_image),
        Route("/api/examples/{name}", pages.use_example, methods=["POST"]),
        Route("/api/jobs", jobs.list_jobs),
        Route("/api/jobs", jobs.submit, methods=["POST"]),
        Route("/api/jobs/{id}", jobs.job_info),
        Route("/api/jobs/{id}/stop", jobs.stop, methods=["POST"]),
        Route("/api/jobs/{id}/preview", jobs.preview),
        Route("/api/events", jobs.events),
        Route("/api/results", results.results),
        Route("/api/results/{id}/resume", results.resume, methods=["POST"]),
        Route("/api/results/{id}.png", results.result_file(".png")),
        Route("/api/results/{id}.json", results.result_file(".json")),
        Route("/api/results/{id}/thumb", results.result_file(".thumb.jpg")),
    ]
    return Guard(Starlette(routes=routes, lifespan=lifespan), hosts, token, port)


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
    token = studio_token(args)
    if args.host not in LOCAL_HOSTS:
        print(
            f"painterly: warning: --host {args.host} makes the studio reachable from other machines; anyone with "
            "its URL (it carries the token) can upload images and use this computer's time",
            file=sys.stderr,
        )
    sock = _listen(args.host, args.port)
    port = sock.getsockname()[1]
    hosts = allowed_hosts(args.host, port, tuple(args.allow_host))
    app = build_app(store, int(args.max_upload_mb * 1e6), hosts, token, port)
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "") else f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
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
