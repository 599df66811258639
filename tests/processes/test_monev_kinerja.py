"""The real SOP, end to end: every actor plays their steps with the sample data, from Mula to Selesai."""

from __future__ import annotations

import json

import pytest
from docx import Document as DocxDocument

from sopflow import InvalidForm, StartInstance
from sopflow.cli import main
from sopflow.demo import load_script
from sopflow.persistence.models import Case
from sopflow.queries.inbox import archive_entries, case_summary, cases, tasks_of_case, timeline_for_case
from sopflow.settings import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "samples" / "monev_kinerja" / "demo.json"
BIDANG = ["Sekretariat", "Informasi dan Komunikasi Publik", "Aplikasi Informatika", "Statistik", "Persandian"]


@pytest.fixture
def finished_case(played_demo):
    """The demo quarter as the session's live play left it (tests/conftest.py), in this test's database."""
    return played_demo.result, played_demo.lines


def test_demo_case_reaches_selesai_with_every_step(engine, finished_case):
    result, lines = finished_case
    assert result.status == "selesai"
    with engine.db.reading() as session:
        assert case_summary(session, result.case_id)["status"] == "selesai"
        tasks = tasks_of_case(session, result.case_id)
        events = timeline_for_case(session, result.case_id)
        case = session.get(Case, result.case_id)
    done_steps = {t["step"] for t in tasks if t["state"] == "completed"}
    assert done_steps == {1, 2, 4, 5, 9, 10, 11, 12}  # 12: the Kepala Dinas signs the final PDF
    assert all(t["due_at"] is not None for t in tasks)
    assert sorted(t["unit"] for t in tasks if t["step"] == 2) == sorted(BIDANG)
    operations = [e["data"]["operation"] for e in events if e["kind"] == "service_run"]
    assert operations == [
        "generate_format_isian",
        "aggregate_performance_data",
        "merge_monitoring_results",
        "render_report_docx",
        "analyse_achievement",
        "render_report_docx",
        "render_report_docx",
        "archive_documents",
    ]
    verifications = [e for e in events if e["element_id"] == "langkah11_verifikasi" and e["kind"] == "task_completed"]
    verdicts = [e["data"]["after"]["keputusan_verifikasi"] for e in verifications]
    assert verdicts == ["kembalikan", "setujui"]
    assert case.result["putaran_revisi"] == 1
    assert len(case.result["isian_bidang"]) == 5 and all("lembar_isian" in i for i in case.result["isian_bidang"])
    assert events[-1]["kind"] == "case_completed"
    assert any("Kasus selesai" in line for line in lines)


def test_final_report_and_archive(engine, finished_case):
    result, _ = finished_case
    final = next(p for p in result.exported if p.parent.name == "laporan_final")
    document = DocxDocument(str(final))
    text = "\n".join(p.text for p in document.paragraphs)
    text += "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    assert "Triwulan III" in text and "2026" in text
    for bidang in BIDANG:
        assert bidang in text
    # the signature block: name, NIP and title of the Kepala Dinas from the user record (demo.json)
    assert "Kepala Dinas (contoh)" in text and "NIP. 19800918 200501 1 008" in text
    assert "Muhammad Nor" not in text  # the configured fallback is only for a lane without head
    # Dasar Hukum from the SOP identity of the published diagram; sample data says so on the cover
    assert "Undang-Undang Republik Indonesia Nomor 23 Tahun 2014 tentang Pemerintahan Daerah." in text
    assert "DATA CONTOH" in [c.text for t in document.tables for r in t.rows for c in r.cells]
    assert "putaran revisi" not in text.lower()
    rekap = next(p for p in result.exported if p.parent.name == "rekap")
    assert rekap.name == "rekap_data_kinerja_2026-TW3.xlsx"
    assert document.inline_shapes, "the capaian chart is embedded"
    with engine.db.reading() as session:
        entries = archive_entries(session, result.case_id)
    assert {e["filename"] for e in entries} >= {final.name}
    for entry in entries:
        assert engine.services.files.verify(entry["sha256"])
        assert entry["meta"]["retensi_sampai"] > entry["meta"]["diarsipkan_pada"][:10]


def test_cli_demo_and_archive_verify(database, tmp_path, capsys):
    data_dir = tmp_path / "cli"
    out = tmp_path / "hasil"
    assert main(["--data-dir", str(data_dir), "demo", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Status kasus: selesai" in printed and "laporan_final" in printed
    assert (out / "laporan_final").is_dir()
    # a second run on the same database refuses clearly instead of duplicating the periode
    assert main(["--data-dir", str(data_dir), "demo", "--out", str(out)]) == 1
    assert "sudah memiliki kasus" in capsys.readouterr().err
    assert main(["--data-dir", str(data_dir), "archive", "verify"]) == 0
    assert "UTUH" in capsys.readouterr().out
    assert main(["--data-dir", str(data_dir), "audit", "verify"]) == 0
    assert "Rantai audit utuh" in capsys.readouterr().out
    sop = tmp_path / "SOP.docx"
    assert main(["--data-dir", str(data_dir), "sop-doc", "--version", "1", "--out", str(sop)]) == 0
    assert "002/SOP/Diskominfo/BLG/2023" in "\n".join(p.text for p in DocxDocument(str(sop)).paragraphs) + "".join(
        c.text for t in DocxDocument(str(sop)).tables for r in t.rows for c in r.cells
    )
    assert main(["--data-dir", str(data_dir), "sop-doc", "--version", "9", "--out", str(sop)]) == 1
    capsys.readouterr()
    archived = [line for line in printed.splitlines() if line.startswith("Arsip:")]
    assert archived
    sha = archived[0].split("SHA-256 ")[1].split()[0]
    target = data_dir / "files" / sha[:2] / sha
    target.write_bytes(target.read_bytes() + b"diubah")
    assert main(["--data-dir", str(data_dir), "archive", "verify"]) == 1
    assert "RUSAK" in capsys.readouterr().out


def test_previous_triwulan_is_compared(engine, finished_case):
    """The demo's second case (a later periode) receives the first case's analysis as 'sebelumnya'."""
    result, lines = finished_case
    with engine.db.reading() as session:
        previous = session.get(Case, result.case_id).result["analisis"]
        (second,) = [c for c in cases(session, "monev_kinerja") if c["periode"] == "2026-TW4"]
        started = timeline_for_case(session, second["case_id"])[0]["data"]["data"]
        waiting = tasks_of_case(session, second["case_id"])
    assert previous
    assert started["sebelumnya"]["periode"] == "2026-TW3"
    assert started["sebelumnya"]["analisis"] == previous
    assert sorted(t["unit"] for t in waiting if t["state"] == "ready") == sorted(BIDANG)
    assert any("Kasus kedua" in line for line in lines)


def test_start_data_refused_by_a_step_creates_no_case(engine, finished_case):
    """A target of 0 passes the start form's types but the format isian step refuses it: no case remains."""
    assert finished_case[0].status == "selesai"
    script = load_script(SCRIPT)
    data = json.loads((script["_base"] / "indikator_2026.json").read_text(encoding="utf-8"))
    data["indikator"][0]["target"] = 0
    start = {"indikator": data["indikator"], "kegiatan": data["kegiatan"]}
    with pytest.raises(InvalidForm, match="Data awal kasus ditolak"):
        engine.start_instance(StartInstance("monev_kinerja", "sekretaris", "2027-TW1", start))
    with engine.db.reading() as session:
        assert [c["periode"] for c in cases(session, "monev_kinerja")] == ["2026-TW4", "2026-TW3"]
