"""Shared geometry of the SOP procedure table: page and cell measures, and the drawn objects, in points.

Used by :mod:`sopflow.sopdoc.layout` (which decides widths, heights and pages),
:mod:`sopflow.sopdoc.routes` (connectors) and :mod:`sopflow.sopdoc.drawing` (DrawingML).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sopflow.sopdoc.steps import Edge, Step
from sopflow.sopdoc.text import text_width

PT_PER_CM = 72 / 2.54
PAGE_W, PAGE_H, MARGIN = 29.7 * PT_PER_CM, 21.0 * PT_PER_CM, 2.0 * PT_PER_CM
TITLE_H = 20.0  # the "SOP : ..." line above the table on every page (exact line height)
PAD_X, PAD_Y = 2.8, 2.0  # cell margins
BODY_SIZE, LABEL_SIZE = 8.0, 6.0
SIZES = (8.0, 7.5, 7.0, 6.5, 6.0)  # table text sizes tried, largest first, until every column fits the page
LANE_FLOOR = 56.0  # narrowest lane column, when even 6 pt text leaves too little room
LANE_MIN, SIDE_GAP, SYMBOL_MAX_W = 68.0, 14.0, 72.0
SYMBOL_H = {"terminator": 20.0, "process": 22.0, "decision": 30.0}
FLOW_GAP = 12.0  # free height above and below a symbol for connectors
LABEL_ROOM = 8.0  # extra height of a decision's row, for the labels of its branches
OFFPAGE_W, OFFPAGE_H, ZONE = 16.0, 15.0, 21.0  # pentagon size; height added to a row per zone used
END_W, END_H = 38.0, 14.0
SLOT = 20.0  # horizontal distance between items sharing a zone
SAFETY = 6.0  # points kept free at the foot of each page
SLACK = 2.0  # points added to measured text widths: a word processor's rounding never wraps a word that fits


def line_height(size: float) -> float:
    """Return the exact line height used for text of ``size`` points."""
    return round(size * 1.25, 2)


@dataclass
class Column:
    """One grid column: key, header text, left edge (from the table's left edge) and width."""

    key: str
    title: str
    x: float = 0.0
    width: float = 0.0


@dataclass
class Shape:
    """A closed flowchart symbol at page coordinates (top-left ``x``, ``y``)."""

    kind: str  # terminator, process, decision, offpage, end
    x: float
    y: float
    w: float
    h: float
    text: str = ""
    row: int = 0

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    def _dy(self, x: float) -> float:
        """Distance from the centre line to the top/bottom outline at ``x``."""
        half_w, half_h = self.w / 2, self.h / 2
        dx = min(abs(x - self.cx), half_w)
        if self.kind == "decision":
            return half_h * (1 - dx / half_w)
        if self.kind in ("terminator", "end"):
            radius = half_h
            beyond = dx - (half_w - radius)
            return half_h if beyond <= 0 else math.sqrt(max(radius * radius - beyond * beyond, 0.0))
        return half_h

    def top_at(self, x: float) -> float:
        return self.cy - self._dy(x)

    def bottom_at(self, x: float) -> float:
        if self.kind == "offpage":  # flowChartOffpageConnector: square top 80 %, point at the bottom centre
            return self.y + self.h * (0.8 + 0.2 * (1 - min(abs(x - self.cx) / (self.w / 2), 1.0)))
        return self.cy + self._dy(x)

    def side(self, side: str) -> tuple[float, float]:
        return (self.x + self.w if side == "right" else self.x, self.cy)


@dataclass
class Label:
    """Small text beside a connector (a decision's branch name): top-left corner and lines."""

    x: float
    y: float
    lines: list[str]
    align: str = "left"

    @property
    def width(self) -> float:
        return max((text_width(line, LABEL_SIZE) for line in self.lines), default=0.0) + 2

    @property
    def height(self) -> float:
        return len(self.lines) * line_height(LABEL_SIZE) + 1


@dataclass
class Page:
    """The rows of one page and everything drawn over them."""

    rows: list[int]
    shapes: list[Shape] = field(default_factory=list)
    connectors: list[list[tuple[float, float]]] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)


@dataclass
class Layout:
    """Where everything of the procedure table goes."""

    columns: list[Column]
    table_x: float
    table_y: float
    header_heights: tuple[float, float]
    heights: list[float]
    pages: list[Page]
    size: float = BODY_SIZE  # text size of the table (header and body)
    offpage_count: int = 0

    @property
    def table_width(self) -> float:
        return sum(c.width for c in self.columns)


def drawn_edges(step: Step) -> list[Edge]:
    """Return the edges drawn for a step: the end terminator has nothing after it; duplicate targets once."""
    seen, edges = set(), []
    for edge in step.edges:
        if edge.target is None and step.symbol == "terminator":
            continue
        if edge.target not in seen:
            seen.add(edge.target)
            edges.append(edge)
    return edges
