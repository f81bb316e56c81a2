"""Video in and out with PyAV (which bundles FFmpeg, so no system ffmpeg is needed).

Reading streams frames one at a time, upright (PyAV hands frames over as stored: a phone's portrait video is stored
sideways with a display matrix saying how to turn it, which `read_frames` applies), with each frame's timestamp, so a
variable-frame-rate input keeps its timing. A folder of numbered images reads the same way, at a frame rate given.

Writing encodes H.264 (libx264, yuv420p, BT.709 tags) at the input's exact frame rate (a Fraction such as
24000/1001) with the input's own timestamps, and copies the input's audio packets unchanged (remuxed, not
re-encoded). The file appears only when complete: it is written beside its final name and renamed at the end.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import PainterlyError
from .images import appeared, load_image, place_new, save_image

VIDEO_FORMATS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska"}  # what we can write
FRAME_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")
DEFAULT_FPS = Fraction(24)  # of a folder of frames, which carries no rate of its own
# Container formats under which FFmpeg reads a single image as a one-frame "video".
_IMAGE_DEMUXERS = re.compile(r"image2|.*_pipe|gif|apng|webp")
_AUDIO_LEAD = 0.5  # s of audio muxed ahead of the video, so the file interleaves the two finely


@dataclass(frozen=True)
class Frame:
    """One decoded frame, upright RGB, with where it sits in time."""

    index: int  # 0-based among the frames read (after --start)
    pts: int  # timestamp in the video's time_base (for a folder: the frame number)
    time: float  # seconds on the input's clock
    image: Image.Image


@dataclass(frozen=True)
class VideoInfo:
    """What a video is, as read before any frame is painted."""

    path: Path
    width: int  # upright: after the rotation is applied
    height: int
    rotation: int  # degrees counter-clockwise that turn a stored frame upright (0, 90, 180, 270)
    frame_rate: Fraction  # average rate; exact as the container states it
    time_base: Fraction
    frames: int | None  # as the container states it (None when it does not say)
    duration: float | None  # seconds
    start_time: float  # seconds of the first frame on the input's clock
    audio: bool  # has an audio stream (copied unchanged into the output)
    folder: bool  # a folder of numbered images rather than a video file

    def frames_between(self, start: float | None, end: float | None) -> int | None:
        """How many frames [start, end) holds: exact for a folder, an estimate from the rate for a file."""
        if self.folder:
            first = 0 if start is None else max(0, int(np.ceil(start * self.frame_rate - 1e-9)))
            last = self.frames if end is None else min(self.frames, int(np.ceil(end * self.frame_rate - 1e-9)))
            return max(0, last - first)
        if start is None and end is None and self.frames:
            return self.frames
        if self.duration is None:
            return None
        begin = self.start_time if start is None else max(start, self.start_time)
        finish = self.start_time + self.duration if end is None else min(end, self.start_time + self.duration)
        return max(0, round((finish - begin) * self.frame_rate))


def _av():
    try:
        import av
    except ImportError:  # it is a dependency, but a broken install should still say what is missing
        raise PainterlyError("video needs PyAV: pip install av") from None
    return av


def _quote(path: Path) -> str:
    return f"'{path}'"


def numbered_frames(folder: Path) -> list[Path]:
    """The images of a folder in the order of the last number in their names (frame_2 before frame_10)."""
    numbered = []
    for path in folder.iterdir():
        digits = re.findall(r"\d+", path.stem)
        if path.is_file() and path.suffix.lower() in FRAME_EXTENSIONS and digits and not path.name.startswith("."):
            numbered.append((int(digits[-1]), path.name, path))
    return [path for *_, path in sorted(numbered)]


def probe(path: str | os.PathLike, fps: Fraction = DEFAULT_FPS) -> VideoInfo:
    """Open a video file (or a folder of numbered frames) and describe it; anything that is not a readable video
    is a PainterlyError with one line. The first frame is decoded, so a file whose frames cannot be read fails
    here rather than after minutes of work, and its display matrix gives the rotation."""
    path = Path(path)
    if path.is_dir():
        return _probe_folder(path, fps)
    if not path.exists():
        raise PainterlyError(f"input {_quote(path)} does not exist")
    av = _av()
    try:
        with av.open(str(path)) as container:
            if _IMAGE_DEMUXERS.fullmatch(container.format.name or ""):
                raise PainterlyError(
                    f"{_quote(path)} is an image, not a video; paint it with `painterly IMAGE`, or pass a folder "
                    "of numbered frames"
                )
            if not container.streams.video:
                raise PainterlyError(f"{_quote(path)} has no video stream")
            stream = container.streams.video[0]
            first = next(container.decode(stream), None)
            if first is None:
                raise PainterlyError(f"{_quote(path)} has a video stream but no frame could be decoded")
            rotation = _quarter_turns(_rotation(first, stream)) * 90
            rate = stream.average_rate or stream.guessed_rate or stream.base_rate
            if not rate:
                raise PainterlyError(f"{_quote(path)} does not say its frame rate")
            time_base = stream.time_base or 1 / Fraction(rate)
            duration = float(stream.duration * time_base) if stream.duration else None
            if duration is None and container.duration:
                duration = container.duration / 1_000_000  # in AV_TIME_BASE units
            start = float(stream.start_time * time_base) if stream.start_time is not None else 0.0
            width, height = (first.height, first.width) if rotation % 180 else (first.width, first.height)
            return VideoInfo(
                path=path,
                width=width,
                height=height,
                rotation=rotation,
                frame_rate=Fraction(rate),
                time_base=Fraction(time_base),
                frames=stream.frames or None,
                duration=duration,
                start_time=start,
                audio=bool(container.streams.audio),
                folder=False,
            )
    except av.FFmpegError as exc:
        raise PainterlyError(f"{_quote(path)} is not a video PyAV can read ({_reason(exc)})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PainterlyError(f"cannot read {_quote(path)}: {_reason(exc)}") from None


def _probe_folder(folder: Path, fps: Fraction) -> VideoInfo:
    frames = numbered_frames(folder)
    if not frames:
        raise PainterlyError(
            f"folder {_quote(folder)} holds no numbered frames ({', '.join(FRAME_EXTENSIONS)} with a number in "
            "the name)"
        )
    first = load_image(frames[0])
    rate = Fraction(fps)
    return VideoInfo(
        path=folder,
        width=first.width,
        height=first.height,
        rotation=0,  # load_image already applies EXIF orientation
        frame_rate=rate,
        time_base=1 / rate,
        frames=len(frames),
        duration=float(len(frames) / rate),
        start_time=0.0,
        audio=False,
        folder=True,
    )


def _rotation(frame, stream) -> float | None:
    """The frame's display-matrix rotation (degrees counter-clockwise). PyAV releases before `VideoFrame.rotation`
    did not expose it; there FFmpeg still gave the stream a 'rotate' tag, in degrees clockwise."""
    rotation = getattr(frame, "rotation", None)
    if rotation is None:
        try:
            return -float(stream.metadata.get("rotate", 0))
        except ValueError:
            return None
    return rotation


def _quarter_turns(degrees: float | int | None) -> int:
    """Display matrices may hold any angle; like FFmpeg's autorotate, honour the nearest quarter turn."""
    if degrees is None or degrees != degrees:  # NaN for a singular matrix
        return 0
    return round(float(degrees) / 90) % 4


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__).rstrip(".")


