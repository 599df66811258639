"""Archive the case documents with SHA-256 check and retention metadata (SOP step 13).

BPMN task ``langkah13_arsip`` (service, operator ``archive_documents``), SOP step 13
"Menyimpan dokumen monitoring evaluasi", lane Sekretaris; result variable ``arsip``.
"""

from __future__ import annotations

import hashlib
from typing import Any

from handlers.error_list import ErrorList
from handlers.konfigurasi import angka, nilai
from handlers.periode import parse_periode
from handlers.tanggal import tambah_tahun
from sopflow.plugins import HandlerContext, HandlerError, register

DEFAULT_KLASIFIKASI = "Dokumen pengendalian dan evaluasi kinerja"


@register("archive_documents")
def archive_documents(params: dict[str, Any], ctx: HandlerContext) -> dict[str, Any]:
    """Verify every document's bytes against its SHA-256, then tag it as ``arsip``.

    Params read: ``periode``, ``dokumen`` (list of FileRef; None entries are skipped,
    a file listed twice is archived once).
    Config read: ``retensi_tahun`` (default 5), ``klasifikasi_arsip``.
    Each file is tagged ``ctx.files.tag(ref, kind="arsip", meta={"periode",
    "klasifikasi", "retensi_tahun", "retensi_sampai", "diarsipkan_pada"})`` where
    ``retensi_sampai`` = ``ctx.now`` date + ``retensi_tahun`` years (ISO date) and
    ``diarsipkan_pada`` = ``ctx.now`` (ISO datetime).
    Returns ``{"jumlah": n, "entri": [{"filename", "sha256", "size", "media_type",
    "klasifikasi", "retensi_tahun", "retensi_sampai", "diarsipkan_pada"}]}``.
    Raises HandlerError (field ``dokumen``) when an entry is not a FileRef, a file is
    missing, or its bytes do not match its SHA-256 or size; nothing is tagged then.
    """
    periode = parse_periode(params.get("periode"))
    retensi = int(angka(ctx.config, "retensi_tahun", 5))
    meta = {
        "periode": periode.kode,
        "klasifikasi": str(nilai(ctx.config, "klasifikasi_arsip", DEFAULT_KLASIFIKASI)),
        "retensi_tahun": retensi,
        "retensi_sampai": tambah_tahun(ctx.now.date(), retensi).isoformat(),
        "diarsipkan_pada": ctx.now.isoformat(timespec="seconds"),
    }
    dokumen = params.get("dokumen")
    errors = ErrorList(field="dokumen")
    if not isinstance(dokumen, list):
        errors.add("Daftar dokumen yang diarsipkan harus berupa daftar (list).", "not_a_list")
        dokumen = []
    verified: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, ref in enumerate(dokumen, start=1):
        if ref is None:
            continue
        if not isinstance(ref, dict) or not isinstance(ref.get("sha256"), str):
            errors.add(f"Dokumen ke-{index} bukan referensi berkas yang sah.", "not_a_fileref")
            continue
        if ref["sha256"] in seen:
            continue
        name = str(ref.get("filename") or ref["sha256"][:12])
        try:
            data = ctx.files.get(ref)
        except HandlerError as exc:
            errors.add_file(name, f"tidak dapat dibaca ({exc.message})", "file_unavailable")
            continue
        if hashlib.sha256(data).hexdigest() != ref["sha256"]:
            errors.add_file(
                name, "isi berkas tidak cocok dengan SHA-256 yang tercatat (berkas berubah)", "hash_mismatch"
            )
            continue
        if ref.get("size") is not None and ref["size"] != len(data):
            errors.add_file(
                name,
                f"ukuran {len(data)} bita tidak cocok dengan {ref['size']} yang tercatat",
                "size_mismatch",
            )
            continue
        seen.add(ref["sha256"])
        verified.append(ref)
    errors.raise_if_any(f"Pengarsipan dibatalkan: {len(errors)} dokumen gagal diverifikasi.")
    entri = tag_as_archive(ctx, verified, meta)
    return {"jumlah": len(entri), "periode": periode.kode, "entri": entri}


def tag_as_archive(ctx: HandlerContext, verified: list[dict[str, Any]], meta: dict[str, Any]) -> list[dict[str, Any]]:
    """Record each verified file again as ``arsip`` with ``meta``; return the archive entries."""
    entri = []
    for ref in verified:
        ctx.files.tag(ref, kind="arsip", meta=dict(meta))
        entri.append(
            {
                "filename": ref.get("filename"),
                "sha256": ref["sha256"],
                "size": ref.get("size"),
                "media_type": ref.get("media_type"),
                **{k: v for k, v in meta.items() if k != "periode"},
            }
        )
    return entri
