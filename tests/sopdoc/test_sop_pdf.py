"""The SOP document checked by looking: rendered by LibreOffice to PDF and measured with pdfplumber.

Every symbol must lie inside its actor's column and its step's row, every connector must
run from the outline of one symbol to the outline of the next (2 pt), a flow crossing a
page must go through numbered off-page connectors on both pages, and no word may be
split across lines (the words the PDF shows are exactly the words of the .docx).
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from sopflow.documents.pdf_export import docx_to_pdf
from sopflow.process.spec_loader import load_process_file
from sopflow.settings import PROJECT_ROOT
from sopflow.sopdoc.document import render_sop_document
from sopflow.sopdoc.steps import collect_steps, lane_order
from tests.sopdoc.pdfcheck import (
    TOUCH,
    docx_words,
    nearest_outline,
    page_images,
    page_lines,
    pdf_words,
    read_flowchart_pages,
)

pytestmark = [
    pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="runs once, in the SQLite pass"),
    pytest.mark.skipif(
        shutil.which("soffice") is None and not os.environ.get("CI"), reason="LibreOffice (soffice) is not installed"
    ),
]

MONEV = PROJECT_ROOT / "processes" / "monev_kinerja.bpmn"
LARGE = Path(__file__).parent / "data" / "layanan_izin.bpmn"
WIDE = Path(__file__).parent / "data" / "tujuh_pelaksana.bpmn"  # seven actors with long names
PUBLISHED = date(2026, 11, 25)
SHAPE_OF = {"terminator": "rounded", "process": "rectangle", "decision": "diamond"}


class Rendered:
    """A process's SOP document, its PDF and the flowchart geometry read back from the PDF."""

    def __init__(self, path: Path, version: int) -> None:
        self.definition = load_process_file(path)
        self.steps = collect_steps(self.definition)
        self.lanes = lane_order(self.definition)
        self.docx = render_sop_document(self.definition, revised_on=PUBLISHED, version=version)
        self.pdf = docx_to_pdf(self.docx)
        self.columns = 2 + len(self.lanes) + 4
        self.pages = read_flowchart_pages(self.pdf, self.columns)
        self.page_of = {number: page.number for page in self.pages for number in page.rows}

    def page(self, number: int):
        return next(p for p in self.pages if p.number == number)

    def lane_column(self, page, step_number: int) -> tuple[float, float]:
        return page.columns[2 + self.lanes.index(self.steps[step_number - 1].lane)]


@pytest.fixture(scope="module")
def monev() -> Rendered:
    return Rendered(MONEV, version=3)


@pytest.fixture(scope="module")
def large() -> Rendered:
    return Rendered(LARGE, version=1)


@pytest.fixture(scope="module")
def wide() -> Rendered:
    return Rendered(WIDE, version=1)


@pytest.fixture(params=["monev", "large", "wide"])
def rendered(request) -> Rendered:
    return request.getfixturevalue(request.param)


def _inside(outline, x_range, y_range, slack: float = 0.6) -> bool:
    return (
        x_range[0] - slack <= outline.x0
        and outline.x1 <= x_range[1] + slack
        and y_range[0] - slack <= outline.top
        and outline.bottom <= y_range[1] + slack
    )


def test_every_step_is_a_row_with_the_header_repeated_on_each_page(rendered):
    rows = [number for page in rendered.pages for number in page.rows]
    assert rows == list(range(1, len(rendered.steps) + 1))
    for page in rendered.pages:
        header = Counter(w["text"] for w in page.header_words)
        for lane in rendered.lanes:
            for word in lane.split():
                assert header[word] >= 1, (page.number, lane)
        for word in ("No", "Uraian", "Kegiatan", "Pelaksana", "Mutu", "Baku", "Persyaratan/Kelengkapan", "Keterangan"):
            assert header[word] == 1, (page.number, word)


def test_lane_headers_identify_the_actor_columns(rendered):
    for page in rendered.pages:
        pelaksana = next(w for w in page.header_words if w["text"] == "Pelaksana")
        second_row = [w for w in page.header_words if w["top"] > pelaksana["bottom"]]
        for offset, lane in enumerate(rendered.lanes):
            left, right = page.columns[2 + offset]
            inside = [w["text"] for w in second_row if left < w["x0"] and w["x1"] < right]
            assert inside == lane.split(), (page.number, lane, inside)


