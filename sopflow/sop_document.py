"""The official SOP document (Permendagri 52/2011 format) generated from a process definition.

Everything comes from the BPMN: the identity page from the process properties
(``sop.nomor``, ``sop.judul``, dates, signatory, numbered lists ``sop.<list>.N``), the
procedure table from the tasks carrying ``sop.step`` (supporting machine steps
excluded), one Pelaksana column per lane in diagram order, and the Mutu Baku from
each task's properties. Nothing here knows a particular SOP, so the printed SOP and
the running process cannot drift apart.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from .sop_steps import Step, collect_steps, format_tanggal, format_waktu, lane_order, numbered_list
from .sop_symbols import symbol_aspect, symbol_png
from .spec_loader import ProcessDefinition

LISTS = (
    ("Dasar Hukum", "sop.dasar_hukum", "Kualifikasi Pelaksana", "sop.kualifikasi"),
    ("Keterkaitan", "sop.keterkaitan", "Peralatan/Perlengkapan", "sop.peralatan"),
    ("Peringatan", "sop.peringatan", "Pencatatan dan Pendataan", "sop.pencatatan"),
)
MUTU_BAKU = ("Persyaratan/Kelengkapan", "Waktu", "Output")
FONT = "Arial"
SHADE = "D9E2F3"
PAGE_LONG, PAGE_SHORT, MARGIN = Cm(29.7), Cm(21.0), Cm(2.0)
_AFTER_SHD = ("w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark", "w:tcPrChange")


# --- docx helpers -------------------------------------------------------------------------------------------------


def _shade(cell: Any, fill: str = SHADE) -> None:
    """Give a cell a background colour (once, at its schema position inside ``w:tcPr``)."""
    tc_pr = cell._tc.get_or_add_tcPr()
    for old in tc_pr.findall(qn("w:shd")):
        tc_pr.remove(old)
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    tc_pr.insert_element_before(shading, *_AFTER_SHD)


def _write(cell: Any, lines: list[str] | str, *, bold: bool = False, size: float = 9, center: bool = False) -> None:
    """Replace a cell's text with one paragraph per line."""
    lines = [lines] if isinstance(lines, str) else lines or [""]
    first = cell.paragraphs[0]
    for index, line in enumerate(lines):
        paragraph = first if index == 0 else cell.add_paragraph()
        paragraph.paragraph_format.space_after = Pt(0)
        if center:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(line)
        run.bold = bold
        run.font.size = Pt(size)


def _write_numbered(cell: Any, items: list[str]) -> None:
    """Write ``1. item`` paragraphs with a hanging indent (or ``-`` when the list is empty)."""
    if not items:
        _write(cell, "-")
        return
    for index, item in enumerate(items, start=1):
        paragraph = cell.paragraphs[0] if index == 1 else cell.add_paragraph()
        fmt = paragraph.paragraph_format
        fmt.left_indent, fmt.first_line_indent, fmt.space_after = Cm(0.6), Cm(-0.6), Pt(2)
        fmt.tab_stops.add_tab_stop(Cm(0.6))
        paragraph.add_run(f"{index}.\t{item}").font.size = Pt(9)


def _set_widths(table: Any, widths: list[Any]) -> None:
    """Fix the column widths in the grid and in every cell (a merged cell gets the sum of its columns)."""
    table.autofit = False
    for column, width in zip(table._tbl.tblGrid.gridCol_lst, widths, strict=False):
        column.w = width
    for row in table.rows:
        index = 0
        for tc in row._tr.tc_lst:
            tc.width = sum(widths[index : index + tc.grid_span])
            index += tc.grid_span


def _repeat_header(row: Any) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    for tag in ("w:tblHeader", "w:cantSplit"):
        element = OxmlElement(tag)
        element.set(qn("w:val"), "true")
        tr_pr.append(element)


def _no_split(row: Any) -> None:
    element = OxmlElement("w:cantSplit")
    element.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(element)


def _heading(document: Any, lines: list[str], size: float = 12) -> None:
    for line in lines:
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.space_after = Pt(0)
        run = paragraph.add_run(line)
        run.bold, run.font.size = True, Pt(size)


# --- the document ------------------------------------------------------------------------------------------------


