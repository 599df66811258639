"""Aggregate the filled Lembar Isian of every Bidang into the rekap (SOP step 3, "Mengolah data").

BPMN task ``langkah03_olah_data`` (service, operator ``aggregate_performance_data``),
lane Kasubbag Perencanaan; result variable ``rekap``.
"""

from __future__ import annotations

from typing import Any

from handlers.capaian import load_bands, penyerapan
from handlers.error_list import ErrorList
from handlers.isian_layout import MEDIA_TYPE_XLSX
from handlers.konfigurasi import nilai
from handlers.lembar_isian import LembarIsian, XlsxLimits, read_lembar_isian
from handlers.periode import parse_periode
from handlers.rekap_xlsx import build_rekap_workbook, nama_berkas
from handlers.renja import Renja, load_renja
from handlers.ringkasan import ringkas_rekap
from sopflow.plugins import HandlerContext, HandlerError, register

#: A Lembar Isian whose label line (above the Kinerja table) says this holds sample data.
PENANDA_DATA_CONTOH = "DATA CONTOH"

_BIDANG_TOTALS = (
    "rata_rata_capaian",
    "kategori_rata_rata",
    "jumlah_pagu",
    "jumlah_realisasi_anggaran",
    "penyerapan_anggaran",
)


@register("aggregate_performance_data")
def aggregate_performance_data(params: dict[str, Any], ctx: HandlerContext) -> dict[str, Any]:
    """Re-read and check every uploaded file, compute capaian and budget absorption, store the Rekap.

    Params read: ``periode``, ``indikator``, ``kegiatan``, ``isian_bidang``
    (list of ``{"bidang", "format_isian", "lembar_isian": FileRef, "catatan"}``).
    Config read: ``kategori_capaian``, ``batas_ukuran_berkas_bytes``, ``instansi.pemerintah``,
    ``instansi.nama`` and the xlsx caps of :class:`handlers.xlsx_limits.XlsxLimits`.
    Stores the "Rekap Data Kinerja" workbook (:mod:`handlers.rekap_xlsx`) as a case document
    (``kind="rekap"``, ``meta={"periode"}``).
    Returns the rekap::

        {"periode", "periode_label", "tahun", "triwulan", "data_contoh", "berkas_rekap": FileRef,
         "per_bidang": [{"bidang", "catatan", "lembar_isian": FileRef,
             "indikator": [{"kode", "program", "kode_kegiatan", "kegiatan", "indikator", "satuan",
                            "target", "realisasi", "polaritas", "capaian", "kategori",
                            "melampaui_target", "keterangan"}],
             "anggaran": [{"kode_kegiatan", "program", "kegiatan", "pagu", "realisasi",
                           "penyerapan", "keterangan"}],
             "rata_rata_capaian", "kategori_rata_rata", "jumlah_pagu",
             "jumlah_realisasi_anggaran", "penyerapan_anggaran"}],
         "jumlah_bidang", "jumlah_indikator", "rata_rata_capaian", "kategori_rata_rata",
         "jumlah_per_kategori", "jumlah_melampaui_target", "jumlah_kegiatan", "jumlah_pagu",
         "jumlah_realisasi_anggaran", "penyerapan_anggaran"}

    Per-indicator and total figures come from :mod:`handlers.ringkasan` (one formula).
    ``data_contoh`` is True when any file is labelled as sample data ("DATA CONTOH" on its
    label line, as the committed samples are): the reports built from this rekap say so.

    Raises HandlerError (field ``isian_bidang``) listing every problem of every file:
    a Bidang without upload, an unknown or repeated Bidang, and all cell errors of
    :func:`handlers.lembar_isian.read_lembar_isian` (target 0 included, on its cell).
    """
    periode = parse_periode(params.get("periode"))
    renja = load_renja(params.get("indikator"), params.get("kegiatan"), require_target=False)
    bands = load_bands(ctx.config)
    limits = XlsxLimits.from_config(ctx.config)
    errors = ErrorList(field="isian_bidang")
    uploads = _uploads_by_bidang(params.get("isian_bidang"), renja, errors)
    sheets: dict[str, tuple[LembarIsian, dict[str, Any]]] = {}
    for bidang, item in uploads.items():
        ref = item["lembar_isian"]
        filename = str(ref.get("filename") or f"lembar_isian_{bidang}.xlsx")
        try:
            content = ctx.files.get(ref)
        except HandlerError as exc:
            errors.add_file(filename, f"tidak dapat dibaca dari penyimpanan ({exc.message})", "file_unavailable")
            continue
        lembar = read_lembar_isian(
            content, filename, bidang=bidang, periode=periode, renja=renja, errors=errors, limits=limits
        )
        if lembar is not None:
            sheets[bidang] = (lembar, item)
    errors.raise_if_any(f"Data kinerja belum dapat diolah: {len(errors)} kesalahan pada lembar isian.")
    raw: dict[str, Any] = {
        "periode": periode.kode,
        "per_bidang": [_bidang_entry(renja, b, *sheets[b]) for b in renja.bidang],
    }
    summary = ringkas_rekap(raw, bands)
    per_bidang = [
        {**entry, "indikator": ringkas["indikator"], **{k: ringkas[k] for k in _BIDANG_TOTALS}}
        for entry, ringkas in zip(raw["per_bidang"], summary["per_bidang"], strict=True)
    ]
    rekap = {
        "periode": periode.kode,
        "periode_label": periode.label,
        "tahun": periode.tahun,
        "triwulan": periode.triwulan,
        "data_contoh": any(PENANDA_DATA_CONTOH in lembar.label.upper() for lembar, _ in sheets.values()),
        "per_bidang": per_bidang,
        **summary["ringkasan"],
    }
    instansi = (nilai(ctx.config, "instansi.pemerintah", ""), nilai(ctx.config, "instansi.nama", ""))
    filename = nama_berkas(periode.kode)
    rekap["berkas_rekap"] = ctx.files.put(
        build_rekap_workbook(rekap, instansi, filename),
        filename,
        MEDIA_TYPE_XLSX,
        kind="rekap",
        meta={"periode": periode.kode},
    )
    return rekap


