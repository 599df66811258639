"""The outbox and the job runner: a completion commits its job; a job runs to completion exactly once.

The engines here use a recording transport: jobs are committed in the outbox and only run
when the test calls ``engine.run_job`` (as a worker would).
"""

from __future__ import annotations

import shutil
import threading
from datetime import timedelta

import pytest
from sqlalchemy import text

from sopflow import CompleteUserTask, InvalidForm, PermissionDenied, StartInstance, TaskNotReady
from sopflow.jobs.outbox import ADVANCE_CASE
from sopflow.jobs.runner import BACKOFF_SECONDS
from sopflow.persistence.models import Case
from sopflow.queries.inbox import documents_of_case

from .conftest import events_of, job_row


def _start_and_complete(engine, angka: int = 5, periode: str = "2026-TW1"):
    outcome = engine.start_instance(StartInstance("mini", "ani", periode, {"daftar_unit": [{"unit": "U1"}]}))
    task = outcome.open_tasks[0]
    return engine.complete_user_task(CompleteUserTask(task["task_id"], "ani", {"angka": angka}))


def test_completion_commits_a_pending_job_and_the_service_step_waits_for_it(queued_engine, recorder):
    outcome = _start_and_complete(queued_engine)
    # committed with the completion: the case shows the job, the service step has not run
    (job,) = outcome.jobs
    assert (job["kind"], job["status"], job["element_id"], job["label"]) == (
        ADVANCE_CASE,
        "pending",
        "hitung",
        "menunggu antrean",
    )
    assert job["triggered_by"] == "ani"
    assert recorder.ids() == [job["job_id"]]
    assert outcome.open_tasks == [] and outcome.status == "berjalan"
    assert events_of(queued_engine, outcome.case_id, "service_run") == []
    assert len(events_of(queued_engine, outcome.case_id, "task_completed")) == 1

    assert queued_engine.run_job(job["job_id"]).outcome == "done"
    after = queued_engine.case_outcome(outcome.case_id)
    assert after.jobs == [] and [t["element_id"] for t in after.open_tasks] == ["periksa_unit"]
    assert queued_engine.run_job(job["job_id"]).outcome == "skipped"  # a duplicate message does nothing
    assert len(events_of(queued_engine, outcome.case_id, "service_run")) == 1
    with queued_engine.db.reading() as session:
        assert len(documents_of_case(session, outcome.case_id, "hasil")) == 1
    assert job_row(queued_engine.db, job["job_id"]).status == "done"


def test_a_refused_completion_records_no_job(queued_engine, recorder):
    outcome = queued_engine.start_instance(StartInstance("mini", "ani", "2026-TW1", {"daftar_unit": [{"unit": "U1"}]}))
    with pytest.raises(InvalidForm):
        queued_engine.complete_user_task(CompleteUserTask(outcome.open_tasks[0]["task_id"], "ani", {"angka": 99}))
    assert queued_engine.open_jobs() == [] and recorder.sent == []


def test_two_workers_running_the_same_job_at_once_run_it_once(queued_engine):
    outcome = _start_and_complete(queued_engine)
    job_id = outcome.jobs[0]["job_id"]
    inside, release = threading.Event(), threading.Event()
    real = queued_engine.jobs.kinds[ADVANCE_CASE]

    def held(session, job, now):
        # the first worker holds the job row (locked) until the second one has tried
        inside.set()
        release.wait(60)
        real(session, job, now)

    queued_engine.jobs.kinds[ADVANCE_CASE] = held
    results: dict[str, str] = {}
    first = threading.Thread(target=lambda: results.__setitem__("first", queued_engine.run_job(job_id, "w1").outcome))
    first.start()
    assert inside.wait(30)
    queued_engine.jobs.kinds[ADVANCE_CASE] = real
    second = threading.Thread(target=lambda: results.__setitem__("second", queued_engine.run_job(job_id, "w2").outcome))
    second.start()
    if queued_engine.db.is_sqlite:
        release.set()  # SQLite serialises writers: the second waits for the first to commit
    else:
        second.join(30)  # PostgreSQL: the second skips the locked row and returns while the first still works
        release.set()
    first.join(60)
    second.join(60)
    expected = "skipped" if queued_engine.db.is_sqlite else "busy"
    assert results == {"first": "done", "second": expected}
    assert len(events_of(queued_engine, outcome.case_id, "service_run")) == 1
    job = job_row(queued_engine.db, job_id)
    assert job.status == "done" and job.attempts == 1


def _break_file_store(settings) -> None:
    """Make the content store unusable: its folder becomes a plain file (root ignores permissions)."""
    files = settings.files_dir
    if files.exists():
        shutil.rmtree(files)
    files.parent.mkdir(parents=True, exist_ok=True)
    files.write_text("bukan folder")


def _repair_file_store(settings) -> None:
    settings.files_dir.unlink()


