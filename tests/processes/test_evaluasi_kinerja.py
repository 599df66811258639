"""The second SOP end to end: a full year of monev cases, then the annual evaluation case.

Built once per module (about a minute): the four monev cases 2026-TW1..TW4 are played with the
monev demo script (``sopflow.demo.run_demo``) on the quarterly sample sheets of
``samples/evaluasi_kinerja/lembar_isian``; between TW3 and TW4 the evaluation case is tried
once and must be refused. Then the evaluation case of 2026 is started through the engine and
every human step is done through the web inbox (log in, claim, complete with CSRF) until the
end. The annual figures are checked against the hand computation written out below from the
sample data (targets: ``samples/monev_kinerja/indikator_2026.json``; cumulative realisasi
TW I..IV: ``samples/evaluasi_kinerja/build_lembar_isian.py``).
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from docx import Document as DocxDocument
from openpyxl import load_workbook

from sopflow import Database, Engine, InvalidForm, Settings, StartInstance
from sopflow.demo import load_script, run_demo
from sopflow.persistence.models import Case
from sopflow.process.spec_loader import load_process_file
from sopflow.queries.inbox import archive_entries, documents_of_case, tasks_of_case
from sopflow.settings import PROJECT_ROOT
from sopflow.sopdoc.document import render_sop_document
from tests.webapp.conftest import csrf_token, post
from webapp import create_app

pytestmark = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="runs once, in the SQLite pass")

MONEV_SCRIPT = PROJECT_ROOT / "samples" / "monev_kinerja" / "demo.json"
SAMPLES = PROJECT_ROOT / "samples" / "evaluasi_kinerja"
PROCESS = PROJECT_ROOT / "processes" / "evaluasi_kinerja.bpmn"

# Hand computation. Capaian tahunan = capaian TW IV = cumulative realisasi TW IV vs annual target,
# rounded to 2 decimals; "turun" indicators: (2 x target - realisasi) / target x 100.
ANNUAL = {
    "IK-SEK-01": (100.0, "Sangat Tinggi"),  # 100 / 100
    "IK-SEK-02": (97.14, "Sangat Tinggi"),  # 68 / 70 = 97.142..
    "IK-SEK-03": (97.5, "Sangat Tinggi"),  # 78 / 80
    "IK-IKP-01": (97.78, "Sangat Tinggi"),  # 88 / 90 = 97.777..
    "IK-IKP-02": (141.67, "Sangat Tinggi"),  # 170 / 120 = 141.666.. (melampaui target)
    "IK-IKP-03": (90.0, "Tinggi"),  # turun: (20 - 11) / 10
    "IK-APT-01": (94.12, "Sangat Tinggi"),  # 80 / 85 = 94.117..
    "IK-APT-02": (96.67, "Sangat Tinggi"),  # 2.9 / 3.0 = 96.666..
    "IK-APT-03": (75.0, "Sedang"),  # turun: (8 - 5) / 4
    "IK-APT-04": (95.56, "Sangat Tinggi"),  # 86 / 90 = 95.555..
    "IK-STA-01": (80.0, "Tinggi"),  # 120 / 150
    "IK-STA-02": (75.0, "Sedang"),  # 60 / 80
    "IK-STA-03": (75.0, "Sedang"),  # 3 / 4
    "IK-SAN-01": (98.67, "Sangat Tinggi"),  # 74 / 75 = 98.666..
    "IK-SAN-02": (90.0, "Tinggi"),  # 90 / 100
    "IK-SAN-03": (70.0, "Sedang"),  # 7 / 10
}
TREND = {
    "IK-SEK-02": [85.71, 88.57, 90.0, 97.14],  # 60/70, 62/70, 63/70, 68/70
    "IK-IKP-03": [60.0, 70.0, 80.0, 90.0],  # turun: (20-14)/10, (20-13)/10, (20-12)/10, (20-11)/10
    "IK-SAN-02": [100.0, 100.0, 100.0, 90.0],  # falls in TW IV: change -10
}
# mean of the rounded annual capaian of the Bidang's indicators, rounded to 2 decimals
BIDANG = {
    "Sekretariat": (98.21, "Sangat Tinggi"),  # (100 + 97.14 + 97.5) / 3 = 98.213..
    "Informasi dan Komunikasi Publik": (109.82, "Sangat Tinggi"),  # (97.78 + 141.67 + 90) / 3 = 109.816..
    "Aplikasi Informatika": (90.34, "Tinggi"),  # (94.12 + 96.67 + 75 + 95.56) / 4 = 90.3375; below 91 -> Tinggi
    "Statistik": (76.67, "Tinggi"),  # (80 + 75 + 75) / 3 = 76.666..
    "Persandian": (86.22, "Tinggi"),  # (98.67 + 90 + 70) / 3 = 86.223..
}
OVERALL = 92.13  # sum of the 16 annual values 1474.11 / 16 = 92.131..
PAGU, REALISASI_TW4, PENYERAPAN = 5_210_000_000, 5_051_000_000, 96.95  # 5051 / 5210 = 96.948..


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Four completed monev cases of 2026, played once; the refusal of an evaluation with three quarters.

    The quarters are played without LibreOffice: their PDF copies and the Kepala Dinas's
    signature (5 s of LibreOffice per quarter) are not what the annual evaluation reads (it
    reads each quarter's result and archived Rekap/Laporan), and the signed monev path has
    tests of its own (tests/documents). The evaluation case itself runs with LibreOffice.
    """
    folder = tmp_path_factory.mktemp("tahun-2026")
    without_pdf = pytest.MonkeyPatch()
    without_pdf.setenv("SOFFICE", str(folder / "tanpa-libreoffice"))
    db = Database(f"sqlite:///{folder / 'sopflow.sqlite3'}")
    db.upgrade()
    settings = Settings(database_url=db.url, data_dir=folder / "data")
    engine = Engine(db, settings)
    monev = {}
    refused, cases_after_refusal = None, None
    try:  # no later test of this worker may lose LibreOffice, even if a quarter fails
        for quarter in range(1, 5):
            if quarter == 4:  # three quarters done: the evaluation must not start yet
                engine.publish_process(PROCESS, "sistem", "versi uji")
                try:
                    engine.start_instance(StartInstance("evaluasi_kinerja", "sekretaris", "2026", {}))
                except InvalidForm as exc:
                    refused = exc
                with db.reading() as session:
                    cases_after_refusal = session.query(Case).filter(Case.process_id == "evaluasi_kinerja").count()
            script = load_script(SAMPLES / f"monev_2026-TW{quarter}.json")
            result = run_demo(engine, script, folder / f"out-tw{quarter}", say=lambda _: None)
            monev[quarter] = result
    finally:
        without_pdf.undo()
    yield {
        "engine": engine,
        "settings": settings,
        "db": db,
        "monev": monev,
        "refused": refused,
        "cases_after_refusal": cases_after_refusal,
    }
    db.dispose()


