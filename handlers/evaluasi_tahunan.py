"""Annual aggregation of the year's four monev cases (SOP Penyusunan Laporan Evaluasi Kinerja, step 1).

BPMN task ``langkah01_himpun`` of ``processes/evaluasi_kinerja.bpmn`` (service, operator
``aggregate_annual_performance``), lane Kasubbag Perencanaan; result variable ``evaluasi``.

Definitions (those of the monev SOP, :mod:`handlers.capaian`, applied to a year):

* The monev Lembar Isian asks for the realisasi *cumulative up to the quarter* against the
  *annual* target, so a quarter's capaian says how far the year's target is reached by then.
* **Capaian tahunan** of an indicator = its capaian in Triwulan IV: the cumulative realisasi
  at the end of the year against the annual target, computed again here with
  :func:`handlers.capaian.hitung_capaian` (higher-is-better ``realisasi / target x 100``,
  lower-is-better ``(2 x target - realisasi) / target x 100``), rounded to 2 decimals.
* **Kategori** = the band of the capaian tahunan by the config's ``kategori_capaian``
  (:func:`handlers.capaian.kategori`); above 100 % is flagged ``melampaui_target``.
* **Tren** = the capaian of TW I, II, III and IV in order (None where an indicator was not
  reported in a quarter); ``perubahan`` = capaian TW IV - capaian TW I in percentage points
  and ``arah`` = ``meningkat`` / ``menurun`` / ``tetap`` by its sign (None without both ends).
* Per Bidang and overall: the mean of the indicators' capaian tahunan
  (:func:`handlers.capaian.rata_rata`) and its band, and the mean per quarter for the trend
  chart. Budget absorption of the year = the TW IV rekap's cumulative figures.
"""

from __future__ import annotations

import re
from typing import Any

from handlers.capaian import Band, hitung_capaian, kategori, load_bands, melampaui_target, rata_rata
from sopflow.plugins import HandlerContext, HandlerError, register

TRIWULAN = ("TW1", "TW2", "TW3", "TW4")
NAMA_TRIWULAN = {"TW1": "Triwulan I", "TW2": "Triwulan II", "TW3": "Triwulan III", "TW4": "Triwulan IV"}
_TAHUN = re.compile(r"^\d{4}$")


@register("aggregate_annual_performance")
def aggregate_annual_performance(params: dict[str, Any], ctx: HandlerContext) -> dict[str, Any]:
    """Compute the year's capaian, trend and band per indicator from the four completed monev cases.

    Params read: ``periode`` (the year, ``"2026"``), ``kasus_monev`` (the engine's
    ``kasus_terkait["monev_kinerja"]``: list of ``{"case_id", "periode", "hasil", "dokumen"}``
    where ``hasil["rekap"]`` is the monev step-3 rekap).
    Config read: ``kategori_capaian``.
    Each quarter's archived documents are read once (``ctx.files.get``) so that an altered or
    lost archive stops the evaluation instead of being cited in it.
    Returns ``{"tahun", "periode", "data_contoh", "sumber": [{"triwulan", "periode", "case_id",
    "dokumen": [filename]}], "indikator": [...], "per_bidang": [...], "rata_rata_capaian",
    "kategori_rata_rata", "rata_rata_per_triwulan", "jumlah_per_kategori",
    "jumlah_melampaui_target", "jumlah_indikator", "anggaran": {"jumlah_pagu",
    "jumlah_realisasi", "penyerapan"}}`` (see :func:`hitung_evaluasi_tahunan`).
    Raises HandlerError (Indonesian) when the year is malformed, a quarter has no completed
    monev case, a quarter's rekap is missing, or an archived document cannot be read.
    """
    tahun = str(params.get("periode") or "").strip()
    if not _TAHUN.match(tahun):
        message = f"Periode evaluasi {params.get('periode')!r} tidak sah; gunakan tahun empat angka, misalnya '2026'."
        raise HandlerError(message, [{"message": message, "field": "periode"}])
    kasus = params.get("kasus_monev")
    triwulan = kasus_per_triwulan(tahun, kasus if isinstance(kasus, list) else [])
    for item in triwulan.values():
        for ref in item.get("dokumen") or []:
            try:
                ctx.files.get(ref)
            except HandlerError as exc:
                message = (
                    f"Arsip laporan monev {item['periode']} ({ref.get('filename')}) tidak dapat dibaca: {exc.message}"
                )
                raise HandlerError(message, [{"message": message, "field": "kasus_monev"}]) from None
    return hitung_evaluasi_tahunan(tahun, triwulan, load_bands(ctx.config))


