"""Build the docxtpl report template ``laporan_monev_kinerja.docx`` and the sample logo, with python-docx.

Run ``python templates/build_templates.py`` after changing this file; the output is
byte-for-byte reproducible (fixed document properties and zip timestamps), so the
committed .docx changes only when this script does. The Jinja tags below are what
:mod:`handlers.laporan_konteks` fills: ``{%p ... %}`` tags stand alone in their
paragraph, ``{%tr ... %}`` tags in their own table row (docxtpl conventions).

The report follows the structure of an Indonesian government report: cover (logo,
office, title, periode, a "DATA CONTOH" band for sample data), daftar isi (the fixed
chapters with PAGEREF page numbers, see :func:`_toc`), BAB I Pendahuluan, BAB II
Hasil Monitoring, BAB III Analisis Capaian, BAB IV Penutup with the signature block,
and the lampiran (Rekap Data Kinerja). The footer carries "Halaman x dari y" (PAGE and
NUMPAGES fields). Column widths are set again from the content when the report is
rendered (:mod:`handlers.docx_kolom`).

``logo_instansi_contoh.png`` is the neutral placeholder logo of the sample configuration
(``instansi.logo``); an office puts its own image next to the template and names it there.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor
from docx.table import Table

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "laporan_monev_kinerja.docx"
LOGO_OUTPUT = HERE / "logo_instansi_contoh.png"
FIXED_TIME = datetime(2026, 1, 1)
TABLE_PT = 9  # table text size
TEXT_WIDTH = Cm(16)  # A4 minus 2.5 cm margins

# Fixed chapters: (level, text, bookmark). The daftar isi lists them before any update.
BAB = {
    "bab1": (1, "BAB I PENDAHULUAN"),
    "bab1_1": (2, "1.1 Latar Belakang"),
    "bab1_2": (2, "1.2 Dasar Hukum"),
    "bab1_3": (2, "1.3 Maksud dan Tujuan"),
    "bab1_4": (2, "1.4 Ruang Lingkup"),
    "bab2": (1, "BAB II HASIL MONITORING"),
    "bab2_1": (2, "2.1 Ringkasan Capaian Kinerja"),
    "bab2_2": (2, "2.2 Hasil Monitoring per Bidang"),
    "bab3": (1, "BAB III ANALISIS CAPAIAN"),
    "bab3_1": (2, "3.1 Kategori Capaian"),
    "bab3_2": (2, "3.2 Perbandingan dengan Periode Sebelumnya"),
    "bab3_3": (2, "3.3 Tindak Lanjut"),
    "bab4": (1, "BAB IV PENUTUP"),
    "bab4_1": (2, "4.1 Kesimpulan"),
    "bab4_2": (2, "4.2 Rekomendasi"),
    "lampiran": (1, "LAMPIRAN REKAP DATA KINERJA"),
}


def _paragraph(doc, text: str = "", *, bold=False, size=None, align=None, color=None, style=None, indent=None):
    paragraph = doc.add_paragraph(style=style)
    if text:
        run = paragraph.add_run(text)
        run.bold = bold
        if size:
            run.font.size = Pt(size)
        if color:
            run.font.color.rgb = RGBColor.from_string(color)
    if align is not None:
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


def _cell_text(cell, text: str, *, bold: bool = False, align=None) -> None:
    cell.text = ""
    paragraph = cell.paragraphs[0]
    run = paragraph.add_run(text)
    run.bold = bold
    run.font.size = Pt(TABLE_PT)
    paragraph.paragraph_format.space_after = Pt(0)
    if align is not None:
        paragraph.alignment = align


def _repeat_header(row) -> None:
    """Mark a table row as header row: repeated at the top of each page the table crosses."""
    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def _loop_table(
    doc,
    headers: list[str],
    loop: str,
    cells: list[str],
    total: list[str] | None = None,
    numeric: set[int] = frozenset(),
) -> Table:
    """Add a table: header row, ``{%tr for %}`` row, data row, ``{%tr endfor %}`` row, optional total row.

    Columns listed in ``numeric`` are right-aligned.
    """
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, header in zip(table.rows[0].cells, headers, strict=True):
        _cell_text(cell, header, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
        _shade(cell)
    _repeat_header(table.rows[0])
    table.add_row().cells[0].text = f"{{%tr {loop} %}}"
    for index, (cell, text) in enumerate(zip(table.add_row().cells, cells, strict=True)):
        _cell_text(cell, text, align=WD_ALIGN_PARAGRAPH.RIGHT if index in numeric else None)
    table.add_row().cells[0].text = "{%tr endfor %}"
    if total:
        for index, (cell, text) in enumerate(zip(table.add_row().cells, total, strict=True)):
            _cell_text(cell, text, bold=True, align=WD_ALIGN_PARAGRAPH.RIGHT if index in numeric else None)
            _shade(cell, "F2F2F2")
    _paragraph(doc).paragraph_format.space_after = Pt(0)
    return table


def _pair_table(doc, rows: list[tuple[str, str]]) -> Table:
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in rows:
        cells = table.add_row().cells
        _cell_text(cells[0], label, bold=True)
        _shade(cells[0], "F2F2F2")
        _cell_text(cells[1], value)
    _paragraph(doc).paragraph_format.space_after = Pt(0)
    return table


def _band(doc, text: str, fill: str, size: int = 14) -> None:
    """A full-width shaded one-cell table: the cover's "DATA CONTOH" and "DRAF" marks."""
    table = doc.add_table(rows=1, cols=1)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    cell = table.rows[0].cells[0]
    cell.text = ""
    paragraph = cell.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    run.bold = True
    run.font.size = Pt(size)
    run.font.color.rgb = RGBColor.from_string("FFFFFF")
    _shade(cell, fill)


