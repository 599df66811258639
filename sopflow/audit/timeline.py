"""A case's audit timeline, paged and filtered in the database (the auditor's event list)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, func, select
from sqlalchemy.orm import Session

from sopflow.audit.anchor import _EVENT_COLUMNS, decoded
from sopflow.audit.chain import DAMAGED, decode_data
from sopflow.persistence.models import AuditEvent

#: events per page of a case's timeline
PAGE_SIZE = 50
#: the kinds whose data names the SOP step of their element (``data.step``)
_STEP_KINDS = ("task_ready", "service_run")


@dataclass(frozen=True)
class EventFilter:
    """Which events of a case a timeline page shows; an empty field does not filter.

    ``element_ids`` None means any element; an empty tuple matches nothing (a step without
    elements). ``since`` is inclusive, ``until`` exclusive; both naive UTC like ``AuditEvent.at``.
    """

    actor: str | None = None
    kinds: tuple[str, ...] = ()
    element_ids: tuple[str, ...] | None = None
    since: datetime | None = None
    until: datetime | None = None

    def clauses(self, case_id: str) -> list[Any]:
        """Return the SQL conditions of this filter for ``case_id``'s events."""
        where = [AuditEvent.case_id == case_id]
        if self.actor:
            where.append(AuditEvent.actor == self.actor)
        if self.kinds:
            where.append(AuditEvent.kind.in_(self.kinds))
        if self.element_ids is not None:
            where.append(AuditEvent.element_id.in_(self.element_ids))
        if self.since is not None:
            where.append(AuditEvent.at >= self.since)
        if self.until is not None:
            where.append(AuditEvent.at < self.until)
        return where


def event_page(
    session: Session,
    case_id: str,
    filters: EventFilter | None = None,
    *,
    page: int = 1,
    per_page: int = PAGE_SIZE,
    at_seq: int | None = None,
    at_time: datetime | None = None,
) -> dict[str, Any]:
    """Return one page of a case's events (in ``seq`` order) matching ``filters``, paged in the database.

    ``at_seq`` picks the page holding that event (or where it would be among the matches), ``at_time``
    the page holding the first matching event at or after that moment (else the last page); either
    overrides ``page``. A page number past the end gives the last page. Each event is a row as
    :func:`sopflow.audit.anchor.timeline` returns it (a damaged one carries ``damaged`` and ``data_raw``).
    Returns ``events``, ``total`` (matching events), ``page``, ``pages``, ``per_page`` and ``case_total``.
    """
    filters = filters or EventFilter()
    where = filters.clauses(case_id)
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(*where)) or 0
    pages = max(1, -(-total // per_page))
    if at_seq is not None:
        before = session.scalar(select(func.count()).select_from(AuditEvent).where(*where, AuditEvent.seq < at_seq))
        page = (before or 0) // per_page + 1
    elif at_time is not None:
        before = session.scalar(select(func.count()).select_from(AuditEvent).where(*where, AuditEvent.at < at_time))
        page = min(before or 0, max(total - 1, 0)) // per_page + 1
    page = min(max(1, page), pages)
    rows = session.execute(
        select(*_EVENT_COLUMNS).where(*where).order_by(AuditEvent.seq).offset((page - 1) * per_page).limit(per_page)
    )
    events = []
    for row in rows:
        event = decoded(dict(row._mapping))
        reason = event["data"].get(DAMAGED)
        events.append({**event, "data": {}, "damaged": reason} if reason else {**event, "damaged": None})
    case_total: int | None = total
    if where[1:]:
        case_total = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case_id))
    return {
        "events": events,
        "total": total,
        "page": page,
        "pages": pages,
        "per_page": per_page,
        "case_total": case_total or 0,
    }


def event_facets(session: Session, case_id: str) -> dict[str, Any]:
    """Return what a case's timeline can be filtered by: actors, kinds, steps (with their elements), time span.

    ``steps`` maps each SOP step number found in the events' data to the elements that carry it.
    """
    actors = session.scalars(select(AuditEvent.actor).where(AuditEvent.case_id == case_id).distinct()).all()
    kinds = session.scalars(select(AuditEvent.kind).where(AuditEvent.case_id == case_id).distinct()).all()
    first, last = session.execute(
        select(func.min(AuditEvent.at), func.max(AuditEvent.at)).where(AuditEvent.case_id == case_id)
    ).one()
    steps: dict[int, set[str]] = {}
    tasks_and_services = session.execute(
        select(AuditEvent.element_id, cast(AuditEvent.data, Text)).where(
            AuditEvent.case_id == case_id, AuditEvent.kind.in_(_STEP_KINDS), AuditEvent.element_id.is_not(None)
        )
    )
    for element_id, raw in tasks_and_services:
        data, problem = decode_data(raw)
        step = (data or {}).get("step") if problem is None else None
        if element_id is not None and str(step or "").isdigit():  # element_id: selected not null
            steps.setdefault(int(str(step)), set()).add(element_id)
    return {
        "actors": sorted(actors),
        "kinds": sorted(kinds),
        "steps": {number: sorted(elements) for number, elements in sorted(steps.items())},
        "first_at": first,
        "last_at": last,
    }
