"""painterly.media.images: bad files -> one-line PainterlyError, every Pillow mode -> RGB, alpha, tensors, saving."""

from __future__ import annotations

import errno
import io
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from painterly.errors import PainterlyError
from painterly.media import images as images_module
from painterly.media.images import load_alpha, load_image, save_image, to_image, to_tensor

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------- helpers


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(width: int, height: int, depth: int, colour_type: int, rows: bytes) -> bytes:
    """A PNG written by hand (for what Pillow won't write: huge headers, 48-bit colour, broken data)."""
    header = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    return PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", rows) + _chunk(b"IEND", b"")


def _fix_png_crcs(data: bytes) -> bytes:
    """Recompute every chunk's CRC so that a mutated PNG gets past the checksum into the decoder."""
    if not data.startswith(PNG_SIGNATURE):
        return data
    out, pos = bytearray(data[:8]), 8
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        end = pos + 8 + length
        if end + 4 > len(data):
            break
        out += data[pos:end] + struct.pack(">I", zlib.crc32(data[pos + 4 : end]))
        pos = end + 4
    return bytes(out + data[pos:])


def _crop(images: Path, size: tuple[int, int], name: str = "tubingen.jpg") -> Image.Image:
    with Image.open(images / name) as img:
        return img.convert("RGB").crop((300, 200, 300 + 4 * size[0], 200 + 4 * size[1])).resize(size)


