"""painterly: repaint a photo in the style of a painting (Gatys, Ecker & Bethge 2015)."""

from .config import StyleConfig
from .errors import PainterlyError
from .optimize import Progress
from .transfer import stylize

__all__ = ["PainterlyError", "Progress", "StyleConfig", "stylize"]
__version__ = "0.1.0"
