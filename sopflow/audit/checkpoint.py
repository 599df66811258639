"""Signed checkpoints over every case's audit chain: the instance's Ed25519 key signs the heads.

A checkpoint (``audit_checkpoints``, created by ``sopflow audit checkpoint`` and by the
scheduler round) states, at one moment: the number of events and cases, the Merkle root
over every case's head ``(case_id, seq, hash)`` (``heads_root``), the heads that changed
since the previous checkpoint (``changes``, with their own Merkle root) and the SHA-256 of
the previous checkpoint's statement. The statement is signed with the instance's key,
generated once into ``<data_dir>/audit_signing_key`` (mode 0600; the public key beside it
in ``audit_signing_key.pub``). After each checkpoint the signed statement is also written
to ``<data_dir>/audit_checkpoint_latest.json``, outside the database.

Verification (:func:`check_checkpoints`) checks every signature with the key from the
data folder (never a key stored in the database), the chain of checkpoints (a removed
checkpoint in the middle is named), each ``changes`` list against its signed root, the
latest ``heads_root`` against the folded heads, and hands back every signed head so that
the event verification can require each one to still exist unchanged.

What it proves, against someone who can rewrite the database but cannot read the key
file: every event covered by a checkpoint is still there and unchanged — removing the
tail of a case, all of its events, or the whole case together with its anchor and case
row is named by the checkpoint that signed it; a forged or altered checkpoint fails its
signature; deleting the newest checkpoints is noticed through the file beside the key.
What it does not prove: anything about events written after the latest checkpoint (the
anchor and the database's privileges guard those); anything against someone who holds
the signing key (keep the data folder readable by the service account only, and copy the
public key and exported bundles elsewhere); that the clock was right.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Text, cast, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sopflow.persistence.models import AuditCheckpoint, AuditHead

CHECKPOINT_VERSION = "sopflow-checkpoint-1"
KEY_FILE = "audit_signing_key"
PUBLIC_KEY_FILE = "audit_signing_key.pub"
LATEST_FILE = "audit_checkpoint_latest.json"
#: The scheduler round signs at most this often (and only when events were added).
SCHEDULED_INTERVAL = timedelta(minutes=10)
GENESIS_PREV = hashlib.sha256(CHECKPOINT_VERSION.encode()).hexdigest()
log = logging.getLogger(__name__)

Head = tuple[str, int, str]


# -- the key ---------------------------------------------------------------------------------------
def signing_key(data_dir: Path) -> Ed25519PrivateKey:
    """Return the instance's signing key, generating it once (file mode 0600) with its public key beside it."""
    path = Path(data_dir) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process generated it meanwhile: use theirs
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
            (path.parent / PUBLIC_KEY_FILE).write_bytes(public_pem(key.public_key()))
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ValueError(f"{path} bukan kunci Ed25519")
    return loaded


def public_key(data_dir: Path) -> Ed25519PublicKey | None:
    """Return the public key of the data folder (``.pub`` file, else derived from the key), or None."""
    folder = Path(data_dir)
    if (folder / PUBLIC_KEY_FILE).exists():
        return load_public_pem((folder / PUBLIC_KEY_FILE).read_bytes())
    if (folder / KEY_FILE).exists():
        return signing_key(folder).public_key()
    return None


def public_pem(key: Ed25519PublicKey) -> bytes:
    """Return a public key as PEM (SubjectPublicKeyInfo)."""
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_public_pem(pem: bytes) -> Ed25519PublicKey:
    """Load an Ed25519 public key from PEM; raises ValueError for anything else."""
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("bukan kunci publik Ed25519")
    return key


def key_id(key: Ed25519PublicKey) -> str:
    """Return the key's fingerprint: SHA-256 of its raw 32 bytes, hex."""
    return hashlib.sha256(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).hexdigest()


# -- Merkle tree over heads ------------------------------------------------------------------------
def leaf(head: Head) -> str:
    """Return the leaf hash of one case head."""
    return hashlib.sha256(b"\x00" + f"{head[0]}:{head[1]}:{head[2]}".encode()).hexdigest()


