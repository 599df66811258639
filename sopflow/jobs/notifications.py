"""Notifications to people: an in-app list for everyone, e-mail where allowed.

Each notification is a row written in the transaction of the event it reports (a task
became ready, is due tomorrow, is overdue, was escalated); its e-mail is an outbox job,
so it is sent by a worker after commit, never inside a request, exactly once, retried
while the SMTP server is away and then recorded as ``gagal`` — never lost silently.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from typing import Any
from typing import cast as typed
from zoneinfo import ZoneInfo

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.orm import Session

from sopflow.errors import InvalidForm
from sopflow.indonesian import local_time
from sopflow.jobs.outbox import SEND_EMAIL, add_job
from sopflow.jobs.runner import TransientJobError
from sopflow.persistence.models import HumanTask, Job, Notification, User
from sopflow.settings import Settings

_USERS_KEY = "sopflow.active_users"
_ACTIVE_USERS = (
    select(User.username, User.lanes, User.units, User.email, User.email_notifications)
    .where(User.active.is_(True))
    .order_by(User.username)
)

#: notifications without an e-mail are never read back as objects in the command that writes them
_INSERT_NOTIFICATIONS = insert(typed(Table, Notification.__table__))

KIND_TITLES = {
    "task_ready": "Tugas baru",
    "due_soon": "Pengingat tenggat",
    "overdue": "Tugas terlambat",
    "escalated": "Eskalasi",
}


class Notifier:
    """Writes notification rows and sends their e-mails with the instance's SMTP settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.zone = ZoneInfo(settings.timezone)

    @property
    def smtp_configured(self) -> bool:
        """Tell whether an SMTP server is configured."""
        return bool(getattr(self.settings, "smtp_host", None))

    # -- events ---------------------------------------------------------------------------
    def tasks_ready(self, session: Session, rows: list[HumanTask], process_name: str, now: datetime) -> None:
        """Tell every member of each task's lane (and unit) that the task is waiting for them.

        The notifications without an e-mail of all the tasks go in with one INSERT.
        """
        batch: list[dict[str, Any]] = []
        for row in rows:
            subject = f"Tugas baru: {self._task_title(row)} — {row.periode}"
            body = (
                f"Tugas '{self._task_title(row)}' (langkah {row.step or '-'}) pada {process_name} "
                f"periode {row.periode} siap dikerjakan oleh lane {row.lane}{self._unit(row)}.\n"
                f"Tenggat: {self._local(row.due_at)}."
            )
            members = self.lane_members(session, row.lane, row.unit)
            # a task that just became ready has no notifications yet: no duplicate check needed
            self._notify(session, members, "task_ready", row, subject, body, now, new_task=True, batch=batch)
        if batch:
            session.execute(_INSERT_NOTIFICATIONS, batch)

    def task_alert(self, session: Session, row: HumanTask, kind: str, now: datetime) -> int:
        """Remind the claimant (or, unclaimed, the lane) of a task due tomorrow (``due_soon``) or overdue."""
        users = [row.claimed_by] if row.claimed_by else self.lane_members(session, row.lane, row.unit)
        if kind == "due_soon":
            subject = f"Pengingat: tugas '{self._task_title(row)}' jatuh tempo {self._local(row.due_at)}"
            body = f"Tugas '{self._task_title(row)}' periode {row.periode} jatuh tempo {self._local(row.due_at)}."
        else:
            subject = f"Terlambat: tugas '{self._task_title(row)}' melewati tenggat"
            body = (
                f"Tugas '{self._task_title(row)}' periode {row.periode} melewati tenggat {self._local(row.due_at)}. "
                "Segera selesaikan atau hubungi atasan Anda."
            )
        return self._notify(session, users, kind, row, subject, body, now)

    def escalated(self, session: Session, row: HumanTask, notify_lane: str | None, now: datetime) -> int:
        """Tell the members of ``notify_lane`` that a task was escalated."""
        if not notify_lane:
            return 0
        subject = f"Eskalasi: tugas '{self._task_title(row)}' periode {row.periode} terlambat"
        body = (
            f"Tugas '{self._task_title(row)}' (lane {row.lane}{self._unit(row)}) periode {row.periode} melewati "
            f"tenggat {self._local(row.due_at)} dan dieskalasi ke {row.escalated_to or notify_lane}."
        )
        members = self.lane_members(session, notify_lane, None)
        return self._notify(session, members, "escalated", row, subject, body, now)

    # -- e-mail job -----------------------------------------------------------------------
    def send_email(self, session: Session, job: Job, now: datetime) -> None:
        """Job handler: send one notification's e-mail; SMTP trouble raises TransientJobError (retried)."""
        note = session.get(Notification, job.payload["notification_id"])
        # "gagal" with a pending job: a process owner put the failed e-mail back ("Coba lagi")
        if note is None or note.email_status not in ("menunggu", "gagal"):
            return
        user = session.scalar(select(User).where(User.username == note.username))
        if user is None or not user.email:
            note.email_status = "tanpa_alamat"
            return
        message = EmailMessage()
        message["From"] = self.settings.mail_from
        message["To"] = user.email
        message["Subject"] = note.subject
        message["Message-ID"] = f"<notifikasi-{note.id}-{job.id}@sopflow>"
        link = f"\n\nBuka: {note.link}" if note.link else ""
        message.set_content(f"Yth. {user.full_name or user.username},\n\n{note.body}{link}\n\n— sopflow")
        try:
            self._deliver(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise TransientJobError(f"SMTP {self.settings.smtp_host}:{self.settings.smtp_port}: {exc}") from exc
        note.email_status, note.email_error = "terkirim", None

    def email_failed(self, session: Session, job: Job, now: datetime) -> None:
        """Job failure hook: record on the notification that its e-mail could not be sent."""
        session.execute(
            update(Notification)
            .where(Notification.id == job.payload["notification_id"])
            .values(email_status="gagal", email_error=job.last_error)
        )

    def _deliver(self, message: EmailMessage) -> None:
        s = self.settings
        timeout = 15
        if s.smtp_ssl:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                s.smtp_host or "", s.smtp_port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(s.smtp_host or "", s.smtp_port, timeout=timeout)
        with client:
            if s.smtp_starttls and not s.smtp_ssl:
                client.starttls(context=ssl.create_default_context())
            if s.smtp_username:
                client.login(s.smtp_username, s.smtp_password or "")
            client.send_message(message)

    # -- helpers --------------------------------------------------------------------------
    def lane_members(self, session: Session, lane: str, unit: str | None) -> list[str]:
        """Return the active users of ``lane`` (and of ``unit`` when given)."""
        users = self._active_users(session)
        return [u.username for u in users if lane in (u.lanes or []) and (unit is None or unit in (u.units or []))]

    def _active_users(self, session: Session) -> Sequence[Any]:
        """Return the active users' rows with what notifying needs (username, lanes, units, e-mail settings)."""
        # read once per transaction: a save that readies five tasks asks five times; plain rows,
        # not User objects, since nothing here changes a user (loading whole accounts showed in profiles)
        cached: Sequence[Any] | None = session.info.get(_USERS_KEY)
        if cached is None:
            cached = session.info[_USERS_KEY] = session.execute(_ACTIVE_USERS).all()
        return cached

    def _notify(
        self,
        session: Session,
        usernames: list[str],
        kind: str,
        row: HumanTask,
        subject: str,
        body: str,
        now: datetime,
        new_task: bool = False,
        batch: list[dict[str, Any]] | None = None,
    ) -> int:
        """Write the notifications of ``usernames`` not notified of this yet; return how many.

        Those without an e-mail go in with one INSERT on the table, or into ``batch`` for the
        caller to insert; one with an e-mail is added as an object, since its job names it by id.
        """
        if not usernames:
            return 0
        users = {u.username: u for u in self._active_users(session) if u.username in usernames}
        existing = (
            set()
            if new_task
            else set(
                session.scalars(
                    select(Notification.username).where(
                        Notification.kind == kind, Notification.task_id == row.id, Notification.username.in_(usernames)
                    )
                ).all()
            )
        )
        created = 0
        plain: list[dict[str, Any]] = [] if batch is None else batch
        for name in usernames:
            user = users.get(name)
            if user is None or name in existing:
                continue
            values = {
                "username": name,
                "kind": kind,
                "case_id": row.case_id,
                "task_id": row.id,
                "subject": subject[:300],
                "body": body,
                "link": f"{self.settings.base_url.rstrip('/')}/tugas/{row.id}",
                "created_at": now,
                "email_status": self._email_status(user),
            }
            if values["email_status"] == "menunggu":
                note = Notification(**values)
                session.add(note)
                session.flush()  # the e-mail job names the notification by id
                add_job(session, SEND_EMAIL, now, payload={"notification_id": note.id}, case_id=None, max_attempts=5)
            else:
                plain.append(values)
            created += 1
        if batch is None and plain:
            session.execute(_INSERT_NOTIFICATIONS, plain)
        return created

    def _email_status(self, user: Any) -> str:
        if not user.email_notifications:
            return "nonaktif"
        if not user.email:
            return "tanpa_alamat"
        if not self.smtp_configured:
            return "smtp_belum_diatur"
        return "menunggu"

    def _task_title(self, row: HumanTask) -> str:
        return row.name + (f" [{row.label}]" if row.label and row.label != row.name else "")

    def _unit(self, row: HumanTask) -> str:
        return f" ({row.unit})" if row.unit else ""

    def _local(self, value: datetime | None) -> str:
        return local_time(value, self.zone)


def notifications_for(session: Session, username: str, limit: int = 100) -> list[dict[str, Any]]:
    """Return a user's newest notifications (read and unread)."""
    rows = session.scalars(
        select(Notification)
        .where(Notification.username == username)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    ).all()
    return [
        {
            "id": n.id,
            "kind": n.kind,
            "title": KIND_TITLES.get(n.kind, n.kind),
            "subject": n.subject,
            "body": n.body,
            "link": n.link,
            "case_id": n.case_id,
            "task_id": n.task_id,
            "created_at": n.created_at,
            "read": n.read_at is not None,
            "email_status": n.email_status,
            "email_error": n.email_error,
        }
        for n in rows
    ]


def unread_count(session: Session, username: str) -> int:
    """Return how many of a user's notifications are unread."""
    return int(
        session.scalar(
            select(func.count(Notification.id)).where(Notification.username == username, Notification.read_at.is_(None))
        )
        or 0
    )


def mark_read(session: Session, username: str, now: datetime, ids: list[int] | None = None) -> int:
    """Mark a user's unread notifications (all, or those in ``ids``) as read; return how many."""
    query = update(Notification).where(Notification.username == username, Notification.read_at.is_(None))
    if ids is not None:
        query = query.where(Notification.id.in_(ids))
    return int(session.execute(query.values(read_at=now)).rowcount or 0)  # type: ignore[attr-defined]


def email_preferences(session: Session, username: str) -> dict[str, Any] | None:
    """Return a user's e-mail address and e-mail switch, or None for an unknown user."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        return None
    return {"username": user.username, "email": user.email, "email_notifications": bool(user.email_notifications)}


_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


def set_preferences(session: Session, user: User, email: str | None, enabled: bool) -> dict[str, Any]:
    """Store a user's e-mail address (empty clears it) and e-mail switch; InvalidForm for a bad address."""
    address = (email or "").strip() or None
    if address is not None and (len(address) > 254 or not _EMAIL.match(address)):
        raise InvalidForm(
            "Alamat surel belum benar.",
            [{"field": "email", "message": "Tulis alamat surel seperti nama@instansi.go.id."}],
        )
    user.email, user.email_notifications = address, bool(enabled)
    return {"username": user.username, "email": user.email, "email_notifications": user.email_notifications}
