"""The official SOP document (Permenpan RB 35/2012, Permendagri 52/2011 format) generated from a process definition.

Everything comes from the BPMN: the identity page from the process properties
(``sop.nomor``, ``sop.judul``, dates, signatory, numbered lists ``sop.<list>.N``), the
procedure table from the tasks carrying ``sop.step`` (supporting machine steps
excluded), one Pelaksana column per lane in diagram order, the Mutu Baku from each
task's properties and the flowchart from the sequence flows. Nothing here knows a
particular SOP, so the printed SOP and the running process cannot drift apart.

The flowchart technique: one vector drawing per page, made of DrawingML shapes
(``wps``) anchored at absolute page positions, over a table whose row heights are
fixed exactly. The alternative, shapes anchored inside each table cell, positions a
shape relative to its cell, and a connector between two cells of different rows has
no cell to belong to; Word and LibreOffice also disagree on how a shape in a cell
follows the cell ("layout in table cell"). Fixing the heights instead lets
:mod:`sopflow.sopdoc.layout` decide the page breaks itself (one table per page, its two
header rows repeated, a title line of exact height above it) and compute where every
row is on its page; the symbols, continuous connectors with arrowheads, branch labels
and numbered off-page connectors are then drawn at those coordinates
(:mod:`sopflow.sopdoc.drawing`) and render the same in LibreOffice's PDF export and in
Word. Column widths come from text measurement (:mod:`sopflow.sopdoc.text`), so no word
is ever wider than its column and nothing is broken mid-word.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from sopflow.process.spec_loader import ProcessDefinition
from sopflow.sopdoc.drawing import DrawingWriter
from sopflow.sopdoc.geometry import BODY_SIZE, MARGIN, PAD_X, PAD_Y, PAGE_W, TITLE_H, Column, Layout, line_height
from sopflow.sopdoc.layout import build_layout
from sopflow.sopdoc.logo import placeholder_logo
from sopflow.sopdoc.steps import Step, collect_steps, format_tanggal, format_waktu, lane_order, numbered_list
from sopflow.sopdoc.text import longest_word, text_width

LISTS = (
    ("Dasar Hukum", "sop.dasar_hukum", "Kualifikasi Pelaksana", "sop.kualifikasi"),
    ("Keterkaitan", "sop.keterkaitan", "Peralatan/Perlengkapan", "sop.peralatan"),
    ("Peringatan", "sop.peringatan", "Pencatatan dan Pendataan", "sop.pencatatan"),
)
MUTU_BAKU = ("Persyaratan/Kelengkapan", "Waktu", "Output")
MUTU_KEYS = ("persyaratan", "waktu", "output")
IDENTITY_SIZE = 10.0
IDENTITY_PAD = 5.4  # left/right cell margin of the identity tables (Word's usual 0.19 cm)
FONT = "Arial"
SHADE = "D9E2F3"
PAGE_LONG, PAGE_SHORT, MARGIN_EMU = Cm(29.7), Cm(21.0), Cm(2.0)
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


def _identity_widths(labels: list[str], values: list[str], block: list[str]) -> list[Any]:
    """Fit the identity table to its content: labels on one line, no word wider than its column."""
    pad = 2 * IDENTITY_PAD + 2  # cell margins, and a little slack
    available = (PAGE_SHORT - 2 * MARGIN_EMU) / 12700
    label = max(text_width(t, IDENTITY_SIZE, True) for t in labels) + pad
    value_min = max(longest_word(t, IDENTITY_SIZE) for t in values) + pad
    value_wish = min(max(text_width(t, IDENTITY_SIZE) for t in values) + pad, 230.0)
    block_min = max(max(longest_word(t, IDENTITY_SIZE, True) for t in block) + pad, 150.0)
    value = max(value_min, min(value_wish, available - label - block_min))
    return [Pt(available - label - value), Pt(label), Pt(value)]


def _identity_page(
    document: Any, props: dict[str, str], definition: ProcessDefinition, revised: str, logo: bytes
) -> None:
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
    _cell_margins(table, IDENTITY_PAD, 2.0)
    for row, (label, value) in zip(table.rows, rows, strict=True):
        _write(row.cells[1], label, bold=True, size=10)
        _write(row.cells[2], value, size=10)
    block = table.cell(0, 0).merge(table.cell(len(rows) - 1, 0))
    block.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    left = [props.get("sop.pemerintah", "").strip().upper(), ""] if props.get("sop.pemerintah", "").strip() else []
    left.append((props.get("sop.instansi", "").strip() or "-").upper())
    picture = block.paragraphs[0]
    picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
    picture.paragraph_format.space_after = Pt(6)
    picture.add_run().add_picture(io.BytesIO(logo), height=Cm(2.4))
    for line in left:
        paragraph = block.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.space_after = Pt(0)
        run = paragraph.add_run(line)
        run.bold, run.font.size = True, Pt(IDENTITY_SIZE)
    values = [line for _, value in rows for line in value]
    _set_widths(table, _identity_widths([label for label, _ in rows], values, left))
    document.add_paragraph()
    lists = document.add_table(rows=0, cols=2)
    lists.style, lists.alignment = "Table Grid", WD_TABLE_ALIGNMENT.CENTER
    _cell_margins(lists, IDENTITY_PAD, 2.0)
    for left_title, left_key, right_title, right_key in LISTS:
        titles = lists.add_row().cells
        for cell, title in zip(titles, (left_title, right_title), strict=True):
            _write(cell, title, bold=True, size=10)
            _shade(cell)
        body = lists.add_row().cells
        _write_numbered(body[0], numbered_list(props, left_key))
        _write_numbered(body[1], numbered_list(props, right_key))
    _set_widths(lists, [Cm(8.5), Cm(8.5)])


def _row_height(row: Any, points: float) -> None:
    """Fix a row's height exactly (the flowchart is drawn to it) and keep the row on one page."""
    tr_pr = row._tr.get_or_add_trPr()
    height = OxmlElement("w:trHeight")
    height.set(qn("w:val"), str(round(points * 20)))
    height.set(qn("w:hRule"), "exact")
    tr_pr.append(height)


