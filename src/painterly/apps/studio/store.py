"""The studio folder: uploads and results on disk, named only by ids the server made.

Layout (everything written atomically, so a crash never leaves half a file that the gallery would list):

    uploads/<id>.png        the upload as painterly read it (load_image: upright RGB), the file every run uses
    uploads/<id>.thumb.jpg  a small copy for the page
    uploads/<id>.json       its display name, kind and size
    results/<id>.png        the result of job <id> (the best image so far when it was stopped)
    results/<id>.thumb.jpg
    results/<id>.json       its settings, in the CLI's format plus a "studio" block: `painterly --resume
                            results/<id>.png` continues a stopped result from the command line too

The client never names a file: every lookup goes through `checked_id`, whose strict pattern leaves no room for a
path, and the name a browser sends with an upload is kept only as text to show.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import threading
import time
from importlib import resources
from pathlib import Path

from PIL import Image

from ...errors import PainterlyError
from ...media.images import ImageTooLarge, load_image, resize_longest, write_atomically
from .. import untrusted_json

ID_PATTERN = re.compile(r"[0-9a-f]{32}")
KINDS = ("photo", "painting", "mask")
EXAMPLES = {"village.jpg": "photo", "swirls.jpg": "painting", "mosaic.png": "painting"}  # painterly/examples
THUMB_EDGE = 320
# Uploads are decoded one at a time and up to this many pixels: a small PNG can hold a huge canvas, and a few
# decoded in parallel would take gigabytes. 50 MP is a 8660 x 5770 photo, beyond what the studio paints.
UPLOAD_MAX_PIXELS = 50_000_000


def new_id() -> str:
    return secrets.token_hex(16)


def checked_id(text: str) -> str | None:
    """The id if `text` is one the server could have made, else None (the caller answers 404)."""
    return text if ID_PATTERN.fullmatch(text) else None


def default_folder() -> Path:
    """$XDG_DATA_HOME/painterly/studio, or ~/.local/share/painterly/studio: results outlive the server."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "painterly" / "studio"


def display_name(name: str | None) -> str:
    """A browser's file name reduced to something safe to show (it never becomes a path)."""
    text = "".join(c for c in (name or "") if c.isprintable()).replace("/", "_").replace("\\", "_").strip()
    return (text[:77] + "...") if len(text) > 80 else (text or "upload")


def _write_png(img: Image.Image, path: Path) -> None:
    # compress_level 1: an upload of many megapixels must not keep the page waiting for a small file
    write_atomically(path, lambda f: img.save(f, format="PNG", compress_level=1))


def _write_thumb(img: Image.Image, path: Path) -> None:
    small = resize_longest(img, THUMB_EDGE) if max(img.size) > THUMB_EDGE else img
    write_atomically(path, lambda f: small.convert("RGB").save(f, format="JPEG", quality=85))


def write_json(path: Path, data: dict) -> None:
    write_atomically(path, lambda f: f.write(json.dumps(data, indent=2).encode()))


