"""The case list: one page of the cases a user may see, with title, current steps and nearest due date.

Sorted by periode, process title, status, nearest due date or start, filtered by status,
process and periode; what a user may see is :mod:`sopflow.access.case_access`'s rule.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from sopflow.access.case_access import visible_cases_query
from sopflow.persistence.models import Case, HumanTask, ProcessVersion
from sopflow.queries.cases import full_names

#: the case list's sort keys (query value → label)
CASE_ORDERS = {"periode": "Periode", "judul": "Judul", "status": "Status", "tenggat": "Tenggat", "dimulai": "Dimulai"}


def case_list_for_user(
    session: Session,
    username: str,
    *,
    status: str | None = None,
    process_id: str | None = None,
    periode: str | None = None,
    order: str = "periode",
    descending: bool | None = None,
    limit: int = 25,
    offset: int = 0,
) -> dict[str, Any]:
    """Return one page of the cases ``username`` may see (:mod:`sopflow.access.case_access`) and their total.

    ``order`` (:data:`CASE_ORDERS`): ``periode`` (default newest first), ``judul`` (process
    title), ``status``, ``tenggat`` (earliest due date of the open tasks; none last),
    ``dimulai``; ``descending`` overrides the direction (default: descending for periode and
    dimulai, ascending otherwise). Returns ``{"cases": [...], "total": n}``; each case has
    ``case_id``, ``process_id``, ``process_name``, ``periode``, ``status``, ``started_by``,
    ``started_at``, ``completed_at``, ``due_at`` and ``current_steps`` (the open tasks: ``step``,
    ``name``, ``unit``, ``label``, ``due_at``; or the failed step).
    """
    due = (
        select(HumanTask.case_id, func.min(HumanTask.due_at).label("due_at"))
        .where(HumanTask.state == "ready")
        .group_by(HumanTask.case_id)
        .subquery()
    )
    query = (
        select(
            Case.id,
            Case.process_id,
            ProcessVersion.name,
            Case.periode,
            Case.status,
            Case.started_by,
            Case.started_at,
            Case.completed_at,
            Case.failure,
            due.c.due_at,
        )
        .join(ProcessVersion, ProcessVersion.id == Case.process_version_id)
        .outerjoin(due, due.c.case_id == Case.id)
    )
    if status:
        query = query.where(Case.status == status)
    if process_id:
        query = query.where(Case.process_id == process_id)
    if periode:
        query = query.where(Case.periode == periode)
    visible = visible_cases_query(session, username)
    if visible is not None:
        query = query.where(Case.id.in_(visible))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    order = order if order in CASE_ORDERS else "periode"
    desc = descending if descending is not None else order in ("periode", "dimulai")
    column = {
        "periode": Case.periode,
        "judul": ProcessVersion.name,
        "status": Case.status,
        "tenggat": due.c.due_at,
        "dimulai": Case.started_at,
    }[order]
    keys: list[ColumnElement[Any]] = [column.desc() if desc else column.asc()]
    if order == "tenggat":
        keys.insert(0, due.c.due_at.is_(None))  # cases without an open task last, either direction
    query = query.order_by(*keys, Case.started_at.desc(), Case.id).limit(limit).offset(max(0, offset))
    rows = session.execute(query).all()
    current = _current_steps(session, [r[0] for r in rows])
    names = full_names(session, {r[5] for r in rows})
    found = [
        {
            "case_id": r[0],
            "process_id": r[1],
            "process_name": r[2] or r[1],
            "periode": r[3],
            "status": r[4],
            "started_by": r[5],
            "started_by_name": names.get(r[5], r[5]),
            "started_at": r[6],
            "completed_at": r[7],
            "due_at": r[9],
            "current_steps": current.get(r[0]) or _failed_step(r[8]),
        }
        for r in rows
    ]
    return {"cases": found, "total": total}


def _current_steps(session: Session, case_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Return the open tasks of the given cases, by case, in step order."""
    if not case_ids:
        return {}
    rows = session.execute(
        select(HumanTask.case_id, HumanTask.step, HumanTask.name, HumanTask.unit, HumanTask.label, HumanTask.due_at)
        .where(HumanTask.case_id.in_(case_ids), HumanTask.state == "ready")
        .order_by(HumanTask.step, HumanTask.label, HumanTask.id)
    ).all()
    found: dict[str, list[dict[str, Any]]] = {}
    for case_id, step, name, unit, label, due_at in rows:
        found.setdefault(case_id, []).append(
            {"step": step, "name": name, "unit": unit, "label": label, "due_at": due_at}
        )
    return found


def _failed_step(failure: Any) -> list[dict[str, Any]]:
    if not isinstance(failure, dict) or not failure.get("element_id"):
        return []
    return [{"step": None, "name": failure["element_id"], "unit": None, "label": "gagal", "due_at": None}]
