"""The read-only people look-up handlers get (``HandlerContext.people``), from the user records.

One job: answer "who is this user" and "who heads this lane" with the printable facts
(name, NIP, position title) and nothing else: no password hash, roles or e-mail reach a
handler. It reads within the command's own session, so a handler sees the records as
the command does.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sopflow.persistence.models import User
from sopflow.plugins import Person


class DirectoryPeople:
    """:class:`sopflow.plugins.People` over the ``users`` table of one session."""

    def __init__(self, session: Session | None) -> None:
        self._session = session

    def get(self, username: str) -> Person | None:
        """Return the active, not retired user ``username`` as a Person, or None."""
        if self._session is None:
            return None
        user = self._session.scalar(select(User).where(User.username == username))
        return _person(user) if user is not None and _current(user) else None

    def lead_of(self, lane: str) -> Person | None:
        """Return the active head of ``lane`` (first by username when several), or None."""
        if self._session is None:
            return None
        # lead_lanes is a JSON list: filter in Python (a few dozen users), identically on SQLite and PostgreSQL
        users = self._session.scalars(select(User).order_by(User.username)).all()
        for user in users:
            if _current(user) and lane in (user.lead_lanes or []):
                return _person(user)
        return None


def _current(user: User) -> bool:
    return bool(user.active) and user.retired_at is None


def _person(user: User) -> Person:
    return Person(
        username=user.username,
        name=user.full_name or user.username,
        nip=user.nip or "",
        title=user.position_title or "",
    )