def _field(paragraph, instruction: str, placeholder: str, *, bold: bool = False, size: int | None = None) -> None:
    """Append a complex field (``PAGE``, ``NUMPAGES``, ``PAGEREF x``) with a stored result."""

    def run_with(child) -> None:
        run = paragraph.add_run()
        run.bold = bold
        if size:
            run.font.size = Pt(size)
        run._r.append(child)

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run_with(begin)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run_with(instr)
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    run_with(separate)
    result = paragraph.add_run(placeholder)
    result.bold = bold
    if size:
        result.font.size = Pt(size)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(end)


def _toc(doc) -> None:
    """Daftar isi: one line per fixed chapter, its page number a PAGEREF field to the chapter's bookmark.

    Measured with LibreOffice 7.4: the result stored in a Word ``TOC`` field is printed as
    stored (headless conversion never updates an index), so a TOC field would show blank or
    stale page numbers in the PDF the Kepala Dinas signs. PAGEREF fields are computed at
    layout by LibreOffice and by Word (``w:updateFields`` asks Word to refresh them on opening).
    """
    for bookmark, (level, text) in BAB.items():
        paragraph = doc.add_paragraph()
        paragraph.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
        paragraph.paragraph_format.space_after = Pt(2)
        if level == 2:
            paragraph.paragraph_format.left_indent = Cm(0.8)
        paragraph.add_run(text).bold = level == 1
        paragraph.add_run("\t")
        _field(paragraph, f"PAGEREF {bookmark} \\h", "-", bold=level == 1)


def _heading(doc, key: str, page_break: bool = True) -> None:
    """Add a fixed chapter heading with its bookmark (target of the daftar isi's PAGEREF)."""
    level, text = BAB[key]
    paragraph = doc.add_heading(level=level)
    if not page_break:
        paragraph.paragraph_format.page_break_before = False
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), str(list(BAB).index(key) + 1))
    start.set(qn("w:name"), key)
    paragraph._p.append(start)
    paragraph.add_run(text)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), str(list(BAB).index(key) + 1))
    paragraph._p.append(end)


