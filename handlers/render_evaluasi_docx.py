"""Render the "Laporan Evaluasi Kinerja Tahunan" .docx (SOP Penyusunan Laporan Evaluasi Kinerja, steps 4, 6, 8).

BPMN tasks of ``processes/evaluasi_kinerja.bpmn`` (service, operator
``render_evaluation_report_docx``), lane Kasubbag Perencanaan: ``langkah04_draft`` (mode
``draft``), ``langkah06_render_revisi`` (mode ``draft``, step 6 pendukung) and
``langkah08_final`` (mode ``final``). Template ``templates/laporan_evaluasi_kinerja.docx``,
built by ``templates/build_evaluasi_template.py``. Every number goes through
:mod:`handlers.angka`; column widths are fitted after rendering (:mod:`handlers.docx_kolom`).
"""

from __future__ import annotations

import io
from typing import Any

from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage

from handlers.angka import format_angka, format_persen, format_rupiah, format_selisih
from handlers.capaian import Band, load_bands
from handlers.grafik_tren import grafik_tren_capaian
from handlers.konfigurasi import nilai
from handlers.laporan_konteks import dasar_hukum, penandatangan, teks
from handlers.render_report_docx import office_logo, render_report
from handlers.tanggal import format_tanggal
from sopflow.plugins import HandlerContext, HandlerError, register

TEMPLATE_NAME = "laporan_evaluasi_kinerja.docx"
MEDIA_TYPE_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MODES = {"draft": "draft_laporan", "final": "laporan_final"}
JUDUL = "LAPORAN EVALUASI KINERJA TAHUNAN"
ARAH = {"meningkat": "meningkat", "menurun": "menurun", "tetap": "tetap", None: "-"}


@register("render_evaluation_report_docx")
def render_evaluation_report_docx(params: dict[str, Any], ctx: HandlerContext) -> dict[str, Any]:
    """Fill the evaluation report template and store the .docx.

    Params read: ``mode`` ("draft" | "final"), ``periode`` (the year), ``evaluasi`` (step 1's
    result, :func:`handlers.evaluasi_tahunan.hitung_evaluasi_tahunan`), ``klarifikasi_bidang``
    (step 3: ``[{"bidang", "faktor_keberhasilan", "faktor_kegagalan", "rencana_perbaikan"}]``),
    ``putaran_revisi`` (draft file name only).
    Context read: ``ctx.people`` (signer: head of lane ``penandatangan.lane``),
    ``ctx.process_properties`` (``sop.dasar_hukum.N``). Config read: ``instansi.*``,
    ``penandatangan.*``, ``kategori_capaian``, ``aturan_kategori``, ``kategori_tindak_lanjut``,
    ``nomor_sop``.
    Returns the FileRef (``kind`` ``draft_laporan`` or ``laporan_final``, ``meta={"periode",
    "mode", "putaran_revisi", "data_contoh", "penandatangan"}``).
    Raises HandlerError for an unknown mode, an evaluation of another year, a missing template
    or logo, or no signer.
    """
    mode = params.get("mode")
    if mode not in MODES:
        message = f"Mode laporan {mode!r} tidak dikenal; gunakan 'draft' atau 'final'."
        raise HandlerError(message, [{"message": message, "field": "mode"}])
    evaluasi = params.get("evaluasi")
    tahun = str(params.get("periode") or "")
    if not isinstance(evaluasi, dict) or str(evaluasi.get("periode")) != tahun:
        found = evaluasi.get("periode") if isinstance(evaluasi, dict) else None
        message = f"Data evaluasi tahunan berisi periode {found!r}, bukan {tahun!r}."
        raise HandlerError(message, [{"message": message, "field": "evaluasi"}])
    template_path = ctx.templates_dir / TEMPLATE_NAME
    if not template_path.is_file():
        message = f"Templat laporan '{TEMPLATE_NAME}' tidak ditemukan di {ctx.templates_dir}."
        raise HandlerError(message, [{"message": message, "field": "mode"}])
    bands = load_bands(ctx.config)
    tpl = DocxTemplate(str(template_path))
    signer = penandatangan(ctx.people, ctx.config)
    context = susun_konteks_evaluasi(
        mode, evaluasi, params.get("klarifikasi_bidang") or [], ctx.config, bands, signer, ctx
    )
    chart = grafik_tren_capaian([(b["bidang"], b["rata_rata_per_triwulan"]) for b in evaluasi["per_bidang"]])
    context["grafik_tren"] = InlineImage(tpl, io.BytesIO(chart), width=Mm(150))
    context["logo"] = office_logo(tpl, ctx)
    data = render_report(tpl, context, f"Laporan Evaluasi Kinerja Tahunan {tahun}", ctx.now)
    putaran = int(params.get("putaran_revisi") or 0)
    if mode == "draft":
        filename = f"draft_laporan_evaluasi_kinerja_{tahun}" + (f"_revisi{putaran}" if putaran else "") + ".docx"
    else:
        filename = f"laporan_evaluasi_kinerja_{tahun}.docx"
    return ctx.files.put(
        data,
        filename,
        MEDIA_TYPE_DOCX,
        kind=MODES[mode],
        meta={
            "periode": tahun,
            "mode": mode,
            "putaran_revisi": putaran,
            "data_contoh": bool(evaluasi.get("data_contoh")),
            "penandatangan": signer["username"],
        },
    )


