"""Uploads: a photo, painting or mask in, read through the CLI's image loader and kept under an id; and back out.

The size limit is enforced twice: by Content-Length before reading, and by the bytes actually read (a client
may lie or send no length at all).
"""

from __future__ import annotations

import re
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse, Response

from ....errors import PainterlyError
from ..store import KINDS, Store, display_name, new_id
from .replies import error, not_found

UPLOAD_DRAIN = 4  # a body up to this many times the limit is read (and dropped) so the browser sees the 413


class UploadTooLarge(Exception):
    pass


class ClientGone(Exception):
    """The client went away mid-body: nobody is left to answer."""


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused past `limit` bytes: by Content-Length before reading, and by the bytes read."""
    declared = request.headers.get("content-length")
    try:
        declared_bytes = int(declared) if declared is not None else None
    except ValueError:
        declared_bytes = None
    if declared_bytes is not None and declared_bytes > UPLOAD_DRAIN * limit:
        raise UploadTooLarge  # not read at all: the connection is closed after the answer
    body, seen = bytearray(), 0
    try:
        async for chunk in request.stream():
            seen += len(chunk)
            if seen <= limit:
                body += chunk
            elif seen > UPLOAD_DRAIN * limit:
                break
    except ClientDisconnect:
        raise ClientGone from None
    if seen > limit or (declared_bytes or 0) > limit:
        raise UploadTooLarge
    return bytes(body)


def replayed(request: Request, body: bytes) -> Request:
    """The request again, its body served from `body`: the stream was read (and counted) by read_body."""
    sent = False

    async def replay():
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(request.scope, replay)


def _mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB"


class UploadRoutes:
    """Takes uploads in (at most `max_upload_bytes` each) and serves them and their thumbnails by id."""

    def __init__(self, store: Store, max_upload_bytes: int) -> None:
        self.store, self.max_upload_bytes = store, max_upload_bytes
        self.too_large = f"the file is over the studio's upload limit of {_mb(max_upload_bytes)} (--max-upload-mb)"

    async def upload(self, request: Request) -> Response:
        try:
            body = await read_body(request, self.max_upload_bytes)
        except UploadTooLarge:
            return error(self.too_large, 413)
        except ClientGone:
            return Response(status_code=400)  # never sent: the client is gone; nothing to log
        try:
            form = await replayed(request, body).form(max_files=1, max_fields=4)
        except Exception:  # python-multipart's and Starlette's parse errors
            return error("the upload is not a multipart form with one file")
        item, kind = form.get("file"), form.get("kind", "photo")
        if item is None or isinstance(item, str):
            await form.close()
            return error("the upload has no file")
        if kind not in KINDS:
            await form.close()
            return error(f"unknown upload kind; choose one of: {', '.join(KINDS)}")
        return await self._keep(form, item, kind)

    async def _keep(self, form: FormData, item: UploadFile, kind: str) -> Response:
        """The file through the image loader into the store; the raw bytes are only ever a temporary file."""
        name = display_name(item.filename)
        suffix = Path(name).suffix if re.fullmatch(r"\.[A-Za-z0-9]{1,5}", Path(name).suffix) else ".bin"
        raw = self.store.uploads / f".incoming-{new_id()}{suffix.lower()}"
        try:
            data = await item.read()
            await form.close()
            await run_in_threadpool(raw.write_bytes, data)
            record = await run_in_threadpool(self.store.add_upload, raw, name, kind)
        except PainterlyError as exc:
            return error(str(exc))
        except OSError as exc:
            return error(f"cannot keep the upload: {exc.strerror or exc}", 500)
        finally:
            raw.unlink(missing_ok=True)
        return JSONResponse(record, status_code=201)

    async def upload_info(self, request: Request) -> Response:
        record = self.store.upload(request.path_params["id"])
        return JSONResponse(record) if record else not_found()

    async def upload_image(self, request: Request) -> Response:
        what = request.path_params["what"]
        if what not in ("image", "thumb"):
            return not_found()
        path = self.store.upload_path(request.path_params["id"], thumb=what == "thumb")
        return FileResponse(path) if path else not_found()