def _styles(doc) -> None:
    normal = doc.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(11)
    normal.paragraph_format.space_after = Pt(6)
    # Indonesian text: set the language (spelling, and no English hyphenation rules)
    rpr = normal.element.get_or_add_rPr()
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "id-ID")
    rpr.append(lang)
    for name, size, align, before in (
        ("Heading 1", 13, WD_ALIGN_PARAGRAPH.CENTER, 0),
        ("Heading 2", 11, WD_ALIGN_PARAGRAPH.LEFT, 12),
    ):
        style = doc.styles[name]
        style.font.name = "Arial"
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.italic = False
        style.font.color.rgb = RGBColor.from_string("000000")
        style.paragraph_format.alignment = align
        style.paragraph_format.space_before = Pt(before)
        style.paragraph_format.space_after = Pt(8)
        # the theme's heading font would override "Arial": remove the theme font attributes
        fonts = style.element.rPr.find(qn("w:rFonts"))
        for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attribute), None)
    doc.styles["Heading 1"].paragraph_format.page_break_before = True


def _settings(doc) -> None:
    """Ask Word to update fields (the daftar isi) on opening; no automatic hyphenation."""
    settings = doc.settings.element
    compat = settings.find(qn("w:compat"))
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    compat.addprevious(update)
    hyphenation = OxmlElement("w:autoHyphenation")
    hyphenation.set(qn("w:val"), "false")
    settings.find(qn("w:defaultTabStop")).addnext(hyphenation)


def _header_footer(section) -> None:
    header = section.header.paragraphs[0]
    header.text = "{{ label_header }}"
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    header.runs[0].font.size = Pt(8)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = footer.add_run("Halaman ")
    run.font.size = Pt(9)
    _field(footer, "PAGE", "1", size=9)
    footer.add_run(" dari ").font.size = Pt(9)
    _field(footer, "NUMPAGES", "1", size=9)
    second = section.footer.add_paragraph()
    second.alignment = WD_ALIGN_PARAGRAPH.CENTER
    second.add_run("{{ judul_singkat }}").font.size = Pt(8)


def _cover(doc) -> None:
    center = WD_ALIGN_PARAGRAPH.CENTER
    _paragraph(doc, "{%p if logo %}")
    _paragraph(doc, "{{ logo }}", align=center)
    _paragraph(doc, "{%p endif %}")
    _paragraph(doc, "{{ instansi.pemerintah|upper }}", bold=True, size=14, align=center)
    _paragraph(doc, "{{ instansi.nama|upper }}", bold=True, size=14, align=center)
    _paragraph(doc, "{{ instansi.alamat }}", size=9, align=center)
    for _ in range(2):
        _paragraph(doc)
    _paragraph(doc, "{{ judul }}", bold=True, size=18, align=center)
    _paragraph(doc, "{{ periode_label }}", bold=True, size=14, align=center)
    _paragraph(doc)
    _paragraph(doc, "{%p if data_contoh %}")
    _band(doc, "DATA CONTOH", "C00000", size=20)
    _paragraph(
        doc,
        "Laporan ini disusun dari data contoh untuk demonstrasi dan pengujian; angka di dalamnya bukan data resmi.",
        size=9,
        align=center,
        color="C00000",
    )
    _paragraph(doc, "{%p endif %}")
    _paragraph(doc, "{%p if draft %}")
    _band(doc, "DRAF", "7F7F7F", size=28)
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


