"""Archive the annual evaluation report (SOP Penyusunan Laporan Evaluasi Kinerja, step 10).

BPMN task ``langkah10_arsip`` of ``processes/evaluasi_kinerja.bpmn`` (service, operator
``archive_evaluation_documents``), lane Sekretaris; result variable ``arsip``. The same
checks as the monev SOP's :mod:`handlers.archive_documents` (SHA-256 and size of every
file before anything is tagged), for a periode that is a year (``"2026"``) instead of a quarter.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from handlers.archive_documents import tag_as_archive
from handlers.error_list import ErrorList
from handlers.konfigurasi import angka, nilai
from handlers.tanggal import tambah_tahun
from sopflow.plugins import HandlerContext, HandlerError, register

DEFAULT_KLASIFIKASI = "Dokumen pengendalian dan evaluasi kinerja"
_TAHUN = re.compile(r"^\d{4}$")


@register("archive_evaluation_documents")
def archive_evaluation_documents(params: dict[str, Any], ctx: HandlerContext) -> dict[str, Any]:
    """Verify every document's bytes against its SHA-256 and size, then tag it as ``arsip``.

    Params read: ``periode`` (the year), ``dokumen`` (list of FileRef; None entries skipped,
    a file listed twice archived once). Config read: ``retensi_tahun`` (default 10),
    ``klasifikasi_arsip``. Meta of each tag: ``periode``, ``klasifikasi``, ``retensi_tahun``,
    ``retensi_sampai`` (``ctx.now`` + retention, ISO date), ``diarsipkan_pada``.
    Returns ``{"jumlah", "periode", "entri": [{"filename", "sha256", "size", "media_type",
    "klasifikasi", "retensi_tahun", "retensi_sampai", "diarsipkan_pada"}]}``.
    Raises HandlerError (field ``dokumen``) listing every file that is not a FileRef, cannot
    be read or does not match its record; nothing is tagged then.
    """
    periode = str(params.get("periode") or "").strip()
    if not _TAHUN.match(periode):
        message = f"Periode arsip {params.get('periode')!r} tidak sah; gunakan tahun empat angka, misalnya '2026'."
        raise HandlerError(message, [{"message": message, "field": "periode"}])
    retensi = int(angka(ctx.config, "retensi_tahun", 10))
    meta = {
        "periode": periode,
        "klasifikasi": str(nilai(ctx.config, "klasifikasi_arsip", DEFAULT_KLASIFIKASI)),
        "retensi_tahun": retensi,
        "retensi_sampai": tambah_tahun(ctx.now.date(), retensi).isoformat(),
        "diarsipkan_pada": ctx.now.isoformat(timespec="seconds"),
    }
    dokumen = params.get("dokumen")
    errors = ErrorList(field="dokumen")
    verified: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, ref in enumerate(dokumen if isinstance(dokumen, list) else [], start=1):
        if ref is None or (isinstance(ref, dict) and ref.get("sha256") in seen):
            continue
        if not isinstance(ref, dict) or not isinstance(ref.get("sha256"), str):
            errors.add(f"Dokumen ke-{index} bukan referensi berkas yang sah.", "not_a_fileref")
            continue
        name = str(ref.get("filename") or ref["sha256"][:12])
        try:
            data = ctx.files.get(ref)
        except HandlerError as exc:
            errors.add_file(name, f"tidak dapat dibaca ({exc.message})", "file_unavailable")
            continue
        if hashlib.sha256(data).hexdigest() != ref["sha256"] or ref.get("size") not in (None, len(data)):
            errors.add_file(name, "isi berkas tidak cocok dengan SHA-256/ukuran yang tercatat", "hash_mismatch")
            continue
        seen.add(ref["sha256"])
        verified.append(ref)
    if not isinstance(dokumen, list) or not (verified or len(errors)):
        errors.add("Tidak ada dokumen yang dapat diarsipkan.", "empty")
    errors.raise_if_any(f"Pengarsipan dibatalkan: {len(errors)} masalah pada dokumen.")
    entri = tag_as_archive(ctx, verified, meta)
    return {"jumlah": len(entri), "periode": periode, "entri": entri}
