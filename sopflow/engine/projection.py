"""Derive the task projection (the inbox's table) from a workflow after each command."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from sopflow.calendar.working_days import WorkingCalendar
from sopflow.engine.sandbox import SandboxEnvironment
from sopflow.errors import SopflowError
from sopflow.persistence.models import HumanTask
from sopflow.process.task_rules import properties_of

_env = SandboxEnvironment()


def ready_human_tasks(workflow: Any) -> list[Any]:
    """Return the READY tasks a person must complete (MI instances included)."""
    tasks: list[Any] = workflow.get_tasks(state=TaskState.READY, manual=True)
    return tasks


def evaluate_property(task: Any, prop: str) -> str | None:
    """Evaluate a task's expression property (``sopflow.unit``/``sopflow.label``) in the sandbox, as text."""
    expression = properties_of(task.task_spec).get(prop)
    if not expression:
        return None
    try:
        value = _env.evaluate(expression, task.data)
    except Exception as exc:
        raise SopflowError(
            f"Properti {prop} pada {task.task_spec.bpmn_id} tidak dapat dihitung: {exc}",
            element=task.task_spec.bpmn_id,
        ) from exc
    return None if value is None else str(value)


def due_at(task_spec: Any, ready_utc: datetime, calendar: WorkingCalendar, timezone: str) -> datetime | None:
    """Return the naive-UTC due moment from the task's ``sop.waktu``/``sop.satuan``, if it has one."""
    props = properties_of(task_spec)
    raw = (props.get("sop.waktu") or "").strip().replace(",", ".")
    if not raw:
        return None
    local = ready_utc.replace(tzinfo=UTC).astimezone(ZoneInfo(timezone))
    due = calendar.due_date(local, float(raw), (props.get("sop.satuan") or "hari kerja").strip() or "hari kerja")
    return due.astimezone(UTC).replace(tzinfo=None)


def new_row(
    task: Any, case_id: str, periode: str, now: datetime, calendar: WorkingCalendar, timezone: str
) -> HumanTask:
    """Build the projection row of a task that just became ready."""
    spec = task.task_spec
    step = (properties_of(spec).get("sop.step") or "").strip()
    return HumanTask(
        id=str(task.id),
        case_id=case_id,
        periode=periode,
        element_id=spec.bpmn_id,
        name=spec.bpmn_name or spec.bpmn_id,
        lane=spec.lane or "",
        unit=evaluate_property(task, "sopflow.unit"),
        label=evaluate_property(task, "sopflow.label"),
        step=int(step) if step.isdigit() else None,
        state="ready",
        ready_at=now,
        due_at=due_at(spec, now, calendar, timezone),
    )


def sync(
    workflow: Any,
    open_rows: dict[str, HumanTask],
    case_id: str,
    periode: str,
    now: datetime,
    calendar: WorkingCalendar,
    timezone: str,
    completed_by: dict[str, str],
    ready_tasks: list[Any] | None = None,
) -> tuple[list[HumanTask], list[HumanTask]]:
    """Close rows whose task is no longer ready and build rows for newly ready tasks.

    ``completed_by`` maps task id → actor for tasks completed by this command;
    ``ready_tasks`` are the READY human tasks when the caller walked the tree already.
    Returns ``(new_rows, closed_rows)``; the caller adds the new rows to the session.
    """
    ready = {str(t.id): t for t in (ready_human_tasks(workflow) if ready_tasks is None else ready_tasks)}
    closed = []
    for task_id, row in open_rows.items():
        if task_id in ready:
            continue
        task = find_task(workflow, task_id)
        row.state = "completed" if task is not None and task.state == TaskState.COMPLETED else "cancelled"
        row.completed_at = now
        row.completed_by = completed_by.get(task_id)
        closed.append(row)
    new = [new_row(t, case_id, periode, now, calendar, timezone) for tid, t in ready.items() if tid not in open_rows]
    return new, closed


def find_task(workflow: Any, task_id: str) -> Any | None:
    """Return the workflow task with this id, or None when the id is unknown or malformed."""
    try:
        return workflow.get_task_from_id(UUID(task_id))
    except (ValueError, TaskNotFoundException):
        return None