def _identity_page(document: Any, props: dict[str, str], definition: ProcessDefinition, revised: str) -> None:
    judul = props.get("sop.judul", "").strip() or definition.name
    _heading(document, ["STANDAR OPERASIONAL PROSEDUR (SOP)", judul.upper()])
    document.add_paragraph()
    jabatan = props.get("sop.pengesah_jabatan", "").strip() or props.get("sop.disahkan_oleh", "").strip() or "-"
    signatory = [jabatan, "", "", "", props.get("sop.pengesah_nama", "").strip() or "-"]
    if props.get("sop.pengesah_nip", "").strip():
        signatory.append(f"NIP. {props['sop.pengesah_nip'].strip()}")
    rows = [
        ("Nomor SOP", [props.get("sop.nomor", "").strip() or "-"]),
        ("Tanggal Pembuatan", [format_tanggal(props.get("sop.tanggal_pembuatan"))]),
        ("Tanggal Revisi", [revised]),
        ("Tanggal Pengesahan", [format_tanggal(props.get("sop.tanggal_pengesahan"))]),
        ("Disahkan oleh", signatory),
        ("Judul SOP", [judul]),
    ]
    table = document.add_table(rows=len(rows), cols=3)
    table.style, table.alignment = "Table Grid", WD_TABLE_ALIGNMENT.CENTER
    for row, (label, value) in zip(table.rows, rows, strict=True):
        _write(row.cells[1], label, bold=True, size=10)
        _write(row.cells[2], value, size=10)
    block = table.cell(0, 0).merge(table.cell(len(rows) - 1, 0))
    block.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    left = [props.get("sop.pemerintah", "").strip().upper(), ""] if props.get("sop.pemerintah", "").strip() else []
    left.append((props.get("sop.instansi", "").strip() or "-").upper())
    _write(block, left, bold=True, size=10, center=True)
    _set_widths(table, [Cm(6.5), Cm(4.0), Cm(6.5)])
    document.add_paragraph()
    lists = document.add_table(rows=0, cols=2)
    lists.style, lists.alignment = "Table Grid", WD_TABLE_ALIGNMENT.CENTER
    for left_title, left_key, right_title, right_key in LISTS:
        titles = lists.add_row().cells
        for cell, title in zip(titles, (left_title, right_title), strict=True):
            _write(cell, title, bold=True, size=10)
            _shade(cell)
        body = lists.add_row().cells
        _write_numbered(body[0], numbered_list(props, left_key))
        _write_numbered(body[1], numbered_list(props, right_key))
    _set_widths(lists, [Cm(8.5), Cm(8.5)])


def _procedure_widths(lanes: int) -> tuple[Any, list[Any]]:
    """Return (lane column width, every column's width) filling a landscape A4 page."""
    fixed = {"no": 1.0, "uraian": 4.6, "persyaratan": 3.2, "waktu": 1.8, "output": 2.8, "keterangan": 2.2}
    available = (PAGE_LONG - 2 * MARGIN) / 360000  # EMU -> cm
    lane_width = max(1.6, min(3.0, (available - sum(fixed.values())) / max(lanes, 1)))
    fixed["uraian"] += max(0.0, available - sum(fixed.values()) - lane_width * lanes)
    widths = [fixed["no"], fixed["uraian"], *[lane_width] * lanes]
    widths += [fixed["persyaratan"], fixed["waktu"], fixed["output"], fixed["keterangan"]]
    return Cm(lane_width), [Cm(w) for w in widths]


def _side(from_index: int, to_index: int, vertical: str) -> str:
    if to_index == from_index:
        return vertical
    return "right" if to_index > from_index else "left"