def _bab1(doc) -> None:
    _heading(doc, "bab1")
    _heading(doc, "bab1_1")
    _paragraph(
        doc,
        "Pengukuran dan pengendalian kinerja merupakan bagian dari Sistem Akuntabilitas Kinerja Instansi "
        "Pemerintah. {{ instansi.nama }} melaksanakan monitoring dan evaluasi internal capaian kinerja setiap "
        "triwulan untuk memastikan target kinerja dan anggaran dalam Rencana Kerja tahun {{ tahun }} tercapai, "
        "serta untuk menemukan sedini mungkin kendala yang perlu ditindaklanjuti.",
    )
    _paragraph(
        doc,
        "Laporan ini menyajikan hasil monitoring dan evaluasi {{ periode_label }} yang dilaksanakan menurut "
        "SOP Nomor {{ nomor_sop }} tentang Monitoring/Evaluasi Internal Capaian Kinerja.",
    )
    _heading(doc, "bab1_2")
    _paragraph(doc, "{%p for d in dasar_hukum %}")
    item = _paragraph(doc, "{{ loop.index }}.\t{{ d }}")
    item.paragraph_format.left_indent = Cm(0.75)
    item.paragraph_format.first_line_indent = Cm(-0.75)
    item.paragraph_format.tab_stops.add_tab_stop(Cm(0.75))
    _paragraph(doc, "{%p endfor %}")
    _heading(doc, "bab1_3")
    _paragraph(
        doc,
        "Maksud monitoring dan evaluasi ini adalah mengetahui capaian kinerja dan realisasi anggaran setiap "
        "Bidang sampai dengan {{ periode_label }}. Tujuannya:",
    )
    for number, text in enumerate(
        (
            "mengukur capaian setiap indikator kinerja terhadap targetnya dan penyerapan anggaran kegiatan;",
            "mengidentifikasi kendala, faktor pendorong dan faktor penghambat di setiap Bidang;",
            "menetapkan indikator dan kegiatan yang memerlukan tindak lanjut;",
            "menjadi bahan pengambilan keputusan pimpinan dan penyusunan laporan kinerja.",
        ),
        start=1,
    ):
        item = _paragraph(doc, f"{'abcd'[number - 1]}.\t{text}")
        item.paragraph_format.left_indent = Cm(0.75)
        item.paragraph_format.first_line_indent = Cm(-0.75)
        item.paragraph_format.tab_stops.add_tab_stop(Cm(0.75))
    _heading(doc, "bab1_4")
    _paragraph(
        doc,
        "Monitoring mencakup {{ ringkasan.jumlah_indikator }} indikator kinerja dan "
        "{{ ringkasan.jumlah_kegiatan }} kegiatan pada {{ ringkasan.jumlah_bidang }} Bidang, dengan data "
        "realisasi kumulatif sampai dengan {{ periode_label }} yang diisi setiap Bidang pada lembar isian "
        "dan diolah menjadi Rekap Data Kinerja (lampiran).",
    )


def _bab2(doc) -> None:
    center = WD_ALIGN_PARAGRAPH.CENTER
    _heading(doc, "bab2")
    _heading(doc, "bab2_1")
    _paragraph(
        doc,
        "Rata-rata capaian kinerja {{ periode_label }} adalah {{ ringkasan.rata_rata_capaian }} (kategori "
        "{{ ringkasan.kategori_rata_rata }}); {{ ringkasan.jumlah_melampaui_target }} indikator melampaui "
        "target. Realisasi anggaran {{ ringkasan.jumlah_kegiatan }} kegiatan sebesar "
        "{{ ringkasan.jumlah_realisasi_anggaran }} dari pagu {{ ringkasan.jumlah_pagu }} (penyerapan "
        "{{ ringkasan.penyerapan_anggaran }}).",
    )
    _paragraph(doc, "Tabel 1. Capaian kinerja dan penyerapan anggaran per Bidang", bold=True, size=9)
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
        numeric={0, 2, 3, 5},
    )
    _paragraph(doc, "{{ grafik }}", align=center)
    _paragraph(doc, "Gambar 1. Rata-rata capaian kinerja per Bidang, {{ periode_label }}", size=9, align=center)

    _heading(doc, "bab2_2")
    _paragraph(doc, "{%p if not ada_monitoring %}")
    _paragraph(doc, "Hasil monitoring lapangan (Blanko Monev) belum tersedia.")
    _paragraph(doc, "{%p endif %}")
    _paragraph(doc, "{%p for b in bidang %}")
    _paragraph(doc, "2.2.{{ b.nomor }} Bidang {{ b.nama }}", bold=True)
    _paragraph(
        doc,
        "Rata-rata capaian {{ b.rata_rata_capaian }} (kategori {{ b.kategori_rata_rata }}) dari "
        "{{ b.jumlah_indikator }} indikator; penyerapan anggaran {{ b.penyerapan_anggaran }}.",
    )
    _paragraph(doc, "a. Capaian kinerja", bold=True, size=10)
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
        numeric={3, 4, 5},
    )
    _paragraph(doc, "b. Realisasi anggaran", bold=True, size=10)
    _loop_table(
        doc,
        ["Kode Kegiatan", "Kegiatan", "Pagu", "Realisasi", "Penyerapan"],
        "for k in b.anggaran",
        ["{{ k.kode_kegiatan }}", "{{ k.kegiatan }}", "{{ k.pagu }}", "{{ k.realisasi }}", "{{ k.penyerapan }}"],
        total=["", "Jumlah", "{{ b.jumlah_pagu }}", "{{ b.jumlah_realisasi_anggaran }}", "{{ b.penyerapan_anggaran }}"],
        numeric={2, 3, 4},
    )
    _paragraph(doc, "c. Hasil monitoring lapangan", bold=True, size=10)
    _pair_table(
        doc,
        [
            ("Tanggal kunjungan", "{{ b.monitoring.tanggal_kunjungan }}"),
            ("Petugas monitoring", "{{ b.monitoring.petugas_monev }}"),
            ("Kendala/permasalahan", "{{ b.monitoring.kendala }}"),
            ("Faktor pendorong", "{{ b.monitoring.faktor_pendorong }}"),
            ("Faktor penghambat", "{{ b.monitoring.faktor_penghambat }}"),
            ("Rencana tindak lanjut", "{{ b.monitoring.rencana_tindak_lanjut }}"),
            ("Catatan Bidang", "{{ b.catatan_isian }}"),
        ],
    )
    _paragraph(doc, "{%p endfor %}")
    _paragraph(doc, "Tanda * pada capaian: capaian melampaui target (di atas 100%).", size=9)