def susun_konteks_evaluasi(
    mode: str,
    evaluasi: dict[str, Any],
    klarifikasi: list[dict[str, Any]],
    config: dict[str, Any],
    bands: list[Band],
    signer: dict[str, str],
    ctx: HandlerContext,
) -> dict[str, Any]:
    """Return the template's context: display strings only (numbers formatted, empty values "-")."""
    tahun = str(evaluasi["periode"])
    draft = mode == "draft"
    data_contoh = bool(evaluasi.get("data_contoh"))
    indikator = evaluasi.get("indikator") or []
    rows = {
        i["kode"]: {
            "kode": i["kode"],
            "indikator": i.get("indikator") or "-",
            "satuan": i.get("satuan") or "-",
            "target": format_angka(i.get("target")),
            "realisasi": format_angka(i.get("realisasi")),
            "capaian": format_persen(i.get("capaian_tahunan")) + (" *" if i.get("melampaui_target") else ""),
            "kategori": i.get("kategori") or "-",
            "tw": [format_persen(v) for v in i.get("tren") or [None] * 4],
            "perubahan": format_selisih(i.get("perubahan")),
            "arah": ARAH.get(i.get("arah"), "-"),
        }
        for i in indikator
    }
    per_bidang = [
        {
            "nomor": n,
            "bidang": b["bidang"],
            "jumlah_indikator": b["jumlah_indikator"],
            "rata_rata_capaian": format_persen(b.get("rata_rata_capaian")),
            "kategori": b.get("kategori_rata_rata") or "-",
            "tw": [format_persen(v) for v in b.get("rata_rata_per_triwulan") or [None] * 4],
            "indikator": [rows[k] for k in b.get("indikator") or [] if k in rows],
        }
        for n, b in enumerate(evaluasi.get("per_bidang") or [], start=1)
    ]
    anggaran = evaluasi.get("anggaran") or {}
    jumlah = evaluasi.get("jumlah_per_kategori") or {}
    label_header = f"Laporan Evaluasi Kinerja Tahunan {tahun}" + (" – DRAF" if draft else "")
    if data_contoh:
        label_header += " – DATA CONTOH"
    return {
        "judul": JUDUL,
        "tahun": tahun,
        "draft": draft,
        "data_contoh": data_contoh,
        "status_dokumen": "DRAF – BELUM DISETUJUI" if draft else "FINAL",
        "label_header": label_header,
        "judul_singkat": f"Laporan Evaluasi Kinerja Tahunan {tahun}",
        "instansi": {
            "pemerintah": nilai(config, "instansi.pemerintah", ""),
            "nama": nilai(config, "instansi.nama", ""),
            "alamat": nilai(config, "instansi.alamat", ""),
        },
        "kota": nilai(config, "instansi.kota", ""),
        "tanggal_dokumen": format_tanggal(ctx.now.date()),
        "nomor_sop": nilai(config, "nomor_sop", "-"),
        "dasar_hukum": dasar_hukum(ctx.process_properties, config),
        "sumber": [{**s, "dokumen": teks(s.get("dokumen") or [])} for s in evaluasi.get("sumber") or []],
        "ringkasan": {
            "jumlah_indikator": evaluasi.get("jumlah_indikator", 0),
            "rata_rata_capaian": format_persen(evaluasi.get("rata_rata_capaian")),
            "kategori": evaluasi.get("kategori_rata_rata") or "-",
            "jumlah_melampaui_target": evaluasi.get("jumlah_melampaui_target", 0),
            "jumlah_pagu": format_rupiah(anggaran.get("jumlah_pagu")),
            "jumlah_realisasi": format_rupiah(anggaran.get("jumlah_realisasi")),
            "penyerapan": format_persen(anggaran.get("penyerapan")),
        },
        "kategori": _kategori(bands, jumlah),
        "aturan_kategori": str(nilai(config, "aturan_kategori", "")) + " Tanda * = melampaui target.",
        "per_bidang": per_bidang,
        "indikator": list(rows.values()),
        "tw_dinas": [format_persen(v) for v in evaluasi.get("rata_rata_per_triwulan") or [None] * 4],
        "klarifikasi": [
            {
                "bidang": k.get("bidang", "-"),
                "faktor_keberhasilan": teks(k.get("faktor_keberhasilan")),
                "faktor_kegagalan": teks(k.get("faktor_kegagalan")),
                "rencana_perbaikan": teks(k.get("rencana_perbaikan")),
            }
            for k in klarifikasi
            if isinstance(k, dict)
        ],
        "kesimpulan": _kesimpulan(evaluasi),
        "rekomendasi": _rekomendasi(evaluasi, config),
        "penandatangan": signer,
    }


