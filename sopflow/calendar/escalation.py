"""Escalate overdue tasks to the superior lane named by the process (``sopflow.atasan.<lane>``).

Due dates come from the SOP's Waktu counted in working days, which BPMN timer
expressions cannot express; so the scheduler (``sopflow scheduler``, Celery beat; the
embedded ``sopflow serve`` runs the same round in-process) calls :func:`escalate_overdue`
periodically instead of a boundary timer per task.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from sopflow.audit.records import AuditLog
from sopflow.jobs.notifications import Notifier
from sopflow.jobs.outbox import command_transaction
from sopflow.persistence import store
from sopflow.persistence.db import Database
from sopflow.persistence.models import Case, HumanTask, ProcessVersion

SYSTEM_ACTOR = "sistem"


def superior_lane(properties: dict[str, str], lane: str) -> str | None:
    """Return the lane a process names as superior of ``lane`` (``sopflow.atasan.<lane>``), if any."""
    value = (properties.get(f"sopflow.atasan.{lane}") or "").strip()
    return value or None


def escalation_notice_lane(properties: dict[str, str], superior: str | None) -> str | None:
    """Return the lane told of an escalation: ``sopflow.notifikasi.eskalasi`` of the process, else the superior."""
    value = (properties.get("sopflow.notifikasi.eskalasi") or "").strip()
    return value or superior


def escalate_overdue(
    db: Database,
    now: datetime,
    notifier: Notifier | None = None,
    dispatch: Callable[[list[str]], None] | None = None,
) -> list[dict[str, Any]]:
    """Mark every overdue, not yet escalated ready task as escalated; one transaction per case.

    Writes ``escalated_at``/``escalated_to`` on the task row and a ``task_escalated``
    audit event, and (with a ``notifier``) notifies the lane the process names in
    ``sopflow.notifikasi.eskalasi``; its e-mails go to ``dispatch`` after commit.
    Idempotent: an escalated task is not escalated again.
    """
    with db.reading() as session:
        candidates = session.execute(
            select(HumanTask.id, HumanTask.case_id)
            .where(HumanTask.state == "ready", HumanTask.escalated_at.is_(None), HumanTask.due_at < now)
            .order_by(HumanTask.case_id)
        ).all()
    by_case: dict[str, list[str]] = defaultdict(list)
    for task_id, case_id in candidates:
        by_case[case_id].append(task_id)
    escalated: list[dict[str, Any]] = []
    for case_id, task_ids in by_case.items():
        with command_transaction(db, dispatch or (lambda ids: None)) as session:
            case = store.lock_case(session, case_id)
            properties = session.get_one(ProcessVersion, case.process_version_id).properties
            audit = AuditLog(SYSTEM_ACTOR, now)
            for task_id in task_ids:
                row = session.get(HumanTask, task_id)
                if row is None or row.state != "ready" or row.escalated_at is not None:
                    continue  # completed or escalated meanwhile
                row.escalated_at = now
                row.escalated_to = superior_lane(properties, row.lane)
                audit.add(
                    "task_escalated",
                    row.id,
                    row.element_id,
                    lane=row.lane,
                    unit=row.unit,
                    due_at=row.due_at,
                    escalated_to=row.escalated_to,
                )
                if notifier is not None:
                    notifier.escalated(session, row, escalation_notice_lane(properties, row.escalated_to), now)
                escalated.append({"task_id": row.id, "case_id": case_id, "lane": row.lane, "to": row.escalated_to})
            _touch(case, now)
            session.flush()
            audit.write(session, case_id)
    return escalated


def _touch(case: Case, now: datetime) -> None:
    case.updated_at = now  # bumps the version so concurrent commands serialise with the escalation
