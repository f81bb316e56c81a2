"""`painterly batch` run as a user runs it: a real process, the real weights, real photos at 64 px (a few
iterations), a folder with a broken file in it, reruns into the same folder, a pairs CSV and Ctrl-C."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from painterly.apps.batch.jobs import Painting, plan_jobs, read_pairs
from painterly.apps.cli import main
from painterly.config import StyleConfig
from painterly.errors import PainterlyError

QUICK = ("--size", "64", "--start-size", "0", "--iterations", "4", "--worker-threads", "1")
PHOTOS = ("tubingen", "village", "bridge")


def painterly(*args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "painterly", "batch", *map(str, args)],
        capture_output=True, text=True, timeout=600, env={**os.environ, "COLUMNS": "200"}, **kwargs,
    )  # fmt: skip


def batch_here(capsys, *args) -> tuple[int, str, float]:
    """The command in this process, through the same entry point as `painterly batch ...`: (exit status, stderr,
    seconds). In-process, so the two timed runs compare the batch's own work, not Python's and torch's start-up
    (which costs more than a whole 64 px batch). torch's thread count is put back afterwards."""
    threads = torch.get_num_threads()
    start = time.perf_counter()
    try:
        status = main(["batch", *map(str, args)])
    finally:
        torch.set_num_threads(threads)
    return status, capsys.readouterr().err, time.perf_counter() - start


def report(folder: Path) -> dict[str, dict]:
    """batch.csv by photo file name."""
    with open(folder / "batch.csv", newline="") as f:
        return {Path(row["photo"]).name: row for row in csv.DictReader(f)}


def stamps(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Each result's modification time and bytes: what 'skipped' must leave alone."""
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(folder.glob("*__*.*"))}


@pytest.fixture
def workspace(images, tmp_path):
    """photos/: three small photos and a broken file with an image's name; a small painting beside them."""
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in PHOTOS:
        Image.open(images / f"{name}.jpg").convert("RGB").resize((64, 48)).save(photos / f"{name}.jpg")
    (photos / "broken.jpg").write_bytes(b"this is not a JPEG" * 20)
    (photos / "notes.txt").write_text("not an image: a folder scan leaves it out")
    Image.open(images / "starry_night.jpg").convert("RGB").resize((64, 50)).save(tmp_path / "starry.png")
    return tmp_path


def test_folder_with_a_broken_file_then_rerun_skips_then_redoes_only_what_is_missing(workspace, capsys):
    photos, out = workspace / "photos", workspace / "out"
    command = (photos, "--style", workspace / "starry.png", "-o", out, *QUICK)

    status, first, first_seconds = batch_here(capsys, *command)
    assert status == 1, first
    rows = report(out)
    assert {name: row["status"] for name, row in rows.items()} == {
        "tubingen.jpg": "done",
        "village.jpg": "done",
        "bridge.jpg": "done",
        "broken.jpg": "failed",
    }
    assert "broken.jpg" in rows["broken.jpg"]["reason"] and "\n" not in rows["broken.jpg"]["reason"]
    for name in PHOTOS:
        result = out / f"{name}__starry.png"
        assert Image.open(result).size == (64, 48)
        settings = json.loads((out / f"{name}__starry.json").read_text())
        assert settings["batch"]["complete"] is True and settings["iterations_done"] == 4
        assert settings["config"]["size"] == 64 and settings["content"].endswith(f"{name}.jpg")
        assert rows[f"{name}.jpg"]["output"] == str(result) and float(rows[f"{name}.jpg"]["total"]) > 0
    summary = first.strip().splitlines()[-1]
    assert "3 done, 0 skipped, 1 failed of 4 jobs" in summary, first
    data = json.loads((out / "batch.json").read_text())
    assert data["summary"] == {"done": 3, "skipped": 0, "failed": 1, "stopped": 0, "pending": 0}
    assert [job["engine"] for job in data["jobs"] if job["status"] == "done"].count("new") == 1  # one painter
    before = stamps(out)

    status, second, second_seconds = batch_here(capsys, *command)
    assert status == 1, second  # the broken file is tried again, and fails again
    assert {name: row["status"] for name, row in report(out).items() if name != "broken.jpg"} == {
        name + ".jpg": "skipped" for name in PHOTOS
    }
    assert stamps(out) == before
    with capsys.disabled():
        print(f"\nfirst run {first_seconds:.2f} s, rerun {second_seconds:.2f} s")
    assert second_seconds < first_seconds / 5, (first_seconds, second_seconds)

    (out / "village__starry.png").unlink()
    third = painterly(*command)  # a separate process, as a user runs it
    assert third.returncode == 1, third.stderr
    statuses = {name: row["status"] for name, row in report(out).items()}
    assert statuses == {
        "tubingen.jpg": "skipped",
        "village.jpg": "done",
        "bridge.jpg": "skipped",
        "broken.jpg": "failed",
    }
    after = stamps(out)
    assert {k: v for k, v in after.items() if not k.startswith("village")} == {
        k: v for k, v in before.items() if not k.startswith("village")
    }
    assert after["village__starry.png"][1] == before["village__starry.png"][1]  # same settings, same bytes

    # Other settings into the same folder: new names with the settings' hash; the first results stay as they were.
    one = (photos / "tubingen.jpg", "--style", workspace / "starry.png", "-o", out, *QUICK, "--tv-weight", 1)
    changed = painterly(*one)
    assert changed.returncode == 0, changed.stderr
    hashed = sorted(p.name for p in out.glob("tubingen__starry-*.png"))
    assert len(hashed) == 1 and len(hashed[0]) == len("tubingen__starry-12345678.png"), hashed
    settings = json.loads((out / hashed[0].replace(".png", ".json")).read_text())
    assert settings["config"]["tv_weight"] == 1.0 and hashed[0][-12:-4] == settings["batch"]["settings"]
    assert stamps(out)["tubingen__starry.png"] == before["tubingen__starry.png"]
    again = painterly(*one)
    assert again.returncode == 0 and report(out)["tubingen.jpg"]["status"] == "skipped", again.stderr


