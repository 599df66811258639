"""Step 1 (pendukung): one protected Format Isian per Bidang, identifying its Bidang and periode."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from handlers import isian_layout as layout
from handlers.generate_format_isian import generate_format_isian
from sopflow.plugins import HandlerError

PERIODE = "2026-TW3"
BIDANG = ["Sekretariat", "Informasi dan Komunikasi Publik", "Aplikasi Informatika", "Statistik", "Persandian"]


@pytest.fixture
def generated(ctx, start_data):
    params = {"periode": PERIODE, "indikator": start_data["indikator"], "kegiatan": start_data["kegiatan"]}
    return generate_format_isian(params, ctx)


def test_one_file_per_bidang_in_order_of_first_appearance(generated, files):
    assert [item["bidang"] for item in generated] == BIDANG
    assert generated[2]["format_isian"]["filename"] == "format_isian_aplikasi_informatika_2026-TW3.xlsx"
    assert generated[2]["format_isian"]["media_type"] == layout.MEDIA_TYPE_XLSX
    puts = [r for r in files.records if r["op"] == "put"]
    assert [r["kind"] for r in puts] == ["format_isian"] * 5
    assert puts[0]["meta"] == {"bidang": "Sekretariat", "periode": PERIODE}


def test_workbook_records_bidang_and_periode_and_lists_the_rows(generated, files, start_data):
    item = generated[2]
    wb = load_workbook(io.BytesIO(files.get(item["format_isian"])))
    assert wb.sheetnames == ["Kinerja", "Anggaran", "Petunjuk", "Identitas"]
    identitas = wb["Identitas"]
    assert identitas.sheet_state == "veryHidden"
    assert identitas["B1"].value == layout.FORMAT_ID
    assert identitas["B2"].value == "Aplikasi Informatika"
    assert identitas["B3"].value == PERIODE
    assert set(wb.defined_names) >= {"sopflow_bidang", "sopflow_periode"}
    kinerja = wb["Kinerja"]
    assert kinerja["C4"].value == "Aplikasi Informatika"
    assert kinerja["C5"].value == "Triwulan III Tahun 2026 (2026-TW3)"
    assert kinerja["A2"].value == "DINAS KOMUNIKASI, INFORMASI, STATISTIK DAN PERSANDIAN KABUPATEN BALANGAN"
    assert [c.value for c in kinerja[layout.HEADER_ROW]] == [c.header for c in layout.KINERJA_COLUMNS]
    codes = [kinerja.cell(row=r, column=1).value for r in range(9, 13)]
    assert codes == ["IK-APT-01", "IK-APT-02", "IK-APT-03", "IK-APT-04"]
    assert kinerja["F11"].value == 4 and kinerja["G11"].value == "turun"
    assert kinerja["C9"].value == "Pengelolaan e-Government di Lingkup Pemerintah Daerah Kabupaten/Kota"
    anggaran = wb["Anggaran"]
    assert [anggaran.cell(row=r, column=1).value for r in (9, 10)] == ["KG-APT-01", "KG-APT-02"]
    assert anggaran["C9"].value == 1_850_000_000
    assert wb["Petunjuk"]["A1"].value.startswith("Petunjuk pengisian")


def test_sheets_are_protected_with_only_input_cells_unlocked(generated, files):
    wb = load_workbook(io.BytesIO(files.get(generated[2]["format_isian"])))
    kinerja, anggaran = wb["Kinerja"], wb["Anggaran"]
    assert kinerja.protection.sheet and anggaran.protection.sheet and wb["Petunjuk"].protection.sheet
    for row in range(9, 13):
        assert not kinerja[f"H{row}"].protection.locked and not kinerja[f"I{row}"].protection.locked
        for column in "ABCDEFG":
            assert kinerja[f"{column}{row}"].protection.locked
    assert not anggaran["D9"].protection.locked and not anggaran["E10"].protection.locked
    assert anggaran["C9"].protection.locked and kinerja["H8"].protection.locked


def test_numeric_input_cells_have_decimal_validation(generated, files):
    wb = load_workbook(io.BytesIO(files.get(generated[2]["format_isian"])))
    for sheet, expected_range in (("Kinerja", "H9:H12"), ("Anggaran", "D9:D10")):
        validations = wb[sheet].data_validations.dataValidation
        assert len(validations) == 1
        validation = validations[0]
        assert (validation.type, validation.operator, validation.formula1) == (
            "decimal",
            "greaterThanOrEqual",
            "0",
        )
        assert str(validation.sqref) == expected_range


def test_bad_start_data_lists_every_problem(ctx, start_data):
    indikator = [dict(i) for i in start_data["indikator"]]
    indikator[0]["target"] = 0
    indikator[1]["polaritas"] = "atas"
    indikator[2]["kode_kegiatan"] = "KG-TIDAK-ADA"
    with pytest.raises(HandlerError) as info:
        generate_format_isian({"periode": PERIODE, "indikator": indikator, "kegiatan": start_data["kegiatan"]}, ctx)
    errors = info.value.errors
    assert len(errors) == 3
    assert {e["field"] for e in errors} == {"indikator"}
    assert "IK-SEK-01" in errors[0]["message"] and "lebih dari 0" in errors[0]["message"]
    assert "polaritas 'atas'" in errors[1]["message"]
    assert "KG-TIDAK-ADA" in errors[2]["message"]


def test_bad_periode_is_rejected(ctx, start_data):
    with pytest.raises(HandlerError) as info:
        generate_format_isian({"periode": "2026-3", **{k: start_data[k] for k in ("indikator", "kegiatan")}}, ctx)
    assert info.value.errors[0]["field"] == "periode"
