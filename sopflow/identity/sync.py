"""``sopflow users sync``: apply the directory to every account without waiting for sign-ins.

Reads every person of the LDAP directory (:meth:`LdapDirectory.all_users`), applies each
through :func:`sopflow.identity.provisioning.apply_identity` (created / changed /
unchanged / retired), then retires the LDAP accounts of sopflow whose person is no longer
in the directory at all. Runnable from the scheduler (cron, systemd timer).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import select

from sopflow.identity.ldap_directory import SOURCE, DirectoryUnavailable, LdapDirectory
from sopflow.identity.mapping import IdentityMapping
from sopflow.identity.provisioning import (
    CHANGED,
    CREATED,
    REFUSED,
    RETIRED,
    UNCHANGED,
    DirectoryIdentity,
    ProvisionResult,
    apply_identity,
)
from sopflow.persistence.models import User

if TYPE_CHECKING:
    from sopflow.engine.boundary import Engine


@dataclass
class SyncReport:
    """Usernames by outcome; ``skipped``: directory people mapped to nothing who have no account."""

    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    released_tasks: list[str] = field(default_factory=list)

    def add(self, result: ProvisionResult) -> None:
        """Count one result of :func:`apply_identity`."""
        bucket = {
            CREATED: self.created,
            CHANGED: self.changed,
            RETIRED: self.retired,
            UNCHANGED: self.unchanged,
            REFUSED: self.skipped,
        }[result.outcome]
        bucket.append(result.username)
        self.released_tasks.extend(result.released)


def sync_directory(engine: Engine, directory: LdapDirectory, mapping: IdentityMapping) -> SyncReport:
    """Apply every directory person, then retire LDAP accounts no longer in the directory; return the report.

    Raises DirectoryUnavailable when the directory cannot be read, or answers with nobody at all
    while sopflow has LDAP accounts (a wrong base or filter); nothing is retired then.
    """
    report = SyncReport()
    people = directory.all_users()
    if not people:
        with engine.db.reading() as session:
            known = session.scalar(select(User.id).where(User.auth_source == SOURCE, User.active.is_(True)).limit(1))
        if known is not None:  # a wrong base or filter must not retire the whole office
            raise DirectoryUnavailable(
                "Direktori tidak mengembalikan satu orang pun (periksa LDAP_USER_BASE dan LDAP_USER_FILTER); "
                "tidak ada akun yang dipensiunkan."
            )
    seen = set()
    for person in people:
        if not person.username:
            continue
        seen.add(person.subject)
        report.add(apply_identity(engine, person, mapping, via="sync"))
    with engine.db.reading() as session:
        active = session.scalars(
            select(User).where(User.auth_source == SOURCE, User.active.is_(True)).order_by(User.username)
        ).all()
        gone = [(u.username, u.external_subject) for u in active if u.external_subject not in seen]
    for username, subject in gone:
        vanished = DirectoryIdentity(source=SOURCE, subject=subject or "", username=username)
        report.add(apply_identity(engine, vanished, _NOTHING, via="sync"))
    return report


#: a mapping that grants nothing: applying it retires the account
_NOTHING = IdentityMapping(rules=())
