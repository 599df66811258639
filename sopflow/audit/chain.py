"""The hash chain of a case's audit events, and its verification.

Each event's hash covers its canonical content (case, sequence number, time, actor, kind,
task, element, data) and the previous event's hash; the first event of a case links to a
genesis value derived from the case id. Changing any byte of an event, reordering,
deleting or inserting one breaks the chain from that point on, and :func:`verify_events`
names the first event that does not match. An event whose stored data cannot be decoded is
named as damaged and the check goes on from its stored hash. Verification streams: memory
stays flat except for one ``(seq, hash)`` per case (``ChainReport.tails``).

A chain alone cannot show that its *last* events, or all of them, were removed: the anchor
of each case (:mod:`sopflow.audit.anchor`) and the signed checkpoints
(:mod:`sopflow.audit.checkpoint`) do that; :mod:`sopflow.audit.verify` puts them together.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

CHAIN_VERSION = "sopflow-audit-1"


def genesis(case_id: str) -> str:
    """Return the hash the first event of a case links to."""
    return hashlib.sha256(f"{CHAIN_VERSION}:{case_id}".encode()).hexdigest()


def canonical(event: dict[str, Any], prev_hash: str | None) -> bytes:
    """Return the canonical bytes hashed for an event (sorted keys, no spaces, UTF-8)."""
    at = event["at"]
    body = {
        "v": CHAIN_VERSION,
        "case_id": event["case_id"],
        "seq": event["seq"],
        "at": at.isoformat(timespec="microseconds") if isinstance(at, datetime) else str(at),
        "actor": event["actor"],
        "kind": event["kind"],
        "task_id": event.get("task_id"),
        "element_id": event.get("element_id"),
        "data": event.get("data") or {},
        "prev": prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def event_hash(event: dict[str, Any], prev_hash: str | None) -> str:
    """Return the SHA-256 hex digest of an event linked to ``prev_hash``."""
    return hashlib.sha256(canonical(event, prev_hash)).hexdigest()


#: Marks an event whose stored data could not be decoded (see :func:`decode_data`).
DAMAGED = "_sopflow_damaged"


def decode_data(raw: Any) -> tuple[dict[str, Any] | None, str | None]:
    """Return ``(data, None)`` for an event's stored data, or ``(None, reason)`` when it is damaged.

    ``raw`` is the column as text (SQLite keeps JSON as TEXT, where one changed byte makes
    it invalid) or an already decoded value (PostgreSQL's JSONB only holds valid JSON, but
    it may be of the wrong shape). Event data is always a JSON object.
    """
    value = raw
    if isinstance(raw, bytes | bytearray):
        raw = raw.decode("utf-8", errors="replace")
    if isinstance(raw, str):
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            where = f" ({exc.msg}, posisi {exc.pos})" if isinstance(exc, json.JSONDecodeError) else ""
            return None, f"data peristiwa bukan JSON yang sah{where}"
    if value is None:
        return {}, None
    if not isinstance(value, dict):
        return None, f"data peristiwa bukan objek JSON (berjenis {type(value).__name__})"
    return value, None


@dataclass
class ChainReport:
    """The outcome of a verification: counts and the problems found, if any.

    ``tails`` maps each case seen to ``(seq, hash)`` of its last event as stored (filled by
    :func:`verify_events`); ``checkpoints`` counts signed checkpoints checked, ``key_id`` is
    the fingerprint of the key that signed them when the report comes from a bundle.
    """

    cases: int = 0
    events: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)
    # (seq, hash) of each case's last event as the event carries them (a bundle's event may lack either)
    tails: dict[str, tuple[Any, Any]] = field(default_factory=dict, repr=False)
    checkpoints: int = 0
    key_id: str | None = None

    @property
    def intact(self) -> bool:
        """Tell whether every checked chain matched."""
        return not self.problems

    def summary(self) -> str:
        """Return a one-paragraph Indonesian summary."""
        if self.intact:
            signed = f"; {self.checkpoints} checkpoint bertanda tangan cocok" if self.checkpoints else ""
            signed += f" (sidik jari kunci {self.key_id})" if self.key_id else ""
            return f"Rantai audit utuh: {self.events} peristiwa pada {self.cases} kasus diperiksa{signed}."
        return f"Rantai audit RUSAK: {len(self.problems)} masalah; pertama {describe(self.problems[0])}."


def describe(problem: dict[str, Any]) -> str:
    """Return one problem as an Indonesian phrase naming the case, the event (and its id) and the reason."""
    if problem.get("case_id") in (None, "-"):
        return f"pada {problem['reason']}" if problem.get("checkpoint") else f"pada bukti: {problem['reason']}"
    ident = f" (id {problem['id']})" if problem.get("id") is not None else ""
    return f"pada kasus {problem['case_id']} peristiwa #{problem['seq']}{ident}: {problem['reason']}"


def verify_events(
    events: Iterable[dict[str, Any]],
    stop_at_first: bool = False,
    expected: dict[tuple[str, int], tuple[str, int]] | None = None,
) -> ChainReport:
    """Verify events ordered by (case_id, seq); each dict has the event fields plus ``prev_hash``/``hash``.

    Reports, per case, the first event whose sequence number, link or hash does not match.
    An event whose data is damaged (``data`` carrying :data:`DAMAGED`, or fields missing)
    is reported by its id and seq and the check goes on from its stored hash. ``expected``
    maps ``(case_id, seq)`` to ``(hash, checkpoint number)``: each matched event is removed
    from it (what remains was signed but is gone), a different hash is reported.
    """
    report = ChainReport()
    case_id: str | None = None
    expected_prev: str | None = ""  # None after a damaged event without a stored hash
    expected_seq = 0
    broken_case = False
    for event in events:
        report.events += 1
        if event.get("case_id") != case_id:
            case_id, expected_seq, broken_case = event.get("case_id"), 1, False
            expected_prev = genesis(str(case_id))
            report.cases += 1
        report.tails[str(case_id)] = (event.get("seq"), event.get("hash"))
        if expected:
            _check_signed(report, event, expected)
        if broken_case:
            continue
        try:
            reason = _mismatch(event, expected_seq, expected_prev)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            reason = f"peristiwa tidak dapat diperiksa ({type(exc).__name__}: {exc})"
        if reason:
            report.problems.append(
                {"case_id": case_id, "seq": event.get("seq"), "id": event.get("id"), "reason": reason}
            )
            damaged_only = isinstance(event.get("data"), dict) and DAMAGED in event["data"]
            if stop_at_first:
                break
            if damaged_only and event.get("seq") == expected_seq and event.get("prev_hash") == expected_prev:
                expected_prev, expected_seq = event.get("hash"), expected_seq + 1  # go on from its stored hash
            else:
                broken_case = True
            continue
        expected_prev, expected_seq = event["hash"], expected_seq + 1
    return report


def _check_signed(report: ChainReport, event: dict[str, Any], expected: dict[tuple[str, int], tuple[str, int]]) -> None:
    key: tuple[Any, Any] = (event.get("case_id"), event.get("seq"))  # either may be missing: then no match
    signed = expected.pop(key, None)
    if signed is not None and signed[0] != event.get("hash"):
        report.problems.append(
            {
                "case_id": event.get("case_id"),
                "seq": event.get("seq"),
                "id": event.get("id"),
                "reason": f"hash peristiwa berbeda dari yang ditandatangani checkpoint #{signed[1]} "
                "(rantai kasus ditulis ulang)",
            }
        )


def _mismatch(event: dict[str, Any], expected_seq: int, expected_prev: str | None) -> str | None:
    if event["seq"] != expected_seq:
        return f"nomor urut {event['seq']}, seharusnya {expected_seq} (peristiwa hilang, disisipkan atau ditukar)"
    if event.get("prev_hash") != expected_prev:
        return "tautan ke peristiwa sebelumnya tidak cocok (peristiwa sebelumnya diubah, dihapus atau ditukar)"
    data = event.get("data")
    if isinstance(data, dict) and DAMAGED in data:
        return f"peristiwa rusak: {data[DAMAGED]}"
    if data is not None and not isinstance(data, dict):
        return f"peristiwa rusak: data peristiwa bukan objek JSON (berjenis {type(data).__name__})"
    if event_hash(event, expected_prev) != event.get("hash"):
        return "isi peristiwa tidak cocok dengan hash-nya (isi, waktu atau pelaku diubah)"
    return None


def chain(events: Iterable[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    """Yield ``(prev_hash, hash)`` for events of ONE case given in sequence order (used to build a chain)."""
    prev = None
    for event in events:
        prev = prev or genesis(event["case_id"])
        digest = event_hash(event, prev)
        yield prev, digest
        prev = digest
