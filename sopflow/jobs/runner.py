"""Run one job by id: the same code in-process after commit and inside a Celery worker.

A run has two transactions. The first, short one notes that the job started (the case
page shows "sedang diproses sejak ..."); a job the committing process runs itself (the
in-process transport) was noted started by the transaction that recorded it, and skips
this one. The second locks the job row (``FOR UPDATE SKIP LOCKED`` on PostgreSQL;
SQLite's write lock serialises), does the work and marks the job ``done`` in the same
commit. So a job runs at most once to completion: a duplicate
message (a redelivery after a killed worker, a sweeper re-send) finds the row locked or
done and does nothing, and a worker killed half-way leaves no trace but the row still
pending. Errors the job cannot help (database or storage unavailable, a lost race) are
retried with backoff; after ``max_attempts`` the job is ``failed`` and shown to the
process owner with "Coba lagi".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import exc as sa_exc
from sqlalchemy import select
from sqlalchemy.orm import Session

from sopflow.errors import SopflowError, StaleInstance
from sopflow.jobs.outbox import command_transaction
from sopflow.logs import bound_context, get_logger
from sopflow.persistence.db import Database
from sopflow.persistence.models import Job

log = get_logger("sopflow.jobs")

#: first retry after 5 s, then 10, 20, 40 ... capped at five minutes
BACKOFF_SECONDS = 5
BACKOFF_CAP_SECONDS = 300


class TransientJobError(Exception):
    """Something outside the job failed (SMTP server, storage); trying again later may succeed."""


class JobHandler(Protocol):
    """Does the work of one job kind inside the job's transaction."""

    def __call__(self, session: Session, job: Job, now: datetime) -> None: ...


@dataclass(frozen=True)
class JobResult:
    """How one run of a job ended: ``done``, ``skipped`` (done or failed before), ``busy``
    (another worker holds it), ``retry`` (after ``countdown`` seconds), ``failed`` or ``missing``."""

    outcome: str
    countdown: float = 0.0
    error: str | None = None


def is_transient(exc: BaseException) -> bool:
    """Tell whether an error comes from something unavailable rather than from the job itself."""
    return isinstance(
        exc, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError | StaleInstance | TransientJobError
    ) or (isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated)


def raise_if_unavailable(exc: BaseException) -> None:
    """Re-raise the storage or database error behind a failed step (``exc``), if there is one.

    A handler that could not write its file (disk full, store not mounted) or a lost database
    connection is no fault of the step: the command must roll back so that the job is retried,
    instead of the step being marked failed. OS errors without an errno (e.g. an unreadable
    image) stay the step's own failure.
    """
    seen: BaseException | None = exc
    for _ in range(20):
        if seen is None:
            return
        if (isinstance(seen, OSError) and seen.errno is not None) or is_transient(seen):
            raise seen
        seen = getattr(seen, "exception", None) or seen.__cause__ or seen.__context__


