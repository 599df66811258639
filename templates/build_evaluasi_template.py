"""Build the docxtpl template ``laporan_evaluasi_kinerja.docx`` (SOP Penyusunan Laporan Evaluasi Kinerja).

Run ``python templates/build_evaluasi_template.py`` after changing this file; like
``build_templates.py`` (whose paragraph, table, field and zip helpers it reuses) the output is
byte-for-byte reproducible. The Jinja tags are what :mod:`handlers.render_evaluasi_docx` fills.

Structure: cover (logo, office, title, year, "DATA CONTOH" and "DRAF" bands), daftar isi,
BAB I Pendahuluan (latar belakang, dasar hukum, maksud dan tujuan, sumber data: the four
quarterly monev cases), BAB II Capaian Kinerja Tahunan (summary, bands, one table per Bidang
with the annual capaian of each indicator), BAB III Analisis Tren (trend chart TW I-IV,
trend table, the Bidang's explanations), BAB IV Penutup (kesimpulan, rekomendasi, signature).
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from build_templates import (  # noqa: E402
    FIXED_TIME,
    TEXT_WIDTH,
    _band,
    _field,
    _header_footer,
    _loop_table,
    _pair_table,
    _paragraph,
    _settings,
    _styles,
    reproducible_zip,
)

OUTPUT = HERE / "laporan_evaluasi_kinerja.docx"

#: Fixed chapters: bookmark -> (level, text); the daftar isi lists them with PAGEREF page numbers.
BAB = {
    "bab1": (1, "BAB I PENDAHULUAN"),
    "bab1_1": (2, "1.1 Latar Belakang"),
    "bab1_2": (2, "1.2 Dasar Hukum"),
    "bab1_3": (2, "1.3 Maksud dan Tujuan"),
    "bab1_4": (2, "1.4 Sumber Data"),
    "bab2": (1, "BAB II CAPAIAN KINERJA TAHUNAN"),
    "bab2_1": (2, "2.1 Ringkasan Capaian Tahunan"),
    "bab2_2": (2, "2.2 Capaian Tahunan per Bidang"),
    "bab3": (1, "BAB III ANALISIS TREN TRIWULAN I–IV"),
    "bab3_1": (2, "3.1 Tren Capaian per Bidang"),
    "bab3_2": (2, "3.2 Tren Capaian per Indikator"),
    "bab3_3": (2, "3.3 Penjelasan Bidang"),
    "bab4": (1, "BAB IV PENUTUP"),
    "bab4_1": (2, "4.1 Kesimpulan"),
    "bab4_2": (2, "4.2 Rekomendasi"),
}


def _heading(doc, key: str) -> None:
    """Add a fixed chapter heading with its bookmark (target of the daftar isi's PAGEREF)."""
    level, text = BAB[key]
    paragraph = doc.add_heading(level=level)
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), str(list(BAB).index(key) + 1))
    start.set(qn("w:name"), key)
    paragraph._p.append(start)
    paragraph.add_run(text)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), str(list(BAB).index(key) + 1))
    paragraph._p.append(end)


def _toc(doc) -> None:
    for bookmark, (level, text) in BAB.items():
        paragraph = doc.add_paragraph()
        paragraph.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
        paragraph.paragraph_format.space_after = Pt(2)
        if level == 2:
            paragraph.paragraph_format.left_indent = Cm(0.8)
        paragraph.add_run(text).bold = level == 1
        paragraph.add_run("\t")
        _field(paragraph, f"PAGEREF {bookmark} \\h", "-", bold=level == 1)


def _numbered(doc, loop: str, text: str) -> None:
    """A numbered list from a ``{%p for %}`` loop (hanging indent)."""
    _paragraph(doc, f"{{%p for {loop} %}}")
    item = _paragraph(doc, "{{ loop.index }}.\t" + text)
    item.paragraph_format.left_indent = Cm(0.75)
    item.paragraph_format.first_line_indent = Cm(-0.75)
    item.paragraph_format.tab_stops.add_tab_stop(Cm(0.75))
    _paragraph(doc, "{%p endfor %}")


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
    _paragraph(doc, "TAHUN {{ tahun }}", bold=True, size=14, align=center)
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
        "Dokumen ini belum disetujui Kepala Dinas dan belum berlaku sebagai laporan resmi.",
        size=10,
        align=center,
        color="C00000",
    )
    _paragraph(doc, "{%p endif %}")
    _paragraph(doc, "Status dokumen: {{ status_dokumen }}", align=center)
    _paragraph(
        doc, "Disusun menurut SOP Nomor {{ nomor_sop }} (Penyusunan Laporan Evaluasi Kinerja)", size=9, align=center
    )
    _paragraph(doc, "{{ kota }}, {{ tanggal_dokumen }}", align=center)


