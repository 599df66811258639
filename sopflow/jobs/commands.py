"""The engine's commands about background work: run a job, a scheduler round, retry, notifications.

:class:`JobCommands` is a mixin of :class:`sopflow.engine.boundary.Engine`; it expects the engine's
``db``, ``clock``, ``services``, ``notifier`` and ``transport``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from sopflow.access import authz
from sopflow.audit.checkpoint import scheduled_checkpoint
from sopflow.audit.records import AuditLog
from sopflow.calendar.escalation import SYSTEM_ACTOR
from sopflow.errors import NotFound, PermissionDenied, TaskNotReady
from sopflow.jobs import notifications, outbox, pdf_jobs, timers
from sopflow.jobs.runner import JobResult
from sopflow.persistence import store
from sopflow.persistence.models import Job

if TYPE_CHECKING:
    from sopflow.engine.case_run import CaseRun, Services
    from sopflow.jobs.notifications import Notifier
    from sopflow.jobs.runner import JobRunner
    from sopflow.jobs.transport import Transport
    from sopflow.persistence.db import Database
    from sopflow.settings import Settings


class JobCommands:
    """Job, scheduler and notification commands of the engine."""

    db: Database
    clock: Callable[[], datetime]
    services: Services
    notifier: Notifier
    transport: Transport
    jobs: JobRunner

    settings: Settings
    _command: Callable[[], AbstractContextManager[Session]]
    escalate_overdue: Callable[[], list[dict[str, Any]]]

    def _defer_service_steps(self, session: Session, run: CaseRun, actor: str) -> None:
        """Record an outbox job for the service steps a command left ready (see :meth:`CaseRun.advance`)."""
        if run.deferred is not None:
            outbox.request_advance(session, run.case.id, run.audit.now, actor, run.deferred)

    def _advance_case(self, session: Session, job: Job, now: datetime) -> None:
        """Job handler: run the service steps of a case (actor "sistem", triggered by the job's user)."""
        case = store.lock_case(session, job.case_id or "")
        audit = AuditLog(SYSTEM_ACTOR, now, triggered_by=job.triggered_by)
        from sopflow.engine.case_run import CaseRun

        run = CaseRun.open(case, store.version_for_run(session, case.process_version_id), self.services, audit)
        if not run.has_engine_work():
            return  # another command ran them already
        audit.add(
            "engine_resumed",
            None,
            (job.payload or {}).get("element_id"),
            job_id=job.id,
            triggered_by=job.triggered_by,
            dipicu_oleh=job.triggered_by,
            request_id=job.request_id,
        )
        run.advance()
        run.save(session)
        # the .docx these steps stored get their PDF from a job of their own, recorded in this transaction
        pdf_jobs.request_pdfs(session, case.id, run.files.recorded, now, job.triggered_by)

    def pdf_states(self, case_id: str) -> dict[str, dict[str, Any]]:
        """Return the state of each .docx's PDF of the case by the .docx's SHA-256 (:func:`pdf_jobs.pdf_states`)."""
        with self.db.reading() as session:
            return pdf_jobs.pdf_states(session, case_id)

    def request_pdf(self, case_id: str, document_id: int, actor: str) -> dict[str, Any] | None:
        """Queue the PDF of a stored .docx of the case ("Buat PDF"); None when it exists or is queued already.

        Raises NotFound (document), PermissionDenied (read-only account), SopflowError (not a .docx).
        """
        from sopflow.persistence.models import Document

        with self._command() as session:
            user = store.user(session, actor)
            if authz.is_read_only(user.roles):
                raise PermissionDenied("Akun baca saja tidak dapat meminta pembuatan PDF.", user=actor)
            document = session.get(Document, document_id)
            if document is None or document.case_id != case_id:
                raise NotFound(f"Dokumen {document_id} tidak ditemukan.", document=document_id)
            job = pdf_jobs.request_pdf_for_document(session, document, self.clock(), user.username)
            return outbox.job_dict(job) if job is not None else None

    def run_job(self, job_id: str, worker: str = "inline") -> JobResult:
        """Run one outbox job if it is pending (idempotent); see :mod:`sopflow.jobs.runner`."""
        return self.jobs.run(job_id, worker)

    def tick(self) -> dict[str, int]:
        """One scheduler round: resend lost jobs, escalate overdue tasks, send due-soon/overdue reminders."""
        now = self.clock()
        resend_after = timedelta(seconds=self.settings.job_resend_seconds)
        resent = timers.sweep(self.db, now, self.transport.send, resend_after=resend_after)
        escalated = self.escalate_overdue()
        reminded = timers.remind(self.db, now, self.notifier, self.transport.send)
        scheduled_checkpoint(self.db, self.settings.data_dir, now)  # signs the audit heads, at most every 10 min
        return {"resent": len(resent), "escalated": len(escalated), "reminded": len(reminded)}

    def retry_job(self, job_id: str, actor: str) -> dict[str, Any]:
        """Put a failed job back in the queue ("Coba lagi"); process owner or admin only.

        Raises NotFound, PermissionDenied, TaskNotReady (the job is not failed).
        """
        with self._command() as session:
            user = store.user(session, actor)
            authz.check_may_edit_process(user)
            job = session.get(Job, job_id)
            if job is None:
                raise NotFound(f"Pekerjaan {job_id} tidak ditemukan.", job=job_id)
            if job.status != "failed":
                raise TaskNotReady("Pekerjaan ini tidak dalam keadaan gagal.", job=job_id)
            now = self.clock()
            job.status, job.attempts, job.run_after, job.enqueued_at = "pending", 0, now, now
            job.finished_at = job.started_at = None
            session.info.setdefault("sopflow.jobs", []).append(job.id)
            return outbox.job_dict(job)

    def case_jobs(self, case_id: str) -> list[dict[str, Any]]:
        """Return the case's queued, running and failed jobs (the case page's "sedang diproses")."""
        with self.db.reading() as session:
            return outbox.case_jobs(session, case_id)

    def open_jobs(self) -> list[dict[str, Any]]:
        """Return every queued, running and failed job of the instance (failed first)."""
        with self.db.reading() as session:
            return outbox.open_jobs(session)

    def wait_for_jobs(self, case_id: str, timeout: float = 120.0, poll: float = 0.2) -> bool:
        """Wait until the case has no queued or running job; return False on timeout or a failed job."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            jobs = self.case_jobs(case_id)
            if not jobs:
                return True
            if any(j["status"] == "failed" for j in jobs):
                return False
            time.sleep(poll)
        return False

    # -- notifications --------------------------------------------------------------------------
    def notifications_for(self, username: str, limit: int = 100) -> list[dict[str, Any]]:
        """Return the user's newest notifications (``read``, ``email_status`` included)."""
        with self.db.reading() as session:
            return notifications.notifications_for(session, username, limit)

    def unread_notifications(self, username: str) -> int:
        """Return how many notifications of the user are unread."""
        with self.db.reading() as session:
            return notifications.unread_count(session, username)

    def mark_notifications_read(self, username: str, ids: list[int] | None = None) -> int:
        """Mark the user's notifications (all, or ``ids``) as read; return how many changed."""
        with self.db.unit_of_work() as session:
            return notifications.mark_read(session, username, self.clock(), ids)

    def email_preferences(self, username: str) -> dict[str, Any]:
        """Return the user's ``{username, email, email_notifications}`` (the profile page). Raises NotFound."""
        with self.db.reading() as session:
            found = notifications.email_preferences(session, username)
        if found is None:
            raise NotFound(f"Pengguna {username} tidak ditemukan.", user=username)
        return found

    def set_email_preferences(self, username: str, email: str | None, enabled: bool) -> dict[str, Any]:
        """Set the user's e-mail address and switch e-mail notifications on or off.

        Raises NotFound (user), InvalidForm (an address that is not an e-mail address).
        """
        with self.db.unit_of_work() as session:
            return notifications.set_preferences(session, store.user(session, username), email, enabled)
