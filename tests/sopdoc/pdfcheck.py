"""Reading the SOP document's PDF (LibreOffice's rendering) back: table cells, symbols, connectors, words.

Only what the PDF shows is used: the table's borders (0.5 pt lines), the text positions,
and the drawn vector paths: symbols are closed stroked paths, connectors open stroked
paths whose arrowhead LibreOffice draws as a small filled triangle after the line.
"""

from __future__ import annotations

import io
import itertools
import math
from collections import Counter
from dataclasses import dataclass, field

import pdfplumber
from docx import Document
from docx.oxml.ns import qn

Point = tuple[float, float]
TOUCH = 2.0  # points: a connector's end must be this close to the outline it joins


@dataclass
class Outline:
    """A closed stroked path: a flowchart symbol or an off-page connector."""

    pts: list[Point]
    page: int
    x0: float
    top: float
    x1: float
    bottom: float
    text: str = ""

    @property
    def centre(self) -> Point:
        return ((self.x0 + self.x1) / 2, (self.top + self.bottom) / 2)

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.bottom - self.top

    def distance(self, point: Point) -> float:
        """Distance from ``point`` to the outline (its polygon through all path points)."""
        pts = self.pts
        return min(_segment_distance(point, pts[i], pts[(i + 1) % len(pts)]) for i in range(len(pts)))

    def kind(self) -> str:
        """Classify the outline: diamond, rectangle, rounded (terminator) or pentagon (off-page)."""
        distinct = {(round(x, 1), round(y, 1)) for x, y in self.pts}
        if len(distinct) > 8:
            return "rounded"
        cx = self.centre[0]
        corners = {(round(x, 1), round(y, 1)) for x in (self.x0, self.x1) for y in (self.top, self.bottom)}
        if len(distinct) == 4 and any(abs(x - cx) < 0.5 and abs(y - self.top) < 0.5 for x, y in distinct):
            return "diamond"
        if all(any(abs(a - c) < 0.3 and abs(b - d) < 0.3 for a, b in distinct) for c, d in corners):
            return "rectangle"
        if len(distinct) == 5 and any(abs(x - cx) < 0.5 and abs(y - self.bottom) < 0.5 for x, y in distinct):
            return "pentagon"
        return "other"


@dataclass
class Connector:
    """An open stroked path; ``tip`` is the point of its arrowhead."""

    pts: list[Point]
    page: int
    tip: Point | None = None


@dataclass
class PageGeometry:
    """One page of the flowchart table as read from the PDF."""

    number: int
    columns: list[tuple[float, float]] = field(default_factory=list)  # x ranges, left to right
    rows: dict[int, tuple[float, float]] = field(default_factory=dict)  # step number -> y range
    header_words: list[dict] = field(default_factory=list)
    outlines: list[Outline] = field(default_factory=list)
    connectors: list[Connector] = field(default_factory=list)


def _segment_distance(p: Point, a: Point, b: Point) -> float:
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    length = dx * dx + dy * dy
    t = 0.0 if length == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def _merge(values: list[float], tolerance: float = 1.0) -> list[float]:
    merged: list[float] = []
    for value in sorted(values):
        if not merged or value - merged[-1] > tolerance:
            merged.append(value)
    return merged


def _pts(obj: dict) -> list[Point]:
    if obj.get("pts"):
        return [(float(x), float(y)) for x, y in obj["pts"]]
    return [(obj["x0"], obj["top"]), (obj["x1"], obj["bottom"])]


def read_flowchart_pages(pdf_bytes: bytes, column_count: int) -> list[PageGeometry]:
    """Return the geometry of every page holding the procedure table ("Uraian Kegiatan" in its header)."""
    pages = []
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        for index, page in enumerate(pdf.pages):
            words = page.extract_words(use_text_flow=True)
            if not any(w["text"] == "Uraian" for w in words):
                continue
            pages.append(_read_page(index, page, words, column_count))
    return pages


