"""Merge the Blanko Monev of every Bidang into the monitoring results (SOP step 6).

BPMN task ``langkah06_kumpulkan_hasil`` (service, operator ``merge_monitoring_results``),
SOP step 6 "Mengumpulkan data dan informasi", lane Kasubbag Perencanaan; result
variable ``hasil_monitoring``.
"""

from __future__ import annotations

from typing import Any

from handlers.error_list import ErrorList
from handlers.monitoring_text import butir
from handlers.tanggal import parse_tanggal
from sopflow.plugins import HandlerContext, HandlerError, register


@register("merge_monitoring_results")
def merge_monitoring_results(params: dict[str, Any], ctx: HandlerContext) -> dict[str, Any]:
    """Combine each Bidang's visit record with its rekap figures, in rekap Bidang order.

    Params read: ``jadwal_monev`` (items ``{"bidang", "tanggal", "petugas",
    "tanggal_kunjungan", "petugas_monev", "kendala", "faktor_pendorong",
    "faktor_penghambat", "rencana_tindak_lanjut"}``; the four texts are one item per
    line or lists), ``rekap`` (step 3).
    Returns::

        {"per_bidang": [{"bidang", "tanggal_rencana", "petugas_rencana", "tanggal_kunjungan",
                         "petugas_monev", "kendala": [str], "faktor_pendorong": [str],
                         "faktor_penghambat": [str], "rencana_tindak_lanjut": [str],
                         "rata_rata_capaian", "penyerapan_anggaran"}],
         "jumlah_bidang", "jumlah_kendala" (items over all Bidang),
         "bidang_dengan_kendala": [str],
         "daftar_tindak_lanjut": [{"bidang", "uraian"}]}

    Raises HandlerError (field ``jadwal_monev``) when a Bidang of the rekap has no
    visit, a visit names an unknown or repeated Bidang, or a visit lacks a valid
    ``tanggal_kunjungan`` or ``petugas_monev``.
    """
    rekap = params.get("rekap")
    if not isinstance(rekap, dict) or not isinstance(rekap.get("per_bidang"), list):
        message = "Rekap data kinerja tidak ada; jalankan langkah 3 (olah data) terlebih dahulu."
        raise HandlerError(message, [{"message": message, "field": "rekap"}])
    errors = ErrorList(field="jadwal_monev")
    visits = _visits_by_bidang(params.get("jadwal_monev"), [b["bidang"] for b in rekap["per_bidang"]], errors)
    errors.raise_if_any(f"Hasil monitoring belum lengkap: {len(errors)} kesalahan.")
    per_bidang = []
    for entry in rekap["per_bidang"]:
        visit = visits[entry["bidang"]]
        per_bidang.append(
            {
                "bidang": entry["bidang"],
                "tanggal_rencana": visit.get("tanggal"),
                "petugas_rencana": str(visit.get("petugas") or "").strip(),
                "tanggal_kunjungan": str(visit["tanggal_kunjungan"]).strip(),
                "petugas_monev": str(visit["petugas_monev"]).strip(),
                "kendala": butir(visit.get("kendala")),
                "faktor_pendorong": butir(visit.get("faktor_pendorong")),
                "faktor_penghambat": butir(visit.get("faktor_penghambat")),
                "rencana_tindak_lanjut": butir(visit.get("rencana_tindak_lanjut")),
                "rata_rata_capaian": entry.get("rata_rata_capaian"),
                "penyerapan_anggaran": entry.get("penyerapan_anggaran"),
            }
        )
    return {
        "per_bidang": per_bidang,
        "jumlah_bidang": len(per_bidang),
        "jumlah_kendala": sum(len(b["kendala"]) for b in per_bidang),
        "bidang_dengan_kendala": [b["bidang"] for b in per_bidang if b["kendala"]],
        "daftar_tindak_lanjut": [
            {"bidang": b["bidang"], "uraian": uraian} for b in per_bidang for uraian in b["rencana_tindak_lanjut"]
        ],
    }


def _visits_by_bidang(raw: object, expected: list[str], errors: ErrorList) -> dict[str, dict[str, Any]]:
    visits: dict[str, dict[str, Any]] = {}
    items = raw if isinstance(raw, list) else []
    for index, item in enumerate(items, start=1):
        bidang = item.get("bidang") if isinstance(item, dict) else None
        if bidang not in expected:
            errors.add(f"Hasil monitoring ke-{index}: Bidang {bidang!r} tidak ada dalam rekap.", "unknown_bidang")
            continue
        if bidang in visits:
            errors.add(f"Hasil monitoring Bidang '{bidang}' tercatat lebih dari sekali.", "duplicate_bidang")
            continue
        if parse_tanggal(item.get("tanggal_kunjungan")) is None:
            reason = f"tanggal kunjungan {item.get('tanggal_kunjungan')!r} tidak sah (format TTTT-BB-HH)"
            errors.add(f"Hasil monitoring Bidang '{bidang}': {reason}.", "invalid_date", bidang=bidang, reason=reason)
        if not str(item.get("petugas_monev") or "").strip():
            reason = "petugas monitoring belum diisi"
            errors.add(
                f"Hasil monitoring Bidang '{bidang}': {reason}.",
                "empty_petugas",
                bidang=bidang,
                reason=reason,
            )
        visits[bidang] = item
    for bidang in expected:
        if bidang not in visits:
            errors.add(f"Hasil monitoring Bidang '{bidang}' tidak ada.", "missing_bidang", bidang=bidang)
    return visits