def merkle_root(heads: list[Head]) -> str:
    """Return the Merkle root over heads sorted by case id (an odd node is carried up unchanged)."""
    level = [leaf(h) for h in sorted(heads)]
    if not level:
        return hashlib.sha256(b"").hexdigest()
    while len(level) > 1:
        level = [_node(level[i], level[i + 1]) if i + 1 < len(level) else level[i] for i in range(0, len(level), 2)]
    return level[0]


def merkle_proof(heads: list[Head], case_id: str) -> list[list[str]]:
    """Return the inclusion proof of ``case_id``'s head: ``[side, sibling hash]`` from the leaf up."""
    ordered = sorted(heads)
    index = next(i for i, h in enumerate(ordered) if h[0] == case_id)
    level, proof = [leaf(h) for h in ordered], []
    while len(level) > 1:
        sibling = index ^ 1
        if sibling < len(level):
            proof.append(["L" if sibling < index else "R", level[sibling]])
        level = [_node(level[i], level[i + 1]) if i + 1 < len(level) else level[i] for i in range(0, len(level), 2)]
        index //= 2
    return proof


def proof_root(head: Head, proof: list[list[str]]) -> str:
    """Return the root an inclusion proof leads to from ``head``."""
    digest = leaf(head)
    for side, sibling in proof:
        digest = _node(sibling, digest) if side == "L" else _node(digest, sibling)
    return digest


def _node(left: str, right: str) -> str:
    return hashlib.sha256(b"\x01" + bytes.fromhex(left) + bytes.fromhex(right)).hexdigest()


# -- statements ------------------------------------------------------------------------------------
def statement(row: AuditCheckpoint | dict[str, Any]) -> bytes:
    """Return the canonical bytes a checkpoint's signature covers."""
    fields = _fields(row)
    body = {"v": CHECKPOINT_VERSION, "number": fields.pop("id"), **fields}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def _fields(row: AuditCheckpoint | dict[str, Any]) -> dict[str, Any]:
    """Return a checkpoint's statement fields (``at`` as ISO text, ``changes`` as a count)."""
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    at, changes = get("at"), get("changes")
    return {
        "id": get("id"),
        "at": at.isoformat(timespec="microseconds") if isinstance(at, datetime) else str(at),
        "events": get("events"),
        "cases": get("cases"),
        "heads_root": get("heads_root"),
        "changes_root": get("changes_root"),
        "changes": changes if isinstance(changes, int) else len(changes or []),
        "prev": get("prev"),
        "key_id": get("key_id"),
    }


def digest_of(row: AuditCheckpoint | dict[str, Any]) -> str:
    """Return the SHA-256 of a checkpoint's statement (the next checkpoint's ``prev``)."""
    return hashlib.sha256(statement(row)).hexdigest()


def signature_ok(row: AuditCheckpoint | dict[str, Any], key: Ed25519PublicKey) -> bool:
    """Tell whether a checkpoint's signature is valid under ``key``."""
    sig = row["signature"] if isinstance(row, dict) else row.signature
    try:
        key.verify(bytes.fromhex(str(sig)), statement(row))
    except (InvalidSignature, ValueError):
        return False
    return True


def checkpoint_dict(row: AuditCheckpoint | dict[str, Any]) -> dict[str, Any]:
    """Return a checkpoint as JSON-ready data: its statement fields (``changes`` as a count) and signature."""
    signature = row["signature"] if isinstance(row, dict) else row.signature
    return {**_fields(row), "signature": signature}


# -- creating one ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Created:
    """A checkpoint just committed."""

    id: int
    events: int
    cases: int
    changes: int


def create_checkpoint(db: Any, data_dir: Path, now: datetime, min_interval: timedelta | None = None) -> Created | None:
    """Sign and store a checkpoint of every case's head, when events were added since the last one.

    ``min_interval`` (the scheduler's) also skips it while the last checkpoint is younger.
    Returns None when nothing was due or a concurrent writer took the same number.
    """
    key = signing_key(data_dir)
    try:
        with db.unit_of_work() as session:
            row = _new_checkpoint(session, key, now, min_interval)
    except IntegrityError:
        return None  # another process stored this number first
    if row is None:
        return None
    _write_latest(Path(data_dir), row)
    return Created(row.id, row.events, row.cases, len(row.changes))