def _read_page(index: int, page, words: list[dict], column_count: int) -> PageGeometry:
    geometry = PageGeometry(number=index)
    graphics = page.lines + page.curves + page.rects
    borders = [o for o in graphics if o.get("stroke") and abs(o.get("linewidth", 0) - 0.5) < 0.2]
    verticals = [o for o in borders if abs(o["x0"] - o["x1"]) < 0.3]
    horizontals = [o for o in borders if abs(o["top"] - o["bottom"]) < 0.3]
    uraian = next(w for w in words if w["text"] == "Uraian")
    header_top = min(h["top"] for h in horizontals)
    body_verticals = [v for v in verticals if v["bottom"] > uraian["bottom"] + 20]
    xs = _merge([v["x0"] for v in body_verticals])
    assert len(xs) == column_count + 1, f"halaman {index + 1}: {len(xs) - 1} kolom, bukan {column_count}"
    geometry.columns = list(itertools.pairwise(xs))
    ys = _merge([h["top"] for h in horizontals if h["x0"] <= xs[0] + 1 and h["x1"] >= xs[1] - 1])
    no_left, no_right = geometry.columns[0]
    for word in words:
        if word["text"].isdigit() and no_left < word["x0"] and word["x1"] < no_right and word["top"] > uraian["bottom"]:
            middle = (word["top"] + word["bottom"]) / 2
            above = max(y for y in ys if y < middle)
            below = min(y for y in ys if y > middle)
            geometry.rows[int(word["text"])] = (above, below)
    first_row = min(top for top, _ in geometry.rows.values())
    geometry.header_words = [w for w in words if header_top <= w["top"] and w["bottom"] <= first_row]
    drawn = [o for o in graphics if o.get("stroke") and abs(o.get("linewidth", 0) - 1.0) < 0.2]
    arrows = [
        o
        for o in page.curves
        if o.get("fill")
        and not o.get("stroke")
        and len(o["pts"]) == 4
        and o["x1"] - o["x0"] < 8
        and o["bottom"] - o["top"] < 8
    ]
    for obj in drawn:
        pts = _pts(obj)
        closed = len(pts) > 3 and math.dist(pts[0], pts[-1]) < 0.3
        if closed:
            outline = Outline(pts, index, obj["x0"], obj["top"], obj["x1"], obj["bottom"])
            inside = [
                w["text"]
                for w in words
                if outline.x0 <= w["x0"] and w["x1"] <= outline.x1 and outline.top <= w["top"] <= outline.bottom
            ]
            outline.text = " ".join(inside)
            geometry.outlines.append(outline)
        else:
            geometry.connectors.append(Connector(pts, index, _tip(pts[-1], arrows)))
    return geometry


def _tip(end: Point, arrows: list[dict]) -> Point | None:
    """Return the point of the arrowhead drawn at ``end`` of a line: the triangle whose base is centred there."""
    for arrow in arrows:
        corners = _pts(arrow)[:3]
        for tip in corners:
            base = [p for p in corners if p is not tip]
            middle = ((base[0][0] + base[1][0]) / 2, (base[0][1] + base[1][1]) / 2)
            if math.dist(middle, end) < 1.0:
                return tip
    return None


def nearest_outline(point: Point, outlines: list[Outline]) -> tuple[Outline, float]:
    """Return the outline closest to ``point`` and the distance."""
    best = min(outlines, key=lambda o: o.distance(point))
    return best, best.distance(point)


def pdf_words(pdf_bytes: bytes) -> Counter[str]:
    """Return every word the PDF shows, counted.

    Words follow the PDF's own text order (``use_text_flow``): sorting by position would
    interleave the lines of neighbouring header cells whose baselines differ by a few
    points. A word broken over two lines still comes out as two pieces."""
    counts: Counter[str] = Counter()
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        for page in pdf.pages:
            counts.update(w["text"] for w in page.extract_words(use_text_flow=True))
    return counts


def docx_words(docx_bytes: bytes) -> Counter[str]:
    """Return every word written in the .docx (body, tables and text boxes), counted."""
    document = Document(io.BytesIO(docx_bytes))
    counts: Counter[str] = Counter()
    for paragraph in document.element.body.iter(qn("w:p")):
        texts = [
            (node.text or "") if node.tag == qn("w:t") else " "  # a tab or a line break separates words
            for node in paragraph.iter(qn("w:t"), qn("w:tab"), qn("w:br"))
            if next(a for a in node.iterancestors(qn("w:p"))) is paragraph
        ]
        counts.update("".join(texts).split())
    return counts


def page_images(pdf_bytes: bytes, page: int) -> list[dict]:
    """Return the images placed on a page (pdfplumber's records with their size in points)."""
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        return list(pdf.pages[page].images)


def page_lines(pdf_bytes: bytes, page: int) -> list[str]:
    """Return the text lines of a page."""
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        return (pdf.pages[page].extract_text() or "").splitlines()
