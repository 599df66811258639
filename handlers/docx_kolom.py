"""Size the columns of every table of a rendered .docx to its content (fixed layout, explicit widths).

One job. A table left to "auto" or to equal widths breaks long words in narrow columns
("Penyerapa|n"). After the template is filled, :func:`sesuaikan_lebar_kolom` measures,
per column, the widest single word (the column's minimum: a word is never cut) and the
widest line (its preference), then shares the page's text width: every column gets its
minimum, the rest goes to the columns that would wrap, in proportion to what they
lack. The result is written as ``w:tblLayout type="fixed"`` with ``w:tblGrid`` and every
cell's ``w:tcW`` in twips, which Word and LibreOffice both honour.

Text is measured with the metrics of Liberation Sans (metric-compatible with Arial, the
document font) when the font is installed; otherwise with a deliberately generous
estimate, so a missing font makes columns wider, never too narrow.
"""

from __future__ import annotations

import functools
import math
from typing import Any

from docx.oxml import OxmlElement
from docx.oxml.ns import qn

TWIPS_PER_PT = 20
CELL_PADDING_TWIPS = 2 * 108 + 60  # Word's default left + right cell margins, plus a safety slack
_FONT_FAMILIES = ("Liberation Sans", "Arial")
# the tags read for every run of every cell, resolved once
_W_P, _W_R, _W_T, _W_BR, _W_CR, _W_TAB = (qn(t) for t in ("w:p", "w:r", "w:t", "w:br", "w:cr", "w:tab"))
_W_JC, _W_VAL = f"{qn('w:pPr')}/{qn('w:jc')}", qn("w:val")
_W_RPR, _W_SZ, _W_B = qn("w:rPr"), qn("w:sz"), qn("w:b")
_W_TR, _W_TC, _W_GRID_COL, _W_HEADER = qn("w:tr"), qn("w:tc"), qn("w:gridCol"), f"{qn('w:trPr')}/{qn('w:tblHeader')}"
_W_TC_W, _W_W, _W_TYPE = f"{qn('w:tcPr')}/{qn('w:tcW')}", qn("w:w"), qn("w:type")


@functools.cache
def _font(bold: bool, size_pt: float) -> Any:
    """Return a PIL font for measuring, or None when no metric-compatible font is installed."""
    try:
        from matplotlib.font_manager import FontProperties, findfont
        from PIL import ImageFont

        for family in _FONT_FAMILIES:
            path = findfont(
                FontProperties(family=family, weight="bold" if bold else "normal"), fallback_to_default=False
            )
            # measure at 10x size for sub-point precision
            return ImageFont.truetype(path, round(size_pt * 10))
    except Exception:  # no font / no PIL: fall back to the generous estimate
        return None
    return None


@functools.lru_cache(maxsize=8192)
def lebar_teks(text: str, size_pt: float, bold: bool = False) -> float:
    """Return the width of ``text`` in points at ``size_pt`` (Arial metrics, or a generous estimate).

    Kept per process (a report measures the same words and cells again and again).
    """
    font = _font(bold, size_pt)
    if font is None:
        return len(text) * size_pt * (0.62 if bold else 0.58)
    return font.getlength(text) / 10


def sesuaikan_lebar_kolom(document: Any, ukuran_bawaan_pt: float) -> None:
    """Give every table of ``document`` (python-docx) a fixed layout with widths fitted to its content.

    Each table gets the text width of its own section (page width minus margins, so a
    landscape lampiran gets more); ``ukuran_bawaan_pt`` is the size of runs that set none.
    Tables whose rows have merged cells keep their widths.
    """
    for table_element, width in _tables_with_text_width(document):
        _fit(table_element, width, ukuran_bawaan_pt)


def _tables_with_text_width(document: Any) -> list[tuple[Any, int]]:
    """Return (w:tbl, text width in twips) of the body's tables, each with its section's width."""
    body = document.element.body
    result: list[tuple[Any, int]] = []
    pending: list[Any] = []
    for child in body.iterchildren():
        if child.tag == qn("w:tbl"):
            pending.append(child)
        elif child.tag == qn("w:p"):
            sect_pr = child.find(f"{qn('w:pPr')}/{qn('w:sectPr')}")
            if sect_pr is not None:  # this paragraph ends a section: the pending tables are in it
                result += [(t, _text_width(sect_pr)) for t in pending]
                pending = []
        elif child.tag == qn("w:sectPr"):
            result += [(t, _text_width(child)) for t in pending]
            pending = []
    return result


def _text_width(sect_pr: Any) -> int:
    size, margins = sect_pr.find(qn("w:pgSz")), sect_pr.find(qn("w:pgMar"))
    width = int(size.get(qn("w:w"))) if size is not None else 11906
    left = int(margins.get(qn("w:left"))) if margins is not None else 1440
    right = int(margins.get(qn("w:right"))) if margins is not None else 1440
    return width - left - right


