"""reconstruct, grid, --gif and --plot: run in-process through cli.main with the real weights, at tiny sizes."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image, ImageSequence

from painterly import stylize
from painterly.apps.cli import main
from painterly.apps.options import build_parser
from painterly.apps.runner import plan_new_run
from painterly.media.animation import frame_iterations
from painterly.media.images import load_image, resize_longest
from painterly.media.sheets import GAP, contact_sheet, font_for, layout, text_width, wrap
from painterly.reconstruction import reconstruction_options


def painterly(capsys, *args) -> tuple[int, str, str]:
    status = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err


def mse(a: Image.Image, b: Image.Image) -> float:
    return float(np.mean((np.asarray(a, np.float32) / 255 - np.asarray(b, np.float32) / 255) ** 2))


def test_content_from_conv1_1_is_closer_to_the_image_than_from_conv5_1(images, tmp_path, capsys):
    photo = images / "tubingen.jpg"
    out = tmp_path / "c.png"
    status, _, err = painterly(
        capsys, "reconstruct", "content", photo, "--layers", "conv1_1,relu5_1", "--each-layer",
        "--size", 64, "--iterations", 30, "-o", out, "--quiet",
    )  # fmt: skip
    assert status == 0, err
    target = resize_longest(load_image(photo), 64)
    shallow, deep = Image.open(tmp_path / "c_conv1_1.png"), Image.open(tmp_path / "c_conv5_1.png")
    assert shallow.size == deep.size == target.size == (64, 48)
    assert mse(shallow, target) < 0.5 * mse(deep, target), (mse(shallow, target), mse(deep, target))
    settings = json.loads((tmp_path / "c_conv5_1.json").read_text())["config"]
    assert settings["content_layers"] == ["conv5_1"] and settings["style_weight"] == 0 and settings["init"] == "noise"
    # The sheet: the image itself, then one labelled column per layer.
    sheet = Image.open(tmp_path / "c_sheet.png")
    assert sheet.size == layout((64, 48), 1, 3, [], ["original", "conv1_1", "conv5_1"]).size


def test_style_only_reconstruction_from_noise_lowers_the_style_loss_by_90_percent(images, tmp_path):
    painting = str(images / "starry_night.jpg")
    layers = ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1")
    options = reconstruction_options("style", painting, layers)
    args = build_parser().parse_args(
        [painting, *options, "--size", "64", "--iterations", "40", "-o", str(tmp_path / "s.png")]
    )
    config = plan_new_run(args).config  # the settings `painterly reconstruct style` runs with
    assert config.content_layers == () and config.init == "noise"
    style = []
    result = stylize(painting, painting, config, lambda p: style.append(p.losses["style"]))
    assert result.size == resize_longest(load_image(painting), 64).size
    assert min(style) <= 0.1 * style[0], f"style loss {style[0]:.4g} -> {min(style):.4g}"


def test_cumulative_style_layers_name_each_run_by_its_deepest_layer(images, tmp_path, capsys):
    status, _, err = painterly(
        capsys, "reconstruct", "style", images / "starry_night.jpg", "--layers", "conv1_1,conv2_1", "--each-layer",
        "--cumulative", "--size", 32, "--iterations", 2, "-o", tmp_path / "s.png", "--quiet",
    )  # fmt: skip
    assert status == 0, err
    assert sorted(p.name for p in tmp_path.glob("*.png")) == ["s_conv1_1.png", "s_conv2_1.png", "s_sheet.png"]
    config = json.loads((tmp_path / "s_conv2_1.json").read_text())["config"]
    assert config["style_layers"] == ["conv1_1", "conv2_1"] and config["content_layers"] == []


def test_grid_writes_rows_times_columns_results_and_a_labelled_sheet(images, tmp_path, capsys):
    status, out, err = painterly(
        capsys, "grid", images / "tubingen.jpg", "--style", images / "starry_night.jpg",
        "--vary", "style-weight=1e1,1e2,1e4", "--vary", "content-layers=conv3_2,conv5_2",
        "--size", 48, "--iterations", 2, "--tv-weight", 1, "-o", tmp_path / "g.png", "--print-every", 0,
    )  # fmt: skip
    assert status == 0, err
    assert "run 6/6: style-weight=1e4, content-layers=conv5_2" in err
    names = [
        [f"g_style-weight={w}_content-layers={c}.png" for w in ("1e1", "1e2", "1e4")] for c in ("conv3_2", "conv5_2")
    ]
    assert sorted(p.name for p in tmp_path.glob("*.png")) == sorted([*names[0], *names[1], "g.png"])
    settings = json.loads((tmp_path / names[1][2]).with_suffix(".json").read_text())["config"]
    assert settings["style_weight"] == 1e4 and settings["content_layers"] == ["conv5_2"]
    assert settings["tv_weight"] == 1  # options other than --vary apply to every cell

    sheet = Image.open(tmp_path / "g.png")
    geometry = layout(
        (48, 36),
        2,
        3,
        ["content-layers=conv3_2", "content-layers=conv5_2"],
        [f"style-weight={w}" for w in ("1e1", "1e2", "1e4")],
    )
    assert geometry.left > 0 and geometry.top > 0  # room for the labels
    assert sheet.size == (geometry.left + GAP + 3 * (48 + GAP), geometry.top + GAP + 2 * (36 + GAP))
    pixels = np.asarray(sheet.convert("L"))
    assert pixels[: geometry.top, geometry.left :].min() < 128  # column labels are drawn
    assert pixels[geometry.top :, : geometry.left].min() < 128  # and row labels
    for r, row in enumerate(names):
        for c, name in enumerate(row):
            x, y = geometry.origin(r, c)
            cell = Image.open(tmp_path / name).convert("RGB")
            assert sheet.crop((x, y, x + 48, y + 36)).tobytes() == cell.tobytes(), name


def test_grid_into_a_folder_with_one_axis_of_layer_lists(images, tmp_path, capsys):
    folder = tmp_path / "runs"
    status, _, err = painterly(
        capsys, "grid", images / "tubingen.jpg", "-s", images / "starry_night.jpg",
        "--vary", "style-layers=conv1_1;conv1_1,conv2_1", "--size", 32, "--iterations", 1, "-o", folder, "--quiet",
    )  # fmt: skip
    assert status == 0, err
    assert sorted(p.name for p in folder.glob("*.png")) == [
        "sheet.png",
        "style-layers=conv1_1+conv2_1.png",
        "style-layers=conv1_1.png",
    ]
    geometry = layout((32, 24), 1, 2, [], ["style-layers=conv1_1", "style-layers=conv1_1,conv2_1"])
    assert geometry.left == 0 and Image.open(folder / "sheet.png").size == geometry.size


def test_gif_has_the_promised_frames_and_plot_is_a_png(images, tmp_path, capsys):
    common = [images / "tubingen.jpg", "--style", images / "starry_night.jpg", "--size", 64, "--quiet"]
    status, _, err = painterly(
        capsys, *common, "--iterations", 25, "-o", tmp_path / "a.png", "--gif", tmp_path / "a.gif",
        "--plot", tmp_path / "loss.png",
    )  # fmt: skip
    assert status == 0, err
    with Image.open(tmp_path / "a.gif") as gif:
        frames = list(ImageSequence.Iterator(gif))
        assert len(frames) == 20  # --save-every 0: 20 frames, as --help promises
        assert gif.width == 64 and gif.height > 48  # the output's size, plus a caption band
    with Image.open(tmp_path / "loss.png") as plot:
        assert plot.format == "PNG" and plot.width >= 300 and plot.height >= 200
        assert len(set(plot.convert("RGB").getdata())) > 10  # curves, not a blank canvas

    status, _, err = painterly(
        capsys, *common, "--iterations", 10, "--save-every", 4, "-o", tmp_path / "b.png", "--gif", tmp_path / "b.gif"
    )
    assert status == 0, err
    with Image.open(tmp_path / "b.gif") as gif:
        assert gif.n_frames == 2  # one per snapshot: b_0004.png, b_0008.png
    assert (tmp_path / "b_0008.png").exists() and not (tmp_path / "b_0010.png").exists()


def test_help_promises_the_frame_count_and_lists_the_new_commands(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert exit_.value.code == 0
    assert "20 frames" in text and "--plot" in text and "painterly reconstruct --help" in text
    for command in ("reconstruct", "grid"):
        with pytest.raises(SystemExit) as exit_:
            main([command, "--help"])
        assert exit_.value.code == 0 and f"painterly {command}" in capsys.readouterr().out


@pytest.mark.parametrize(
    "command, message",
    [
        ("reconstruct", "required: {content,style}"),
        ("reconstruct colour {t}", "invalid choice: 'colour'"),
        ("reconstruct content", "no IMAGE given"),
        ("reconstruct content {p}/missing.jpg", "does not exist"),
        ("reconstruct content {t} --layers conv9_1", "unknown layer 'conv9_1'"),
        ("reconstruct style {t} --init content", "reconstruct sets --init itself"),
        ("reconstruct style {t} --style {s}", "no --style"),
        ("reconstruct content {t} --cumulative", "--cumulative goes with --each-layer"),
        ("reconstruct content {t} --each-layer --gif r.gif", "watch one run"),
        ("grid {t} --style {s}", "required: --vary"),
        ("grid {t} --style {s} --vary style-weight", "expected OPTION=V1,V2"),
        ("grid {t} --style {s} --vary colour=1,2", "unrecognized arguments: --colour=1"),
        ("grid {t} --style {s} --vary style-weight=1,-2", "style-weight=-2: style_weight must be zero or more"),
        ("grid {t} --style {s} --vary style-weight=1,abc", "invalid float value: 'abc'"),
        ("grid {t} --style {s} --vary output=a.png,b.png", "cannot be varied"),
        ("grid {t} --style {s} --vary size=8 --vary size=9", "given twice"),
        ("grid {t} --style {s} --vary size=8 --vary seed=1 --vary lr=1", "two directions"),
        ("grid {t} --style {s} --vary size=8 --plot l.png", "watch one run"),
        ("grid {t} --vary style={s},{p}/missing.jpg", "does not exist"),
        ("grid {t} --vary size=8", "a grid needs CONTENT and --style STYLE"),
        ("grid {t} --style {s} --vary style={s},{t}", "leave --style out"),
        ("{t} --style {s} --gif a.png", "needs an extension such as .gif"),
        ("{t} --style {s} --plot a.txt", "such as .png"),
        ("{t} --style {s} --plot o.png -o o.png", "--plot and -o name the same file"),
        ("{t} --style {s} --gif a.gif --save-every 9 --iterations 3 --size 32", "the --gif would have no frames"),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(images, tmp_path, capsys, monkeypatch, command, message):
    monkeypatch.chdir(tmp_path)  # outputs without a folder (and without -o) go here: nothing may appear
    names = {"p": tmp_path, "t": images / "tubingen.jpg", "s": images / "starry_night.jpg"}
    status, out, err = painterly(capsys, *(word.format(**names) for word in command.split()))
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("painterly: error:"), err
    assert message in lines[0]
    assert list(tmp_path.iterdir()) == []  # nothing written, not even a first cell


def test_grid_refuses_an_existing_cell_before_running_any(images, tmp_path, capsys):
    taken = tmp_path / "g_seed=2.png"
    Image.new("RGB", (8, 8)).save(taken)
    status, _, err = painterly(
        capsys, "grid", images / "tubingen.jpg", "-s", images / "starry_night.jpg", "--vary", "seed=1,2",
        "-o", tmp_path / "g.png", "--size", 32, "--iterations", 1,
    )  # fmt: skip
    assert status == 2 and "exists; pass --overwrite" in err
    assert list(tmp_path.iterdir()) == [taken]


@pytest.mark.parametrize("iterations", [1, 2, 19, 20, 21, 39, 300, 1001])
def test_default_frames_are_20_distinct_iterations_from_start_to_end(iterations):
    frames = frame_iterations(iterations, 0)
    assert len(frames) == len(set(frames)) == min(20, iterations)
    assert frames[0] == 1 and frames[-1] == iterations and frames == sorted(frames)
    assert frame_iterations(iterations, 7) == list(range(7, iterations + 1, 7))  # with --save-every 7


def test_sheet_labels_wrap_to_their_column_and_cells_of_other_sizes_are_centred():
    cells = [[Image.new("RGB", (40, 30), "red"), Image.new("RGB", (20, 10), "blue")]]
    labels = ["content-layers=conv1_1,conv2_1,conv3_1", "x=1"]
    sheet = contact_sheet(cells, [], labels)
    geometry = layout((40, 30), 1, 2, [], labels)
    assert sheet.size == geometry.size
    font = font_for(40)
    assert all(text_width(font, line) <= 40 for line in wrap(font, labels[0], 40))
    x, y = geometry.origin(0, 1)
    assert sheet.getpixel((x + 20, y + 15)) == (0, 0, 255) and sheet.getpixel((x + 2, y + 2)) == (255, 255, 255)


def test_an_empty_layer_list_and_a_grid_of_thousands_of_cells_are_refused_in_one_line(images, tmp_path, capsys):
    """`reconstruct --layers ""` used to run the defaults silently; a --vary of 2,000 cells used to start."""
    out = tmp_path / "r.png"
    assert main(["reconstruct", "content", str(images / "tubingen.jpg"), "--layers", "", "-o", str(out)]) == 2
    assert "--layers needs at least one layer" in capsys.readouterr().err and not out.exists()
    many = ",".join(str(i) for i in range(1, 41))
    grid = ["grid", str(images / "tubingen.jpg"), "--style", str(images / "starry_night.jpg")]
    grid += ["--vary", f"seed={many}", "--vary", f"size={','.join(str(32 + i) for i in range(50))}"]
    assert main([*grid, "-o", str(tmp_path / "g.png")]) == 2
    assert "--vary gives 2000 cells (40 x 50)" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
