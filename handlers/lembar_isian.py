"""Read and validate a filled "Lembar Isian" (a Format Isian .xlsx filled by a Bidang).

One job: turn uploaded bytes into checked numbers, or into a complete list of errors,
each naming the file, sheet, cell and reason. Used by the step-2 form validator
(:mod:`handlers.validate_lembar_isian`) and again by the step-3 aggregation
(:mod:`handlers.aggregate_performance_data`) as defence in depth.

Checks: size limits before parsing (:mod:`handlers.xlsx_limits`: packed and unpacked size,
sheets, cells, shared strings); not an xlsx (old .xls, other content, corrupt zip);
missing sheet; identity of the file (format, Bidang, periode in the hidden sheet
"Identitas"); header cells; unknown, duplicate or missing codes; target and pagu cells
changed or target 0/empty (capaian cannot be computed); realisasi empty, text, logical,
date, formula (the workbook is read with ``data_only=False``) or negative; realisasi
anggaran above pagu (an error: spending more than the allotted budget is not possible
in the regional finance system, so it is a typing mistake). The workbook is read in
openpyxl's streaming (``read_only``) mode, one pass per sheet.
"""

from __future__ import annotations

import io
import math
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook

from handlers import isian_layout as layout
from handlers.angka import format_angka, format_rupiah
from handlers.error_list import ErrorList
from handlers.periode import Periode
from handlers.renja import Renja
from handlers.xlsx_limits import DEFAULT_MAX_BYTES, Cell, XlsxLimits, XlsxTooLarge, check_xlsx, stream_rows

__all__ = ["DEFAULT_MAX_BYTES", "LembarIsian", "XlsxLimits", "read_lembar_isian"]

MAX_BLANK_ROWS = 200  # stop scanning a table after this many empty rows in a row
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class LembarIsian:
    """The checked content of one file: realisasi per indicator and per activity."""

    file: str
    bidang: str
    periode: str
    label: str = ""  # the line above the Kinerja table (LABEL_CELL), e.g. "DATA CONTOH ..." in samples
    kinerja: dict[str, dict[str, Any]] = field(default_factory=dict)  # kode -> realisasi, keterangan, baris
    anggaran: dict[str, dict[str, Any]] = field(default_factory=dict)  # kode_kegiatan -> same


def read_lembar_isian(
    data: bytes,
    filename: str,
    *,
    bidang: str,
    periode: Periode,
    renja: Renja,
    errors: ErrorList,
    limits: XlsxLimits | None = None,
) -> LembarIsian | None:
    """Check one uploaded workbook of ``bidang`` for ``periode`` against the Renja.

    Appends every problem found to ``errors`` and returns None if there was any;
    otherwise returns the :class:`LembarIsian`. A file that is unreadable or belongs
    to another Bidang/periode stops at that first problem (its cells would only add noise).
    ``limits`` (default :class:`XlsxLimits`) bound the file before anything is parsed.
    """
    limits = limits or XlsxLimits()
    if len(data) > limits.max_bytes:
        reason = f"berukuran {_mib(len(data))}, melebihi batas {_mib(limits.max_bytes)}"
        errors.add_file(filename, reason, "too_large")
        return None
    wb = _open(data, filename, errors, limits)
    if wb is None:
        return None
    try:
        return _read(wb, filename, bidang, periode, renja, errors)
    finally:
        wb.close()


def _read(
    wb: Workbook, filename: str, bidang: str, periode: Periode, renja: Renja, errors: ErrorList
) -> LembarIsian | None:
    start = len(errors)
    if not _check_identity(wb, filename, bidang, periode, errors):
        return None
    result = LembarIsian(filename, bidang, periode.kode)
    for sheet in (layout.SHEET_KINERJA, layout.SHEET_ANGGARAN):
        if sheet not in wb.sheetnames:
            shown = ", ".join(f"'{s}'" for s in wb.sheetnames if s != layout.SHEET_IDENTITAS)
            errors.add_cell(
                filename, sheet, None, f"lembar tidak ditemukan (lembar yang ada: {shown})", "missing_sheet"
            )
    if layout.SHEET_KINERJA in wb.sheetnames:
        _read_kinerja(wb[layout.SHEET_KINERJA], filename, bidang, renja, result, errors)
    if layout.SHEET_ANGGARAN in wb.sheetnames:
        _read_anggaran(wb[layout.SHEET_ANGGARAN], filename, bidang, renja, result, errors)
    return None if len(errors) > start else result


