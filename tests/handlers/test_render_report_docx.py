"""Steps 7/10/12: the report opens and carries the period, every Bidang, figures, chart and signature."""

from __future__ import annotations

import io

import pytest
from docx import Document

from handlers.analyse_achievement import analyse_achievement
from handlers.merge_monitoring_results import merge_monitoring_results
from handlers.registry import HandlerError
from handlers.render_report_docx import render_report_docx

PERIODE = "2026-TW3"


def all_text(document) -> str:
    """Body paragraphs, every table cell, headers and footers, joined by newlines."""
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    for section in document.sections:
        parts += [p.text for p in section.header.paragraphs + section.footer.paragraphs]
    return "\n".join(parts)


@pytest.fixture
def hasil_monitoring(ctx, rekap):
    jadwal = [
        {
            "bidang": b["bidang"],
            "tanggal": "2026-10-15",
            "petugas": "Rahmadi",
            "tanggal_kunjungan": "2026-10-16",
            "petugas_monev": "Siti Aisyah",
            "kendala": "Jaringan & listrik <padam>" if b["bidang"] == "Aplikasi Informatika" else "",
            "faktor_pendorong": "Dukungan pimpinan",
            "faktor_penghambat": "",
            "rencana_tindak_lanjut": "Koordinasi dengan PLN\nPengadaan UPS",
        }
        for b in rekap["per_bidang"]
    ]
    return merge_monitoring_results({"jadwal_monev": jadwal, "rekap": rekap}, ctx)


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
    assert "Segera susun draf" in text
    assert "Muhammad Nor, S.Sos., M.M." in text and "NIP. 19710823 199303 1 005" in text
    assert "Paringin, 12 Oktober 2026" in text
    assert len(document.inline_shapes) == 1  # the chart
    assert ref["filename"] == "draft_laporan_monev_kinerja_2026-TW3.docx"
    assert files.records[-1]["kind"] == "draft_laporan"
    assert files.records[-1]["meta"] == {"periode": PERIODE, "mode": "draft", "putaran_revisi": 0}


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
    for note in catatan.values():
        assert str(note) in text
    assert len(document.inline_shapes) == 1
    assert ref["filename"] == "laporan_monev_kinerja_2026-TW3.docx"
    assert files.records[-1]["kind"] == "laporan_final"


def test_missing_notes_and_monitoring_render_as_dash(ctx, files, rekap):
    _, document = render(ctx, files, mode="draft", rekap=rekap, hasil_monitoring=None, analisis=None, catatan=None)
    text = all_text(document)
    assert "Hasil monitoring (Blanko Monev) belum tersedia." in text
    assert "Catatan pembahasan\n-" in text


def test_bad_mode_and_mismatched_analysis(ctx, files, rekap):
    with pytest.raises(HandlerError) as info:
        render(ctx, files, mode="cetak", rekap=rekap)
    assert info.value.errors[0]["field"] == "mode"
    with pytest.raises(HandlerError) as info:
        render(ctx, files, mode="final", rekap=rekap, analisis={"periode": "2026-TW2"})
    assert info.value.errors[0]["field"] == "analisis"
