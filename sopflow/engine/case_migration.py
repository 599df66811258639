"""Move running cases to a newer process version with SpiffWorkflow's diff helpers.

A case may move when none of its active tasks (READY, WAITING, ERROR, STARTED) is
removed in the new version or changed in a way that breaks it (another task type,
lane, script, service call, ...); changed names, documentation and SOP properties are
safe. The migration is rehearsed in memory and the result must survive a save/restore
with the new version's spec, otherwise the case stays where it is with the reason.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.util.diff import SpecDiff, diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from sopflow.access import authz
from sopflow.audit.records import AuditLog
from sopflow.engine import projection, serializer
from sopflow.engine.case_run import CaseRun, Services
from sopflow.engine.commands import MigrateCases
from sopflow.persistence import store
from sopflow.persistence.db import Database
from sopflow.persistence.models import Case, ProcessVersion

#: Spec attributes that may change under an active task without breaking it.
SAFE_CHANGES = frozenset({"bpmn_name", "description", "documentation", "extensions", "inputs", "outputs", "lookahead"})
ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.ERROR | TaskState.STARTED
RUNNING = ("berjalan", "gagal")


def candidates(session: Session, process_id: str, to_version: int) -> list[tuple[Case, ProcessVersion]]:
    """Return the running (or failed) cases of a process on a version older than ``to_version``."""
    rows = session.execute(
        select(Case, ProcessVersion)
        .join(ProcessVersion, Case.process_version_id == ProcessVersion.id)
        .where(Case.process_id == process_id, Case.status.in_(RUNNING), ProcessVersion.version < to_version)
        .order_by(Case.periode, Case.id)
    ).all()
    return [(row[0], row[1]) for row in rows]


def migrate_cases(
    db: Database, services: Services, cmd: MigrateCases, clock: Callable[[], datetime]
) -> list[dict[str, Any]]:
    """Run :func:`migrate_case` for the chosen (or every candidate) case, one transaction each.

    Raises PermissionDenied (not owner/admin), NotFound (user, version or a named case).
    """
    with db.reading() as session:
        authz.check_may_edit_process(store.user(session, cmd.actor))
        store.version_of(session, cmd.process_id, cmd.to_version)
        ids = [case.id for case, _ in candidates(session, cmd.process_id, cmd.to_version)]
    results = []
    for case_id in ids if cmd.case_ids is None else list(cmd.case_ids):
        with db.unit_of_work() as session:
            case = store.lock_case(session, case_id)
            target = store.version_of(session, cmd.process_id, cmd.to_version)
            results.append(migrate_case(session, case, target, services, cmd.actor, clock(), cmd.dry_run))
    return results


def preview_case(case: Case, current: ProcessVersion, target: ProcessVersion) -> dict[str, Any]:
    """Rehearse moving one case in memory; return its preview row (nothing is written)."""
    workflow = serializer.restore(case.state, current.spec_state, current.sha256)
    reason = migrate_in_memory(workflow, target)
    return _row(case, current, reason)


def migrate_case(
    session: Session, case: Case, target: ProcessVersion, services: Services, actor: str, now: datetime, dry_run: bool
) -> dict[str, Any]:
    """Move one locked case to ``target`` when safe: state, version, projection and a ``case_migrated`` event.

    Returns the preview row plus ``migrated``. A case that cannot move, or a dry run, is
    left untouched. Raises StaleInstance when the case changed concurrently.
    """
    current = session.get_one(ProcessVersion, case.process_version_id)
    if case.process_id != target.process_id or case.status not in RUNNING or current.version >= target.version:
        reason: str | None = (
            f"Kasus {case.periode} bukan kasus {target.process_id} yang berjalan pada versi sebelum {target.version}."
        )
        row = _row(case, current, reason)
        return {**row, "migrated": False}
    audit = AuditLog(actor, now)
    run = CaseRun.open(case, current, services, audit)
    reason = migrate_in_memory(run.workflow, target)
    row = _row(case, current, reason)
    if reason is not None or dry_run:
        return {**row, "migrated": False}
    run.version, run.definition = target, store.definition_of(target)
    run.workflow.script_engine = run.engine
    case.process_version_id = target.id
    for task_id, task_row in store.open_task_rows(session, case.id).items():
        task = projection.find_task(run.workflow, task_id)
        if task is not None:
            task_row.name = task.task_spec.bpmn_name or task.task_spec.bpmn_id
    audit.add(
        "case_migrated",
        from_version=current.version,
        to_version=target.version,
        from_sha256=current.sha256,
        to_sha256=target.sha256,
    )
    run.save(session)
    return {**row, "migrated": True}


def migrate_in_memory(workflow: Any, target: ProcessVersion) -> str | None:
    """Migrate ``workflow`` to the spec of ``target`` in place; return why it cannot move (Indonesian), or None.

    When a reason is returned the workflow has not been changed.
    """
    new_spec, new_deps = serializer.load_specs(target.spec_state, target.sha256)
    registry = serializer.registry()
    top, sub_diffs = diff_workflow(registry, workflow, new_spec, new_deps)
    reason = _blocking_reason(registry, workflow, new_spec, top, target.version)
    for sp_id, sp_diff in sub_diffs.items():
        sub = workflow.subprocesses[sp_id]
        if sp_diff is None:
            reason = reason or f"Subproses {sub.spec.name} tidak ada lagi pada versi {target.version}."
        else:
            reason = reason or _blocking_reason(registry, sub, new_deps[sub.spec.name], sp_diff, target.version)
    if reason is not None:
        return reason
    kept = {t.id: (copy.deepcopy(t.data), copy.deepcopy(t.internal_data)) for t in workflow.get_tasks(state=ACTIVE)}
    migrate_workflow(top, workflow, new_spec)
    for sp_id, sp_diff in sub_diffs.items():
        sub = workflow.subprocesses[sp_id]
        migrate_workflow(sp_diff, sub, new_deps[sub.spec.name])
    workflow.subprocess_specs = new_deps
    # a reset task re-inherits its parent's data; a multi-instance item lives only in the task: put it back
    for task_id, (data, internal) in kept.items():
        task = workflow.tasks.get(task_id)
        if task is not None:
            task.data, task.internal_data = data, internal
    stale = sorted({t.task_spec.bpmn_id or t.task_spec.name for t in workflow.get_tasks() if not _current(t)})
    if stale:
        return (
            f"Riwayat kasus memuat langkah yang dihapus pada versi {target.version} ({', '.join(stale)}); "
            "kasus tetap pada versinya."
        )
    try:
        serializer.restore(serializer.dump_state(workflow), target.spec_state, target.sha256)
    except Exception as exc:  # the migrated state must load with the new spec, whatever the cause
        return f"Status kasus tidak dapat dimuat dengan versi {target.version}: {type(exc).__name__}: {exc}"
    return None


def _blocking_reason(registry: Any, workflow: Any, new_spec: Any, diff: Any, version: int) -> str | None:
    for task in diff.removed:
        if task.has_state(ACTIVE):
            return f"Langkah {_label(task)} sedang aktif pada kasus ini dan dihapus pada versi {version}."
    changed = SpecDiff(registry, workflow.spec, new_spec).changed if diff.changed else {}
    by_name = {spec.name: keys for spec, keys in changed.items()}
    for task in diff.changed:
        if not task.has_state(ACTIVE):
            continue
        breaking = sorted(set(by_name.get(task.task_spec.name, [])) - SAFE_CHANGES)
        if breaking:
            return (
                f"Langkah {_label(task)} sedang aktif dan berubah pada versi {version} "
                f"({', '.join(breaking)}); kasus tidak aman dipindahkan."
            )
    return None


def _current(task: Any) -> bool:
    spec = task.task_spec
    return task.workflow.spec.task_specs.get(spec.name) is spec


def _label(task: Any) -> str:
    spec = task.task_spec
    return f"'{spec.bpmn_name or spec.bpmn_id}' ({spec.bpmn_id})"


def _row(case: Case, current: ProcessVersion, reason: str | None) -> dict[str, Any]:
    return {
        "case_id": case.id,
        "periode": case.periode,
        "from_version": current.version,
        "can_migrate": reason is None,
        "reason": reason,
    }
