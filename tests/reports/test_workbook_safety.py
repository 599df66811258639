"""Text typed when a case starts never becomes a live formula in a generated workbook.

A real case (engine, database, file store) is started with start data whose texts begin
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return; steps 1 and 2 are played with the
generated Format Isian filled as a Kepala Bidang would, so step 3 builds the Rekap too.
Every workbook of the case is then opened with openpyxl: no cell is a formula and the
typed text is there, unchanged. The print setup of the generated workbooks is checked too.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import time
from typing import Any

import pytest
from openpyxl import load_workbook

from handlers import isian_layout as layout
from sopflow import StartInstance
from sopflow.access.case_access import check_may_view_case, visible_documents
from sopflow.demo import ensure_users, load_script, script_process_file
from sopflow.engine.commands import ClaimTask, CompleteUserTask, Upload
from sopflow.queries.inbox import documents_of_case
from sopflow.settings import PROJECT_ROOT

SAMPLES = PROJECT_ROOT / "samples" / "monev_kinerja"
PERIODE = "2026-TW3"
ONCE = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="runs once, in the SQLite pass")

# Texts a spreadsheet would run as formulas or commands if written as typed.
RISKY = {
    ("indikator", 0, "indikator"): '=HYPERLINK("http://contoh.invalid","klik")',
    ("indikator", 1, "program"): "+62 811 0000 (program)",
    ("indikator", 2, "satuan"): "-dokumen",
    ("indikator", 4, "indikator"): "@SUM(1+1) indikator",
    ("kegiatan", 0, "kegiatan"): "=1+1 kegiatan",
    ("kegiatan", 1, "kegiatan"): "-kegiatan (minus)",
}


def _builder():
    path = SAMPLES / "build_lembar_isian.py"
    spec = importlib.util.spec_from_file_location("build_lembar_isian", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _settle(engine, outcome):
    deadline = time.monotonic() + 300
    while outcome.jobs:
        assert time.monotonic() < deadline, outcome.jobs
        assert not any(j["status"] == "failed" for j in outcome.jobs), outcome.jobs
        time.sleep(0.2)
        outcome = engine.case_outcome(outcome.case_id)
    assert outcome.failure is None, outcome.failure
    return outcome


def _task(outcome, element: str, unit: str | None = None) -> dict[str, Any]:
    return next(t for t in outcome.open_tasks if t["element_id"] == element and unit in (None, t["unit"]))


def _cells(data: bytes):
    wb = load_workbook(io.BytesIO(data))  # data_only=False: formulas would show as formulas
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is not None:
                    yield ws, cell


@pytest.fixture
def case_after_step3(engine):
    script = load_script(SAMPLES / "demo.json")
    engine.publish_process(script_process_file(script, engine.settings.processes_dir), "sistem", "uji")
    ensure_users(engine, script)
    start = json.loads((SAMPLES / "indikator_2026.json").read_text(encoding="utf-8"))
    for (table, index, key), text in RISKY.items():
        start[table][index][key] = text
    data = {"indikator": start["indikator"], "kegiatan": start["kegiatan"]}
    outcome = engine.start_instance(StartInstance("monev_kinerja", "sekretaris", PERIODE, data))
    steps = script["steps"]
    step1 = next(s for s in steps if s["element"] == "langkah01_format_isian")
    task = _task(outcome, step1["element"])
    engine.claim_task(ClaimTask(task["task_id"], step1["actor"]))
    outcome = _settle(
        engine, engine.complete_user_task(CompleteUserTask(task["task_id"], step1["actor"], step1["data"]))
    )
    fill = _builder().fill
    with engine.db.reading() as session:
        generated = {d["meta"]["bidang"]: d for d in documents_of_case(session, outcome.case_id, "format_isian")}
    for step in (s for s in steps if s["element"] == "langkah02_pengumpulan_data"):
        task = _task(outcome, step["element"], step["unit"])
        blank = engine.services.files.path_for(generated[step["unit"]]["sha256"]).read_bytes()
        upload = Upload(f"{layout.slug(step['unit'])}.xlsx", fill(blank))
        engine.claim_task(ClaimTask(task["task_id"], step["actor"]))
        outcome = _settle(
            engine,
            engine.complete_user_task(
                CompleteUserTask(task["task_id"], step["actor"], step["data"], {"lembar_isian": upload})
            ),
        )
    return outcome


@ONCE
def test_no_generated_workbook_holds_a_formula(engine, case_after_step3):
    case_id = case_after_step3.case_id
    with engine.db.reading() as session:
        documents = [d for d in documents_of_case(session, case_id) if d["filename"].endswith(".xlsx")]
    kinds = {d["kind"] for d in documents}
    assert {"format_isian", "rekap"} <= kinds, kinds
    seen: dict[str, set[str]] = {}
    for doc in documents:
        data = engine.services.files.path_for(doc["sha256"]).read_bytes()
        for ws, cell in _cells(data):
            assert cell.data_type != "f", (doc["filename"], ws.title, cell.coordinate, cell.value)
            if isinstance(cell.value, str) and cell.value in RISKY.values():
                seen.setdefault(cell.value, set()).add(doc["kind"])
                assert cell.quotePrefix, (doc["filename"], ws.title, cell.coordinate)
    # every risky text is in the workbook of its Bidang, as typed; indicator texts reach the Rekap too
    assert set(seen) == set(RISKY.values())
    for (table, _index, key), text in RISKY.items():
        assert "format_isian" in seen[text], text
        if table == "indikator" and key in ("indikator", "satuan"):
            assert "rekap" in seen[text], text
        if table == "kegiatan" and key == "kegiatan":
            assert "rekap" in seen[text], text


@ONCE
def test_rekap_is_a_case_document_for_the_kasubbag_not_for_a_kepala_bidang(engine, case_after_step3):
    case_id = case_after_step3.case_id
    with engine.db.reading() as session:
        documents = documents_of_case(session, case_id)
        for_kasubbag = visible_documents(
            session, check_may_view_case(session, "kasubbag_perencanaan", case_id), case_id, documents
        )
        for_kabid = visible_documents(session, check_may_view_case(session, "kabid_ikp", case_id), case_id, documents)
    [rekap] = [d for d in for_kasubbag if d["kind"] == "rekap"]
    assert rekap["filename"] == f"rekap_data_kinerja_{PERIODE}.xlsx"
    assert rekap["meta"]["periode"] == PERIODE
    assert not [d for d in for_kabid if d["kind"] == "rekap"]  # a Bidang sees only its own parts


@ONCE
def test_generated_workbooks_are_print_ready(engine, case_after_step3):
    with engine.db.reading() as session:
        documents = [
            d for d in documents_of_case(session, case_after_step3.case_id) if d["kind"] in ("format_isian", "rekap")
        ]
    assert len(documents) == 6
    for doc in documents:
        wb = load_workbook(io.BytesIO(engine.services.files.path_for(doc["sha256"]).read_bytes()))
        for ws in wb.worksheets:
            if ws.sheet_state != "visible":
                continue
            where = (doc["filename"], ws.title)
            assert int(ws.page_setup.paperSize) == 9, where  # A4
            assert ws.sheet_properties.pageSetUpPr.fitToPage, where
            assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0), where
            assert ws.oddFooter.right.text == "Halaman &P dari &N", where
            assert ws.oddFooter.left.text == doc["filename"], where
            if ws.title in (layout.SHEET_KINERJA, layout.SHEET_ANGGARAN) or doc["kind"] == "rekap":
                assert ws.page_setup.orientation == "landscape", where
                assert ws.print_title_rows, where
            if ws.title in (layout.SHEET_KINERJA, layout.SHEET_ANGGARAN):
                assert ws.print_title_rows == f"${layout.HEADER_ROW}:${layout.HEADER_ROW}", where
