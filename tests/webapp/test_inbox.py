"""Tugas saya, the task page, claim/release/reassign/complete, uploads, and document downloads."""

from __future__ import annotations

import re
from datetime import timedelta
from io import BytesIO

import pytest

from sopflow import ClaimTask, CompleteUserTask
from sopflow.queries import inbox
from tests.webapp.conftest import SAMPLES, open_tasks, play_steps, post

STEP1 = {"disposisi": "Mohon setiap Bidang mengisi format isian paling lambat 2 hari kerja."}


def _task_state(engine, task_id):
    with engine.db.reading() as session:
        return inbox.task_detail(session, task_id)["task"]


def _complete_step1(engine, case):
    engine.complete_user_task(CompleteUserTask(case["task_id"], "sekretaris", STEP1))


# -- the list -----------------------------------------------------------------------------------
def test_inbox_lists_my_lane_tasks_with_due_date_in_wita(client, login_as, demo_case):
    login_as("sekretaris")
    page = client.get("/").get_data(as_text=True)
    rows = re.findall(r'data-testid="task-row" data-task-id="([^"]+)"', page)
    assert rows == [demo_case["task_id"]]
    assert "Membuat format isian" in page and "2026-TW3" in page and "WITA" in page
    assert 'data-overdue="tidak"' in page


def test_inbox_is_empty_for_other_lanes(client, login_as, demo_case):
    login_as("kabid_ikp")
    page = client.get("/").get_data(as_text=True)
    assert 'data-testid="inbox-empty"' in page


def test_kepala_bidang_sees_only_the_task_of_their_bidang(client, login_as, demo_case):
    _complete_step1(demo_case["engine"], demo_case)
    login_as("kabid_ikp")
    page = client.get("/").get_data(as_text=True)
    assert page.count('data-testid="task-row"') == 1
    assert "Informasi dan Komunikasi Publik" in page


def test_filters_and_sort_by_query_string(client, login_as, demo_case):
    login_as("sekretaris")
    assert client.get("/?langkah=1&urut=step").get_data(as_text=True).count('data-testid="task-row"') == 1
    assert 'data-testid="inbox-empty"' in client.get("/?langkah=2").get_data(as_text=True)
    assert 'data-testid="inbox-empty"' in client.get("/?periode=2026-TW4").get_data(as_text=True)
    assert client.get("/?periode=2026-TW3&urut=periode").get_data(as_text=True).count('data-testid="task-row"') == 1
    assert client.get("/?urut=ngawur&langkah=x").status_code == 200


def test_overdue_tasks_are_marked(client, login_as, demo_case, clock):
    clock.shift = timedelta(days=60)
    login_as("sekretaris")
    page = client.get("/").get_data(as_text=True)
    assert 'data-overdue="ya"' in page and 'data-testid="overdue-mark"' in page
    assert 'data-testid="overdue-mark"' in client.get(f"/tugas/{demo_case['task_id']}").get_data(as_text=True)


# -- the task page ------------------------------------------------------------------------------
def test_task_page_shows_sop_documents_form_and_actions(client, login_as, demo_case):
    login_as("sekretaris")
    page = client.get(f"/tugas/{demo_case['task_id']}").get_data(as_text=True)
    assert 'data-testid="sop-persyaratan">Format isian' in page
    assert 'data-testid="sop-waktu">15 hari kerja' in page
    assert 'data-testid="sop-output">Disposisi' in page
    assert page.count('data-testid="document-link"') == 5
    assert 'data-testid="field-disposisi"' in page
    assert 'data-testid="task-claim"' in page and 'data-testid="task-complete"' in page
    assert 'data-testid="reassign-select"' not in page  # nobody else in the lane yet


