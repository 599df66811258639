"""The layout of a "Format Isian" workbook, shared by its writer and its reader.

One job: every sheet name, header row, column and identity cell of the per-Bidang
xlsx lives here, so :mod:`handlers.generate_format_isian` (writes) and
:mod:`handlers.lembar_isian` (reads and validates) cannot drift apart.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from openpyxl.utils import get_column_letter

MEDIA_TYPE_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMAT_ID = "sopflow.format_isian.monev_kinerja.v1"

SHEET_KINERJA = "Kinerja"
SHEET_ANGGARAN = "Anggaran"
SHEET_PETUNJUK = "Petunjuk"
SHEET_IDENTITAS = "Identitas"  # veryHidden: identifies Bidang and periode of the file

# Identity sheet: key in column A, value in column B.
IDENTITAS_FORMAT_CELL = "B1"
IDENTITAS_BIDANG_CELL = "B2"
IDENTITAS_PERIODE_CELL = "B3"
DEFINED_NAME_BIDANG = "sopflow_bidang"
DEFINED_NAME_PERIODE = "sopflow_periode"

HEADER_ROW = 8
FIRST_DATA_ROW = 9
LABEL_CELL = "A7"  # free line above the table (e.g. "DATA CONTOH" in samples)


@dataclass(frozen=True)
class Column:
    """One table column: data ``key``, printed ``header``, width, and whether users fill it."""

    key: str
    header: str
    width: float
    input: bool = False
    numeric: bool = False
    number_format: str = "General"


KINERJA_COLUMNS: tuple[Column, ...] = (
    Column("kode", "Kode", 12),
    Column("program", "Program", 30),
    Column("kegiatan", "Kegiatan", 30),
    Column("indikator", "Indikator", 45),
    Column("satuan", "Satuan", 12),
    Column("target", "Target", 10),
    Column("polaritas", "Polaritas", 16),
    Column("realisasi", "Realisasi s.d. Triwulan (kumulatif)", 18, input=True, numeric=True),
    Column("keterangan", "Keterangan", 35, input=True),
)

ANGGARAN_COLUMNS: tuple[Column, ...] = (
    Column("kode_kegiatan", "Kode Kegiatan", 14),
    Column("kegiatan", "Kegiatan", 45),
    Column("pagu", "Pagu (Rp)", 18, number_format="#,##0"),
    Column(
        "realisasi",
        "Realisasi Anggaran s.d. Triwulan (Rp)",
        22,
        input=True,
        numeric=True,
        number_format="#,##0",
    ),
    Column("keterangan", "Keterangan", 35, input=True),
)


def column_letter(columns: tuple[Column, ...], key: str) -> str:
    """Return the spreadsheet letter of the column with ``key`` (e.g. ``"H"``)."""
    for index, column in enumerate(columns, start=1):
        if column.key == key:
            return get_column_letter(index)
    raise KeyError(key)


def slug(text: str) -> str:
    """Return a filename-safe lowercase slug: ``"Aplikasi Informatika"`` -> ``"aplikasi_informatika"``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_") or "bidang"


def normalise_header(text: object) -> str:
    """Return a header cell's text compared case- and whitespace-insensitively."""
    return " ".join(str(text or "").split()).casefold()
