"""Bearer tokens for the REST API. Only the token's SHA-256 is stored; the plain token is shown once.

A token expires (``expires_at``, default :data:`DEFAULT_DAYS` days after issue) and can be
revoked; its use is recorded in ``last_used_at`` (at most once a minute). The owner lists
and revokes their own tokens on ``/profil/token``; administrators use
``sopflow users tokens`` and ``sopflow users revoke-token``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sopflow.errors import InvalidForm, NotFound
from sopflow.persistence.models import ApiToken, User

PREFIX = "sfw_"
DEFAULT_DAYS = 90
MAX_DAYS = 3650
LAST_USED_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often per token

#: why a presented token was refused, in the words the API answers with
REFUSALS = {
    "unknown": "Token API tidak sah.",
    "expired": "Token API sudah kedaluwarsa; minta token baru kepada admin.",
    "revoked": "Token API sudah dicabut.",
    "inactive": "Pengguna pemilik token API ini tidak aktif.",
}


@dataclass(frozen=True)
class TokenCheck:
    """The result of :func:`check_token`: the user, or why the token is refused (a key of :data:`REFUSALS`)."""

    user: User | None
    refusal: str | None = None
    token_id: int | None = None
    last_used_at: datetime | None = None

    @property
    def message(self) -> str:
        """The refusal in Indonesian ('' when the token is valid)."""
        return REFUSALS.get(self.refusal or "", "")

    def use_to_record(self, now: datetime) -> bool:
        """Tell whether a valid token's use at ``now`` should be written (:func:`record_use`)."""
        return self.user is not None and (self.last_used_at is None or now - self.last_used_at >= LAST_USED_EVERY)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, username: str, days: int = DEFAULT_DAYS, now: datetime | None = None) -> str:
    """Create a token for an active user, valid ``days`` days, and return it (it cannot be shown again).

    Raises NotFound for an unknown or inactive user, InvalidForm for ``days`` outside 1–3650.
    """
    if not 1 <= days <= MAX_DAYS:
        raise InvalidForm(
            "Masa berlaku token belum benar.", [{"field": "days", "message": f"Harus 1–{MAX_DAYS} hari."}]
        )
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise NotFound(f"Pengguna {username!r} tidak ditemukan atau tidak aktif.", user=username)
    moment = now or _now()
    token = PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            user_id=user.id,
            token_sha256=_digest(token),
            created_at=moment,
            expires_at=moment + timedelta(days=days),
            revoked=False,
        )
    )
    session.flush()
    return token


def check_token(session: Session, token: str, now: datetime | None = None) -> TokenCheck:
    """Resolve a presented token: its active user, or why it is refused (unknown, expired, revoked, inactive)."""
    if not token or not token.startswith(PREFIX):
        return TokenCheck(None, "unknown")
    row = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == _digest(token)))
    if row is None:
        return TokenCheck(None, "unknown")
    moment = now or _now()
    if row.revoked:
        return TokenCheck(None, "revoked")
    if row.expires_at is None or row.expires_at <= moment:
        return TokenCheck(None, "expired")
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return TokenCheck(None, "inactive")
    return TokenCheck(user, None, row.id, row.last_used_at)


def record_use(session: Session, token_id: int, now: datetime | None = None) -> None:
    """Write ``last_used_at`` of a token (a write session; skipped when written less than a minute ago)."""
    row = session.get(ApiToken, token_id)
    moment = now or _now()
    if row is not None and (row.last_used_at is None or moment - row.last_used_at >= LAST_USED_EVERY):
        row.last_used_at = moment


def user_for_token(session: Session, token: str, now: datetime | None = None) -> User | None:
    """Return the active user a valid (known, unexpired, unrevoked) token belongs to, else None."""
    return check_token(session, token, now).user


def list_tokens(session: Session, username: str, now: datetime | None = None) -> list[dict[str, Any]]:
    """Return a user's tokens, newest first: id, created, last used, expires, revoked and a status word."""
    moment = now or _now()
    rows = session.scalars(
        select(ApiToken)
        .join(User, ApiToken.user_id == User.id)
        .where(User.username == username)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ).all()
    return [_describe(row, username, moment) for row in rows]


def revoke_token(session: Session, token_id: int, username: str | None = None, now: datetime | None = None) -> bool:
    """Revoke one token by id; with ``username`` only that user's own token (else NotFound).

    Return False when it was already revoked.
    """
    query = select(ApiToken).where(ApiToken.id == token_id)
    if username is not None:
        query = query.join(User, ApiToken.user_id == User.id).where(User.username == username)
    row = session.scalar(query)
    if row is None:
        raise NotFound(f"Token API #{token_id} tidak ditemukan.", token=token_id)
    if row.revoked:
        return False
    row.revoked = True
    row.revoked_at = now or _now()
    return True


def revoke_tokens(session: Session, username: str, now: datetime | None = None) -> int:
    """Revoke every token of a user; return how many were active."""
    tokens = session.scalars(
        select(ApiToken)
        .join(User, ApiToken.user_id == User.id)
        .where(User.username == username, ApiToken.revoked.is_(False))
    ).all()
    for token in tokens:
        token.revoked = True
        token.revoked_at = now or _now()
    return len(tokens)


def _describe(row: ApiToken, username: str, now: datetime) -> dict[str, Any]:
    if row.revoked:
        status = "dicabut"
    elif row.expires_at is None or row.expires_at <= now:
        status = "kedaluwarsa"
    else:
        status = "aktif"
    return {
        "id": row.id,
        "username": username,
        "created_at": row.created_at,
        "last_used_at": row.last_used_at,
        "expires_at": row.expires_at,
        "revoked": row.revoked,
        "revoked_at": row.revoked_at,
        "status": status,
    }


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