def test_auditor_sees_the_task_but_no_action_buttons(client, login_as, demo_case):
    login_as("inspektorat")
    page = client.get(f"/tugas/{demo_case['task_id']}").get_data(as_text=True)
    assert 'data-testid="sop-panel"' in page and 'data-testid="read-only-badge"' in page
    for testid in ("task-claim", "task-unclaim", "task-complete", "task-reassign", "task-form"):
        assert f'data-testid="{testid}"' not in page


@pytest.mark.parametrize("action", ["klaim", "lepas", "selesai", "alihkan"])
def test_auditor_posts_are_refused(client, login_as, demo_case, action):
    login_as("inspektorat")
    response = post(client, f"/tugas/{demo_case['task_id']}/{action}", {"to_user": "sekretaris", **STEP1})
    assert response.status_code == 403
    assert _task_state(demo_case["engine"], demo_case["task_id"])["state"] == "ready"


def test_another_lanes_task_is_forbidden(client, login_as, demo_case):
    login_as("kabid_ikp")  # no task in the case yet: the case and its tasks do not exist for them
    assert client.get(f"/tugas/{demo_case['task_id']}").status_code == 404
    assert post(client, f"/tugas/{demo_case['task_id']}/klaim").status_code == 404
    login_as("kadis")  # sees every case, but the task is the Sekretaris lane's
    assert client.get(f"/tugas/{demo_case['task_id']}").status_code == 403
    response = post(client, f"/tugas/{demo_case['task_id']}/klaim")
    assert response.status_code == 403
    assert 'data-testid="error-page"' in response.get_data(as_text=True)
    assert post(client, f"/tugas/{demo_case['task_id']}/selesai", STEP1).status_code == 403


def test_unknown_task_is_404(client, login_as, demo_case):
    login_as("sekretaris")
    assert client.get("/tugas/tidak-ada").status_code == 404
    assert post(client, "/tugas/tidak-ada/klaim").status_code == 404


def test_claim_and_release(client, login_as, demo_case):
    login_as("sekretaris")
    task_id = demo_case["task_id"]
    response = post(client, f"/tugas/{task_id}/klaim")
    assert response.status_code == 302 and response.headers["Location"] == f"/tugas/{task_id}"
    page = client.get(f"/tugas/{task_id}").get_data(as_text=True)
    assert 'data-testid="flash-sukses"' in page and 'data-testid="task-unclaim"' in page
    assert _task_state(demo_case["engine"], task_id)["claimed_by"] == "sekretaris"
    post(client, f"/tugas/{task_id}/lepas")
    page = client.get(f"/tugas/{task_id}").get_data(as_text=True)
    assert 'data-testid="flash-info"' in page and 'data-testid="task-claim"' in page
    assert _task_state(demo_case["engine"], task_id)["claimed_by"] is None


def test_task_claimed_by_someone_else_gives_409(client, login_as, demo_case, make_user):
    make_user("staf_sekretaris", lanes=["Sekretaris"])
    demo_case["engine"].claim_task(ClaimTask(demo_case["task_id"], "sekretaris"))
    login_as("staf_sekretaris", "kata-sandi-uji")
    page = client.get(f"/tugas/{demo_case['task_id']}").get_data(as_text=True)
    assert 'data-testid="claimed-by-other"' in page and 'data-testid="task-form"' not in page
    for action in ("klaim", "selesai"):
        response = post(client, f"/tugas/{demo_case['task_id']}/{action}", STEP1)
        assert response.status_code == 409
        assert "sedang dikerjakan oleh sekretaris" in response.get_data(as_text=True)


def test_completing_twice_gives_409_not_a_crash(client, login_as, demo_case):
    login_as("sekretaris")
    first = post(client, f"/tugas/{demo_case['task_id']}/selesai", STEP1)
    assert first.status_code == 302 and first.headers["Location"] == "/"
    assert 'data-testid="flash-sukses"' in client.get("/").get_data(as_text=True)
    second = post(client, f"/tugas/{demo_case['task_id']}/selesai", STEP1)
    assert second.status_code == 409
    assert "sudah diselesaikan" in second.get_data(as_text=True)
    page = client.get(f"/tugas/{demo_case['task_id']}").get_data(as_text=True)
    assert 'data-testid="task-done"' in page and 'data-testid="task-form"' not in page


