"""`painterly video`: real clips made with PyAV (benchmarks/make_clip.py), real VGG-19 weights, 64 px, a few
iterations a frame. Timing, rate, audio, rotation, odd sizes, resume and bad input through the real front-end; the
occlusion mask of Ruder et al. on synthetic flows whose answer is known."""

from __future__ import annotations

import importlib.util
import signal
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

av = pytest.importorskip("av")
pytest.importorskip("cv2")

from painterly import Painter, StyleConfig  # noqa: E402
from painterly.apps import cli  # noqa: E402
from painterly.engine.temporal import carried, occlusion_mask, optical_flow, paint_frames, warp  # noqa: E402
from painterly.media.video import frame_path, probe, read_frames  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import quality_metrics as qm  # noqa: E402
from scenes import street  # noqa: E402

FAST = ["--size", "64", "--iterations", "2", "--frame-iterations", "1", "--precision", "float32", "--quiet"]


def _load_make_clip():
    spec = importlib.util.spec_from_file_location("make_clip", ROOT / "benchmarks" / "make_clip.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_clip = _load_make_clip()


@pytest.fixture(scope="module")
def clips(tmp_path_factory, images):
    """Tiny clips, each with a sine-tone AAC track: NTSC rate, portrait with rotation metadata, odd size, VFR."""
    folder = tmp_path_factory.mktemp("clips")
    photo = Image.open(images / "tubingen.jpg").convert("RGB")
    return {
        "ntsc": make_clip.write_clip(folder / "ntsc.mp4", make_clip.scene(photo, 5, (64, 36)), Fraction(30000, 1001)),
        "rotated": make_clip.write_clip(folder / "rotated.mp4", [make_clip.arrow((48, 64))] * 3, rotation=90),
        "odd": make_clip.write_clip(folder / "odd.mp4", make_clip.scene(photo, 3, (67, 45))),
        "vfr": make_clip.write_clip(
            folder / "vfr.mp4", make_clip.scene(photo, 3, (64, 36)), Fraction(25), times=[0, 0.04, 0.3]
        ),
    }


@pytest.fixture(scope="module")
def ntsc_run(clips, style, tmp_path_factory):
    """The NTSC clip painted without interruption, its stylised frames kept: (video, frames folder)."""
    folder = tmp_path_factory.mktemp("ntsc_run")
    out, frames = folder / "out.mp4", folder / "frames"
    assert video(clips["ntsc"], "--style", style, "-o", out, "--frames-out", frames, *FAST) == 0
    return out, frames


@pytest.fixture(scope="module")
def style(images, tmp_path_factory):
    path = tmp_path_factory.mktemp("style") / "style.png"
    Image.open(images / "starry_night.jpg").convert("RGB").resize((64, 51)).save(path)
    return path


def video(*args) -> int:
    return cli.main(["video", *map(str, args)])


def stream_facts(path: Path) -> dict:
    """What must survive painting: rate, time base, every frame's time, duration, and the audio packets' bytes
    and times."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        times = [frame.pts * stream.time_base for frame in container.decode(stream)]
        rate, duration = stream.average_rate, stream.duration * stream.time_base
    with av.open(str(path)) as container:
        audio = container.streams.audio[0]
        packets = [(p.pts * p.time_base, p.dts * p.time_base, bytes(p)) for p in container.demux(audio) if p.size]
    return {"rate": rate, "times": times, "duration": duration, "packets": packets}


def test_frames_rate_duration_and_audio_packets_are_kept(clips, ntsc_run):
    out, frames = ntsc_run
    source, result = stream_facts(clips["ntsc"]), stream_facts(out)
    assert result["rate"] == Fraction(30000, 1001) == source["rate"]
    assert len(result["times"]) == len(source["times"]) == 5
    assert result["times"] == source["times"]  # exact Fractions: every timestamp kept
    assert abs(result["duration"] - source["duration"]) < 1e-3
    assert result["packets"] == source["packets"]  # remuxed: same bytes at the same times, priming packet too
    assert len(source["packets"]) > 5
    assert len(list(frames.glob("frame_*.png"))) == 5  # --frames-out keeps them
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_work_folder_goes_when_the_video_is_done(clips, style, tmp_path):
    out = tmp_path / "vfr_out.mp4"
    assert video(clips["vfr"], "--style", style, "-o", out, *FAST) == 0
    assert [float(t) for t in stream_facts(out)["times"]] == pytest.approx([0, 0.04, 0.3])  # VFR times kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vfr_out.mp4"]  # no OUT.frames/, no temporary file


def test_rotated_input_comes_out_upright(clips, style, tmp_path):
    assert probe(clips["rotated"]).rotation == 90  # stored landscape, shown portrait
    out = tmp_path / "upright.mp4"
    # The photo's own colours at the start: the test reads the orientation from a red bar.
    assert video(clips["rotated"], "--style", style, "-o", out, *FAST, "--init-palette", "photo") == 0
    with av.open(str(out)) as container:
        frame = next(container.decode(video=0))
        assert frame.rotation == 0  # turned in the pixels, so no player needs the matrix
        image = frame.to_ndarray(format="rgb24").astype(float)
    height, width = image.shape[:2]
    assert (width, height) == (48, 64)
    quadrants = [image[:32, :24].mean(), image[:32, 24:].mean(), image[32:48, :24].mean(), image[32:48, 24:].mean()]
    assert np.argmax(quadrants) == 0  # the white block is top-left, as drawn upright
    bottom, top = image[-8:], image[:8]
    assert bottom[..., 0].mean() - bottom[..., 1].mean() > 60  # the red bar runs along the bottom
    assert abs(top[..., 0].mean() - top[..., 1].mean()) < 40


def test_odd_sized_input_gives_an_even_video(clips, style, tmp_path):
    out = tmp_path / "odd_out.mp4"
    frames = tmp_path / "odd_frames"
    assert video(clips["odd"], "--style", style, "-o", out, "--frames-out", frames, *FAST) == 0
    info = probe(out)
    assert (info.width, info.height) == (64, 42)  # 67x45 scaled to 64 px is 64x43; H.264 4:2:0 needs even
    assert len(list(read_frames(info))) == 3
    assert [p.name for p in sorted(frames.glob("frame_*.png"))] == [frame_path(frames, i).name for i in range(3)]


def test_folder_of_numbered_frames(style, tmp_path, images):
    folder = tmp_path / "frames"
    folder.mkdir()
    photo = Image.open(images / "tubingen.jpg").convert("RGB")
    for i, array in enumerate(make_clip.scene(photo, 2, (64, 48))):
        Image.fromarray(array).save(folder / f"img{i + 9}.png")  # 9, 10: numeric, not alphabetical, order
    out = tmp_path / "from_folder.mp4"
    assert video(folder, "--style", style, "-o", out, "--fps", "12", *FAST) == 0
    info = probe(out)
    assert (info.frame_rate, info.frames, info.audio) == (12, 2, False)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.mark.parametrize("how", ["--frames-out", "--work"])
@pytest.mark.parametrize("overwrite", [False, True])
def test_a_folder_of_the_users_frames_is_never_a_work_folder(style, tmp_path, images, capsys, how, overwrite):
    """The input frames folder given as --frames-out/--work (with or without --overwrite), or any folder of
    frame_*.png that this command did not write, is refused in one line, and every byte in it stays."""
    frames = tmp_path / "frames"
    frames.mkdir()
    photo = Image.open(images / "tubingen.jpg").convert("RGB")
    for i, array in enumerate(make_clip.scene(photo, 3, (64, 48))):
        Image.fromarray(array).save(frames / f"frame_{i + 1:06d}.png")  # the names the command writes itself
    before = _snapshot(frames)
    extra = ["--overwrite"] if overwrite else []
    assert video(frames, "--style", style, "-o", tmp_path / "a.mp4", how, frames, "--fps", "12", *extra, *FAST) == 2
    assert "holds this run's input" in capsys.readouterr().err
    assert _snapshot(frames) == before
    other = tmp_path / "other.mp4"
    clip = make_clip.write_clip(tmp_path / "clip.mp4", make_clip.scene(photo, 2, (64, 36)))
    assert video(clip, "--style", style, "-o", other, how, frames, *extra, *FAST) == 2
    assert "did not write (no video.json)" in capsys.readouterr().err
    assert _snapshot(frames) == before and not other.exists()


@pytest.mark.parametrize("saved", ["null", "[]", "3", '"text"', "[" * 50_000 + "]" * 50_000, '{"fps": NaN}'])
def test_resume_from_a_settings_file_that_is_not_an_object_is_one_line(clips, style, tmp_path, capsys, saved):
    work = tmp_path / "work"
    work.mkdir()
    (work / "video.json").write_text(saved)
    assert video(clips["ntsc"], "--style", style, "-o", tmp_path / "a.mp4", "--work", work, "--resume", *FAST) == 2
    assert "is not a painterly video settings file" in capsys.readouterr().err
    assert (work / "video.json").read_text() == saved


def test_resume_after_ctrl_c_paints_the_same_frames(clips, ntsc_run, style, tmp_path, monkeypatch):
    import painterly.apps.video as front

    whole_video, whole = ntsc_run
    resumed = tmp_path / "resumed"

    save_frame = front.save_frame

    def save_then_interrupt(folder, index, image):  # a real SIGINT, delivered after the second frame is saved
        path = save_frame(folder, index, image)
        if index == 1:
            signal.raise_signal(signal.SIGINT)
        return path

    monkeypatch.setattr(front, "save_frame", save_then_interrupt)
    args = [clips["ntsc"], "--style", style, "-o", tmp_path / "b.mp4", "--frames-out", resumed, *FAST]
    assert video(*args) == 130
    assert sorted(p.name for p in resumed.glob("frame_*.png")) == ["frame_000001.png", "frame_000002.png"]
    assert not (tmp_path / "b.mp4").exists()  # no half-written video
    monkeypatch.setattr(front, "save_frame", save_frame)
    assert video(*args) == 2  # without --resume the frames there are not thrown away
    assert video(*args, "--resume") == 0
    for index in range(5):
        a = np.asarray(Image.open(frame_path(whole, index)))
        b = np.asarray(Image.open(frame_path(resumed, index)))
        assert np.array_equal(a, b), f"frame {index + 1} differs after resuming"
    assert stream_facts(tmp_path / "b.mp4")["times"] == stream_facts(whole_video)["times"]


def test_not_a_video_is_one_line_and_status_2(tmp_path, style, capsys):
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n")
    image = tmp_path / "photo.png"
    Image.new("RGB", (32, 32), "blue").save(image)
    silent = tmp_path / "tone.m4a"
    with av.open(str(silent), "w", format="mp4") as container:  # audio only: no video stream
        stream = container.add_stream("aac", rate=44100)
        chunk = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        chunk.sample_rate, chunk.pts = 44100, 0
        container.mux(stream.encode(chunk))
        container.mux(stream.encode())
    for path, words in ((text, "not a video"), (image, "is an image"), (silent, "no video stream")):
        capsys.readouterr()
        assert video(path, "--style", style, "-o", tmp_path / "out.mp4", *FAST) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("painterly: error:") and words in err, err
    assert not (tmp_path / "out.mp4").exists()


# ---------------------------------------------------------------------------------------- flow and occlusion


def test_consistent_translation_is_trusted_except_off_frame():
    h, w = 20, 30
    flow = np.zeros((h, w, 2), np.float32)
    flow[..., 0] = 3.0  # every pixel of A is 3 px to the right in B
    reverse = -flow
    c = occlusion_mask(flow, reverse)
    assert c.dtype == np.float32 and c.shape == (h, w)
    assert (c[:, : w - 3] == 1).all()  # p + 3 still inside the picture
    assert (c[:, w - 3 :] == 0).all()  # p + 3 beyond the right edge: off-frame


def test_inconsistent_flow_is_not_trusted():
    flow = np.zeros((20, 30, 2), np.float32)
    flow[..., 1] = 2.0
    c = occlusion_mask(flow, flow.copy())  # the way back points further on: |w~ + w^|^2 = 16 > 0.01*8 + 0.5
    assert (c == 0).all()
    slight = occlusion_mask(flow, -flow + 0.3)  # |w~ + w^|^2 = 0.18 < 0.01*(8.1) + 0.5: within tolerance
    assert (slight[:-3] == 1).all()


def test_motion_boundary_is_not_trusted():
    flow = np.zeros((20, 30, 2), np.float32)
    flow[:, 15:, 0] = -2.0  # the right half moves left: a motion boundary at column 15
    c = occlusion_mask(flow, -flow)
    assert (c[:, 14:16] == 0).all()  # |grad u|^2 = 1 > 0.01 * 4 + 0.002 on either side of the step
    assert (c[:, 3:12] == 1).all() and (c[:, 18:] == 1).all()


def test_what_the_previous_frame_hid_is_carried_from_an_earlier_one(images):
    # Ruder et al.'s long-term frames: a square steps right and back over the photo. Where it stood in the previous
    # frame, that frame cannot vouch for the background; the frame before it saw it there, still.
    photo = Image.open(images / "tubingen.jpg").convert("RGB").resize((128, 96))

    def with_square(left: int) -> Image.Image:
        frame = photo.copy()
        frame.paste((20, 20, 90), (left, 36, left + 16, 52))
        return frame

    before, previous, now = with_square(40), with_square(56), with_square(40)
    earlier_paint, previous_paint = Image.new("RGB", photo.size, (50, 50, 50)), Image.new("RGB", photo.size, (200,) * 3)
    hidden = (slice(39, 49), slice(59, 69))  # under the square in the previous frame, open now and before it
    _, short = carried(now, [(previous, previous_paint)])
    assert short[hidden].mean() < 0.1
    warped, mask = carried(now, [(before, earlier_paint), (previous, previous_paint)])
    assert mask[hidden].mean() > 0.9
    assert (np.abs(warped[hidden] - 50 / 255) < 0.02).mean() > 0.9  # from the frame that saw it
    assert np.abs(warped[short == 1] - 200 / 255).max() < 1e-3  # wherever the previous frame vouches, from it
    assert set(np.unique(mask)) <= {0.0, 1.0}  # each pixel held to one frame at most


def test_flow_and_warp_follow_a_shift(images):
    photo = np.asarray(Image.open(images / "tubingen.jpg").convert("RGB").resize((96, 72)), np.float32) / 255
    moved = np.roll(photo, (2, 4), axis=(0, 1))  # B = A moved 4 px right, 2 px down
    flow = optical_flow(photo, moved)
    assert np.median(flow[10:-10, 10:-10, 0]) == pytest.approx(4, abs=0.25)
    assert np.median(flow[10:-10, 10:-10, 1]) == pytest.approx(2, abs=0.25)
    back = warp(moved, np.broadcast_to(np.array([4, 2], np.float32), flow.shape).copy())
    assert np.abs(back - photo)[5:-5, 5:-5].max() < 1e-5  # B sampled at p + (4, 2) is A


def test_a_file_that_appears_at_the_output_during_the_run_is_kept(clips, style, tmp_path, monkeypatch, capsys):
    """Another program writes OUT.mp4 while the video is painted (after the start-up check): the final rename
    refuses to replace it, in one line, and leaves no temporary file; with --overwrite it is replaced."""
    import painterly.apps.video as front

    output = tmp_path / "out.mp4"
    save_frame = front.save_frame

    def save_then_appear(folder, index, image):
        if index == 0:
            output.write_bytes(b"someone else's video")
        return save_frame(folder, index, image)

    monkeypatch.setattr(front, "save_frame", save_then_appear)
    assert video(clips["ntsc"], "--style", style, "-o", output, *FAST) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "appeared while painterly worked" in err[0], err
    assert output.read_bytes() == b"someone else's video"
    assert not list(tmp_path.glob(".*.tmp*"))
    assert video(clips["ntsc"], "--style", style, "-o", output, "--overwrite", *FAST) == 0
    assert output.read_bytes() != b"someone else's video"


# ---------------------------------------------------------------------------------------------- what enters the frame

PAN = 6  # px a frame
PANNED = 7  # frames: the last one shows 36 px (three houses) that the first did not
SIMILAR = 0.15  # the entering band's independent style scores within this share of the rest's


def test_what_enters_a_panning_frame_is_painted_like_the_rest(images):
    # Issue 29: a later frame starts from the previous painted frame, warped; what the pan brings into view started
    # as the photo, its few iterations could not paint it, and the temporal term then kept it so in every later
    # frame: an unpainted strip growing at the edge (patch gain 0.12 against 0.75 for the rest at 128 px, one
    # pan). Now it is painted first, in a box of its own (engine.temporal._paint_fresh).
    width, height = 144, 72
    scene = street(width + PAN * PANNED, height)
    frames = [scene.crop((PAN * i, 0, PAN * i + width, height)) for i in range(PANNED)]
    with Image.open(images / "starry_night.jpg") as opened:
        painting = opened.convert("RGB")
    painter = Painter(painting, StyleConfig(size=width, precision="float32"))
    last = list(paint_frames(painter, frames))[-1]
    band = PAN * (PANNED - 1)
    entered = qm.strip_gains(frames[-1], last, painting, (width - band, 0, width, height))
    # Strips of the band's shape at every PAN px across the rest: three fixed ones sample its texture too coarsely.
    offsets = range(0, width - 2 * band + 1, PAN)
    rest = [qm.strip_gains(frames[-1], last, painting, (x, 0, x + band, height)) for x in offsets]
    for name, score, others in zip(("patch gain", "style gain"), entered, zip(*rest)):
        typical = float(np.mean(others))
        assert typical > 0.2, f"the frame itself is barely painted ({name} {typical:.2f})"
        assert abs(score - typical) <= SIMILAR * typical, (
            f"{name}: {score:.3f} where the pan entered, {typical:.3f} elsewhere"
        )
