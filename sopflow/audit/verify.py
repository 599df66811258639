"""Verify the whole audit record: every case's hash chain, its anchor, and the signed checkpoints.

:func:`verify_database` is what ``sopflow audit verify`` and the auditor's integrity panels
run. It never raises on damaged data: an event whose JSON cannot be read is a named
problem (id and seq) and the check goes on. What each layer proves and does not is
documented in :mod:`sopflow.audit.chain`, :mod:`sopflow.audit.anchor` and
:mod:`sopflow.audit.checkpoint`.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from sopflow.audit.anchor import check_anchors, decoded, event_rows
from sopflow.audit.chain import ChainReport, verify_events
from sopflow.audit.checkpoint import (
    GENESIS_PREV,
    LATEST_FILE,
    digest_of,
    fold,
    key_id,
    merkle_root,
    public_key,
    signature_ok,
)
from sopflow.errors import NotFound
from sopflow.persistence.models import AuditEvent, AuditHead, Case


def verify_database(
    session: Session, data_dir: Path | None, case_id: str | None = None, trust_roots: tuple[Path, ...] = ()
) -> ChainReport:
    """Check chains, anchors and checkpoints (signatures with the key of ``data_dir``); one case or all.

    With ``data_dir`` it also checks every electronically signed document the record names
    (:mod:`sopflow.signing.verify`: integrity, registered certificate, chain to ``trust_roots``).
    Raises NotFound for a case that neither the database nor any checkpoint knows.
    """
    signed, rows = fold(session)
    known = (
        case_id is None
        or case_id in signed
        or session.get(Case, case_id) is not None
        or session.get(AuditHead, case_id) is not None
    )
    if not known:
        raise NotFound(f"Kasus {case_id} tidak ditemukan.", case=case_id)
    problems: list[dict[str, Any]] = []
    key = public_key(data_dir) if data_dir is not None else None
    check_checkpoints(rows, signed, key, data_dir, problems)
    expected: dict[tuple[str, int], tuple[str, int]] = {}
    for row in rows:
        for case, seq, digest in row["changes"] or []:
            if case_id in (None, case):
                expected.setdefault((case, seq), (digest, row["id"]))
    report = verify_events(event_rows(session, case_id), expected=expected)
    report.problems[:0] = problems
    report.checkpoints = len(rows)
    check_anchors(session, report, case_id)
    _missing_signed(report, expected, signed)
    if data_dir is not None:
        check_signed_documents(session, report, data_dir / "files", case_id, trust_roots)
    return report


def check_signed_documents(
    session: Session, report: ChainReport, files_dir: Path, case_id: str | None, trust_roots: tuple[Path, ...]
) -> None:
    """Add a problem, naming the document, for each signed document that fails :func:`check_signed_events`."""
    from sopflow.signing import certificates
    from sopflow.signing.verify import SIGNED_EVENT, check_signed_events, load_trust_roots

    query = select(AuditEvent).where(AuditEvent.kind == SIGNED_EVENT).order_by(AuditEvent.case_id, AuditEvent.seq)
    if case_id:
        query = query.where(AuditEvent.case_id == case_id)
    events = [
        decoded({c: getattr(row, c) for c in ("id", "case_id", "seq", "at", "actor", "kind", "data")})
        for row in session.scalars(query)
    ]
    if not events:
        return

    def read(sha256: str) -> bytes | None:
        path = files_dir / sha256[:2] / sha256
        return path.read_bytes() if len(sha256) == 64 and path.is_file() else None  # as stored now, unchecked

    def registered(username: str, digest: str, moment: datetime) -> bool:
        return certificates.registered_at(session, username, digest, moment) is not None

    try:
        roots = load_trust_roots(trust_roots)
    except (OSError, ValueError) as exc:
        report.problems.append({"case_id": "-", "seq": 0, "id": None, "reason": f"SIGNING_TRUST_ROOTS: {exc}"})
        roots = []
    for case, seq, reason in check_signed_events(events, read, roots, registered):
        report.problems.append({"case_id": case, "seq": seq, "id": None, "reason": reason})


def check_checkpoints(
    rows: list[dict[str, Any]],
    signed: dict[str, tuple[int, str]],
    key: Ed25519PublicKey | None,
    data_dir: Path | None,
    problems: list[dict[str, Any]],
) -> None:
    """Check numbering and links, signatures, change roots, the latest heads root and the copy outside the database."""

    def problem(number: int, reason: str) -> None:
        problems.append(
            {"case_id": "-", "seq": 0, "id": None, "checkpoint": number, "reason": f"checkpoint #{number}: {reason}"}
        )

    if rows and key is None:
        problem(
            rows[-1]["id"],
            f"kunci publik tidak ditemukan di folder data ({data_dir}); tanda tangan tidak dapat diperiksa",
        )
    prev, number = GENESIS_PREV, 1
    for row in rows:
        if row["id"] != number:
            missing = f"#{number}" if row["id"] == number + 1 else f"#{number}–#{row['id'] - 1}"
            problem(row["id"], f"checkpoint {missing} sebelumnya hilang dari basis data")
        elif row["prev"] != prev:
            problem(row["id"], "tautan ke checkpoint sebelumnya tidak cocok (checkpoint sebelumnya diubah)")
        if key is not None and row["key_id"] != key_id(key):
            problem(row["id"], f"ditandatangani kunci lain (sidik jari {row['key_id'][:16]}…), bukan kunci instans ini")
        elif key is not None and not signature_ok(_statement_fields(row), key):
            problem(row["id"], "tanda tangan tidak sah (checkpoint diubah atau dipalsukan)")
        if row["damaged"]:
            problem(row["id"], row["damaged"])
        elif merkle_root(row["changes"]) != row["changes_root"]:
            problem(row["id"], "daftar kepala yang berubah tidak cocok dengan akar yang ditandatangani")
        prev, number = digest_of(_statement_fields(row)), row["id"] + 1
    if rows and not any(r["damaged"] for r in rows):
        last, heads = rows[-1], [(case, seq, digest) for case, (seq, digest) in signed.items()]
        if (merkle_root(heads), sum(h[1] for h in heads), len(heads)) != (
            last["heads_root"],
            last["events"],
            last["cases"],
        ):
            problem(last["id"], "akar kepala seluruh kasus tidak cocok dengan daftar perubahan checkpoint")
    _check_outside_copy(rows, data_dir, problem)


def _statement_fields(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "changes": row["changes"] or []}


def _check_outside_copy(rows: list[dict[str, Any]], data_dir: Path | None, problem: Any) -> None:
    """Compare the newest checkpoint kept beside the key with the database's copy of it."""
    path = Path(data_dir) / LATEST_FILE if data_dir is not None else None
    if path is None or not path.exists():
        return
    try:
        outside = json.loads(path.read_text(encoding="utf-8"))
        number = int(outside["id"])
    except (OSError, ValueError, KeyError, TypeError):
        problem(0, f"salinan checkpoint terakhir di {path} tidak terbaca")
        return
    stored = next((r for r in rows if r["id"] == number), None)
    if stored is None:
        problem(number, f"tercatat di {path.name} (di luar basis data) tetapi hilang dari basis data")
    elif stored["signature"] != outside.get("signature"):
        problem(number, f"berbeda dari salinannya di {path.name} (di luar basis data)")


def _missing_signed(
    report: ChainReport, expected: dict[tuple[str, int], tuple[str, int]], signed: dict[str, tuple[int, str]]
) -> None:
    """Name the signed events that are no longer stored, per case (the lowest missing one and its checkpoint)."""
    by_case: dict[str, list[tuple[int, int]]] = {}
    for (case, seq), (_digest, number) in expected.items():
        by_case.setdefault(case, []).append((seq, number))
    for case, missing in sorted(by_case.items()):
        seq, number = min(missing)
        if case not in report.tails:
            reason = (
                f"kasus yang ditandatangani checkpoint #{number} dengan {signed.get(case, (seq, ''))[0]} peristiwa "
                "hilang seluruhnya (peristiwa, jangkar atau baris kasusnya dihapus)"
            )
        else:
            last = max(s for s, _ in missing)
            span = f"#{seq}" if seq == last else f"#{seq}–#{last}"
            reason = f"peristiwa {span} yang ditandatangani checkpoint #{number} tidak ada lagi"
        report.problems.append({"case_id": case, "seq": seq, "id": None, "reason": reason})
