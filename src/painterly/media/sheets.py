"""Labelled pictures: contact sheets of several results, and captions under single frames.

A sheet is a table: an optional band of column labels on top, an optional band of row labels on the left, and the
cells on a grid with GAP pixels between them and around the edge. Labels wrap (after '=', ',' or '+', else
anywhere) to the width they have, so a long option=value never runs into its neighbour. Pillow's own default font
is used, so a sheet looks the same on every machine and needs no font files.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

GAP = 4  # pixels between cells and around the sheet
PAD = 3  # pixels between a label's text and the edge of its band
ROW_LABEL_WIDTH = 120  # row labels wrap at this width (or at the cell width, when that is wider)
BACKGROUND = "white"
INK = "black"

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def font_for(cell_width: int) -> Font:
    """Pillow's default font, larger for larger cells (10 px text on a 512 px cell is unreadable in a README)."""
    size = min(18, max(10, cell_width // 14))
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: one fixed-size bitmap font
        return ImageFont.load_default()


def line_height(font: Font) -> int:
    return font.getbbox("Ag|")[3] + 2


def text_width(font: Font, text: str) -> int:
    return math.ceil(font.getbbox(text)[2]) if text else 0


def wrap(font: Font, text: str, width: int) -> list[str]:
    """Greedy wrap at the natural break points of option=value labels; a piece wider than `width` is cut."""
    lines: list[str] = []
    line = ""
    for piece in re.findall(r"[^=,+ ]*[=,+ ]?", text):
        if not piece:
            continue
        if text_width(font, line + piece) <= width or not line:
            line += piece
        else:
            lines.append(line)
            line = piece
        while text_width(font, line) > width and len(line) > 1:  # one piece too long for a line on its own
            cut = max(i for i in range(1, len(line)) if text_width(font, line[:i]) <= width or i == 1)
            lines.append(line[:cut])
            line = line[cut:]
    if line or not lines:
        lines.append(line)
    return [line.rstrip() for line in lines]


@dataclass(frozen=True)
class SheetLayout:
    """Where everything goes on a sheet: label bands (0 when absent) and equal slots for the cells."""

    cell: tuple[int, int]  # (width, height) of one slot: the largest cell
    rows: int
    columns: int
    left: int  # width of the row-label band
    top: int  # height of the column-label band

    @property
    def size(self) -> tuple[int, int]:
        width, height = self.cell
        return self.left + GAP + self.columns * (width + GAP), self.top + GAP + self.rows * (height + GAP)

    def origin(self, row: int, column: int) -> tuple[int, int]:
        """Top-left corner of the slot at (row, column)."""
        width, height = self.cell
        return self.left + GAP + column * (width + GAP), self.top + GAP + row * (height + GAP)


def layout(
    cell: tuple[int, int], rows: int, columns: int, row_labels: Sequence[str] = (), column_labels: Sequence[str] = ()
) -> SheetLayout:
    """The geometry of a sheet, from the cell size and the labels alone (so a test can check a sheet's size)."""
    font = font_for(cell[0])
    top = left = 0
    if column_labels:
        lines = max(len(wrap(font, label, cell[0])) for label in column_labels)
        top = lines * line_height(font) + 2 * PAD
    if row_labels:
        room = max(cell[0], ROW_LABEL_WIDTH)
        left = max(text_width(font, line) for label in row_labels for line in wrap(font, label, room)) + 2 * PAD
    return SheetLayout(cell, rows, columns, left, top)


def contact_sheet(
    cells: Sequence[Sequence[Image.Image]], row_labels: Sequence[str] = (), column_labels: Sequence[str] = ()
) -> Image.Image:
    """One image of `cells[row][column]`, with each column's label above it and each row's label to its left.

    Cells of different sizes (a grid over --size, say) are centred in equal slots as large as the largest cell.
    """
    rows, columns = len(cells), max(len(row) for row in cells)
    if row_labels and len(row_labels) != rows or column_labels and len(column_labels) != columns:
        raise ValueError(f"{len(row_labels)} row and {len(column_labels)} column labels for {rows}x{columns} cells")
    cell = (max(im.width for row in cells for im in row), max(im.height for row in cells for im in row))
    geometry = layout(cell, rows, columns, row_labels, column_labels)
    sheet = Image.new("RGB", geometry.size, BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    font = font_for(cell[0])
    step = line_height(font)
    for r, row in enumerate(cells):
        for c, im in enumerate(row):
            x, y = geometry.origin(r, c)
            sheet.paste(im.convert("RGB"), (x + (cell[0] - im.width) // 2, y + (cell[1] - im.height) // 2))
    for c, label in enumerate(column_labels):
        x, _ = geometry.origin(0, c)
        for i, line in enumerate(wrap(font, label, cell[0])):
            draw.text((x + (cell[0] - text_width(font, line)) // 2, PAD + i * step), line, fill=INK, font=font)
    for r, label in enumerate(row_labels):
        _, y = geometry.origin(r, 0)
        lines = wrap(font, label, max(cell[0], ROW_LABEL_WIDTH))
        y += (cell[1] - len(lines) * step) // 2
        for i, line in enumerate(lines):
            draw.text((PAD, y + i * step), line, fill=INK, font=font)
    return sheet


def caption(image: Image.Image, text: str) -> Image.Image:
    """`image` with one line of text on a band below it (an animation frame saying which iteration it shows)."""
    font = font_for(image.width)
    band = line_height(font) + 2 * PAD
    framed = Image.new("RGB", (image.width, image.height + band), BACKGROUND)
    framed.paste(image.convert("RGB"), (0, 0))
    ImageDraw.Draw(framed).text((PAD, image.height + PAD), text, fill=INK, font=font)
    return framed
