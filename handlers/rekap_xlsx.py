"""Build the "Rekap Data Kinerja" workbook of step 3 (the document the Kasubbag Perencanaan opens).

One job: lay out a step-3 ``rekap`` (see :mod:`handlers.aggregate_performance_data`) as
a print-ready .xlsx: a summary sheet ("Ringkasan": one row per Bidang and the overall
totals, then the count per category) and one sheet per Bidang (indicators with target,
realisasi, capaian and category; activities with pagu, realisasi and absorption, with
totals). Values are real numbers; what the reader sees comes from number formats tagged
with the Indonesian locale (``[$-421]``: LibreOffice shows ``1.250.000`` and ``87,50%``
whatever the machine's language; Excel uses the system's separators). Every text goes
through :func:`handlers.xlsx_output.write` (never a formula), every sheet through
:func:`handlers.xlsx_output.print_setup`.
"""

from __future__ import annotations

import io
import re
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from handlers.xlsx_output import print_setup, write

SHEET_RINGKASAN = "Ringkasan"
JUDUL = "REKAP DATA KINERJA"
LABEL_DATA_CONTOH = "DATA CONTOH — bukan data resmi"

#: Number formats (Indonesian locale tag); percentages are stored as 87.5, not 0.875.
FORMAT_RUPIAH = '[$-421]"Rp "#,##0'
FORMAT_PERSEN = '[$-421]#,##0.00"%"'
FORMAT_ANGKA = "[$-421]#,##0.##########"
FORMAT_BULAT = "[$-421]#,##0"

_HEADER_FILL = PatternFill("solid", start_color="D9E1F2")
_TOTAL_FILL = PatternFill("solid", start_color="F2F2F2")
_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_MAX_WIDTH = 60  # characters; longer text wraps inside the column
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

# (header, key, number format or None for text) per table
RINGKASAN_COLUMNS = (
    ("No", "nomor", FORMAT_BULAT),
    ("Bidang", "bidang", None),
    ("Jumlah Indikator", "jumlah_indikator", FORMAT_BULAT),
    ("Rata-rata Capaian", "rata_rata_capaian", FORMAT_PERSEN),
    ("Kategori", "kategori_rata_rata", None),
    ("Jumlah Kegiatan", "jumlah_kegiatan", FORMAT_BULAT),
    ("Pagu (Rp)", "jumlah_pagu", FORMAT_RUPIAH),
    ("Realisasi Anggaran (Rp)", "jumlah_realisasi_anggaran", FORMAT_RUPIAH),
    ("Penyerapan Anggaran", "penyerapan_anggaran", FORMAT_PERSEN),
)
INDIKATOR_COLUMNS = (
    ("Kode", "kode", None),
    ("Indikator", "indikator", None),
    ("Satuan", "satuan", None),
    ("Polaritas", "polaritas", None),
    ("Target", "target", FORMAT_ANGKA),
    ("Realisasi", "realisasi", FORMAT_ANGKA),
    ("Capaian", "capaian", FORMAT_PERSEN),
    ("Kategori", "kategori", None),
    ("Keterangan", "keterangan", None),
)
ANGGARAN_COLUMNS = (
    ("Kode Kegiatan", "kode_kegiatan", None),
    ("Kegiatan", "kegiatan", None),
    ("Pagu (Rp)", "pagu", FORMAT_RUPIAH),
    ("Realisasi (Rp)", "realisasi", FORMAT_RUPIAH),
    ("Penyerapan", "penyerapan", FORMAT_PERSEN),
    ("Keterangan", "keterangan", None),
)


def nama_berkas(periode_kode: str) -> str:
    """Return the file name of the Rekap of ``periode_kode`` (also printed in its footer)."""
    return f"rekap_data_kinerja_{periode_kode}.xlsx"


def nama_lembar(bidang: str, taken: set[str]) -> str:
    """Return a valid, unique sheet name for ``bidang`` (max 31 characters, no ``[]:*?/\\``)."""
    base = _SHEET_NAME_FORBIDDEN.sub(" ", bidang).strip().strip("'")[:31] or "Bidang"
    name, counter = base, 2
    while name.casefold() in {t.casefold() for t in taken}:
        suffix = f" ({counter})"
        name, counter = base[: 31 - len(suffix)] + suffix, counter + 1
    taken.add(name)
    return name


