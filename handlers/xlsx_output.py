"""Write cells of generated workbooks safely, and give their sheets one print setup.

One job, shared by every handler that writes an .xlsx (:mod:`handlers.generate_format_isian`,
:mod:`handlers.rekap_xlsx`):

- **Text stays text.** A value typed when a case is started (an indicator's name, a
  Bidang) may begin with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return; a
  spreadsheet would run such a cell as a formula (CSV/formula injection, e.g.
  ``=HYPERLINK(...)``). :func:`write` stores every string as a string cell
  (``data_type = "s"``) and marks the risky ones with the quote prefix, so Excel and
  LibreOffice show the text and keep it text when the cell is edited.
- **Printable.** :func:`print_setup` sets A4 landscape, fit to one page wide, the header
  rows repeated on every page, and a footer with the file name and "Halaman x dari y".
"""

from __future__ import annotations

from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

#: First characters that make a spreadsheet treat typed text as a formula or command.
RISKY_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def is_risky_text(value: object) -> bool:
    """Tell whether ``value`` is a string a spreadsheet could take for a formula."""
    return isinstance(value, str) and value.startswith(RISKY_PREFIXES)


def write(ws: Worksheet, row: int, column: int, value: Any) -> Cell:
    """Put ``value`` into the cell at (row, column) and return it; strings are never formulas."""
    cell = ws.cell(row=row, column=column)
    assert isinstance(cell, Cell)  # a MergedCell only inside a merged range, never written to
    set_value(cell, value)
    return cell


def set_value(cell: Cell, value: Any) -> None:
    """Set ``cell`` to ``value``; a string is stored as text, with a quote prefix when risky."""
    cell.value = value
    if isinstance(value, str):
        # openpyxl turns a str starting with "=" into a formula cell; force text
        cell.data_type = "s"
        if is_risky_text(value):
            cell.quotePrefix = True


def footer_text(text: str) -> str:
    """Escape ``&`` for a header/footer section (``&`` starts a control code there)."""
    return text.replace("&", "&&")


def print_setup(ws: Worksheet, filename: str, *, header_rows: tuple[int, int] | None, landscape: bool = True) -> None:
    """Give ``ws`` the print setup of every generated workbook.

    A4, landscape (or portrait), fitted to one page wide (as many pages tall as needed),
    ``header_rows`` (first, last; 1-based) repeated at the top of each page, centred
    horizontally, and a footer: the file name on the left, "Halaman &P dari &N" on the right.
    """
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE if landscape else ws.ORIENTATION_PORTRAIT
    # a Worksheet always has these parts; the stubs type them optional
    assert ws.sheet_properties.pageSetUpPr is not None and ws.oddFooter is not None
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # 0 = as many pages tall as the rows need
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    if header_rows is not None:
        ws.print_title_rows = f"{header_rows[0]}:{header_rows[1]}"
    ws.oddFooter.left.text = footer_text(filename)
    ws.oddFooter.left.size = 8
    ws.oddFooter.right.text = "Halaman &P dari &N"
    ws.oddFooter.right.size = 8