def _bytes(img: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def _write(path: Path, img: Image.Image, fmt: str, **kwargs) -> Path:
    path.write_bytes(_bytes(img, fmt, **kwargs))
    return path


def _assert_error(exc: pytest.ExceptionInfo, path: Path | str) -> str:
    message = str(exc.value)
    assert type(exc.value) is PainterlyError
    assert "\n" not in message and "\r" not in message, message
    assert Path(path).name in message, message
    return message


def _pixels(img: Image.Image) -> list[tuple[int, ...]]:
    return [img.getpixel((x, 0)) for x in range(img.width)]


def _close(actual, expected, tol: int = 2) -> bool:
    return all(abs(int(a) - int(e)) <= tol for a, e in zip(actual, expected))


# ---------------------------------------------------------------- bad files


def _missing(tmp: Path, images: Path) -> Path:
    return tmp / "missing.png"


def _missing_parent(tmp: Path, images: Path) -> Path:
    (tmp / "plain.txt").write_text("not a folder")
    return tmp / "plain.txt" / "photo.png"


def _directory(tmp: Path, images: Path) -> Path:
    (tmp / "folder.png").mkdir()
    return tmp / "folder.png"


def _fifo(tmp: Path, images: Path) -> Path:
    os.mkfifo(tmp / "pipe.png")  # opening it would block forever
    return tmp / "pipe.png"


def _broken_link(tmp: Path, images: Path) -> Path:
    (tmp / "link.jpg").symlink_to(tmp / "gone.jpg")
    return tmp / "link.jpg"


def _empty(tmp: Path, images: Path) -> Path:
    (tmp / "empty.jpg").write_bytes(b"")
    return tmp / "empty.jpg"


def _random_bytes(tmp: Path, images: Path) -> Path:
    (tmp / "noise.jpg").write_bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    return tmp / "noise.jpg"


def _truncated_jpeg(tmp: Path, images: Path) -> Path:
    data = (images / "tubingen.jpg").read_bytes()
    (tmp / "half.jpg").write_bytes(data[: len(data) // 2])
    return tmp / "half.jpg"


def _truncated_jpeg_small(tmp: Path, images: Path) -> Path:
    data = _bytes(_crop(images, (64, 48)), "JPEG", quality=90)
    (tmp / "cut.jpg").write_bytes(data[: len(data) * 3 // 4])
    return tmp / "cut.jpg"


def _truncated_png(tmp: Path, images: Path) -> Path:
    data = (images / "starry_night_crop.png").read_bytes()
    (tmp / "half.png").write_bytes(data[: len(data) // 2])
    return tmp / "half.png"


def _bomb_crafted(tmp: Path, images: Path) -> Path:
    rows = zlib.compress(b"\0" * 1000)
    (tmp / "bomb.png").write_bytes(_png(100_000, 100_000, 8, 2, rows))
    return tmp / "bomb.png"


def _bomb_patched(tmp: Path, images: Path) -> Path:
    """A real PNG with its IHDR's width and height patched (and the CRC fixed)."""
    data = bytearray(_bytes(_crop(images, (32, 24)), "PNG"))
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", 100_000, 100_000)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    (tmp / "patched.png").write_bytes(bytes(data))
    return tmp / "patched.png"


def _svg(tmp: Path, images: Path) -> Path:
    (tmp / "drawing.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>\n')
    return tmp / "drawing.svg"


def _pdf(tmp: Path, images: Path) -> Path:
    (tmp / "scan.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n")
    return tmp / "scan.pdf"


def _eps(tmp: Path, images: Path) -> Path:  # Pillow would run Ghostscript on it; painterly doesn't
    (tmp / "figure.eps").write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n")
    return tmp / "figure.eps"


def _text_as_png(tmp: Path, images: Path) -> Path:
    (tmp / "notes.png").write_text("these are my notes, not a picture\n" * 20)
    return tmp / "notes.png"


def _undecodable_png(tmp: Path, images: Path) -> Path:
    """Pillow identifies it (valid signature, IHDR and CRCs) but the pixel data is not zlib."""
    (tmp / "garbage.png").write_bytes(_png(16, 16, 8, 2, b"this is not a zlib stream" * 8))
    return tmp / "garbage.png"


def _zero_size_png(tmp: Path, images: Path) -> Path:
    (tmp / "zero.png").write_bytes(_png(0, 10, 8, 2, zlib.compress(b"")))
    return tmp / "zero.png"


BAD_FILES = [
    _missing,
    _missing_parent,
    _directory,
    _fifo,
    _broken_link,
    _empty,
    _random_bytes,
    _truncated_jpeg,
    _truncated_jpeg_small,
    _truncated_png,
    _bomb_crafted,
    _bomb_patched,
    _svg,
    _pdf,
    _eps,
    _text_as_png,
    _undecodable_png,
    _zero_size_png,
]


@pytest.mark.parametrize("make", BAD_FILES, ids=lambda f: f.__name__.strip("_"))
@pytest.mark.parametrize("load", [load_image, load_alpha], ids=["load_image", "load_alpha"])
def test_bad_file_is_one_line_painterly_error(make, load, tmp_path, images):
    path = make(tmp_path, images)
    with pytest.raises(PainterlyError) as exc:
        load(path)
    _assert_error(exc, path)
    with pytest.raises(PainterlyError):  # a str path goes the same way
        load(str(path))


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (_missing, "does not exist"),
        (_directory, "folder"),
        (_fifo, "not a regular file"),
        (_empty, "empty"),
        (_random_bytes, "not an image"),
        (_truncated_jpeg, "truncated"),
        (_truncated_png, "truncated"),
        (_bomb_crafted, "too large"),
        (_bomb_patched, "too large"),
        (_svg, "SVG"),
        (_pdf, "PDF"),
        (_undecodable_png, "damaged"),
    ],
    ids=lambda v: v.__name__.strip("_") if callable(v) else v,
)
def test_bad_file_message_says_what_is_wrong(make, words, tmp_path, images):
    path = make(tmp_path, images)
    with pytest.raises(PainterlyError) as exc:
        load_image(path)
    assert words in _assert_error(exc, path)


def test_empty_pil_image():
    with pytest.raises(PainterlyError, match="no pixels"):
        load_image(Image.new("RGB", (0, 5)))


def test_truncated_images_are_not_loaded_partially(tmp_path, images):
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    for make in (_truncated_jpeg, _truncated_jpeg_small, _truncated_png):
        with pytest.raises(PainterlyError, match="truncated"):
            load_image(make(tmp_path, images))


def test_bomb_is_refused_even_with_pillows_limit_off(tmp_path, images, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    path = _bomb_patched(tmp_path, images)
    with pytest.raises(PainterlyError) as exc:
        load_image(path)
    assert "100000x100000" in _assert_error(exc, path)


def test_name_with_control_characters_stays_on_one_line(tmp_path):
    path = tmp_path / "two\nlines.png"
    path.write_bytes(b"not an image at all")
    with pytest.raises(PainterlyError) as exc:
        load_image(path)
    assert "\n" not in str(exc.value) and "two\\nlines.png" in str(exc.value)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(tmp_path, images):
    path = tmp_path / "secret.jpg"
    path.write_bytes((images / "tubingen.jpg").read_bytes())
    path.chmod(0)
    with pytest.raises(PainterlyError) as exc:
        load_image(path)
    assert "permission denied" in _assert_error(exc, path).lower()


def test_unreadable_file_simulated(tmp_path, images, monkeypatch):
    """As root chmod 000 stops nothing, so make opening fail the way it would for another user."""
    path = tmp_path / "secret.jpg"
    path.write_bytes((images / "tubingen.jpg").read_bytes())

    def refuse(file, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(file))

    monkeypatch.setattr(images_module, "open", refuse, raising=False)
    with pytest.raises(PainterlyError) as exc:
        load_image(path)
    assert "permission denied" in _assert_error(exc, path).lower()


@pytest.mark.parametrize(
    "error",
    [
        ValueError("bad value"),
        OSError("decoder error -2"),
        SyntaxError("broken PNG file"),
        struct.error("unpack requires a buffer of 4 bytes"),
        EOFError(),
        IndexError("list index out of range"),
        TypeError("bad operand"),
        KeyError("ICC"),
        ZeroDivisionError("division by zero"),
        MemoryError(),
        zlib.error("Error -3 while decompressing data: incorrect header check"),
        Image.DecompressionBombError("Image size (10000000000 pixels) exceeds limit"),
        UnidentifiedImageError("cannot identify image file"),
        RuntimeWarning("warnings turned into errors"),
        OSError("multi\nline\nmessage"),
    ],
    ids=lambda e: type(e).__name__,
)
@pytest.mark.parametrize("where", ["open", "load"])
def test_any_pillow_exception_becomes_painterly_error(error, where, tmp_path, images, monkeypatch):
    path = tmp_path / "photo.png"
    _write(path, _crop(images, (8, 8)), "PNG")

    def fail(*args, **kwargs):
        raise error

    if where == "open":
        monkeypatch.setattr(Image, "open", fail)
    else:
        monkeypatch.setattr(ImageFile.ImageFile, "load", fail)
    with pytest.raises(PainterlyError) as exc:
        load_image(path)
    _assert_error(exc, path)
    assert exc.value.__cause__ is error


def test_keyboard_interrupt_is_not_swallowed(tmp_path, images, monkeypatch):
    path = _write(tmp_path / "photo.png", _crop(images, (8, 8)), "PNG")

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ImageFile.ImageFile, "load", interrupt)
    with pytest.raises(KeyboardInterrupt):
        load_image(path)


# ---------------------------------------------------------------- modes


def test_rgb_jpeg_and_png(images):
    for name in ("tubingen.jpg", "starry_night_crop.png"):
        img = load_image(images / name)
        with Image.open(images / name) as raw:
            assert img.mode == "RGB" and img.size == raw.size
            assert np.array_equal(np.asarray(img), np.asarray(raw.convert("RGB")))


def test_pil_source_is_converted_not_modified(images):
    src = _crop(images, (16, 8))
    out = load_image(src)
    assert out is not src and out.mode == "RGB" and np.array_equal(np.asarray(out), np.asarray(src))
    rgba = src.convert("RGBA")
    load_image(rgba)
    assert rgba.mode == "RGBA"


def test_greyscale_L(tmp_path):
    img = Image.fromarray(np.array([[0, 77, 200, 255]], dtype=np.uint8), "L")
    out = load_image(_write(tmp_path / "grey.png", img, "PNG"))
    assert out.mode == "RGB" and out.size == (4, 1)
    assert _pixels(out) == [(0, 0, 0), (77, 77, 77), (200, 200, 200), (255, 255, 255)]


def test_bilevel_1(tmp_path):
    img = Image.new("1", (3, 2), 0)
    img.putpixel((1, 0), 1)
    out = load_image(_write(tmp_path / "bits.png", img, "PNG"))
    assert out.mode == "RGB" and out.size == (3, 2)
    assert _pixels(out) == [(0, 0, 0), (255, 255, 255), (0, 0, 0)]


def test_greyscale_alpha_LA(tmp_path):
    grey = Image.fromarray(np.array([[50, 50, 50]], dtype=np.uint8), "L")
    alpha = Image.fromarray(np.array([[0, 128, 255]], dtype=np.uint8), "L")
    out = load_image(_write(tmp_path / "la.png", Image.merge("LA", (grey, alpha)), "PNG"))
    assert out.mode == "RGB" and out.size == (3, 1)
    px = _pixels(out)
    assert px[0] == (255, 255, 255) and px[2] == (50, 50, 50)
    assert _close(px[1], (152, 152, 152))  # 50 * 128/255 + 255 * 127/255


def _palette_image() -> Image.Image:
    img = Image.new("P", (3, 1))
    img.putpalette([255, 0, 0, 0, 0, 255, 0, 255, 0])
    for x in range(3):
        img.putpixel((x, 0), x)
    return img


@pytest.mark.parametrize("fmt", ["PNG", "GIF", "BMP"])
def test_palette_P(fmt, tmp_path):
    out = load_image(_write(tmp_path / f"pal.{fmt.lower()}", _palette_image(), fmt))
    assert out.mode == "RGB" and out.size == (3, 1)
    assert _pixels(out) == [(255, 0, 0), (0, 0, 255), (0, 255, 0)]


def test_palette_with_trns_png(tmp_path):
    path = _write(tmp_path / "trns.png", _palette_image(), "PNG", transparency=b"\x00\x80\xff")
    with Image.open(path) as raw:
        assert raw.mode == "P" and "transparency" in raw.info
    out = load_image(path)
    assert out.mode == "RGB" and out.size == (3, 1)
    px = _pixels(out)
    assert px[0] == (255, 255, 255) and px[2] == (0, 255, 0)
    assert _close(px[1], (127, 127, 255))
    assert _pixels(load_alpha(path)) == [0, 128, 255]


def test_palette_with_transparent_index_gif(tmp_path):
    path = _write(tmp_path / "trns.gif", _palette_image(), "GIF", transparency=1)
    assert _pixels(load_image(path)) == [(255, 0, 0), (255, 255, 255), (0, 255, 0)]
    assert _pixels(load_alpha(path)) == [255, 0, 255]


def test_palette_alpha_PA():
    img = Image.new("PA", (2, 1))
    img.putpalette([255, 0, 0, 0, 0, 255])
    img.putpixel((0, 0), (0, 0))
    img.putpixel((1, 0), (1, 255))
    assert _pixels(load_image(img)) == [(255, 255, 255), (0, 0, 255)]
    assert _pixels(load_alpha(img)) == [0, 255]


def test_rgba_composited_on_white(tmp_path):
    array = np.array([[[255, 0, 0, 128], [0, 0, 0, 0], [0, 255, 0, 255], [10, 20, 30, 255]]], dtype=np.uint8)
    out = load_image(_write(tmp_path / "rgba.png", Image.fromarray(array, "RGBA"), "PNG"))
    assert out.mode == "RGB" and out.size == (4, 1)
    px = _pixels(out)
    assert _close(px[0], (255, 127, 127)) and px[1] == (255, 255, 255) and px[2:] == [(0, 255, 0), (10, 20, 30)]


def test_premultiplied_RGBa_and_La():
    rgba = Image.new("RGBa", (1, 1), (64, 0, 0, 128))  # premultiplied: the colour is (127, 0, 0)
    assert _close(_pixels(load_image(rgba))[0], (191, 127, 127))
    assert _pixels(load_alpha(rgba)) == [128]
    grey, alpha = Image.new("L", (1, 1), 64), Image.new("L", (1, 1), 128)
    la = Image.merge("La", (grey, alpha))
    assert _close(_pixels(load_image(la))[0], (191, 191, 191))
    assert _pixels(load_alpha(la)) == [128]


def test_rgb_and_grey_with_trns_colour(tmp_path):
    array = np.array([[[10, 20, 30], [200, 100, 50]]], dtype=np.uint8)
    path = _write(tmp_path / "rgbtrns.png", Image.fromarray(array, "RGB"), "PNG", transparency=(10, 20, 30))
    assert _pixels(load_image(path)) == [(255, 255, 255), (200, 100, 50)]
    assert _pixels(load_alpha(path)) == [0, 255]
    grey = Image.fromarray(np.array([[7, 90]], dtype=np.uint8), "L")
    path = _write(tmp_path / "greytrns.png", grey, "PNG", transparency=7)
    assert _pixels(load_image(path)) == [(255, 255, 255), (90, 90, 90)]
    assert _pixels(load_alpha(path)) == [0, 255]


CMYK_COLOURS = [
    ((255, 0, 0, 0), (0, 255, 255)),  # cyan
    ((0, 255, 0, 0), (255, 0, 255)),  # magenta
    ((0, 0, 255, 0), (255, 255, 0)),  # yellow
    ((0, 255, 255, 0), (255, 0, 0)),  # red
    ((0, 0, 0, 255), (0, 0, 0)),  # black
    ((0, 0, 0, 0), (255, 255, 255)),  # white (no ink)
]


@pytest.mark.parametrize("fmt", ["JPEG", "TIFF"])
@pytest.mark.parametrize(("cmyk", "rgb"), CMYK_COLOURS, ids=["cyan", "magenta", "yellow", "red", "black", "white"])
def test_cmyk(fmt, cmyk, rgb, tmp_path):
    path = _write(tmp_path / f"ink.{fmt.lower()}", Image.new("CMYK", (16, 8), cmyk), fmt)
    with Image.open(path) as raw:
        assert raw.mode == "CMYK"
    out = load_image(path)
    assert out.mode == "RGB" and out.size == (16, 8)
    assert _close(out.getpixel((8, 4)), rgb, tol=6), out.getpixel((8, 4))
    assert load_alpha(path) is None


def test_16_bit_grey_png_is_scaled_not_clipped(tmp_path):
    array = np.array([[0, 255, 32768, 65535]], dtype=np.uint16)
    path = _write(tmp_path / "deep.png", Image.fromarray(array), "PNG")
    with Image.open(path) as raw:
        assert raw.mode.startswith("I")
    out = load_image(path)
    assert out.mode == "RGB" and out.size == (4, 1)
    assert _pixels(out) == [(0, 0, 0), (1, 1, 1), (128, 128, 128), (255, 255, 255)]  # a dark pixel stays dark


def test_16_bit_grey_with_trns(tmp_path):
    array = np.array([[7, 65535]], dtype=np.uint16)
    path = _write(tmp_path / "deeptrns.png", Image.fromarray(array), "PNG", transparency=7)
    assert _pixels(load_image(path)) == [(255, 255, 255), (255, 255, 255)]
    assert _pixels(load_alpha(path)) == [0, 255]


@pytest.mark.parametrize("mode", ["I;16B", "I;16L"])
def test_16_bit_byte_orders(mode):
    img = Image.fromarray(np.array([[0, 32768, 65535]], dtype=np.uint16)).convert("I").convert(mode)
    assert _pixels(load_image(img)) == [(0, 0, 0), (128, 128, 128), (255, 255, 255)]


@pytest.mark.parametrize("channels", [3, 4])
def test_16_bit_colour_png(channels, tmp_path):
    """48- and 64-bit PNGs (Pillow reads them as 8-bit RGB/RGBA) written by hand, as Pillow won't write them."""
    pixels = [(65535, 32768, 0, 65535), (0, 0, 65535, 0)]
    row = b"\0" + b"".join(struct.pack(f">{channels}H", *p[:channels]) for p in pixels)
    path = tmp_path / "deepcolour.png"
    path.write_bytes(_png(2, 1, 16, 2 if channels == 3 else 6, zlib.compress(row)))
    out = load_image(path)
    assert out.mode == "RGB" and out.size == (2, 1)
    assert _pixels(out) == ([(255, 128, 0), (0, 0, 255)] if channels == 3 else [(255, 128, 0), (255, 255, 255)])


@pytest.mark.parametrize(
    ("values", "expected"),
    [([0, 128, 255], [0, 128, 255]), ([0, 1000, 32768, 65535], [0, 4, 128, 255])],
    ids=["8-bit-range", "16-bit-range"],
)
@pytest.mark.parametrize("via", ["pil", "tiff"])
def test_32_bit_integer_I(values, expected, via, tmp_path):
    img = Image.fromarray(np.array([values], dtype=np.int32))
    assert img.mode == "I"
    source = img if via == "pil" else _write(tmp_path / "int.tif", img, "TIFF")
    assert _pixels(load_image(source)) == [(v, v, v) for v in expected]


@pytest.mark.parametrize("via", ["pil", "tiff"])
def test_float_F(via, tmp_path):
    img = Image.fromarray(np.array([[0.0, 0.5, 1.0, np.nan]], dtype=np.float32))
    assert img.mode == "F"
    source = img if via == "pil" else _write(tmp_path / "float.tif", img, "TIFF")
    assert _pixels(load_image(source)) == [(0, 0, 0), (128, 128, 128), (255, 255, 255), (0, 0, 0)]


def test_float_F_in_8_bit_range():
    img = Image.fromarray(np.array([[0.0, 100.0, 255.0]], dtype=np.float32))
    assert _pixels(load_image(img)) == [(0, 0, 0), (100, 100, 100), (255, 255, 255)]


@pytest.mark.parametrize(
    ("mode", "value", "rgb"),
    [
        ("YCbCr", (76, 85, 255), (255, 0, 0)),
        ("YCbCr", (150, 44, 21), (0, 255, 0)),
        ("HSV", (0, 255, 255), (255, 0, 0)),
        ("HSV", (170, 255, 255), (0, 0, 255)),
        ("LAB", (255, 128, 128), (255, 255, 255)),
        ("RGBX", (1, 2, 3, 0), (1, 2, 3)),
    ],
)
def test_other_colour_spaces(mode, value, rgb):
    out = load_image(Image.new(mode, (2, 2), value))
    assert out.mode == "RGB" and out.size == (2, 2)
    assert _close(out.getpixel((1, 1)), rgb, tol=3), out.getpixel((1, 1))


def test_ycbcr_jpeg(tmp_path, images):
    src = _crop(images, (32, 16))
    path = _write(tmp_path / "ycc.jpg", src.convert("YCbCr"), "JPEG", quality=95)
    out = load_image(path)
    assert out.mode == "RGB" and out.size == (32, 16)
    assert np.abs(np.asarray(out, dtype=int) - np.asarray(src, dtype=int)).mean() < 6


# EXIF orientation: the stored 40x20 image has a red block top-left and a green block top-right. For each
# orientation: the upright size, and the corners (TL, TR, BL, BR) where red and green must then be.
ORIENTATIONS = {
    1: ((40, 20), "TL", "TR"),
    2: ((40, 20), "TR", "TL"),
    3: ((40, 20), "BR", "BL"),
    4: ((40, 20), "BL", "BR"),
    5: ((20, 40), "TL", "BL"),
    6: ((20, 40), "TR", "BR"),
    7: ((20, 40), "BR", "TR"),
    8: ((20, 40), "BL", "TL"),
}
RED, GREEN, GREY = (255, 0, 0), (0, 200, 0), (128, 128, 128)


def _marked(mode: str = "RGB") -> Image.Image:
    img = Image.new("RGB", (40, 20), GREY)
    img.paste(RED, (0, 0, 10, 10))
    img.paste(GREEN, (30, 0, 40, 10))
    if mode == "RGBA":
        img = img.convert("RGBA")
        img.putalpha(Image.new("L", img.size, 255))
        img.paste((0, 0, 0, 0), (0, 10, 10, 20))  # transparent block bottom-left (stored)
    return img


def _exif(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif


def _corner(img: Image.Image, corner: str) -> tuple[int, ...]:
    w, h = img.size
    x = 4 if corner[1] == "L" else w - 5
    y = 4 if corner[0] == "T" else h - 5
    return img.getpixel((x, y))


@pytest.mark.parametrize("orientation", sorted(ORIENTATIONS))
def test_exif_orientation_jpeg(orientation, tmp_path):
    path = _write(tmp_path / "phone.jpg", _marked(), "JPEG", quality=95, exif=_exif(orientation))
    size, red, green = ORIENTATIONS[orientation]
    out = load_image(path)
    assert out.mode == "RGB" and out.size == size
    assert _close(_corner(out, red), RED, tol=30), _corner(out, red)
    assert _close(_corner(out, green), GREEN, tol=30), _corner(out, green)
    with Image.open(path) as raw:  # Pillow's own exif_transpose agrees
        assert np.array_equal(np.asarray(out), np.asarray(ImageOps.exif_transpose(raw).convert("RGB")))
    assert load_image(Image.open(path)).size == size  # a lazily opened PIL image too


@pytest.mark.parametrize("orientation", [6, 8])
def test_exif_orientation_png_rgba_and_alpha(orientation, tmp_path):
    path = _write(tmp_path / "rot.png", _marked("RGBA"), "PNG", exif=_exif(orientation))
    size, red, _ = ORIENTATIONS[orientation]
    out, alpha = load_image(path), load_alpha(path)
    assert out.size == alpha.size == size and alpha.mode == "L"
    assert _corner(out, red) == RED
    # the transparent block was stored bottom-left: with 6 it is upright top-left, with 8 bottom-right
    clear = "TL" if orientation == 6 else "BR"
    assert _corner(alpha, clear) == 0 and _corner(out, clear) == (255, 255, 255)
    assert _corner(alpha, red) == 255


def test_damaged_exif_is_ignored(tmp_path, images):
    data = bytearray(_bytes(_crop(images, (16, 8)), "JPEG", exif=_exif(6)))
    start = data.index(b"Exif\0\0") + 6
    data[start : start + 8] = b"XX\0*\0\0\0\x08"  # not a TIFF byte order mark any more
    path = tmp_path / "badexif.jpg"
    path.write_bytes(bytes(data))
    assert load_image(path).size == (16, 8)


# ---------------------------------------------------------------- load_alpha


def test_load_alpha_rgba(tmp_path):
    array = np.array([[[255, 0, 0, 0], [0, 0, 0, 77], [9, 9, 9, 255]]], dtype=np.uint8)
    path = _write(tmp_path / "a.png", Image.fromarray(array, "RGBA"), "PNG")
    alpha = load_alpha(path)
    assert alpha.mode == "L" and alpha.size == (3, 1) and _pixels(alpha) == [0, 77, 255]


def test_load_alpha_la(tmp_path):
    img = Image.merge("LA", (Image.new("L", (2, 1), 9), Image.fromarray(np.array([[200, 3]], dtype=np.uint8))))
    alpha = load_alpha(_write(tmp_path / "la.png", img, "PNG"))
    assert alpha.mode == "L" and _pixels(alpha) == [200, 3]


def test_load_alpha_palette_trns(tmp_path):
    path = _write(tmp_path / "p.png", _palette_image(), "PNG", transparency=b"\x10\x20")
    alpha = load_alpha(path)
    assert alpha.mode == "L" and _pixels(alpha) == [0x10, 0x20, 255]


@pytest.mark.parametrize("name", ["tubingen.jpg", "starry_night_crop.png"])
def test_load_alpha_none_without_alpha(name, images, tmp_path):
    assert load_alpha(images / name) is None
    assert load_alpha(_write(tmp_path / "grey.png", Image.new("L", (4, 4), 3), "PNG")) is None
    assert load_alpha(Image.new("CMYK", (4, 4))) is None


def test_load_alpha_does_not_alias_the_source():
    src = Image.new("RGBA", (2, 2), (1, 2, 3, 4))
    alpha = load_alpha(src)
    alpha.putpixel((0, 0), 99)
    assert src.getpixel((0, 0)) == (1, 2, 3, 4)


# ---------------------------------------------------------------- tensors and saving


def test_tensor_round_trip_is_exact(images):
    with Image.open(images / "tubingen.jpg") as img:
        crop = img.convert("RGB").crop((100, 50, 228, 146))
    tensor = to_tensor(crop)
    assert tensor.shape == (1, 3, 96, 128) and tensor.dtype.is_floating_point
    assert float(tensor.min()) >= 0.0 and float(tensor.max()) <= 1.0
    back = to_image(tensor)
    assert back.mode == "RGB" and back.size == crop.size
    assert np.array_equal(np.asarray(back), np.asarray(crop))
    clipped = np.asarray(to_image(to_tensor(crop) * 3 - 1))  # out of [0, 1]: clipped, not wrapped around
    assert clipped.min() == 0 and clipped.max() == 255
    assert np.array_equal(clipped == 255, np.asarray(crop, dtype=int) * 3 >= 2 * 255 - 1)


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".JPEG", ".webp", ".tif", ".bmp"])
def test_save_image_writes_atomically(suffix, tmp_path, images):
    crop = _crop(images, (48, 32))
    out = save_image(crop, tmp_path / f"result{suffix}")
    assert out == tmp_path / f"result{suffix}"
    assert _listing(tmp_path) == [f"result{suffix}"]  # no temporary file left
    back = load_image(out)
    assert back.size == crop.size
    if suffix in (".png", ".tif", ".bmp"):
        assert np.array_equal(np.asarray(back), np.asarray(crop))
    else:
        assert np.abs(np.asarray(back, dtype=int) - np.asarray(crop, dtype=int)).mean() < 8


def test_save_image_relative_path(tmp_path, images, monkeypatch):
    monkeypatch.chdir(tmp_path)
    save_image(_crop(images, (8, 8)), "here.png")
    assert _listing(tmp_path) == ["here.png"]


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_save_image_permissions_follow_umask(umask, tmp_path, images):
    old = os.umask(umask)
    try:
        path = save_image(_crop(images, (8, 8)), tmp_path / "result.png")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_save_image_replaces_an_existing_file(tmp_path, images):
    path = tmp_path / "result.png"
    path.write_bytes(b"old")
    save_image(_crop(images, (8, 8)), path)
    assert load_image(path).size == (8, 8) and _listing(tmp_path) == ["result.png"]


def _failing_saves(tmp_path: Path):
    (tmp_path / "plain").write_text("a file, not a folder")
    return [
        (Image.new("RGB", (4, 4)), tmp_path / "plain" / "result.png", "not a folder"),
        (Image.new("RGB", (4, 4)), tmp_path / "nowhere" / "result.png", "does not exist"),
        (Image.new("RGB", (4, 4)), tmp_path / "result.xyz", "unknown image extension"),
        (Image.new("RGB", (4, 4)), tmp_path / "result", "no file extension"),
        (Image.new("RGB", (4, 4)), tmp_path / "result.psd", "cannot write them"),
        (Image.new("RGBA", (4, 4)), tmp_path / "result.jpg", "RGBA"),  # JPEG has no alpha
        (Image.new("RGB", (70000, 1)), tmp_path / "wide.jpg", "cannot write"),  # over JPEG's 65535 limit
    ]


def test_failing_save_is_painterly_error_and_leaves_existing_file(tmp_path):
    for img, path, words in _failing_saves(tmp_path):
        existing = path.parent.is_dir()
        if existing:
            path.write_bytes(b"precious bytes")
        before = _listing(tmp_path)
        with pytest.raises(PainterlyError) as exc:
            save_image(img, path)
        message = _assert_error(exc, path)
        assert words in message, message
        assert _listing(tmp_path) == before, f"temporary file left after {message}"
        if existing:
            assert path.read_bytes() == b"precious bytes"


def test_save_into_a_folder_path_fails_cleanly(tmp_path):
    (tmp_path / "taken.png").mkdir()
    with pytest.raises(PainterlyError) as exc:
        save_image(Image.new("RGB", (2, 2)), tmp_path / "taken.png")
    _assert_error(exc, tmp_path / "taken.png")
    assert _listing(tmp_path) == ["taken.png"]


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), ValueError("encoder error")])
def test_save_failing_halfway_leaves_existing_file(error, tmp_path, monkeypatch):
    path = tmp_path / "result.png"
    path.write_bytes(b"precious bytes")

    def half_then_fail(self, fp, *args, **kwargs):
        fp.write(b"\x89PNG half written")
        raise error

    monkeypatch.setattr(Image.Image, "save", half_then_fail)
    with pytest.raises(PainterlyError) as exc:
        save_image(Image.new("RGB", (4, 4)), path)
    _assert_error(exc, path)
    assert path.read_bytes() == b"precious bytes" and _listing(tmp_path) == ["result.png"]


def test_save_interrupted_cleans_up_and_reraises(tmp_path, monkeypatch):
    def interrupt(self, fp, *args, **kwargs):
        fp.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(Image.Image, "save", interrupt)
    with pytest.raises(KeyboardInterrupt):
        save_image(Image.new("RGB", (4, 4)), tmp_path / "result.png")
    assert _listing(tmp_path) == []


# ---------------------------------------------------------------- property tests: nothing but PainterlyError


@pytest.fixture(scope="module")
def seeds(images) -> list[bytes]:
    """Small real image files in several formats and modes (2-8 KB), for the mutation test to damage."""
    photo, big = _crop(images, (64, 48)), _crop(images, (96, 72))
    painting = _crop(images, (96, 72), "starry_night.jpg")
    alpha = photo.convert("RGBA")
    alpha.putalpha(Image.linear_gradient("L").resize(photo.size))
    deep = Image.fromarray(np.asarray(photo.convert("L"), dtype=np.uint16) * 257)
    files = [
        _bytes(photo, "PNG"),
        _bytes(big, "JPEG", quality=90),
        _bytes(painting, "JPEG", quality=85, exif=_exif(6), progressive=True),
        _bytes(alpha, "PNG"),
        _bytes(painting.quantize(16), "PNG", transparency=b"\x00\x80" + b"\xff" * 14),
        _bytes(deep, "PNG"),
        _bytes(painting.quantize(32), "GIF", transparency=3),
        _bytes(big.convert("CMYK"), "JPEG", quality=85),
        _bytes(photo.resize((32, 24)), "TIFF"),
        _bytes(photo.resize((32, 24)).quantize(64), "BMP"),
        _bytes(alpha, "WEBP", lossless=True),
    ]
    for data in files:
        assert 1_000 < len(data) < 8_500, len(data)
    return files


@pytest.fixture
def fuzz_path(tmp_path, monkeypatch) -> Path:
    # A flipped bit in a header can declare e.g. 64 x 1.9M pixels: under the real limit, and Pillow then decodes the
    # short data into a half-GB image without complaint (seconds each). A 4 MP limit keeps the examples fast and small
    # and sends such headers down the "too large" path instead.
    monkeypatch.setattr(images_module, "MAX_PIXELS", 1 << 22)
    return tmp_path / "fuzz.img"  # one path, rewritten for every example


def _check_load(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    try:
        img = load_image(path)
    except PainterlyError as exc:
        assert "\n" not in str(exc) and "fuzz.img" in str(exc)
        return
    assert isinstance(img, Image.Image) and img.mode == "RGB" and img.width >= 1 and img.height >= 1
    alpha = load_alpha(path)
    assert alpha is None or (alpha.mode == "L" and alpha.size == img.size)


_POSITION = st.one_of(st.integers(0, 80), st.integers(0, 1 << 14))  # the headers often, anywhere sometimes
_MUTATION = st.one_of(
    st.tuples(st.just("flip"), _POSITION, st.integers(1, 255)),
    st.tuples(
        st.just("set"),
        _POSITION,
        st.one_of(st.binary(min_size=1, max_size=4), st.sampled_from([b"\xff\xff\xff\xff", b"\0\0\0\0", b"\x7f\xff"])),
    ),
    st.tuples(st.just("insert"), _POSITION, st.binary(min_size=1, max_size=16)),
    st.tuples(st.just("delete"), _POSITION, st.integers(1, 64)),
    st.tuples(st.just("truncate"), _POSITION, st.just(0)),
)


def _mutate(data: bytes, mutations: list[tuple]) -> bytes:
    out = bytearray(data)
    for kind, position, arg in mutations:
        pos = position % (len(out) + 1)
        if kind == "flip" and pos < len(out):
            out[pos] ^= arg
        elif kind == "set":
            out[pos : pos + len(arg)] = arg
        elif kind == "insert":
            out[pos:pos] = arg
        elif kind == "delete":
            del out[pos : pos + arg]
        elif kind == "truncate":
            del out[pos:]
    return bytes(out)


MAGIC = [
    PNG_SIGNATURE,
    PNG_SIGNATURE + b"\0\0\0\rIHDR",
    b"\xff\xd8\xff\xe0",
    b"\xff\xd8\xff\xdb",
    b"GIF89a",
    b"BM",
    b"II*\0",
    b"MM\0*",
    b"RIFF\0\0\0\0WEBPVP8 ",
    b"P6\n",
    b"\0\0\1\0",
    b"8BPS",
    b"qoif",
    b"DDS |\0\0\0",
]


@pytest.mark.filterwarnings("ignore")  # damaged files make Pillow warn (corrupt EXIF, ...); only raising matters
@settings(max_examples=1000, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.one_of(st.binary(max_size=3000), st.tuples(st.sampled_from(MAGIC), st.binary(max_size=3000)).map(b"".join))
)
def test_random_bytes_raise_only_painterly_error(data, fuzz_path):
    _check_load(fuzz_path, data)


@pytest.mark.filterwarnings("ignore")
@settings(max_examples=1000, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    index=st.integers(0, 10),
    mutations=st.lists(_MUTATION, min_size=1, max_size=6),
    fix_crcs=st.booleans(),
)
def test_mutated_images_raise_only_painterly_error(index, mutations, fix_crcs, seeds, fuzz_path):
    data = _mutate(seeds[index], mutations)
    _check_load(fuzz_path, _fix_png_crcs(data) if fix_crcs else data)


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (OSError(errno.EIO, "Input/output error"), "cannot read image"),
        (OSError(errno.EINVAL, "Invalid argument"), "damaged"),  # a seek to a negative offset from a bad header
        (OSError("image file is truncated (3 bytes not processed)"), "truncated"),
        (MemoryError(), "memory"),
    ],
)
def test_pillow_error_messages(error, words, tmp_path, images, monkeypatch):
    path = _write(tmp_path / "photo.png", _crop(images, (8, 8)), "PNG")

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(ImageFile.ImageFile, "load", fail)
    with pytest.raises(PainterlyError) as exc:
        load_image(path)
    assert words in _assert_error(exc, path)


def test_a_file_that_appears_during_the_work_is_never_replaced(tmp_path):
    """Without replace, the final step refuses a name taken after any earlier check (here: while the image was
    being encoded), leaves that file as it is and no temporary file behind; a free name is written as usual."""
    from painterly.media.images import write_atomically

    target = tmp_path / "out.png"

    def encode_while_another_program_writes(f):
        target.write_bytes(b"theirs")
        f.write(b"ours")

    with pytest.raises(PainterlyError, match="appeared while painterly worked"):
        write_atomically(target, encode_while_another_program_writes, replace=False)
    assert target.read_bytes() == b"theirs" and sorted(p.name for p in tmp_path.iterdir()) == ["out.png"]
    fresh = tmp_path / "fresh.png"
    save_image(Image.new("RGB", (4, 4), (9, 8, 7)), fresh, replace=False)
    assert load_image(fresh).getpixel((0, 0)) == (9, 8, 7) and len(list(tmp_path.iterdir())) == 2
    save_image(Image.new("RGB", (4, 4), (1, 2, 3)), fresh)  # replace, as before, when told
    assert load_image(fresh).getpixel((0, 0)) == (1, 2, 3)


def test_common_formats_are_read_and_written_without_loading_every_plugin(tmp_path):
    """Loading all of Pillow's plugins costs about 0.1 s of start-up: a JPEG in and a PNG out need only the common
    ones, and a rarer format (TIFF, WebP) is still read, with every plugin loaded only then."""
    import subprocess
    import sys

    Image.new("RGB", (12, 8), "red").save(tmp_path / "in.jpg")
    Image.new("RGB", (12, 8), "blue").save(tmp_path / "in.tif")
    Image.new("RGB", (12, 8), "green").save(tmp_path / "in.webp")
    script = (
        "import sys; from painterly.media.images import load_image, save_image\n"
        f"folder = {str(tmp_path)!r}\n"
        "save_image(load_image(folder + '/in.jpg'), folder + '/out.png')\n"
        "print('PIL.TiffImagePlugin' in sys.modules)\n"
        "print(load_image(folder + '/in.tif').getpixel((0, 0)), load_image(folder + '/in.webp').size)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["False", "(0, 0, 255) (12, 8)"]
    assert Image.open(tmp_path / "out.png").size == (12, 8)
