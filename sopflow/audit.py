"""Audit records: collected while a command runs, appended in the same transaction.

Handlers and views never write audit rows; the engine's hooks feed :class:`AuditLog`.
:meth:`AuditLog.write` also moves the case's anchor (:mod:`sopflow.audit_anchor`) to the
new head in that transaction, so a later verification notices events cut off the end.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from .audit_anchor import advance_head, lock_head
from .audit_chain import event_hash
from .models import AuditEvent


def jsonable(value: Any) -> Any:
    """Return a JSON-safe copy of ``value`` (dates and decimals become strings)."""
    return json.loads(json.dumps(value, default=str))


@dataclass
class AuditRecord:
    """One event before it is written: what happened, who did it, on which task."""

    kind: str
    actor: str
    at: datetime
    task_id: str | None = None
    element_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class AuditLog:
    """The events of one command, in the order they happened."""

    actor: str
    now: datetime
    records: list[AuditRecord] = field(default_factory=list)

    def add(self, event: str, task_id: str | None = None, element_id: str | None = None, /, **data: Any) -> None:
        """Record an event of kind ``event`` for this command; ``data`` is its JSON payload."""
        self.records.append(AuditRecord(event, self.actor, self.now, task_id, element_id, jsonable(data)))

    def write(self, session: Session, case_id: str) -> list[AuditEvent]:
        """Append the records to the case's events and move its anchor (call under the case lock); flush, no commit."""
        if not self.records:
            return []
        head, seq, prev = lock_head(session, case_id)
        rows = []
        for rec in self.records:
            seq += 1
            fields = {
                "case_id": case_id,
                "seq": seq,
                "at": rec.at,
                "actor": rec.actor,
                "kind": rec.kind,
                "task_id": rec.task_id,
                "element_id": rec.element_id,
                "data": rec.data,
            }
            digest = event_hash(fields, prev)
            rows.append(AuditEvent(**fields, prev_hash=prev, hash=digest))
            prev = digest
        session.add_all(rows)
        session.flush()
        advance_head(session, head, case_id, seq, prev, self.now)
        self.records.clear()
        return rows
