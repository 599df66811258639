"""The office's logo on the SOP identity page: the configured image, or a neutral generated placeholder."""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Circle


@lru_cache(maxsize=1)
def placeholder_logo() -> bytes:
    """Return a neutral PNG placeholder (a grey ring reading "LOGO INSTANSI"), no real emblem."""
    fig = Figure(figsize=(1.2, 1.2), dpi=200)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_axis_off()
    ax.add_patch(Circle((0.5, 0.5), 0.46, facecolor="#f2f2f2", edgecolor="#7f7f7f", linewidth=2.5))
    ax.add_patch(Circle((0.5, 0.5), 0.38, facecolor="none", edgecolor="#a6a6a6", linewidth=1.0))
    ax.text(0.5, 0.5, "LOGO\nINSTANSI", ha="center", va="center", fontsize=9, color="#595959", family="DejaVu Sans")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=200, metadata={"Software": None}, transparent=True)
    return buffer.getvalue()


def logo_bytes(path: str | Path | None) -> bytes:
    """Return the image at ``path`` (PNG or JPEG, as configured) or the placeholder when none is set."""
    if not path:
        return placeholder_logo()
    return Path(path).read_bytes()