class JobRunner:
    """Runs jobs of the kinds it was given; ``dispatch`` sends the jobs a job recorded."""

    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime],
        kinds: dict[str, JobHandler],
        on_failed: dict[str, JobHandler] | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.kinds = kinds
        self.on_failed = on_failed or {}
        self.dispatch: Callable[..., None] = lambda ids, **_: None
        #: the jobs a job records run in this process right after its commit (the in-process transport)
        self.starts_here = False
        self.send_later: Callable[[str, float], None] = lambda job_id, countdown: None

    def run(self, job_id: str, worker: str = "inline", started: bool = False) -> JobResult:
        """Run the job once if it is pending and due; see the module docstring.

        ``started``: the transaction that recorded the job also marked it started (this process
        runs it right after that commit, see :func:`sopflow.jobs.outbox.command_transaction`),
        so the first, marking transaction is left out.
        """
        clock_start = time.perf_counter()
        if started:
            with self.db.reading() as session:
                row = session.execute(
                    select(Job.status, Job.kind, Job.case_id, Job.request_id, Job.payload).where(Job.id == job_id)
                ).first()
            if row is None:
                return JobResult("missing")
            if row.status != "pending":
                return JobResult("skipped")
            kind, case_id, request_id, payload = row.kind, row.case_id, row.request_id, dict(row.payload or {})
        else:
            marked = self._mark_started(job_id)
            if isinstance(marked, JobResult):
                return marked
            kind, case_id, request_id, payload = marked
        with bound_context(job=job_id, job_kind=kind, case=case_id, request_id=request_id, worker=worker):
            # slow work that needs no database (a PDF conversion) runs here, outside any transaction
            prepare = getattr(self.kinds.get(kind), "prepare", None)
            if prepare is not None:
                prepare(job_id, payload)
            result = self._work(job_id)
            log.info(
                "job",
                outcome=result.outcome,
                duration_ms=round((time.perf_counter() - clock_start) * 1000, 1),
                error=result.error,
            )
            return result

    def _mark_started(self, job_id: str) -> JobResult | tuple[str, str | None, str | None, dict[str, Any]]:
        """Note in a short transaction that the job started (one more attempt); return what its run needs.

        Returns a :class:`JobResult` instead when the job is not to run now.
        """
        with self.db.unit_of_work() as session:
            # never wait for a worker that holds the row: a duplicate message returns at once
            job = session.scalar(select(Job).where(Job.id == job_id).with_for_update(skip_locked=True))
            if job is None:
                return JobResult("missing" if session.get(Job, job_id) is None else "busy")
            if job.status != "pending":
                return JobResult("skipped")
            now = self.clock()
            if job.run_after > now + timedelta(seconds=1):
                return JobResult("retry", countdown=(job.run_after - now).total_seconds())
            job.started_at = now
            job.attempts += 1
            return job.kind, job.case_id, job.request_id, dict(job.payload or {})

    def _work(self, job_id: str) -> JobResult:
        try:
            with command_transaction(self.db, self.dispatch, self.starts_here) as session:
                job = session.scalar(select(Job).where(Job.id == job_id).with_for_update(skip_locked=True))
                if job is None:
                    return JobResult("busy")
                if job.status != "pending":
                    return JobResult("skipped")
                now = self.clock()
                self.kinds[job.kind](session, job, now)
                job.status, job.finished_at, job.last_error = "done", now, None
            return JobResult("done")
        except Exception as exc:
            return self._after_error(job_id, exc)

    def _after_error(self, job_id: str, exc: Exception) -> JobResult:
        message = exc.message if isinstance(exc, SopflowError) else f"{type(exc).__name__}: {exc}"
        transient = is_transient(exc) or not isinstance(exc, SopflowError)
        if transient:
            log.warning("job attempt failed", error=message, exc_info=exc)
        else:
            log.error("job refused", error=message, exc_info=exc)
        try:
            with command_transaction(self.db, self.dispatch, self.starts_here) as session:
                job = session.get_one(Job, job_id)
                now = self.clock()
                job.last_error = message[:4000]
                if transient and job.attempts < job.max_attempts:
                    delay = min(BACKOFF_CAP_SECONDS, BACKOFF_SECONDS * 2 ** max(0, job.attempts - 1))
                    job.run_after = job.enqueued_at = now + timedelta(seconds=delay)
                    job.started_at = None
                    outcome = JobResult("retry", countdown=delay, error=message)
                else:
                    job.status, job.finished_at = "failed", now
                    handler = self.on_failed.get(job.kind)
                    if handler is not None:
                        handler(session, job, now)
                    outcome = JobResult("failed", error=message)
        except Exception:  # the database itself is away: the row stays pending, the sweeper resends it
            log.exception("job error could not be recorded", error=message)
            return JobResult("retry", countdown=BACKOFF_SECONDS, error=message)
        if outcome.outcome == "retry":
            self.send_later(job_id, outcome.countdown)
        return outcome