def _ready(engine: Engine, case_id: str, element: str) -> list[dict[str, Any]]:
    with engine.db.reading() as session:
        return [t for t in tasks_of_case(session, case_id) if t["state"] == "ready" and t["element_id"] == element]


@pytest.fixture(scope="module")
def evaluation(year: dict[str, Any]) -> dict[str, Any]:
    """The 2026 evaluation case: started through the engine, every human step done in the web inbox."""
    engine: Engine = year["engine"]
    outcome = engine.start_instance(StartInstance("evaluasi_kinerja", "sekretaris", "2026", {}))
    case_id = outcome.case_id
    script = load_script(SAMPLES / "demo.json")
    app = create_app({"TESTING": True, "SOPFLOW_SETTINGS": year["settings"]})
    client = app.test_client()
    pages: dict[str, str] = {}
    statuses: list[tuple[str, int]] = []
    current = None
    for step in script["steps"]:
        tasks = _ready(engine, case_id, step["element"])
        task = next(t for t in tasks if step.get("unit") in (None, t["unit"], t["label"]))
        if current != step["actor"]:
            if current is not None:
                client.post("/keluar", data={"csrf_token": csrf_token(client, "/kasus")})
            response = client.post(
                "/masuk",
                data={"username": step["actor"], "password": "sopflow-demo", "csrf_token": csrf_token(client)},
            )
            assert response.status_code == 302, response.get_data(as_text=True)[:300]
            current = step["actor"]
        inbox_page = client.get("/").get_data(as_text=True)
        assert f"/tugas/{task['task_id']}" in inbox_page, (step["actor"], step["element"])
        assert post(client, f"/tugas/{task['task_id']}/klaim").status_code == 302
        pages[step["element"]] = client.get(f"/tugas/{task['task_id']}").get_data(as_text=True)
        data = dict(step["data"])
        if "tanggal_penyampaian" in data:  # the page asks for dates as hh/bb/tttt
            yyyy, mm, dd = data["tanggal_penyampaian"].split("-")
            data["tanggal_penyampaian"] = f"{dd}/{mm}/{yyyy}"
        response = post(client, f"/tugas/{task['task_id']}/selesai", data)
        statuses.append((step["element"], response.status_code))
        assert response.status_code == 302, response.get_data(as_text=True)[:1500]
        assert engine.wait_for_jobs(case_id, timeout=120), engine.case_jobs(case_id)
    with engine.db.reading() as session:
        case = session.get(Case, case_id)
        status, result = case.status, dict(case.result or {})
        documents = documents_of_case(session, case_id)
        archived = archive_entries(session, case_id)
    app.extensions["sopflow"].db.dispose()
    return {
        "case_id": case_id,
        "status": status,
        "result": result,
        "documents": documents,
        "archived": archived,
        "pages": pages,
        "statuses": statuses,
        "files": year["engine"].services.files,
    }


