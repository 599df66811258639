"""Connectors of the SOP flowchart: orthogonal polylines from the edge of one symbol to the edge of the next.

The routes are described in :mod:`sopflow.sopdoc.layout`; this module places them (and the
off-page connectors, end terminators and branch labels they need) on each page.
"""

from __future__ import annotations

from typing import Any

from sopflow.sopdoc.geometry import (
    END_H,
    END_W,
    LABEL_SIZE,
    OFFPAGE_H,
    OFFPAGE_W,
    SIDE_GAP,
    SLOT,
    ZONE,
    Column,
    Label,
    Page,
    Shape,
    drawn_edges,
    line_height,
)
from sopflow.sopdoc.steps import Edge, Step
from sopflow.sopdoc.text import text_width, wrap


class Router:
    """Lays out the connectors of every page (see the module docstring for the routes)."""

    def __init__(
        self,
        layout: Any,
        steps: list[Step],
        symbols: dict[int, Shape],
        top: dict[int, float],
        lane_columns: list[Column],
        lane_of: list[int],
        page_of: dict[int, int],
    ) -> None:
        self.layout, self.steps, self.symbols, self.top = layout, steps, symbols, top
        self.lane_columns, self.lane_of, self.page_of = lane_columns, lane_of, page_of
        self.channels: dict[tuple[int, str], int] = {}
        self.sides: dict[tuple[int, str], str] = {}

    def page(self, row: int) -> Page:
        page: Page = self.layout.pages[self.page_of[row]]
        return page

    def route_all(self) -> None:
        bottom_items: dict[int, list[Any]] = {}
        top_items: dict[int, list[Any]] = {}
        adjacent, side_routes = [], []
        for row, step in enumerate(self.steps):
            for edge in drawn_edges(step):
                if edge.target is None or self.page_of[edge.target] != self.page_of[row]:
                    bottom_items.setdefault(row, []).append(edge)
                    if edge.target is not None:
                        top_items.setdefault(edge.target, []).append((row, edge))
        for row, step in enumerate(self.steps):
            for edge in drawn_edges(step):
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

    def _slots(self, symbol: Shape, count: int, skip_centre: bool) -> list[float]:
        """Return where the incoming off-page connectors above a symbol go (over its flat top, not its corners)."""
        step, cx = min(SLOT, symbol.w * 0.3), symbol.cx
        offsets = [0.0, step, -step, 2 * step, -2 * step]
        if skip_centre:
            offsets = offsets[1:]
        return [cx + offsets[i % len(offsets)] for i in range(count)]

    def _bottom(self, row: int, edges: list[Any], numbers: dict[tuple[int, int], int]) -> None:
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
            self._label(page, edge.label, start[0], start[1] + 1, left=x < symbol.cx - 0.01)

    def _top(self, row: int, sources: list[Any], numbers: dict[tuple[int, int], int], skip_centre: bool) -> None:
        symbol, page = self.symbols[row], self.page(row)
        zone_mid = self.top[row] + ZONE / 2
        for x, (source, _edge) in zip(self._slots(symbol, len(sources), skip_centre), sources, strict=True):
            number = numbers[(source, row)]
            item = Shape("offpage", x - OFFPAGE_W / 2, zone_mid - OFFPAGE_H / 2, OFFPAGE_W, OFFPAGE_H, str(number))
            item.row = row
            page.shapes.append(item)
            page.connectors.append([(x, item.y + item.h), (x, symbol.top_at(x))])

    def _adjacent(self, row: int, edge: Edge) -> None:
        assert edge.target is not None  # route_all passes only edges that end at a row
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
        self._label(page, edge.label, start[0], start[1] + 1)

    def _channel(self, lane: int, side: str) -> float:
        column = self.lane_columns[lane]
        used = self.channels.get((lane, side), 0)
        self.channels[(lane, side)] = used + 1
        offset = min(5.0 + 2.5 * used, SIDE_GAP - 7)  # the last stretch into the symbol keeps 7 pt for the arrow
        left: float = self.layout.table_x + column.x
        return left + offset if side == "left" else left + column.width - offset

    def _side(self, row: int, edge: Edge) -> None:
        assert edge.target is not None  # route_all passes only edges that end at a row
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

    def _label(self, page: Page, text: str, x: float, y: float, left: bool = False) -> None:
        """Label a line leaving downwards at ``x``: beside it, on the outer side of the symbol."""
        if text:
            lines = wrap(text, 58.0, LABEL_SIZE)
            if left:
                width = max(text_width(line, LABEL_SIZE) for line in lines) + 2
                page.labels.append(Label(x - 2 - width, y, lines, "right"))
            else:
                page.labels.append(Label(x + 2, y, lines))
