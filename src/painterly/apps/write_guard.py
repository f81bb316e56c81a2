"""May this path be written? The one place the front-ends ask, before minutes of work.

A run never writes over one of its inputs (compared as files, so a hard link or a symlink to an input is an input
too), replaces an existing file only when the user said so for that file (--overwrite), and replaces the settings
file beside a result only when it is painterly's own. The final write itself refuses a name taken meanwhile
(media.images.write_atomically with replace=False), so these checks are not a check-then-act race.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..config import StyleConfig
from ..errors import PainterlyError
from . import untrusted_json

IMAGE_OUTPUTS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp")
SETTINGS_LIMIT = 1 << 20  # bytes: a settings file is a few KB; anything larger is not one of ours


def same_file(a: Path, b: Path) -> bool:
    """The same file on disk, however it is named; False when either does not exist."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def run_inputs(content: Path, styles: Sequence[Path], config: StyleConfig) -> list[Path]:
    """Every file a run reads: the photo, the paintings, the mask and an --init image."""
    extra = [config.mask] if config.mask else []
    if config.init not in ("content", "noise", "style"):
        extra.append(config.init)
    return [content, *styles, *map(Path, extra)]


def check_output(
    output: Path, inputs: Iterable[Path], overwrite: bool, extensions: Sequence[str] = IMAGE_OUTPUTS
) -> None:
    """Everything about OUT that can be wrong is found before minutes of work, not after."""
    if output.suffix.lower() not in extensions:
        raise PainterlyError(f"output '{output}' needs an extension such as {extensions[0]}")
    if any(same_file(output, source) for source in inputs):
        raise PainterlyError(f"output '{output}' is an input of this run; choose another -o")
    if output.exists() and not overwrite:
        raise PainterlyError(f"output '{output}' exists; pass --overwrite to replace it or choose another -o")
    folder = output.parent
    if not folder.is_dir():
        raise PainterlyError(f"cannot write '{output}': folder '{folder}' does not exist")
    if not os.access(folder, os.W_OK):
        raise PainterlyError(f"cannot write '{output}': folder '{folder}' is not writable")


def check_settings_file(path: Path, inputs: Iterable[Path]) -> None:
    """OUT.json, written beside OUT: never an input, and replaced only when it is painterly's settings file (a
    user's own report.json beside -o report.png is not ours to replace, --overwrite or not)."""
    if any(same_file(path, source) for source in inputs):
        raise PainterlyError(f"the settings file '{path}' would replace an input of this run; choose another -o")
    if (path.exists() or path.is_symlink()) and not is_settings_file(path):
        raise PainterlyError(
            f"'{path}' exists and is not a painterly settings file; painterly writes its settings there, beside "
            "the output: choose another -o"
        )


def is_settings_file(path: Path) -> bool:
    """A regular file holding a JSON object with painterly's marks (the version and the config)."""
    try:
        if not path.is_file() or path.is_symlink() or path.stat().st_size > SETTINGS_LIMIT:
            return False
        data = untrusted_json.load(path, limit=SETTINGS_LIMIT)
    except ValueError:
        return False
    return isinstance(data, dict) and "painterly" in data and isinstance(data.get("config"), dict)
