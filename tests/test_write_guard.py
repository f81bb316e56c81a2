"""Nothing of the user's is overwritten: the write guard (apps.write_guard) through the real main command at 32 px,
and as a property over random file layouts (hypothesis): no input and no file painterly did not write is changed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from painterly.apps.cli import main
from painterly.apps.write_guard import check_output, check_settings_file, same_file
from painterly.errors import PainterlyError
from painterly.media.images import write_atomically

QUICK = ["--size", "32", "--start-size", "0", "--iterations", "4", "--precision", "float32", "-q"]


@pytest.fixture
def work(images, tmp_path, monkeypatch) -> Path:
    """A folder with a photo and a painting, the current folder of the test."""
    Image.open(images / "tubingen.jpg").convert("RGB").resize((40, 30)).save(tmp_path / "photo.png")
    Image.open(images / "starry_night.jpg").convert("RGB").resize((40, 25)).save(tmp_path / "painting.png")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def run(*args) -> int:
    return main([str(a) for a in args])


def test_resume_writes_beside_its_settings_whatever_output_they_record(work, capsys):
    """A tampered "output" in OUT.json cannot name a file to replace: the resumed result goes beside the settings
    file, and the victim (here the photo itself, and a file elsewhere) keeps every byte."""
    assert run("photo.png", "-s", "painting.png", "-o", "out.png", "--save-every", "2", *QUICK) == 0
    victim = work / "elsewhere" / "precious.png"
    victim.parent.mkdir()
    victim.write_bytes(b"the user's")
    first = (work / "out.png").read_bytes()
    for target in (victim, work / "photo.png"):
        before = files(work)
        settings = json.loads((work / "out.json").read_text())
        (work / "out.json").write_text(json.dumps({**settings, "output": str(target)}))
        assert run("--resume", "out_0002.png", "--iterations", "6", "-q") == 0
        after = files(work)
        assert after["elsewhere/precious.png"] == b"the user's" and after["photo.png"] == before["photo.png"]
        assert after["out.png"] != first  # the first run's output, continued


def test_resume_reads_relative_paths_from_the_settings_files_folder(work, tmp_path_factory, monkeypatch):
    assert run("photo.png", "-s", "painting.png", "-o", "out.png", "--save-every", "2", *QUICK) == 0
    settings = json.loads((work / "out.json").read_text())
    (work / "out.json").write_text(json.dumps({**settings, "content": "photo.png", "style": ["painting.png"]}))
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    assert run("--resume", work / "out_0002.png", "--iterations", "6", "-q") == 0


def test_the_mask_and_the_init_image_are_inputs_too(work, capsys):
    Image.new("RGB", (40, 30), "white").save(work / "mask.png")
    Image.new("RGB", (40, 30), "gray").save(work / "start.png")
    before = files(work)
    assert run("photo.png", "-s", "painting.png", "--init", "start.png", "-o", "start.png", "--overwrite", *QUICK) == 2
    assert "is an input of this run" in capsys.readouterr().err
    assert run("photo.png", "-s", "painting.png", "--mask", "mask.png", "-o", "mask.png", "--overwrite", *QUICK) == 2
    assert files(work) == before
    assert (
        run("photo.png", "-s", "painting.png", "--mask", "mask.png", "-o", "out.png", "--save-every", "2", *QUICK) == 0
    )
    before = files(work)
    assert run("--resume", "out_0002.png", "-o", "mask.png", "--overwrite", "-q") == 2  # the first run's mask
    assert "is an input of this run" in capsys.readouterr().err
    assert files(work) == before


def test_a_json_that_is_not_painterlys_is_never_replaced_by_the_settings(work, capsys):
    """`-o report.png` beside the user's own report.json, and a painting named o.json with `-o o.png`: refused
    before any work, with --overwrite too, and nothing changes."""
    (work / "report.json").write_text('{"quarter": 3}')
    Image.open(work / "painting.png").save(work / "o.json", format="PNG")  # a painting whose name ends in .json
    before = files(work)
    for extra in ([], ["--overwrite"]):
        assert run("photo.png", "-s", "painting.png", "-o", "report.png", *extra, *QUICK) == 2
        assert "is not a painterly settings file" in capsys.readouterr().err
        assert run("photo.png", "-s", "o.json", "-o", "o.png", *extra, *QUICK) == 2
        assert "would replace an input" in capsys.readouterr().err
    assert files(work) == before
    assert run("photo.png", "-s", "painting.png", "-o", "mine.png", *QUICK) == 0  # its own settings: replaced
    assert run("photo.png", "-s", "painting.png", "-o", "mine.png", "--overwrite", *QUICK) == 0


# ---------------------------------------------------------------- the guard as a property

names = st.sampled_from(["a.png", "b.png", "c.json", "a.json", "sub/d.png", "sub/a.png"])


@st.composite
def layouts(draw):
    """Files (inputs, foreign files, painterly's own settings), with some names links to others."""
    kinds = draw(st.dictionaries(names, st.sampled_from(["input", "foreign", "ours"]), min_size=1, max_size=6))
    links = draw(st.dictionaries(names, st.tuples(st.sampled_from(list(kinds)), st.booleans()), max_size=3))
    output = draw(names.filter(lambda n: n.endswith(".png")))
    overwrite = draw(st.booleans())
    return kinds, links, output, overwrite


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(layout=layouts())
def test_no_input_and_no_foreign_file_is_ever_changed(tmp_path_factory, layout):
    kinds, links, output_name, overwrite = layout
    root = tmp_path_factory.mktemp("layout")
    (root / "sub").mkdir()
    for name, kind in kinds.items():
        content = {"ours": json.dumps({"painterly": "0", "config": {}}), "foreign": f"user {name}"}.get(kind, name)
        (root / name).write_text(content)
    for name, (target, hard) in links.items():
        if name not in kinds:
            (os.link if hard else os.symlink)(root / target, root / name)
    inputs = [root / n for n, k in kinds.items() if k == "input"]
    inputs += [root / n for n, (t, _) in links.items() if n not in kinds and kinds[t] == "input"]
    protected = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and not _ours(p)}
    output = root / output_name
    told = {path for path in protected if same_file(path, output)}  # the output and its other names, if it exists
    try:
        check_output(output, inputs, overwrite)
        check_settings_file(output.with_suffix(".json"), inputs)
        allowed = True
    except PainterlyError:
        allowed = False
    if allowed:
        write_atomically(
            output, lambda f: f.write(b"result"), replace=overwrite
        ) if overwrite or not output.exists() else None
        write_atomically(
            output.with_suffix(".json"), lambda f: f.write(json.dumps({"painterly": "1", "config": {}}).encode())
        )
    for path, data in protected.items():
        if allowed and overwrite and path in told:
            continue  # the user said --overwrite for this very file (checked above to be no input)
        assert path.read_bytes() == data, (path, layout)
    assert not any(p.name.endswith(".tmp") for p in root.rglob("*"))


