"""Everything a person reads is Indonesian: dates, date inputs, numbers, names instead of
identifiers, the quarter of the case, the flash of a multi-instance step, expression errors."""

from __future__ import annotations

import io
import json
import re

import pytest

from sopflow import ClaimTask, CompleteUserTask, StartInstance
from sopflow.demo import fill_texts, load_script, report_events
from sopflow.engine.sandbox import ExpressionFailed, SandboxEnvironment
from sopflow.errors import ExpressionRejected
from sopflow.queries import inbox
from webapp.forms import parse_submission

from .conftest import SAMPLES, SCRIPT, open_tasks, play_steps, post

MONTHS = "Januari|Februari|Maret|April|Mei|Juni|Juli|Agustus|September|Oktober|November|Desember"
LONG_TIME = re.compile(rf"\b\d{{1,2}} ({MONTHS}) 20\d\d \d\d:\d\d WITA")
NUMERIC_DATE = re.compile(r"\b\d\d-\d\d-20\d\d\b")
STEP5 = "langkah05_monitoring"


def test_dates_on_pages_are_written_2_desember_2026(client, login_as, demo_case) -> None:
    login_as("sekretaris")
    for path in ("/", f"/kasus/{demo_case['case_id']}", f"/tugas/{demo_case['task_id']}", "/kasus"):
        page = client.get(path).get_data(as_text=True)
        assert LONG_TIME.search(page), path
        assert not NUMERIC_DATE.search(page), (path, NUMERIC_DATE.search(page))


def test_multi_instance_date_input_flash_and_words(client, login_as, engine, demo_case) -> None:
    case_id = demo_case["case_id"]
    play_steps(engine, case_id, STEP5)
    login_as("kasi_monev")
    task = next(t for t in open_tasks(engine, case_id, STEP5) if t["label"] == "Statistik")
    page = client.get(f"/tugas/{task['task_id']}").get_data(as_text=True)
    # a text input typed and shown as dd/mm/yyyy, with the picker's hook; no browser-locale date input
    field = re.search(r'<input type="text" id="tanggal_kunjungan"[^>]*>', page, re.S).group(0)
    assert 'pattern="\\d{1,2}/\\d{1,2}/\\d{4}"' in field and 'placeholder="hh/bb/tttt"' in field
    assert "data-datepicker" in field and 'aria-describedby="hint-tanggal_kunjungan"' in field
    assert 'type="date"' not in page and "js/datepicker.js" in page
    assert re.search(r"Pelaksana: <strong>Kepala Seksi[^<]*</strong>", page) and "Lane:" not in page
    engine.claim_task(ClaimTask(task["task_id"], "kasi_monev"))
    form = {
        "tanggal_kunjungan": "15/10/2026",
        "petugas_monev": "Kepala Seksi (contoh)",
        "kendala": "Tidak ada kendala berarti.",
        "rencana_tindak_lanjut": "Lanjutkan pemantauan.",
    }
    response = post(client, f"/tugas/{task['task_id']}/selesai", form)
    assert response.status_code == 302
    flashed = client.get("/").get_data(as_text=True)
    others = sorted(t["label"] for t in open_tasks(engine, case_id, STEP5))
    assert len(others) == 4 and "Statistik" not in others
    assert f"Langkah ini menunggu 4 lagi ({', '.join(others)})" in flashed
    assert "diteruskan ke langkah berikutnya." in flashed and "Tugas selesai dan diteruskan" not in flashed
    with engine.db.reading() as session:
        done = [e for e in inbox.timeline_for_case(session, case_id) if e["kind"] == "task_completed"][-1]
    after = next(iter(done["data"]["after"].values()))  # the multi-instance item
    assert after["tanggal_kunjungan"] == "2026-10-15"  # stored as ISO
    done_page = client.get(f"/tugas/{task['task_id']}").get_data(as_text=True)
    assert re.search(r"Selesai oleh [A-Z][^<]*\(contoh\)", done_page)  # the full name, not kasi_monev