def test_pairs_csv_and_a_style_set(workspace):
    (workspace / "pairs.csv").write_text(
        "photo,painting,note\nphotos/tubingen.jpg,starry.png,first\nphotos/village.jpg,starry.png:0.5+starry.png:0.5,x\n"
    )
    out = workspace / "out"
    result = painterly("--pairs", workspace / "pairs.csv", "-o", out, *QUICK, "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # --quiet: nothing but errors
    assert sorted(p.name for p in out.glob("*.png")) == ["tubingen__starry.png", "village__starry+starry.png"]
    settings = json.loads((out / "village__starry+starry.json").read_text())
    assert settings["config"]["style_blend"] == [0.5, 0.5] and len(settings["style"]) == 2


def test_ctrl_c_keeps_the_best_state_and_the_rerun_continues_it(workspace):
    out = workspace / "out"
    command = [sys.executable, "-m", "painterly", "batch", workspace / "photos" / "village.jpg"]
    command += [workspace / "photos" / "tubingen.jpg", "-s", workspace / "starry.png", "-o", out]
    command += ["--size", "48", "--start-size", "0", "--iterations", "20", "--print-every", "1"]
    command += ["--worker-threads", "1"]
    process = subprocess.Popen(list(map(str, command)), stderr=subprocess.PIPE, text=True)
    try:
        for line in process.stderr:  # the first job's second iteration: it is under way
            if " 2/20" in line:
                break
        process.send_signal(signal.SIGINT)
        rest = process.stderr.read()
        assert process.wait(timeout=120) == 130, rest
    finally:
        if process.poll() is None:
            process.kill()
    assert "interrupted; run the same command again to continue" in rest
    rows = report(out)
    assert rows["village.jpg"]["status"] == "stopped" and rows["tubingen.jpg"]["status"] == "pending"
    partial = json.loads((out / "village__starry.json").read_text())
    stopped_at = partial["iterations_done"]
    assert partial["batch"]["complete"] is False and 2 <= stopped_at < 20
    assert (out / "village__starry.partial.png").is_file() and not (out / "village__starry.png").exists()

    rerun = subprocess.run(list(map(str, command)), capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    rows = report(out)
    assert rows["village.jpg"]["status"] == "done" and int(rows["village.jpg"]["resumed_from"]) == stopped_at
    assert rows["village.jpg"]["iterations"] == "20" and rows["tubingen.jpg"]["status"] == "done"
    assert not (out / "village__starry.partial.png").exists()
    assert json.loads((out / "village__starry.json").read_text())["batch"]["complete"] is True


@pytest.mark.parametrize(
    "case",
    ["no-input", "no-style", "missing-style", "broken-style", "outdir-is-file", "missing-input", "pairs-and-input"],
)
def test_bad_command_lines_are_one_line_errors(workspace, case, capsys):
    photos, style = workspace / "photos", workspace / "starry.png"
    (workspace / "file.txt").write_text("x")
    args = {
        "no-input": ("--style", style, "-o", workspace / "o"),
        "no-style": (photos, "-o", workspace / "o"),
        "missing-style": (photos, "--style", workspace / "nope.jpg", "-o", workspace / "o"),
        "broken-style": (photos, "--style", photos / "broken.jpg", "-o", workspace / "o"),
        "outdir-is-file": (photos, "--style", style, "-o", workspace / "file.txt"),
        "missing-input": (workspace / "nothing", "--style", style, "-o", workspace / "o"),
        "pairs-and-input": (photos, "--pairs", workspace / "p.csv", "-o", workspace / "o"),
    }[case]
    status = main(["batch", *map(str, args)])  # in this process: these fail before torch is needed
    stderr = capsys.readouterr().err
    assert status == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("painterly: error: "), stderr
    assert not (workspace / "o").exists()  # nothing created by a command that was refused


def test_names_of_photos_that_share_a_stem_do_not_collide(tmp_path):
    """Two photos called x.jpg in different folders, and a file in OUTDIR that is not ours: every job gets its own
    name, and nothing that is not a result of ours is ever replaced. (No painting happens here.)"""
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.jpg").write_bytes(folder.encode())
    (tmp_path / "p.png").write_bytes(b"p")
    out = tmp_path / "out"
    out.mkdir()
    (out / "other__p.png").write_bytes(b"someone else's")
    (tmp_path / "other.jpg").write_bytes(b"o")
    painting = Painting((tmp_path / "p.png",))
    pairs = [
        (tmp_path / "a" / "x.jpg", painting),
        (tmp_path / "b" / "x.jpg", painting),
        (tmp_path / "other.jpg", painting),
    ]
    jobs = plan_jobs(pairs, lambda p: StyleConfig(size=64), out, {})
    names = [job.name for job in jobs]
    assert len(set(names)) == 3 and names[0].startswith("x-") and names[1].startswith("x-")
    assert names[2].startswith("other__p-") and all(job.state == "new" for job in jobs)


def test_pairs_csv_errors(tmp_path):
    (tmp_path / "bad.csv").write_text("image,style\na.jpg,b.jpg\n")
    with pytest.raises(PainterlyError, match="columns photo,painting"):
        read_pairs(tmp_path / "bad.csv")
    (tmp_path / "empty.csv").write_text("photo,painting\n")
    with pytest.raises(PainterlyError, match="no rows"):
        read_pairs(tmp_path / "empty.csv")


def test_a_video_is_one_job_painted_in_order_with_its_audio(workspace, capsys):
    """A folder holding a photo and a real H.264 clip (with an AAC track) and a file that only looks like a
    video: the clip becomes OUTDIR/clip__starry.mp4 with every frame at the input's rate and the audio packets
    copied; the fake fails alone with one line; a rerun skips the video."""
    av = pytest.importorskip("av")
    pytest.importorskip("cv2")
    import importlib.util
    from fractions import Fraction

    clip_maker = Path(__file__).parents[1] / "benchmarks" / "make_clip.py"
    spec = importlib.util.spec_from_file_location("make_clip", clip_maker)
    make_clip = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_clip)
    folder = workspace / "media"
    folder.mkdir()
    (workspace / "photos" / "tubingen.jpg").rename(folder / "tubingen.jpg")
    photo = Image.open(folder / "tubingen.jpg")
    make_clip.write_clip(folder / "clip.mov", make_clip.scene(photo, 4, (64, 36)), Fraction(25))
    (folder / "fake.mp4").write_bytes(b"not a video" * 50)
    out = workspace / "out"
    command = (folder, "--style", workspace / "starry.png", "-o", out, *QUICK)

    status, err, _ = batch_here(capsys, *command)
    assert status == 1, err
    rows = report(out)
    assert {name: row["status"] for name, row in rows.items()} == {
        "tubingen.jpg": "done", "clip.mov": "done", "fake.mp4": "failed"
    }  # fmt: skip
    assert "fake.mp4" in rows["fake.mp4"]["reason"] and "\n" not in rows["fake.mp4"]["reason"]
    result = out / "clip__starry.mp4"
    assert rows["clip.mov"]["output"] == str(result) and not (out / "fake__starry.mp4").exists()
    with av.open(str(result)) as container:
        stream = container.streams.video[0]
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)]
        assert stream.average_rate == Fraction(25) and stream.codec_context.name == "h264"
    with av.open(str(result)) as container, av.open(str(folder / "clip.mov")) as source:
        ours = [bytes(p) for p in container.demux(container.streams.audio[0]) if p.size]
        theirs = [bytes(p) for p in source.demux(source.streams.audio[0]) if p.size]
    assert len(frames) == 4 and frames[0].shape == (36, 64, 3) and ours == theirs
    assert np.abs(frames[0].astype(float) - np.asarray(photo.resize((64, 36)), float)).mean() > 5  # painted
    settings = json.loads((out / "clip__starry.json").read_text())
    assert settings["batch"]["complete"] is True and settings["batch"]["frames"] == 4
    before = stamps(out)

    status, err, _ = batch_here(capsys, *command)
    assert status == 1 and report(out)["clip.mov"]["status"] == "skipped", err
    assert stamps(out)["clip__starry.mp4"] == before["clip__starry.mp4"]


