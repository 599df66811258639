"""Read-only queries about cases: header, tasks, documents, events, the diagram's state, versions.

The functions named ``..._for_user`` / ``..._view_for`` answer for one user and apply
:mod:`sopflow.access.case_access` (the one visibility rule); pages, API and downloads use them.
The others read without a user (engine, CLI, auditor pages behind their role check).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sopflow.access.case_access import check_may_view_case, visible_cases_query, visible_documents
from sopflow.audit.records import SYSTEM_ACTOR
from sopflow.audit.verify import verify_database
from sopflow.errors import NotFound
from sopflow.persistence import store
from sopflow.persistence.models import AuditEvent, Case, Document, HumanTask, ProcessVersion, User
from sopflow.process.task_rules import iter_bpmn_task_specs, properties_of

#: Audit events that mean "this BPMN element was executed".
_DONE_KINDS = ("case_started", "task_completed", "service_run", "script_run", "gateway_passed", "case_completed")


def tasks_of_case(session: Session, case_id: str) -> list[dict[str, Any]]:
    """Return every task row of a case (open and closed) in the order they became ready."""
    rows = session.scalars(
        select(HumanTask).where(HumanTask.case_id == case_id).order_by(HumanTask.ready_at, HumanTask.step)
    )
    return [task_row(r) for r in rows]


#: audit events that are an automatic step of the step list (service and script tasks, a failed service task)
_AUTOMATIC_STEPS = ("service_run", "script_run", "service_failed")
#: shown as the doer of an automatic step
SYSTEM_NAME = "Sistem"


def case_steps(session: Session, case_id: str) -> list[dict[str, Any]]:
    """Return every step of a case in the order it happened: human tasks and automatic steps.

    Human steps are the task projection rows (placed where their ``task_ready`` event is);
    automatic steps are the ``service_run``, ``script_run`` and ``service_failed`` events.
    Each step carries ``kind`` ("manusia" / "otomatis"), ``step``, ``element_id``, ``name``
    (the BPMN name), ``lane``, ``unit``, ``label``, ``state`` (``ready``, ``completed``,
    ``failed``), ``actor`` and ``actor_name`` (the full name; "Sistem" for automatic steps),
    ``dipicu_oleh`` / ``dipicu_oleh_name`` (who triggered an automatic step), ``claimed_by``,
    ``started_at``, ``finished_at``, ``due_at`` and ``seq`` (the audit event it starts at).
    """
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"Kasus {case_id} tidak ditemukan.", case=case_id)
    specs = _element_specs(session.get_one(ProcessVersion, case.process_version_id))
    events = session.execute(
        select(
            AuditEvent.seq,
            AuditEvent.kind,
            AuditEvent.task_id,
            AuditEvent.at,
            AuditEvent.actor,
            AuditEvent.element_id,
            AuditEvent.data,
        )
        .where(AuditEvent.case_id == case_id, AuditEvent.kind.in_(("task_ready", *_AUTOMATIC_STEPS)))
        .order_by(AuditEvent.seq)
    ).all()
    ready_seq = {task_id: seq for seq, kind, task_id, *_rest in events if kind == "task_ready"}
    steps = [_human_step(t, ready_seq.get(t["task_id"]), specs) for t in tasks_of_case(session, case_id)]
    for seq, kind, _task_id, at, actor, element_id, data in events:
        if kind in _AUTOMATIC_STEPS:
            steps.append(_automatic_step(seq, kind, at, actor, element_id, data or {}, specs))
    last = max((s["seq"] or 0 for s in steps), default=0) + 1
    steps.sort(key=lambda s: (s["seq"] if s["seq"] is not None else last, s["started_at"] or datetime.min))
    names = full_names(session, {s[key] for s in steps for key in ("actor", "dipicu_oleh", "claimed_by")})
    for s in steps:
        s["actor_name"] = SYSTEM_NAME if s["kind"] == "otomatis" else names.get(s["actor"] or "", s["actor"])
        s["dipicu_oleh_name"] = names.get(s["dipicu_oleh"] or "", s["dipicu_oleh"])
        s["claimed_name"] = names.get(s["claimed_by"] or "", s["claimed_by"])
    return steps


def full_names(session: Session, usernames: set[str | None]) -> dict[str, str]:
    """Return ``{username: full name}`` for the given users (the username where no full name is set)."""
    wanted = sorted(u for u in usernames if u)
    if not wanted:
        return {}
    rows = session.execute(select(User.username, User.full_name).where(User.username.in_(wanted))).all()
    found = {username: full_name or username for username, full_name in rows}
    if SYSTEM_ACTOR in wanted:
        found.setdefault(SYSTEM_ACTOR, SYSTEM_NAME)
    return found


def element_names(session: Session, case_id: str) -> dict[str, str]:
    """Return ``{element_id: BPMN name}`` of the elements of a case's process version (for people to read)."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"Kasus {case_id} tidak ditemukan.", case=case_id)
    return {
        key: value[0] for key, value in _element_specs(session.get_one(ProcessVersion, case.process_version_id)).items()
    }


