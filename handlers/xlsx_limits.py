"""Bounds of an uploaded .xlsx, checked before openpyxl parses a single cell.

One job: refuse a workbook that is too big to read *before* reading it. A 212 KB upload can
unpack to 95 MB and 6.6 million cells (an xlsx is a zip of XML); parsing that kept a server
worker busy for minutes and took gigabytes. Every xlsx reader of the handlers calls
:func:`check_xlsx` first and then opens the workbook in openpyxl's streaming (``read_only``)
mode. The checks, cheapest first:

1. the uploaded size;
2. the total and per-member uncompressed size, from the zip central directory;
3. the number of sheets (``xl/workbook.xml`` and the worksheet parts);
4. the declared dimension of every sheet (``<dimension ref="A1:I12"/>``) and the declared
   count of shared strings (``<sst count=... uniqueCount=...>``);
5. the real number of cells and shared strings, counted by streaming the decompressed XML
   through a small scanner (declared values can lie; this cannot, and costs ~10 ms per MB).

The defaults fit a real Format Isian many times over: the sample files under
``samples/monev_kinerja/lembar_isian`` are about 9.7 KB packed, 32 KB unpacked, 4 sheets,
at most 108 declared cells per sheet (about 90 filled in all) and no shared strings; the caps
are 5 MB packed, 10 MB unpacked (300x), 100 sheets (25x), 100,000 cells (1,000x) and
100,000 shared strings. A process may change them in its sidecar configuration
(``batas_ukuran_berkas_bytes``, ``batas_xlsx_ukuran_ekstrak_bytes``, ``batas_xlsx_lembar``,
``batas_xlsx_sel``, ``batas_xlsx_teks_bersama``). This module uses no database, Flask or
engine code.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from openpyxl.utils import get_column_letter

from handlers.konfigurasi import angka

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_UNPACKED_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_SHEETS = 100
DEFAULT_MAX_CELLS = 100_000
DEFAULT_MAX_SHARED_STRINGS = 100_000

_CHUNK = 256 * 1024
_HEAD = 8 * 1024
_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
_SHARED_STRING = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s/>]")
_SHEET = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheet[\s/>]")
_DIMENSION = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?dimension\s[^>]*ref=\"([A-Z]{1,3})(\d{1,7})(?::([A-Z]{1,3})(\d{1,7}))?\""
)
_SST_COUNT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sst\s[^>]*")
_COUNT_ATTRIBUTE = re.compile(rb"\b(?:count|uniqueCount)=\"(\d{1,12})\"")
_WORKSHEET = re.compile(r"^xl/(?:worksheets|chartsheets|dialogsheets|macrosheets)/[^/]+\.xml$")


@dataclass(frozen=True)
class XlsxLimits:
    """The caps an xlsx must stay within; :meth:`from_config` reads a process's overrides."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_unpacked_bytes: int = DEFAULT_MAX_UNPACKED_BYTES
    max_sheets: int = DEFAULT_MAX_SHEETS
    max_cells: int = DEFAULT_MAX_CELLS
    max_shared_strings: int = DEFAULT_MAX_SHARED_STRINGS

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> XlsxLimits:
        """Return the limits of a process: its sidecar keys where present, else the defaults."""
        return cls(
            max_bytes=int(angka(config, "batas_ukuran_berkas_bytes", DEFAULT_MAX_BYTES)),
            max_unpacked_bytes=int(angka(config, "batas_xlsx_ukuran_ekstrak_bytes", DEFAULT_MAX_UNPACKED_BYTES)),
            max_sheets=int(angka(config, "batas_xlsx_lembar", DEFAULT_MAX_SHEETS)),
            max_cells=int(angka(config, "batas_xlsx_sel", DEFAULT_MAX_CELLS)),
            max_shared_strings=int(angka(config, "batas_xlsx_teks_bersama", DEFAULT_MAX_SHARED_STRINGS)),
        )


class XlsxTooLarge(Exception):
    """An xlsx exceeds one of the limits; ``reason`` says which, with the found and allowed numbers."""

    def __init__(self, found: int, limit: int, unit: str) -> None:
        self.reason = f"melebihi batas: {_number(found)} {unit} (maksimum {_number(limit)})"
        super().__init__(f"Berkas {self.reason}")
        self.found, self.limit, self.unit = found, limit, unit


