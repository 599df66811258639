"""Files uploaded for a task before it is completed (API uploads, forms re-rendered after an error)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import InvalidForm
from .files import FileStore
from .forms import check_upload, media_type_of, upload_fields
from .models import StagedUpload


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
