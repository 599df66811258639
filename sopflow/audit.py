"""Audit records: collected while a command runs, appended in the same transaction.

Handlers and views never write audit rows; the engine's hooks feed :class:`AuditLog`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

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
        """Append the records to the case's events (call under the case lock); flush, no commit."""
        last = session.scalar(select(func.max(AuditEvent.seq)).where(AuditEvent.case_id == case_id)) or 0
        rows = []
        for offset, rec in enumerate(self.records, start=1):
            rows.append(
                AuditEvent(
                    case_id=case_id,
                    seq=last + offset,
                    at=rec.at,
                    actor=rec.actor,
                    kind=rec.kind,
                    task_id=rec.task_id,
                    element_id=rec.element_id,
                    data=rec.data,
                )
            )
        session.add_all(rows)
        session.flush()
        self.records.clear()
        return rows
