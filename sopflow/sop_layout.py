"""Geometry of the SOP procedure table and its flowchart, in points, decided before any XML is written.

Column widths come from text measurement (no column narrower than its longest word),
every body row gets a fixed height (its wrapped text or its symbol, whichever is
taller), and rows are paginated here, so the flowchart of each page can be drawn at
absolute page coordinates that match the table exactly. Connectors are orthogonal
polylines from the edge of one symbol to the edge of the next:

* the next step on the same page: down from the bottom of the symbol, across in the
  lower part of its row, down into the top of the next symbol;
* any other step on the same page (skips, the return loops of decisions): out of a
  side vertex, along a vertical channel kept in the free margin of a lane column (no
  symbol ever sits there), into a side vertex of the target;
* a step on another page: down into a numbered off-page connector (pentagon) under
  the source, and on the target's page from the same-numbered pentagon above the
  target into its top;
* the end of the process from a step that is not itself the end terminator: down
  into a small "Selesai" terminator under the step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .sop_steps import Step
from .sop_text import longest_word, text_width, wrap

PT_PER_CM = 72 / 2.54
PAGE_W, PAGE_H, MARGIN = 29.7 * PT_PER_CM, 21.0 * PT_PER_CM, 2.0 * PT_PER_CM
TITLE_H = 20.0  # the "SOP : ..." line above the table on every page (exact line height)
PAD_X, PAD_Y = 2.8, 2.0  # cell margins
BODY_SIZE, HEAD_SIZE, LABEL_SIZE = 8.0, 8.0, 6.0
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
    offpage_count: int = 0

    @property
    def table_width(self) -> float:
        return sum(c.width for c in self.columns)


# --- columns -------------------------------------------------------------------------------------------------------


def column_widths(columns: list[Column], texts: dict[str, list[str]], lane_keys: list[str]) -> None:
    """Give every column a width: at least its longest word, then the rest shared toward each column's wish."""
    available = PAGE_W - 2 * MARGIN
    minimum, wish = {}, {}
    for column in columns:
        body = texts.get(column.key, [])
        words = max([longest_word(t, BODY_SIZE) for t in body] + [longest_word(column.title, HEAD_SIZE, True)])
        minimum[column.key] = words + 2 * PAD_X + SLACK
        full = max([text_width(t, BODY_SIZE) for t in body] + [text_width(column.title, HEAD_SIZE, True)])
        wish[column.key] = min(full + 2 * PAD_X, 170.0)
        if column.key in lane_keys:
            minimum[column.key] = max(minimum[column.key], LANE_MIN)
            wish[column.key] = max(minimum[column.key], min(wish[column.key], 96.0))
    extra = available - sum(minimum.values())
    want = {key: max(wish[key] - minimum[key], 0.0) for key in minimum}
    total_want = sum(want.values())
    for column in columns:
        share = extra * want[column.key] / total_want if total_want > 0 and extra > 0 else 0.0
        column.width = minimum[column.key] + min(share, want[column.key])
    leftover = available - sum(c.width for c in columns)
    if leftover > 0:  # everything got its wish: the description column takes the rest
        next(c for c in columns if c.key == "uraian").width += leftover
    x = 0.0
    for column in columns:
        column.x, x = x, x + column.width


def text_height(text: str, width: float, size: float = BODY_SIZE, bold: bool = False) -> float:
    """Return the height of a cell holding ``text`` wrapped to a column of ``width``."""
    lines = wrap(text, width - 2 * PAD_X - SLACK, size, bold)
    return len(lines) * line_height(size) + 2 * PAD_Y


# --- pagination ----------------------------------------------------------------------------------------------------


def paginate(heights: list[float], header: float) -> list[list[int]]:
    """Split the rows into pages: as many whole rows as fit under the title and the header rows."""
    room = PAGE_H - 2 * MARGIN - TITLE_H - header - SAFETY
    pages: list[list[int]] = [[]]
    used = 0.0
    for index, height in enumerate(heights):
        if pages[-1] and used + height > room:
            pages.append([])
            used = 0.0
        pages[-1].append(index)
        used += height
    return pages


def _page_of(pages: list[list[int]]) -> dict[int, int]:
    return {row: number for number, rows in enumerate(pages) for row in rows}


def _zones(steps: list[Step], pages: list[list[int]]) -> tuple[set[int], set[int]]:
    """Return the rows needing a zone above (incoming off-page) and below (outgoing off-page or end)."""
    page = _page_of(pages)
    above, below = set(), set()
    for row, step in enumerate(steps):
        for edge in _drawn_edges(step):
            if edge.target is None:
                below.add(row)
            elif page[edge.target] != page[row]:
                below.add(row)
                above.add(edge.target)
    return above, below


def _drawn_edges(step: Step) -> list:
    """Return the edges drawn for a step: the end terminator has nothing after it; duplicate targets once."""
    seen, edges = set(), []
    for edge in step.edges:
        if edge.target is None and step.symbol == "terminator":
            continue
        if edge.target not in seen:
            seen.add(edge.target)
            edges.append(edge)
    return edges


