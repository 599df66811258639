"""Read-only queries about process versions and drafts (re-exported by :mod:`sopflow.queries.inbox`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from sopflow.persistence import store
from sopflow.persistence.models import ProcessDraft
from sopflow.process.version_diff import diff_definitions


def draft_of(session: Session, process_id: str) -> dict[str, Any] | None:
    """Return the draft being edited for a process (bpmn_xml, updated_by/at, base_version), or None."""
    draft = session.get(ProcessDraft, process_id)
    if draft is None:
        return None
    return {
        "process_id": draft.process_id,
        "bpmn_xml": draft.bpmn_xml,
        "updated_by": draft.updated_by,
        "updated_at": draft.updated_at,
        "base_version": draft.base_version,
    }


def version_detail(session: Session, process_id: str, version: int | None = None) -> dict[str, Any]:
    """Return one published version (the newest when ``version`` is None).

    Keys: process_id, version, name, bpmn_xml, sha256, note, created_by/at, process properties.
    Raises NotFound.
    """
    row = store.version_of(session, process_id, version)
    return {
        "process_id": row.process_id,
        "version": row.version,
        "name": row.name,
        "bpmn_xml": row.bpmn_xml,
        "sha256": row.sha256,
        "note": row.note,
        "created_by": row.created_by,
        "created_at": row.created_at,
        "properties": dict(row.properties),
    }


def diff_versions(session: Session, process_id: str, v1: int, v2: int) -> dict[str, Any]:
    """Return the element-level differences from version ``v1`` to ``v2`` (see :func:`diff_definitions`).

    Raises NotFound.
    """
    old = store.definition_of(store.version_of(session, process_id, v1))
    new = store.definition_of(store.version_of(session, process_id, v2))
    return diff_definitions(old, new)