def _mib(size: int) -> str:
    return f"{format_angka(size / 1024 / 1024, 2)} MB"


def _open(data: bytes, filename: str, errors: ErrorList, limits: XlsxLimits) -> Workbook | None:
    if data.startswith(_OLE_MAGIC):
        reason = "berformat Excel lama (.xls); simpan ulang sebagai 'Excel Workbook (.xlsx)' lalu unggah kembali"
        errors.add_file(filename, reason, "not_xlsx")
        return None
    if not data.startswith(b"PK\x03\x04"):
        errors.add_file(filename, "bukan berkas Excel .xlsx (isi berkas tidak dikenali)", "not_xlsx")
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
        if "xl/workbook.xml" not in names:
            errors.add_file(filename, "bukan berkas Excel .xlsx (tidak berisi buku kerja Excel)", "not_xlsx")
            return None
        check_xlsx(data, limits)
    except XlsxTooLarge as exc:
        message = f"Berkas '{filename}' {exc.reason}."
        errors.add(message, "too_large", file=filename, reason=exc.reason, limit=exc.limit, found=exc.found)
        return None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError):
        errors.add_file(filename, "rusak: arsip .xlsx tidak dapat dibuka", "corrupt")
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many exception types for damaged files
        errors.add_file(filename, f"rusak atau tidak dapat dibaca sebagai .xlsx ({type(exc).__name__})", "corrupt")
        return None


def _check_identity(wb: Workbook, filename: str, bidang: str, periode: Periode, errors: ErrorList) -> bool:
    if layout.SHEET_IDENTITAS not in wb.sheetnames:
        reason = (
            "bukan Format Isian dari sistem (lembar identitas tidak ada); unduh Format Isian "
            f"Bidang {bidang} periode {periode.kode}, isi, lalu unggah kembali"
        )
        errors.add_file(filename, reason, "missing_identity")
        return False
    ws = wb[layout.SHEET_IDENTITAS]
    values = _identity_values(ws)
    ok = True
    if values.get(layout.IDENTITAS_FORMAT_CELL) != layout.FORMAT_ID:
        reason = "bukan Format Isian monev kinerja dari sistem (penanda format tidak cocok)"
        errors.add_cell(filename, ws.title, layout.IDENTITAS_FORMAT_CELL, reason, "wrong_format")
        return False
    found_bidang = str(values.get(layout.IDENTITAS_BIDANG_CELL) or "").strip()
    if found_bidang != bidang:
        reason = f"berkas ini adalah Format Isian Bidang '{found_bidang}', bukan Bidang '{bidang}'"
        errors.add_cell(filename, ws.title, layout.IDENTITAS_BIDANG_CELL, reason, "wrong_bidang")
        ok = False
    found_periode = str(values.get(layout.IDENTITAS_PERIODE_CELL) or "").strip()
    if found_periode != periode.kode:
        reason = f"berkas ini adalah Format Isian periode '{found_periode}', bukan '{periode.kode}'"
        errors.add_cell(filename, ws.title, layout.IDENTITAS_PERIODE_CELL, reason, "wrong_periode")
        ok = False
    return ok


def _identity_values(ws: Any) -> dict[str, Any]:
    """Return the identity cells (column B of the first rows) in one streamed pass."""
    values: dict[str, Any] = {}
    for number, cells in stream_rows(ws, 1, 2):
        values[cells[1].coordinate] = cells[1].value
        if number >= 3:
            break
    return values


def _check_headers(
    header: list[Cell], columns: tuple[layout.Column, ...], filename: str, sheet: str, errors: ErrorList
) -> bool:
    ok = True
    for cell, column in zip(header, columns, strict=False):
        if layout.normalise_header(cell.value) == layout.normalise_header(column.header):
            continue
        found = "kosong" if _blank(cell.value) else f"berisi '{cell.value}'"
        reason = f"judul kolom {found}, seharusnya '{column.header}'"
        errors.add_cell(filename, sheet, cell.coordinate, reason, "wrong_header")
        ok = False
    return ok