def _element_specs(version: ProcessVersion) -> dict[str, tuple[str, int | None, str | None]]:
    """Return ``{element_id: (name, SOP step, lane)}`` of a process version's BPMN elements."""
    found: dict[str, tuple[str, int | None, str | None]] = {}
    for spec in iter_bpmn_task_specs(store.definition_of(version).spec):
        step = properties_of(spec).get("sop.step")
        name = getattr(spec, "bpmn_name", None) or spec.bpmn_id
        if spec.bpmn_id not in found or step:
            found[spec.bpmn_id] = (name, int(step) if step and step.isdigit() else None, spec.lane)
    return found


def _human_step(t: dict[str, Any], seq: int | None, specs: dict[str, Any]) -> dict[str, Any]:
    done = t["state"] != "ready"
    return {
        "seq": seq,
        "kind": "manusia",
        "task_id": t["task_id"],
        "element_id": t["element_id"],
        "name": t["name"] or specs.get(t["element_id"], (t["element_id"],))[0],
        "step": t["step"],
        "lane": t["lane"],
        "unit": t["unit"],
        "label": t["label"],
        "state": "completed" if done else "ready",
        "actor": t["completed_by"] if done else None,
        "claimed_by": t["claimed_by"],
        "dipicu_oleh": None,
        "started_at": t["ready_at"],
        "finished_at": t["completed_at"],
        "due_at": t["due_at"],
        "duration_ms": None,
    }


def _automatic_step(
    seq: int, kind: str, at: datetime, actor: str, element_id: str | None, data: Any, specs: dict[str, Any]
) -> dict[str, Any]:
    name, step, lane = specs.get(element_id or "", (element_id or "-", None, None))
    data = data if isinstance(data, dict) else {}
    recorded_step = data.get("step")
    return {
        "seq": seq,
        "kind": "otomatis",
        "task_id": None,
        "element_id": element_id,
        "name": name,
        "step": int(recorded_step) if str(recorded_step or "").isdigit() else step,
        "lane": data.get("lane") or lane,
        "unit": None,
        "label": data.get("operation"),
        "state": "failed" if kind == "service_failed" else "completed",
        "actor": SYSTEM_ACTOR,
        "claimed_by": None,
        # events recorded before ``dipicu_oleh`` existed carry the triggering user as their actor
        "dipicu_oleh": data.get("dipicu_oleh") or (actor if actor != SYSTEM_ACTOR else None),
        "started_at": at,
        "finished_at": at if kind != "service_failed" else None,
        "due_at": None,
        "duration_ms": data.get("duration_ms"),
        "message": data.get("message"),
    }


def task_row(r: HumanTask) -> dict[str, Any]:
    """Return a task projection row as a plain dict (times naive UTC)."""
    return {
        "task_id": r.id,
        "case_id": r.case_id,
        "periode": r.periode,
        "element_id": r.element_id,
        "name": r.name,
        "step": r.step,
        "lane": r.lane,
        "unit": r.unit,
        "label": r.label,
        "state": r.state,
        "claimed_by": r.claimed_by,
        "ready_at": r.ready_at,
        "due_at": r.due_at,
        "completed_at": r.completed_at,
        "completed_by": r.completed_by,
    }


