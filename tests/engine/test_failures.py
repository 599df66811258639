"""A failing service step is kept in error with its real message and the user's data; it can be retried.

A crash in the middle of a command leaves the case exactly as before.
"""

from __future__ import annotations

import pytest

from sopflow import CompleteUserTask, PermissionDenied, RetryFailedStep, SopflowError, TaskNotReady
from sopflow.engine import case_run as case_run_module
from sopflow.persistence import store as store_module
from sopflow.persistence.models import Case
from sopflow.queries.inbox import case_summary, documents_of_case, tasks_of_case, timeline_for_case


def test_handler_error_keeps_step_failed_with_message_and_data(engine, start):
    outcome = start()
    task = outcome.open_tasks[0]
    outcome = engine.complete_user_task(CompleteUserTask(task["task_id"], "ani", {"angka": 13}))
    assert outcome.status == "gagal"
    assert outcome.failure["element_id"] == "hitung"
    assert outcome.failure["message"] == "Angka 13 tidak boleh diproses."
    with engine.db.reading() as session:
        summary = case_summary(session, outcome.case_id)
        events = timeline_for_case(session, outcome.case_id)
        tasks = tasks_of_case(session, outcome.case_id)
    assert summary["status"] == "gagal"
    # the user's completion is kept: the task is closed and its data recorded
    assert [t["state"] for t in tasks] == ["completed"]
    # the service step ran as a job after the completion committed: by "sistem", triggered by ani
    assert [e["kind"] for e in events][-3:] == ["task_completed", "engine_resumed", "service_failed"]
    assert events[-2]["data"]["triggered_by"] == "ani" and events[-1]["actor"] == "sistem"
    assert events[-1]["data"]["params"] == {"angka": 13}


def test_unexpected_exception_in_handler_is_reported_with_its_message(engine, start):
    outcome = start()
    outcome = engine.complete_user_task(CompleteUserTask(outcome.open_tasks[0]["task_id"], "ani", {"angka": 666}))
    assert outcome.status == "gagal"
    assert "RuntimeError: pembagian oleh nol di baris 42" in outcome.failure["message"]


def test_retry_after_fixing_the_data_continues_the_case(engine, start, make_user):
    outcome = start()
    outcome = engine.complete_user_task(CompleteUserTask(outcome.open_tasks[0]["task_id"], "ani", {"angka": 13}))
    make_user("luar", lanes=["Lain"])
    with pytest.raises(PermissionDenied):
        engine.retry_failed_step(RetryFailedStep(outcome.case_id, "luar", {"angka": 4}))
    outcome = engine.retry_failed_step(RetryFailedStep(outcome.case_id, "ani", {"angka": 4}))
    assert outcome.status == "berjalan" and outcome.failure is None
    assert sorted(t["unit"] for t in outcome.open_tasks) == ["U1", "U2"]
    with engine.db.reading() as session:
        kinds = [e["kind"] for e in timeline_for_case(session, outcome.case_id)]
        assert len(documents_of_case(session, outcome.case_id, "hasil")) == 1
    assert kinds.index("service_failed") < kinds.index("step_retried") < kinds.index("service_run")
    with pytest.raises(TaskNotReady, match="Tidak ada langkah yang gagal"):
        engine.retry_failed_step(RetryFailedStep(outcome.case_id, "ani"))


def test_retry_without_fix_fails_again_and_stays_failed(engine, start):
    outcome = start()
    outcome = engine.complete_user_task(CompleteUserTask(outcome.open_tasks[0]["task_id"], "ani", {"angka": 13}))
    outcome = engine.retry_failed_step(RetryFailedStep(outcome.case_id, "ani"))
    assert outcome.status == "gagal" and outcome.failure["message"] == "Angka 13 tidak boleh diproses."


def test_crash_while_saving_leaves_the_case_untouched(engine, start, monkeypatch):
    outcome = start()
    task = outcome.open_tasks[0]
    with engine.db.reading() as session:
        before = session.get(Case, outcome.case_id)
        before_state = (before.version, before.state, before.status)
        before_events = len(timeline_for_case(session, outcome.case_id))

    def crash(*args, **kwargs):
        raise OSError("disk penuh")

    monkeypatch.setattr(store_module, "add_documents", crash)
    with pytest.raises(OSError, match="disk penuh"):
        engine.complete_user_task(CompleteUserTask(task["task_id"], "ani", {"angka": 4}))
    monkeypatch.undo()
    with engine.db.reading() as session:
        after = session.get(Case, outcome.case_id)
        assert (after.version, after.state, after.status) == before_state
        assert len(timeline_for_case(session, outcome.case_id)) == before_events
        assert [t["state"] for t in tasks_of_case(session, outcome.case_id)] == ["ready"]
        assert documents_of_case(session, outcome.case_id) == []
    # and the same command then succeeds
    outcome = engine.complete_user_task(CompleteUserTask(task["task_id"], "ani", {"angka": 4}))
    assert outcome.status == "berjalan"


def test_history_depth_guard_refuses_to_save(engine, start, monkeypatch):
    outcome = start()
    monkeypatch.setattr(case_run_module, "MAX_TREE_DEPTH", 5)
    with engine.db.reading() as session:
        version_before = session.get(Case, outcome.case_id).version
    with pytest.raises(SopflowError, match="terlalu panjang"):
        engine.complete_user_task(CompleteUserTask(outcome.open_tasks[0]["task_id"], "ani", {"angka": 4}))
    with engine.db.reading() as session:
        assert session.get(Case, outcome.case_id).version == version_before


def test_completed_without_end_event_is_refused(engine, start, monkeypatch):
    """SpiffWorkflow may report completion when its iterator gives up; we never believe it alone."""
    outcome = start()
    monkeypatch.setattr(case_run_module.CaseRun, "reached_end", lambda self: False)
    monkeypatch.setattr("SpiffWorkflow.bpmn.workflow.BpmnWorkflow.is_completed", lambda self: True)
    with pytest.raises(SopflowError, match="tanpa mencapai peristiwa akhir"):
        engine.complete_user_task(CompleteUserTask(outcome.open_tasks[0]["task_id"], "ani", {"angka": 4}))
    with engine.db.reading() as session:
        assert session.get(Case, outcome.case_id).status == "berjalan"