def test_an_unreachable_scheduler_is_one_line_and_leaves_no_outdir(workspace):
    pytest.importorskip("distributed")
    out = workspace / "never"
    command = (workspace / "photos" / "tubingen.jpg", "--style", workspace / "starry.png", "-o", out, *QUICK)
    process = painterly(*command, "--scheduler", "tcp://127.0.0.1:9")  # the discard port: nothing listens
    assert process.returncode == 2, process.stderr
    lines = process.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach the Dask scheduler" in lines[0] and "Traceback" not in process.stderr
    assert not out.exists()


@pytest.mark.parametrize("recorded", ["abc", 1e999, [3], -1, True])
def test_a_partial_result_with_a_bad_iteration_count_is_painted_afresh(workspace, capsys, recorded):
    """A settings file beside a .partial.png whose "iterations_done" is not a count (text, inf, a list...) is not
    trusted: the job starts again from the photo instead of ending in a traceback. A file that is not strict JSON
    (Infinity) is not batch's at all: the result takes the next free name beside it."""
    out = workspace / "out"
    command = (workspace / "photos" / "tubingen.jpg", "--style", workspace / "starry.png", "-o", out, *QUICK)
    status, err, _ = batch_here(capsys, *command)
    assert status == 0, err
    settings_path, result = out / "tubingen__starry.json", out / "tubingen__starry.png"
    settings = json.loads(settings_path.read_text())
    settings["batch"]["complete"], settings["iterations_done"] = False, recorded
    settings_path.write_text(json.dumps(settings))
    result.rename(out / "tubingen__starry.partial.png")
    status, err, _ = batch_here(capsys, *command)
    assert status == 0 and "Traceback" not in err, err
    row = report(out)["tubingen.jpg"]
    assert row["status"] == "done" and row["iterations"] == "4" and row["resumed_from"] in ("", "0"), row
    if recorded == 1e999:  # "Infinity" is not JSON: the file is not one of batch's own, so it is kept as it is
        assert json.loads(settings_path.read_text())["iterations_done"] == 1e999
        assert len(list(out.glob("tubingen__starry-*.png"))) == 1
    else:
        assert result.is_file()


