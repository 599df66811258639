"""Jobs the committing process runs itself (the in-process transport) are recorded already started.

The transaction that records such a job also notes its first attempt, so running it right
after the commit takes one durable transaction (the work), not two (a "started" mark, then
the work). A process that dies half-way leaves the job pending with that attempt counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from sopflow import CompleteUserTask, StartInstance
from sopflow.jobs.outbox import ADVANCE_CASE

from .conftest import events_of, jobs_of_kind


class ProcessDied(BaseException):
    """Stands for the process ending mid-job: nothing in the runner catches it."""


@contextmanager
def counted_commits(database) -> Iterator[list[int]]:
    """Count the transactions committed on ``database`` inside the block (reads do not commit)."""
    commits: list[int] = []

    def count(_conn) -> None:
        commits.append(1)

    event.listen(database.engine, "commit", count)
    try:
        yield commits
    finally:
        event.remove(database.engine, "commit", count)


def _started_case(engine):
    outcome = engine.start_instance(StartInstance("mini", "ani", "2026-TW1", {"daftar_unit": [{"unit": "U1"}]}))
    return outcome.open_tasks[0]


def test_a_job_run_inline_is_recorded_started_and_costs_one_write_transaction(engine, database, mini):
    assert engine.transport.name == "inline"
    task = _started_case(engine)
    with counted_commits(database) as commits:
        outcome = engine.complete_user_task(CompleteUserTask(task["task_id"], "ani", {"angka": 5}))
    assert [t["element_id"] for t in outcome.open_tasks] == ["periksa_unit"]
    (job,) = jobs_of_kind(database, ADVANCE_CASE)
    assert (job.status, job.attempts, job.started_at) == ("done", 1, job.created_at)
    assert len(events_of(engine, outcome.case_id, "service_run")) == 1
    # the completion (which also marks its job started) and the job's work: no third transaction
    assert len(commits) == 2


def test_a_process_dying_in_an_inline_job_leaves_it_pending_with_the_attempt_counted(engine, database, mini):
    task = _started_case(engine)
    real = engine.jobs.kinds[ADVANCE_CASE]

    def dies(session, job, now):
        raise ProcessDied

    engine.jobs.kinds[ADVANCE_CASE] = dies
    try:
        with pytest.raises(ProcessDied):
            engine.complete_user_task(CompleteUserTask(task["task_id"], "ani", {"angka": 5}))
    finally:
        engine.jobs.kinds[ADVANCE_CASE] = real
    (job,) = jobs_of_kind(database, ADVANCE_CASE)
    assert (job.status, job.attempts) == ("pending", 1)
    assert job.started_at is not None  # the case page shows it as being processed since then
    case_id = job.case_id
    assert events_of(engine, case_id, "task_completed") and not events_of(engine, case_id, "service_run")

    # the sweeper's re-send runs it the ordinary way: a new attempt is noted first
    assert engine.run_job(job.id).outcome == "done"
    (job,) = jobs_of_kind(database, ADVANCE_CASE)
    assert (job.status, job.attempts) == ("done", 2)
    assert [t["element_id"] for t in engine.case_outcome(case_id).open_tasks] == ["periksa_unit"]


def test_a_worker_transport_leaves_the_start_to_the_worker(queued_engine, database, recorder):
    task = _started_case(queued_engine)
    queued_engine.complete_user_task(CompleteUserTask(task["task_id"], "ani", {"angka": 5}))
    (job,) = jobs_of_kind(database, ADVANCE_CASE)
    assert (job.status, job.attempts, job.started_at) == ("pending", 0, None)
    assert recorder.ids() == [job.id]
    with counted_commits(database) as commits:
        assert queued_engine.run_job(job.id).outcome == "done"
    assert len(commits) == 2  # the worker's "started" mark, then the work
    assert jobs_of_kind(database, ADVANCE_CASE)[0].attempts == 1
