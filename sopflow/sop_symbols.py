"""Flowchart symbols of the SOP procedure table, drawn as small PNG images with matplotlib (Agg).

Permendagri 52/2011 flowcharts use three symbols: the terminator (rounded box, "Mula"
/ "Selesai"), the process (rectangle) and the decision (diamond). Each image also
carries the connector stubs of its cell: an arrow coming in from the previous step
(from above when it is in the same lane, from the left or right edge when it is in
another lane) and a line going out toward the next step's lane (down, left or right).
Images are cached per combination, so a document reuses a handful of PNGs.
"""

from __future__ import annotations

import io
from functools import lru_cache
from typing import Literal

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Polygon, Rectangle

Kind = Literal["terminator", "process", "decision"]
Side = Literal["top", "left", "right", "down"]

WIDTH_IN = 1.0
HEIGHT_IN = 0.8
DPI = 220
_LINE = {"color": "black", "linewidth": 1.1}
_BOX = (0.14, 0.24, 0.72, 0.34)  # x, y, width, height of the shape, in inches
_TOP = _BOX[1] + _BOX[3]
_MID_X = _BOX[0] + _BOX[2] / 2
_MID_Y = _BOX[1] + _BOX[3] / 2


def _arrow(ax, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.annotate(
        "",
        xy=end,
        xytext=start,
        arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.1, "shrinkA": 0, "shrinkB": 0, "mutation_scale": 9},
    )


def _draw_shape(ax, kind: Kind, label: str) -> None:
    x, y, w, h = _BOX
    style = {"facecolor": "white", "edgecolor": "black", "linewidth": 1.3, "zorder": 3}
    if kind == "terminator":
        ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle=f"round,pad=0,rounding_size={h / 2}", **style))
    elif kind == "decision":
        ax.add_patch(Polygon([(_MID_X, _TOP), (x + w, _MID_Y), (_MID_X, y), (x, _MID_Y)], closed=True, **style))
    else:
        ax.add_patch(Rectangle((x, y), w, h, **style))
    if label:
        ax.text(_MID_X, _MID_Y, label, ha="center", va="center", fontsize=7, zorder=4, family="DejaVu Sans")


def _draw_entry(ax, entry: Side | None) -> None:
    """Draw the arrow arriving at the top of the shape."""
    if entry == "top":
        _arrow(ax, (_MID_X, HEIGHT_IN), (_MID_X, _TOP))
    elif entry in ("left", "right"):
        edge = 0.0 if entry == "left" else WIDTH_IN
        level = HEIGHT_IN - 0.07
        ax.plot([edge, _MID_X], [level, level], **_LINE)
        _arrow(ax, (_MID_X, level), (_MID_X, _TOP))


def _draw_exit(ax, exit_: Side | None) -> None:
    """Draw the line leaving the bottom of the shape toward the next step's lane."""
    bottom = _BOX[1]
    if exit_ == "down":
        ax.plot([_MID_X, _MID_X], [bottom, 0.0], **_LINE)
    elif exit_ in ("left", "right"):
        level = 0.08
        ax.plot([_MID_X, _MID_X], [bottom, level], **_LINE)
        _arrow(ax, (_MID_X, level), (0.0 if exit_ == "left" else WIDTH_IN, level))


@lru_cache(maxsize=128)
def symbol_png(kind: Kind, label: str = "", entry: Side | None = None, exit_: Side | None = None) -> bytes:
    """Return a PNG of one flowchart symbol with its connector stubs.

    ``kind`` is ``terminator``, ``process`` or ``decision``; ``label`` is written inside
    the shape (``Mula``/``Selesai`` for terminators); ``entry`` is where the incoming
    connector comes from (``top``, ``left``, ``right`` or None for the first step) and
    ``exit_`` where the outgoing one goes (``down``, ``left``, ``right`` or None).
    """
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, WIDTH_IN)
    ax.set_ylim(0, HEIGHT_IN)
    ax.set_axis_off()
    _draw_entry(ax, entry)
    _draw_exit(ax, exit_)
    _draw_shape(ax, kind, label)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None}, facecolor="white")
    return buffer.getvalue()


def symbol_aspect() -> float:
    """Return height / width of every symbol image (to size it in a table cell)."""
    return HEIGHT_IN / WIDTH_IN