def test_flash_after_one_bidang_says_how_many_bidang_still_wait(client, login_as, engine, demo_case) -> None:
    case_id = demo_case["case_id"]
    play_steps(engine, case_id, "langkah02_pengumpulan_data")
    login_as("kabid_statistik")
    task = open_tasks(engine, case_id, "langkah02_pengumpulan_data")
    task = next(t for t in task if t["unit"] == "Statistik")
    upload = (SAMPLES / "lembar_isian" / "statistik.xlsx").read_bytes()
    response = post(
        client,
        f"/tugas/{task['task_id']}/selesai",
        {"lembar_isian": (io.BytesIO(upload), "statistik.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    flashed = client.get("/").get_data(as_text=True)
    assert (
        "Langkah ini menunggu 4 Bidang lagi (Aplikasi Informatika, Informasi dan Komunikasi Publik, Persandian, "
        "Sekretariat) sebelum diteruskan ke langkah berikutnya." in flashed
    )


def test_a_wrong_date_is_refused_with_the_form_kept(client, login_as, engine, demo_case) -> None:
    case_id = demo_case["case_id"]
    play_steps(engine, case_id, STEP5)
    login_as("kasi_monev")
    task = open_tasks(engine, case_id, STEP5)[0]
    form = {
        "tanggal_kunjungan": "31/02/2026",
        "petugas_monev": "Petugas",
        "kendala": "Tidak ada.",
        "rencana_tindak_lanjut": "-- ok",
    }
    response = post(client, f"/tugas/{task['task_id']}/selesai", form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'data-testid="error-tanggal_kunjungan"' in page
    assert "tulis hh/bb/tttt, misalnya 15/07/2026" in page and "2026-07-15" not in page
    assert 'aria-describedby="hint-tanggal_kunjungan error-tanggal_kunjungan" aria-invalid="true"' in page
    # the refusal is in the audit record, the case unchanged
    with engine.db.reading() as session:
        last = inbox.timeline_for_case(session, case_id)[-1]
    assert last["kind"] == "form_refused" and last["actor"] == "kasi_monev"


def test_numbers_are_read_and_written_the_indonesian_way(app) -> None:
    schema = {
        "type": "object",
        "properties": {"pagu": {"type": "number"}, "jumlah": {"type": "integer"}, "persen": {"type": "number"}},
    }
    data, _ = parse_submission(schema, {"pagu": "1.250.000,50", "jumlah": "1.250", "persen": "87,5"}, {})
    assert data == {"pagu": 1250000.5, "jumlah": 1250, "persen": 87.5}
    with app.app_context():
        angka = app.jinja_env.filters["angka"]
        tanggal = app.jinja_env.filters["tanggal"]
    assert angka(1250000.5) == "1.250.000,50" and angka(1250000) == "1.250.000" and angka(None) == "-"
    assert tanggal("2026-12-02") == "2 Desember 2026"


def test_the_quarter_in_texts_comes_from_the_periode() -> None:
    script = load_script(SCRIPT)
    step1 = script["steps"][0]["data"]
    texts = {p: fill_texts(step1, {"periode": p, **script["teks_periode"][p]}) for p in ("2026-TW3", "2026-TW4")}
    assert "Triwulan III Tahun 2026" in texts["2026-TW3"]["disposisi"]
    assert "Triwulan IV Tahun 2026" in texts["2026-TW4"]["disposisi"]
    assert "Triwulan III" not in texts["2026-TW4"]["disposisi"] and "{" not in texts["2026-TW4"]["disposisi"]


def test_demo_log_names_steps_and_people(engine, demo_users) -> None:
    data = json.loads((SAMPLES / "indikator_2026.json").read_text(encoding="utf-8"))
    outcome = engine.start_instance(
        StartInstance("monev_kinerja", "sekretaris", "2026-TW4", {k: data[k] for k in ("indikator", "kegiatan")})
    )
    engine.complete_user_task(
        CompleteUserTask(outcome.open_tasks[0]["task_id"], "sekretaris", {"disposisi": "Mohon diisi segera."})
    )
    lines: list[str] = []
    report_events(engine, outcome.case_id, 0, lines.append, engine.settings.timezone)
    text = "\n".join(lines)
    assert "Siapkan format isian per Bidang oleh Sistem" in text
    assert "✓ langkah 1 Membuat format isian oleh Sekretaris Dinas (contoh)" in text
    assert "Langkah 2 siap: Melakukan pengumpulan data kinerja [Statistik] — pelaksana Kepala Bidang" in text
    assert "langkah01_format_isian" not in text and "langkah02_pengumpulan_data" not in text
    assert " oleh sekretaris" not in text
    assert re.search(rf"tenggat \d{{1,2}} ({MONTHS}) 20\d\d \d\d:\d\d WITA", text)


def test_expression_errors_reach_people_in_indonesian() -> None:
    env = SandboxEnvironment()
    with pytest.raises(ExpressionFailed, match=r"nama 'nilai_akhr' tidak dikenal .*mungkin maksudnya 'nilai_akhir'"):
        env.evaluate("nilai_akhr > 90", {"nilai_akhir": 91})
    with pytest.raises(ExpressionFailed, match="pembagian dengan nol"):
        env.evaluate("1 / jumlah", {"jumlah": 0})
    with pytest.raises(ExpressionRejected, match="nama '_rahasia' tidak diizinkan karena diawali garis bawah"):
        env.evaluate("_rahasia", {})
    with pytest.raises(ExpressionRejected, match="kesalahan penulisan \\(sintaks\\)"):
        env.evaluate("import os", {})
    with pytest.raises(ExpressionFailed, match="impor modul tidak diizinkan"):
        env.execute("import os", {})
