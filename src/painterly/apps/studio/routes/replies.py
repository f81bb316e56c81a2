"""The studio's error answers: always JSON with one "error" line, which the page shows as it is."""

from __future__ import annotations

from starlette.responses import JSONResponse


def error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def not_found() -> JSONResponse:
    return error("not found", 404)
