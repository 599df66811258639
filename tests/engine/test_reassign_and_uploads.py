"""Reassigning a task by the lane's head; files staged for a task before completion; API tokens."""

from __future__ import annotations

import pytest

from sopflow import (
    CompleteUserTask,
    InvalidForm,
    NotAssignee,
    PermissionDenied,
    ReassignTask,
    StageUpload,
    TaskClaimedByOther,
    Upload,
)
from sopflow.access.tokens import issue_token, revoke_tokens, user_for_token
from sopflow.access.users import add_user
from sopflow.queries.inbox import documents_of_case, task_detail, timeline_for_case


@pytest.fixture
def lead(database):
    with database.unit_of_work() as session:
        add_user(session, "kepala", "kata-sandi-uji", lanes=["Pengusul"], lead_lanes=["Pengusul"])
    return "kepala"


def test_lane_head_reassigns_to_a_member(engine, start, lead):
    task = start().open_tasks[0]
    with pytest.raises(PermissionDenied, match="kepala lane"):
        engine.reassign_task(ReassignTask(task["task_id"], "dodi", "ani"))
    with pytest.raises(NotAssignee):
        engine.reassign_task(ReassignTask(task["task_id"], lead, "budi"))  # not in the lane
    row = engine.reassign_task(ReassignTask(task["task_id"], lead, "dodi"))
    assert row["claimed_by"] == "dodi"
    with pytest.raises(TaskClaimedByOther):
        engine.complete_user_task(CompleteUserTask(task["task_id"], "ani", {"angka": 1}))
    engine.complete_user_task(CompleteUserTask(task["task_id"], "dodi", {"angka": 1}))
    with engine.db.reading() as session:
        event = next(e for e in timeline_for_case(session, task["case_id"]) if e["kind"] == "task_reassigned")
    assert (event["actor"], event["data"]["after"]) == (lead, "dodi")


def test_head_must_be_member_of_the_lane_they_lead(database):
    with database.unit_of_work() as session, pytest.raises(InvalidForm, match="Data pengguna"):
        add_user(session, "x_kepala", "kata-sandi-uji", lanes=["A"], lead_lanes=["B"])


def test_staged_upload_is_used_on_completion(engine, start):
    task = start().open_tasks[0]
    with pytest.raises(InvalidForm, match=r"harus berformat \.xlsx"):
        engine.stage_upload(StageUpload(task["task_id"], "ani", "lampiran", Upload("a.txt", b"teks")))
    with pytest.raises(InvalidForm, match="tidak menerima berkas"):
        engine.stage_upload(StageUpload(task["task_id"], "ani", "angka", Upload("a.xlsx", b"PK")))
    with pytest.raises(NotAssignee):
        engine.stage_upload(StageUpload(task["task_id"], "budi", "lampiran", Upload("a.xlsx", b"PK")))
    staged = engine.stage_upload(StageUpload(task["task_id"], "ani", "lampiran", Upload("../../isian.xlsx", b"PK-1")))
    assert staged["filename"] == "isian.xlsx" and staged["size"] == 4
    # another actor cannot use ani's upload
    with pytest.raises(InvalidForm) as err:
        engine.complete_user_task(
            CompleteUserTask(task["task_id"], "dodi", {"angka": 1, "lampiran": {"upload_id": staged["upload_id"]}})
        )
    assert "tidak ditemukan" in err.value.field_errors()["lampiran"][0]
    engine.complete_user_task(
        CompleteUserTask(task["task_id"], "ani", {"angka": 1, "lampiran": {"upload_id": staged["upload_id"]}})
    )
    with engine.db.reading() as session:
        uploads = documents_of_case(session, task["case_id"], "unggahan")
        completed = next(e for e in timeline_for_case(session, task["case_id"]) if e["kind"] == "task_completed")
    assert [u["sha256"] for u in uploads] == [staged["sha256"]]
    assert completed["data"]["after"]["lampiran"]["sha256"] == staged["sha256"]


def test_task_detail_has_sop_text_form_and_documents(engine, start):
    task = start().open_tasks[0]
    with engine.db.reading() as session:
        detail = task_detail(session, task["task_id"])
    assert detail["sop"]["persyaratan"] == "Data" and detail["sop"]["waktu"] == "2"
    assert detail["sop"]["satuan"] == "hari kerja" and detail["sop"]["output"] == "Angka"
    assert detail["form"]["required"] == ["angka"]
    assert detail["task"]["periode"] == "2026-TW1" and detail["task"]["case_status"] == "berjalan"


def test_tokens_resolve_to_their_user_until_revoked(database, make_user):
    make_user("pemakai", lanes=["A"])
    with database.unit_of_work() as session:
        token = issue_token(session, "pemakai")
    with database.reading() as session:
        assert user_for_token(session, token).username == "pemakai"
        assert user_for_token(session, token + "x") is None
        assert user_for_token(session, "") is None
    with database.unit_of_work() as session:
        assert revoke_tokens(session, "pemakai") == 1
    with database.reading() as session:
        assert user_for_token(session, token) is None
