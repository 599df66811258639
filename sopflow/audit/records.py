"""Audit records: collected while a command runs, appended in the same transaction.

Handlers and views never write audit rows; the engine's hooks feed :class:`AuditLog`.
:meth:`AuditLog.write` also moves the case's anchor (:mod:`sopflow.audit.anchor`) to the
new head in that transaction, so a later verification notices events cut off the end.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from typing import cast as typed

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from sopflow.audit.anchor import advance_head, lock_head
from sopflow.audit.chain import event_hash
from sopflow.persistence.encoded_json import encoded_json
from sopflow.persistence.models import AuditEvent

#: who does the automatic steps (service and script tasks, gateways);
#: same value as ``sopflow.calendar.escalation.SYSTEM_ACTOR``
SYSTEM_ACTOR = "sistem"
#: event kinds of automatic steps: recorded as done by :data:`SYSTEM_ACTOR`, with ``data.dipicu_oleh``
#: naming the user whose command ran them (the README's audit format)
AUTOMATIC_KINDS = frozenset({"service_run", "service_failed", "script_run", "gateway_passed"})
#: event kinds that record a refused submission; they change nothing in the case (replay skips them)
REFUSAL_KINDS = frozenset({"upload_rejected", "form_refused"})
#: on the table, built once: the events are never loaded as objects in the command that writes them;
#: their data goes in as the JSON text :meth:`AuditLog.add` made (not encoded a second time)
_INSERT_EVENTS = insert(typed(Table, AuditEvent.__table__)).values(data=encoded_json("data_json"))


def jsonable(value: Any) -> Any:
    """Return a JSON-safe copy of ``value`` (dates and decimals become strings)."""
    return json.loads(json.dumps(value, default=str))


def encoded(value: Any) -> tuple[Any, str]:
    """Return the JSON-safe copy of ``value`` (as :func:`jsonable`) and its JSON text, encoding once."""
    text = json.dumps(value, default=str)
    return json.loads(text), text


@dataclass
class AuditRecord:
    """One event before it is written: what happened, who did it, on which task."""

    kind: str
    actor: str
    at: datetime
    task_id: str | None = None
    element_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    #: ``data`` as JSON text, as it is stored
    data_json: str = "{}"


@dataclass
class AuditLog:
    """The events of one command, in the order they happened."""

    actor: str
    now: datetime
    records: list[AuditRecord] = field(default_factory=list)
    #: the user whose command made a job run these events (job path; the log's actor is then "sistem")
    triggered_by: str | None = None

    def add(self, event: str, task_id: str | None = None, element_id: str | None = None, /, **data: Any) -> None:
        """Record an event of kind ``event`` for this command; ``data`` is its JSON payload.

        An automatic step (:data:`AUTOMATIC_KINDS`) is recorded as done by :data:`SYSTEM_ACTOR`
        with ``dipicu_oleh`` = the user who triggered it, whether it ran inside that user's
        command (e.g. at start) or later in a job.
        """
        actor = self.actor
        if event in AUTOMATIC_KINDS:
            data["dipicu_oleh"] = self.trigger()
            actor = SYSTEM_ACTOR
        safe, text = encoded(data)
        self.records.append(AuditRecord(event, actor, self.now, task_id, element_id, safe, text))

    def trigger(self) -> str | None:
        """Return the user on whose behalf this command runs: the triggering user of a job, else the actor."""
        return self.triggered_by or (self.actor if self.actor != SYSTEM_ACTOR else None)

    def write(self, session: Session, case_id: str) -> list[AuditEvent]:
        """Append the records to the case's events and move its anchor (call under the case lock); flush, no commit."""
        if not self.records:
            return []
        anchored, seq, prev = lock_head(session, case_id)
        rows, inserted = [], []
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
            row = {**fields, "prev_hash": prev, "hash": digest}
            rows.append(row)
            stored = {**row, "data_json": rec.data_json}
            del stored["data"]
            inserted.append(stored)
            prev = digest
        session.flush()  # whatever the command changed goes first, as before
        # one multi-row INSERT (executemany) on the table: no INSERT ... RETURNING per event, and
        # none of the ORM's bulk machinery
        session.execute(_INSERT_EVENTS, inserted)
        advance_head(session, anchored, case_id, seq, prev, self.now)
        self.records.clear()
        return [AuditEvent(**row) for row in rows]  # transient copies: seq and hash, no ids