def _table(
    ws: Any, columns: tuple[layout.Column, ...], filename: str, errors: ErrorList, label: list[str] | None = None
) -> list[tuple[int, list[Cell]]] | None:
    """Check the header row, then return the non-blank table rows (None if the header is wrong).

    The label line's text (``LABEL_CELL``, just above the header) is appended to ``label`` when given."""
    stream = stream_rows(ws, layout.HEADER_ROW - 1, len(columns))
    header = None
    for number, cells in stream:
        if number < layout.HEADER_ROW and label is not None and not _blank(cells[0].value):
            label.append(str(cells[0].value).strip())
        elif number == layout.HEADER_ROW:
            header = cells
            break
    if header is None:
        header = [Cell(f"{get_column_letter(i)}{layout.HEADER_ROW}", None) for i in range(1, len(columns) + 1)]
    if not _check_headers(header, columns, filename, ws.title, errors):
        return None
    rows: list[tuple[int, list[Cell]]] = []
    blank_run = 0
    for row, cells in stream:
        if all(_blank(c.value) for c in cells):
            blank_run += 1
            if blank_run >= MAX_BLANK_ROWS:
                break
            continue
        blank_run = 0
        rows.append((row, cells))
    return rows


def _read_kinerja(ws: Any, filename: str, bidang: str, renja: Renja, result: LembarIsian, errors: ErrorList) -> None:
    columns = layout.KINERJA_COLUMNS
    table = _table(ws, columns, filename, errors, label := list[str]())
    result.label = "".join(label)
    if table is None:
        return
    expected = {i["kode"]: i for i in renja.indikator_bidang(bidang)}
    owner = {i["kode"]: i["bidang"] for i in renja.indikator}
    col = {c.key: i for i, c in enumerate(columns)}
    for row, cells in table:
        kode = _code(cells[col["kode"]], filename, ws.title, "indikator", expected, owner, result.kinerja, errors)
        if kode is None:
            continue
        item = expected[kode]
        _check_fixed_number(
            cells[col["target"]],
            item["target"],
            filename,
            ws.title,
            "target",
            format_angka,
            errors,
            positive=True,
        )
        realisasi = _number(cells[col["realisasi"]], filename, ws.title, "realisasi", errors)
        keterangan = _text(cells[col["keterangan"]], filename, ws.title, errors)
        result.kinerja[kode] = {"realisasi": realisasi, "keterangan": keterangan, "baris": row}
    for kode, item in expected.items():
        if kode not in result.kinerja:
            reason = f"baris indikator '{kode}' ({item['indikator']}) tidak ditemukan; jangan menghapus baris"
            errors.add_cell(filename, ws.title, None, reason, "missing_row", kode=kode)


def _read_anggaran(ws: Any, filename: str, bidang: str, renja: Renja, result: LembarIsian, errors: ErrorList) -> None:
    columns = layout.ANGGARAN_COLUMNS
    table = _table(ws, columns, filename, errors)
    if table is None:
        return
    expected = {k["kode_kegiatan"]: k for k in renja.kegiatan_bidang(bidang)}
    owner = {k["kode_kegiatan"]: k["bidang"] for k in renja.kegiatan}
    col = {c.key: i for i, c in enumerate(columns)}
    for row, cells in table:
        kode = _code(
            cells[col["kode_kegiatan"]],
            filename,
            ws.title,
            "kegiatan",
            expected,
            owner,
            result.anggaran,
            errors,
        )
        if kode is None:
            continue
        pagu = expected[kode]["pagu"]
        _check_fixed_number(cells[col["pagu"]], pagu, filename, ws.title, "pagu", format_rupiah, errors)
        realisasi = _number(cells[col["realisasi"]], filename, ws.title, "realisasi anggaran", errors)
        if realisasi is not None and realisasi > pagu:
            reason = f"realisasi anggaran {format_rupiah(realisasi)} melebihi pagu {format_rupiah(pagu)}"
            errors.add_cell(filename, ws.title, cells[col["realisasi"]].coordinate, reason, "exceeds_pagu")
        keterangan = _text(cells[col["keterangan"]], filename, ws.title, errors)
        result.anggaran[kode] = {"realisasi": realisasi, "keterangan": keterangan, "baris": row}
    for kode, item in expected.items():
        if kode not in result.anggaran:
            reason = f"baris kegiatan '{kode}' ({item['kegiatan']}) tidak ditemukan; jangan menghapus baris"
            errors.add_cell(filename, ws.title, None, reason, "missing_row", kode=kode)


