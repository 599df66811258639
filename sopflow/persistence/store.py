"""Persistence functions of the engine. They receive the session, may flush, never commit."""

from __future__ import annotations

import hashlib
import json
import zlib
from datetime import datetime
from typing import Any
from typing import cast as typed

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session, defer

from sopflow.engine.files import RecordedFile
from sopflow.engine.serializer import spec_state
from sopflow.errors import NotFound
from sopflow.persistence.encoded_json import encoded_json
from sopflow.persistence.models import Case, CaseSnapshot, Document, HumanTask, ProcessDraft, ProcessVersion, User
from sopflow.process.spec_loader import ProcessDefinition, build_definition

_definitions: dict[int, ProcessDefinition] = {}
#: zlib level of the per-command snapshot: level 1 is several times faster than 6 on workflow JSON
#: and the stored size grows by about a third (bench/README.md)
SNAPSHOT_ZLIB_LEVEL = 1

# The lookups every command makes, built once (building a statement per call showed in the profile).
_LOCK_CASE = select(Case).where(Case.id == bindparam("case_id")).options(defer(Case.state)).with_for_update()
_CASE_OF_TASK = select(HumanTask.case_id).where(HumanTask.id == bindparam("task_id"))
_LOCK_CASE_OF_TASK = (
    select(Case).where(Case.id == _CASE_OF_TASK.scalar_subquery()).options(defer(Case.state)).with_for_update(of=Case)
)
_LOCK_CASE_VERSION_OF_TASK = (
    select(Case.id, Case.version).where(Case.id == _CASE_OF_TASK.scalar_subquery()).with_for_update(of=Case)
)
_OPEN_TASK_ROWS = select(HumanTask).where(HumanTask.case_id == bindparam("case_id"), HumanTask.state == "ready")
_USER = select(User).where(User.username == bindparam("username"))
# on the table: the commands that use it never load the case as an object (no ORM synchronisation)
_CASES = typed(Table, Case.__table__)
_SET_CASE_VERSION = (
    update(_CASES)
    .where(_CASES.c.id == bindparam("case_id"))
    .values(version=bindparam("new_version"), updated_at=bindparam("at"))
)
#: documents are never read back as objects in the command that records them
_INSERT_DOCUMENTS = insert(typed(Table, Document.__table__))
#: the summary goes in as the JSON text the save made (not encoded a second time)
_INSERT_SNAPSHOT = insert(typed(Table, CaseSnapshot.__table__)).values(summary=encoded_json("summary_json"))


def publish_version(
    session: Session, definition: ProcessDefinition, actor: str, note: str, now: datetime
) -> ProcessVersion:
    """Store a validated definition as the next published version; an identical latest one is reused."""
    latest = latest_version(session, definition.process_id)
    if latest is not None and (latest.sha256, latest.config, latest.forms) == (
        definition.sha256,
        definition.config,
        definition.forms,
    ):
        return latest
    row = ProcessVersion(
        process_id=definition.process_id,
        version=(latest.version + 1) if latest else 1,
        name=definition.name,
        bpmn_xml=definition.bpmn_xml,
        sha256=definition.sha256,
        properties=definition.properties,
        forms=definition.forms,
        config=definition.config,
        spec_state=spec_state(definition),
        status="published",
        note=note,
        created_by=actor,
        created_at=now,
    )
    session.add(row)
    session.flush()
    _definitions[row.id] = definition
    return row


def latest_version(session: Session, process_id: str) -> ProcessVersion | None:
    """Return the newest published version of a process, or None."""
    return session.scalar(
        select(ProcessVersion)
        .where(ProcessVersion.process_id == process_id, ProcessVersion.status == "published")
        .order_by(ProcessVersion.version.desc())
        .limit(1)
    )


def version_of(session: Session, process_id: str, version: int | None = None) -> ProcessVersion:
    """Return a stored version of a process (the newest published one when ``version`` is None)."""
    if version is None:
        row = latest_version(session, process_id)
    else:
        row = session.scalar(
            select(ProcessVersion).where(ProcessVersion.process_id == process_id, ProcessVersion.version == version)
        )
    if row is None:
        raise NotFound(f"Versi {version or 'terbaru'} proses {process_id!r} tidak ditemukan.", process=process_id)
    return row


def definition_of(version: ProcessVersion) -> ProcessDefinition:
    """Return the (cached) runnable definition of a stored version."""
    cached = _definitions.get(version.id)
    if cached is None or cached.sha256 != version.sha256:
        cached = build_definition(version.bpmn_xml, dict(version.forms), dict(version.config))
        _definitions[version.id] = cached
    return cached


