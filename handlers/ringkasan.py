"""Summarise a ``rekap`` (step 3 output): capaian per indicator, per Bidang and overall.

One job, shared by :mod:`handlers.aggregate_performance_data` (per-indicator values),
:mod:`handlers.analyse_achievement` (step 8) and :mod:`handlers.render_report_docx`
(step 7 draft, before the analysis exists), so the summary is computed one way only.

Averages: a Bidang's ``rata_rata_capaian`` is the plain mean of its indicators'
capaian; the overall ``rata_rata_capaian`` is the mean over all indicators (not the
mean of Bidang means). ``penyerapan_anggaran`` = total realisasi / total pagu x 100.
"""

from __future__ import annotations

from typing import Any

from handlers.capaian import Band, hitung_capaian, kategori, melampaui_target, penyerapan, rata_rata
from handlers.periode import parse_periode
from sopflow.plugins import HandlerError


def nilai_indikator(item: dict[str, Any], bands: list[Band]) -> dict[str, Any]:
    """Return ``capaian``, ``kategori`` and ``melampaui_target`` of one indicator row.

    Reads ``target``, ``realisasi``, ``polaritas`` (and ``kode`` for messages). Raises
    HandlerError when target is 0/missing or realisasi is missing.
    """
    target, realisasi = item.get("target"), item.get("realisasi")
    if realisasi is None or not target:
        what = "target 0 atau kosong" if not target else "realisasi kosong"
        message = f"Indikator '{item.get('kode')}': {what}; capaian tidak dapat dihitung."
        raise HandlerError(message, [{"message": message, "field": "rekap", "reason": what}])
    try:
        value = hitung_capaian(float(realisasi), float(target), str(item.get("polaritas")))
    except ValueError:
        message = f"Indikator '{item.get('kode')}': polaritas {item.get('polaritas')!r} tidak dikenal."
        raise HandlerError(message, [{"message": message, "field": "rekap", "reason": "polaritas"}]) from None
    return {"capaian": value, "kategori": kategori(value, bands), "melampaui_target": melampaui_target(value)}


def ringkas_bidang(entry: dict[str, Any], bands: list[Band]) -> dict[str, Any]:
    """Return the summary of one ``rekap["per_bidang"]`` entry (indicators and budget)."""
    indikator = [{**i, **nilai_indikator(i, bands)} for i in entry.get("indikator", [])]
    anggaran = entry.get("anggaran", [])
    values = [i["capaian"] for i in indikator]
    pagu = sum(k.get("pagu") or 0 for k in anggaran)
    realisasi = sum(k.get("realisasi") or 0 for k in anggaran)
    rata = rata_rata(values)
    return {
        "bidang": entry.get("bidang"),
        "jumlah_indikator": len(indikator),
        "rata_rata_capaian": rata,
        "kategori_rata_rata": kategori(rata, bands),
        "jumlah_per_kategori": _hitung_kategori(indikator, bands),
        "jumlah_melampaui_target": sum(1 for i in indikator if i["melampaui_target"]),
        "jumlah_kegiatan": len(anggaran),
        "jumlah_pagu": pagu,
        "jumlah_realisasi_anggaran": realisasi,
        "penyerapan_anggaran": penyerapan(realisasi, pagu),
        "indikator": indikator,
    }


def ringkas_rekap(rekap: object, bands: list[Band]) -> dict[str, Any]:
    """Return ``{"periode", "periode_label", "per_bidang": [...], "ringkasan": {...}}`` of a rekap.

    Each per-Bidang item is :func:`ringkas_bidang`; ``ringkasan`` holds the overall
    counts, mean capaian (over all indicators) and budget absorption.
    Raises HandlerError when ``rekap`` is not a step-3 rekap.
    """
    if not isinstance(rekap, dict) or not isinstance(rekap.get("per_bidang"), list):
        message = "Rekap data kinerja tidak ada atau tidak sah; jalankan langkah 3 (olah data) terlebih dahulu."
        raise HandlerError(message, [{"message": message, "field": "rekap"}])
    periode = parse_periode(rekap.get("periode"), field="rekap")
    per_bidang = [ringkas_bidang(entry, bands) for entry in rekap["per_bidang"]]
    indikator = [i for b in per_bidang for i in b["indikator"]]
    pagu = sum(b["jumlah_pagu"] for b in per_bidang)
    realisasi = sum(b["jumlah_realisasi_anggaran"] for b in per_bidang)
    rata = rata_rata([i["capaian"] for i in indikator])
    return {
        "periode": periode.kode,
        "periode_label": periode.label,
        "per_bidang": per_bidang,
        "ringkasan": {
            "jumlah_bidang": len(per_bidang),
            "jumlah_indikator": len(indikator),
            "rata_rata_capaian": rata,
            "kategori_rata_rata": kategori(rata, bands),
            "jumlah_per_kategori": _hitung_kategori(indikator, bands),
            "jumlah_melampaui_target": sum(1 for i in indikator if i["melampaui_target"]),
            "jumlah_kegiatan": sum(b["jumlah_kegiatan"] for b in per_bidang),
            "jumlah_pagu": pagu,
            "jumlah_realisasi_anggaran": realisasi,
            "penyerapan_anggaran": penyerapan(realisasi, pagu),
        },
    }


def _hitung_kategori(indikator: list[dict[str, Any]], bands: list[Band]) -> dict[str, int]:
    counts = {band.label: 0 for band in bands}
    for item in indikator:
        counts[item["kategori"]] += 1
    return counts