def _procedure_table(document: Any, steps: list[Step], lanes: list[str]) -> None:
    lane_width, widths = _procedure_widths(len(lanes))
    columns = 2 + len(lanes) + len(MUTU_BAKU) + 1
    table = document.add_table(rows=2, cols=columns)
    table.style, table.alignment = "Table Grid", WD_TABLE_ALIGNMENT.CENTER
    first_lane, first_mutu = 2, 2 + len(lanes)
    for title, col in (("No", 0), ("Uraian Kegiatan", 1), ("Keterangan", columns - 1)):
        merged = table.cell(0, col).merge(table.cell(1, col))
        _write(merged, title, bold=True, center=True)
    pelaksana = table.cell(0, first_lane).merge(table.cell(0, first_mutu - 1))
    _write(pelaksana, "Pelaksana", bold=True, center=True)
    mutu = table.cell(0, first_mutu).merge(table.cell(0, first_mutu + len(MUTU_BAKU) - 1))
    _write(mutu, "Mutu Baku", bold=True, center=True)
    for offset, lane in enumerate(lanes):
        _write(table.cell(1, first_lane + offset), lane, bold=True, center=True, size=8)
    for offset, title in enumerate(MUTU_BAKU):
        _write(table.cell(1, first_mutu + offset), title, bold=True, center=True, size=8)
    for row in table.rows:
        _repeat_header(row)
        for cell in row.cells:
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            _shade(cell)
    lane_index = {lane: i for i, lane in enumerate(lanes)}
    image_width = min(lane_width - Cm(0.45), Cm(2.2))
    for position, step in enumerate(steps):
        row = table.add_row()
        _no_split(row)
        cells = row.cells
        _write(cells[0], str(position + 1), center=True)
        _write(cells[1], step.uraian)
        props = step.props
        mutu_values = [props.get("sop.persyaratan", "").strip() or "-", format_waktu(props)]
        mutu_values.append(props.get("sop.output", "").strip() or "-")
        for offset, value in enumerate(mutu_values):
            _write(cells[first_mutu + offset], value, center=offset == 1)
        _write(cells[-1], props.get("sop.keterangan", "").strip() or "-")
        for cell in cells:
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        here = lane_index[step.lane]
        entry = _side(here, lane_index[steps[position - 1].lane], "top") if position else None
        exit_ = _side(here, lane_index[steps[position + 1].lane], "down") if position + 1 < len(steps) else None
        png = symbol_png(step.symbol, step.label, entry, exit_)
        cell = cells[first_lane + here]
        paragraph = cell.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.space_after = Pt(0)
        paragraph.add_run().add_picture(io.BytesIO(png), width=image_width, height=int(image_width * symbol_aspect()))
        for branch in step.branches:
            _write_branch(cell, branch)
    _set_widths(table, widths)


def _write_branch(cell: Any, text: str) -> None:
    paragraph = cell.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_after = Pt(0)
    run = paragraph.add_run(text)
    run.font.size, run.italic = Pt(7), True


def _signature(document: Any, props: dict[str, str], place: str) -> None:
    """Write the signature block: place and date of pengesahan, jabatan, space, nama (underlined), NIP."""
    when = format_tanggal(props.get("sop.tanggal_pengesahan"))
    jabatan = props.get("sop.pengesah_jabatan", "").strip() or props.get("sop.disahkan_oleh", "").strip()
    nip = props.get("sop.pengesah_nip", "").strip()
    lines = [(f"{place}, {when}" if place else when, "plain"), (jabatan, "bold"), ("", ""), ("", ""), ("", "")]
    lines.append((props.get("sop.pengesah_nama", "").strip() or "-", "name"))
    if nip:
        lines.append((f"NIP. {nip}", "plain"))
    document.add_paragraph()
    for text, kind in lines:
        paragraph = document.add_paragraph()
        fmt = paragraph.paragraph_format
        fmt.left_indent, fmt.space_after, fmt.keep_with_next = Cm(16.5), Pt(0), True
        run = paragraph.add_run(text)
        run.font.size = Pt(10)
        run.bold = kind in ("bold", "name")
        run.underline = kind == "name"


def render_sop_document(definition: ProcessDefinition, revised_on: date | None = None) -> bytes:
    """Return the official SOP of a process as a .docx: identity page, procedure table, signature.

    ``revised_on`` (the day a new version is published) replaces ``sop.tanggal_revisi``.
    Dates are written in Indonesian; empty values print as ``-``.
    """
    props = definition.properties
    steps = collect_steps(definition)
    lanes = lane_order(definition)
    for step in steps:
        if step.lane not in lanes:  # a task outside the laneSet (or a process without lanes)
            step.lane = step.lane or "Pelaksana"
            if step.lane not in lanes:
                lanes.append(step.lane)
    revised = format_tanggal(revised_on) if revised_on else format_tanggal(props.get("sop.tanggal_revisi"))
    place = props.get("sop.tempat", "").strip() or str((definition.config.get("instansi") or {}).get("kota", ""))

    document = Document()
    style = document.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(10)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    section = document.sections[0]
    section.page_width, section.page_height = PAGE_SHORT, PAGE_LONG
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, MARGIN)
    _identity_page(document, props, definition, revised)

    landscape = document.add_section(WD_SECTION.NEW_PAGE)
    landscape.orientation = WD_ORIENT.LANDSCAPE
    landscape.page_width, landscape.page_height = PAGE_LONG, PAGE_SHORT
    judul = props.get("sop.judul", "").strip() or definition.name
    _heading(document, [f"SOP : {judul.upper()}"], size=11)
    document.add_paragraph().paragraph_format.space_after = Pt(0)
    _procedure_table(document, steps, lanes)
    _signature(document, props, place)

    document.core_properties.title = f"SOP {props.get('sop.nomor', '')} {judul}".strip()
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