def _cell_margins(table: Any, x: float = PAD_X, y: float = PAD_Y) -> None:
    """Set the table's cell margins (points) to the ones its widths and heights were measured with."""
    tbl_pr = table._tbl.tblPr
    margins = OxmlElement("w:tblCellMar")
    for side, value in (("top", y), ("left", x), ("bottom", y), ("right", x)):
        element = OxmlElement(f"w:{side}")
        element.set(qn("w:w"), str(round(value * 20)))
        element.set(qn("w:type"), "dxa")
        margins.append(element)
    tbl_pr.insert_element_before(margins, "w:tblLook", "w:tblCaption", "w:tblDescription")  # schema order


def _cell_text(cell: Any, text: str, *, bold: bool = False, size: float = BODY_SIZE, center: bool = False) -> None:
    """Write one paragraph per line of ``text`` at the exact line height the layout counted."""
    for index, line in enumerate(text.split("\n")):
        paragraph = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
        fmt = paragraph.paragraph_format
        fmt.space_before, fmt.space_after = Pt(0), Pt(0)
        fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(line_height(size))
        if center:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(line)
        run.bold, run.font.size = bold, Pt(size)
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER


def _procedure_texts(steps: list[Step]) -> dict[str, list[str]]:
    """Return the text of every text column, one entry per step (branches of decisions in Keterangan)."""
    texts: dict[str, list[str]] = {key: [] for key in ("no", "uraian", "persyaratan", "waktu", "output", "keterangan")}
    for position, step in enumerate(steps):
        props = step.props
        texts["no"].append(str(position + 1))
        texts["uraian"].append(step.uraian)
        texts["persyaratan"].append(props.get("sop.persyaratan", "").strip() or "-")
        texts["waktu"].append(format_waktu(props))
        texts["output"].append(props.get("sop.output", "").strip() or "-")
        keterangan = [props.get("sop.keterangan", "").strip(), *step.branches]
        texts["keterangan"].append("\n".join(k for k in keterangan if k and k != "-") or "-")
    return texts


def _title_paragraph(document: Any, text: str, page_break: bool) -> Any:
    """Add the line above each page's table: exactly TITLE_H high, so the table starts where the layout says."""
    size = 11.0
    while size > 7 and text_width(text, size, True) > PAGE_W - 2 * MARGIN:
        size -= 0.5
    paragraph = document.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.space_before, fmt.space_after, fmt.page_break_before = Pt(0), Pt(0), page_break
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(TITLE_H)
    run = paragraph.add_run(text)
    run.bold, run.font.size = True, Pt(size)
    return paragraph