def _ours(path: Path) -> bool:
    try:
        data = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(data, dict) and "painterly" in data


def test_a_resume_says_what_it_may_replace_without_changing_the_arguments(work):
    """The plan of a resumed run carries "may replace the first run's output"; the parsed --overwrite stays as the
    user gave it (it decides the --gif and --plot files too)."""
    from painterly.apps.options import build_parser
    from painterly.apps.runner import plan_resumed_run

    assert run("photo.png", "-s", "painting.png", "-o", "out.png", "--save-every", "2", *QUICK) == 0
    args = build_parser().parse_args(["--resume", "out_0002.png"])
    plan = plan_resumed_run(args)
    assert plan.replace and plan.output.resolve() == (work / "out.png").resolve() and args.overwrite is False
    args = build_parser().parse_args(["--resume", "out_0002.png", "-o", "other.png"])
    assert plan_resumed_run(args).replace is False


def test_the_studio_never_replaces_a_result_file_it_did_not_write(tmp_path):
    """A file already at a new result's name (another program, a copied folder): the studio's save refuses in one
    line and the file keeps its bytes; a free name is written."""
    from PIL import Image

    from painterly.apps.studio.store import Store

    store = Store(tmp_path / "studio")
    taken = store.result_image_path("abc123")
    taken.write_bytes(b"not the studio's")
    image = Image.new("RGB", (8, 8), (200, 30, 30))
    with pytest.raises(PainterlyError, match="appeared while painterly worked"):
        store.save_result("abc123", image, {"state": "done"})
    assert taken.read_bytes() == b"not the studio's"
    store.save_result("def456", image, {"state": "done"})
    assert Image.open(store.result_image_path("def456")).size == (8, 8)