def _bab3(doc) -> None:
    _heading(doc, "bab3")
    _heading(doc, "bab3_1")
    _paragraph(doc, "Capaian setiap indikator dikelompokkan ke dalam kategori berikut.")
    _paragraph(doc, "Tabel 2. Kategori capaian dan jumlah indikator", bold=True, size=9)
    _loop_table(
        doc,
        ["Kategori Capaian", "Rentang Capaian", "Jumlah Indikator"],
        "for k in kategori",
        ["{{ k.label }}", "{{ k.rentang }}", "{{ k.jumlah }}"],
        total=["Jumlah", "", "{{ ringkasan.jumlah_indikator }}"],
        numeric={2},
    )
    _paragraph(doc, "Aturan kategori: {{ aturan_kategori }}", size=9)
    _heading(doc, "bab3_2")
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
        numeric={1, 2, 3},
    )
    _paragraph(doc, "{%p elif ada_analisis %}")
    _paragraph(doc, "{{ catatan_perbandingan }}")
    _paragraph(doc, "{%p else %}")
    _paragraph(
        doc,
        "Perbandingan dengan periode sebelumnya disusun pada langkah 8 (mengolah dan menganalisa data dan "
        "informasi hasil) dan dimuat pada draf revisi serta dokumen final.",
    )
    _paragraph(doc, "{%p endif %}")
    _heading(doc, "bab3_3")
    _paragraph(doc, "{%p if ada_analisis %}")
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
        numeric={3},
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
        ["{{ t.bidang }}", "{{ t.kode_kegiatan }}", "{{ t.kegiatan }}", "{{ t.penyerapan }}", "{{ t.alasan }}"],
        numeric={3},
    )
    _paragraph(doc, "{%p else %}")
    _paragraph(doc, "Tidak ada kegiatan dengan penyerapan anggaran di bawah batas.")
    _paragraph(doc, "{%p endif %}")
    _paragraph(doc, "{%p else %}")
    _paragraph(
        doc,
        "Daftar indikator dan kegiatan yang perlu ditindaklanjuti disusun pada langkah 8 (mengolah dan "
        "menganalisa data dan informasi hasil) dan dimuat pada draf revisi serta dokumen final.",
    )
    _paragraph(doc, "{%p endif %}")


