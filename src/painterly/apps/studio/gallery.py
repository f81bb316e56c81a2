"""A stored result as the gallery shows it: its settings (as the form sent them) and whether it can go on."""

from __future__ import annotations

from .store import Store, checked_id


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