def read_frames(info: VideoInfo, start: float | None = None, end: float | None = None) -> Iterator[Frame]:
    """The frames whose time is in [start, end) seconds, upright, one at a time (memory does not grow with the
    video's length). A folder's frames are numbered at `info.frame_rate` from 0 s."""
    if info.folder:
        yield from _read_folder(info, start, end)
        return
    av = _av()
    index = 0
    last_pts: int | None = None
    frame_ticks = 1 / (info.frame_rate * info.time_base)  # one frame's duration in time_base units
    try:
        with av.open(str(info.path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            if start:
                # Seek to the key frame before `start`, then decode forward to it.
                container.seek(int(start / info.time_base), stream=stream, backward=True)
            for decoded in container.decode(stream):
                pts = decoded.pts
                if pts is None:  # a raw stream without timestamps: count frames at the stated rate
                    pts = 0 if last_pts is None else last_pts + round(frame_ticks)
                if last_pts is not None and pts <= last_pts:  # broken or duplicate stamps: keep them increasing
                    pts = last_pts + 1
                time = float(pts * info.time_base)
                if start is not None and time < start - 1e-6:
                    continue
                if end is not None and time >= end - 1e-6:
                    break
                last_pts = pts
                yield Frame(index, pts, time, _upright(decoded, stream))
                index += 1
    except av.FFmpegError as exc:
        raise PainterlyError(f"cannot decode {_quote(info.path)} at frame {index}: {_reason(exc)}") from None


def _upright(frame, stream) -> Image.Image:
    array = frame.to_ndarray(format="rgb24")
    turns = _quarter_turns(_rotation(frame, stream))
    if turns:
        array = np.ascontiguousarray(np.rot90(array, turns))  # np.rot90 turns counter-clockwise, as does the matrix
    return Image.fromarray(array, "RGB")


def _read_folder(info: VideoInfo, start: float | None, end: float | None) -> Iterator[Frame]:
    size = (info.width, info.height)
    index = 0
    for number, path in enumerate(numbered_frames(info.path)):
        time = float(number / info.frame_rate)
        if start is not None and time < start - 1e-6:
            continue
        if end is not None and time >= end - 1e-6:
            break
        image = load_image(path)
        if image.size != size:
            raise PainterlyError(
                f"frame {_quote(path)} is {image.width}x{image.height}, the first frame {size[0]}x{size[1]}: "
                "every frame of a folder must have the same size"
            )
        yield Frame(index, number, time, image)
        index += 1


def even_size(width: int, height: int, longest: int) -> tuple[int, int]:
    """(width, height) scaled so the longest edge is `longest`, each rounded down to an even number: libx264
    with yuv420p stores colour per 2x2 block and refuses odd sizes."""
    scale = longest / max(width, height)
    w, h = (max(2, round(width * scale)), max(2, round(height * scale)))
    return max(2, w - w % 2), max(2, h - h % 2)


def frame_path(folder: Path, index: int) -> Path:
    """Where frame `index` (0-based) of a folder of stylised frames is written: frame_000001.png, ..."""
    return folder / f"frame_{index + 1:06d}.png"


def save_frame(folder: Path, index: int, image: Image.Image) -> Path:
    """Write one stylised frame atomically (a frame that exists is a finished frame: --resume relies on it)."""
    return save_image(image, frame_path(folder, index))


def finished_frames(folder: Path) -> int:
    """How many frames from the first on are written in `folder` with no gap (where a stopped run resumes)."""
    count = 0
    while frame_path(folder, count).is_file():
        count += 1
    return count


class VideoWriter:
    """An H.264 file written as frames arrive, with the audio of `audio_from` copied packet for packet.

    Frames come with their timestamps (`pts` in `time_base`), which are written as they are, so the output keeps
    the input's exact frame rate, its start and, for a variable-rate input, every frame's time. `start` (seconds)
    is subtracted from video and audio timestamps alike: a part cut from the middle starts at 0 and stays in sync.
    Audio packets outside [start, end) are dropped; the rest keep their bytes (and, without start, their times).

    The file is written under a temporary name beside `path` and renamed by `close()`; `abort()` (or an exception
    inside a `with` block) removes it, so `path` never holds half a video. With `replace` False, a file that
    appeared at `path` meanwhile is kept and `close()` fails (the rename is a link, which the kernel refuses).
    """

    def __init__(
        self,
        path: str | os.PathLike,
        size: tuple[int, int],
        frame_rate: Fraction,
        time_base: Fraction,
        *,
        audio_from: Path | None = None,
        start: float | None = None,
        end: float | None = None,
        crf: int = 18,
        replace: bool = True,
    ) -> None:
        av = self._av = _av()
        self.replace = replace
        self.path = Path(path)
        fmt = VIDEO_FORMATS.get(self.path.suffix.lower())
        if fmt is None:
            raise PainterlyError(
                f"cannot write {_quote(self.path)}: use one of {', '.join(VIDEO_FORMATS)} for the output video"
            )
        width, height = size
        if width % 2 or height % 2:
            raise PainterlyError(f"H.264 with yuv420p needs an even size, got {width}x{height}")
        self.size = size
        self.time_base = Fraction(time_base)
        self.offset_pts = round(Fraction(start) / self.time_base) if start else 0
        self.tmp = self.path.with_name(f".{self.path.stem[:100]}.{secrets.token_hex(4)}.tmp{self.path.suffix}")
        self._audio_input = None
        self._audio_packets: Iterator | None = None
        self._pending = None  # the next audio packet, read but not yet muxed
        self.closed = False
        try:
            self.container = av.open(str(self.tmp), "w", format=fmt)
            stream = self.container.add_stream("libx264", rate=Fraction(frame_rate))
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.codec_context.time_base = self.time_base
            stream.codec_context.options = {"crf": str(crf), "preset": "medium"}
            # BT.709, limited range, tagged: what players assume for HD, and now stated for every size.
            cc = stream.codec_context
            cc.colorspace, cc.color_primaries, cc.color_trc, cc.color_range = 1, 1, 1, 1
            self.stream = stream
            if audio_from is not None:
                self._open_audio(audio_from, start, end)
            self.container.start_encoding()  # writes the header: a codec the container refuses fails now
        except av.FFmpegError as exc:
            self.abort()
            raise PainterlyError(f"cannot write {_quote(self.path)}: {_reason(exc)}") from None
        except BaseException:
            self.abort()
            raise

    def _open_audio(self, source: Path, start: float | None, end: float | None) -> None:
        self._audio_input = self._av.open(str(source))
        inputs = list(self._audio_input.streams.audio)
        if not inputs:
            self._audio_input.close()
            self._audio_input = None
            return
        outputs = {}
        for stream in inputs:
            outputs[stream.index] = self.container.add_stream_from_template(stream)
        offset = start or 0.0
        shift = {s.index: round(Fraction(offset) / s.time_base) if offset else 0 for s in inputs}

        def packets():
            for packet in self._audio_input.demux(inputs):
                if packet.dts is None or packet.pts is None:  # the demuxer's end-of-stream marker
                    continue
                time = float(packet.pts * packet.time_base)
                # Without --start, everything before the first frame stays too (AAC's priming packet at -1024).
                if (start is not None and time < start - 1e-6) or (end is not None and time >= end - 1e-6):
                    continue
                index = packet.stream.index
                packet.pts -= shift[index]
                packet.dts -= shift[index]
                packet.stream = outputs[index]
                yield time - offset, packet

        self._audio_packets = packets()

    def _mux_audio_until(self, seconds: float | None) -> None:
        """Mux the audio up to `seconds` (None: all that is left), so audio and video interleave in the file."""
        if self._audio_packets is None:
            return
        while True:
            if self._pending is None:
                self._pending = next(self._audio_packets, None)
                if self._pending is None:
                    return
            time, packet = self._pending
            if seconds is not None and time > seconds:
                return
            self.container.mux(packet)
            self._pending = None

    def write(self, image: Image.Image, pts: int) -> None:
        """Encode one frame shown at `pts` (in the input's time_base, before the offset is taken off)."""
        if image.size != self.size:
            raise ValueError(f"frame of {image.size} for a video of {self.size}")
        av = self._av
        frame = av.VideoFrame.from_ndarray(np.asarray(image.convert("RGB")), format="rgb24")
        frame = frame.reformat(format="yuv420p", dst_colorspace="itu709", dst_color_range="MPEG")
        frame.pts = pts - self.offset_pts
        frame.time_base = self.time_base
        try:
            self._mux_audio_until(float(frame.pts * self.time_base) + _AUDIO_LEAD)
            for packet in self.stream.encode(frame):
                self.container.mux(packet)
        except av.FFmpegError as exc:
            raise PainterlyError(f"cannot write {_quote(self.path)}: {_reason(exc)}") from None

    def close(self) -> Path:
        """Flush the encoder, add the rest of the audio, and give the file its name."""
        av = self._av
        try:
            for packet in self.stream.encode():
                self.container.mux(packet)
            self._mux_audio_until(None)
            self.container.close()
            self._close_audio()
            if self.replace:
                os.replace(self.tmp, self.path)
            else:
                place_new(self.tmp, self.path)
        except FileExistsError:
            self.abort()
            raise appeared(self.path) from None
        except av.FFmpegError as exc:
            self.abort()
            raise PainterlyError(f"cannot write {_quote(self.path)}: {_reason(exc)}") from None
        except BaseException:
            self.abort()
            raise
        self.closed = True
        return self.path

    def _close_audio(self) -> None:
        if self._audio_input is not None:
            self._audio_input.close()
            self._audio_input = None

    def abort(self) -> None:
        """Stop and remove the partial file; the final path is left as it was."""
        if self.closed:
            return
        self.closed = True
        container = getattr(self, "container", None)
        if container is not None:
            try:
                container.close()
            except Exception:  # a half-written container may fail to finalise; it is deleted anyway
                pass
        self._close_audio()
        self.tmp.unlink(missing_ok=True)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None and not self.closed:
            self.close()
        else:
            self.abort()