def case_summary(session: Session, case_id: str) -> dict[str, Any]:
    """Return a case's header: process, periode, status, failure, timestamps."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"Kasus {case_id} tidak ditemukan.", case=case_id)
    version = session.get(ProcessVersion, case.process_version_id)
    return {
        "case_id": case.id,
        "process_id": case.process_id,
        "process_name": version.name if version is not None else case.process_id,
        "started_by_name": full_names(session, {case.started_by}).get(case.started_by, case.started_by),
        "process_version_id": case.process_version_id,
        "periode": case.periode,
        "status": case.status,
        "failure": case.failure,
        "started_by": case.started_by,
        "started_at": case.started_at,
        "completed_at": case.completed_at,
    }


def cases(session: Session, process_id: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
    """Return the cases, newest periode first, optionally of one process or status."""
    query = select(Case).order_by(Case.periode.desc(), Case.started_at.desc())
    if process_id:
        query = query.where(Case.process_id == process_id)
    if status:
        query = query.where(Case.status == status)
    return [case_summary(session, c.id) for c in session.scalars(query)]


def cases_for_user(
    session: Session, username: str, process_id: str | None = None, status: str | None = None
) -> list[dict[str, Any]]:
    """Return the cases ``username`` may see (:mod:`sopflow.access.case_access`), newest periode first."""
    query = select(Case.id).order_by(Case.periode.desc(), Case.started_at.desc())
    if process_id:
        query = query.where(Case.process_id == process_id)
    if status:
        query = query.where(Case.status == status)
    visible = visible_cases_query(session, username)
    if visible is not None:
        query = query.where(Case.id.in_(visible))
    return [case_summary(session, case_id) for case_id in session.scalars(query)]


def case_view_for(session: Session, username: str, case_id: str) -> dict[str, Any]:
    """Return ``{"summary", "tasks", "steps", "documents"}`` of a case as ``username`` may see it.

    NotFound when the case does not exist or is not theirs to see; ``tasks`` and ``documents``
    are limited to their part (a Kepala Bidang: their Bidang's tasks and documents); ``steps``
    (:func:`case_steps`) are their part's human steps and every automatic step.
    """
    scope = check_may_view_case(session, username, case_id)
    return {
        "summary": case_summary(session, case_id),
        "tasks": [t for t in tasks_of_case(session, case_id) if scope.shows_task(t)],
        "steps": [s for s in case_steps(session, case_id) if s["kind"] == "otomatis" or scope.shows_task(s)],
        "documents": visible_documents(session, scope, case_id, documents_of_case(session, case_id)),
    }


def documents_of_case(session: Session, case_id: str, kind: str | None = None) -> list[dict[str, Any]]:
    """Return the documents a case produced or received, oldest first."""
    query = select(Document).where(Document.case_id == case_id).order_by(Document.id)
    if kind:
        query = query.where(Document.kind == kind)
    return [_document(d) for d in session.scalars(query)]


def archive_entries(session: Session, case_id: str | None = None) -> list[dict[str, Any]]:
    """Return the archived documents (kind ``arsip``), of one case or all."""
    query = select(Document).where(Document.kind == "arsip").order_by(Document.id)
    if case_id:
        query = query.where(Document.case_id == case_id)
    return [_document(d) for d in session.scalars(query)]


def timeline_for_case(session: Session, case_id: str) -> list[dict[str, Any]]:
    """Return a case's audit events in order."""
    rows = session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.seq))
    return [event_row(e) for e in rows]


def event_row(e: AuditEvent) -> dict[str, Any]:
    """Return an audit event as a plain dict (every column; ``at`` stays a naive-UTC datetime)."""
    return {
        "id": e.id,
        "case_id": e.case_id,
        "seq": e.seq,
        "at": e.at,
        "actor": e.actor,
        "kind": e.kind,
        "task_id": e.task_id,
        "element_id": e.element_id,
        "data": e.data,
        "prev_hash": e.prev_hash,
        "hash": e.hash,
    }