def _kategori(bands: list[Band], jumlah: dict[str, int]) -> list[dict[str, Any]]:
    rows = []
    for band in bands:
        if band.min is not None and band.max is not None:
            rentang = f"{format_persen(band.min)} – {format_persen(band.max)}"
        elif band.min is not None:
            rentang = f"≥ {format_persen(band.min)}"
        else:
            rentang = f"≤ {format_persen(band.max)}" if band.max is not None else "-"
        rows.append({"label": band.label, "rentang": rentang, "jumlah": jumlah.get(band.label, 0)})
    return rows


def _kesimpulan(evaluasi: dict[str, Any]) -> list[str]:
    tahun = evaluasi["periode"]
    lines = [
        f"Rata-rata capaian kinerja tahunan {tahun} adalah {format_persen(evaluasi.get('rata_rata_capaian'))} "
        f"(kategori {evaluasi.get('kategori_rata_rata') or '-'}) dari {evaluasi.get('jumlah_indikator', 0)} "
        f"indikator; {evaluasi.get('jumlah_melampaui_target', 0)} indikator melampaui target."
    ]
    per_bidang = [b for b in evaluasi.get("per_bidang") or [] if b.get("rata_rata_capaian") is not None]
    if per_bidang:
        best = max(per_bidang, key=lambda b: b["rata_rata_capaian"])
        worst = min(per_bidang, key=lambda b: b["rata_rata_capaian"])
        lines.append(
            f"Capaian tertinggi pada {best['bidang']} ({format_persen(best['rata_rata_capaian'])}) dan "
            f"terendah pada {worst['bidang']} ({format_persen(worst['rata_rata_capaian'])})."
        )
    naik = sum(1 for i in evaluasi.get("indikator") or [] if i.get("arah") == "meningkat")
    turun = sum(1 for i in evaluasi.get("indikator") or [] if i.get("arah") == "menurun")
    lines.append(f"Dari Triwulan I ke Triwulan IV capaian {naik} indikator meningkat dan {turun} indikator menurun.")
    return lines


def _rekomendasi(evaluasi: dict[str, Any], config: dict[str, Any]) -> list[str]:
    perlu = set(nilai(config, "kategori_tindak_lanjut", []))
    lines = []
    for i in evaluasi.get("indikator") or []:
        capaian = format_persen(i.get("capaian_tahunan"))
        if i.get("kategori") in perlu:
            lines.append(
                f"Indikator {i['kode']} ({i.get('indikator')}) berkategori {i['kategori']} ({capaian}): target dan "
                "strategi pencapaiannya ditinjau dalam perencanaan tahun berikutnya."
            )
        elif i.get("arah") == "menurun":
            lines.append(
                f"Capaian indikator {i['kode']} ({i.get('indikator')}) menurun {format_selisih(i.get('perubahan'))} "
                f"poin dari Triwulan I ke Triwulan IV (menjadi {capaian}): penyebabnya ditelusuri bersama Bidang."
            )
    return lines or ["Seluruh indikator mencapai kategori Sedang atau lebih; pertahankan kinerja tahun berikutnya."]
