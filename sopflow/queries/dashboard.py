"""Read-only queries for the overview page: where the cases stand, what is late, latest results."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sopflow.persistence.models import AuditEvent, Case, HumanTask


def overview(session: Session, now: datetime) -> dict[str, Any]:
    """Return open tasks per step of running cases, overdue tasks per lane and cases per status."""
    rows = session.execute(
        select(Case.process_id, HumanTask.step, HumanTask.element_id, HumanTask.name, HumanTask.lane, HumanTask.due_at)
        .join(Case, Case.id == HumanTask.case_id)
        .where(HumanTask.state == "ready")
    ).all()
    per_step: dict[tuple[Any, ...], dict[str, Any]] = {}
    overdue_per_lane: Counter[str] = Counter()
    for process_id, step, element_id, name, lane, due_at in rows:
        key = (process_id, step or 0, element_id)
        entry = per_step.setdefault(
            key,
            {"process_id": process_id, "step": step, "element_id": element_id, "name": name, "ready": 0, "overdue": 0},
        )
        entry["ready"] += 1
        if due_at is not None and now > due_at:
            entry["overdue"] += 1
            overdue_per_lane[lane] += 1
    statuses = session.execute(select(Case.status, func.count()).group_by(Case.status)).all()
    return {
        "per_step": [per_step[k] for k in sorted(per_step)],
        "overdue_per_lane": dict(sorted(overdue_per_lane.items())),
        "cases_by_status": {status: count for status, count in statuses},
    }


def latest_service_result(session: Session, operation: str) -> dict[str, Any] | None:
    """Return the result of the most recent successful run of a service operation, with its case."""
    row = session.execute(
        select(AuditEvent.case_id, AuditEvent.data, Case.periode)
        .join(Case, Case.id == AuditEvent.case_id)
        .where(AuditEvent.kind == "service_run", AuditEvent.data["operation"].as_string() == operation)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return {"case_id": row[0], "periode": row[2], "result": row[1].get("result")}