# --- the whole layout ----------------------------------------------------------------------------------------------


def build_layout(steps: list[Step], columns: list[Column], texts: dict[str, list[str]], lanes: list[str]) -> Layout:
    """Compute widths, heights, pages, symbols, connectors and labels of the procedure table."""
    lane_keys = [f"lane{i}" for i in range(len(lanes))]
    column_widths(columns, texts, lane_keys)
    by_key = {c.key: c for c in columns}
    header_a = line_height(HEAD_SIZE) + 2 * PAD_Y
    header_b = max(text_height(c.title, c.width, HEAD_SIZE, True) for c in columns if c.key not in ("no", "uraian"))
    base = []
    for row, step in enumerate(steps):
        text = max(text_height(texts[c.key][row], c.width) for c in columns if c.key in texts)
        flow = SYMBOL_H[step.symbol] + 2 * FLOW_GAP + (LABEL_ROOM if step.symbol == "decision" else 0)
        base.append(max(text, flow))
    heights = list(base)
    pages = paginate(heights, header_a + header_b)
    for _ in range(8):  # zones grow rows, which may move a page break: repeat until stable
        above, below = _zones(steps, pages)
        wanted = [max(h, base[r] + ZONE * ((r in above) + (r in below))) for r, h in enumerate(heights)]
        new_pages = paginate(wanted, header_a + header_b)
        heights = wanted
        if new_pages == pages:
            break
        pages = new_pages
    table_w = sum(c.width for c in columns)
    layout = Layout(
        columns=columns,
        table_x=(PAGE_W - table_w) / 2,
        table_y=MARGIN + TITLE_H,
        header_heights=(header_a, header_b),
        heights=heights,
        pages=[Page(rows=rows) for rows in pages],
    )
    _draw(layout, steps, [by_key[k] for k in lane_keys], lanes)
    return layout


def _draw(layout: Layout, steps: list[Step], lane_columns: list[Column], lanes: list[str]) -> None:
    page_of = _page_of([p.rows for p in layout.pages])
    above, below = _zones(steps, [p.rows for p in layout.pages])
    lane_of = [lanes.index(step.lane) for step in steps]
    top: dict[int, float] = {}
    for page in layout.pages:
        y = layout.table_y + sum(layout.header_heights)
        for row in page.rows:
            top[row] = y
            y += layout.heights[row]
    symbols: dict[int, Shape] = {}
    for row, step in enumerate(steps):
        column = lane_columns[lane_of[row]]
        width = min(column.width - 2 * SIDE_GAP, SYMBOL_MAX_W)
        height = SYMBOL_H[step.symbol]
        flow_top = top[row] + (ZONE if row in above else 0)
        flow_bottom = top[row] + layout.heights[row] - (ZONE if row in below else 0)
        cy = (flow_top + flow_bottom) / 2
        cx = layout.table_x + column.x + column.width / 2
        text = step.label if step.symbol == "terminator" else ""
        symbols[row] = Shape(step.symbol, cx - width / 2, cy - height / 2, width, height, text, row)
        layout.pages[page_of[row]].shapes.append(symbols[row])
    router = _Router(layout, steps, symbols, top, lane_columns, lane_of, page_of)
    router.route_all()