class Store:
    """The studio folder. Safe to use from the server's threads: files are written atomically under new names."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.uploads = self.folder / "uploads"
        self.results = self.folder / "results"
        try:
            for sub in (self.uploads, self.results):
                sub.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PainterlyError(f"cannot use the studio folder '{self.folder}': {exc.strerror or exc}") from None
        if not os.access(self.folder, os.W_OK):
            raise PainterlyError(f"the studio folder '{self.folder}' is not writable; choose another with --out")
        self._lock = threading.Lock()
        self._decoding = threading.Lock()  # one upload decoded at a time: memory stays that of one image
        self._examples: dict[str, str] = {}
        for record in self._records(self.uploads):
            if record.get("example") in EXAMPLES:
                self._examples[record["example"]] = record["id"]

    # uploads

    def add_upload(self, raw: Path, name: str, kind: str) -> dict:
        """Read `raw` (bytes as received) with the CLI's loader, keep what it read as uploads/<id>.png.

        Any problem with the file is a PainterlyError naming the browser's file name, not the temporary path."""
        if kind not in KINDS:
            raise PainterlyError(f"unknown upload kind '{kind}'; choose one of: {', '.join(KINDS)}")
        shown = display_name(name)
        with self._decoding:
            try:
                img = load_image(raw, max_pixels=UPLOAD_MAX_PIXELS)  # refused from the header, before decoding
            except ImageTooLarge as exc:
                raise PainterlyError(
                    f"{shown} is {exc.width}x{exc.height} pixels; the studio takes images up to "
                    f"{UPLOAD_MAX_PIXELS // 10**6} megapixels: scale it down first"
                ) from None
            except PainterlyError as exc:
                raise PainterlyError(str(exc).replace(str(raw), shown)) from None
            return self._keep(img, shown, kind)

    def add_example(self, name: str) -> dict:
        """One of the bundled examples as an upload (made once per studio folder, then reused)."""
        if name not in EXAMPLES:
            raise KeyError(name)
        with self._lock:
            known = self._examples.get(name)
            if known and self.upload_path(known):
                return self.upload(known)
            with resources.as_file(resources.files("painterly") / "examples" / name) as path:
                record = self._keep(load_image(path), name, EXAMPLES[name], example=name)
            self._examples[name] = record["id"]
            return record

    def example_bytes(self, name: str) -> bytes:
        if name not in EXAMPLES:
            raise KeyError(name)
        return (resources.files("painterly") / "examples" / name).read_bytes()

    def _keep(self, img: Image.Image, shown: str, kind: str, example: str | None = None) -> dict:
        upload_id = new_id()
        _write_png(img, self.uploads / f"{upload_id}.png")
        _write_thumb(img, self.uploads / f"{upload_id}.thumb.jpg")
        record = {"id": upload_id, "name": shown, "kind": kind, "width": img.width, "height": img.height}
        if example:
            record["example"] = example
        write_json(self.uploads / f"{upload_id}.json", {**record, "created": time.time()})
        return record

    def upload(self, upload_id: str) -> dict | None:
        return self._record(self.uploads, upload_id)

    def upload_path(self, upload_id: str, thumb: bool = False) -> Path | None:
        return self._file(self.uploads, upload_id, ".thumb.jpg" if thumb else ".png")

    # results

    def save_result(self, result_id: str, image: Image.Image, settings: dict) -> None:
        """The image first, the settings last: the gallery lists a result by its settings file, so it never
        shows one whose image is not complete."""
        png = self.results / f"{result_id}.png"
        write_atomically(png, lambda f: image.save(f, format="PNG"), replace=False)  # a new id: never replace
        _write_thumb(image, self.results / f"{result_id}.thumb.jpg")
        write_json(self.results / f"{result_id}.json", settings)

    def result_image_path(self, result_id: str) -> Path:
        return self.results / f"{result_id}.png"

    def result(self, result_id: str) -> dict | None:
        record = self._record(self.results, result_id)
        return record if record is not None and self.result_path(result_id) else None

    def result_path(self, result_id: str, suffix: str = ".png") -> Path | None:
        return self._file(self.results, result_id, suffix)

    def results_list(self, limit: int = 200) -> list[dict]:
        """Every result in the folder, newest first (survives restarts: it is read from disk each time)."""
        found = [r for r in self._records(self.results) if self.result_path(r["id"])]
        found.sort(key=lambda r: r.get("studio", {}).get("finished", 0), reverse=True)
        return found[:limit]

    # helpers

    def _file(self, folder: Path, file_id: str, suffix: str) -> Path | None:
        if not checked_id(file_id):
            return None
        path = folder / f"{file_id}{suffix}"
        return path if path.is_file() else None

    def _record(self, folder: Path, file_id: str) -> dict | None:
        path = self._file(folder, file_id, ".json")
        return self._read(path, file_id) if path else None

    def _records(self, folder: Path) -> list[dict]:
        records = []
        for path in folder.glob("*.json"):
            if checked_id(path.stem):
                record = self._read(path, path.stem)
                if record is not None:
                    records.append(record)
        return records

    @staticmethod
    def _read(path: Path, file_id: str) -> dict | None:
        try:
            data = untrusted_json.load(path)
        except ValueError:
            return None  # someone else's or a damaged file: not listed, never fatal
        if not isinstance(data, dict):
            return None
        data["id"] = file_id
        return data
