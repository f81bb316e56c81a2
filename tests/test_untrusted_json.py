"""The one loader for JSON painterly did not necessarily write (apps.untrusted_json): size and depth limits before
the parser, strict JSON, one-line errors; and each reader that uses it (resume, batch, the write guard, the studio's
records) turns a hostile file into one line or a skipped file, never a traceback."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from painterly.apps import untrusted_json
from painterly.apps.batch.jobs import read_settings
from painterly.apps.cli import main
from painterly.apps.studio.store import Store, new_id
from painterly.apps.untrusted_json import BadJSON, load, loads, nesting_depth
from painterly.apps.write_guard import is_settings_file

DEEP = "[" * 100_000 + "]" * 100_000  # the parser alone would recurse into a RecursionError
HOSTILE = [DEEP, '{"a": ' * 40 + "1" + "}" * 40, '{"iterations_done": NaN}', '{"x": Infinity}', "{", b"\xff\xfe{}"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)


def _depth(value: object) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_the_depth_scan_counts_what_the_parser_nests_whatever_the_strings_hold(value):
    """Brackets, quotes and backslashes inside strings are not nesting: the scan agrees with the document's depth,
    and what is within the limits reads back as written."""
    text = json.dumps(value, ensure_ascii=False)
    assert nesting_depth(text) == _depth(value)
    if _depth(value) <= untrusted_json.MAX_DEPTH:
        assert loads(text) == value


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_one_line(text):
    with pytest.raises(BadJSON) as caught:
        loads(text)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 200


def test_a_file_over_the_limit_is_refused_without_reading_it_whole(tmp_path):
    big = tmp_path / "big.json"
    big.write_text('["' + "x" * (3 << 20) + '"]')
    with pytest.raises(BadJSON, match="over 1024 KB"):
        load(big)
    with pytest.raises(BadJSON, match="cannot be read"):
        load(tmp_path / "missing.json")


@pytest.mark.parametrize("text", HOSTILE)
def test_every_reader_turns_a_hostile_file_into_a_skip_or_one_line(text, tmp_path, capsys):
    """Resume says one line and exits 2; batch redoes the result; the write guard does not take the file for one
    of its own; the studio does not list it."""
    path = tmp_path / "out.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    (tmp_path / "out_0002.png").write_bytes(b"not read: the settings are refused first")
    assert main(["--resume", str(tmp_path / "out_0002.png"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "cannot resume" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert read_settings(path) is None
    assert not is_settings_file(path)
    store = Store(tmp_path / "studio")
    hostile = new_id()
    (store.results / f"{hostile}.json").write_bytes(path.read_bytes())
    (store.results / f"{hostile}.png").write_bytes(b"")
    assert store.result(hostile) is None and all(record["id"] != hostile for record in store.results_list())


def test_the_loader_is_the_only_json_reader_of_untrusted_files():
    """No front-end parses a file or a body with json.loads itself: the class of bug stays fixed."""
    apps = Path(untrusted_json.__file__).parent
    offenders = [
        str(path.relative_to(apps))
        for path in apps.rglob("*.py")
        if path.name != "untrusted_json.py" and re.search(r"\bjson\.loads?\(", path.read_text())
    ]
    assert offenders == [], f"parse untrusted JSON with apps.untrusted_json in {offenders}"
