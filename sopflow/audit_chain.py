"""The hash chain of a case's audit events, and its verification.

Each event's hash covers its canonical content (case, sequence number, time, actor, kind,
task, element, data) and the previous event's hash; the first event of a case links to a
genesis value derived from the case id. Changing any byte of an event, reordering,
deleting or inserting one breaks the chain from that point on, and :func:`verify_events`
names the first event that does not match. Verification streams: memory stays flat.
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


def canonical(event: dict[str, Any], prev_hash: str) -> bytes:
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


def event_hash(event: dict[str, Any], prev_hash: str) -> str:
    """Return the SHA-256 hex digest of an event linked to ``prev_hash``."""
    return hashlib.sha256(canonical(event, prev_hash)).hexdigest()


@dataclass
class ChainReport:
    """The outcome of a verification: counts and the first problem found, if any."""

    cases: int = 0
    events: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        """Tell whether every checked chain matched."""
        return not self.problems

    def summary(self) -> str:
        """Return a one-paragraph Indonesian summary."""
        if self.intact:
            return f"Rantai audit utuh: {self.events} peristiwa pada {self.cases} kasus diperiksa."
        first = self.problems[0]
        return (
            f"Rantai audit RUSAK: {len(self.problems)} masalah; pertama pada kasus {first['case_id']} "
            f"peristiwa #{first['seq']} (id {first.get('id')}): {first['reason']}."
        )


def verify_events(events: Iterable[dict[str, Any]], stop_at_first: bool = False) -> ChainReport:
    """Verify events ordered by (case_id, seq); each dict has the event fields plus ``prev_hash``/``hash``.

    Reports, per case, the first event whose sequence number, link or hash does not match.
    """
    report = ChainReport()
    case_id: str | None = None
    expected_prev = ""
    expected_seq = 0
    broken_case = False
    for event in events:
        report.events += 1
        if event["case_id"] != case_id:
            case_id, expected_prev, expected_seq, broken_case = event["case_id"], genesis(event["case_id"]), 1, False
            report.cases += 1
        if broken_case:
            continue
        reason = _mismatch(event, expected_seq, expected_prev)
        if reason:
            report.problems.append({"case_id": case_id, "seq": event["seq"], "id": event.get("id"), "reason": reason})
            broken_case = True
            if stop_at_first:
                break
            continue
        expected_prev, expected_seq = event["hash"], expected_seq + 1
    return report


def _mismatch(event: dict[str, Any], expected_seq: int, expected_prev: str) -> str | None:
    if event["seq"] != expected_seq:
        return f"nomor urut {event['seq']}, seharusnya {expected_seq} (peristiwa hilang, disisipkan atau ditukar)"
    if event.get("prev_hash") != expected_prev:
        return "tautan ke peristiwa sebelumnya tidak cocok (peristiwa sebelumnya diubah, dihapus atau ditukar)"
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
