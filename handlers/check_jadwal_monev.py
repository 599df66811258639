"""Check the monitoring schedule before step 4 may complete (form validator).

Named by ``"x-sopflow-validate": "check_jadwal_monev"`` in the form schema of user task
``langkah04_rencana_monev`` (SOP step 4 "Menyusun rencana monitoring evaluasi
kinerja", lane Kasubbag Perencanaan). The schedule becomes the collection of the
multi-instance step 5.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from handlers.error_list import ErrorList
from handlers.tanggal import parse_tanggal
from sopflow.plugins import HandlerContext, register


@register("check_jadwal_monev")
def check_jadwal_monev(params: dict[str, Any], ctx: HandlerContext) -> dict[str, Any]:
    """Check that every Bidang is scheduled exactly once with an ISO date and an officer.

    Params read: ``form.jadwal_monev`` (list of ``{"bidang", "tanggal", "petugas"}``),
    ``data.isian_bidang`` (the Bidang of the case; ``data.rekap.per_bidang`` if absent).
    Returns ``{"jumlah_bidang", "tanggal_awal", "tanggal_akhir"}`` (ISO dates).
    Raises HandlerError, every error with ``field="jadwal_monev"`` and, for a row,
    ``baris`` (1-based) and ``reason``: not a list, unknown Bidang, Bidang twice,
    Bidang missing, date not ``YYYY-MM-DD`` or not a real date, empty petugas.
    """
    form = params.get("form") or {}
    data = params.get("data") or {}
    expected = _bidang_kasus(data)
    errors = ErrorList(field="jadwal_monev")
    jadwal = form.get("jadwal_monev")
    if not isinstance(jadwal, list) or not jadwal:
        errors.add("Jadwal monitoring belum diisi; isi satu baris untuk setiap Bidang.", "empty")
        errors.raise_if_any("Jadwal monitoring belum diisi.")
    assert isinstance(jadwal, list)  # raise_if_any above raised otherwise
    seen: dict[str, int] = {}
    dates: list[date] = []
    for baris, item in enumerate(jadwal, start=1):
        if not isinstance(item, dict):
            errors.add(f"Jadwal baris {baris}: isian tidak sah.", "not_an_object", baris=baris)
            continue
        bidang = str(item.get("bidang") or "").strip()
        label = f"Jadwal baris {baris}" + (f" (Bidang {bidang})" if bidang else "")
        if not bidang:
            errors.add(f"{label}: Bidang belum dipilih.", "empty_bidang", baris=baris, reason="bidang kosong")
        elif bidang not in expected:
            reason = f"Bidang '{bidang}' tidak termasuk Bidang kasus ini ({', '.join(expected)})"
            errors.add(f"{label}: {reason}.", "unknown_bidang", baris=baris, reason=reason)
        elif bidang in seen:
            reason = f"Bidang '{bidang}' sudah dijadwalkan pada baris {seen[bidang]}"
            errors.add(f"{label}: {reason}.", "duplicate_bidang", baris=baris, reason=reason)
        else:
            seen[bidang] = baris
        tanggal = item.get("tanggal")
        parsed = parse_tanggal(tanggal)
        if parsed is None:
            reason = f"tanggal {tanggal!r} tidak sah; gunakan format TTTT-BB-HH, misalnya 2026-10-12"
            errors.add(f"{label}: {reason}.", "invalid_date", baris=baris, reason=reason)
        else:
            dates.append(parsed)
        if not str(item.get("petugas") or "").strip():
            errors.add(
                f"{label}: petugas monitoring belum diisi.",
                "empty_petugas",
                baris=baris,
                reason="petugas kosong",
            )
    for bidang in expected:
        if bidang not in seen:
            reason = f"Bidang '{bidang}' belum dijadwalkan"
            errors.add(f"Jadwal monitoring: {reason}.", "missing_bidang", reason=reason, bidang=bidang)
    errors.raise_if_any(f"Jadwal monitoring belum lengkap: {len(errors)} kesalahan.")
    return {
        "jumlah_bidang": len(seen),
        "tanggal_awal": min(dates).isoformat(),
        "tanggal_akhir": max(dates).isoformat(),
    }


def _bidang_kasus(data: dict[str, Any]) -> list[str]:
    """Return the case's Bidang in order, from ``isian_bidang`` or else ``rekap.per_bidang``."""
    source = data.get("isian_bidang") or (data.get("rekap") or {}).get("per_bidang") or []
    return [str(i["bidang"]) for i in source if isinstance(i, dict) and i.get("bidang")]