def _bab1(doc) -> None:
    _heading(doc, "bab1")
    _heading(doc, "bab1_1")
    _paragraph(
        doc,
        "Evaluasi kinerja merupakan bagian dari Sistem Akuntabilitas Kinerja Instansi Pemerintah. Setiap triwulan "
        "{{ instansi.nama }} memantau capaian kinerjanya melalui monitoring/evaluasi internal; pada akhir tahun "
        "hasil keempat triwulan tersebut dihimpun dan dievaluasi untuk menilai capaian target tahunan Rencana "
        "Kerja tahun {{ tahun }} dan menjadi dasar perbaikan perencanaan tahun berikutnya.",
    )
    _heading(doc, "bab1_2")
    _numbered(doc, "d in dasar_hukum", "{{ d }}")
    _heading(doc, "bab1_3")
    _paragraph(
        doc,
        "Maksud evaluasi ini adalah menilai capaian kinerja tahunan setiap Bidang. Tujuannya: mengukur capaian "
        "setiap indikator terhadap target tahunannya, melihat tren capaian dari Triwulan I sampai Triwulan IV, "
        "dan menetapkan rekomendasi perbaikan bagi perencanaan tahun berikutnya.",
    )
    _heading(doc, "bab1_4")
    _paragraph(
        doc,
        "Data evaluasi berasal dari empat kasus Monitoring/Evaluasi Internal Capaian Kinerja tahun {{ tahun }} "
        "yang telah selesai dan diarsipkan. Capaian tahunan suatu indikator adalah capaiannya pada Triwulan IV, "
        "yaitu realisasi kumulatif sampai akhir tahun dibandingkan target tahunan.",
    )
    _loop_table(
        doc,
        ["Periode", "Nomor kasus", "Dokumen arsip"],
        "for s in sumber",
        ["{{ s.periode }}", "{{ s.case_id }}", "{{ s.dokumen }}"],
    )


def _bab2(doc) -> None:
    _heading(doc, "bab2")
    _heading(doc, "bab2_1")
    _pair_table(
        doc,
        [
            ("Jumlah indikator", "{{ ringkasan.jumlah_indikator }}"),
            ("Rata-rata capaian tahunan", "{{ ringkasan.rata_rata_capaian }}"),
            ("Kategori", "{{ ringkasan.kategori }}"),
            ("Indikator melampaui target", "{{ ringkasan.jumlah_melampaui_target }}"),
            ("Pagu anggaran", "{{ ringkasan.jumlah_pagu }}"),
            ("Realisasi anggaran", "{{ ringkasan.jumlah_realisasi }}"),
            ("Penyerapan anggaran", "{{ ringkasan.penyerapan }}"),
        ],
    )
    _paragraph(doc, "Sebaran indikator menurut kategori capaian tahunan:")
    _loop_table(
        doc,
        ["Kategori", "Rentang capaian", "Jumlah indikator"],
        "for k in kategori",
        ["{{ k.label }}", "{{ k.rentang }}", "{{ k.jumlah }}"],
        numeric={2},
    )
    _paragraph(doc, "{{ aturan_kategori }}", size=9)
    _heading(doc, "bab2_2")
    _paragraph(doc, "{%p for b in per_bidang %}")
    _paragraph(doc, "{{ b.nomor }}. {{ b.bidang }}", bold=True)
    _paragraph(
        doc,
        "Rata-rata capaian tahunan {{ b.rata_rata_capaian }} (kategori {{ b.kategori }}) dari "
        "{{ b.jumlah_indikator }} indikator.",
    )
    _loop_table(
        doc,
        ["Kode", "Indikator", "Satuan", "Target", "Realisasi", "Capaian tahunan", "Kategori"],
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
    _paragraph(doc, "{%p endfor %}")


def _bab3(doc) -> None:
    _heading(doc, "bab3")
    _heading(doc, "bab3_1")
    _paragraph(doc, "{{ grafik_tren }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    _loop_table(
        doc,
        ["Bidang", "TW I", "TW II", "TW III", "TW IV"],
        "for b in per_bidang",
        ["{{ b.bidang }}", "{{ b.tw[0] }}", "{{ b.tw[1] }}", "{{ b.tw[2] }}", "{{ b.tw[3] }}"],
        total=["Rata-rata Dinas", "{{ tw_dinas[0] }}", "{{ tw_dinas[1] }}", "{{ tw_dinas[2] }}", "{{ tw_dinas[3] }}"],
        numeric={1, 2, 3, 4},
    )
    _heading(doc, "bab3_2")
    _paragraph(
        doc,
        "Capaian kumulatif setiap indikator per triwulan; perubahan adalah selisih capaian Triwulan IV dan "
        "Triwulan I (poin persen).",
    )
    _loop_table(
        doc,
        ["Kode", "TW I", "TW II", "TW III", "TW IV", "Perubahan", "Tren"],
        "for i in indikator",
        [
            "{{ i.kode }}",
            "{{ i.tw[0] }}",
            "{{ i.tw[1] }}",
            "{{ i.tw[2] }}",
            "{{ i.tw[3] }}",
            "{{ i.perubahan }}",
            "{{ i.arah }}",
        ],
        numeric={1, 2, 3, 4, 5},
    )
    _heading(doc, "bab3_3")
    _loop_table(
        doc,
        ["Bidang", "Faktor keberhasilan", "Faktor kegagalan/hambatan", "Rencana perbaikan"],
        "for k in klarifikasi",
        ["{{ k.bidang }}", "{{ k.faktor_keberhasilan }}", "{{ k.faktor_kegagalan }}", "{{ k.rencana_perbaikan }}"],
    )


def _bab4(doc) -> None:
    _heading(doc, "bab4")
    _heading(doc, "bab4_1")
    _numbered(doc, "k in kesimpulan", "{{ k }}")
    _heading(doc, "bab4_2")
    _numbered(doc, "r in rekomendasi", "{{ r }}")
    _paragraph(
        doc,
        "Demikian Laporan Evaluasi Kinerja Tahunan {{ tahun }} ini disusun sebagai bahan pertanggungjawaban "
        "kinerja dan perbaikan perencanaan tahun berikutnya.",
    )
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
    properties = doc.core_properties
    properties.title = "{{ judul }}"
    properties.author = "sopflow"
    properties.last_modified_by = "sopflow"
    properties.created = properties.modified = FIXED_TIME
    properties.revision = 1
    buffer = io.BytesIO()
    doc.save(buffer)
    return reproducible_zip(buffer.getvalue())


if __name__ == "__main__":
    OUTPUT.write_bytes(build())
    print(f"wrote {OUTPUT}")