def _code(
    cell: Cell,
    filename: str,
    sheet: str,
    jenis: str,
    expected: dict[str, Any],
    owner: dict[str, str],
    seen: dict[str, dict[str, Any]],
    errors: ErrorList,
) -> str | None:
    """Return the row's code if it is expected and new; otherwise record why not and return None."""
    kode = "" if _blank(cell.value) else str(cell.value).strip()
    if not kode:
        errors.add_cell(filename, sheet, cell.coordinate, "baris berisi data tetapi kolom kode kosong", "missing_code")
        return None
    if kode not in expected:
        reason = f"kode {jenis} '{kode}' tidak dikenal untuk Bidang ini"
        if kode in owner:
            reason += f" (kode tersebut milik Bidang '{owner[kode]}')"
        errors.add_cell(filename, sheet, cell.coordinate, reason, "unknown_code", kode=kode)
        return None
    if kode in seen:
        reason = f"kode {jenis} '{kode}' muncul lebih dari sekali (pertama di baris {seen[kode]['baris']})"
        errors.add_cell(filename, sheet, cell.coordinate, reason, "duplicate_code", kode=kode)
        return None
    return kode


def _check_fixed_number(
    cell: Cell,
    expected: float | None,
    filename: str,
    sheet: str,
    label: str,
    show: Any,
    errors: ErrorList,
    positive: bool = False,
) -> None:
    """Check a locked cell (target, pagu) still shows the Renja value; target must be > 0."""
    if expected is None or (positive and expected <= 0):
        shown = "kosong" if expected is None else f"bernilai {show(expected)}"
        reason = f"{label} {shown}; capaian tidak dapat dihitung, {label} harus lebih dari 0"
        errors.add_cell(filename, sheet, cell.coordinate, reason, "target_zero")
        return
    value = cell.value
    if not _is_number(value) or not math.isclose(float(value), float(expected), rel_tol=1e-9, abs_tol=1e-9):
        found = "kosong" if _blank(value) else f"'{value}'"
        reason = (
            f"{label} di berkas ({found}) berbeda dengan data Renja ({show(expected)}); kolom ini tidak boleh diubah"
        )
        errors.add_cell(filename, sheet, cell.coordinate, reason, f"{label}_changed")


def _number(cell: Cell, filename: str, sheet: str, label: str, errors: ErrorList) -> float | int | None:
    """Return the typed number of an input cell, or record why it is not one and return None."""
    value = cell.value
    formula = _formula(cell)
    if formula is not None:
        reason, code = f"berisi rumus '{formula}', seharusnya angka yang diketik langsung", "formula"
    elif _blank(value):
        reason, code = f"{label} belum diisi", "empty"
    elif isinstance(value, bool):
        reason, code = "berisi nilai logika (TRUE/FALSE), seharusnya angka", "not_a_number"
    elif isinstance(value, (datetime, date, time, timedelta)):
        reason, code = f"berisi tanggal/waktu '{value}', seharusnya angka", "not_a_number"
    elif isinstance(value, str):
        shown = value.strip() if len(value.strip()) <= 40 else value.strip()[:40] + "…"
        reason, code = f"berisi teks '{shown}', seharusnya angka", "not_a_number"
    elif not _is_number(value):
        reason, code = f"berisi nilai '{value}', seharusnya angka", "not_a_number"
    elif value < 0:
        reason, code = f"berisi angka negatif ({format_angka(value)}), seharusnya 0 atau lebih", "negative"
    else:
        return value
    errors.add_cell(filename, sheet, cell.coordinate, reason, code)
    return None


def _text(cell: Cell, filename: str, sheet: str, errors: ErrorList) -> str:
    """Return a free-text cell as a string ("" when empty); a formula is an error."""
    formula = _formula(cell)
    if formula is not None:
        reason = f"berisi rumus '{formula}', seharusnya teks yang diketik langsung"
        errors.add_cell(filename, sheet, cell.coordinate, reason, "formula")
        return ""
    value = cell.value
    if _blank(value):
        return ""
    return value.isoformat() if isinstance(value, (datetime, date, time)) else str(value).strip()


def _formula(cell: Cell) -> str | None:
    """Return the formula text of a cell, or None for a plain value."""
    value = cell.value
    if cell.data_type == "f" or (isinstance(value, str) and value.startswith("=") and len(value) > 1):
        return str(getattr(value, "text", value))  # ArrayFormula keeps its text in .text
    return None


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
