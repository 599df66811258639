"""Validate an uploaded Lembar Isian before the step-2 task may complete (form validator).

Named by ``"x-sopflow-validate": "validate_lembar_isian"`` in the form schema of the
multi-instance user task ``langkah02_pengumpulan_data`` (SOP step 2, lane Kepala Bidang).
"""

from __future__ import annotations

from typing import Any

from handlers.error_list import ErrorList
from handlers.lembar_isian import XlsxLimits, read_lembar_isian
from handlers.periode import parse_periode
from handlers.renja import load_renja
from sopflow.plugins import HandlerContext, HandlerError, register


@register("validate_lembar_isian")
def validate_lembar_isian(params: dict[str, Any], ctx: HandlerContext) -> dict[str, Any]:
    """Check the uploaded xlsx of one Bidang cell by cell.

    Params read: ``form.lembar_isian`` (FileRef), ``data.isian.bidang``,
    ``data.periode``, ``data.indikator``, ``data.kegiatan``.
    Config read: ``batas_ukuran_berkas_bytes`` (default 5 MiB) and the other xlsx caps of
    :class:`handlers.xlsx_limits.XlsxLimits`, checked before the file is parsed (this runs
    during the web request, so the caps bound its work).
    Returns ``{"bidang", "periode", "berkas", "jumlah_indikator", "jumlah_kegiatan",
    "jumlah_realisasi_anggaran"}``.
    Raises HandlerError whose errors all carry ``field="lembar_isian"`` plus ``file``,
    ``sheet``, ``cell``, ``reason`` and ``code`` where they apply (see
    :mod:`handlers.lembar_isian` for the checks); every cell error of the file is
    reported (capped at 50 plus a remainder line).
    """
    form = params.get("form") or {}
    data = params.get("data") or {}
    errors = ErrorList(field="lembar_isian")
    bidang = (data.get("isian") or {}).get("bidang")
    ref = form.get("lembar_isian")
    if not isinstance(ref, dict) or not ref.get("sha256"):
        errors.add("Lembar isian belum diunggah; unggah berkas .xlsx yang sudah diisi.", "missing_file")
        errors.raise_if_any("Lembar isian belum diunggah.")
    assert isinstance(ref, dict)  # raise_if_any above raised otherwise
    periode = parse_periode(data.get("periode"))
    renja = load_renja(data.get("indikator"), data.get("kegiatan"), require_target=False)
    if bidang not in renja.bidang:
        message = f"Bidang {bidang!r} tidak ada dalam daftar indikator kasus ini."
        raise HandlerError(message, [{"message": message, "field": "lembar_isian", "reason": "bidang tidak dikenal"}])
    filename = str(ref.get("filename") or "lembar_isian.xlsx")
    lembar = read_lembar_isian(
        ctx.files.get(ref),
        filename,
        bidang=bidang,
        periode=periode,
        renja=renja,
        errors=errors,
        limits=XlsxLimits.from_config(ctx.config),
    )
    errors.raise_if_any(
        f"Lembar isian '{filename}' Bidang {bidang} belum dapat diterima: {len(errors)} kesalahan ditemukan. "
        "Perbaiki lalu unggah kembali."
    )
    assert lembar is not None  # no errors means the file was read
    return {
        "bidang": bidang,
        "periode": periode.kode,
        "berkas": filename,
        "jumlah_indikator": len(lembar.kinerja),
        "jumlah_kegiatan": len(lembar.anggaran),
        "jumlah_realisasi_anggaran": sum(a["realisasi"] for a in lembar.anggaran.values()),
    }