def build_rekap_workbook(rekap: dict[str, Any], instansi: tuple[str, str], filename: str) -> bytes:
    """Return the .xlsx bytes of the Rekap Data Kinerja of a step-3 ``rekap``.

    Reads ``periode``, ``periode_label``, ``data_contoh``, ``per_bidang`` (with
    ``indikator``, ``anggaran`` and the totals) and the overall totals of the rekap.
    ``instansi`` is (pemerintah, nama); ``filename`` is printed in the footer.
    """
    wb = Workbook()
    ringkasan = wb.active
    assert isinstance(ringkasan, Worksheet)  # a new Workbook's only sheet
    ringkasan.title = SHEET_RINGKASAN
    taken = {SHEET_RINGKASAN}
    row = _title(ringkasan, instansi, JUDUL, rekap, "Seluruh Bidang")
    header_row = row
    rows = [
        {
            "nomor": n,
            **b,
            "jumlah_indikator": len(b.get("indikator", [])),
            "jumlah_kegiatan": len(b.get("anggaran", [])),
        }
        for n, b in enumerate(rekap["per_bidang"], start=1)
    ]
    total = {**{key: rekap.get(key) for _h, key, _f in RINGKASAN_COLUMNS if key != "nomor"}, "bidang": "Keseluruhan"}
    row = _table(ringkasan, row, RINGKASAN_COLUMNS, rows, total)
    row += 1
    write(ringkasan, row, 2, "Jumlah indikator per kategori capaian").font = Font(bold=True)
    kategori_rows = [{"kategori": k, "jumlah": v} for k, v in (rekap.get("jumlah_per_kategori") or {}).items()]
    row = _table(
        ringkasan,
        row + 1,
        (("Kategori", "kategori", None), ("Jumlah Indikator", "jumlah", FORMAT_BULAT)),
        kategori_rows,
        None,
        first_column=2,
    )
    _fit_widths(ringkasan, header_row)
    print_setup(ringkasan, filename, header_rows=(header_row, header_row))

    for bidang in rekap["per_bidang"]:
        ws = wb.create_sheet(nama_lembar(str(bidang["bidang"]), taken))
        row = _title(ws, instansi, JUDUL, rekap, f"Bidang {bidang['bidang']}")
        header_row = row
        write(ws, row - 1, 1, "A. Capaian kinerja").font = Font(bold=True)
        row = _table(ws, row, INDIKATOR_COLUMNS, bidang.get("indikator", []), None)
        total = {
            "kode": "",
            "indikator": "Rata-rata capaian Bidang",
            "capaian": bidang.get("rata_rata_capaian"),
            "kategori": bidang.get("kategori_rata_rata"),
        }
        row = _total_row(ws, row, INDIKATOR_COLUMNS, total, 1)
        row += 2
        write(ws, row - 1, 1, "B. Realisasi anggaran").font = Font(bold=True)
        row = _table(
            ws,
            row,
            ANGGARAN_COLUMNS,
            bidang.get("anggaran", []),
            {
                "kegiatan": "Jumlah",
                "pagu": bidang.get("jumlah_pagu"),
                "realisasi": bidang.get("jumlah_realisasi_anggaran"),
                "penyerapan": bidang.get("penyerapan_anggaran"),
            },
        )
        if bidang.get("catatan"):
            write(ws, row + 1, 1, "Catatan Bidang:").font = Font(bold=True)
            write(ws, row + 1, 2, str(bidang["catatan"]))
        _fit_widths(ws, header_row)
        print_setup(ws, filename, header_rows=(header_row, header_row))

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _title(ws: Worksheet, instansi: tuple[str, str], judul: str, rekap: dict[str, Any], cakupan: str) -> int:
    """Write the title block; return the row of the first table's header."""
    pemerintah, nama = instansi
    lines = [
        (pemerintah.upper(), Font(bold=True, size=12)),
        (nama.upper(), Font(bold=True, size=12)),
        (judul, Font(bold=True, size=13)),
        (f"{cakupan} — {rekap.get('periode_label') or rekap.get('periode')}", Font(bold=True)),
    ]
    if rekap.get("data_contoh"):
        lines.append((LABEL_DATA_CONTOH, Font(bold=True, color="C00000")))
    for number, (text, font) in enumerate(lines, start=1):
        write(ws, number, 1, text).font = font
    return len(lines) + 3  # a blank line, the table's caption line, then the header


def _table(
    ws: Worksheet,
    row: int,
    columns: tuple[tuple[str, str, str | None], ...],
    items: list[dict[str, Any]],
    total: dict[str, Any] | None,
    first_column: int = 1,
) -> int:
    """Write header, rows and an optional total row from ``row`` on; return the next free row."""
    for offset, (header, _key, _fmt) in enumerate(columns):
        cell = write(ws, row, first_column + offset, header)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    row += 1
    for item in items:
        for offset, (_header, key, fmt) in enumerate(columns):
            cell = write(ws, row, first_column + offset, _value(item.get(key), fmt))
            cell.border = _BORDER
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if fmt:
                cell.number_format = fmt
        row += 1
    if total is not None:
        row = _total_row(ws, row, columns, total, first_column)
    return row


def _total_row(
    ws: Worksheet, row: int, columns: tuple[tuple[str, str, str | None], ...], total: dict[str, Any], first: int
) -> int:
    for offset, (_header, key, fmt) in enumerate(columns):
        cell = write(ws, row, first + offset, _value(total.get(key), fmt))
        cell.font = Font(bold=True)
        cell.fill = _TOTAL_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if fmt:
            cell.number_format = fmt
    return row + 1


def _value(value: Any, fmt: str | None) -> Any:
    """Numbers stay numbers in numeric columns; empty becomes an empty cell; text stays text."""
    if value is None or value == "":
        return None
    if fmt is None:
        return str(value)
    return value


def _fit_widths(ws: Worksheet, first_row: int) -> None:
    """Size each column to its longest line from ``first_row`` on (not the title), capped; long text wraps."""
    widths: dict[int, int] = {}
    for row in ws.iter_rows(min_row=first_row):
        for cell in row:
            if cell.value is None:
                continue
            text = _shown(cell.value, cell.number_format)
            longest = max(len(line) for line in text.splitlines() or [""])
            widths[cell.column] = max(widths.get(cell.column, 0), longest)
    for column, width in widths.items():
        ws.column_dimensions[get_column_letter(column)].width = min(_MAX_WIDTH, max(8, width + 2))


def _shown(value: Any, fmt: str) -> str:
    """Approximate the displayed text of a value, to size its column."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = f"{value:,.2f}"
        return ("Rp " + text) if "Rp" in fmt else text + ("%" if "%" in fmt else "")
    return str(value)