def put_draft(session: Session, process_id: str, bpmn_xml: str, actor: str, now: datetime) -> ProcessDraft:
    """Create or replace the draft of a process; a new draft remembers the version it started from."""
    draft = session.get(ProcessDraft, process_id)
    if draft is None:
        latest = latest_version(session, process_id)
        draft = ProcessDraft(process_id=process_id, base_version=latest.version if latest else None)
        session.add(draft)
    draft.bpmn_xml, draft.updated_by, draft.updated_at = bpmn_xml, actor, now
    session.flush()
    return draft


def draft_row(session: Session, process_id: str) -> ProcessDraft:
    """Return the draft of a process, or raise NotFound."""
    draft = session.get(ProcessDraft, process_id)
    if draft is None:
        raise NotFound(f"Proses {process_id!r} tidak memiliki draf.", process=process_id)
    return draft


def lock_case(session: Session, case_id: str) -> Case:
    """Load a case for change, locking its row until the transaction ends.

    The workflow state (the row's largest column) is loaded only if the command reads it:
    a command that finds the case's workflow in the process's cache never does.
    """
    case = session.scalar(_LOCK_CASE, {"case_id": case_id})
    if case is None:
        raise NotFound(f"Kasus {case_id} tidak ditemukan.", case=case_id)
    return case


def set_case_version(session: Session, case_id: str, version: int, now: datetime) -> None:
    """Move a locked case's version on (readers holding the old one see it changed)."""
    session.execute(_SET_CASE_VERSION, {"case_id": case_id, "new_version": version, "at": now})


def version_for_run(session: Session, version_id: int) -> ProcessVersion:
    """Return a stored version for a command; its BPMN text, spec, forms and config load only on a cache miss.

    A published version never changes, and :func:`definition_of` and the serializer keep
    what they build from it by id and hash: decoding its forms JSON every command cost more
    than the command's own SQL.
    """
    return session.get_one(ProcessVersion, version_id, options=_VERSION_BULK_DEFERRED)


_VERSION_BULK = (
    ProcessVersion.bpmn_xml,
    ProcessVersion.spec_state,
    ProcessVersion.properties,
    ProcessVersion.forms,
    ProcessVersion.config,
)
#: built once: constructing loader options per command showed in the profile
_VERSION_BULK_DEFERRED = [defer(column) for column in _VERSION_BULK]


def lock_case_of_task(session: Session, task_id: str) -> Case:
    """Lock and load (without its state) the case a task belongs to, in one statement; raise NotFound.

    The task's own row is not loaded here: the caller reads it after the lock, so it is current.
    """
    case = session.scalar(_LOCK_CASE_OF_TASK, {"task_id": task_id})
    if case is None:
        raise NotFound(f"Tugas {task_id} tidak ditemukan.", task=task_id)
    return case


def lock_case_version_of_task(session: Session, task_id: str) -> tuple[str, int]:
    """Lock the case a task belongs to without loading it; return its id and version (or raise NotFound)."""
    found = session.execute(_LOCK_CASE_VERSION_OF_TASK, {"task_id": task_id}).first()
    if found is None:
        raise NotFound(f"Tugas {task_id} tidak ditemukan.", task=task_id)
    return found[0], found[1]


def task_row(session: Session, task_id: str) -> HumanTask:
    """Return the projection row of a task, or raise NotFound."""
    row = session.get(HumanTask, task_id)
    if row is None:
        raise NotFound(f"Tugas {task_id} tidak ditemukan.", task=task_id)
    return row


def open_task_rows(session: Session, case_id: str) -> dict[str, HumanTask]:
    """Return the case's projection rows still marked ready, by task id."""
    rows = session.scalars(_OPEN_TASK_ROWS, {"case_id": case_id})
    return {row.id: row for row in rows}


def user(session: Session, username: str) -> User:
    """Return an active user, or raise NotFound."""
    row = session.scalar(_USER, {"username": username})
    if row is None or not row.active:
        raise NotFound(f"Pengguna {username!r} tidak ditemukan atau tidak aktif.", user=username)
    return row


