"""Render the monev report as .docx (SOP steps 7 and 12, and step 10 supporting).

BPMN tasks (service, operator ``render_report_docx``), lane Kasubbag Perencanaan:
``langkah07_draft_laporan`` (mode ``draft``, step 7 "Menyusun draft laporan hasil
monitoring evaluasi"), ``langkah10_render_revisi`` (mode ``draft``, step 10 pendukung)
and ``langkah12_dokumen_final`` (mode ``final``, step 12 "Menyusun dokumen
monitoring"). Template: ``templates/laporan_monev_kinerja.docx`` (built by
``templates/build_templates.py``).
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage

from handlers.capaian import load_bands
from handlers.docx_kolom import sesuaikan_lebar_kolom
from handlers.docx_templat import JINJA, open_template
from handlers.grafik_capaian import grafik_kasus
from handlers.konfigurasi import nilai
from handlers.laporan_konteks import JUDUL, dasar_hukum, penandatangan, susun_konteks
from handlers.periode import parse_periode
from handlers.ringkasan import ringkas_rekap
from sopflow.plugins import HandlerContext, HandlerError, register

TEMPLATE_NAME = "laporan_monev_kinerja.docx"
MEDIA_TYPE_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MODES = {"draft": "draft_laporan", "final": "laporan_final"}


@register("render_report_docx")
def render_report_docx(params: dict[str, Any], ctx: HandlerContext) -> dict[str, Any]:
    """Fill the report template and store the .docx.

    Params read: ``mode`` ("draft" | "final"), ``periode``, ``rekap`` (step 3; its
    ``data_contoh`` puts the "DATA CONTOH" band on the cover), ``hasil_monitoring`` (step 6;
    may be None), ``analisis`` (step 8; None at step 7: the figures are then computed from
    ``rekap`` by :mod:`handlers.ringkasan`, and the comparison/follow-up sections say the
    analysis follows), ``catatan`` (dict; only ``putaran_revisi`` is used, for the draft's
    file name and metadata: notes and revision rounds stay in the case history, never in
    the report body).
    Context read: ``ctx.people`` (the signer: head of the lane ``penandatangan.lane``),
    ``ctx.process_properties`` (the SOP's ``sop.dasar_hukum.N``).
    Config read: ``instansi.*`` (``instansi.logo``: an image file in the templates folder),
    ``penandatangan.*``, ``kategori_capaian``, ``aturan_kategori``, ``nomor_sop``.
    Returns the FileRef of the stored document (``kind`` ``draft_laporan`` or
    ``laporan_final``, ``meta={"periode", "mode", "putaran_revisi", "data_contoh", "penandatangan"}``).
    Raises HandlerError for an unknown mode, a missing template or logo, a missing/malformed
    rekap, an analysis of another periode, no signer, or missing configuration.
    """
    mode = params.get("mode")
    if mode not in MODES:
        message = f"Mode laporan {mode!r} tidak dikenal; gunakan 'draft' atau 'final'."
        raise HandlerError(message, [{"message": message, "field": "mode"}])
    periode = parse_periode(params.get("periode"))
    bands = load_bands(ctx.config)
    rekap = params.get("rekap")
    summary = ringkas_rekap(rekap, bands)
    assert isinstance(rekap, dict)  # ringkas_rekap raised otherwise
    analisis = params.get("analisis") or None
    for name, data in (("rekap", summary), ("analisis", analisis)):
        if data is not None and data.get("periode") != periode.kode:
            message = f"Data '{name}' berisi periode {data.get('periode')!r}, bukan {periode.kode}."
            raise HandlerError(message, [{"message": message, "field": name}])
    catatan = params.get("catatan") or {}
    template_path = ctx.templates_dir / TEMPLATE_NAME
    if not template_path.is_file():
        message = f"Templat laporan '{TEMPLATE_NAME}' tidak ditemukan di {ctx.templates_dir}."
        raise HandlerError(message, [{"message": message, "field": "mode"}])

    tpl = open_template(template_path)
    signer = penandatangan(ctx.people, ctx.config)
    context = susun_konteks(
        mode=mode,
        periode=periode,
        summary=summary,
        rekap=rekap,
        hasil_monitoring=params.get("hasil_monitoring"),
        analisis=analisis,
        config=ctx.config,
        bands=bands,
        signer=signer,
        dasar=dasar_hukum(ctx.process_properties, ctx.config),
        now=ctx.now,
    )
    # drawn once per case and data: steps 7, 10 and 12 of a case reuse it
    chart = grafik_kasus(ctx.case_id, [(b["bidang"], b["rata_rata_capaian"]) for b in summary["per_bidang"]], bands)
    context["grafik"] = InlineImage(tpl, io.BytesIO(chart), width=Mm(150))
    context["logo"] = office_logo(tpl, ctx)
    data = render_report(tpl, context, f"{JUDUL.title()} {periode.label}", ctx.now)

    putaran = catatan.get("putaran_revisi") or 0
    if mode == "draft":
        filename = f"draft_laporan_monev_kinerja_{periode.kode}" + (f"_revisi{putaran}" if putaran else "") + ".docx"
    else:
        filename = f"laporan_monev_kinerja_{periode.kode}.docx"
    return ctx.files.put(
        data,
        filename,
        MEDIA_TYPE_DOCX,
        kind=MODES[mode],
        meta={
            "periode": periode.kode,
            "mode": mode,
            "putaran_revisi": putaran,
            "data_contoh": context["data_contoh"],
            "penandatangan": signer["username"],
        },
    )


def render_report(tpl: DocxTemplate, context: dict[str, Any], title: str, now: datetime) -> bytes:
    """Fill the template, fit the column widths to the content, set the document properties; return the .docx.

    ``tpl`` comes from :func:`handlers.docx_templat.open_template` (its parts patched and
    compiled once per process); a plain :class:`DocxTemplate` gives the same document.
    """
    tpl.render(context, jinja_env=JINJA, autoescape=True)
    # widths from the content, after the rows exist: no word is cut in a narrow column
    sesuaikan_lebar_kolom(tpl.docx, ukuran_bawaan_pt=11)
    properties = tpl.docx.core_properties
    properties.title = title
    properties.author = context["instansi"]["nama"]
    properties.created = properties.modified = now
    properties.last_modified_by = "sopflow"
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


def office_logo(tpl: DocxTemplate, ctx: HandlerContext) -> InlineImage | None:
    """Return the office's logo (config ``instansi.logo``, a file in the templates folder), or None."""
    name = nilai(ctx.config, "instansi.logo", "")
    if not name:
        return None
    path = (ctx.templates_dir / str(name)).resolve()
    if ctx.templates_dir.resolve() not in path.parents or not path.is_file():
        message = f"Logo instansi '{name}' (konfigurasi 'instansi.logo') tidak ditemukan di folder templat."
        raise HandlerError(message, [{"message": message, "field": "instansi.logo"}])
    return InlineImage(tpl, str(path), height=Mm(30))  # by path: the picture keeps the file's name