def kasus_per_triwulan(tahun: str, kasus: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Return the completed monev case of each quarter of ``tahun`` (keys TW1..TW4).

    Raises HandlerError naming every missing quarter (and a quarter with two cases, which the
    engine's one-case-per-periode rule should make impossible).
    """
    found: dict[str, dict[str, Any]] = {}
    for item in kasus:
        periode = str(item.get("periode") or "") if isinstance(item, dict) else ""
        kode = periode.removeprefix(f"{tahun}-")
        if kode in TRIWULAN:
            if kode in found:
                message = f"Ada dua kasus monev selesai untuk periode {periode}; evaluasi tahunan tidak dapat memilih."
                raise HandlerError(message, [{"message": message, "field": "kasus_monev"}])
            found[kode] = item
    missing = [NAMA_TRIWULAN[k] for k in TRIWULAN if k not in found]
    if missing:
        message = (
            f"Laporan monitoring/evaluasi tahun {tahun} belum lengkap: belum ada kasus Monitoring/Evaluasi Internal "
            f"Capaian Kinerja yang selesai untuk {', '.join(missing)}. Evaluasi tahunan memerlukan keempat triwulan."
        )
        raise HandlerError(message, [{"message": message, "field": "kasus_monev", "reason": "triwulan_kurang"}])
    for kode, item in found.items():
        rekap = (item.get("hasil") or {}).get("rekap")
        if not isinstance(rekap, dict) or not isinstance(rekap.get("per_bidang"), list):
            message = f"Kasus monev {tahun}-{kode} ({item.get('case_id')}) tidak memiliki rekap data kinerja."
            raise HandlerError(message, [{"message": message, "field": "kasus_monev"}])
    return found


def hitung_evaluasi_tahunan(tahun: str, triwulan: dict[str, dict[str, Any]], bands: list[Band]) -> dict[str, Any]:
    """Return the annual evaluation from the four quarters' monev cases (definitions in the module docstring).

    ``indikator`` items: ``{"kode", "bidang", "indikator", "satuan", "polaritas", "target",
    "realisasi" (TW IV), "capaian_tahunan", "kategori", "melampaui_target",
    "tren": [capaian TW I..IV], "perubahan", "arah"}``; ``per_bidang`` items: ``{"bidang",
    "jumlah_indikator", "rata_rata_capaian", "kategori_rata_rata", "rata_rata_per_triwulan":
    [4 values], "indikator": [kode]}``. The indicator list and its order are those of TW IV.
    """
    rekap = {kode: triwulan[kode]["hasil"]["rekap"] for kode in TRIWULAN}
    per_quarter = {kode: _indikator_rekap(rekap[kode]) for kode in TRIWULAN}
    indikator: list[dict[str, Any]] = []
    for row in per_quarter["TW4"].values():
        capaian = _capaian(row)
        tren = [
            _capaian(per_quarter[kode][row["kode"]]) if row["kode"] in per_quarter[kode] else None for kode in TRIWULAN
        ]
        perubahan = round(tren[3] - tren[0], 2) if tren[0] is not None and tren[3] is not None else None
        indikator.append(
            {
                "kode": row["kode"],
                "bidang": row["bidang"],
                "indikator": row.get("indikator", ""),
                "satuan": row.get("satuan", ""),
                "polaritas": row["polaritas"],
                "target": row["target"],
                "realisasi": row["realisasi"],
                "capaian_tahunan": capaian,
                "kategori": kategori(capaian, bands),
                "melampaui_target": melampaui_target(capaian),
                "tren": tren,
                "perubahan": perubahan,
                "arah": _arah(perubahan),
            }
        )
    bidang_order = list(dict.fromkeys(i["bidang"] for i in indikator))
    per_bidang = []
    for bidang in bidang_order:
        rows = [i for i in indikator if i["bidang"] == bidang]
        mean = rata_rata([i["capaian_tahunan"] for i in rows])
        per_bidang.append(
            {
                "bidang": bidang,
                "jumlah_indikator": len(rows),
                "rata_rata_capaian": mean,
                "kategori_rata_rata": kategori(mean, bands),
                "rata_rata_per_triwulan": [
                    rata_rata([i["tren"][q] for i in rows if i["tren"][q] is not None]) for q in range(4)
                ],
                "indikator": [i["kode"] for i in rows],
            }
        )
    overall = rata_rata([i["capaian_tahunan"] for i in indikator])
    akhir = rekap["TW4"]
    return {
        "tahun": int(tahun),
        "periode": tahun,
        "data_contoh": any(bool(r.get("data_contoh")) for r in rekap.values()),
        "sumber": [
            {
                "triwulan": NAMA_TRIWULAN[kode],
                "periode": triwulan[kode].get("periode"),
                "case_id": triwulan[kode].get("case_id"),
                "dokumen": [str(d.get("filename")) for d in triwulan[kode].get("dokumen") or []],
            }
            for kode in TRIWULAN
        ],
        "indikator": indikator,
        "per_bidang": per_bidang,
        "jumlah_indikator": len(indikator),
        "rata_rata_capaian": overall,
        "kategori_rata_rata": kategori(overall, bands),
        "rata_rata_per_triwulan": [
            rata_rata([i["tren"][q] for i in indikator if i["tren"][q] is not None]) for q in range(4)
        ],
        "jumlah_per_kategori": {b.label: sum(1 for i in indikator if i["kategori"] == b.label) for b in bands},
        "jumlah_melampaui_target": sum(1 for i in indikator if i["melampaui_target"]),
        "anggaran": {
            "jumlah_pagu": akhir.get("jumlah_pagu"),
            "jumlah_realisasi": akhir.get("jumlah_realisasi_anggaran"),
            "penyerapan": akhir.get("penyerapan_anggaran"),
        },
    }


def _indikator_rekap(rekap: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return the rekap's indicator rows by kode, each with its Bidang."""
    rows: dict[str, dict[str, Any]] = {}
    for bidang in rekap.get("per_bidang") or []:
        for row in bidang.get("indikator") or []:
            rows[row["kode"]] = {**row, "bidang": bidang.get("bidang")}
    return rows


def _capaian(row: dict[str, Any]) -> float | None:
    """Recompute capaian from target and realisasi (the monev rule), None when not computable."""
    try:
        return hitung_capaian(float(row["realisasi"]), float(row["target"]), row["polaritas"])
    except (KeyError, TypeError, ValueError):
        return None


def _arah(perubahan: float | None) -> str | None:
    if perubahan is None:
        return None
    return "meningkat" if perubahan > 0 else "menurun" if perubahan < 0 else "tetap"