def _procedure_pages(document: Any, steps: list[Step], lanes: list[str], judul: str) -> Layout:
    """Add one title line, one table (header rows and that page's steps) and its flowchart per page."""
    columns = [Column("no", "No"), Column("uraian", "Uraian Kegiatan")]
    columns += [Column(f"lane{i}", lane) for i, lane in enumerate(lanes)]
    columns += [Column(key, title) for key, title in zip(MUTU_KEYS, MUTU_BAKU, strict=True)]
    columns.append(Column("keterangan", "Keterangan"))
    texts = _procedure_texts(steps)
    layout = build_layout(steps, columns, texts, lanes)
    writer = DrawingWriter()
    for number, page in enumerate(layout.pages):
        title = _title_paragraph(document, f"SOP : {judul.upper()}", page_break=number > 0)
        for shape in page.shapes:
            title._p.append(writer.symbol(shape))
        for points in page.connectors:
            title._p.append(writer.connector(points))
        for label in page.labels:
            title._p.append(writer.label(label))
        _page_table(document, layout, page.rows, texts, len(lanes))
    return layout


def _page_table(document: Any, layout: Layout, rows: list[int], texts: dict[str, list[str]], lanes: int) -> None:
    columns = layout.columns
    table = document.add_table(rows=2, cols=len(columns))
    table.style, table.alignment = "Table Grid", WD_TABLE_ALIGNMENT.CENTER
    _cell_margins(table)
    first_lane, first_mutu = 2, 2 + lanes
    for title, col in (("No", 0), ("Uraian Kegiatan", 1), ("Keterangan", len(columns) - 1)):
        _cell_text(table.cell(0, col).merge(table.cell(1, col)), title, bold=True, size=layout.size, center=True)
    pelaksana = table.cell(0, first_lane).merge(table.cell(0, first_mutu - 1))
    _cell_text(pelaksana, "Pelaksana", bold=True, size=layout.size, center=True)
    mutu = table.cell(0, first_mutu).merge(table.cell(0, first_mutu + len(MUTU_BAKU) - 1))
    _cell_text(mutu, "Mutu Baku", bold=True, size=layout.size, center=True)
    for position in range(first_lane, len(columns) - 1):
        _cell_text(table.cell(1, position), columns[position].title, bold=True, size=layout.size, center=True)
    for row, height in zip(table.rows, layout.header_heights, strict=True):
        _repeat_header(row)
        _row_height(row, height)
        for cell in row.cells:
            _shade(cell)
    for index in rows:
        row = table.add_row()
        _no_split(row)
        _row_height(row, layout.heights[index])
        for position, column in enumerate(columns):
            if column.key in texts:
                center = column.key in ("no", "waktu")
                _cell_text(row.cells[position], texts[column.key][index], size=layout.size, center=center)
    _set_widths(table, [Pt(c.width) for c in columns])


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


def render_sop_document(
    definition: ProcessDefinition,
    revised_on: date | None = None,
    *,
    version: int | None = None,
    logo: bytes | None = None,
) -> bytes:
    """Return the official SOP of a process as a .docx: identity page, procedure table with flowchart, signature.

    ``revised_on`` and ``version`` are the publish date and number of the diagram's
    version (callers pass them from the published ``ProcessVersion``); they fill
    "Tanggal Revisi" (``sop.tanggal_revisi`` when absent). ``logo`` is the office's
    logo image (PNG/JPEG bytes); a neutral placeholder is used without one. Dates are
    written in Indonesian; empty values print as ``-``.
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
    if version is not None:
        revised = f"{revised} (versi {version})"
    place = props.get("sop.tempat", "").strip() or str((definition.config.get("instansi") or {}).get("kota", ""))

    document = Document()
    style = document.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(10)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    section = document.sections[0]
    section.page_width, section.page_height = PAGE_SHORT, PAGE_LONG
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, MARGIN_EMU)
    _identity_page(document, props, definition, revised, logo or placeholder_logo())

    landscape = document.add_section(WD_SECTION.NEW_PAGE)
    landscape.orientation = WD_ORIENT.LANDSCAPE
    landscape.page_width, landscape.page_height = PAGE_LONG, PAGE_SHORT
    judul = props.get("sop.judul", "").strip() or definition.name
    _procedure_pages(document, steps, lanes, judul)
    _signature(document, props, place)

    document.core_properties.title = f"SOP {props.get('sop.nomor', '')} {judul}".strip()
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