def test_storage_away_retries_with_backoff_then_fails_and_a_process_owner_retries(
    queued_engine, recorder, settings, clock
):
    outcome = _start_and_complete(queued_engine)
    job_id = outcome.jobs[0]["job_id"]
    with queued_engine.db.reading() as session:
        case = session.get_one(Case, outcome.case_id)
        before = (case.version, case.state, case.status, case.failure)
    events_before = len(events_of(queued_engine, outcome.case_id, "task_completed"))
    _break_file_store(settings)

    result = queued_engine.run_job(job_id)
    assert result.outcome == "retry" and result.countdown == BACKOFF_SECONDS
    job = job_row(queued_engine.db, job_id)
    assert (job.status, job.attempts) == ("pending", 1)
    assert job.run_after == clock.now + timedelta(seconds=BACKOFF_SECONDS)
    assert job.last_error
    assert recorder.sent[-1] == ([job_id], BACKOFF_SECONDS)  # sent again for later
    # the case is exactly as before: no failed step, no event, no document
    with queued_engine.db.reading() as session:
        case = session.get_one(Case, outcome.case_id)
        assert (case.version, case.state, case.status, case.failure) == before
        assert documents_of_case(session, outcome.case_id, "hasil") == []
    assert events_of(queued_engine, outcome.case_id, "service_run") == []
    assert events_of(queued_engine, outcome.case_id, "service_failed") == []
    assert len(events_of(queued_engine, outcome.case_id, "task_completed")) == events_before

    # not due yet: the runner does not run it early
    assert queued_engine.run_job(job_id).outcome == "retry"
    assert job_row(queued_engine.db, job_id).attempts == 1

    for attempt in range(2, job.max_attempts + 1):
        clock.set(job_row(queued_engine.db, job_id).run_after)
        result = queued_engine.run_job(job_id)
        assert job_row(queued_engine.db, job_id).attempts == attempt
    assert result.outcome == "failed"
    job = job_row(queued_engine.db, job_id)
    assert job.status == "failed" and job.last_error == result.error
    (listed,) = queued_engine.case_outcome(outcome.case_id).jobs
    assert (listed["status"], listed["label"], listed["last_error"]) == ("failed", "gagal", job.last_error)
    assert [j["job_id"] for j in queued_engine.open_jobs()] == [job_id]
    assert queued_engine.case_outcome(outcome.case_id).status == "berjalan"  # the case itself is untouched

    with pytest.raises(PermissionDenied):
        queued_engine.retry_job(job_id, "dodi")
    _repair_file_store(settings)
    again = queued_engine.retry_job(job_id, "ani")
    assert (again["status"], again["attempts"]) == ("pending", 0)
    assert recorder.ids()[-1] == job_id
    with pytest.raises(TaskNotReady):
        queued_engine.retry_job(job_id, "ani")  # only a failed job is put back
    assert queued_engine.run_job(job_id).outcome == "done"
    after = queued_engine.case_outcome(outcome.case_id)
    assert after.jobs == [] and [t["element_id"] for t in after.open_tasks] == ["periksa_unit"]
    assert len(events_of(queued_engine, outcome.case_id, "service_run")) == 1


def test_a_handler_error_fails_the_step_with_its_message_and_the_job_is_done(queued_engine):
    outcome = _start_and_complete(queued_engine, angka=13)
    job_id = outcome.jobs[0]["job_id"]
    assert queued_engine.run_job(job_id).outcome == "done"
    after = queued_engine.case_outcome(outcome.case_id)
    assert after.status == "gagal" and after.failure["message"] == "Angka 13 tidak boleh diproses."
    assert after.jobs == [] and job_row(queued_engine.db, job_id).status == "done"
    assert len(events_of(queued_engine, outcome.case_id, "service_failed")) == 1


def test_a_database_connection_killed_mid_job_rolls_back_and_retries(queued_engine, clock):
    if queued_engine.db.is_sqlite:
        pytest.skip("killing one server connection needs PostgreSQL")
    outcome = _start_and_complete(queued_engine)
    job_id = outcome.jobs[0]["job_id"]
    with queued_engine.db.reading() as session:
        before = session.get_one(Case, outcome.case_id).version
    real = queued_engine.jobs.kinds[ADVANCE_CASE]

    def killed(session, job, now):
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with queued_engine.db.engine.connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        real(session, job, now)  # its first statement meets the closed connection

    queued_engine.jobs.kinds[ADVANCE_CASE] = killed
    result = queued_engine.run_job(job_id)
    queued_engine.jobs.kinds[ADVANCE_CASE] = real
    assert result.outcome == "retry"
    job = job_row(queued_engine.db, job_id)
    assert (job.status, job.attempts) == ("pending", 1)
    assert job.run_after == clock.now + timedelta(seconds=BACKOFF_SECONDS)
    with queued_engine.db.reading() as session:
        assert session.get_one(Case, outcome.case_id).version == before
    assert events_of(queued_engine, outcome.case_id, "engine_resumed") == []
    clock.set(job.run_after)
    assert queued_engine.run_job(job_id).outcome == "done"
    assert len(events_of(queued_engine, outcome.case_id, "service_run")) == 1