def _fit(tbl: Any, total: int, default_size: float) -> None:
    columns = len(tbl.tblGrid.findall(_W_GRID_COL))
    rows = [(tr, tr.findall(_W_TC)) for tr in tbl.findall(_W_TR)]
    if not columns or any(len(cells) != columns for _, cells in rows):
        return  # merged cells: leave as designed
    word = [0.0] * columns  # widest word: a column never gets less
    keep = [0.0] * columns  # widest line that should not wrap (numbers, short values)
    line = [0.0] * columns  # widest line: what the column would like
    for tr, cells in rows:
        header = tr.find(_W_HEADER) is not None
        for index, tc in enumerate(cells):
            widest_word, widest_line, unbreakable = _measure_cell(tc, default_size, header)
            word[index] = max(word[index], widest_word)
            line[index] = max(line[index], widest_line)
            keep[index] = max(keep[index], unbreakable)

    def twips(points: list[float]) -> list[float]:
        return [p * TWIPS_PER_PT + CELL_PADDING_TWIPS for p in points]

    minimum = twips([max(w, k) for w, k in zip(word, keep, strict=True)])
    if sum(minimum) > total:  # too much to keep whole: only words stay whole
        minimum = twips(word)
    widths = _share(minimum, twips(line), total)
    _write_widths(tbl, [cells for _, cells in rows], widths, total)


def _share(minimum: list[float], preferred: list[float], total: int) -> list[int]:
    """Share ``total`` between columns: minimum first, then toward the preference, then the rest."""
    if sum(minimum) >= total:
        scale = total / sum(minimum)  # cannot fit every word: shrink evenly (rare; very long words)
        return [int(m * scale) for m in minimum]
    preferred = [max(p, m) for p, m in zip(preferred, minimum, strict=True)]
    extra = total - sum(minimum)
    lacking = [p - m for p, m in zip(preferred, minimum, strict=True)]
    if sum(lacking) <= extra:
        spare = total - sum(preferred)
        widths = [p + spare * p / sum(preferred) for p in preferred]
    else:
        widths = [m + extra * lack / sum(lacking) for m, lack in zip(minimum, lacking, strict=True)]
    result = [math.ceil(w) for w in widths]  # rounding up never takes a twip from a word
    slack = [r - m for r, m in zip(result, minimum, strict=True)]
    result[slack.index(max(slack))] -= sum(result) - total  # the roomiest column gives the excess back
    return result


#: A value up to this many characters ("Sangat Rendah", "hari kerja") is kept on one line when room allows.
SHORT_TEXT = 16


def _measure_cell(tc: Any, default_size: float, header: bool) -> tuple[float, float, float]:
    """Return (widest word, widest line, widest line to keep whole) of a cell, in points.

    Lines to keep whole: right-aligned lines (numbers, amounts such as "Rp 1.250.000.000")
    and short values outside the header row.
    """
    widest_word = widest_line = keep = 0.0
    for p in tc.iter(_W_P):
        jc = p.find(_W_JC)
        right = jc is not None and jc.get(_W_VAL) in ("right", "end")
        lines: list[tuple[float, str]] = [(0.0, "")]
        for r in p.iter(_W_R):
            size, bold = _run_format(r, default_size)
            for child in r:
                tag = child.tag
                if tag == _W_T:
                    text = child.text or ""
                    width, sofar = lines[-1]
                    lines[-1] = (width + lebar_teks(text, size, bold), sofar + text)
                    for word in text.split():
                        widest_word = max(widest_word, lebar_teks(word, size, bold))
                elif tag in (_W_BR, _W_CR):
                    lines.append((0.0, ""))
                elif tag == _W_TAB:
                    width, sofar = lines[-1]
                    lines[-1] = (width + 36, sofar + " ")
        for width, text in lines:
            widest_line = max(widest_line, width)
            if right or (not header and len(text.strip()) <= SHORT_TEXT):
                keep = max(keep, width)
    return widest_word, widest_line, keep


def _run_format(r: Any, default_size: float) -> tuple[float, bool]:
    rpr = r.find(_W_RPR)
    size, bold = default_size, False
    if rpr is not None:
        sz = rpr.find(_W_SZ)
        if sz is not None and sz.get(_W_VAL):
            size = int(sz.get(_W_VAL)) / 2
        b = rpr.find(_W_B)
        bold = b is not None and b.get(_W_VAL) not in ("0", "false")
    return size, bold


def _write_widths(tbl: Any, rows: list[list[Any]], widths: list[int], total: int) -> None:
    tbl_pr = tbl.tblPr
    tbl_pr.get_or_add_tblLayout().set(qn("w:type"), "fixed")  # python-docx keeps the schema order
    tbl_w = tbl_pr.find(qn("w:tblW"))
    if tbl_w is None:
        tbl_w = OxmlElement("w:tblW")
        style = tbl_pr.find(qn("w:tblStyle"))
        if style is not None:
            style.addnext(tbl_w)
        else:
            tbl_pr.insert(0, tbl_w)
    tbl_w.set(qn("w:w"), str(total))
    tbl_w.set(qn("w:type"), "dxa")
    for grid_col, width in zip(tbl.tblGrid.findall(_W_GRID_COL), widths, strict=True):
        grid_col.set(_W_W, str(width))
    texts = [str(width) for width in widths]
    for cells in rows:
        for tc, text in zip(cells, texts, strict=True):
            tc_w = tc.find(_W_TC_W)  # usually there; python-docx adds it in schema order otherwise
            if tc_w is None:
                tc_w = tc.get_or_add_tcPr().get_or_add_tcW()
            tc_w.set(_W_W, text)
            tc_w.set(_W_TYPE, "dxa")
