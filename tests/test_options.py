"""The options are written once, on StyleConfig's fields (config.py): the parser and docs/options.md follow."""

import re
import runpy
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from painterly.apps.options import build_parser
from painterly.config import OPTION_GROUPS, StyleConfig

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "options_table.py"
NO_OPTION = {"done_iterations"}  # set by --resume from the stopped run's settings


def test_every_field_has_exactly_one_option_with_the_fields_default():
    parser = build_parser()
    defaults = parser.parse_args([])  # string defaults parsed as a typed value would be
    for f in fields(StyleConfig):
        actions = [a for a in parser._actions if a.dest == f.name]
        if f.name in NO_OPTION:
            assert f.metadata["group"] is None and not actions, f.name
            continue
        assert f.metadata["group"] in OPTION_GROUPS, f.name
        assert len(actions) == 1, f"{f.name}: {len(actions)} options"
        assert getattr(defaults, f.name) == f.default, f.name
        assert actions[0].help.endswith(f.metadata["help"]), f.name
    assert {f.name for f in fields(StyleConfig) if f.metadata["group"] is None} == NO_OPTION


@pytest.mark.parametrize(
    "argv, name, value",
    [
        (["--style-blend", "2, 1"], "style_blend", (2.0, 1.0)),
        (["--content-layers", "relu4_2,conv5_2"], "content_layers", ("relu4_2", "conv5_2")),
        (["--mask-colors", "red,#00ff00"], "mask_colors", ("red", "#00ff00")),
        (["--max-memory", "3.5"], "max_memory_gb", 3.5),
        (["--start-size", "0"], "start_size", 0),
    ],
)
def test_options_parse_their_values_as_the_metadata_says(argv, name, value):
    assert getattr(build_parser().parse_args(argv), name) == value


def test_the_options_table_in_the_docs_is_the_generated_one():
    script = runpy.run_path(str(SCRIPT))  # its BEGIN / END markers, without running main
    generated = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, check=True).stdout
    documented = script["documented"]((ROOT / "docs" / "options.md").read_text(encoding="utf-8"))
    assert documented == generated, "docs/options.md is stale: run python scripts/options_table.py --write"


def _anchors(page: Path) -> set[str]:
    """GitHub's ids of a Markdown page's headings: lower case, punctuation dropped, spaces as dashes."""
    anchors, in_code = set(), False
    for line in page.read_text(encoding="utf-8").splitlines():
        in_code ^= line.startswith("```")
        if line.startswith("#") and not in_code:
            anchors.add(re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower()).replace(" ", "-"))
    return anchors


def test_every_relative_link_of_the_readme_and_docs_points_to_a_file_and_heading_that_exist():
    broken = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):
                continue  # https:, mailto:
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            if not linked.exists() or (anchor and linked.suffix == ".md" and anchor not in _anchors(linked)):
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert not broken, broken
