"""The Laporan's content stays what the plain template rendering gave, however fast it is made.

``data/laporan_isi.json`` is a snapshot of two reports (a draft at step 7 and a final with
the analysis at step 12) rendered by ``render_report_docx`` as committed in 49e69c2, before
any cache: a fresh ``DocxTemplate`` per call and the chart drawn on every call. It holds
every body paragraph, every table cell (row by row), the header and footer paragraphs of
each section, the document title and author, and each picture's displayed size (its
``wp:extent`` in EMU, in document order) and name. Every render below must give exactly that,
including repeated renders in one case (the chart and template caches hit) and renders
from several threads at once.

When the report is changed on purpose, write a new snapshot with
``SOPFLOW_WRITE_SNAPSHOT=1 .venv/bin/pytest tests/handlers/test_report_content_unchanged.py``
(the test then skips) and review its diff like any other change.
"""

from __future__ import annotations

import io
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from docx import Document

from handlers.analyse_achievement import analyse_achievement
from handlers.render_report_docx import render_report_docx

PERIODE = "2026-TW3"
SNAPSHOT = Path(__file__).parent / "data" / "laporan_isi.json"
WP_EXTENT = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}extent"
W_T = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t"
WP_DOC_PR = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr"
PIC_C_NV_PR = "{http://schemas.openxmlformats.org/drawingml/2006/picture}cNvPr"


def isi(data: bytes) -> dict[str, Any]:
    """Return what a reader sees of a .docx: texts, tables, every body run, properties, picture sizes."""
    document = Document(io.BytesIO(data))
    parts = [document.element.body]
    for section in document.sections:
        parts += [section.header._element, section.footer._element]
    return {
        "paragraphs": [p.text for p in document.paragraphs],
        "tables": [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables],
        "headers_footers": [
            [p.text for p in section.header.paragraphs] + ["--"] + [p.text for p in section.footer.paragraphs]
            for section in document.sections
        ],
        # every text run of the body in order, nested tables included
        "body_text": "".join(t.text or "" for t in document.element.body.iter(W_T)),
        "title": document.core_properties.title,
        "author": document.core_properties.author,
        "images": [[int(e.get("cx")), int(e.get("cy"))] for part in parts for e in part.iter(WP_EXTENT)],
        # each picture's names (the drawing's and the picture's, e.g. the logo's file name) and alt text
        "image_names": [
            [d.get("name"), d.get("descr"), p.get("name")]
            for part in parts
            for d, p in zip(part.iter(WP_DOC_PR), part.iter(PIC_C_NV_PR), strict=True)
        ],
        "image_parts": sorted(
            str(p.partname) for p in document.part.package.iter_parts() if p.partname.startswith("/word/media/")
        ),
    }


@pytest.fixture
def scenarios(ctx, rekap, hasil_monitoring) -> dict[str, dict[str, Any]]:
    """The params of a step-7 draft (monitoring, no analysis) and a step-12 final (with the analysis)."""
    analisis = analyse_achievement({"periode": PERIODE, "rekap": rekap, "sebelumnya": None}, ctx)
    common = {"periode": PERIODE, "rekap": rekap, "hasil_monitoring": hasil_monitoring}
    return {
        "draft": {**common, "mode": "draft", "analisis": None, "catatan": {"putaran_revisi": 0}},
        "final": {**common, "mode": "final", "analisis": analisis, "catatan": {"putaran_revisi": 1}},
    }


def render(params: dict[str, Any], ctx) -> dict[str, Any]:
    """Render one report and return its content."""
    ref = render_report_docx(params, ctx)
    return isi(ctx.files.get(ref))


def test_report_content_matches_the_snapshot(ctx, scenarios):
    found = {name: render(params, replace(ctx, case_id="kasus-isi")) for name, params in scenarios.items()}
    if os.environ.get("SOPFLOW_WRITE_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(found, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        pytest.skip(f"snapshot written to {SNAPSHOT}")
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    for name in expected:
        for key in expected[name]:
            assert found[name][key] == expected[name][key], (name, key)
    assert len(expected["final"]["images"]) == 2  # the logo and the chart


def test_repeated_renders_in_one_case_give_the_same_content(ctx, scenarios):
    """Steps 7, 10 and 12 of one case: the second and third renders reuse caches, the content does not change."""
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    case = replace(ctx, case_id="kasus-ulang")
    for name in ("draft", "draft", "final", "final"):
        assert render(scenarios[name], case) == expected[name], name


def test_renders_in_parallel_threads_give_the_same_content(ctx, scenarios):
    """A worker with threads: renders of several cases at once do not mix their documents."""
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    jobs = [(name, replace(ctx, case_id=f"kasus-{n % 3}")) for n, name in enumerate(["draft", "final"] * 4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda job: (job[0], render(scenarios[job[0]], job[1])), jobs))
    for name, found in results:
        assert found == expected[name], name