def scheduled_checkpoint(db: Any, data_dir: Path, now: datetime) -> Created | None:
    """The scheduler round's checkpoint (at most every :data:`SCHEDULED_INTERVAL`); never raises on a bad key folder."""
    try:
        return create_checkpoint(db, data_dir, now, SCHEDULED_INTERVAL)
    except (OSError, ValueError) as exc:
        log.error("audit checkpoint not signed: %s", exc)
        return None


def _new_checkpoint(
    session: Session, key: Ed25519PrivateKey, now: datetime, min_interval: timedelta | None
) -> AuditCheckpoint | None:
    last = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1)).first()
    count, total = session.execute(select(func.count(), func.coalesce(func.sum(AuditHead.seq), 0))).one()
    if last is not None and (count, total) == (last.cases, last.events):
        return None
    if last is not None and min_interval is not None and now - last.at < min_interval:
        return None
    signed, _ = fold(session)
    current = {
        case: (seq, digest)
        for case, seq, digest in session.execute(select(AuditHead.case_id, AuditHead.seq, AuditHead.hash))
    }
    changes: list[list[Any]] = sorted(  # JSON arrays [case, seq, hash]
        [case, seq, digest] for case, (seq, digest) in current.items() if signed.get(case) != (seq, digest)
    )
    for case in sorted(set(signed) - set(current)):
        log.warning("audit checkpoint: anchor of case %s is gone; its signed head is kept", case)
    heads = {**signed, **{case: (seq, digest) for case, seq, digest in changes}}
    full = [(case, seq, digest) for case, (seq, digest) in heads.items()]
    public = key.public_key()
    row = AuditCheckpoint(
        id=(last.id + 1) if last else 1,
        at=now,
        events=sum(seq for _, seq, _ in full),
        cases=len(full),
        heads_root=merkle_root(full),
        changes_root=merkle_root([(case, seq, digest) for case, seq, digest in changes]),
        changes=changes,
        prev=digest_of(last) if last else GENESIS_PREV,
        key_id=key_id(public),
        signature="",
    )
    row.signature = key.sign(statement(row)).hex()
    session.add(row)
    session.flush()
    return row


def fold(session: Session) -> tuple[dict[str, tuple[int, str]], list[dict[str, Any]]]:
    """Return the signed heads after every checkpoint (``case → (seq, hash)``) and the checkpoints as dicts.

    Each dict carries ``changes`` decoded (or ``None`` with ``damaged`` when its stored JSON is unreadable).
    """
    heads: dict[str, tuple[int, str]] = {}
    rows = []
    columns = [c for c in AuditCheckpoint.__table__.columns if c.name != "changes"]
    query = select(*columns, cast(AuditCheckpoint.changes, Text).label("changes")).order_by(AuditCheckpoint.id)
    for raw in session.execute(query):
        row = dict(raw._mapping)
        changes, problem = _decode_changes(row["changes"])
        row["changes"], row["damaged"] = changes, problem
        for case, seq, digest in changes or []:
            heads[case] = (seq, digest)
        rows.append(row)
    return heads, rows


def _decode_changes(raw: Any) -> tuple[list[Head] | None, str | None]:
    try:
        changes = json.loads(raw) if isinstance(raw, str | bytes) else raw
    except (ValueError, RecursionError):
        return None, "daftar kepala tidak terbaca (bukan JSON yang sah)"
    shaped = isinstance(changes, list) and all(
        isinstance(c, list) and len(c) == 3 and isinstance(c[1], int) and not isinstance(c[1], bool) for c in changes
    )
    if not shaped:
        return None, "daftar kepala tidak berbentuk [kasus, nomor, hash]"
    return [(str(c[0]), c[1], str(c[2])) for c in changes], None


def _write_latest(data_dir: Path, row: AuditCheckpoint) -> None:
    """Keep the newest signed statement outside the database (atomic replace; never moves backwards)."""
    path = data_dir / LATEST_FILE
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("id", 0) >= row.id:
            return
    except (OSError, ValueError, AttributeError):
        pass
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(checkpoint_dict(row), indent=2), encoding="utf-8")
    os.replace(tmp, path)