def _number(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def check_xlsx(data: bytes, limits: XlsxLimits) -> None:
    """Raise XlsxTooLarge if ``data`` (an xlsx) exceeds ``limits``; zip errors propagate (BadZipFile)."""
    if len(data) > limits.max_bytes:
        raise XlsxTooLarge(len(data), limits.max_bytes, "byte")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        unpacked = sum(max(info.file_size, 0) for info in infos)
        if unpacked > limits.max_unpacked_bytes:
            raise XlsxTooLarge(unpacked, limits.max_unpacked_bytes, "byte setelah diekstrak")
        names = {info.filename for info in infos}
        sheets = [info for info in infos if _WORKSHEET.match(info.filename)]
        declared_sheets = 0
        if "xl/workbook.xml" in names:
            declared_sheets = _count(archive, "xl/workbook.xml", _SHEET, limits)
        if max(len(sheets), declared_sheets) > limits.max_sheets:
            raise XlsxTooLarge(max(len(sheets), declared_sheets), limits.max_sheets, "lembar")
        declared_cells = sum(_declared_area(archive, info) for info in sheets)
        if declared_cells > limits.max_cells:
            raise XlsxTooLarge(declared_cells, limits.max_cells, "sel")
        if "xl/sharedStrings.xml" in names:
            declared = _declared_shared_strings(archive)
            if declared > limits.max_shared_strings:
                raise XlsxTooLarge(declared, limits.max_shared_strings, "teks bersama")
            found = _count(archive, "xl/sharedStrings.xml", _SHARED_STRING, limits)
            if found > limits.max_shared_strings:
                raise XlsxTooLarge(found, limits.max_shared_strings, "teks bersama")
        cells = 0
        for info in sheets:
            cells += _count(archive, info.filename, _CELL, limits)
            if cells > limits.max_cells:
                raise XlsxTooLarge(cells, limits.max_cells, "sel")


def _head(archive: zipfile.ZipFile, name: str) -> bytes:
    with archive.open(name) as member:
        return member.read(_HEAD)


def _declared_area(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    match = _DIMENSION.search(_head(archive, info.filename))
    if match is None:
        return 0
    first_col, first_row, last_col, last_row = match.groups()
    if last_col is None:
        return 1
    columns = abs(_column_number(last_col) - _column_number(first_col)) + 1
    return columns * (abs(int(last_row) - int(first_row)) + 1)


def _column_number(letters: bytes) -> int:
    number = 0
    for char in letters:
        number = number * 26 + (char - ord("A") + 1)
    return number


def _declared_shared_strings(archive: zipfile.ZipFile) -> int:
    match = _SST_COUNT.search(_head(archive, "xl/sharedStrings.xml"))
    if match is None:
        return 0
    return max((int(n) for n in _COUNT_ATTRIBUTE.findall(match.group(0))), default=0)


def _count(archive: zipfile.ZipFile, name: str, pattern: re.Pattern[bytes], limits: XlsxLimits) -> int:
    """Count ``pattern`` in a member by streaming it; never holds more than a chunk in memory.

    A match starts with ``<`` and holds no other ``<``, so counting up to the last ``<`` of the
    buffer and carrying the rest over never counts a match twice or misses one across chunks.
    """
    total, carry, read = 0, b"", 0
    with archive.open(name) as member:
        while chunk := member.read(_CHUNK):
            read += len(chunk)
            if read > limits.max_unpacked_bytes:  # the central directory lied about the size
                raise XlsxTooLarge(read, limits.max_unpacked_bytes, "byte setelah diekstrak")
            buffer = carry + chunk
            cut = buffer.rfind(b"<")
            if cut < 0 or len(buffer) - cut > _HEAD:
                cut = len(buffer)
            total += len(pattern.findall(buffer, 0, cut))
            carry = buffer[cut:]
    return total + len(pattern.findall(carry))


@dataclass(frozen=True)
class Cell:
    """One streamed cell as readers see it (openpyxl's streamed empty cells carry no coordinate)."""

    coordinate: str
    value: Any
    data_type: str = "n"


def stream_rows(ws: Any, first_row: int, width: int) -> Iterator[tuple[int, list[Cell]]]:
    """Yield ``(row number, cells A..width)`` of a ``read_only`` worksheet from ``first_row`` on.

    One pass over the sheet's XML; the declared dimension is ignored (a lying ``<dimension>``
    must not hide rows), so rows are read until the sheet ends or the caller stops.
    """
    ws.reset_dimensions()
    for number, row in enumerate(ws.iter_rows(min_row=first_row, max_col=width), start=first_row):
        padded = [*row, *([None] * (width - len(row)))]
        yield (
            number,
            [
                Cell(f"{get_column_letter(col)}{number}", getattr(c, "value", None), getattr(c, "data_type", "n"))
                for col, c in enumerate(padded, start=1)
            ],
        )
