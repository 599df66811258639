"""One scheduler round (``sopflow scheduler`` sends it every 30 s through Celery beat).

- :func:`sweep` re-sends pending jobs that waited too long for a worker (a broker that lost
  the message, Redis restarted without persistence, a worker killed while holding a job):
  a lost job runs again within about two minutes, not after Redis's one-hour visibility timeout.
- :func:`remind` fires the ``due_soon`` and ``overdue`` alerts of ready tasks. Each
  (task, kind) fires once: the alert row's unique constraint refuses a second scheduler.
Escalation itself lives in :mod:`sopflow.calendar.escalation`; the engine's ``tick`` calls all three.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import exc as sa_exc
from sqlalchemy import or_, select

from sopflow.jobs.notifications import Notifier
from sopflow.jobs.outbox import command_transaction
from sopflow.logs import get_logger
from sopflow.persistence.db import Database
from sopflow.persistence.models import HumanTask, Job, TaskAlert

log = get_logger("sopflow.scheduler")

#: a pending job not picked up this long after it was sent is sent again (default of JOB_RESEND_SECONDS)
RESEND_AFTER = timedelta(seconds=60)
#: "due tomorrow": the reminder fires this long before the due date
DUE_SOON = timedelta(hours=24)


def sweep(
    db: Database,
    now: datetime,
    send: Callable[[list[str]], None],
    limit: int = 200,
    resend_after: timedelta = RESEND_AFTER,
) -> list[str]:
    """Re-send the due pending jobs last sent before ``now - resend_after``; return their ids.

    Rows a worker holds right now are skipped (``SKIP LOCKED`` on PostgreSQL); on SQLite a
    duplicate send is harmless (the runner finds the job done).
    """
    with db.unit_of_work() as session:
        jobs = session.scalars(
            select(Job)
            .where(
                Job.status == "pending",
                Job.run_after <= now,
                or_(Job.enqueued_at.is_(None), Job.enqueued_at <= now - resend_after),
            )
            .order_by(Job.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for job in jobs:
            job.enqueued_at = now
        ids = [job.id for job in jobs]
    if ids:
        log.info("resending jobs", count=len(ids))
        send(ids)
    return ids


def remind(
    db: Database, now: datetime, notifier: Notifier, dispatch: Callable[[list[str]], None]
) -> list[tuple[str, str]]:
    """Fire the ``due_soon``/``overdue`` alerts not fired yet; return the (task id, kind) pairs fired here."""
    with db.reading() as session:
        rows = session.scalars(
            select(HumanTask).where(
                HumanTask.state == "ready", HumanTask.due_at.is_not(None), HumanTask.due_at <= now + DUE_SOON
            )
        ).all()
        wanted = [(row.id, "overdue" if row.due_at and row.due_at <= now else "due_soon") for row in rows]
        fired = (
            set(
                session.execute(
                    select(TaskAlert.task_id, TaskAlert.kind).where(TaskAlert.task_id.in_([t for t, _ in wanted]))
                ).all()
            )
            if wanted
            else set()
        )
    done: list[tuple[str, str]] = []
    for task_id, kind in wanted:
        if (task_id, kind) in fired:
            continue
        try:
            with command_transaction(db, dispatch) as session:
                session.add(TaskAlert(task_id=task_id, kind=kind, fired_at=now))
                session.flush()  # a second scheduler's insert fails here
                row = session.get(HumanTask, task_id)
                if row is None or row.state != "ready":
                    continue
                notifier.task_alert(session, row, kind, now)
            done.append((task_id, kind))
        except sa_exc.IntegrityError:
            continue  # the other scheduler fired it
    return done
