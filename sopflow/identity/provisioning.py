"""Apply what the directory says about a person to the ``users`` table.

:func:`apply_identity` is called at each directory sign-in (LDAP or OIDC) and by
``sopflow users sync``. The mapping file turns the person's groups into lanes, lead lanes,
units and roles (:mod:`sopflow.identity.mapping`):

- a new person with a non-empty mapping gets an account (no local password);
- a changed mapping updates the account; tasks the person holds in a lane (or unit) they
  lost go back to the lane's pool;
- an empty mapping retires the account: ``active`` off, ``retired_at`` set, every web
  session ended, every API token revoked, every claimed open task back to the pool.

Tasks are released through the engine's own unclaim command (``Engine.unclaim_task``,
while the person still holds the old lanes), and each release also gets an
``identity_task_released`` event on the case's chain saying why. Account changes are
events of the identity chain (:mod:`sopflow.identity.events`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sopflow.access import tokens
from sopflow.access.authz import ROLE_ADMIN, ROLES
from sopflow.access.users import end_sessions
from sopflow.audit.records import AuditLog
from sopflow.engine.commands import UnclaimTask
from sopflow.errors import SopflowError
from sopflow.identity import events
from sopflow.identity.mapping import Grant, IdentityMapping
from sopflow.persistence import store
from sopflow.persistence.models import HumanTask, User

if TYPE_CHECKING:
    from sopflow.engine.boundary import Engine

#: stored instead of a password hash: a directory account never signs in with a local password
NO_LOCAL_PASSWORD = "!direktori"
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,119}$")

CREATED, CHANGED, UNCHANGED, RETIRED, REFUSED = "created", "changed", "unchanged", "retired", "refused"


@dataclass(frozen=True)
class DirectoryIdentity:
    """A person as the directory describes them (LDAP entry or OIDC ID token)."""

    source: str  # "ldap" | "oidc"
    subject: str  # the directory's stable id (LDAP entryUUID/DN, OIDC "sub")
    username: str
    full_name: str = ""
    email: str | None = None
    groups: tuple[str, ...] = ()
    attributes: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass
class ProvisionResult:
    """What :func:`apply_identity` did: the outcome word, the grant before and after, released tasks."""

    username: str
    outcome: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    released: list[str] = field(default_factory=list)
    reason: str = ""

    @property
    def allowed(self) -> bool:
        """True when the person may sign in (an active account with a non-empty mapping)."""
        return self.outcome in (CREATED, CHANGED, UNCHANGED)


#: why a directory sign-in is refused, in the words the login page shows
REFUSALS = {
    "unmapped": "Akun Anda tidak lagi terdaftar pada unit mana pun di sopflow. Hubungi admin sopflow.",
    "not_mapped": "Akun Anda belum terdaftar pada unit mana pun di sopflow. Hubungi admin sopflow.",
    "disabled": "Akun Anda dinonaktifkan di sopflow. Hubungi admin sopflow.",
    "conflict": "Nama pengguna Anda sudah dipakai akun lain di sopflow. Hubungi admin sopflow.",
    "invalid_username": "Nama pengguna dari direktori tidak dapat dipakai di sopflow. Hubungi admin sopflow.",
}


def apply_identity(
    engine: Engine, identity: DirectoryIdentity, mapping: IdentityMapping, via: str = "login"
) -> ProvisionResult:
    """Create, update or retire the person's account from the mapping of their groups.

    ``via`` is "login" or "sync" (recorded in the audit events). Returns the result; the
    caller refuses the sign-in unless ``result.allowed`` (``result.reason`` is a key of
    :data:`REFUSALS`). Never raises for a refusal.
    """
    grant = mapping.grant_for(identity.groups, identity.attributes)
    with engine.db.reading() as session:
        user, conflict = _find(session, identity)
        username = user.username if user is not None else identity.username
        if conflict:
            return ProvisionResult(username, REFUSED, reason=conflict)
        if user is None:
            if grant.empty:
                return ProvisionResult(username, REFUSED, reason="not_mapped")
            if not _USERNAME.match(identity.username):
                return ProvisionResult(username, REFUSED, reason="invalid_username")
        elif not user.active and user.retired_at is None:
            return ProvisionResult(username, REFUSED, before=_grant_of(user), reason="disabled")
        to_release = _tasks_to_release(session, user, grant) if user is not None and user.active else []
    released = release_tasks(engine, username, to_release, "pensiun" if grant.empty else "lane_berubah")
    with engine.db.unit_of_work() as session:
        user, conflict = _find(session, identity)
        if conflict:  # the username was taken meanwhile
            return ProvisionResult(username, REFUSED, reason=conflict)
        now = engine.clock()
        context = {"via": via, "source": identity.source, "groups": sorted(identity.groups)}
        if user is None:
            user = _create(session, identity, grant, now)
            events.write_identity_event(
                session,
                events.USER_CREATED,
                events.SYSTEM_ACTOR,
                now,
                user=user.username,
                grant=grant.as_dict(),
                **context,
            )
            return ProvisionResult(user.username, CREATED, None, grant.as_dict(), released)
        before = _grant_of(user)
        if grant.empty:
            if user.active:
                revoked = retire_user(session, user, now)
                events.write_identity_event(
                    session,
                    events.USER_RETIRED,
                    events.SYSTEM_ACTOR,
                    now,
                    user=user.username,
                    before=before,
                    tokens_revoked=revoked,
                    tasks_released=released,
                    **context,
                )
                return ProvisionResult(user.username, RETIRED, before, None, released, reason="unmapped")
            return ProvisionResult(user.username, REFUSED, before, None, released, reason="unmapped")
        outcome = UNCHANGED
        if not user.active:  # retired earlier, mapped again
            user.active, user.retired_at = True, None
            events.write_identity_event(
                session, events.USER_REACTIVATED, events.SYSTEM_ACTOR, now, user=user.username, **context
            )
            outcome = CHANGED
        if before != grant.as_dict():
            user.lanes, user.lead_lanes = list(grant.lanes), list(grant.lead_lanes)
            user.units, user.roles = list(grant.units), list(grant.roles)
            events.write_identity_event(
                session,
                events.MAPPING_CHANGED,
                events.SYSTEM_ACTOR,
                now,
                user=user.username,
                before=before,
                after=grant.as_dict(),
                tasks_released=released,
                **context,
            )
            outcome = CHANGED
        if identity.full_name and user.full_name != identity.full_name:
            user.full_name = identity.full_name
        if identity.email and user.email != identity.email:
            user.email = identity.email
        return ProvisionResult(user.username, outcome, before, grant.as_dict(), released)


def retire_user(session: Session, user: User, now: Any) -> int:
    """Retire an account in ``session``: inactive, ``retired_at`` set, sessions ended, tokens revoked.

    Returns how many API tokens were revoked. Claimed tasks must have been released before
    (:func:`release_tasks`), while the person could still act on them.
    """
    user.active = False
    user.retired_at = now
    user.lanes, user.lead_lanes, user.units, user.roles = [], [], [], []
    end_sessions(session, user.username)
    return tokens.revoke_tokens(session, user.username, now)


def release_tasks(engine: Engine, username: str, task_ids: Iterable[str], reason: str) -> list[str]:
    """Give the person's claimed tasks back to their lanes' pools through the engine's unclaim command.

    Each release is the engine's ``task_unclaimed`` event plus an ``identity_task_released``
    event on the case saying why (``reason``). A task that is no longer claimed or ready is
    skipped. Returns the ids released.
    """
    released = []
    for task_id in task_ids:
        try:
            row = engine.unclaim_task(UnclaimTask(task_id, username))
        except SopflowError:
            continue  # completed or taken over meanwhile: nothing to give back
        with engine.db.unit_of_work() as session:
            case = store.lock_case(session, row["case_id"])
            log = AuditLog(events.SYSTEM_ACTOR, engine.clock())
            log.add(
                events.TASK_RELEASED, task_id, row.get("element_id"), user=username, lane=row["lane"], reason=reason
            )
            log.write(session, case.id)
        released.append(task_id)
    return released


def _tasks_to_release(session: Session, user: User, grant: Grant) -> list[str]:
    """Ids of the ready tasks the user holds in a lane (or unit) the new grant does not give."""
    rows = session.scalars(
        select(HumanTask)
        .where(HumanTask.claimed_by == user.username, HumanTask.state == "ready")
        .order_by(HumanTask.ready_at, HumanTask.id)
    ).all()
    return [
        row.id
        for row in rows
        if grant.empty or row.lane not in grant.lanes or (row.unit and row.unit not in grant.units)
    ]


def _find(session: Session, identity: DirectoryIdentity) -> tuple[User | None, str | None]:
    """The person's account (by directory subject, else by username), or a conflict reason.

    A local account of the same username is taken over by the directory, except a local
    admin (the break-glass account stays local whatever the directory says).
    """
    user = session.scalar(
        select(User).where(User.auth_source == identity.source, User.external_subject == identity.subject)
    )
    if user is not None:
        return user, None
    user = session.scalar(select(User).where(User.username == identity.username))
    if user is None:
        return None, None
    if user.auth_source == "local" and ROLE_ADMIN not in (user.roles or []):
        user.auth_source, user.external_subject = identity.source, identity.subject
        user.password_hash = NO_LOCAL_PASSWORD
        return user, None
    return None, "conflict"


def _create(session: Session, identity: DirectoryIdentity, grant: Grant, now: Any) -> User:
    row = User(
        username=identity.username,
        full_name=identity.full_name or identity.username,
        password_hash=NO_LOCAL_PASSWORD,
        lanes=list(grant.lanes),
        lead_lanes=list(grant.lead_lanes),
        units=list(grant.units),
        roles=list(grant.roles),
        email=identity.email or None,
        active=True,
        created_at=now,
        auth_source=identity.source,
        external_subject=identity.subject,
    )
    session.add(row)
    session.flush()
    return row


def _grant_of(user: User) -> dict[str, list[str]]:
    return {
        "lanes": list(user.lanes or []),
        "lead_lanes": list(user.lead_lanes or []),
        "units": list(user.units or []),
        "roles": [role for role in ROLES if role in (user.roles or [])],
    }
