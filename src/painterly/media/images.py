"""Images in and out: reading any file a user has, resizing, tensor conversion and atomic saving.

Every problem with an input file (missing, unreadable, not an image, damaged, truncated, too large) comes out of
`load_image` / `load_alpha` as one `PainterlyError` with a one-line message naming the file; Pillow's own exception
types never escape.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from ..errors import PainterlyError

ImageSource = str | os.PathLike | Image.Image
# Pillow refuses images over twice its MAX_IMAGE_PIXELS (~179 MP): a 16k x 11k photo still opens, a forged
# 100k x 100k doesn't. We apply the same limit ourselves, so it holds even where someone switched Pillow's off.
MAX_PIXELS = 2 * 89_478_485

# EPS is read by running Ghostscript on the file: not something to do with whatever file a user passes in.
_UNSAFE_FORMATS = frozenset({"EPS"})
_NOT_RASTER = {
    ".svg": "SVG is a vector format",
    ".svgz": "SVG is a vector format",
    ".pdf": "PDF is a document format",
    ".eps": "EPS is a vector format",
    ".ps": "PostScript is a vector format",
    ".ai": "Illustrator files are a vector format",
    ".heic": "HEIC needs a Pillow plugin",
    ".heif": "HEIF needs a Pillow plugin",
}
_ALPHA_MODES = ("LA", "La", "PA", "RGBA", "RGBa")
_DEEP_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")  # more than 8 bits per sample
# EXIF orientation -> the transpose that makes the image upright (as ImageOps.exif_transpose does).
_ORIENTATION_TAG = 0x0112
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class ImageTooLarge(PainterlyError):
    """An image over a caller's own pixel limit (`load_image(max_pixels=...)`), found from its header."""

    def __init__(self, message: str, width: int, height: int) -> None:
        super().__init__(message)
        self.width, self.height = width, height


