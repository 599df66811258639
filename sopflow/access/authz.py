"""Who may act on what. Checked by the engine on every command, whatever the caller.

This module and :mod:`sopflow.access.case_access` are the only two places of access rules: this one
says who may *act* (start a case, claim, complete, reassign, edit a process, repair a step),
:mod:`sopflow.access.case_access` who may *see* which case, task and document (pages, API, downloads).
"""

from __future__ import annotations

from sopflow.errors import NotAssignee, PermissionDenied, TaskClaimedByOther
from sopflow.persistence.models import HumanTask, User

ROLE_ADMIN = "admin"
ROLE_OWNER = "pemilik_proses"
ROLE_AUDITOR = "auditor"
ROLE_ACTOR = "aktor"
ROLES = (ROLE_ACTOR, ROLE_OWNER, ROLE_AUDITOR, ROLE_ADMIN)


def check_may_act(user: User, row: HumanTask) -> None:
    """Raise unless ``user`` may act on the task: lane member, of the task's unit, not auditor-only."""
    if ROLE_AUDITOR in user.roles or (ROLE_ACTOR not in user.roles and ROLE_ADMIN not in user.roles):
        raise PermissionDenied(f"Pengguna {user.username} tidak berperan sebagai pelaksana.", user=user.username)
    if row.lane not in user.lanes:
        raise NotAssignee(
            f"Tugas '{row.name}' milik lane {row.lane}; {user.username} tidak berada di lane tersebut.",
            task=row.id,
            user=user.username,
        )
    if row.unit and row.unit not in user.units:
        raise NotAssignee(
            f"Tugas '{row.name}' untuk {row.unit}; {user.username} tidak tergabung di unit tersebut.",
            task=row.id,
            user=user.username,
        )


def check_not_claimed_by_other(user: User, row: HumanTask) -> None:
    """Raise TaskClaimedByOther if someone else holds the task."""
    if row.claimed_by and row.claimed_by != user.username:
        raise TaskClaimedByOther(
            f"Tugas '{row.name}' sedang dikerjakan oleh {row.claimed_by}.", task=row.id, user=user.username
        )


def check_may_start(user: User) -> None:
    """Raise unless ``user`` may start cases (see :func:`may_start_cases`)."""
    if not may_start_cases(user.roles):
        raise PermissionDenied(
            f"Pengguna {user.username} tidak berwenang memulai kasus (hanya pemilik proses atau admin).",
            user=user.username,
        )


def check_may_edit_process(user: User) -> None:
    """Raise PermissionDenied unless ``user`` may edit, publish and migrate a process (owner or admin)."""
    if not is_read_only(user.roles) and any(r in user.roles for r in (ROLE_OWNER, ROLE_ADMIN)):
        return
    raise PermissionDenied(
        f"Pengguna {user.username} tidak berwenang mengubah proses (hanya pemilik proses atau admin).",
        user=user.username,
    )


def check_may_repair(user: User, lane: str | None) -> None:
    """Raise unless ``user`` may retry a failed step (admin, process owner, or member of its lane)."""
    if not is_read_only(user.roles) and (ROLE_ADMIN in user.roles or ROLE_OWNER in user.roles or lane in user.lanes):
        return
    raise PermissionDenied(
        f"Pengguna {user.username} tidak berwenang mengulang langkah yang gagal.", user=user.username
    )


def check_may_reassign(user: User, row: HumanTask) -> None:
    """Raise unless ``user`` heads the task's lane (``lead_lanes``) or is an admin."""
    if not is_read_only(user.roles) and (ROLE_ADMIN in user.roles or row.lane in (user.lead_lanes or [])):
        return
    raise PermissionDenied(
        f"Hanya kepala lane {row.lane} atau admin yang dapat mengalihkan tugas '{row.name}'.", user=user.username
    )


# -- rules on plain role/lane lists, shared by the pages and the API -------------------------------
def is_read_only(roles: list[str] | tuple[str, ...]) -> bool:
    """Tell whether a user may only look: an auditor (whatever else they hold) or without an acting role."""
    return ROLE_AUDITOR in roles or not any(r in roles for r in (ROLE_ACTOR, ROLE_ADMIN, ROLE_OWNER))


def may_start_cases(roles: list[str] | tuple[str, ...]) -> bool:
    """Tell whether a user may start cases: process owners and admins who are not auditors."""
    return not is_read_only(roles) and any(r in roles for r in (ROLE_OWNER, ROLE_ADMIN))
