"""Step 2 form validator: each bad upload names file, sheet, cell and reason; all errors are collected."""

from __future__ import annotations

import io
import zipfile

import pytest

from handlers import isian_layout as layout
from handlers.validate_lembar_isian import validate_lembar_isian
from sopflow.plugins import HandlerError

PERIODE = "2026-TW3"


@pytest.fixture
def validate(ctx, files, start_data):
    """Upload ``data`` as ``filename`` for ``bidang`` and run the validator; return its result."""

    def run(data: bytes, bidang: str = "Statistik", filename: str = "statistik.xlsx", periode: str = PERIODE):
        ref = files.put(data, filename, layout.MEDIA_TYPE_XLSX)
        params = {
            "form": {"lembar_isian": ref, "catatan": ""},
            "data": {
                "isian": {"bidang": bidang, "format_isian": None},
                "periode": periode,
                "indikator": start_data["indikator"],
                "kegiatan": start_data["kegiatan"],
            },
        }
        return validate_lembar_isian(params, ctx)

    return run


def errors_of(call) -> list[dict]:
    with pytest.raises(HandlerError) as info:
        call()
    errors = info.value.errors
    assert all(e["field"] == "lembar_isian" for e in errors)
    assert all(e["message"].endswith(".") for e in errors)
    return errors


def test_every_sample_file_passes(validate, sample_bytes, bidang_names):
    for bidang in bidang_names:
        result = validate(sample_bytes(bidang), bidang, f"{layout.slug(bidang)}.xlsx")
        assert result["bidang"] == bidang and result["periode"] == PERIODE
    assert result == {
        "bidang": "Persandian",
        "periode": PERIODE,
        "berkas": "persandian.xlsx",
        "jumlah_indikator": 3,
        "jumlah_kegiatan": 2,
        "jumlah_realisasi_anggaran": 323_250_000,
    }


def test_missing_upload(ctx, start_data):
    params = {"form": {}, "data": {"isian": {"bidang": "Statistik"}, "periode": PERIODE, **start_data}}
    errors = errors_of(lambda: validate_lembar_isian(params, ctx))
    assert errors[0]["code"] == "missing_file"


@pytest.mark.parametrize(
    ("content", "code", "words"),
    [
        (b"Kode;Realisasi\nIK-STA-01;87\n", "not_xlsx", "bukan berkas Excel"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "not_xlsx", ".xls"),
        (b"PK\x03\x04" + b"\x00garbage" * 50, "corrupt", "rusak"),
    ],
)
def test_not_an_xlsx(validate, content, code, words):
    errors = errors_of(lambda: validate(content, filename="statistik.csv"))
    assert len(errors) == 1
    assert errors[0]["code"] == code and errors[0]["file"] == "statistik.csv"
    assert words in errors[0]["reason"]
    assert errors[0]["message"].startswith("Berkas 'statistik.csv': ")


def test_zip_that_is_not_a_workbook(validate):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    errors = errors_of(lambda: validate(buffer.getvalue()))
    assert errors[0]["code"] == "not_xlsx"


def test_file_above_the_size_limit(validate, ctx, sample_bytes):
    ctx.config["batas_ukuran_berkas_bytes"] = 1000
    errors = errors_of(lambda: validate(sample_bytes("Statistik")))
    assert errors[0]["code"] == "too_large" and "melebihi batas" in errors[0]["reason"]


def test_missing_sheet(validate, sample_bytes, edit_xlsx):
    data = edit_xlsx(sample_bytes("Statistik"), lambda wb: wb.remove(wb["Anggaran"]))
    errors = errors_of(lambda: validate(data))
    assert len(errors) == 1
    assert (errors[0]["code"], errors[0]["sheet"], errors[0]["file"]) == (
        "missing_sheet",
        "Anggaran",
        "statistik.xlsx",
    )
    assert errors[0]["message"].startswith("Berkas 'statistik.xlsx', lembar 'Anggaran': lembar tidak ditemukan")


def test_renamed_header_names_its_cell(validate, sample_bytes, edit_xlsx):
    def rename(wb):
        wb["Kinerja"]["H8"] = "Realisasi"
        wb["Anggaran"]["C8"] = None

    errors = errors_of(lambda: validate(edit_xlsx(sample_bytes("Statistik"), rename)))
    assert [(e["sheet"], e["cell"], e["code"]) for e in errors] == [
        ("Kinerja", "H8", "wrong_header"),
        ("Anggaran", "C8", "wrong_header"),
    ]
    assert "seharusnya 'Realisasi s.d. Triwulan (kumulatif)'" in errors[0]["reason"]
    assert "kosong" in errors[1]["reason"]


