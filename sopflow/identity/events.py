"""Audit events of sign-ins and accounts, hash-chained in one reserved chain (:data:`IDENTITY_CHAIN`).

Every event of :mod:`sopflow.audit.records` belongs to a chain named by a ``case_id``; events that
are about people rather than cases (sign-in, refusal, mapping change, retirement) share the
chain ``_identitas``, which has no row in ``cases``. ``sopflow audit verify`` checks it like
any case's chain (hash links, anchor in ``audit_heads``, signed checkpoints).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sopflow.audit.records import AuditLog
from sopflow.persistence.db import Database

IDENTITY_CHAIN = "_identitas"
WRITE_ATTEMPTS = 3
#: the actor of what the directory decided (not a person)
SYSTEM_ACTOR = "sistem:identitas"

SIGNED_IN = "identity_signed_in"
REFUSED = "identity_refused"
SIGNED_OUT = "identity_signed_out"
USER_CREATED = "identity_user_created"
MAPPING_CHANGED = "identity_mapping_changed"
USER_RETIRED = "identity_user_retired"
USER_REACTIVATED = "identity_user_reactivated"
TASK_RELEASED = "identity_task_released"


def write_identity_event(session: Session, kind: str, actor: str, now: datetime, **data: Any) -> None:
    """Append one event to the identity chain in ``session``'s transaction (flush, no commit)."""
    log = AuditLog(actor[:120], now)
    log.add(kind, None, None, **data)
    log.write(session, IDENTITY_CHAIN)


def record_identity_event(db: Database, kind: str, actor: str, now: datetime, **data: Any) -> None:
    """Append one event to the identity chain in its own transaction (sign-ins, refusals).

    The chain's very first events have no anchor row to lock yet: two writers racing for
    seq 1 make one fail on the unique (case_id, seq); it simply tries again on the new head.
    """
    for attempt in range(WRITE_ATTEMPTS):
        try:
            with db.unit_of_work() as session:
                write_identity_event(session, kind, actor, now, **data)
            return
        except IntegrityError:
            if attempt == WRITE_ATTEMPTS - 1:
                raise
