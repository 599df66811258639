"""Where the visible signature stamp goes: into the signature block of the signer, on its page.

A report's signature block reads, from top to bottom, the title ("Kepala Dinas,"), a blank
space for the signature, the name and "NIP. …". :func:`stamp_position` finds the line that
carries the signer's NIP (or, without a NIP, their name) with pdfminer, and puts the stamp in
the blank space above the name; when that space is too small, below the NIP; when the block is
not found, at the bottom right of the last page. Coordinates are PDF points from the lower
left corner of the page.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from pdfminer.high_level import extract_pages
from pdfminer.layout import LTPage, LTTextContainer, LTTextLine

STAMP_WIDTH = 240.0
MIN_HEIGHT = 48.0
MAX_HEIGHT = 80.0
MARGIN = 28.0
#: the fallback box on the last page
DEFAULT_BOX = (300.0, 60.0, 560.0, 140.0)


@dataclass(frozen=True)
class _Line:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


def stamp_position(pdf: bytes, nip: str, name: str) -> tuple[int, tuple[float, float, float, float]]:
    """Return ``(page index, (x1, y1, x2, y2))`` of the stamp for the signer with ``nip``/``name``."""
    pages = list(extract_pages(io.BytesIO(pdf)))
    digits = re.sub(r"\D", "", nip or "")
    wanted = name.strip().lower()
    for index in range(len(pages) - 1, -1, -1):  # the signature block is near the end
        lines = _lines(pages[index])
        anchor = _find(lines, digits, wanted)
        if anchor is not None:
            return index, _box_near(lines, anchor, pages[index].width)
    return len(pages) - 1, DEFAULT_BOX


def _lines(page: LTPage) -> list[_Line]:
    found = []
    for element in page:
        if isinstance(element, LTTextContainer):
            for line in element:
                if isinstance(line, LTTextLine) and line.get_text().strip():
                    found.append(_Line(line.get_text().strip(), line.x0, line.y0, line.x1, line.y1))
    return found


def _find(lines: list[_Line], digits: str, name: str) -> _Line | None:
    """Return the NIP line of the signer (the digits match), else their name line."""
    if len(digits) >= 8:
        for line in lines:
            if digits in re.sub(r"\D", "", line.text):
                return line
    if name:
        matches = [line for line in lines if line.text.lower() == name]
        if matches:
            return min(matches, key=lambda line: line.y0)
    return None


def _box_near(lines: list[_Line], anchor: _Line, page_width: float) -> tuple[float, float, float, float]:
    """Put the stamp in the blank space above the name (over the anchor), else below the anchor."""
    x0 = max(MARGIN, min(anchor.x0, page_width - MARGIN - STAMP_WIDTH))
    x1 = x0 + STAMP_WIDTH
    column = [line for line in lines if line.x1 > x0 and line.x0 < x1 and line.y0 >= anchor.y1 - 1]
    above_anchor = sorted((line for line in column if line.y0 > anchor.y1), key=lambda line: line.y0)
    name_line = above_anchor[0] if above_anchor and above_anchor[0].y0 - anchor.y1 < 20 else anchor
    higher = [line for line in column if line.y0 > name_line.y1 + 1]
    if higher:
        title = min(higher, key=lambda line: line.y0)
        gap_bottom, gap_top = name_line.y1 + 3, title.y0 - 3
        if gap_top - gap_bottom >= MIN_HEIGHT:
            return x0, gap_bottom, x1, min(gap_top, gap_bottom + MAX_HEIGHT)
    below = [line for line in lines if line.x1 > x0 and line.x0 < x1 and line.y1 < anchor.y0]
    floor = max((line.y1 for line in below), default=MARGIN) + 3
    top = anchor.y0 - 4
    if top - max(floor, MARGIN) >= MIN_HEIGHT:
        return x0, max(floor, top - MAX_HEIGHT), x1, top
    return DEFAULT_BOX