def test_file_of_another_bidang(validate, sample_bytes):
    errors = errors_of(lambda: validate(sample_bytes("Statistik"), bidang="Persandian", filename="statistik.xlsx"))
    assert len(errors) == 1  # the cells of a wrong file are not listed
    error = errors[0]
    assert (error["code"], error["sheet"], error["cell"]) == ("wrong_bidang", "Identitas", "B2")
    assert "Bidang 'Statistik', bukan Bidang 'Persandian'" in error["reason"]


def test_file_of_another_periode(validate, sample_bytes):
    errors = errors_of(lambda: validate(sample_bytes("Statistik"), periode="2026-TW2"))
    assert [(e["code"], e["cell"]) for e in errors] == [("wrong_periode", "B3")]


def test_workbook_not_made_by_the_system(validate, sample_bytes, edit_xlsx):
    data = edit_xlsx(sample_bytes("Statistik"), lambda wb: wb.remove(wb["Identitas"]))
    assert errors_of(lambda: validate(data))[0]["code"] == "missing_identity"


def test_unknown_code_and_missing_row(validate, sample_bytes, edit_xlsx):
    def change(wb):
        wb["Kinerja"]["A9"] = "IK-APT-01"  # a code of another Bidang replaces IK-STA-01
        wb["Kinerja"].delete_rows(10)  # IK-STA-02 removed

    errors = errors_of(lambda: validate(edit_xlsx(sample_bytes("Statistik"), change)))
    by_code = {e["code"]: e for e in errors}
    assert by_code["unknown_code"]["cell"] == "A9"
    assert "milik Bidang 'Aplikasi Informatika'" in by_code["unknown_code"]["reason"]
    missing = sorted(e["kode"] for e in errors if e["code"] == "missing_row")
    assert missing == ["IK-STA-01", "IK-STA-02"]


def test_all_cell_errors_are_collected(validate, sample_bytes, edit_xlsx):
    def change(wb):
        wb["Kinerja"]["H9"] = "sepuluh"
        wb["Kinerja"]["H10"] = "=F10*0.9"
        wb["Kinerja"]["H11"] = -5
        wb["Anggaran"]["D9"] = None
        wb["Kinerja"]["F9"] = 100  # locked target changed after unprotecting

    errors = errors_of(lambda: validate(edit_xlsx(sample_bytes("Statistik"), change)))
    found = [(e["sheet"], e["cell"], e["code"]) for e in errors]
    assert found == [
        ("Kinerja", "F9", "target_changed"),
        ("Kinerja", "H9", "not_a_number"),
        ("Kinerja", "H10", "formula"),
        ("Kinerja", "H11", "negative"),
        ("Anggaran", "D9", "empty"),
    ]
    text = next(e for e in errors if e["cell"] == "H9")
    assert (
        text["message"] == "Berkas 'statistik.xlsx', lembar 'Kinerja', sel H9: berisi teks 'sepuluh', seharusnya angka."
    )
    assert text["file"] == "statistik.xlsx" and text["reason"] == "berisi teks 'sepuluh', seharusnya angka"
    assert "'=F10*0.9'" in errors[2]["reason"]
    assert all({"file", "sheet", "cell", "reason"} <= set(e) for e in errors)


def test_realisasi_anggaran_above_pagu(validate, sample_bytes, edit_xlsx):
    data = edit_xlsx(sample_bytes("Statistik"), lambda wb: wb["Anggaran"].__setitem__("D9", 420_000_001))
    errors = errors_of(lambda: validate(data))
    assert [(e["sheet"], e["cell"], e["code"]) for e in errors] == [("Anggaran", "D9", "exceeds_pagu")]
    assert "Rp 420.000.001 melebihi pagu Rp 420.000.000" in errors[0]["reason"]


def test_error_list_is_capped(validate, sample_bytes, edit_xlsx):
    def change(wb):
        for row in range(20, 80):
            wb["Kinerja"][f"A{row}"] = f"IK-XXX-{row}"

    errors = errors_of(lambda: validate(edit_xlsx(sample_bytes("Statistik"), change)))
    assert len(errors) == 51
    assert errors[-1]["message"] == "... dan 10 kesalahan lainnya."
