"""Step 3 stores the Rekap Data Kinerja workbook: one sheet per Bidang plus a summary, totals as aggregated."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from handlers.rekap_xlsx import SHEET_RINGKASAN, nama_lembar
from handlers.xlsx_output import set_value


def _workbook(files, rekap):
    [record] = [r for r in files.records if r["kind"] == "rekap"]
    assert record["ref"] == rekap["berkas_rekap"]
    assert record["meta"] == {"periode": "2026-TW3"}
    return load_workbook(io.BytesIO(files.get(rekap["berkas_rekap"])))


def _table(ws, header_text: str) -> tuple[list[str], list[list]]:
    """Return (headers, rows) of the table whose first header cell is ``header_text``."""
    rows = list(ws.iter_rows(values_only=True))
    start = next(n for n, r in enumerate(rows) if r[0] == header_text or (len(r) > 1 and r[1] == header_text))
    offset = 0 if rows[start][0] == header_text else 1
    headers = [h for h in rows[start][offset:] if h is not None]
    body = []
    for row in rows[start + 1 :]:
        values = list(row[offset : offset + len(headers)])
        if all(v is None for v in values):
            break
        body.append(values)
    return headers, body


def test_rekap_sheets_and_totals_match_the_aggregated_data(files, rekap, bidang_names):
    wb = _workbook(files, rekap)
    assert wb.sheetnames == [SHEET_RINGKASAN, *bidang_names]
    assert rekap["berkas_rekap"]["filename"] == "rekap_data_kinerja_2026-TW3.xlsx"

    summary = wb[SHEET_RINGKASAN]
    headers, rows = _table(summary, "No")
    assert headers[:2] == ["No", "Bidang"]
    column = {h: i for i, h in enumerate(headers)}
    *per_bidang, total = rows
    assert [r[column["Bidang"]] for r in per_bidang] == bidang_names
    for row, b in zip(per_bidang, rekap["per_bidang"], strict=True):
        assert row[column["Jumlah Indikator"]] == len(b["indikator"])
        assert row[column["Rata-rata Capaian"]] == b["rata_rata_capaian"]
        assert row[column["Kategori"]] == b["kategori_rata_rata"]
        assert row[column["Pagu (Rp)"]] == b["jumlah_pagu"]
        assert row[column["Realisasi Anggaran (Rp)"]] == b["jumlah_realisasi_anggaran"]
        assert row[column["Penyerapan Anggaran"]] == b["penyerapan_anggaran"]
    assert total[column["Bidang"]] == "Keseluruhan"
    assert total[column["Jumlah Indikator"]] == 16 == rekap["jumlah_indikator"]
    assert total[column["Rata-rata Capaian"]] == rekap["rata_rata_capaian"]
    assert total[column["Pagu (Rp)"]] == 5_210_000_000 == sum(r[column["Pagu (Rp)"]] for r in per_bidang)
    assert total[column["Realisasi Anggaran (Rp)"]] == 3_496_000_000
    assert total[column["Penyerapan Anggaran"]] == 67.1
    _, kategori = _table(summary, "Kategori")
    assert {k: n for k, n in kategori} == rekap["jumlah_per_kategori"]
    assert any("DATA CONTOH" in str(c.value) for row in summary.iter_rows(max_row=6) for c in row if c.value)

    for b in rekap["per_bidang"]:
        ws = wb[b["bidang"]]
        headers, rows = _table(ws, "Kode")
        col = {h: i for i, h in enumerate(headers)}
        *indikator, rata = rows
        assert [r[col["Kode"]] for r in indikator] == [i["kode"] for i in b["indikator"]]
        assert [r[col["Capaian"]] for r in indikator] == [i["capaian"] for i in b["indikator"]]
        assert [r[col["Realisasi"]] for r in indikator] == [i["realisasi"] for i in b["indikator"]]
        assert rata[col["Capaian"]] == b["rata_rata_capaian"]
        headers, rows = _table(ws, "Kode Kegiatan")
        col = {h: i for i, h in enumerate(headers)}
        *anggaran, jumlah = rows
        assert [r[col["Pagu (Rp)"]] for r in anggaran] == [k["pagu"] for k in b["anggaran"]]
        assert jumlah[col["Pagu (Rp)"]] == b["jumlah_pagu"]
        assert jumlah[col["Realisasi (Rp)"]] == b["jumlah_realisasi_anggaran"]
        assert jumlah[col["Penyerapan"]] == b["penyerapan_anggaran"]


def test_rekap_numbers_carry_indonesian_number_formats_and_fitted_widths(files, rekap):
    wb = _workbook(files, rekap)
    ws = wb["Aplikasi Informatika"]
    formats = {c.number_format for row in ws.iter_rows() for c in row if isinstance(c.value, (int, float))}
    assert formats <= {'[$-421]"Rp "#,##0', '[$-421]#,##0.00"%"', "[$-421]#,##0.##########", "[$-421]#,##0"}
    widths = {letter: dim.width for letter, dim in ws.column_dimensions.items()}
    longest_kode = max(len(i["kode"]) for i in rekap["per_bidang"][2]["indikator"])
    assert widths["A"] >= longest_kode  # codes are never cut
    assert widths["B"] <= 60  # long indicator names wrap instead of making the sheet unprintable


def test_sample_files_mark_the_rekap_as_sample_data(rekap):
    assert rekap["data_contoh"] is True


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\tx", "\rx", '=HYPERLINK("http://x","y")'])
def test_risky_text_is_written_as_text(text):
    wb = Workbook()
    set_value(wb.active["A1"], text)
    out = io.BytesIO()
    wb.save(out)
    cell = load_workbook(out).active["A1"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)


def test_sheet_names_are_valid_and_unique():
    taken: set[str] = set()
    names = [
        nama_lembar(n, taken)
        for n in (
            "A/B: [x]",
            "Bidang yang namanya sangat panjang sekali ya",
            "Bidang yang namanya sangat panjang sekali yb",
        )
    ]
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in names)
    assert len({n.casefold() for n in names}) == 3
