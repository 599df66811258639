"""The sweeper re-sends jobs whose message was lost, after RESEND_AFTER, never while a worker holds them."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from sopflow import CompleteUserTask, Engine, Settings, StartInstance
from sopflow.errors import DeploymentError
from sopflow.jobs import timers
from sopflow.jobs.timers import RESEND_AFTER
from sopflow.persistence.models import Job

from .conftest import job_row


def _queued_job(engine) -> tuple[str, str]:
    outcome = engine.start_instance(StartInstance("mini", "ani", "2026-TW1", {"daftar_unit": [{"unit": "U1"}]}))
    outcome = engine.complete_user_task(CompleteUserTask(outcome.open_tasks[0]["task_id"], "ani", {"angka": 5}))
    return outcome.case_id, outcome.jobs[0]["job_id"]


def test_a_lost_job_is_resent_only_after_resend_after(queued_engine, recorder, clock):
    case_id, job_id = _queued_job(queued_engine)
    sent_at = clock.now
    assert recorder.ids() == [job_id]  # the message the broker lost

    clock.set(sent_at + RESEND_AFTER - timedelta(seconds=1))
    assert queued_engine.tick()["resent"] == 0
    assert recorder.ids() == [job_id]

    clock.set(sent_at + RESEND_AFTER)
    assert queued_engine.tick()["resent"] == 1
    assert recorder.ids() == [job_id, job_id]
    assert job_row(queued_engine.db, job_id).enqueued_at == clock.now
    # sent again just now: the next round leaves it alone for another minute
    clock.set(clock.now + timedelta(seconds=30))
    assert queued_engine.tick()["resent"] == 0

    assert queued_engine.run_job(job_id).outcome == "done"
    clock.set(clock.now + RESEND_AFTER * 5)
    assert queued_engine.tick()["resent"] == 0  # done jobs are never sent again
    assert recorder.ids() == [job_id, job_id]
    assert queued_engine.case_outcome(case_id).jobs == []


def test_a_job_waiting_for_its_backoff_is_not_resent_early(queued_engine, recorder, clock, settings):
    _case_id, job_id = _queued_job(queued_engine)
    settings.files_dir.parent.mkdir(parents=True, exist_ok=True)
    settings.files_dir.write_text("bukan folder")  # the store is away: the attempt is retried later
    assert queued_engine.run_job(job_id).outcome == "retry"
    run_after = job_row(queued_engine.db, job_id).run_after
    before = len(recorder.ids())
    clock.set(run_after + RESEND_AFTER - timedelta(seconds=1))
    assert queued_engine.tick()["resent"] == 0
    clock.set(run_after + RESEND_AFTER)
    assert queued_engine.tick()["resent"] == 1
    assert recorder.ids()[before:] == [job_id]


def test_a_job_a_worker_holds_is_not_resent(queued_engine, recorder, clock):
    if queued_engine.db.is_sqlite:
        pytest.skip("row locks exist on PostgreSQL only; SQLite serialises whole transactions")
    _case_id, job_id = _queued_job(queued_engine)
    clock.set(clock.now + RESEND_AFTER * 2)
    sent_before = list(recorder.ids())
    with queued_engine.db.engine.connect() as worker, worker.begin():
        held = worker.execute(select(Job.id).where(Job.id == job_id).with_for_update()).scalar_one()
        assert held == job_id
        assert timers.sweep(queued_engine.db, clock.now, recorder.send) == []
        assert queued_engine.tick()["resent"] == 0
        # a duplicate message meanwhile does not wait for the worker either
        assert queued_engine.run_job(job_id).outcome == "busy"
    assert recorder.ids() == sent_before
    assert queued_engine.tick()["resent"] == 1  # the worker let go without finishing: sent again
    assert recorder.ids() == [*sent_before, job_id]


def test_job_resend_seconds_sets_how_long_the_sweeper_waits(database, settings, clock, recorder, mini):
    """JOB_RESEND_SECONDS (here 5) replaces the one-minute default; the environment variable is read."""
    assert Settings.from_env(environ={"JOB_RESEND_SECONDS": "5"}).job_resend_seconds == 5
    with pytest.raises(DeploymentError, match="JOB_RESEND_SECONDS"):
        Settings.from_env(environ={"JOB_RESEND_SECONDS": "0"})
    engine = Engine(database, replace(settings, job_resend_seconds=5), clock=clock, transport=recorder)
    _case_id, job_id = _queued_job(engine)
    sent_at = clock.now
    clock.set(sent_at + timedelta(seconds=4))
    assert engine.tick()["resent"] == 0
    clock.set(sent_at + timedelta(seconds=5))
    assert engine.tick()["resent"] == 1
    assert recorder.ids() == [job_id, job_id]