def _bab4(doc) -> None:
    _heading(doc, "bab4")
    _heading(doc, "bab4_1")
    _paragraph(doc, "{%p for k in kesimpulan %}")
    item = _paragraph(doc, "{{ loop.index }}.\t{{ k }}")
    item.paragraph_format.left_indent = Cm(0.75)
    item.paragraph_format.first_line_indent = Cm(-0.75)
    item.paragraph_format.tab_stops.add_tab_stop(Cm(0.75))
    _paragraph(doc, "{%p endfor %}")
    _heading(doc, "bab4_2")
    _paragraph(doc, "{%p for r in rekomendasi %}")
    item = _paragraph(doc, "{{ loop.index }}.\t{{ r }}")
    item.paragraph_format.left_indent = Cm(0.75)
    item.paragraph_format.first_line_indent = Cm(-0.75)
    item.paragraph_format.tab_stops.add_tab_stop(Cm(0.75))
    _paragraph(doc, "{%p endfor %}")
    _paragraph(
        doc,
        "Demikian laporan monitoring dan evaluasi internal capaian kinerja {{ periode_label }} ini disusun "
        "sebagai bahan pengendalian kinerja dan pengambilan keputusan pimpinan.",
    )
    # Signature block: name, NIP and title of the signer from the user record; kept on one page
    indent = Cm(8.5)
    block = [_paragraph(doc), _paragraph(doc, "{{ kota }}, {{ tanggal_dokumen }}", indent=indent)]
    block.append(_paragraph(doc, "{{ penandatangan.jabatan }},", bold=True, indent=indent))
    block += [_paragraph(doc, indent=indent) for _ in range(3)]
    name = _paragraph(doc, "{{ penandatangan.nama }}", bold=True, indent=indent)
    name.runs[0].underline = True
    name.paragraph_format.space_after = Pt(0)
    block.append(name)
    _paragraph(doc, "NIP. {{ penandatangan.nip }}", indent=indent)
    for paragraph in block:
        paragraph.paragraph_format.keep_with_next = True


def _lampiran(doc) -> None:
    _heading(doc, "lampiran", page_break=False)  # the landscape section already starts a page
    _paragraph(
        doc,
        "Rekap Data Kinerja {{ periode_label }}: capaian setiap indikator semua Bidang. Rekap lengkap per "
        "Bidang, termasuk realisasi anggaran setiap kegiatan, tersedia sebagai berkas {{ berkas_rekap }}.",
    )
    _loop_table(
        doc,
        ["Bidang", "Kode", "Indikator", "Satuan", "Target", "Realisasi", "Capaian", "Kategori"],
        "for i in lampiran_indikator",
        [
            "{{ i.bidang }}",
            "{{ i.kode }}",
            "{{ i.indikator }}",
            "{{ i.satuan }}",
            "{{ i.target }}",
            "{{ i.realisasi }}",
            "{{ i.capaian }}",
            "{{ i.kategori }}",
        ],
        numeric={4, 5, 6},
    )


def build() -> bytes:
    """Return the template bytes."""
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin = section.bottom_margin = Cm(2.5)
    _styles(doc)
    _settings(doc)
    _header_footer(section)

    _cover(doc)
    contents = _paragraph(doc, "DAFTAR ISI", bold=True, size=13, align=WD_ALIGN_PARAGRAPH.CENTER)
    contents.paragraph_format.page_break_before = True
    _toc(doc)
    _bab1(doc)
    _bab2(doc)
    _bab3(doc)
    _bab4(doc)
    # the lampiran's wide table gets a landscape page (header and footer continue)
    lampiran = doc.add_section(WD_SECTION.NEW_PAGE)
    lampiran.orientation = WD_ORIENT.LANDSCAPE
    lampiran.page_width, lampiran.page_height = Mm(297), Mm(210)
    _lampiran(doc)

    properties = doc.core_properties
    properties.title = "{{ judul }}"
    properties.author = "sopflow"
    properties.last_modified_by = "sopflow"
    properties.created = properties.modified = FIXED_TIME
    properties.revision = 1
    buffer = io.BytesIO()
    doc.save(buffer)
    return reproducible_zip(buffer.getvalue())


def build_logo() -> bytes:
    """Return the neutral placeholder logo (PNG): a grey shield outline with "LOGO", no real emblem."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (240, 280), "white")
    draw = ImageDraw.Draw(image)
    shield = [(20, 20), (220, 20), (220, 150), (120, 260), (20, 150)]
    draw.polygon(shield, outline=(128, 128, 128), width=8)
    for y, width in ((95, 110), (125, 80), (155, 50)):
        draw.line([(120 - width // 2, y), (120 + width // 2, y)], fill=(160, 160, 160), width=10)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


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
    LOGO_OUTPUT.write_bytes(build_logo())
    print(f"wrote {OUTPUT} and {LOGO_OUTPUT}")
