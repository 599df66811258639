"""Files uploaded for a task before it is completed (API uploads, forms re-rendered after an error).

Also the trace a refused submission leaves: :func:`record_refusal` appends an
``upload_rejected`` (per refused file) or ``form_refused`` event to the case's audit chain
in a transaction of its own, after the refused command rolled back; the case's state is
not touched.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sopflow.audit.records import AuditLog
from sopflow.engine.files import FileStore
from sopflow.engine.forms import check_upload, media_type_of, upload_fields
from sopflow.errors import InvalidForm
from sopflow.logs import get_logger
from sopflow.persistence import store
from sopflow.persistence.models import StagedUpload

if TYPE_CHECKING:
    from sopflow.persistence.db import Database

log = get_logger(__name__)

#: at most this many of a refusal's errors are kept in its audit event (the xlsx check lists every cell)
MAX_REFUSAL_ERRORS = 50


def stage(
    session: Session,
    files: FileStore,
    schema: dict[str, Any] | None,
    task_id: str,
    actor: str,
    field: str,
    filename: str,
    content: bytes,
    now: datetime,
) -> dict[str, Any]:
    """Check a file against the field's upload rules, store it and record it for this task and actor."""
    rules = upload_fields(schema or {})
    if field not in rules:
        raise InvalidForm("Isian ini tidak menerima berkas.", [{"field": field, "message": "Tidak menerima berkas."}])
    problem = check_upload(filename, content, rules[field], (schema or {}).get("properties", {}).get(field, {}))
    if problem:
        raise InvalidForm(problem, [{"field": field, "message": problem}])
    row = StagedUpload(
        id=uuid.uuid4().hex,
        task_id=task_id,
        actor=actor,
        field=field,
        filename=filename,
        media_type=media_type_of(filename),
        sha256=files.put(content),
        size=len(content),
        created_at=now,
    )
    session.add(row)
    session.flush()
    return describe(row)


def resolve(session: Session, task_id: str, actor: str, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split ``{field: {"upload_id": ...}}`` references out of form data.

    Returns ``(data_without_references, {field: FileRef})``. A reference to an upload of
    another task, actor or field is an InvalidForm error.
    """
    plain, staged, errors = {}, {}, []
    for name, value in data.items():
        if isinstance(value, dict) and set(value) == {"upload_id"}:
            row = session.scalar(select(StagedUpload).where(StagedUpload.id == str(value["upload_id"])))
            if row is None or (row.task_id, row.actor, row.field) != (task_id, actor, name):
                errors.append({"field": name, "message": "Berkas unggahan tidak ditemukan untuk tugas ini."})
                continue
            staged[name] = describe(row, as_ref=True)
        else:
            plain[name] = value
    if errors:
        raise InvalidForm("Isian formulir belum benar; periksa pesan pada setiap isian.", errors)
    return plain, staged


def describe(row: StagedUpload, as_ref: bool = False) -> dict[str, Any]:
    """Return a staged upload as the API shows it, or as a FileRef."""
    ref = {"sha256": row.sha256, "filename": row.filename, "media_type": row.media_type, "size": row.size}
    return ref if as_ref else {"upload_id": row.id, "field": row.field, **ref}


def refusal_records(
    audit: AuditLog, task_id: str, element_id: str | None, exc: InvalidForm, filenames: dict[str, str]
) -> None:
    """Add the audit events of a refused submission to ``audit``.

    One ``upload_rejected`` event per uploaded file whose field was refused, with ``field``,
    ``filename``, ``alasan`` and ``pesan`` ("unggahan ditolak: <file>, <alasan>"); when no
    uploaded file was refused, one ``form_refused`` event ("formulir ditolak: <alasan>").
    Both carry the refusal's ``errors`` (at most :data:`MAX_REFUSAL_ERRORS`).
    """
    grouped = exc.field_errors()
    errors = exc.errors[:MAX_REFUSAL_ERRORS]
    refused_files = [(name, filenames[name]) for name in grouped if name in filenames]
    for name, filename in refused_files:
        reason = grouped[name][0] if len(grouped[name]) == 1 else exc.message
        audit.add(
            "upload_rejected",
            task_id,
            element_id,
            field=name,
            filename=filename,
            alasan=reason,
            pesan=f"unggahan ditolak: {filename}, {reason}",
            errors=[e for e in errors if (e.get("field") or "") == name],
        )
    if not refused_files:
        audit.add(
            "form_refused",
            task_id,
            element_id,
            fields=sorted(name for name in grouped if name),
            alasan=exc.message,
            pesan=f"formulir ditolak: {exc.message}",
            errors=errors,
        )


@contextmanager
def refusal_recorded(
    db: Database,
    clock: Callable[[], datetime],
    task_id: str,
    actor: str,
    files: dict[str, Any],
    data: dict[str, Any] | None = None,
) -> Iterator[None]:
    """Let an InvalidForm of the wrapped command through after recording it (:func:`record_refusal`).

    ``files`` maps upload fields to what was sent (objects with a ``filename``).
    """
    try:
        yield
    except InvalidForm as exc:
        names = {field: PurePath(sent.filename).name for field, sent in files.items()}
        record_refusal(db, clock(), task_id, actor, exc, names, data)
        raise


def record_refusal(
    db: Database,
    now: datetime,
    task_id: str,
    actor: str,
    exc: InvalidForm,
    filenames: dict[str, str],
    data: dict[str, Any] | None = None,
) -> None:
    """Append the audit events of a refused submission of ``task_id`` in a transaction of its own.

    ``filenames`` maps upload fields to the names of the files sent; references to staged
    uploads in ``data`` (``{"upload_id": ...}``) are named too. Nothing else changes. A failure
    to record (database away) is logged and swallowed: the refusal itself still reaches the user.
    """
    try:
        with db.unit_of_work() as session:
            row = store.task_row(session, task_id)
            store.lock_case(session, row.case_id)
            named = dict(filenames)
            for name, value in (data or {}).items():
                if isinstance(value, dict) and set(value) == {"upload_id"} and name not in named:
                    staged = session.get(StagedUpload, str(value["upload_id"]))
                    if staged is not None:
                        named[name] = staged.filename
            audit = AuditLog(actor, now)
            refusal_records(audit, row.id, row.element_id, exc, named)
            audit.write(session, row.case_id)
    except Exception:  # the refusal is what the user must see; its trace is best effort
        log.exception("refusal not recorded", task_id=task_id, actor=actor)
