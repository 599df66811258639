"""Steps 7/10/12: the report opens and carries the period, every Bidang, figures, chart and signature."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pytest
from docx import Document

from handlers.analyse_achievement import analyse_achievement
from handlers.render_report_docx import render_report_docx
from sopflow.plugins import HandlerError

PERIODE = "2026-TW3"
ROOT = Path(__file__).resolve().parents[2]


def all_text(document) -> str:
    """Body paragraphs, every table cell, headers and footers, joined by newlines."""
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    for section in document.sections:
        parts += [p.text for p in section.header.paragraphs + section.footer.paragraphs]
    return "\n".join(parts)


def render(ctx, files, **params):
    ref = render_report_docx({"periode": PERIODE, **params}, ctx)
    return ref, Document(io.BytesIO(files.get(ref)))


def test_draft_without_analysis(ctx, files, rekap, hasil_monitoring, start_data, bidang_names):
    ref, document = render(
        ctx,
        files,
        mode="draft",
        rekap=rekap,
        hasil_monitoring=hasil_monitoring,
        analisis=None,
        catatan={"disposisi": "Segera susun draf", "putaran_revisi": 0},
    )
    text = all_text(document)
    assert "Triwulan III Tahun 2026" in text
    assert "DRAF" in text and "DRAF – BELUM DIVERIFIKASI" in text
    for bidang in bidang_names:
        assert bidang in text
    for item in start_data["indikator"]:
        assert item["indikator"] in text
    for value in ("62,5%", "86,67%", "110%*", "93,33%", "79,79%", "81,03%", "Rp 5.210.000.000", "67,1%"):
        assert value in text
    assert "Jaringan & listrik <padam>" in text  # user text is escaped, not broken XML
    assert "1. Koordinasi dengan PLN\n2. Pengadaan UPS" in text
    assert "16 Oktober 2026" in text
    assert "disusun pada langkah 8" in text  # analysis not yet available
    assert "Segera susun draf" not in text  # the disposition is workflow metadata: case history only
    # no user records in this context: the signer comes from the configuration
    assert "Muhammad Nor, S.Sos., M.M." in text and "NIP. 19710823 199303 1 005" in text
    assert "Paringin, 12 Oktober 2026" in text
    assert len(document.inline_shapes) == 2  # the logo and the chart
    assert ref["filename"] == "draft_laporan_monev_kinerja_2026-TW3.docx"
    assert files.records[-1]["kind"] == "draft_laporan"
    assert files.records[-1]["meta"] == {
        "periode": PERIODE,
        "mode": "draft",
        "putaran_revisi": 0,
        "data_contoh": True,
        "penandatangan": "",
    }


def test_final_with_analysis_comparison_and_notes(ctx, files, rekap, hasil_monitoring):
    previous_rekap = {**rekap, "periode": "2026-TW2"}
    previous = analyse_achievement({"periode": "2026-TW2", "rekap": previous_rekap, "sebelumnya": None}, ctx)
    analisis = analyse_achievement(
        {"periode": PERIODE, "rekap": rekap, "sebelumnya": {"periode": "2026-TW2", "analisis": previous}}, ctx
    )
    catatan = {
        "disposisi": "Segera",
        "catatan_pembahasan": "Perjelas kendala Statistik",
        "catatan_perbaikan": "Kendala Statistik ditambahkan",
        "catatan_verifikasi": "Disetujui",
        "putaran_revisi": 2,
    }
    ref, document = render(
        ctx,
        files,
        mode="final",
        rekap=rekap,
        hasil_monitoring=hasil_monitoring,
        analisis=analisis,
        catatan=catatan,
    )
    text = all_text(document)
    assert "DRAF" not in text
    assert "Status dokumen: FINAL" in text
    assert "Dibandingkan Triwulan II Tahun 2026" in text and "(0 poin)" in text
    for kode in ("IK-APT-03", "IK-STA-01", "IK-STA-03", "IK-SAN-03", "KG-STA-01"):
        assert kode in text
    for key, note in catatan.items():  # reviewers' notes and the revision round stay in the case history
        if key != "putaran_revisi":
            assert note not in text, key
    assert "putaran revisi" not in text.lower() and "catatan verifikasi" not in text.lower()
    assert len(document.inline_shapes) == 2
    assert ref["filename"] == "laporan_monev_kinerja_2026-TW3.docx"
    assert files.records[-1]["kind"] == "laporan_final"


def test_missing_notes_and_monitoring_render_as_dash(ctx, files, rekap):
    _, document = render(ctx, files, mode="draft", rekap=rekap, hasil_monitoring=None, analisis=None, catatan=None)
    text = all_text(document)
    assert "Hasil monitoring lapangan (Blanko Monev) belum tersedia." in text
    assert "Kendala/permasalahan\n-" in text and "Tanggal kunjungan\n-" in text


def test_bad_mode_and_mismatched_analysis(ctx, files, rekap):
    with pytest.raises(HandlerError) as info:
        render(ctx, files, mode="cetak", rekap=rekap)
    assert info.value.errors[0]["field"] == "mode"
    with pytest.raises(HandlerError) as info:
        render(ctx, files, mode="final", rekap=rekap, analisis={"periode": "2026-TW2"})
    assert info.value.errors[0]["field"] == "analisis"


# --- structure of a government report -------------------------------------------------------

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def instructions(element) -> list[str]:
    return [" ".join((t.text or "").split()) for t in element.iter(f"{W}instrText")]


@pytest.fixture
def final_document(ctx, files, rekap, hasil_monitoring):
    analisis = analyse_achievement({"periode": PERIODE, "rekap": rekap, "sebelumnya": None}, ctx)
    _, document = render(
        ctx, files, mode="final", rekap=rekap, hasil_monitoring=hasil_monitoring, analisis=analisis, catatan={}
    )
    return document


def test_chapters_daftar_isi_and_page_numbers(final_document):
    document = final_document
    chapters = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert chapters == [
        "BAB I PENDAHULUAN",
        "BAB II HASIL MONITORING",
        "BAB III ANALISIS CAPAIAN",
        "BAB IV PENUTUP",
        "LAMPIRAN REKAP DATA KINERJA",
    ]
    sections = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
    assert sections[:4] == ["1.1 Latar Belakang", "1.2 Dasar Hukum", "1.3 Maksud dan Tujuan", "1.4 Ruang Lingkup"]
    body = document.element.body
    bookmarks = {b.get(f"{W}name") for b in body.iter(f"{W}bookmarkStart")}
    # daftar isi: one line per fixed chapter, its page number a PAGEREF to that chapter's bookmark
    refs = [i.split()[1] for i in instructions(body) if i.startswith("PAGEREF")]
    assert len(refs) == 16 and set(refs) <= bookmarks
    texts = [p.text for p in document.paragraphs]
    toc = texts.index("DAFTAR ISI")
    assert texts[toc + 1].startswith("BAB I PENDAHULUAN") and texts[toc + 16].startswith("LAMPIRAN")
    # footer: "Halaman {PAGE} dari {NUMPAGES}" on every page (one footer, inherited by the lampiran)
    footer = document.sections[0].footer
    assert instructions(footer._element) == ["PAGE", "NUMPAGES"]
    assert footer.paragraphs[0].text.startswith("Halaman ") and " dari " in footer.paragraphs[0].text
    assert all(s.footer.is_linked_to_previous for s in document.sections[1:])
    assert document.sections[-1].orientation == 1  # the lampiran is landscape


def test_dasar_hukum_and_signer_come_from_the_sop_and_the_user_record(files, config, rekap):
    from dataclasses import replace

    from sopflow.plugins import HandlerContext, Person

    class OneHead:
        def get(self, username):
            return None

        def lead_of(self, lane):
            if lane == "Kepala Dinas":
                return Person("kadis", "Dr. Siti Rahmah, M.Si.", "198001012005012003", "Kepala Dinas Uji")
            return None

    properties = {
        "sop.dasar_hukum.2": "Peraturan Kedua",
        "sop.dasar_hukum.1": "Undang-Undang Pertama",
        "sop.nomor": "x",
    }
    ctx = HandlerContext(files=files, templates_dir=ROOT / "templates", config=config, now=datetime(2026, 10, 12))
    ctx = replace(ctx, people=OneHead(), process_properties=properties)
    ref = render_report_docx({"mode": "final", "periode": PERIODE, "rekap": rekap}, ctx)
    document = Document(io.BytesIO(files.get(ref)))
    texts = [p.text for p in document.paragraphs]
    start = texts.index("1.2 Dasar Hukum")
    assert texts[start + 1 : start + 3] == ["1.\tUndang-Undang Pertama", "2.\tPeraturan Kedua"]
    assert "Dr. Siti Rahmah, M.Si." in texts and "NIP. 19800101 200501 2 003" in texts
    assert "Kepala Dinas Uji," in texts
    assert "Muhammad Nor" not in all_text(document)  # the configured fallback is not used
    assert files.records[-1]["meta"]["penandatangan"] == "kadis"


def test_no_signer_is_an_error(ctx, files, rekap):
    from dataclasses import replace

    config = {**ctx.config, "penandatangan": {"lane": "Kepala Dinas"}}
    with pytest.raises(HandlerError) as info:
        render_report_docx({"mode": "final", "periode": PERIODE, "rekap": rekap}, replace(ctx, config=config))
    assert info.value.errors[0]["field"] == "penandatangan.lane"
    assert "Kepala Dinas" in info.value.message


def test_data_contoh_band_only_for_sample_data(ctx, files, rekap):
    _, sample = render(ctx, files, mode="final", rekap=rekap)
    cover = [p.text for p in sample.paragraphs][: [p.text for p in sample.paragraphs].index("DAFTAR ISI")]
    bands = [c.text for t in sample.tables for r in t.rows for c in r.cells if c.text == "DATA CONTOH"]
    assert bands == ["DATA CONTOH"] and any("data contoh" in line for line in cover)
    assert "DATA CONTOH" in sample.sections[0].header.paragraphs[0].text
    _, real = render(ctx, files, mode="final", rekap={**rekap, "data_contoh": False})
    assert "DATA CONTOH" not in all_text(real) and "data contoh" not in all_text(real)


def test_missing_logo_is_an_error(ctx, rekap):
    from dataclasses import replace

    config = {**ctx.config, "instansi": {**ctx.config["instansi"], "logo": "../processes/kalender.json"}}
    with pytest.raises(HandlerError) as info:
        render_report_docx({"mode": "final", "periode": PERIODE, "rekap": rekap}, replace(ctx, config=config))
    assert info.value.errors[0]["field"] == "instansi.logo"


def test_tables_have_fixed_widths_fitted_to_their_words(final_document):
    from handlers.docx_kolom import CELL_PADDING_TWIPS, TWIPS_PER_PT, lebar_teks

    checked = 0
    for section_index, table in _tables_by_section(final_document):
        section = final_document.sections[section_index]
        text_width = section.page_width.twips - section.left_margin.twips - section.right_margin.twips
        tbl_pr = table._tbl.tblPr
        assert tbl_pr.find(f"{W}tblLayout").get(f"{W}type") == "fixed"
        grid = [int(c.get(f"{W}w")) for c in table._tbl.tblGrid.findall(f"{W}gridCol")]
        assert abs(sum(grid) - text_width) <= len(grid), (sum(grid), text_width)
        for row in table.rows:
            for width, cell in zip(grid, row.cells, strict=True):
                assert cell.width.twips == width
                for paragraph in cell.paragraphs:
                    for run in paragraph.runs:
                        size = run.font.size.pt if run.font.size else 11
                        for word in run.text.split():
                            need = lebar_teks(word, size, bool(run.bold)) * TWIPS_PER_PT + CELL_PADDING_TWIPS
                            assert need <= width, (word, need, width)
        checked += 1
    assert checked >= 15


def _tables_by_section(document):
    body = document.element.body
    section, result = 0, []
    tables = {t._tbl: t for t in document.tables}
    for child in body.iterchildren():
        if child in tables:
            result.append((section, tables[child]))
        elif child.find(f"{W}pPr/{W}sectPr") is not None:
            section += 1
    return result


def test_every_percentage_has_the_indonesian_form(final_document):
    import re

    text = all_text(final_document)
    percentages = re.findall(r"\S*%\S*", text)
    assert percentages
    for token in percentages:
        core = token.strip("().,;:")
        if core == "%":  # the unit column (satuan "%")
            continue
        assert re.fullmatch(r"-?\d{1,3}(\.\d{3})*(,\d+)?%\*?", core), token
