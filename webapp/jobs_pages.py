"""Background work and people's own pages: the job queue (Antrean), notifications and the profile.

- ``/antrean`` (process owner, admin): every queued, running and failed job with "Coba lagi".
- ``/notifikasi``: the signed-in user's notifications with their e-mail status; the unread
  count is offered to every page's navigation (one engine call per page).
- ``/profil``: the user's e-mail address and whether notifications are e-mailed.

Auditors (read-only accounts) see their notifications and profile but change nothing.

Authorization stays with the engine: retrying a job is refused there unless the user is a
process owner or admin; notifications and preferences are always those of the signed-in user.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from sopflow import InvalidForm
from sopflow.access.authz import ROLE_ADMIN, ROLE_OWNER
from sopflow.jobs.outbox import ADVANCE_CASE, SEND_EMAIL
from sopflow.jobs.pdf_jobs import MAKE_PDF

from .auth import actor_required, current_username, require_login, role_required

bp = Blueprint("jobs", __name__)
bp.before_request(require_login)

#: job kinds as people call them
JOB_KINDS = {ADVANCE_CASE: "langkah otomatis", SEND_EMAIL: "surel", MAKE_PDF: "pembuatan PDF"}
#: a notification's e-mail status (``Notification.email_status``) in words
EMAIL_STATUS = {
    "terkirim": "terkirim",
    "menunggu": "menunggu",
    "gagal": "gagal",
    "nonaktif": "nonaktif",
    "tanpa_alamat": "tanpa alamat",
    "smtp_belum_diatur": "SMTP belum diatur",
}


def _engine() -> Any:
    return current_app.extensions["sopflow"].engine


def may_see_queue(user: Any) -> bool:
    """Tell whether ``user`` may open the queue page (process owner or admin)."""
    return bool(user.is_authenticated and user.has_role(ROLE_OWNER, ROLE_ADMIN))


@bp.app_context_processor
def _navigation() -> dict[str, Any]:
    """Give every page the unread notification count of the signed-in user and the queue link switch."""
    if not current_user.is_authenticated:
        return {"unread_notifications": 0, "may_see_queue": False}
    return {
        "unread_notifications": _engine().unread_notifications(current_username()),
        "may_see_queue": may_see_queue(current_user),
    }


@bp.app_template_filter("jenis_pekerjaan")
def job_kind(kind: str) -> str:
    """Name a job kind in Indonesian (``advance_case`` → "langkah otomatis")."""
    return JOB_KINDS.get(kind, kind)


# -- antrean ----------------------------------------------------------------------------------------
@bp.get("/antrean")
@role_required(ROLE_OWNER, ROLE_ADMIN)
def queue() -> Any:
    """List every queued, running and failed job of the instance, failed first."""
    jobs = _engine().open_jobs()  # failed first (what needs a person), then queued and running, oldest first
    return render_template("jobs/queue.html", jobs=jobs, failed=sum(1 for j in jobs if j["status"] == "failed"))


@bp.post("/antrean/<job_id>/ulang")
@actor_required
def retry(job_id: str) -> Any:
    """Put a failed job back in the queue ("Coba lagi"); the engine refuses anyone but owners and admins."""
    job = _engine().retry_job(job_id, current_username())
    flash(f"Pekerjaan {job_kind(job['kind'])} dimasukkan kembali ke antrean.", "sukses")
    if request.form.get("kembali") == "kasus" and job.get("case_id"):
        return redirect(url_for("cases.detail", case_id=job["case_id"]))
    return redirect(url_for("jobs.queue"))


# -- notifikasi -------------------------------------------------------------------------------------
@bp.get("/notifikasi")
def notifications() -> Any:
    """Show the signed-in user's notifications, newest first, unread marked."""
    items = _engine().notifications_for(current_username())
    return render_template(
        "jobs/notifications.html",
        notifications=items,
        unread=sum(1 for n in items if not n["read"]),
        email_status=EMAIL_STATUS,
    )


@bp.post("/notifikasi/dibaca")
@actor_required
def mark_read() -> Any:
    """Mark every notification of the signed-in user as read (auditors stay strictly read-only: 403)."""
    changed = _engine().mark_notifications_read(current_username())
    flash(f"{changed} notifikasi ditandai sudah dibaca." if changed else "Tidak ada notifikasi baru.", "info")
    return redirect(url_for("jobs.notifications"))


# -- profil -----------------------------------------------------------------------------------------
@bp.get("/profil")
def profile() -> Any:
    """Show the signed-in user's e-mail address and e-mail notification switch."""
    return _render_profile(_engine().email_preferences(current_username()))


@bp.post("/profil")
@actor_required
def save_profile() -> Any:
    """Save the e-mail address and switch; a bad address re-renders the form (422) with the entry kept.

    Auditors stay strictly read-only (403), as on every other changing route.
    """
    email = request.form.get("email", "")
    enabled = request.form.get("email_notifications") == "1"
    try:
        saved = _engine().set_email_preferences(current_username(), email, enabled)
    except InvalidForm as exc:
        entered = {"username": current_username(), "email": email, "email_notifications": enabled}
        return _render_profile(entered, errors=exc.field_errors(), message=exc.message), 422
    state = "dikirim lewat surel" if saved["email_notifications"] else "tidak dikirim lewat surel"
    flash(f"Profil disimpan; notifikasi {state}.", "sukses")
    return redirect(url_for("jobs.profile"))


def _render_profile(
    preferences: dict[str, Any], errors: dict[str, list[str]] | None = None, message: str | None = None
) -> Any:
    return render_template(
        "jobs/profile.html",
        preferences=preferences,
        errors=errors or {},
        message=message,
        smtp_configured=bool(current_app.extensions["sopflow"].settings.smtp_host),
    )