def add_documents(session: Session, case_id: str, recorded: list[RecordedFile], now: datetime) -> None:
    """Record the files a command stored as documents of the case (one multi-row INSERT on the table)."""
    if not recorded:
        return
    session.execute(
        _INSERT_DOCUMENTS,
        [
            {
                "case_id": case_id,
                "task_id": item.task_id or None,
                "element_id": item.element_id or None,
                "kind": item.kind,
                "filename": item.ref["filename"],
                "media_type": item.ref["media_type"],
                "sha256": item.ref["sha256"],
                "size": item.ref["size"],
                "meta": json.loads(json.dumps(item.meta, default=str)),
                "created_at": now,
            }
            for item in recorded
        ],
    )


def case_for_periode(session: Session, process_id: str, periode: str) -> Case | None:
    """Return a case of this process and periode that is not cancelled, if any."""
    return session.scalar(
        select(Case).where(Case.process_id == process_id, Case.periode == periode, Case.status != "dibatalkan")
    )


def previous_result(session: Session, process_id: str, periode: str) -> tuple[str, dict[str, Any]] | None:
    """Return ``(periode, result)`` of the latest completed case of an earlier periode, if any."""
    row = session.execute(
        select(Case.periode, Case.result)
        .where(Case.process_id == process_id, Case.status == "selesai", Case.periode < periode)
        .order_by(Case.periode.desc())
        .limit(1)
    ).first()
    return (row[0], row[1] or {}) if row else None


def completed_in_periode(session: Session, process_id: str, periode: str) -> list[dict[str, Any]]:
    """Return ``{case_id, periode, hasil, dokumen}`` of the completed cases of a process within ``periode``.

    Within: the same periode, or one that begins with ``<periode>-`` (a year holds its
    quarters). ``dokumen`` lists each case's archived documents as file references.
    """
    cases = session.execute(
        select(Case.id, Case.periode, Case.result)
        .where(
            Case.process_id == process_id,
            Case.status == "selesai",
            (Case.periode == periode) | Case.periode.startswith(f"{periode}-", autoescape=True),
        )
        .order_by(Case.periode)
    ).all()
    found = []
    for case_id, case_periode, result in cases:
        documents = session.scalars(
            select(Document).where(Document.case_id == case_id, Document.kind == "arsip").order_by(Document.id)
        ).all()
        refs = [
            {"sha256": d.sha256, "filename": d.filename, "media_type": d.media_type, "size": d.size} for d in documents
        ]
        found.append({"case_id": case_id, "periode": case_periode, "hasil": result or {}, "dokumen": refs})
    return found


def count_rows(session: Session, model: Any, **where: Any) -> int:
    """Return how many rows of ``model`` match the equality filters."""
    query = select(func.count()).select_from(model)
    for column, value in where.items():
        query = query.where(getattr(model, column) == value)
    return int(session.scalar(query) or 0)


def add_snapshot(
    session: Session, case_id: str, seq: int, state: str | None, now: datetime, summary_json: str | None = None
) -> None:
    """Keep what a command left under its last event: the summary (JSON text), and the state (zlib) unless None.

    Written on the table (no ORM object): a snapshot is never read back in the command that makes it.
    """
    raw = state.encode("utf-8") if state is not None else None
    session.execute(
        _INSERT_SNAPSHOT,
        {
            "case_id": case_id,
            "seq": seq,
            "state_sha256": hashlib.sha256(raw).hexdigest() if raw is not None else None,
            "state_zlib": zlib.compress(raw, SNAPSHOT_ZLIB_LEVEL) if raw is not None else None,
            "summary_json": summary_json,
            "created_at": now,
        },
    )


def snapshot_at(session: Session, case_id: str, seq: int) -> tuple[int, str] | None:
    """Return ``(snapshot_seq, state_json)`` of the latest snapshot at or before event ``seq`` that kept the state."""
    row = session.execute(
        select(CaseSnapshot.seq, CaseSnapshot.state_zlib)
        .where(CaseSnapshot.case_id == case_id, CaseSnapshot.seq <= seq, CaseSnapshot.state_zlib.is_not(None))
        .order_by(CaseSnapshot.seq.desc())
        .limit(1)
    ).first()
    if row is None or row[1] is None:  # the query keeps only snapshots with a state
        return None
    return row[0], zlib.decompress(row[1]).decode("utf-8")


def snapshot_summary_at(session: Session, case_id: str, seq: int) -> tuple[int, dict[str, Any] | None] | None:
    """Return ``(snapshot_seq, summary)`` of the latest snapshot at or before event ``seq`` (no state decoding)."""
    row = session.execute(
        select(CaseSnapshot.seq, CaseSnapshot.summary)
        .where(CaseSnapshot.case_id == case_id, CaseSnapshot.seq <= seq)
        .order_by(CaseSnapshot.seq.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None
