"""Read-only queries for the inbox and task pages; each answers one named question.

They read the projection, audit and document tables (and a version's parsed spec for
the SOP text of a step); none deserializes a workflow. The case-level and dashboard
queries live in :mod:`sopflow.queries.cases` and :mod:`sopflow.queries.dashboard` and are
re-exported here, so callers import one module. What a user may see is decided by
:mod:`sopflow.access.case_access` alone; its checks are re-exported here for the views.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sopflow.access.case_access import check_may_open_task, check_may_view_case, check_may_view_task, visible_documents
from sopflow.calendar.working_days import WorkingCalendar
from sopflow.errors import NotFound
from sopflow.persistence import store
from sopflow.persistence.models import Case, HumanTask, ProcessVersion, User
from sopflow.process.task_rules import human_spec, properties_of
from sopflow.process.versions import diff_versions, draft_of, version_detail
from sopflow.queries.case_list import CASE_ORDERS, case_list_for_user
from sopflow.queries.cases import (
    archive_entries,
    case_diagram,
    case_steps,
    case_summary,
    case_view_for,
    cases,
    cases_for_user,
    document_for_user,
    documents_of_case,
    element_names,
    full_names,
    process_versions,
    search_cases,
    tasks_of_case,
    timeline_for_case,
    verify_audit_chain,
)
from sopflow.queries.dashboard import latest_service_result, overview

__all__ = [
    "CASE_ORDERS",
    "FILTERS",
    "TaskView",
    "archive_entries",
    "case_diagram",
    "case_list_for_user",
    "case_steps",
    "case_summary",
    "case_view_for",
    "cases",
    "cases_for_user",
    "check_may_view_case",
    "check_may_view_task",
    "diff_versions",
    "document_for_user",
    "documents_of_case",
    "draft_of",
    "due_soon_until",
    "element_names",
    "escalations_for_user",
    "full_names",
    "lane_members",
    "latest_service_result",
    "overview",
    "process_versions",
    "search_cases",
    "task_detail",
    "task_view_for",
    "tasks_for_user",
    "tasks_of_case",
    "timeline_for_case",
    "user_profile",
    "verify_audit_chain",
    "version_detail",
]

_ORDERS = {
    "due": (HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.ready_at),
    "step": (HumanTask.step, HumanTask.due_at, HumanTask.ready_at),
    "periode": (HumanTask.periode.desc(), HumanTask.step, HumanTask.ready_at),
}


@dataclass(frozen=True)
class TaskView:
    """A task as the inbox shows it (times are naive UTC)."""

    task_id: str
    case_id: str
    periode: str
    element_id: str
    name: str
    step: int | None
    lane: str
    unit: str | None
    label: str | None
    claimed_by: str | None
    ready_at: datetime
    due_at: datetime | None
    escalated_at: datetime | None = None
    escalated_to: str | None = None

    def is_overdue(self, now: datetime) -> bool:
        """Tell whether the task is past its due date at ``now`` (naive UTC)."""
        return self.due_at is not None and now > self.due_at


#: the inbox filters (query value → label); the same values in the page's URL and the API's ``filter``
FILTERS = {
    "semua": "Semua",
    "milik_saya": "Milik saya",
    "belum_diklaim": "Belum diklaim",
    "terlambat": "Terlambat",
    "jatuh_tempo": "Jatuh tempo ≤ 2 hari kerja",
}
#: working days ahead that count as "jatuh tempo" (due soon)
DUE_SOON_WORKING_DAYS = 2


def due_soon_until(now: datetime, calendar: WorkingCalendar, timezone: str) -> datetime:
    """Return (naive UTC) the end of the :data:`DUE_SOON_WORKING_DAYS`-th working day after ``now`` (naive UTC)."""
    local = now.replace(tzinfo=UTC).astimezone(ZoneInfo(timezone))
    return calendar.add_working_days(local, DUE_SOON_WORKING_DAYS).astimezone(UTC).replace(tzinfo=None)


def tasks_for_user(
    session: Session,
    username: str,
    *,
    step: int | None = None,
    periode: str | None = None,
    order: str = "due",
    limit: int = 200,
    offset: int = 0,
    filter: str = "semua",
    now: datetime | None = None,
    due_soon: datetime | None = None,
) -> list[TaskView]:
    """Return the ready tasks ``username`` may work on: own lanes and units, unclaimed or claimed by them.

    ``order`` is ``due`` (default), ``step`` or ``periode``; unknown values sort by due date.
    ``filter`` (:data:`FILTERS`): ``milik_saya`` claimed by the user, ``belum_diklaim``
    unclaimed, ``terlambat`` past due at ``now``, ``jatuh_tempo`` not yet past due and due by
    ``due_soon`` (:func:`due_soon_until`); ``semua`` or an unknown value: no filter.
    ``limit``/``offset`` page the sorted list.
    """
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.lanes or not user.active:
        return []
    query = (
        select(HumanTask)
        .where(HumanTask.state == "ready", HumanTask.lane.in_(user.lanes))
        .where(or_(HumanTask.claimed_by.is_(None), HumanTask.claimed_by == username))
        .where(or_(HumanTask.unit.is_(None), HumanTask.unit.in_(user.units or [""])))
        # the task id last makes the order total, so pages never repeat or skip a task
        .order_by(*_ORDERS.get(order, _ORDERS["due"]), HumanTask.id)
        .limit(limit)
        .offset(max(0, offset))
    )
    if step is not None:
        query = query.where(HumanTask.step == step)
    if periode:
        query = query.where(HumanTask.periode == periode)
    if filter == "milik_saya":
        query = query.where(HumanTask.claimed_by == username)
    elif filter == "belum_diklaim":
        query = query.where(HumanTask.claimed_by.is_(None))
    elif filter == "terlambat" and now is not None:
        query = query.where(HumanTask.due_at < now)
    elif filter == "jatuh_tempo" and now is not None and due_soon is not None:
        query = query.where(HumanTask.due_at >= now, HumanTask.due_at <= due_soon)
    return [_view(row) for row in session.scalars(query)]


def escalations_for_user(session: Session, username: str, now: datetime) -> list[TaskView]:
    """Return the escalated, still open tasks whose superior lane is one of the user's lanes."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.lanes:
        return []
    query = (
        select(HumanTask)
        .where(HumanTask.state == "ready", HumanTask.escalated_to.in_(user.lanes), HumanTask.due_at < now)
        .order_by(HumanTask.due_at)
    )
    return [_view(row) for row in session.scalars(query)]