def test_the_four_quarters_are_completed_monev_cases(year):
    assert [year["monev"][q].status for q in range(1, 5)] == ["selesai"] * 4


def test_quarterly_scripts_are_the_monev_demo_with_only_periode_and_sheets_changed():
    """The committed monev_2026-TWn.json follow samples/monev_kinerja/demo.json (rebuild them when it changes)."""
    base = json.loads(MONEV_SCRIPT.read_text(encoding="utf-8"))
    for quarter in range(1, 5):
        script = json.loads((SAMPLES / f"monev_2026-TW{quarter}.json").read_text(encoding="utf-8"))
        periode = f"2026-TW{quarter}"
        assert script["periode"] == periode and "open_case" not in script
        assert script["users"] == base["users"]
        assert [s["data"] for s in script["steps"]] == [s["data"] for s in base["steps"]]
        uploads = [f for s in script["steps"] for f in s.get("uploads", {}).values()]
        assert uploads == [
            f"lembar_isian/{periode}/{Path(f).name}" for s in base["steps"] for f in s.get("uploads", {}).values()
        ]
        assert all((SAMPLES / f).is_file() for f in uploads)


def test_a_missing_quarter_is_refused_in_indonesian_and_creates_no_case(year):
    refused = year["refused"]
    assert refused is not None, "the evaluation started with only three quarters"
    message = str(refused) + " " + " ".join(e["message"] for e in refused.errors)
    assert "belum lengkap" in message and "Triwulan IV" in message
    assert "Triwulan I," not in message  # only the missing quarter is named
    assert year["cases_after_refusal"] == 0


def test_evaluation_case_reaches_its_end_through_the_web_inbox(evaluation):
    assert evaluation["status"] == "selesai"
    assert [s for _, s in evaluation["statuses"]] == [302] * 10
    result = evaluation["result"]
    assert [k["bidang"] for k in result["klarifikasi_bidang"]] == list(BIDANG)
    assert all(k["rencana_perbaikan"] for k in result["klarifikasi_bidang"])
    assert result["keputusan_penelaahan"] == "revisi" and result["putaran_revisi"] == 1  # the return loop ran
    assert result["keputusan_verifikasi"] == "setujui"
    assert result["tanggal_penyampaian"] == "2027-01-25"  # typed as 25/01/2027 on the page
    assert "Menyampaikan penjelasan capaian kinerja tahunan Bidang" in evaluation["pages"]["langkah03_klarifikasi"]
    kinds = {d["kind"] for d in evaluation["documents"]}
    assert {"draft_laporan", "laporan_final"} <= kinds
    assert {e["filename"] for e in evaluation["archived"]} >= {"laporan_evaluasi_kinerja_2026.docx"}


def test_annual_figures_match_the_hand_computation(evaluation):
    evaluasi = evaluation["result"]["evaluasi"]
    rows = {i["kode"]: i for i in evaluasi["indikator"]}
    assert {k: (r["capaian_tahunan"], r["kategori"]) for k, r in rows.items()} == ANNUAL
    for kode, trend in TREND.items():
        assert rows[kode]["tren"] == trend
    assert rows["IK-SAN-02"]["perubahan"] == -10.0 and rows["IK-SAN-02"]["arah"] == "menurun"
    assert [k for k, r in rows.items() if r["melampaui_target"]] == ["IK-IKP-02"]
    assert {b["bidang"]: (b["rata_rata_capaian"], b["kategori_rata_rata"]) for b in evaluasi["per_bidang"]} == BIDANG
    assert evaluasi["rata_rata_capaian"] == OVERALL and evaluasi["kategori_rata_rata"] == "Sangat Tinggi"
    assert evaluasi["jumlah_per_kategori"] == {
        "Sangat Tinggi": 9,
        "Tinggi": 3,
        "Sedang": 4,
        "Rendah": 0,
        "Sangat Rendah": 0,
    }
    assert evaluasi["anggaran"] == {"jumlah_pagu": PAGU, "jumlah_realisasi": REALISASI_TW4, "penyerapan": PENYERAPAN}
    assert [s["periode"] for s in evaluasi["sumber"]] == [f"2026-TW{q}" for q in range(1, 5)]
    assert all(s["dokumen"] for s in evaluasi["sumber"])  # each quarter's archived report was read


