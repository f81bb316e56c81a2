"""painterly: repaint a photo in the style of a painting (Gatys, Ecker & Bethge 2015).

The engine's names are imported on first use (PEP 562): `import painterly` and the `painterly` command start without
loading torch, so `--help`, a bad argument or a signal during start-up answer at once."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .config import StyleConfig
from .errors import PainterlyError

if TYPE_CHECKING:
    from .engine.optimize import Progress
    from .engine.painter import Painter, stylize

__all__ = ["Painter", "PainterlyError", "Progress", "StyleConfig", "stylize"]
__version__ = "0.1.0"

_LAZY = {"Progress": "engine.optimize", "Painter": "engine.painter", "stylize": "engine.painter"}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value  # later lookups are plain attribute reads
        return value
    raise AttributeError(f"module 'painterly' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
