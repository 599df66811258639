"""The outbox: jobs recorded in the same transaction as the change that needs them.

A command opens :func:`command_transaction` instead of a bare unit of work; anything it
records with :func:`add_job` is handed to the transport only after the transaction
committed, so a job never runs for a change that rolled back, and a job recorded by a
committed change is never lost (the sweeper re-sends what the broker dropped).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from itertools import groupby
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from sopflow.logs import current_request_id
from sopflow.persistence.db import Database
from sopflow.persistence.models import Job

_PENDING_KEY = "sopflow.jobs"
_STARTED_KEY = "sopflow.jobs.started"

ADVANCE_CASE = "advance_case"
SEND_EMAIL = "send_email"


@contextmanager
def command_transaction(db: Database, dispatch: Callable[..., None], starts_here: bool = False) -> Iterator[Session]:
    """Yield a write session; after it commits, pass the ids of the jobs it recorded to ``dispatch``.

    ``starts_here``: this process runs the jobs itself right after the commit (the in-process
    transport). Each job :func:`add_job` records is then written already started, as attempt 1,
    so its run needs no durable transaction of its own to say so, and ``dispatch`` is called
    with ``started=True`` for those ids. A process that dies before finishing leaves the job
    pending with that attempt counted, exactly as a worker killed after marking it would.
    """
    pending: list[str] = []
    started: set[str] = set()
    with db.unit_of_work() as session:
        session.info[_PENDING_KEY] = pending
        if starts_here:
            session.info[_STARTED_KEY] = started
        yield session
    for is_started, ids in groupby(pending, key=started.__contains__):
        if is_started:
            dispatch(list(ids), started=True)
        else:
            dispatch(list(ids))


def jobs_recorded(session: Session) -> bool:
    """Tell whether this command transaction has recorded jobs (they run, or are sent, after commit)."""
    return bool(session.info.get(_PENDING_KEY))


def add_job(
    session: Session,
    kind: str,
    now: datetime,
    *,
    case_id: str | None = None,
    payload: dict[str, Any] | None = None,
    triggered_by: str | None = None,
    max_attempts: int = 5,
) -> Job:
    """Record a pending job in the session's transaction; it is dispatched after commit."""
    job = Job(
        id=uuid.uuid4().hex,
        kind=kind,
        case_id=case_id,
        payload=payload or {},
        status="pending",
        attempts=0,
        max_attempts=max_attempts,
        run_after=now,
        created_at=now,
        enqueued_at=now,
        triggered_by=triggered_by,
        request_id=current_request_id(),
    )
    started = session.info.get(_STARTED_KEY)
    if started is not None:  # run by this process right after commit (see command_transaction)
        job.started_at, job.attempts = now, 1
        started.add(job.id)
    session.add(job)
    session.info.setdefault(_PENDING_KEY, []).append(job.id)
    return job


def request_advance(session: Session, case_id: str, now: datetime, triggered_by: str, element_id: str) -> Job | None:
    """Record that the case has service steps to run, unless a pending job for them exists already."""
    waiting = session.scalar(
        select(Job.id).where(Job.kind == ADVANCE_CASE, Job.case_id == case_id, Job.status == "pending").limit(1)
    )
    if waiting is not None:
        return None
    return add_job(
        session, ADVANCE_CASE, now, case_id=case_id, payload={"element_id": element_id}, triggered_by=triggered_by
    )


def case_jobs(session: Session, case_id: str) -> list[dict[str, Any]]:
    """Return the case's jobs that are not done (queued, running or failed), oldest first."""
    rows = session.scalars(
        select(Job).where(Job.case_id == case_id, Job.status != "done").order_by(Job.created_at)
    ).all()
    return [job_dict(job) for job in rows]


def open_jobs(session: Session, limit: int = 200) -> list[dict[str, Any]]:
    """Return pending and failed jobs of the whole instance, failed first, for the process owner."""
    rows = session.scalars(
        select(Job)
        .where(Job.status != "done")
        .order_by(case((Job.status == "failed", 0), else_=1), Job.created_at)
        .limit(limit)
    ).all()
    return [job_dict(job) for job in rows]


def cases_in_progress(session: Session, case_ids: list[str]) -> dict[str, str]:
    """Return ``{case_id: "antre" | "diproses" | "gagal"}`` for the listed cases with open jobs."""
    if not case_ids:
        return {}
    rows = session.execute(
        select(Job.case_id, Job.status, func.max(Job.started_at))
        .where(Job.case_id.in_(case_ids), Job.status != "done")
        .group_by(Job.case_id, Job.status)
    ).all()
    result: dict[str, str] = {}
    for case_id, status, started in rows:
        assert case_id is not None  # selected among case_ids
        label = "gagal" if status == "failed" else ("diproses" if started else "antre")
        if result.get(case_id) != "gagal":
            result[case_id] = label
    return result


def job_dict(job: Job) -> dict[str, Any]:
    """Render a job for pages and the API (Indonesian state label included)."""
    if job.status == "failed":
        label = "gagal"
    elif job.status == "done":
        label = "selesai"
    elif job.started_at is not None:
        label = "sedang diproses"
    else:
        label = "menunggu antrean"
    return {
        "job_id": job.id,
        "kind": job.kind,
        "case_id": job.case_id,
        "status": job.status,
        "label": label,
        "element_id": (job.payload or {}).get("element_id"),
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "run_after": job.run_after,
        "last_error": job.last_error,
        "triggered_by": job.triggered_by,
    }
