"""Periode parsing, the capaian formula, the band rule and Indonesian number formatting."""

from __future__ import annotations

import pytest

from handlers.angka import format_angka, format_persen, format_rupiah, format_selisih
from handlers.capaian import hitung_capaian, kategori, load_bands, melampaui_target, penyerapan
from handlers.periode import parse_periode
from sopflow.plugins import HandlerError


def test_periode_parts_and_label():
    periode = parse_periode("2026-TW3")
    assert (periode.tahun, periode.triwulan, periode.kode) == (2026, 3, "2026-TW3")
    assert periode.label == "Triwulan III Tahun 2026"
    assert parse_periode("2026-TW2").urutan < periode.urutan < parse_periode("2027-TW1").urutan


@pytest.mark.parametrize("value", ["2026-TW5", "2026-Q3", "TW3-2026", "", None, 2026])
def test_bad_periode_is_a_handler_error_on_field_periode(value):
    with pytest.raises(HandlerError) as info:
        parse_periode(value)
    assert info.value.errors[0]["field"] == "periode"
    assert "2026-TW3" in info.value.message  # tells the user the expected format


def test_capaian_formula_for_both_polarities():
    assert hitung_capaian(68, 85, "naik") == 80.0
    assert hitung_capaian(2.6, 3.0, "naik") == 86.67
    assert hitung_capaian(5.5, 4, "turun") == 62.5  # (2*4 - 5.5) / 4
    assert hitung_capaian(3, 4, "turun") == 125.0  # faster than target
    assert hitung_capaian(10, 4, "turun") == -50.0  # reported as is, never clamped silently


def test_capaian_refuses_target_zero_and_unknown_polarity():
    with pytest.raises(ValueError):
        hitung_capaian(10, 0, "naik")
    with pytest.raises(ValueError):
        hitung_capaian(10, 5, "naik-turun")


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (120, "Sangat Tinggi"),
        (100, "Sangat Tinggi"),
        (91, "Sangat Tinggi"),
        (90.996, "Sangat Tinggi"),  # rounds to 91.00
        (90.5, "Tinggi"),  # between bands: the lower band
        (90, "Tinggi"),
        (76, "Tinggi"),
        (75.5, "Sedang"),
        (66, "Sedang"),
        (65.99, "Rendah"),
        (51, "Rendah"),
        (50.5, "Sangat Rendah"),
        (50, "Sangat Rendah"),
        (-20, "Sangat Rendah"),
    ],
)
def test_band_boundaries(config, value, label):
    assert kategori(value, load_bands(config)) == label


def test_above_100_is_flagged():
    assert melampaui_target(120) and melampaui_target(100.01)
    assert not melampaui_target(100) and not melampaui_target(None)


def test_malformed_band_config_is_rejected():
    with pytest.raises(HandlerError):
        load_bands({})
    with pytest.raises(HandlerError) as info:
        load_bands({"kategori_capaian": [{"label": "A", "min": 50}, {"label": "B", "min": "x"}]})
    assert "min null" in info.value.message and "'B'" in info.value.message


def test_penyerapan():
    assert penyerapan(1_221_000_000, 1_850_000_000) == 66.0
    assert penyerapan(0, 0) is None


def test_indonesian_number_format():
    assert format_angka(1234567) == "1.234.567"
    assert format_angka(85.5) == "85,5"
    assert format_angka(86.666) == "86,67"
    assert format_angka(-1.5) == "-1,5"
    assert format_persen(85.5) == "85,5%"
    assert format_persen(None) == "-"
    assert format_rupiah(1_221_000_000) == "Rp 1.221.000.000"
    assert format_selisih(4.25) == "+4,25" and format_selisih(-1.5) == "-1,5"
