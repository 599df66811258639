"""Build the docxtpl report template ``laporan_monev_kinerja.docx`` with python-docx.

Run ``python templates/build_templates.py`` after changing this file; the output is
byte-for-byte reproducible (fixed document properties and zip timestamps), so the
committed .docx changes only when this script does. The Jinja tags below are what
:mod:`handlers.laporan_konteks` fills: ``{%p ... %}`` tags stand alone in their
paragraph, ``{%tr ... %}`` tags in their own table row (docxtpl conventions).
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor
from docx.table import Table

OUTPUT = Path(__file__).with_name("laporan_monev_kinerja.docx")
FIXED_TIME = datetime(2026, 1, 1)


def _paragraph(doc, text: str = "", *, bold=False, size=None, align=None, color=None, style=None, indent=None):
    paragraph = doc.add_paragraph(style=style)
    if text:
        run = paragraph.add_run(text)
        run.bold = bold
        if size:
            run.font.size = Pt(size)
        if color:
            run.font.color.rgb = RGBColor.from_string(color)
    if align:
        paragraph.alignment = align
    if indent is not None:
        paragraph.paragraph_format.left_indent = indent
    return paragraph


def _shade(cell, fill: str = "D9E1F2") -> None:
    properties = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    properties.append(shading)


def _loop_table(doc, headers: list[str], loop: str, cells: list[str], total: list[str] | None = None) -> Table:
    """Add a table: header row, ``{%tr for %}`` row, data row, ``{%tr endfor %}`` row, optional total row."""
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, header in zip(table.rows[0].cells, headers, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(header)
        run.bold = True
        _shade(cell)
    table.add_row().cells[0].text = f"{{%tr {loop} %}}"
    for cell, text in zip(table.add_row().cells, cells, strict=True):
        cell.text = text
    table.add_row().cells[0].text = "{%tr endfor %}"
    if total:
        for cell, text in zip(table.add_row().cells, total, strict=True):
            cell.text = ""
            cell.paragraphs[0].add_run(text).bold = True
    return table


def _pair_table(doc, rows: list[tuple[str, str]]) -> Table:
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in rows:
        cells = table.add_row().cells
        cells[0].text = ""
        cells[0].paragraphs[0].add_run(label).bold = True
        _shade(cells[0], "F2F2F2")
        cells[1].text = value
        cells[0].width, cells[1].width = Cm(5), Cm(11)
    return table


def build() -> bytes:
    """Return the template bytes."""
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin = section.bottom_margin = Cm(2.5)
    normal = doc.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(11)
    section.header.paragraphs[0].text = "{{ label_header }}"
    section.header.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    section.footer.paragraphs[0].text = "{{ instansi.nama }}"
    section.footer.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER

    center = WD_ALIGN_PARAGRAPH.CENTER
    # Cover
    _paragraph(doc, "{{ instansi.pemerintah|upper }}", bold=True, size=14, align=center)
    _paragraph(doc, "{{ instansi.nama|upper }}", bold=True, size=14, align=center)
    _paragraph(doc, "{{ instansi.alamat }}", size=9, align=center)
    for _ in range(4):
        _paragraph(doc)
    _paragraph(doc, "{{ judul }}", bold=True, size=18, align=center)
    _paragraph(doc, "{{ periode_label }}", bold=True, size=14, align=center)
    _paragraph(doc)
    _paragraph(doc, "{%p if draft %}")
    _paragraph(doc, "DRAF", bold=True, size=48, align=center, color="C00000")
    _paragraph(
        doc,
        "Dokumen ini belum diverifikasi Kepala Dinas dan belum berlaku sebagai laporan resmi.",
        size=10,
        align=center,
        color="C00000",
    )
    _paragraph(doc, "{%p endif %}")
    _paragraph(doc, "Status dokumen: {{ status_dokumen }}", align=center)
    _paragraph(
        doc,
        "Disusun menurut SOP Nomor {{ nomor_sop }} (Monitoring/Evaluasi Internal Capaian Kinerja)",
        size=9,
        align=center,
    )
    _paragraph(doc, "{{ kota }}, {{ tanggal_dokumen }}", align=center)
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    # I. Ringkasan
    doc.add_heading("I. RINGKASAN", level=1)
    _paragraph(
        doc,
        "Monitoring dan evaluasi internal capaian kinerja {{ periode_label }} mencakup "
        "{{ ringkasan.jumlah_indikator }} indikator kinerja pada {{ ringkasan.jumlah_bidang }} Bidang. "
        "Rata-rata capaian kinerja adalah {{ ringkasan.rata_rata_capaian }} (kategori "
        "{{ ringkasan.kategori_rata_rata }}); {{ ringkasan.jumlah_melampaui_target }} indikator melampaui "
        "target. Realisasi anggaran {{ ringkasan.jumlah_kegiatan }} kegiatan sebesar "
        "{{ ringkasan.jumlah_realisasi_anggaran }} dari pagu {{ ringkasan.jumlah_pagu }} (penyerapan "
        "{{ ringkasan.penyerapan_anggaran }}).",
    )
    _loop_table(
        doc,
        ["Kategori Capaian", "Jumlah Indikator"],
        "for k in ringkasan.per_kategori",
        ["{{ k.label }}", "{{ k.jumlah }}"],
    )
    _paragraph(doc)
    _loop_table(
        doc,
        ["No", "Bidang", "Jumlah Indikator", "Rata-rata Capaian", "Kategori", "Penyerapan Anggaran"],
        "for b in bidang",
        [
            "{{ b.nomor }}",
            "{{ b.nama }}",
            "{{ b.jumlah_indikator }}",
            "{{ b.rata_rata_capaian }}",
            "{{ b.kategori_rata_rata }}",
            "{{ b.penyerapan_anggaran }}",
        ],
        total=[
            "",
            "Keseluruhan",
            "{{ ringkasan.jumlah_indikator }}",
            "{{ ringkasan.rata_rata_capaian }}",
            "{{ ringkasan.kategori_rata_rata }}",
            "{{ ringkasan.penyerapan_anggaran }}",
        ],
    )
    _paragraph(doc, "{{ grafik }}", align=center)
    _paragraph(doc, "Gambar 1. Rata-rata capaian kinerja per Bidang, {{ periode_label }}", size=9, align=center)
    _paragraph(doc, "Aturan kategori: {{ aturan_kategori }}", size=9)

    # II. Per Bidang
    doc.add_heading("II. CAPAIAN KINERJA DAN REALISASI ANGGARAN PER BIDANG", level=1)
    _paragraph(doc, "{%p for b in bidang %}")
    doc.add_heading("2.{{ b.nomor }} {{ b.nama }}", level=2)
    _paragraph(
        doc,
        "Rata-rata capaian {{ b.rata_rata_capaian }} (kategori {{ b.kategori_rata_rata }}); "
        "penyerapan anggaran {{ b.penyerapan_anggaran }}.",
    )
    _paragraph(doc, "a. Capaian kinerja", bold=True)
    _loop_table(
        doc,
        ["Kode", "Indikator", "Satuan", "Target", "Realisasi", "Capaian", "Kategori"],
        "for i in b.indikator",
        [
            "{{ i.kode }}",
            "{{ i.indikator }}",
            "{{ i.satuan }}",
            "{{ i.target }}",
            "{{ i.realisasi }}",
            "{{ i.capaian }}",
            "{{ i.kategori }}",
        ],
    )
    _paragraph(doc, "b. Realisasi anggaran", bold=True)
    _loop_table(
        doc,
        ["Kode Kegiatan", "Kegiatan", "Pagu", "Realisasi", "Penyerapan"],
        "for k in b.anggaran",
        [
            "{{ k.kode_kegiatan }}",
            "{{ k.kegiatan }}",
            "{{ k.pagu }}",
            "{{ k.realisasi }}",
            "{{ k.penyerapan }}",
        ],
        total=[
            "",
            "Jumlah",
            "{{ b.jumlah_pagu }}",
            "{{ b.jumlah_realisasi_anggaran }}",
            "{{ b.penyerapan_anggaran }}",
        ],
    )
    _paragraph(doc, "Catatan Bidang: {{ b.catatan_isian }}", size=9)
    _paragraph(doc, "{%p endfor %}")
    _paragraph(doc, "* capaian melampaui target (di atas 100%).", size=9)

    # III. Monitoring
    doc.add_heading("III. HASIL MONITORING", level=1)
    _paragraph(doc, "{%p if not ada_monitoring %}")
    _paragraph(doc, "Hasil monitoring (Blanko Monev) belum tersedia.")
    _paragraph(doc, "{%p endif %}")
    _paragraph(doc, "{%p for b in bidang %}")
    doc.add_heading("3.{{ b.nomor }} {{ b.nama }}", level=2)
    _pair_table(
        doc,
        [
            ("Tanggal kunjungan", "{{ b.monitoring.tanggal_kunjungan }}"),
            ("Petugas monitoring", "{{ b.monitoring.petugas_monev }}"),
            ("Kendala/permasalahan", "{{ b.monitoring.kendala }}"),
            ("Faktor pendorong", "{{ b.monitoring.faktor_pendorong }}"),
            ("Faktor penghambat", "{{ b.monitoring.faktor_penghambat }}"),
            ("Rencana tindak lanjut", "{{ b.monitoring.rencana_tindak_lanjut }}"),
        ],
    )
    _paragraph(doc, "{%p endfor %}")

    # IV. Analisis
    doc.add_heading("IV. ANALISIS DAN TINDAK LANJUT", level=1)
    _paragraph(doc, "{%p if ada_analisis %}")
    _paragraph(doc, "{%p if perbandingan %}")
    _paragraph(
        doc,
        "Dibandingkan {{ perbandingan.label_sebelumnya }}, rata-rata capaian kinerja berubah dari "
        "{{ perbandingan.rata_rata_capaian_sebelumnya }} menjadi {{ perbandingan.rata_rata_capaian }} "
        "({{ perbandingan.selisih_capaian }} poin); penyerapan anggaran berubah "
        "{{ perbandingan.selisih_penyerapan }} poin.",
    )
    _loop_table(
        doc,
        ["Bidang", "{{ perbandingan.label_sebelumnya }}", "{{ periode_label }}", "Selisih (poin)"],
        "for p in perbandingan.per_bidang",
        ["{{ p.bidang }}", "{{ p.sebelumnya }}", "{{ p.sekarang }}", "{{ p.selisih }}"],
    )
    _paragraph(doc, "{%p else %}")
    _paragraph(doc, "{{ catatan_perbandingan }}")
    _paragraph(doc, "{%p endif %}")
    _paragraph(doc, "Indikator yang perlu ditindaklanjuti:", bold=True)
    _paragraph(doc, "{%p if tindak_lanjut_indikator %}")
    _loop_table(
        doc,
        ["Bidang", "Kode", "Indikator", "Capaian", "Kategori", "Alasan"],
        "for t in tindak_lanjut_indikator",
        [
            "{{ t.bidang }}",
            "{{ t.kode }}",
            "{{ t.indikator }}",
            "{{ t.capaian }}",
            "{{ t.kategori }}",
            "{{ t.alasan }}",
        ],
    )
    _paragraph(doc, "{%p else %}")
    _paragraph(doc, "Tidak ada indikator yang memerlukan tindak lanjut khusus.")
    _paragraph(doc, "{%p endif %}")
    _paragraph(doc, "Kegiatan dengan penyerapan anggaran rendah:", bold=True)
    _paragraph(doc, "{%p if tindak_lanjut_kegiatan %}")
    _loop_table(
        doc,
        ["Bidang", "Kode Kegiatan", "Kegiatan", "Penyerapan", "Alasan"],
        "for t in tindak_lanjut_kegiatan",
        [
            "{{ t.bidang }}",
            "{{ t.kode_kegiatan }}",
            "{{ t.kegiatan }}",
            "{{ t.penyerapan }}",
            "{{ t.alasan }}",
        ],
    )
    _paragraph(doc, "{%p else %}")
    _paragraph(doc, "Tidak ada kegiatan dengan penyerapan anggaran di bawah batas.")
    _paragraph(doc, "{%p endif %}")
    _paragraph(doc, "{%p else %}")
    _paragraph(
        doc,
        "Analisis perbandingan dan daftar tindak lanjut disusun pada langkah 8 (mengolah dan menganalisa "
        "data dan informasi hasil) dan dimuat pada draf revisi serta dokumen final.",
    )
    _paragraph(doc, "{%p endif %}")

    # V. Catatan
    doc.add_heading("V. CATATAN PEMBAHASAN, PERBAIKAN DAN VERIFIKASI", level=1)
    _pair_table(
        doc,
        [
            ("Disposisi Sekretaris", "{{ catatan.disposisi }}"),
            ("Catatan pembahasan", "{{ catatan.catatan_pembahasan }}"),
            ("Catatan perbaikan", "{{ catatan.catatan_perbaikan }}"),
            ("Catatan verifikasi Kepala Dinas", "{{ catatan.catatan_verifikasi }}"),
            ("Putaran revisi", "{{ catatan.putaran_revisi }}"),
        ],
    )

    # Signature
    _paragraph(doc)
    indent = Cm(9)
    _paragraph(doc, "{{ kota }}, {{ tanggal_dokumen }}", indent=indent)
    _paragraph(doc, "{{ penandatangan.jabatan }}", bold=True, indent=indent)
    for _ in range(3):
        _paragraph(doc, indent=indent)
    _paragraph(doc, "{{ penandatangan.nama }}", bold=True, indent=indent)
    _paragraph(doc, "NIP. {{ penandatangan.nip }}", indent=indent)

    properties = doc.core_properties
    properties.title = "{{ judul }}"
    properties.author = "sopflow"
    properties.last_modified_by = "sopflow"
    properties.created = properties.modified = FIXED_TIME
    properties.revision = 1
    buffer = io.BytesIO()
    doc.save(buffer)
    return reproducible_zip(buffer.getvalue())


def reproducible_zip(data: bytes) -> bytes:
    """Return the same zip with fixed entry timestamps, so rebuilding gives identical bytes."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


if __name__ == "__main__":
    OUTPUT.write_bytes(build())
    print(f"wrote {OUTPUT}")
