"""Who may see which case, and which parts of it: the one rule used by pages, API and downloads.

- Auditors (read-only), admins and process owners see every case.
- The lanes a process names in ``sopflow.lihat_semua_kasus`` (comma-separated; in the
  monev SOP: Sekretaris, Kasubbag Perencanaan, Kepala Dinas) see every case of it.
- Any other actor sees the cases in which their lane has or had a task; when their tasks
  there are per unit (a Kepala Bidang's per-Bidang tasks), they see only their units' parts:
  the tasks of their units and the documents of those tasks (or documents marked with
  their unit, ``meta.bidang``), not the other units' uploads nor the case-wide reports.
- A case one may not see does not exist for them: :func:`check_may_view_case` raises NotFound;
  so do a task or a document outside one's part (:func:`check_may_view_task`, :func:`visible_documents`).
- The task page (and ``GET /api/v1/tasks/{id}``) is for the members of the task's lane and unit
  and for auditors, admins and process owners: a visible task of another lane answers 403
  (:func:`check_may_open_task`).

This module and :mod:`sopflow.access.authz` are the only two places of access rules: this one says
who may *see* what (pages, API, downloads go through :mod:`sopflow.queries.cases` and
:mod:`sopflow.queries.inbox`, which call it), :mod:`sopflow.access.authz` who may *act* (start, claim,
complete, reassign, edit, repair), checked by the engine on every command.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from sopflow.access.authz import ROLE_ADMIN, ROLE_AUDITOR, ROLE_OWNER
from sopflow.errors import NotAssignee, NotFound
from sopflow.persistence.models import Case, HumanTask, ProcessVersion, User

ALL_CASES_PROPERTY = "sopflow.lihat_semua_kasus"


@dataclass(frozen=True)
class CaseScope:
    """What of one case a user may see: all of it, or the parts of ``units``."""

    whole: bool
    units: frozenset[str] = frozenset()

    def shows_task(self, task: dict[str, Any]) -> bool:
        """Tell whether a task row (``unit`` key) is visible in this scope."""
        return self.whole or not task.get("unit") or task["unit"] in self.units

    def shows_document(self, document: dict[str, Any], task_units: dict[str, str | None]) -> bool:
        """Tell whether a document is visible: ``task_units`` maps the case's human task ids to their unit."""
        if self.whole:
            return True
        unit = task_units.get(document.get("task_id") or "") or (document.get("meta") or {}).get("bidang")
        return unit in self.units


def lanes_seeing_all(properties: dict[str, str]) -> set[str]:
    """Return the lanes the process lets see every case (``sopflow.lihat_semua_kasus``)."""
    return {lane.strip() for lane in (properties.get(ALL_CASES_PROPERTY) or "").split(",") if lane.strip()}


def sees_everything(user: User) -> bool:
    """Tell whether a user sees every case whatever the process says (auditor, admin, process owner)."""
    return any(role in user.roles for role in (ROLE_AUDITOR, ROLE_ADMIN, ROLE_OWNER))


def case_scope(session: Session, user: User, case: Case) -> CaseScope | None:
    """Return what of ``case`` the user may see, or None when they may not see it at all."""
    if not user.active:
        return None
    if sees_everything(user):
        return CaseScope(True)
    properties = session.get_one(ProcessVersion, case.process_version_id).properties or {}
    if lanes_seeing_all(properties) & set(user.lanes or []):
        return CaseScope(True)
    rows = session.execute(
        select(HumanTask.unit).where(HumanTask.case_id == case.id, HumanTask.lane.in_(list(user.lanes or [])))
    ).all()
    units = set(user.units or [])
    if any(unit is None for (unit,) in rows):
        return CaseScope(True)  # a lane-wide task: the lane works on the whole case
    if any(unit in units for (unit,) in rows):
        return CaseScope(False, frozenset(units))
    return None


def check_may_view_case(session: Session, username: str, case_id: str) -> CaseScope:
    """Return the user's scope on a case; NotFound when the case does not exist *or* is not theirs to see."""
    user = session.scalar(select(User).where(User.username == username))
    case = session.get(Case, case_id)
    scope = case_scope(session, user, case) if user is not None and case is not None else None
    if scope is None:
        raise NotFound(f"Kasus {case_id} tidak ditemukan.", case=case_id)
    return scope


def visible_cases_query(session: Session, username: str) -> Select[str] | None:
    """Return a query of the case ids the user may see, or None when they see every case."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        return select(Case.id).where(Case.id.is_(None))
    if sees_everything(user):
        return None
    lanes = list(user.lanes or [])
    versions_seeing_all = [
        v.id for v in session.scalars(select(ProcessVersion)) if lanes_seeing_all(v.properties or {}) & set(lanes)
    ]
    own_tasks = select(HumanTask.case_id).where(
        HumanTask.lane.in_(lanes), or_(HumanTask.unit.is_(None), HumanTask.unit.in_(list(user.units or [])))
    )
    return select(Case.id).where(or_(Case.process_version_id.in_(versions_seeing_all), Case.id.in_(own_tasks)))


def task_units(session: Session, case_id: str) -> dict[str, str | None]:
    """Return ``{task id: unit}`` of a case's human tasks (to place documents in a scope)."""
    return dict(session.execute(select(HumanTask.id, HumanTask.unit).where(HumanTask.case_id == case_id)).all())


def check_may_view_task(session: Session, username: str, task_id: str) -> CaseScope:
    """Return the user's scope on the task's case; NotFound when the task does not exist, its case is not
    visible to them, or the task lies outside their part (another Bidang's task)."""
    row = session.get(HumanTask, task_id)
    scope = None
    if row is not None:
        user = session.scalar(select(User).where(User.username == username))
        scope = case_scope(session, user, session.get_one(Case, row.case_id)) if user is not None else None
    if row is None or scope is None or not scope.shows_task({"unit": row.unit}):
        raise NotFound(f"Tugas {task_id} tidak ditemukan.", task=task_id)
    return scope


def check_may_open_task(session: Session, username: str, task_id: str) -> CaseScope:
    """Return the scope if the user may open the task page: visible (else NotFound) and a member of the task's
    lane and unit, or auditor/admin/process owner (else NotAssignee, 403)."""
    scope = check_may_view_task(session, username, task_id)
    user = session.scalars(select(User).where(User.username == username)).one()
    row = session.get_one(HumanTask, task_id)
    if sees_everything(user) or (row.lane in (user.lanes or []) and (not row.unit or row.unit in (user.units or []))):
        return scope
    unit = f" ({row.unit})" if row.unit else ""
    raise NotAssignee(f"Tugas ini milik lane {row.lane}{unit}.", task=task_id, user=username)


def visible_documents(
    session: Session, scope: CaseScope, case_id: str, documents: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Return the documents of ``case_id`` that ``scope`` shows (documents carry ``task_id`` and ``meta``)."""
    if scope.whole:
        return documents
    units = task_units(session, case_id)
    return [d for d in documents if scope.shows_document(d, units)]
