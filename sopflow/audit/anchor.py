"""The anchor of each case's audit chain, and reading events so that damaged rows cannot stop a check.

A hash chain shows an edit, insertion or removal *inside* a case's events, but not that its
last events — or all of them — were removed: the shortened chain is still a valid chain.
Every command therefore keeps one row per case in ``audit_heads`` (seq and hash of the
newest event), written by :meth:`sopflow.audit.records.AuditLog.write` in the same transaction as
the events; the next command takes its "previous hash" from that row (locked, so two
writers cannot both extend the same head). :func:`check_anchors` compares each chain with
its anchor and names a cut-off tail (with the missing range), a case whose events are all
gone, events added without the application, and a missing anchor.

What this proves: someone who can delete audit events but not rewrite ``audit_heads``
(e.g. an operator who switched the append-only triggers off for ``audit_events`` only)
is caught. What it does not: someone who can write both tables (the table owner or a
superuser) can cut a tail and lower the anchor in the same breath. Against that, the
signed checkpoints of :mod:`sopflow.audit.checkpoint` cover every event up to the latest
checkpoint; events written after it are protected only by the database's privileges.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from typing import cast as typed

from sqlalchemy import Table, Text, bindparam, cast, insert, select, update
from sqlalchemy.orm import Session

from sopflow.audit.chain import DAMAGED, ChainReport, decode_data, genesis
from sopflow.persistence.models import AuditEvent, AuditHead, Case

_EVENT_COLUMNS = (
    AuditEvent.id,
    AuditEvent.case_id,
    AuditEvent.seq,
    AuditEvent.at,
    AuditEvent.actor,
    AuditEvent.kind,
    AuditEvent.task_id,
    AuditEvent.element_id,
    cast(AuditEvent.data, Text).label("data"),  # raw text: invalid JSON must not stop the reader
    AuditEvent.prev_hash,
    AuditEvent.hash,
)


def lock_head(session: Session, case_id: str) -> tuple[bool, int, str]:
    """Return whether the case has an anchor (locked ``FOR UPDATE`` on PostgreSQL), its seq and head hash.

    Without an anchor (a case whose first events are being written) the last stored event
    is used, or the genesis value for a new case. Plain rows, not ORM objects: this runs in
    every command, and the anchor is only read here and moved by :func:`advance_head`.
    """
    head = session.execute(_HEAD_FOR_UPDATE, {"case_id": case_id}).first()
    if head is not None:
        return True, head.seq, head.hash
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash)
        .where(AuditEvent.case_id == case_id)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).first()
    return False, *((last[0], last[1]) if last else (0, genesis(case_id)))


def advance_head(session: Session, exists: bool, case_id: str, seq: int, digest: str, now: datetime) -> None:
    """Move (or create) the case's anchor to ``seq``/``digest``; no commit."""
    if exists:
        session.execute(_HEAD_UPDATE, {"anchor_case": case_id, "new_seq": seq, "new_hash": digest, "at": now})
    else:
        values = {"case_id": case_id, "seq": seq, "hash": digest, "updated_at": now}
        session.execute(insert(_HEADS), values)


_HEAD_FOR_UPDATE = (
    select(AuditHead.seq, AuditHead.hash).where(AuditHead.case_id == bindparam("case_id")).with_for_update()
)
# on the table, not the ORM entity: an ORM UPDATE first looks for the rows among loaded objects
_HEADS = typed(Table, AuditHead.__table__)
_HEAD_UPDATE = (
    update(_HEADS)
    .where(_HEADS.c.case_id == bindparam("anchor_case"))
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"), updated_at=bindparam("at"))
)


def event_rows(session: Session, case_id: str | None = None) -> Iterator[dict[str, Any]]:
    """Yield audit events ordered by (case_id, seq), streaming; damaged data never raises.

    ``data`` is the decoded JSON object, or ``{DAMAGED: reason}`` with the stored text in
    ``data_raw`` when it is not valid JSON (SQLite keeps it as TEXT) or not an object.
    """
    query = select(*_EVENT_COLUMNS).order_by(AuditEvent.case_id, AuditEvent.seq)
    if case_id:
        query = query.where(AuditEvent.case_id == case_id)
    for row in session.execute(query.execution_options(yield_per=1000)):
        yield decoded(dict(row._mapping))


def decoded(event: dict[str, Any]) -> dict[str, Any]:
    """Replace an event's raw ``data`` by its decoded object, or mark it damaged (see :func:`event_rows`)."""
    data, problem = decode_data(event.get("data"))
    if problem is None:
        return {**event, "data": data}
    return {**event, "data": {DAMAGED: problem}, "data_raw": str(event.get("data"))}


def timeline(session: Session, case_id: str) -> list[dict[str, Any]]:
    """Return a case's events in order for the audit pages; a damaged event carries ``damaged`` (the reason).

    Its ``data`` is then ``{}`` so that pages render, and ``data_raw`` holds what is stored.
    """
    rows = []
    for event in event_rows(session, case_id):
        reason = event["data"].get(DAMAGED)
        rows.append({**event, "data": {}, "damaged": reason} if reason else {**event, "damaged": None})
    return rows


def check_anchors(session: Session, report: ChainReport, case_id: str | None = None) -> None:
    """Compare each case's chain (``report.tails``) with its anchor and with the case rows; add problems.

    Named: events missing at the end of a chain (the range), a case whose events are all
    gone, events the anchor does not know, a head hash that differs, a missing anchor, and
    a case row without any event or anchor.
    """
    heads_query = select(AuditHead.case_id, AuditHead.seq, AuditHead.hash)
    cases_query = select(Case.id)
    if case_id:
        heads_query, cases_query = (
            heads_query.where(AuditHead.case_id == case_id),
            cases_query.where(Case.id == case_id),
        )
    heads = {row[0]: (row[1], row[2]) for row in session.execute(heads_query)}

    def problem(case: str, seq: int, reason: str, event_id: int | None = None) -> None:
        report.problems.append({"case_id": case, "seq": seq, "id": event_id, "reason": reason})

    for case, (seq, digest) in sorted(heads.items()):
        tail = report.tails.get(case)
        if tail is None:
            problem(
                case, 1, f"semua peristiwa kasus hilang: jangkar kasus mencatat {seq} peristiwa, tidak ada yang tersisa"
            )
        elif tail[0] < seq:
            problem(
                case,
                tail[0] + 1,
                f"{_span(tail[0] + 1, seq)} hilang: jangkar kasus mencatat {seq} peristiwa, yang tersimpan berakhir "
                f"di #{tail[0]} (ekor rantai dipotong)",
            )
        elif tail[0] > seq:
            problem(
                case,
                seq + 1,
                f"{_span(seq + 1, tail[0])} tidak tercatat di jangkar kasus (ditambahkan di luar aplikasi, "
                "atau jangkar diubah)",
            )
        elif tail[1] != digest:
            problem(case, seq, "hash peristiwa terakhir tidak cocok dengan jangkar kasus (peristiwa ditulis ulang)")
    for case in sorted(set(report.tails) - set(heads)):
        problem(case, report.tails[case][0], "jangkar kasus (audit_heads) hilang: baris jangkarnya dihapus")
    for case in sorted(set(session.scalars(cases_query)) - set(heads) - set(report.tails)):
        problem(case, 1, "kasus tanpa peristiwa audit")


def _span(first: int, last: int) -> str:
    return f"peristiwa #{first}" if first == last else f"peristiwa #{first}–#{last}"
