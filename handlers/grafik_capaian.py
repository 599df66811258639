"""Draw the bar chart "rata-rata capaian per Bidang" for the report, as PNG bytes.

One job. Uses matplotlib's object API with the Agg canvas (no pyplot global state,
safe in a web worker); bars are coloured by category, with a line at 100 %.
:func:`grafik_kasus` keeps the last charts per case, so the report's three renders in a
case (steps 7, 10 and 12) draw it once when the figures did not change.
"""

from __future__ import annotations

import functools
import io
import textwrap

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from handlers.angka import format_persen
from handlers.capaian import Band, kategori

# From the top band (green) to the bottom band (red); extra bands reuse the last colour.
_COLOURS = ("#2e7d32", "#7cb342", "#fbc02d", "#f57c00", "#c62828")


def grafik_rata_rata_capaian(data: list[tuple[str, float | None]], bands: list[Band]) -> bytes:
    """Return a PNG of horizontal bars: one per (Bidang, rata-rata capaian); None draws no bar."""
    colour = {band.label: _COLOURS[min(i, len(_COLOURS) - 1)] for i, band in enumerate(bands)}
    labels = [textwrap.fill(name, 24) for name, _ in data][::-1]
    values = [value or 0.0 for _, value in data][::-1]
    colours = [colour.get(kategori(value, bands) or "", "#9e9e9e") for _, value in data][::-1]
    figure = Figure(figsize=(7.5, 0.6 * len(data) + 1.4), dpi=150)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    bars = axes.barh(labels, values, color=colours)
    for bar, (_, value) in zip(bars, list(reversed(data)), strict=True):
        axes.text(
            max(bar.get_width(), 0) + 1,
            bar.get_y() + bar.get_height() / 2,
            format_persen(value),
            va="center",
            fontsize=8,
        )
    axes.axvline(100, color="#555555", linestyle="--", linewidth=0.8)
    axes.set_xlim(min([0.0, *values]), max([110.0, *[v + 15 for v in values]]))
    axes.set_xlabel("Rata-rata capaian kinerja (%)")
    axes.set_title("Rata-rata Capaian Kinerja per Bidang", fontsize=11)
    axes.tick_params(axis="y", labelsize=8)
    figure.tight_layout()
    # the layout is final: without an engine, savefig draws once (no layout pass; same pixels)
    figure.set_layout_engine(None)
    out = io.BytesIO()
    figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()


def grafik_kasus(case_id: str, data: list[tuple[str, float | None]], bands: list[Band]) -> bytes:
    """Return :func:`grafik_rata_rata_capaian` of ``data``, drawn once per case while data and bands stay the same."""
    return _grafik_tersimpan(case_id, tuple(data), tuple(bands))


@functools.lru_cache(maxsize=16)
def _grafik_tersimpan(case_id: str, data: tuple[tuple[str, float | None], ...], bands: tuple[Band, ...]) -> bytes:
    # keyed by the case too: a chart is not kept for other cases that happen to have the same figures
    return grafik_rata_rata_capaian(list(data), list(bands))
