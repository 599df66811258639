"""The process owner's diagram drafts: save (even when invalid), validate, publish.

A draft holds only the diagram: its forms and configuration are those of the latest
published version, because the browser editor edits the diagram only. Functions take
the caller's session; the engine opens the one transaction around them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from sopflow.access import authz
from sopflow.engine.commands import PublishDraft, PublishedVersion, SaveDraft
from sopflow.errors import InvalidForm, InvalidProcess
from sopflow.persistence import store
from sopflow.process.spec_loader import ProcessDefinition, build_definition, executable_process_ids, parse_xml_safely


def save_draft(session: Session, cmd: SaveDraft, now: datetime) -> dict[str, Any]:
    """Store the diagram as the process's draft and report whether it would publish.

    Returns ``{"process_id", "saved_at", "valid", "problems": [{"element", "message"}]}``.
    Raises PermissionDenied (not owner/admin), NotFound (unknown user) and InvalidProcess
    for malformed or hostile XML (DOCTYPE/ENTITY, too large): nothing is stored then.
    """
    authz.check_may_edit_process(store.user(session, cmd.actor))
    parse_xml_safely(cmd.bpmn_xml, f"{cmd.process_id}.bpmn")
    problems = validate_bpmn(session, cmd.process_id, cmd.bpmn_xml)
    draft = store.put_draft(session, cmd.process_id, cmd.bpmn_xml, cmd.actor, now)
    return {"process_id": draft.process_id, "saved_at": draft.updated_at, "valid": not problems, "problems": problems}


def validate_bpmn(session: Session, process_id: str, bpmn_xml: str) -> list[dict[str, Any]]:
    """Return the problems (``[{"element", "message"}]``) that would stop ``bpmn_xml`` from publishing; [] if none.

    Uses the latest published version's forms and config. Raises nothing for bad input:
    unreadable XML is reported as a problem too.
    """
    try:
        draft_definition(session, process_id, bpmn_xml)
    except InvalidProcess as exc:
        return [{"element": p.get("element") or "", "message": p["message"]} for p in exc.problems]
    return []


def draft_definition(session: Session, process_id: str, bpmn_xml: str) -> ProcessDefinition:
    """Build the definition of an edited diagram with the latest version's forms and config.

    Raises InvalidProcess listing every problem, including a process id other than ``process_id``.
    """
    latest = store.latest_version(session, process_id)
    forms = dict(latest.forms) if latest else {}
    config = dict(latest.config) if latest else {}
    ids = executable_process_ids(parse_xml_safely(bpmn_xml, f"{process_id}.bpmn"))
    if ids and ids[0] != process_id and len(ids) == 1:
        message = f"id proses harus {process_id!r}, bukan {ids[0]!r}"
        raise InvalidProcess(f"{process_id}.bpmn: {message}", [{"element": ids[0], "message": message}])
    return build_definition(bpmn_xml, forms, config, filename=f"{process_id}.bpmn")


def publish_draft(session: Session, cmd: PublishDraft, now: datetime) -> PublishedVersion:
    """Publish the draft as the next immutable version (SHA-256, author, note) and delete the draft.

    Content identical to the latest version reuses that version. Raises PermissionDenied,
    InvalidForm (empty note), NotFound (no draft), InvalidProcess (draft not valid; kept).
    """
    authz.check_may_edit_process(store.user(session, cmd.actor))
    note = (cmd.note or "").strip()
    if not note:
        raise InvalidForm(
            "Catatan perubahan wajib diisi sebelum publikasi.",
            [{"field": "note", "message": "Jelaskan apa yang berubah pada versi ini."}],
        )
    draft = store.draft_row(session, cmd.process_id)
    definition = draft_definition(session, cmd.process_id, draft.bpmn_xml)
    row = store.publish_version(session, definition, cmd.actor, note, now)
    session.delete(draft)
    session.flush()
    return PublishedVersion(row.process_id, row.version, row.sha256, row.name)
