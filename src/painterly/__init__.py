"""painterly: repaint a photo in the style of a painting (Gatys, Ecker & Bethge 2015)."""

from .config import StyleConfig
from .engine.optimize import Progress
from .engine.painter import Painter, stylize
from .errors import PainterlyError

__all__ = ["Painter", "PainterlyError", "Progress", "StyleConfig", "stylize"]
__version__ = "0.1.0"