class _Router:
    """Lays out the connectors of every page (see the module docstring for the routes)."""

    def __init__(self, layout, steps, symbols, top, lane_columns, lane_of, page_of) -> None:
        self.layout, self.steps, self.symbols, self.top = layout, steps, symbols, top
        self.lane_columns, self.lane_of, self.page_of = lane_columns, lane_of, page_of
        self.channels: dict[tuple[int, str], int] = {}
        self.sides: dict[tuple[int, str], str] = {}

    def page(self, row: int) -> Page:
        return self.layout.pages[self.page_of[row]]

    def route_all(self) -> None:
        bottom_items: dict[int, list] = {}
        top_items: dict[int, list] = {}
        adjacent, side_routes = [], []
        for row, step in enumerate(self.steps):
            for edge in _drawn_edges(step):
                if edge.target is None or self.page_of[edge.target] != self.page_of[row]:
                    bottom_items.setdefault(row, []).append(edge)
                    if edge.target is not None:
                        top_items.setdefault(edge.target, []).append((row, edge))
        for row, step in enumerate(self.steps):
            for edge in _drawn_edges(step):
                if edge.target is None or self.page_of[edge.target] != self.page_of[row]:
                    continue
                if edge.target == row + 1 and row not in bottom_items:
                    adjacent.append((row, edge))
                else:
                    side_routes.append((row, edge))
        entered_from_above = {row + 1 for row, _ in adjacent}
        numbers: dict[tuple[int, int], int] = {}
        for row in sorted(bottom_items):
            self._bottom(row, bottom_items[row], numbers)
        for row in sorted(top_items):
            self._top(row, top_items[row], numbers, row in entered_from_above)
        for row, edge in adjacent:
            self._adjacent(row, edge)
        for row, edge in side_routes:
            self._side(row, edge)

    def _slots(self, cx: float, count: int, skip_centre: bool) -> list[float]:
        offsets = [0.0, SLOT, -SLOT, 2 * SLOT, -2 * SLOT]
        if skip_centre:
            offsets = offsets[1:]
        return [cx + offsets[i % len(offsets)] for i in range(count)]

    def _bottom(self, row: int, edges: list, numbers: dict[tuple[int, int], int]) -> None:
        symbol, page = self.symbols[row], self.page(row)
        zone_mid = self.top[row] + self.layout.heights[row] - ZONE / 2
        widths = [END_W if edge.target is None else OFFPAGE_W for edge in edges]
        left = symbol.cx - (sum(widths) + 6.0 * (len(edges) - 1)) / 2  # side by side, centred under the symbol
        centres = []
        for width in widths:
            centres.append(left + width / 2)
            left += width + 6.0
        for x, edge in zip(centres, edges, strict=True):
            if edge.target is None:
                item = Shape("end", x - END_W / 2, zone_mid - END_H / 2, END_W, END_H, "Selesai", row)
            else:
                self.layout.offpage_count += 1
                number = self.layout.offpage_count
                numbers[(row, edge.target)] = number
                item = Shape("offpage", x - OFFPAGE_W / 2, zone_mid - OFFPAGE_H / 2, OFFPAGE_W, OFFPAGE_H, str(number))
                item.row = row
            page.shapes.append(item)
            start = (x, symbol.bottom_at(x))
            page.connectors.append([start, (x, item.y)])
            self._label(page, edge.label, start[0] + 2, start[1] + 1)

    def _top(self, row: int, sources: list, numbers: dict[tuple[int, int], int], skip_centre: bool) -> None:
        symbol, page = self.symbols[row], self.page(row)
        zone_mid = self.top[row] + ZONE / 2
        for x, (source, _edge) in zip(self._slots(symbol.cx, len(sources), skip_centre), sources, strict=True):
            number = numbers[(source, row)]
            item = Shape("offpage", x - OFFPAGE_W / 2, zone_mid - OFFPAGE_H / 2, OFFPAGE_W, OFFPAGE_H, str(number))
            item.row = row
            page.shapes.append(item)
            page.connectors.append([(x, item.y + item.h), (x, symbol.top_at(x))])

    def _adjacent(self, row: int, edge) -> None:
        source, target, page = self.symbols[row], self.symbols[edge.target], self.page(row)
        start = (source.cx, source.y + source.h)
        end = (target.cx, target.top_at(target.cx))
        if abs(source.cx - target.cx) < 0.01:
            points = [start, end]
        else:
            bottom = self.top[row] + self.layout.heights[row]
            level = bottom - min(6.0, (bottom - start[1]) / 2)  # low in the row: room for a branch label above
            points = [start, (source.cx, level), (target.cx, level), end]
        page.connectors.append(points)
        self._label(page, edge.label, start[0] + 2, start[1] + 1)

    def _channel(self, lane: int, side: str) -> float:
        column = self.lane_columns[lane]
        used = self.channels.get((lane, side), 0)
        self.channels[(lane, side)] = used + 1
        offset = min(5.0 + 2.5 * used, SIDE_GAP - 7)  # the last stretch into the symbol keeps 7 pt for the arrow
        left = self.layout.table_x + column.x
        return left + offset if side == "left" else left + column.width - offset

    def _side(self, row: int, edge) -> None:
        source, target, page = self.symbols[row], self.symbols[edge.target], self.page(row)
        lane_s, lane_t = self.lane_of[row], self.lane_of[edge.target]
        exit_side = "left" if lane_t < lane_s else "right"
        if self.sides.get((row, exit_side)) == "in":
            exit_side = "right" if exit_side == "left" else "left"
        if exit_side == "right":
            x = self._channel(lane_t, "left") if lane_t > lane_s else self._channel(lane_s, "right")
        else:
            x = self._channel(lane_t, "right") if lane_t < lane_s else self._channel(lane_s, "left")
        entry_side = "right" if x > target.cx else "left"
        self.sides[(row, exit_side)] = "out"
        self.sides[(edge.target, entry_side)] = "in"
        start, end = source.side(exit_side), target.side(entry_side)
        page.connectors.append([start, (x, start[1]), (x, end[1]), end])
        if edge.label:  # above the first stretch when it is long enough, else above the last one by the channel
            lines = wrap(edge.label, 58.0, LABEL_SIZE)
            width = max(text_width(line, LABEL_SIZE) for line in lines) + 2
            height = len(lines) * line_height(LABEL_SIZE) + 1
            first, last = abs(x - start[0]), abs(end[0] - x)
            if first >= width + 4 or first >= last:
                left, level = (start[0] + 2 if x > start[0] else start[0] - 2 - width), start[1]
            else:
                left, level = (x + 2 if end[0] > x else x - 2 - width), end[1]
            page.labels.append(Label(left, level - height - 0.5, lines, "left" if left > min(x, start[0]) else "right"))

    def _label(self, page: Page, text: str, x: float, y: float) -> None:
        if text:
            page.labels.append(Label(x, y, wrap(text, 58.0, LABEL_SIZE)))
