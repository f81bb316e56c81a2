"""A job as the page asks for it (upload ids and form settings, as JSON) -> a validated StyleConfig and its files.

Every file is named by an upload id the server made, and every setting is checked by StyleConfig, so a bad
request is one PainterlyError (400) before anything runs.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from ...config import INITS, StyleConfig
from ...errors import PainterlyError
from .store import Store

# Settings the page may not send: they name files on the server, or are set by the studio itself (resume).
SERVER_ONLY = frozenset({"weights", "weights_format", "mask", "done_iterations"})


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
