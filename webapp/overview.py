"""Ringkasan: where the cases stand, what is late, escalations, and capaian per Bidang as an SVG chart."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template
from flask_login import current_user

from sopflow.access.authz import ROLE_ADMIN, ROLE_AUDITOR, ROLE_OWNER
from sopflow.queries import inbox

from .auth import current_username, require_login

bp = Blueprint("overview", __name__)
bp.before_request(require_login)

ANALYSIS_OPERATION = "analyse_achievement"
CHART_WIDTH, LABEL_WIDTH, BAR_HEIGHT, BAR_GAP, TOP = 640, 230, 26, 12, 28
#: Bar colour class per achievement band label (config ``kategori_capaian``); unknown labels get "lain".
BAND_CLASSES = {
    "Sangat Tinggi": "k-sangat-tinggi",
    "Tinggi": "k-tinggi",
    "Sedang": "k-sedang",
    "Rendah": "k-rendah",
    "Sangat Rendah": "k-sangat-rendah",
}


def may_see_overview(user: Any) -> bool:
    """Tell whether ``user`` may open the overview: admin, process owner, auditor, or an overview lane."""
    if not user.is_authenticated:
        return False
    lanes = set(current_app.config["SOPFLOW_OVERVIEW_LANES"])
    return user.has_role(ROLE_ADMIN, ROLE_OWNER, ROLE_AUDITOR) or bool(lanes & set(user.lanes))


@bp.app_context_processor
def _navigation() -> dict[str, Any]:
    return {"may_see_overview": may_see_overview(current_user)}


@bp.get("/ringkasan")
def index() -> Any:
    """Show cases per step, overdue tasks per lane, my escalations and the latest capaian per Bidang."""
    if not may_see_overview(current_user):
        abort(403, "Ringkasan hanya untuk Sekretaris, Kepala Dinas, pemilik proses, auditor dan admin.")
    now = current_app.extensions["sopflow"].engine.clock()
    with current_app.extensions["sopflow"].db.reading() as session:
        summary = inbox.overview(session, now)
        escalations = inbox.escalations_for_user(session, current_username(), now)
        latest = inbox.latest_service_result(session, ANALYSIS_OPERATION)
    result = (latest or {}).get("result") or {}
    return render_template(
        "overview/index.html",
        summary=summary,
        escalations=escalations,
        latest=latest,
        chart=capaian_chart(result.get("per_bidang") or []),
        bands=[{**k, "css": BAND_CLASSES.get(k.get("label"), "lain")} for k in result.get("kategori") or []],
        now=now,
    )


def capaian_chart(per_bidang: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Lay out a horizontal bar chart of ``rata_rata_capaian`` per Bidang (SVG coordinates)."""
    rows = [b for b in per_bidang if isinstance(b, dict) and b.get("bidang")]
    if not rows:
        return None
    values = [float(b["rata_rata_capaian"]) for b in rows if isinstance(b.get("rata_rata_capaian"), int | float)]
    scale_max = max([100.0, *values]) * 1.1
    plot = CHART_WIDTH - LABEL_WIDTH - 60

    def x_of(value: float) -> float:
        return round(LABEL_WIDTH + plot * value / scale_max, 1)

    bars = []
    for index, row in enumerate(rows):
        value = row.get("rata_rata_capaian")
        number = float(value) if isinstance(value, int | float) else None
        y = TOP + index * (BAR_HEIGHT + BAR_GAP)
        bars.append(
            {
                "bidang": row["bidang"],
                "value": number,
                "label": f"{number:.2f}%".replace(".", ",") if number is not None else "tidak ada data",
                "kategori": row.get("kategori_rata_rata") or "",
                "css": BAND_CLASSES.get(row.get("kategori_rata_rata") or "", "lain"),
                "y": y,
                "width": round(x_of(number) - LABEL_WIDTH, 1) if number is not None else 0,
                "indikator": row.get("jumlah_indikator"),
            }
        )
    height = TOP + len(rows) * (BAR_HEIGHT + BAR_GAP) + 10
    ticks = [{"value": v, "x": x_of(v)} for v in range(0, int(scale_max) + 1, 25)]
    return {
        "width": CHART_WIDTH,
        "height": height,
        "label_width": LABEL_WIDTH,
        "bar_height": BAR_HEIGHT,
        "bars": bars,
        "ticks": ticks,
        "target_x": x_of(100.0),
    }
