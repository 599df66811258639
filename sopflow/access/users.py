"""User accounts: lanes, units and roles, with scrypt-hashed passwords."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from sopflow.access.authz import ROLE_ACTOR, ROLE_ADMIN, ROLES
from sopflow.errors import InvalidForm, NotFound
from sopflow.persistence.models import User

_N, _R, _P = 2**14, 8, 1


def hash_password(password: str) -> str:
    """Return a salted scrypt hash of ``password`` in the form ``scrypt$n$r$p$salt$hash``."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Tell whether ``password`` matches a hash made by :func:`hash_password` (constant time)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p))
    return hmac.compare_digest(candidate.hex(), digest)


def add_user(
    session: Session,
    username: str,
    password: str,
    lanes: Iterable[str] = (),
    units: Iterable[str] = (),
    roles: Iterable[str] = (ROLE_ACTOR,),
    full_name: str = "",
    now: datetime | None = None,
    lead_lanes: Iterable[str] = (),
    nip: str | None = None,
    position_title: str | None = None,
) -> User:
    """Create a user; raise InvalidForm for a taken username, a short password or an unknown role.

    ``nip`` and ``position_title`` (jabatan) are what signature blocks print.
    """
    errors = []
    if not username or not username.replace("_", "").replace(".", "").isalnum():
        errors.append(
            {"field": "username", "message": "Nama pengguna hanya boleh huruf, angka, titik dan garis bawah."}
        )
    if len(password) < 8:
        errors.append({"field": "password", "message": "Kata sandi minimal 8 karakter."})
    roles, lanes, lead_lanes = list(roles), list(lanes), list(lead_lanes)
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        errors.append({"field": "roles", "message": f"Peran tidak dikenal: {', '.join(unknown)}."})
    if any(lane not in lanes for lane in lead_lanes):
        errors.append({"field": "lead_lanes", "message": "Kepala lane harus juga anggota lane tersebut."})
    if session.scalar(select(User).where(User.username == username)) is not None:
        errors.append({"field": "username", "message": f"Nama pengguna {username!r} sudah dipakai."})
    if errors:
        raise InvalidForm("Data pengguna belum benar.", errors)
    row = User(
        username=username,
        full_name=full_name,
        password_hash=hash_password(password),
        lanes=list(lanes),
        units=list(units),
        roles=list(roles),
        lead_lanes=list(lead_lanes),
        nip=nip or None,
        position_title=position_title or None,
        active=True,
        created_at=now or datetime.now(UTC).replace(tzinfo=None),
    )
    session.add(row)
    session.flush()
    return row


def authenticate(session: Session, username: str, password: str, local_login: str = "all") -> str | None:
    """Return the username of the active user whose password matches, else None.

    The same scrypt work is done whatever the outcome: an unknown username is checked
    against a dummy hash, an inactive user's password is still verified, so the answer
    time does not tell which usernames exist. Only local accounts (``auth_source``
    "local") have a password here; with ``local_login`` "admin_only" (setting
    ``LOCAL_LOGIN``) only local admins — the break-glass accounts — may use it.
    """
    row = session.scalar(select(User).where(User.username == username))
    matches = verify_password(password, row.password_hash if row is not None else _dummy_hash())
    if row is None or not row.active or not matches or not local_login_allowed(row, local_login):
        return None
    return row.username


def local_login_allowed(row: User, local_login: str) -> bool:
    """Tell whether ``row`` may sign in with a local password under the ``LOCAL_LOGIN`` policy."""
    if (row.auth_source or "local") != "local":
        return False
    return local_login != "admin_only" or ROLE_ADMIN in (row.roles or [])


def session_epoch(session: Session, username: str) -> int | None:
    """Return the user's session generation (None for an unknown or inactive user)."""
    row = session.scalar(select(User).where(User.username == username))
    if row is None or not row.active:
        return None
    return row.session_epoch or 0


def end_sessions(session: Session, username: str) -> int:
    """Bump the user's session generation: every web session signed in before stops working.

    Returns the new generation; raises NotFound for an unknown user.
    """
    row = session.scalar(select(User).where(User.username == username))
    if row is None:
        raise NotFound(f"Pengguna {username!r} tidak ditemukan.", user=username)
    row.session_epoch = (row.session_epoch or 0) + 1
    return row.session_epoch


def set_password(session: Session, username: str, password: str) -> None:
    """Give the user a new password (at least 8 characters) and end their web sessions.

    Raises InvalidForm for a short password, NotFound for an unknown user.
    """
    if len(password) < 8:
        raise InvalidForm(
            "Kata sandi belum benar.", [{"field": "password", "message": "Kata sandi minimal 8 karakter."}]
        )
    row = session.scalar(select(User).where(User.username == username))
    if row is None:
        raise NotFound(f"Pengguna {username!r} tidak ditemukan.", user=username)
    row.password_hash = hash_password(password)
    end_sessions(session, username)


@cache
def _dummy_hash() -> str:
    """A hash of a random password with the current parameters (verified when the user does not exist)."""
    return hash_password(secrets.token_urlsafe(16))