def _uploads_by_bidang(raw: object, renja: Renja, errors: ErrorList) -> dict[str, dict[str, Any]]:
    uploads: dict[str, dict[str, Any]] = {}
    items = raw if isinstance(raw, list) else []
    if not isinstance(raw, list):
        errors.add("Daftar isian_bidang tidak ada atau bukan daftar (list).", "not_a_list")
    for index, item in enumerate(items, start=1):
        bidang = item.get("bidang") if isinstance(item, dict) else None
        if bidang not in renja.bidang:
            errors.add(f"Isian ke-{index}: Bidang {bidang!r} tidak ada dalam daftar indikator.", "unknown_bidang")
        elif bidang in uploads:
            errors.add(f"Isian ke-{index}: Bidang '{bidang}' muncul lebih dari sekali.", "duplicate_bidang")
        elif not isinstance(item.get("lembar_isian"), dict) or not item["lembar_isian"].get("sha256"):
            errors.add(f"Bidang '{bidang}' belum mengunggah lembar isian.", "missing_file", bidang=bidang)
        else:
            uploads[bidang] = item
    for bidang in renja.bidang:
        known = any(isinstance(i, dict) and i.get("bidang") == bidang for i in items)
        if not known:
            errors.add(f"Lembar isian Bidang '{bidang}' tidak ada.", "missing_bidang", bidang=bidang)
    return uploads


def _bidang_entry(renja: Renja, bidang: str, lembar: LembarIsian, item: dict[str, Any]) -> dict[str, Any]:
    indikator = []
    for row in renja.indikator_bidang(bidang):
        isian = lembar.kinerja[row["kode"]]
        entry = {
            "kode": row["kode"],
            "program": row["program"],
            "kode_kegiatan": row["kode_kegiatan"],
            "kegiatan": renja.nama_kegiatan(row["kode_kegiatan"]),
            "indikator": row["indikator"],
            "satuan": row["satuan"],
            "target": row["target"],
            "realisasi": isian["realisasi"],
            "polaritas": row["polaritas"],
        }
        indikator.append({**entry, "keterangan": isian["keterangan"]})
    anggaran = []
    for row in renja.kegiatan_bidang(bidang):
        isian = lembar.anggaran[row["kode_kegiatan"]]
        anggaran.append(
            {
                "kode_kegiatan": row["kode_kegiatan"],
                "program": row["program"],
                "kegiatan": row["kegiatan"],
                "pagu": row["pagu"],
                "realisasi": isian["realisasi"],
                "penyerapan": penyerapan(isian["realisasi"], row["pagu"]),
                "keterangan": isian["keterangan"],
            }
        )
    return {
        "bidang": bidang,
        "catatan": str(item.get("catatan") or ""),
        "lembar_isian": item["lembar_isian"],
        "indikator": indikator,
        "anggaran": anggaran,
    }