def test_final_report_opens_and_carries_the_annual_table(evaluation):
    final = next(d for d in evaluation["documents"] if d["kind"] == "laporan_final")
    assert final["filename"] == "laporan_evaluasi_kinerja_2026.docx"
    data = evaluation["files"].path_for(final["sha256"]).read_bytes()
    document = DocxDocument(io.BytesIO(data))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    text += "\n" + "\n".join(cells)
    assert "LAPORAN EVALUASI KINERJA TAHUNAN" in text and "TAHUN 2026" in text
    for heading in ("BAB I PENDAHULUAN", "BAB II CAPAIAN KINERJA TAHUNAN", "BAB III ANALISIS TREN", "BAB IV PENUTUP"):
        assert heading in text
    # the annual table per Bidang: the IKP-02 row and the Bidang means, in the Indonesian number format
    row = next(r for t in document.tables for r in t.rows if r.cells[0].text == "IK-IKP-02")
    assert [c.text for c in row.cells][3:7] == ["120", "170", "141,67% *", "Sangat Tinggi"]
    for value in ("98,21%", "109,82%", "90,34%", "76,67%", "86,22%", "92,13%", "Rp 5.051.000.000", "96,95%"):
        assert value in text, value
    # the indicator appears in its Bidang's annual table, then in the trend table (BAB III)
    trend = [r for t in document.tables for r in t.rows if r.cells[0].text == "IK-SAN-02"][-1]
    assert [c.text for c in trend.cells][1:] == ["100%", "100%", "100%", "90%", "-10", "menurun"]
    assert "DATA CONTOH" in cells and "DRAF" not in cells
    assert "Kepala Dinas (contoh)" in text  # signer: head of the Kepala Dinas lane (demo users)
    assert len(document.inline_shapes) >= 2  # logo and the trend chart
    assert "Pelatihan tenaga penilai keamanan informasi." in text  # a Bidang's explanation (web step 3)


def test_sop_document_of_the_new_process_renders():
    document = DocxDocument(io.BytesIO(render_sop_document(load_process_file(PROCESS))))
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    assert "Penyusunan Laporan Evaluasi Kinerja" in cells
    assert "003/SOP/Diskominfo/BLG/2023" in cells
    text = "\n".join(cells)
    assert "SOP Monitoring/Evaluasi Internal Capaian Kinerja" in text  # Keterkaitan names the monev SOP
    numbers = [c for c in cells if c.isdigit()]
    assert {str(n) for n in range(1, 11)} <= set(numbers)
    assert "Perlu perbaikan → 6" in text  # the decision's return loop in the Keterangan column


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(f"_evaluasi_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_report_template_is_rebuilt_byte_for_byte():
    build = _load(PROJECT_ROOT / "templates" / "build_evaluasi_template.py")
    assert build.build() == (PROJECT_ROOT / "templates" / "laporan_evaluasi_kinerja.docx").read_bytes()


def test_quarterly_sheets_carry_the_builder_values():
    """The committed sheets hold what build_lembar_isian.py types (rebuild them when the values change)."""
    build = _load(SAMPLES / "build_lembar_isian.py")
    for quarter in range(1, 5):
        found = {}
        for path in sorted((SAMPLES / "lembar_isian" / f"2026-TW{quarter}").glob("*.xlsx")):
            sheet = load_workbook(path, read_only=True)["Kinerja"]
            rows = list(sheet.iter_rows(min_row=9, values_only=True))
            header = [c for c in next(sheet.iter_rows(min_row=8, max_row=8, values_only=True))]
            column = next(i for i, name in enumerate(header) if str(name or "").lower().startswith("realisasi"))
            found.update({row[0]: row[column] for row in rows if row[0] in build.REALISASI_KINERJA})
        assert found == {kode: values[quarter - 1] for kode, values in build.REALISASI_KINERJA.items()}