def case_diagram(session: Session, case_id: str, now: datetime) -> dict[str, Any]:
    """Return the case's BPMN text and which elements are completed, active, overdue or failed."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"Kasus {case_id} tidak ditemukan.", case=case_id)
    bpmn_xml = session.scalar(select(ProcessVersion.bpmn_xml).where(ProcessVersion.id == case.process_version_id))
    done = session.scalars(
        select(AuditEvent.element_id)
        .where(AuditEvent.case_id == case_id, AuditEvent.kind.in_(_DONE_KINDS), AuditEvent.element_id.is_not(None))
        .distinct()
    ).all()
    ready = session.execute(
        select(HumanTask.element_id, HumanTask.due_at).where(HumanTask.case_id == case_id, HumanTask.state == "ready")
    ).all()
    active = sorted({element for element, _ in ready})
    failed = [case.failure["element_id"]] if case.status == "gagal" and case.failure else []
    return {
        "bpmn_xml": bpmn_xml,
        "status": case.status,
        "completed": sorted(set(done) - set(active) - set(failed)),
        "active": active,
        "overdue": sorted({element for element, due in ready if due is not None and now > due}),
        "failed": failed,
    }


def _document(d: Document) -> dict[str, Any]:
    return {
        "id": d.id,
        "case_id": d.case_id,
        "task_id": d.task_id,
        "element_id": d.element_id,
        "kind": d.kind,
        "filename": d.filename,
        "media_type": d.media_type,
        "sha256": d.sha256,
        "size": d.size,
        "meta": d.meta,
        "created_at": d.created_at,
    }


def process_versions(session: Session, process_id: str | None = None) -> list[dict[str, Any]]:
    """Return the stored process versions, newest first."""
    query = select(ProcessVersion).order_by(ProcessVersion.process_id, ProcessVersion.version.desc())
    if process_id:
        query = query.where(ProcessVersion.process_id == process_id)
    return [
        {
            "id": v.id,
            "process_id": v.process_id,
            "version": v.version,
            "name": v.name,
            "sha256": v.sha256,
            "status": v.status,
            "note": v.note,
            "created_by": v.created_by,
            "created_at": v.created_at,
        }
        for v in session.scalars(query)
    ]


def document_for_user(session: Session, case_id: str, document_id: int, username: str) -> dict[str, Any]:
    """Return a case document if ``username`` may see it (:mod:`sopflow.access.case_access`).

    Raises NotFound when the document is not of that case, the case is not visible to the
    user, or the document belongs to a part outside their scope (another Bidang's).
    """
    scope = check_may_view_case(session, username, case_id)
    document = session.get(Document, document_id)
    found = [_document(document)] if document is not None and document.case_id == case_id else []
    if not visible_documents(session, scope, case_id, found):
        raise NotFound("Dokumen tidak ditemukan.", case=case_id)
    return found[0]


def verify_audit_chain(session: Session, case_id: str | None = None, data_dir: Path | None = None) -> Any:
    """Verify the audit record of one case, or of every case: chains, anchors and signed checkpoints.

    The one verifier (:func:`sopflow.audit.verify.verify_database`); damaged data is a named
    problem, never an exception. Checkpoint signatures are checked with the key in ``data_dir``.
    """
    return verify_database(session, data_dir, case_id)


def search_cases(
    session: Session,
    periode: str | None = None,
    status: str | None = None,
    actor: str | None = None,
    step: int | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Return cases matching every given filter: periode, status, an actor who did anything, a step it reached."""
    query = select(Case.id).order_by(Case.periode.desc(), Case.started_at.desc()).limit(limit)
    if periode:
        query = query.where(Case.periode == periode)
    if status:
        query = query.where(Case.status == status)
    if actor:
        query = query.where(Case.id.in_(select(AuditEvent.case_id).where(AuditEvent.actor == actor)))
    if step is not None:
        query = query.where(Case.id.in_(select(HumanTask.case_id).where(HumanTask.step == step)))
    return [case_summary(session, case_id) for case_id in session.scalars(query)]