def test_invalid_form_is_shown_again_with_entries_and_messages(client, login_as, demo_case):
    login_as("sekretaris")
    response = post(client, f"/tugas/{demo_case['task_id']}/selesai", {"disposisi": "ok"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'data-testid="error-disposisi">Disposisi: minimal 5 karakter.' in page
    assert ">ok</textarea>" in page
    assert _task_state(demo_case["engine"], demo_case["task_id"])["state"] == "ready"


# -- reassign -------------------------------------------------------------------------------------
def test_lane_head_reassigns_to_a_lane_member(client, login_as, demo_case, make_user):
    make_user("staf_sekretaris", lanes=["Sekretaris"])
    login_as("sekretaris")
    page = client.get(f"/tugas/{demo_case['task_id']}").get_data(as_text=True)
    assert 'data-testid="reassign-select"' in page and 'value="staf_sekretaris"' in page
    response = post(client, f"/tugas/{demo_case['task_id']}/alihkan", {"to_user": "staf_sekretaris"})
    assert response.status_code == 302
    assert _task_state(demo_case["engine"], demo_case["task_id"])["claimed_by"] == "staf_sekretaris"
    assert post(client, f"/tugas/{demo_case['task_id']}/alihkan", {"to_user": ""}).status_code == 422
    assert post(client, f"/tugas/{demo_case['task_id']}/alihkan", {"to_user": "kabid_ikp"}).status_code == 403


def test_non_head_cannot_reassign(client, login_as, demo_case, make_user):
    make_user("staf_sekretaris", lanes=["Sekretaris"])
    login_as("staf_sekretaris", "kata-sandi-uji")
    page = client.get(f"/tugas/{demo_case['task_id']}").get_data(as_text=True)
    assert 'data-testid="reassign-select"' not in page
    response = post(client, f"/tugas/{demo_case['task_id']}/alihkan", {"to_user": "sekretaris"})
    assert response.status_code == 403


# -- uploads and tables ---------------------------------------------------------------------------
def test_kepala_bidang_uploads_the_filled_sheet(client, login_as, demo_case):
    engine = demo_case["engine"]
    _complete_step1(engine, demo_case)
    task = next(t for t in open_tasks(engine, demo_case["case_id"]) if t["unit"] == "Informasi dan Komunikasi Publik")
    login_as("kabid_ikp")
    page = client.get(f"/tugas/{task['task_id']}").get_data(as_text=True)
    assert 'type="file"' in page and 'accept=".xlsx"' in page and 'enctype="multipart/form-data"' in page
    assert "untuk Bidang ini" in page
    wrong = post(
        client,
        f"/tugas/{task['task_id']}/selesai",
        {"catatan": "catatan saya", "lembar_isian": (BytesIO(b"bukan excel"), "isian.txt")},
        content_type="multipart/form-data",
    )
    assert wrong.status_code == 422
    assert "harus berformat .xlsx" in wrong.get_data(as_text=True)
    assert "catatan saya" in wrong.get_data(as_text=True)
    sheet = (SAMPLES / "lembar_isian" / "informasi_dan_komunikasi_publik.xlsx").read_bytes()
    ok = post(
        client,
        f"/tugas/{task['task_id']}/selesai",
        {"catatan": "data contoh", "lembar_isian": (BytesIO(sheet), "ikp.xlsx")},
        content_type="multipart/form-data",
    )
    assert ok.status_code == 302
    assert _task_state(engine, task["task_id"])["state"] == "completed"


def test_upload_is_kept_when_another_field_is_wrong(client, login_as, demo_case):
    engine = demo_case["engine"]
    play_steps(engine, demo_case["case_id"], "langkah10_perbaikan")
    task = open_tasks(engine, demo_case["case_id"], "langkah10_perbaikan")[0]
    login_as("kasubbag_perencanaan")
    first = post(
        client,
        f"/tugas/{task['task_id']}/selesai",
        {
            "catatan_perbaikan": "ok",
            "dokumen_perbaikan": (BytesIO(b"PK\x03\x04 isi docx contoh"), "draft_koreksi.docx"),
        },
        content_type="multipart/form-data",
    )
    assert first.status_code == 422
    page = first.get_data(as_text=True)
    assert 'data-testid="staged-dokumen_perbaikan"' in page and "draft_koreksi.docx" in page
    upload_id = re.search(r'name="dokumen_perbaikan__upload_id" value="([0-9a-f]+)"', page).group(1)
    second = post(
        client,
        f"/tugas/{task['task_id']}/selesai",
        {"catatan_perbaikan": "Bab ringkasan diperbaiki.", "dokumen_perbaikan__upload_id": upload_id},
        content_type="multipart/form-data",
    )
    assert second.status_code == 302
    with engine.db.reading() as session:
        names = [d["filename"] for d in inbox.documents_of_case(session, demo_case["case_id"])]
    assert "draft_koreksi.docx" in names


def test_schedule_table_has_one_row_per_bidang(client, login_as, demo_case):
    engine = demo_case["engine"]
    play_steps(engine, demo_case["case_id"], "langkah04_rencana_monev")
    task = open_tasks(engine, demo_case["case_id"], "langkah04_rencana_monev")[0]
    login_as("kasubbag_perencanaan")
    page = client.get(f"/tugas/{task['task_id']}").get_data(as_text=True)
    bidang = re.findall(r'name="jadwal_monev-(\d)-bidang" value="([^"]+)"', page)
    assert [b for _, b in bidang] == [
        "Sekretariat",
        "Informasi dan Komunikasi Publik",
        "Aplikasi Informatika",
        "Statistik",
        "Persandian",
    ]
    form = {"jadwal_monev-rows": "5"}
    for i, (_, name) in enumerate(bidang):
        form |= {f"jadwal_monev-{i}-bidang": name, f"jadwal_monev-{i}-tanggal": f"2026-10-1{i}"}
        form[f"jadwal_monev-{i}-petugas"] = "Tim Monev" if i else ""
    bad = post(client, f"/tugas/{task['task_id']}/selesai", form)
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert 'data-testid="row-jadwal_monev-0"' in page and "has-error" in page
    assert "petugas" in page and 'value="2026-10-14"' in page
    form["jadwal_monev-0-petugas"] = "Tim Monev"
    assert post(client, f"/tugas/{task['task_id']}/selesai", form).status_code == 302
    assert open_tasks(engine, demo_case["case_id"], "langkah05_monitoring")


# -- documents ------------------------------------------------------------------------------------
def test_documents_download_for_process_members_and_auditors(client, login_as, demo_case, make_user):
    make_user("orang_luar", lanes=["Bagian Lain"])
    case_id = demo_case["case_id"]
    login_as("kasubbag_perencanaan")  # a lane of sopflow.lihat_semua_kasus
    response = client.get(f"/dokumen/{case_id}/1")
    assert response.status_code == 200 and response.data.startswith(b"PK")
    assert "attachment" in response.headers["Content-Disposition"]
    assert client.get(f"/dokumen/{case_id}/999").status_code == 404
    assert client.get("/dokumen/tidak-ada/1").status_code == 404
    login_as("inspektorat")
    assert client.get(f"/dokumen/{case_id}/1").status_code == 200
    login_as("kabid_ikp")  # no Kepala Bidang task in the case yet: 404, as for a case that does not exist
    assert client.get(f"/dokumen/{case_id}/1").status_code == 404
    login_as("orang_luar", "kata-sandi-uji")
    assert client.get(f"/dokumen/{case_id}/1").status_code == 404
