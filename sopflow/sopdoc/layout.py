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

from sopflow.sopdoc.geometry import (
    BODY_SIZE,
    FLOW_GAP,
    LABEL_ROOM,
    LANE_FLOOR,
    LANE_MIN,
    MARGIN,
    PAD_X,
    PAD_Y,
    PAGE_H,
    PAGE_W,
    SAFETY,
    SIDE_GAP,
    SIZES,
    SLACK,
    SYMBOL_H,
    SYMBOL_MAX_W,
    TITLE_H,
    ZONE,
    Column,
    Layout,
    Page,
    Shape,
    drawn_edges,
    line_height,
)
from sopflow.sopdoc.routes import Router
from sopflow.sopdoc.steps import Step
from sopflow.sopdoc.text import longest_word, text_width, wrap

# --- columns -------------------------------------------------------------------------------------------------------


def _minimum_widths(
    columns: list[Column], texts: dict[str, list[str]], lane_keys: list[str], size: float, lane_min: float
) -> tuple[dict[str, float], dict[str, float]]:
    """Return each column's narrowest width (its longest word) and the width it would like, at ``size``."""
    minimum, wish = {}, {}
    for column in columns:
        body = texts.get(column.key, [])
        words = max([longest_word(t, size) for t in body] + [longest_word(column.title, size, True)])
        minimum[column.key] = words + 2 * PAD_X + SLACK
        full = max([text_width(t, size) for t in body] + [text_width(column.title, size, True)])
        wish[column.key] = min(full + 2 * PAD_X, 170.0)
        if column.key in lane_keys:
            minimum[column.key] = max(minimum[column.key], lane_min)
            wish[column.key] = minimum[column.key] + 12.0  # a lane needs room for its symbol; its name may wrap
    return minimum, wish


def column_widths(columns: list[Column], texts: dict[str, list[str]], lane_keys: list[str]) -> float:
    """Give every column a width and return the text size of the table.

    Every column gets at least its longest word (the largest text size for which all of
    them fit the page, then narrower lanes); the room left is shared toward each
    column's wish, the activity description first.
    """
    available = PAGE_W - 2 * MARGIN
    attempts = [(size, LANE_MIN) for size in SIZES] + [(SIZES[-1], LANE_FLOOR)]
    for size, lane_min in attempts:
        minimum, wish = _minimum_widths(columns, texts, lane_keys, size, lane_min)
        if sum(minimum.values()) <= available:
            break
    extra = available - sum(minimum.values())
    want = {key: max(wish[key] - minimum[key], 0.0) for key in minimum}
    weight = {key: want[key] * (2.5 if key == "uraian" else 1.0) for key in want}  # the activity reads first
    total_want = sum(weight.values())
    for column in columns:
        share = extra * weight[column.key] / total_want if total_want > 0 and extra > 0 else 0.0
        column.width = minimum[column.key] + min(share, want[column.key])
    leftover = available - sum(c.width for c in columns)
    if leftover > 0:  # everything got its wish: the description column takes the rest
        next(c for c in columns if c.key == "uraian").width += leftover
    x = 0.0
    for column in columns:
        column.x, x = x, x + column.width
    return size


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
        for edge in drawn_edges(step):
            if edge.target is None:
                below.add(row)
            elif page[edge.target] != page[row]:
                below.add(row)
                above.add(edge.target)
    return above, below


# --- the whole layout ----------------------------------------------------------------------------------------------


def build_layout(steps: list[Step], columns: list[Column], texts: dict[str, list[str]], lanes: list[str]) -> Layout:
    """Compute widths, heights, pages, symbols, connectors and labels of the procedure table."""
    lane_keys = [f"lane{i}" for i in range(len(lanes))]
    size = column_widths(columns, texts, lane_keys)
    by_key = {c.key: c for c in columns}
    header_a = line_height(size) + 2 * PAD_Y
    header_b = max(text_height(c.title, c.width, size, True) for c in columns if c.key not in ("no", "uraian"))
    base = []
    for row, step in enumerate(steps):
        text = max(text_height(texts[c.key][row], c.width, size) for c in columns if c.key in texts)
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
        size=size,
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
    router = Router(layout, steps, symbols, top, lane_columns, lane_of, page_of)
    router.route_all()