def task_detail(session: Session, task_id: str) -> dict[str, Any]:
    """Return a task with what the SOP says for its step, its form schema and the case's documents."""
    row = session.get(HumanTask, task_id)
    if row is None:
        raise NotFound(f"Tugas {task_id} tidak ditemukan.", task=task_id)
    case = session.get_one(Case, row.case_id)
    definition = store.definition_of(session.get_one(ProcessVersion, case.process_version_id))
    spec = human_spec(definition.spec, row.element_id)
    props = properties_of(spec) if spec is not None else {}
    names = full_names(session, {row.completed_by, row.claimed_by})
    task = _view(row).__dict__ | {
        "state": row.state,
        "completed_at": row.completed_at,
        "completed_by": row.completed_by,
        "completed_by_name": names.get(row.completed_by or "", row.completed_by),
        "claimed_by_name": names.get(row.claimed_by or "", row.claimed_by),
        "case_status": case.status,
        "process_id": case.process_id,
        "process_name": definition.name,
    }
    return {
        "task": task,
        "sop": {
            "step": props.get("sop.step"),
            "uraian": props.get("sop.uraian") or row.name,
            "persyaratan": props.get("sop.persyaratan"),
            "waktu": props.get("sop.waktu"),
            "satuan": props.get("sop.satuan") or "hari kerja",
            "output": props.get("sop.output"),
            "keterangan": props.get("sop.keterangan"),
            "documentation": getattr(spec, "documentation", None),
        },
        "form": definition.form_for(spec) if spec is not None else None,
        "documents": documents_of_case(session, case.id),
    }


def task_view_for(session: Session, username: str, task_id: str) -> dict[str, Any]:
    """Return :func:`task_detail` as ``username`` may see it: NotFound when the task's case or part is not
    theirs to see, NotAssignee (403) for a visible task of another lane; documents limited to their part."""
    scope = check_may_open_task(session, username, task_id)
    detail = task_detail(session, task_id)
    detail["documents"] = visible_documents(session, scope, detail["task"]["case_id"], detail["documents"])
    return detail


def lane_members(session: Session, lane: str, unit: str | None = None) -> list[dict[str, str]]:
    """Return the active users of a lane (and unit, when given), by username."""
    users = session.scalars(select(User).where(User.active.is_(True)).order_by(User.username))
    return [
        {"username": u.username, "full_name": u.full_name}
        for u in users
        if lane in u.lanes and (unit is None or unit in u.units)
    ]


def user_profile(session: Session, username: str) -> dict[str, Any] | None:
    """Return a user's lanes, units and roles, or None when unknown or inactive."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        return None
    return {
        "username": user.username,
        "full_name": user.full_name,
        "lanes": list(user.lanes),
        "units": list(user.units),
        "roles": list(user.roles),
        "lead_lanes": list(user.lead_lanes or []),
    }


def _view(row: HumanTask) -> TaskView:
    return TaskView(
        task_id=row.id,
        case_id=row.case_id,
        periode=row.periode,
        element_id=row.element_id,
        name=row.name,
        step=row.step,
        lane=row.lane,
        unit=row.unit,
        label=row.label,
        claimed_by=row.claimed_by,
        ready_at=row.ready_at,
        due_at=row.due_at,
        escalated_at=row.escalated_at,
        escalated_to=row.escalated_to,
    )