def load_image(source: ImageSource, *, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Open a path or PIL image as upright RGB; transparent areas are composited on white. An image of more
    than `max_pixels` (from its header, before decoding) is an ImageTooLarge; past MAX_PIXELS it is a bomb."""
    img, name = _open(source, max_pixels)
    return _convert(img, name, _to_rgb)


def load_alpha(source: ImageSource) -> Image.Image | None:
    """The alpha channel of a path or PIL image as an upright 'L' image (same size as `load_image`'s), or None.

    Palette, greyscale and RGB images with a transparent colour (PNG tRNS) count as having alpha.
    """
    img, name = _open(source)
    return _convert(img, name, _alpha)


def _open(source: ImageSource, max_pixels: int = MAX_PIXELS) -> tuple[Image.Image, str]:
    """The source decoded and turned upright (EXIF orientation), and its quoted name for messages."""
    if isinstance(source, Image.Image):
        name = _quote(getattr(source, "filename", "") or "<PIL image>")
        try:
            source.load()
            return _checked(_upright(source), name, max_pixels), name
        except PainterlyError:
            raise
        except Exception as exc:  # a lazily opened PIL image can fail to decode like any file
            raise _read_error(name, exc, source.format) from exc
    path = Path(source)
    name = _quote(path)
    _check_file(path, name)
    fmt = None
    try:  # our own file object, not the path: Pillow would memory-map some formats, and then a change to the file
        # while we use the image could crash the process (SIGBUS) instead of raising
        with open(path, "rb") as file, _open_safely(file) as img:
            fmt = img.format
            _checked(img, name, max_pixels)  # before decoding: the header's size is all a decompression bomb has
            img.load()
            return _checked(_upright(img), name, max_pixels), name
    except PainterlyError:
        raise
    except Exception as exc:  # Pillow's plugins raise nearly anything on damaged files; none of it is a bug of ours
        raise _read_error(name, exc, fmt) from exc


def _check_file(path: Path, name: str) -> None:
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise PainterlyError(f"image {name} does not exist") from None
    except (OSError, ValueError) as exc:
        raise PainterlyError(f"cannot read image {name}: {_reason(exc)}") from None
    if stat.S_ISDIR(info.st_mode):
        raise PainterlyError(f"image {name} is a folder, not an image file")
    if not stat.S_ISREG(info.st_mode):
        raise PainterlyError(f"image {name} is not a regular file")
    if info.st_size == 0:
        raise PainterlyError(f"image {name} is an empty file (0 bytes)")


def _open_safely(file: BinaryIO) -> Image.Image:
    """Pillow's Image.open over every format it can read but the unsafe ones. The common formats come first:
    loading all of Pillow's plugins (Image.init) costs about 0.1 s of start-up, paid only for a rarer file."""
    Image.preinit()
    try:
        return Image.open(file, formats=_readable_formats())
    except UnidentifiedImageError:
        if not Image.init():  # every plugin was already loaded: it is not an image we can read
            raise
        file.seek(0)
        return Image.open(file, formats=_readable_formats())


def _format_of(suffix: str) -> str | None:
    """Pillow's format for a file extension, looked up among the common formats first (see _open_safely)."""
    Image.preinit()
    if suffix in Image.EXTENSION:
        return Image.EXTENSION[suffix]
    return Image.registered_extensions().get(suffix)  # loads every plugin


def _readable_formats() -> list[str]:
    """The formats of the plugins loaded so far, less the unsafe ones."""
    return [fmt for fmt in Image.OPEN if fmt not in _UNSAFE_FORMATS]


def _checked(img: Image.Image, name: str, max_pixels: int = MAX_PIXELS) -> Image.Image:
    width, height = img.size
    if width < 1 or height < 1:
        raise PainterlyError(f"image {name} has no pixels ({width}x{height})")
    if width * height > MAX_PIXELS:
        raise PainterlyError(
            f"image {name} is too large ({width}x{height} pixels, over the limit of {MAX_PIXELS}): "
            "a damaged file or a decompression bomb"
        )
    if width * height > max_pixels:
        raise ImageTooLarge(f"image {name} is {width}x{height} pixels, over {max_pixels}", width, height)
    return img


def _upright(img: Image.Image) -> Image.Image:
    try:
        method = _UPRIGHT.get(img.getexif().get(_ORIENTATION_TAG))
    except Exception:  # damaged metadata: the pixels may be fine, so read the image as stored
        method = None
    return img if method is None else img.transpose(method)


def _convert(img: Image.Image, name: str, convert):
    try:
        return convert(img)
    except Exception as exc:  # e.g. a palette or transparency entry that doesn't fit the image
        raise _read_error(name, exc, img.format) from exc


def _read_error(name: str, exc: Exception, fmt: str | None) -> PainterlyError:
    if isinstance(exc, UnidentifiedImageError):
        hint = _NOT_RASTER.get(Path(name.strip("'\"")).suffix.lower())
        hint = f" ({hint}; convert it to PNG or JPEG first)" if hint else ""
        return PainterlyError(f"{name} is not an image file painterly can read{hint}")
    if isinstance(exc, Image.DecompressionBombError):
        return PainterlyError(
            f"image {name} is too large (over the limit of {MAX_PIXELS} pixels): a damaged file or a decompression bomb"
        )
    if isinstance(exc, MemoryError):
        return PainterlyError(f"image {name} is too large to decode in the memory available")
    if isinstance(exc, OSError) and exc.errno not in (None, errno.EINVAL):  # opening or reading the file failed
        # (EINVAL is a damaged file's offsets sending a seek before the start)
        return PainterlyError(f"cannot read image {name}: {_reason(exc)}")
    kind = f"{fmt} image" if fmt else "image"
    if "truncated" in str(exc).lower():
        return PainterlyError(f"{kind} {name} is truncated: the file ends before the image data does")
    return PainterlyError(f"{kind} {name} is damaged and cannot be decoded: {_reason(exc)}")


def _reason(exc: BaseException) -> str:
    """The exception's message as one short line (its type's name where it has no message)."""
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
    else:
        text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _quote(path: str | os.PathLike) -> str:
    """A file name for a one-line message: quoted, control and undecodable characters escaped."""
    text = str(path)
    return f"'{text}'" if text.isprintable() else ascii(text)


def _alpha(img: Image.Image) -> Image.Image | None:
    mode = img.mode
    if mode in _ALPHA_MODES:
        return img.getchannel(len(img.getbands()) - 1)  # the last band: "A", or "a" where premultiplied
    if mode in _DEEP_MODES:
        transparent = img.info.get("transparency")
        if isinstance(transparent, int) and not isinstance(transparent, bool):  # 16-bit PNG tRNS: one grey value
            return Image.fromarray(np.where(np.asarray(img) == transparent, 0, 255).astype(np.uint8), "L")
        return None
    if mode in ("1", "L", "P", "RGB") and (
        "transparency" in img.info or (mode == "P" and img.palette is not None and img.palette.mode == "RGBA")
    ):
        return img.convert("RGBA").getchannel("A")
    return None


def _colour(img: Image.Image) -> Image.Image:
    """The colour channels as RGB, ignoring any alpha."""
    mode = img.mode
    if mode == "RGB":
        return img.copy()
    if mode in _DEEP_MODES:
        return _to_8bit(img).convert("RGB")
    if mode == "La":  # premultiplied greyscale + alpha: Pillow converts it to nothing, so go through RGBa
        grey, alpha = img.split()
        img = Image.merge("RGBa", (grey, grey, grey, alpha))
    if img.mode == "RGBa":
        img = img.convert("RGBA")
    if img.mode == "P":
        img = img.convert("RGBA")  # the palette's colours whatever the palette's mode; alpha is handled apart
    return img.convert("RGB")


def _to_8bit(img: Image.Image) -> Image.Image:
    """16-bit, 32-bit integer or float greyscale -> 'L', scaled (not clipped) from the data's nominal range."""
    array = np.asarray(img)
    if img.mode.startswith("I;16"):
        top = 65535.0
    else:
        if img.mode == "F":
            array = np.nan_to_num(array, nan=0.0, posinf=0.0, neginf=0.0)
        peak = float(array.max(initial=0))
        if img.mode == "F" and peak <= 1.0:
            top = 1.0  # floats in [0, 1]
        else:
            top = 255.0 if peak <= 255 else 65535.0 if peak <= 65535 else peak
    scaled = array.astype(np.float32) * np.float32(255.0 / top) + np.float32(0.5)
    return Image.fromarray(np.clip(scaled, 0, 255).astype(np.uint8), "L")


def _to_rgb(img: Image.Image) -> Image.Image:
    rgb = _colour(img)
    alpha = _alpha(img)
    if alpha is None:
        return rgb
    return Image.composite(rgb, Image.new("RGB", rgb.size, (255, 255, 255)), alpha)


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


def save_image(img: Image.Image, path: str | os.PathLike, *, replace: bool = True) -> Path:
    """Write atomically (temporary file in the same folder, then rename): a crash never leaves a half-written image.

    The new file's permissions follow the umask, like any file a program creates; on failure nothing at `path`
    changes and no temporary file is left behind. With `replace` False a file at `path` is never replaced, even
    one that appeared while the image was being made (see write_atomically).
    """
    path = Path(path)
    name = _quote(path)
    folder = path.parent
    if not folder.is_dir():
        problem = "is not a folder" if folder.exists() else "does not exist"
        raise PainterlyError(f"cannot write {name}: folder {_quote(folder)} {problem}")
    if path.is_dir():
        raise PainterlyError(f"cannot write {name}: it is a folder")
    if not path.suffix:
        raise PainterlyError(f"cannot write {name}: no file extension to tell the format (use .png or .jpg)")
    fmt = _format_of(path.suffix.lower())
    if fmt is None:
        raise PainterlyError(f"cannot write {name}: unknown image extension '{path.suffix}' (use .png or .jpg)")
    if fmt not in Image.SAVE:
        raise PainterlyError(f"cannot write {name}: Pillow reads {fmt} files but cannot write them (use .png or .jpg)")
    save = lambda f: img.save(f, format=fmt, **({"quality": 95} if fmt == "JPEG" else {}))  # noqa: E731
    write_atomically(path, save, replace=replace)
    return path


def write_atomically(path: Path, write: Callable[[BinaryIO], object], *, replace: bool = True) -> None:
    """Run `write` on a temporary file beside `path`, then rename it over `path`; on failure nothing at `path`
    changes, no temporary file is left, and the error is a PainterlyError (interrupts still propagate).

    With `replace` False the last step is a hard link, which the kernel refuses if `path` exists, so a file that
    appeared there after any earlier check (another run, another program) is never replaced: no check-then-act
    race. Where the filesystem has no hard links, the name is claimed with O_EXCL and then replaced."""
    tmp = None
    try:
        fd, tmp = _create_temp(path.parent, path.name)
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            place_new(tmp, path)
    except FileExistsError as exc:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise appeared(path) from exc
    except (OSError, ValueError, KeyError) as exc:  # unwritable folder, full disk, a mode the format can't hold...
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise PainterlyError(f"cannot write {_quote(path)}: {_reason(exc)}") from exc
    except BaseException:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise


def appeared(path: Path) -> PainterlyError:
    """The error of a final write that found its name taken (place_new's FileExistsError)."""
    return PainterlyError(
        f"cannot write {_quote(path)}: a file of that name appeared while painterly worked; it was left as it is "
        "(pass --overwrite to replace it, or choose another output)"
    )


def place_new(tmp: Path, path: Path) -> None:
    """Give the finished temporary file the name `path`, only if no file has it (FileExistsError otherwise)."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise
    except OSError:  # no hard links here (FAT, some network shares): claim the name atomically, then fill it
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        os.replace(tmp, path)
        return
    tmp.unlink()


def _create_temp(folder: Path, name: str) -> tuple[int, Path]:
    """A new hidden file beside the target. os.open applies the umask itself (mkstemp would make it 0600)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = folder / f".{name[:100]}.{secrets.token_hex(4)}.tmp"
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary file name in '{folder}'")
