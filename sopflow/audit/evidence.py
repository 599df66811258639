"""The anchoring part of a case's evidence bundle: its anchor, the checkpoint that signed it, the public key.

:func:`anchor_members` adds to the bundle ``anchor.json`` (the case's head as the database
keeps it), ``checkpoint.json`` (the latest checkpoint whose changes include the case, with
the Merkle proof that links the case's head to the signed ``changes_root``) and
``audit_signing_key.pub``. :func:`check_anchor_members` verifies them offline.

Everything inside a bundle can be rebuilt by whoever forges the bundle, except the
signature: so the offline check also prints the key's fingerprint, and ``--key`` compares
it with a public key the auditor obtained separately. A valid checkpoint proves that the
case had at least the signed events, unchanged, when it was signed; events after that
checkpoint are vouched for only by the chain and the anchor.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from sopflow.audit.checkpoint import (
    PUBLIC_KEY_FILE,
    checkpoint_dict,
    fold,
    key_id,
    load_public_pem,
    merkle_proof,
    proof_root,
    public_key,
    public_pem,
    signature_ok,
)
from sopflow.persistence.models import AuditHead

ANCHOR_FILE = "anchor.json"
CHECKPOINT_FILE = "checkpoint.json"


def anchor_members(session: Session, case_id: str, data_dir: Path | None) -> dict[str, bytes]:
    """Return the bundle members that anchor the case (none that do not exist)."""
    members: dict[str, bytes] = {}
    head = session.get(AuditHead, case_id)
    if head is not None:
        anchor = {"case_id": case_id, "seq": head.seq, "hash": head.hash, "updated_at": head.updated_at.isoformat()}
        members[ANCHOR_FILE] = json.dumps(anchor, indent=2).encode()
    key = public_key(data_dir) if data_dir is not None else None
    if key is None:
        return members
    covering = next((row for row in reversed(fold(session)[1]) if _head_in(row, case_id)), None)
    if covering is not None:
        head_signed = next(list(c) for c in covering["changes"] if c[0] == case_id)
        document = {
            "checkpoint": checkpoint_dict(covering),
            "head": head_signed,
            "proof": merkle_proof(covering["changes"], case_id),
        }
        members[CHECKPOINT_FILE] = json.dumps(document, indent=2).encode()
    members[PUBLIC_KEY_FILE] = public_pem(key)
    return members


def signature_problems(contents: dict[str, bytes], events: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """Check the electronically signed documents of a bundle (:mod:`sopflow.signing.verify`), offline.

    The signer's certificate is compared with the fingerprint the (hash-chained) event
    recorded; its chain is judged against ``SIGNING_TRUST_ROOTS`` when that is configured here.
    """
    from sopflow.errors import DeploymentError
    from sopflow.settings import Settings
    from sopflow.signing.verify import check_signed_events, load_trust_roots

    if not any(e.get("kind") == "document_signed" for e in events):
        return []
    problems: list[tuple[int, str]] = []
    try:
        roots = load_trust_roots(Settings.from_env().signing_trust_roots)
    except (DeploymentError, OSError, ValueError) as exc:
        problems.append((0, f"SIGNING_TRUST_ROOTS tidak terbaca: {exc}"))
        roots = []
    found = check_signed_events(events, lambda sha256: contents.get(f"documents/{sha256}"), roots)
    return problems + [(seq, reason) for _case, seq, reason in found]


def _head_in(row: dict[str, Any], case_id: str) -> bool:
    return any(c[0] == case_id for c in row["changes"] or [])


def check_anchor_members(
    contents: dict[str, bytes], events: list[dict[str, Any]], case_id: str, trusted_key: bytes | None = None
) -> tuple[list[tuple[int, str]], str | None]:
    """Verify the anchor and the signed checkpoint of a bundle against its events.

    Returns ``(problems as (seq, reason), fingerprint of the key that signed)``.
    ``trusted_key`` (PEM) must then be the key that signed.
    """
    problems: list[tuple[int, str]] = signature_problems(contents, events)
    last = (events[-1].get("seq"), events[-1].get("hash")) if events else (0, None)
    by_seq = {e.get("seq"): e.get("hash") for e in events}
    try:
        if ANCHOR_FILE in contents:
            anchor = json.loads(contents[ANCHOR_FILE])
            if (anchor.get("seq"), anchor.get("hash")) != last:
                if isinstance(anchor.get("seq"), int) and anchor["seq"] > (last[0] or 0):
                    missing = f"#{(last[0] or 0) + 1}–#{anchor['seq']}"
                    problems.append((anchor["seq"], f"peristiwa {missing} tidak ada di bundel (jangkar mencatatnya)"))
                else:
                    problems.append((last[0] or 0, "jangkar kasus tidak cocok dengan peristiwa terakhir di bundel"))
        if CHECKPOINT_FILE not in contents:
            return problems, None
        document = json.loads(contents[CHECKPOINT_FILE])
        checkpoint, head, proof = document["checkpoint"], document["head"], document["proof"]
        key = load_public_pem(trusted_key or contents[PUBLIC_KEY_FILE])
    except (KeyError, ValueError, TypeError) as exc:
        problems.append((0, f"jangkar atau checkpoint di bundel tidak terbaca ({type(exc).__name__}: {exc})"))
        return problems, None
    number = checkpoint.get("id")
    fingerprint = key_id(key)
    if trusted_key is not None and PUBLIC_KEY_FILE in contents and contents[PUBLIC_KEY_FILE] != public_pem(key):
        problems.append((0, "kunci publik di bundel bukan kunci yang dipercaya (--key)"))
    if checkpoint.get("key_id") != fingerprint or not signature_ok(checkpoint, key):
        problems.append((0, f"tanda tangan checkpoint #{number} tidak sah untuk kunci {fingerprint[:16]}…"))
    if head[0] != case_id or proof_root((head[0], head[1], head[2]), proof) != checkpoint.get("changes_root"):
        problems.append((0, f"kepala kasus tidak termuat dalam checkpoint #{number} (bukti Merkle tidak cocok)"))
    elif by_seq.get(head[1]) != head[2]:
        problems.append(
            (head[1], f"peristiwa #{head[1]} yang ditandatangani checkpoint #{number} hilang atau berubah di bundel")
        )
    return problems, fingerprint