def test_every_symbol_lies_in_its_actors_column_and_its_steps_row(rendered):
    for page in rendered.pages:
        for outline in page.outlines:
            number = next((n for n, (top, bottom) in page.rows.items() if top <= outline.centre[1] <= bottom), None)
            assert number is not None, f"simbol di luar baris langkah, halaman {page.number + 1}: {outline}"
            assert _inside(outline, rendered.lane_column(page, number), page.rows[number]), (number, outline)
        for number in page.rows:
            step = rendered.steps[number - 1]
            main = [
                o
                for o in page.outlines
                if o.width >= 30 and o.height >= 18 and page.rows[number][0] <= o.centre[1] <= page.rows[number][1]
            ]
            assert len(main) == 1, (number, main)
            assert main[0].kind() == SHAPE_OF[step.symbol], (number, step.symbol, main[0].kind())
            if step.symbol == "terminator":
                assert main[0].text == step.label


def _ends(page, connector):
    """Return the outlines joined by a connector (start, arrow tip) after checking both touch."""
    assert connector.tip is not None, f"konektor tanpa panah: {connector.pts}"
    start, start_gap = nearest_outline(connector.pts[0], page.outlines)
    end, end_gap = nearest_outline(connector.tip, page.outlines)
    assert start_gap <= TOUCH, (page.number, connector.pts[0], start_gap)
    assert end_gap <= TOUCH, (page.number, connector.tip, end_gap)
    assert start is not end
    return start, end


def _role(page, outline) -> tuple:
    """Name an outline by what it is: a step's symbol, an off-page connector or the end terminator of a step."""
    number = next(n for n, (top, bottom) in page.rows.items() if top <= outline.centre[1] <= bottom)
    if outline.width >= 30 and outline.height >= 18:
        return ("step", number)
    if outline.kind() == "pentagon":
        return ("offpage", int(outline.text))
    assert outline.text == "Selesai", outline
    return ("end", number)


def test_connectors_touch_the_symbols_they_join_and_follow_every_flow(rendered):
    joined = []
    for page in rendered.pages:
        for connector in page.connectors:
            start, end = _ends(page, connector)
            joined.append((page.number, _role(page, start), _role(page, end)))
    expected = 0
    for row, step in enumerate(rendered.steps):
        number = row + 1
        targets = {edge.target for edge in step.edges if not (edge.target is None and step.symbol == "terminator")}
        for target in targets:
            page = rendered.page_of[number]
            if target is None:
                assert (page, ("step", number), ("end", number)) in joined
                expected += 1
            elif rendered.page_of[target + 1] == page:
                assert (page, ("step", number), ("step", target + 1)) in joined, (number, target + 1)
                expected += 1
            else:
                out = [j for j in joined if j[0] == page and j[1] == ("step", number) and j[2][0] == "offpage"]
                into = [
                    j
                    for j in joined
                    if j[0] == rendered.page_of[target + 1] and j[2] == ("step", target + 1) and j[1][0] == "offpage"
                ]
                assert {j[2][1] for j in out} & {j[1][1] for j in into}, (number, target + 1, out, into)
                expected += 2
    assert len(joined) == expected  # no stray or broken pieces: one path per flow (two across a page)


def test_off_page_connectors_come_in_numbered_pairs_on_both_pages(rendered):
    seen: dict[int, list[int]] = {}
    for page in rendered.pages:
        for outline in page.outlines:
            if outline.kind() == "pentagon":
                seen.setdefault(int(outline.text), []).append(page.number)
    assert len(rendered.pages) >= 2, "kasus uji harus melintasi halaman"
    assert seen, "tidak ada penghubung antarhalaman"
    assert sorted(seen) == list(range(1, len(seen) + 1))
    for number, pages in seen.items():
        assert len(pages) == 2 and pages[0] != pages[1], (number, pages)


def test_no_word_is_split_across_lines(rendered):
    shown, written = pdf_words(rendered.pdf), docx_words(rendered.docx)
    assert shown == written, {"hanya di PDF": shown - written, "hilang dari PDF": written - shown}


def test_identity_page_shows_logo_and_revision_of_the_published_version(monev):
    images = page_images(monev.pdf, 0)
    assert len(images) == 1 and 60 <= images[0]["height"] <= 75
    lines = page_lines(monev.pdf, 0)
    assert any(line.startswith("Tanggal Revisi 25 November 2026 (versi 3)") for line in lines), lines
    assert "Perencanaan" in pdf_words(monev.pdf)


def test_seven_actors_fit_the_page_width(wide):
    for page in wide.pages:
        left, right = page.columns[0][0], page.columns[-1][1]
        assert left >= 56 - 1 and right <= 842 - 56 + 1, (left, right)  # inside the 2 cm margins of landscape A4


def test_the_large_process_crosses_pages_with_loops_skips_and_an_early_end(large):
    assert len(large.steps) == 22 and len(large.pages) >= 3
    kinds = Counter(o.kind() for page in large.pages for o in page.outlines)
    assert kinds["diamond"] == 4 and kinds["pentagon"] >= 6
    ends = [o for page in large.pages for o in page.outlines if o.text == "Selesai" and o.height < 18]
    assert len(ends) == 1  # the early end of step 18 ("Tidak sah")
