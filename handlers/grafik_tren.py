"""Draw the trend chart "rata-rata capaian per Bidang, Triwulan I-IV" for the evaluation report (PNG bytes).

One job. Like :mod:`handlers.grafik_capaian`: matplotlib's object API on the Agg canvas
(no pyplot global state), a dashed line at 100 %, numbers in the Indonesian format.
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from handlers.angka import format_persen

LABEL_TRIWULAN = ("TW I", "TW II", "TW III", "TW IV")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X")


def grafik_tren_capaian(series: list[tuple[str, list[float | None]]]) -> bytes:
    """Return a PNG with one line per (Bidang, [mean capaian TW I..IV]); a None point is left out."""
    figure = Figure(figsize=(7.5, 4.2), dpi=150)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    top = 110.0
    for index, (name, values) in enumerate(series):
        points = [(q, v) for q, v in enumerate(values) if v is not None]
        if not points:
            continue
        xs, ys = [q for q, _ in points], [v for _, v in points]
        top = max(top, *[v + 10 for v in ys])
        axes.plot(xs, ys, marker=_MARKERS[index % len(_MARKERS)], linewidth=1.5, label=name)
        axes.annotate(format_persen(ys[-1]), (xs[-1], ys[-1]), textcoords="offset points", xytext=(6, 0), fontsize=7)
    axes.axhline(100, color="#555555", linestyle="--", linewidth=0.8)
    axes.set_xticks(range(len(LABEL_TRIWULAN)), LABEL_TRIWULAN)
    axes.set_xlim(-0.3, len(LABEL_TRIWULAN) - 0.4)
    axes.set_ylim(0, top)
    axes.set_ylabel("Rata-rata capaian kinerja (%)")
    axes.set_title("Tren Rata-rata Capaian Kinerja per Bidang", fontsize=11)
    axes.legend(fontsize=7, loc="lower right")
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()
