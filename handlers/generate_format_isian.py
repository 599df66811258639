"""Generate the per-Bidang "Format Isian" workbooks (SOP step 1, supporting machine step).

BPMN task ``siapkan_format_isian`` (service, operator ``generate_format_isian``),
lane Sekretaris, ``sop.step`` 1, ``sop.pendukung`` = ya. Its result becomes
``isian_bidang``, the collection of the multi-instance step 2.
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from handlers import isian_layout as layout
from handlers.konfigurasi import nilai
from handlers.periode import Periode, parse_periode
from handlers.renja import Renja, load_renja
from handlers.xlsx_output import print_setup, write
from sopflow.plugins import HandlerContext, register

_INPUT_FILL = PatternFill("solid", start_color="FFF2CC")
_HEADER_FILL = PatternFill("solid", start_color="D9E1F2")
_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)

PETUNJUK = (
    "Petunjuk pengisian Format Isian Monitoring/Evaluasi Internal Capaian Kinerja",
    "1. Isi hanya sel berwarna kuning; sel lain dikunci.",
    "2. Lembar 'Kinerja': isi kolom 'Realisasi s.d. Triwulan (kumulatif)' dengan angka realisasi "
    "kumulatif sejak awal tahun sampai akhir triwulan ini, dalam satuan yang tertera.",
    "3. Lembar 'Anggaran': isi 'Realisasi Anggaran s.d. Triwulan (Rp)' dengan angka rupiah tanpa titik "
    "pemisah ribuan dan tanpa 'Rp'; realisasi tidak boleh melebihi pagu.",
    "4. Ketik angka langsung; jangan gunakan rumus, teks (mis. 'sepuluh') atau angka negatif.",
    "5. Polaritas 'naik' berarti makin tinggi makin baik; 'turun' berarti makin rendah makin baik.",
    "6. Jangan mengubah nama lembar, judul kolom, kode, atau urutan baris. Unggah berkas ini "
    "(format .xlsx) pada tugas 'Pengumpulan data kinerja' Bidang Anda.",
)


@register("generate_format_isian")
def generate_format_isian(params: dict[str, Any], ctx: HandlerContext) -> list[dict[str, Any]]:
    """Build and store one protected Format Isian .xlsx per Bidang.

    Params read: ``periode`` ("YYYY-TWn"), ``indikator``, ``kegiatan`` (start data).
    Config read: ``instansi.pemerintah``, ``instansi.nama``.
    Returns ``[{"bidang": str, "format_isian": FileRef}, ...]`` in Bidang order (first
    appearance in ``indikator``); each file is stored with ``kind="format_isian"`` and
    ``meta={"bidang", "periode"}``.
    Raises HandlerError for a malformed periode, indicator or activity list
    (e.g. target 0, unknown polaritas, unknown kode_kegiatan) or missing config.
    """
    periode = parse_periode(params.get("periode"))
    renja = load_renja(params.get("indikator"), params.get("kegiatan"), require_target=True)
    instansi = (nilai(ctx.config, "instansi.pemerintah", ""), nilai(ctx.config, "instansi.nama"))
    result = []
    for bidang in renja.bidang:
        data = build_workbook(renja, bidang, periode, instansi)
        ref = ctx.files.put(
            data,
            nama_berkas(bidang, periode),
            layout.MEDIA_TYPE_XLSX,
            kind="format_isian",
            meta={"bidang": bidang, "periode": periode.kode},
        )
        result.append({"bidang": bidang, "format_isian": ref})
    return result


def nama_berkas(bidang: str, periode: Periode) -> str:
    """Return the file name of the Format Isian of ``bidang`` (also printed in its footer)."""
    return f"format_isian_{layout.slug(bidang)}_{periode.kode}.xlsx"


def build_workbook(renja: Renja, bidang: str, periode: Periode, instansi: tuple[str, str]) -> bytes:
    """Return the xlsx bytes of the Format Isian of one Bidang.

    Every text (also start data such as an indicator named ``=HYPERLINK(...)``) is
    written as a text cell by :func:`handlers.xlsx_output.write`; the sheets are
    print-ready (:func:`handlers.xlsx_output.print_setup`).
    """
    filename = nama_berkas(bidang, periode)
    wb = Workbook()
    kinerja = wb.active
    assert isinstance(kinerja, Worksheet)  # a new Workbook's only sheet
    kinerja.title = layout.SHEET_KINERJA
    _header_block(kinerja, instansi, "FORMAT ISIAN CAPAIAN KINERJA (FISIK)", bidang, periode)
    rows = [{**i, "kegiatan": renja.nama_kegiatan(i["kode_kegiatan"])} for i in renja.indikator_bidang(bidang)]
    _table(kinerja, layout.KINERJA_COLUMNS, rows)
    print_setup(kinerja, filename, header_rows=(layout.HEADER_ROW, layout.HEADER_ROW))

    anggaran = wb.create_sheet(layout.SHEET_ANGGARAN)
    _header_block(anggaran, instansi, "FORMAT ISIAN REALISASI ANGGARAN (KEUANGAN)", bidang, periode)
    _table(anggaran, layout.ANGGARAN_COLUMNS, renja.kegiatan_bidang(bidang))
    print_setup(anggaran, filename, header_rows=(layout.HEADER_ROW, layout.HEADER_ROW))

    petunjuk = wb.create_sheet(layout.SHEET_PETUNJUK)
    for row, text in enumerate(PETUNJUK, start=1):
        write(petunjuk, row, 1, text).font = Font(bold=row == 1)
        petunjuk.cell(row=row, column=1).alignment = Alignment(wrap_text=True, vertical="top")
    petunjuk.column_dimensions["A"].width = 120
    print_setup(petunjuk, filename, header_rows=None)
    petunjuk.protection.sheet = True

    identitas = wb.create_sheet(layout.SHEET_IDENTITAS)
    for row, (key, value) in enumerate(
        (("format", layout.FORMAT_ID), ("bidang", bidang), ("periode", periode.kode)), start=1
    ):
        write(identitas, row, 1, key)
        write(identitas, row, 2, value)
    identitas.sheet_state = "veryHidden"
    identitas.protection.sheet = True
    for name, cell in (
        (layout.DEFINED_NAME_BIDANG, layout.IDENTITAS_BIDANG_CELL),
        (layout.DEFINED_NAME_PERIODE, layout.IDENTITAS_PERIODE_CELL),
    ):
        column, number = cell[0], cell[1:]
        wb.defined_names[name] = DefinedName(name, attr_text=f"{layout.SHEET_IDENTITAS}!${column}${number}")

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _header_block(ws: Worksheet, instansi: tuple[str, str], judul: str, bidang: str, periode: Periode) -> None:
    pemerintah, nama = instansi
    for ref, value in (
        ("A1", pemerintah.upper()),
        ("A2", nama.upper()),
        ("A3", judul),
        ("A4", "Bidang"),
        ("C4", bidang),
        ("A5", "Periode"),
        ("C5", f"{periode.label} ({periode.kode})"),
        ("A6", "Isi hanya sel berwarna kuning. Lihat lembar 'Petunjuk'."),
    ):
        write(ws, ws[ref].row, ws[ref].column, value)
    for ref in ("A1", "A2", "A3"):
        ws[ref].font = Font(bold=True, size=12 if ref != "A3" else 13)
    ws["C4"].font = ws["C5"].font = Font(bold=True)
    ws["A6"].font = Font(italic=True, color="7F7F7F")


def _table(ws: Worksheet, columns: tuple[layout.Column, ...], rows: list[dict[str, Any]]) -> None:
    for index, column in enumerate(columns, start=1):
        cell = write(ws, layout.HEADER_ROW, index, column.header)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        ws.column_dimensions[cell.column_letter].width = column.width
    ws.row_dimensions[layout.HEADER_ROW].height = 45
    last_row = layout.FIRST_DATA_ROW + len(rows) - 1
    for offset, item in enumerate(rows):
        row = layout.FIRST_DATA_ROW + offset
        for index, column in enumerate(columns, start=1):
            cell = write(ws, row, index, None if column.input else item.get(column.key))
            cell.border = _BORDER
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if column.input:
                cell.protection = Protection(locked=False)
                cell.fill = _INPUT_FILL
            cell.number_format = column.number_format
    for column in columns:
        if column.numeric and rows:
            letter = layout.column_letter(columns, column.key)
            validation = DataValidation(
                type="decimal",
                operator="greaterThanOrEqual",
                formula1="0",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="Nilai tidak sah",
                error="Isi dengan angka 0 atau lebih (tanpa rumus dan teks).",
                promptTitle=column.header,
                prompt="Ketik angka >= 0.",
                showInputMessage=True,
            )
            validation.add(f"{letter}{layout.FIRST_DATA_ROW}:{letter}{last_row}")
            ws.add_data_validation(validation)
    ws.freeze_panes = ws.cell(row=layout.FIRST_DATA_ROW, column=1).coordinate
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # let users widen columns
    ws.protection.formatRows = False
