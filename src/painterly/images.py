"""Images in and out: reading any file a user has, resizing, tensor conversion and atomic saving."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import PainterlyError

ImageSource = str | os.PathLike | Image.Image
# Pillow's default bomb limit (~179 MP) is about right: a 16k x 11k photo still opens, a forged 100k x 100k doesn't.
MAX_PIXELS = Image.MAX_IMAGE_PIXELS


def load_image(source: ImageSource) -> Image.Image:
    """Open a path or PIL image as upright RGB; transparent areas are composited on white."""
    if isinstance(source, Image.Image):
        return _to_rgb(ImageOps.exif_transpose(source))
    path = Path(source)
    if not path.exists():
        raise PainterlyError(f"image '{path}' does not exist")
    if path.is_dir():
        raise PainterlyError(f"image '{path}' is a directory, not an image file")
    try:
        with Image.open(path) as img:
            img.load()
            return _to_rgb(ImageOps.exif_transpose(img))
    except UnidentifiedImageError:
        raise PainterlyError(f"'{path}' is not an image file Pillow can read") from None
    except Image.DecompressionBombError:
        raise PainterlyError(f"image '{path}' is too large (over {MAX_PIXELS} pixels)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise PainterlyError(f"cannot read image '{path}': {exc}".splitlines()[0]) from None


def _to_rgb(img: Image.Image) -> Image.Image:
    if img.mode == "RGB":
        return img.copy()
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16/32-bit greyscale: scale to 8 bits, don't clip
        array = np.asarray(img, dtype=np.float64)
        top = 65535.0 if array.max() > 255 else 255.0
        img = Image.fromarray(np.clip(array / top * 255.0 + 0.5, 0, 255).astype(np.uint8))
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA"):
        img = img.convert("RGBA")
        background = Image.new("RGBA", img.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, img).convert("RGB")
    return img.convert("RGB")


def resize_longest(img: Image.Image, longest: int) -> Image.Image:
    """Scale so that the longer edge is `longest` pixels, keeping the aspect ratio."""
    w, h = img.size
    scale = longest / max(w, h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return img if size == img.size else img.resize(size, Image.Resampling.LANCZOS)


def to_tensor(img: Image.Image) -> torch.Tensor:
    """RGB PIL image -> float32 [1, 3, H, W] in [0, 1]."""
    array = np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(array).permute(2, 0, 1).unsqueeze(0).contiguous()


def to_image(tensor: torch.Tensor) -> Image.Image:
    """[1, 3, H, W] in [0, 1] (values outside are clipped) -> RGB PIL image."""
    array = tensor.detach().float().squeeze(0).clamp(0, 1).mul(255).round().byte().permute(1, 2, 0).cpu().numpy()
    return Image.fromarray(array, "RGB")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save_image(img: Image.Image, path: str | os.PathLike) -> Path:
    """Write atomically (temporary file, then rename) so a crash never leaves a half-written image."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise PainterlyError(f"cannot write '{path}': folder '{folder}' does not exist")
    fmt = Image.registered_extensions().get(path.suffix.lower())
    if fmt is None:
        raise PainterlyError(f"cannot write '{path}': unknown image extension '{path.suffix}' (use .png or .jpg)")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise PainterlyError(f"cannot write to folder '{folder}': {exc.strerror or exc}") from None
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes files private; a result should be like any new file
        with os.fdopen(fd, "wb") as f:
            img.save(f, format=fmt, **({"quality": 95} if fmt == "JPEG" else {}))
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise PainterlyError(f"cannot write '{path}': {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
