"""One number format for documents: 87,5% ; Rp 1.250.000 ; 1.234,5."""

from __future__ import annotations

from handlers.angka import format_angka, format_persen, format_persen_dalam_teks, format_rupiah


def test_indonesian_number_formats():
    assert format_persen(87.5) == "87,5%"
    assert format_persen(100.0) == "100%"
    assert format_persen(None) == "-"
    assert format_rupiah(1_250_000) == "Rp 1.250.000"
    assert format_angka(1234.5) == "1.234,5"


def test_percentages_inside_sentences_take_the_same_form():
    assert format_persen_dalam_teks("capaian di bawah 66.5%") == "capaian di bawah 66,5%"
    assert format_persen_dalam_teks("di bawah 65% untuk TW3") == "di bawah 65% untuk TW3"
    assert format_persen_dalam_teks("misalnya 90,5% termasuk Tinggi") == "misalnya 90,5% termasuk Tinggi"
    assert format_persen_dalam_teks(None) == ""
