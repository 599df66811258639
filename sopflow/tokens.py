"""Bearer tokens for the REST API. Only the token's SHA-256 is stored; the plain token is shown once."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import NotFound
from .models import ApiToken, User

PREFIX = "sfw_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, username: str) -> str:
    """Create a new token for an active user and return it (store it: it cannot be shown again)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise NotFound(f"Pengguna {username!r} tidak ditemukan atau tidak aktif.", user=username)
    token = PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_sha256=_digest(token), created_at=_now(), revoked=False))
    session.flush()
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """Return the active user a valid, unrevoked token belongs to, else None."""
    if not token or not token.startswith(PREFIX):
        return None
    row = session.scalar(
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_sha256 == _digest(token), ApiToken.revoked.is_(False), User.active.is_(True))
    )
    return row


def revoke_tokens(session: Session, username: str) -> int:
    """Revoke every token of a user; return how many were active."""
    tokens = session.scalars(
        select(ApiToken)
        .join(User, ApiToken.user_id == User.id)
        .where(User.username == username, ApiToken.revoked.is_(False))
    ).all()
    for token in tokens:
        token.revoked = True
    return len(tokens)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