def test_a_json_of_the_users_with_a_results_name_is_never_replaced(workspace, capsys):
    """The user's own tubingen__starry.json in the output folder: batch takes the next free name for the result
    and leaves that file as it is."""
    out = workspace / "out"
    out.mkdir()
    (out / "tubingen__starry.json").write_text('{"mine": true}')
    command = (workspace / "photos" / "tubingen.jpg", "--style", workspace / "starry.png", "-o", out, *QUICK)
    status, err, _ = batch_here(capsys, *command)
    assert status == 0, err
    assert (out / "tubingen__starry.json").read_text() == '{"mine": true}'
    assert not (out / "tubingen__starry.png").exists() and len(list(out.glob("tubingen__starry-*.png"))) == 1


def test_a_file_that_appears_at_a_results_name_during_the_run_is_kept(workspace, capsys, monkeypatch):
    """Another program writes tubingen__starry.png while the batch paints (after its start-up checks): the batch
    does not replace it, says why in the job's row, and the user's bytes are still there."""
    from painterly.apps.batch.report import Results

    out = workspace / "out"
    finish = Results.finish

    def appear_then_finish(self, job, answer):
        job.output(self.folder).write_bytes(b"someone else's picture")
        return finish(self, job, answer)

    monkeypatch.setattr(Results, "finish", appear_then_finish)
    command = (workspace / "photos" / "tubingen.jpg", "--style", workspace / "starry.png", "-o", out, *QUICK)
    status, err, _ = batch_here(capsys, *command)
    assert status != 0, err
    assert (out / "tubingen__starry.png").read_bytes() == b"someone else's picture"
    row = report(out)["tubingen.jpg"]
    assert row["status"] == "failed" and "appeared while painterly worked" in row["reason"], row
    assert not list(out.glob(".*.tmp"))
