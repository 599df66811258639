"""Electronic signatures: register one's certificate, sign a signing task's PDF, ask for a PDF.

- ``/profil/sertifikat``: the signed-in user's registered certificates and the upload of a
  PKCS#12 file (.p12/.pfx) with its passphrase (checked, never stored).
- ``/tugas/<task_id>/tanda-tangan``: the signing page of a signing task: the PDF to sign,
  the stamp as it will read, the passphrase field. Signing completes the task in the same
  request (the passphrase never reaches a job, a log or the database). The ordinary task page
  of a ready signing task (``/tugas/<task_id>``, linked from "Tugas saya") redirects here.
- ``POST /kasus/<case_id>/dokumen/<doc_id>/pdf``: "Buat PDF" for a stored .docx (a job).

Authorization stays with the engine; these views add the visibility check (404) first.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from sopflow import InvalidForm, SopflowError, TaskNotReady
from sopflow.queries import inbox
from sopflow.signing import RegisterCertificate, SignTask

from .auth import actor_required, current_username, require_login

bp = Blueprint("signing", __name__)
bp.before_request(require_login)

#: the largest PKCS#12 upload read (the engine refuses anything above its own, smaller cap)
MAX_READ_BYTES = 1024 * 1024


def _engine() -> Any:
    return current_app.extensions["sopflow"].engine


@bp.before_app_request
def _signing_task_page() -> Any:
    """Open a ready signing task on its signing page: its ordinary task page has no form to complete it."""
    if request.method == "GET" and request.endpoint == "inbox.task_page" and current_user.is_authenticated:
        task_id = (request.view_args or {}).get("task_id", "")
        if _engine().is_ready_signing_task(task_id):
            return redirect(url_for("signing.sign_page", task_id=task_id))
    return None


@bp.get("/profil/sertifikat")
def certificates() -> Any:
    """Show the user's certificates and the registration form."""
    return _render_certificates()


@bp.post("/profil/sertifikat")
@actor_required
def register() -> Any:
    """Register an uploaded PKCS#12 file; errors are shown on the form (422), nothing is stored then."""
    sent = request.files.get("berkas")
    data = sent.read(MAX_READ_BYTES + 1) if sent is not None and sent.filename else b""
    passphrase = request.form.get("passphrase", "")
    try:
        registered = _engine().register_certificate(RegisterCertificate(current_username(), data, passphrase))
    except InvalidForm as exc:
        return _render_certificates(exc.message, exc.errors), 422
    flash(f"Sertifikat {registered['subject']} terdaftar atas nama Anda.", "sukses")
    return redirect(url_for("signing.certificates"))


def _render_certificates(message: str | None = None, errors: list[dict[str, Any]] | None = None) -> Any:
    return render_template(
        "signing/certificates.html",
        certificates=_engine().certificates_of(current_username()),
        message=message,
        errors=_by_field(errors),
    )


@bp.get("/tugas/<task_id>/tanda-tangan")
def sign_page(task_id: str) -> Any:
    """Show what the signing task signs and the passphrase form; 404 when not visible or not a signing task."""
    return _render_sign(task_id)


@bp.post("/tugas/<task_id>/tanda-tangan")
@actor_required
def sign(task_id: str) -> Any:
    """Sign the task's PDF with the passphrase typed now and complete the task (or complete it unsigned
    when no PDF can be made); errors are shown on the page and nothing changes."""
    _check_visible(task_id)
    command = SignTask(
        task_id,
        current_username(),
        passphrase=request.form.get("passphrase", ""),
        without_signature=request.form.get("tanpa_tanda_tangan") == "1",
    )
    try:
        outcome = _engine().sign_task(command)
    except InvalidForm as exc:
        return _render_sign(task_id, exc.message, exc.errors), 422
    except TaskNotReady as exc:
        return _render_sign(task_id, exc.message), 409
    if command.without_signature:
        flash("Tugas diselesaikan tanpa tanda tangan elektronik (PDF tidak dapat dibuat).", "peringatan")
    else:
        flash("Dokumen telah ditandatangani secara elektronik.", "sukses")
    return redirect(url_for("cases.detail", case_id=outcome.case_id))


def _check_visible(task_id: str) -> None:
    with _engine().db.reading() as session:
        inbox.check_may_view_task(session, current_username(), task_id)


def _render_sign(task_id: str, message: str | None = None, errors: list[dict[str, Any]] | None = None) -> Any:
    _check_visible(task_id)
    view = _engine().signing_view(task_id, current_username())
    if view is None:
        abort(404)
    task = view["task"]
    ready = task["state"] == "ready"
    may_act = ready and not current_user.read_only and current_user.may_work_on(task)
    return render_template(
        "signing/sign.html",
        view=view,
        task=task,
        may_sign=may_act and task["claimed_by"] in (None, current_username()),
        message=message,
        errors=_by_field(errors),
    )


@bp.post("/kasus/<case_id>/dokumen/<doc_id>/pdf")
@actor_required
def make_pdf(case_id: str, doc_id: str) -> Any:
    """Queue the PDF of a stored .docx ("Buat PDF"); 404 when the document is not the user's to see.

    ``doc_id`` is a plain path segment (a non-number is a 404 after the read-only check's 403).
    """
    if not doc_id.isdigit():
        abort(404)
    with _engine().db.reading() as session:
        inbox.document_for_user(session, case_id, int(doc_id), current_username())
    try:
        job = _engine().request_pdf(case_id, int(doc_id), current_username())
    except SopflowError as exc:
        flash(exc.message, "galat")
    else:
        flash("PDF sedang dibuat." if job else "PDF dokumen ini sudah ada atau sedang dibuat.", "info")
    return redirect(url_for("cases.detail", case_id=case_id))


def _by_field(errors: list[dict[str, Any]] | None) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for error in errors or []:
        found.setdefault(str(error.get("field") or ""), []).append(str(error.get("message") or ""))
    return found
