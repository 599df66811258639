"""The SOP document of a published version as PDF/A-2b, made by a job off the request path.

A process owner asks for it on the editor page; the request records a ``sop_pdf`` job and
returns at once. The job renders the version's SOP document and converts it with
LibreOffice in :meth:`SopPdfJobs.prepare`, outside any transaction, then stores the PDF
in the content-addressed store and notes its SHA-256 in the job's payload, where the page
finds it. Without LibreOffice the job ends with the Indonesian message of
:class:`~sopflow.documents.pdf_export.PdfUnavailable` in its payload. The same version asked again
reuses the PDF already made.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sopflow.documents import pdf_export
from sopflow.engine.files import FileStore
from sopflow.errors import NotFound, SopflowError
from sopflow.jobs.outbox import add_job
from sopflow.persistence.db import Database
from sopflow.persistence.models import Job
from sopflow.settings import Settings

SOP_PDF = "sop_pdf"
MAX_PREPARED = 16


def request_sop_pdf(session: Session, process_id: str, version: int, now: datetime, actor: str) -> Job:
    """Return the job making the PDF of this version's SOP document: an earlier good one, or a new one."""
    for job in session.scalars(select(Job).where(Job.kind == SOP_PDF).order_by(Job.created_at.desc())).all():
        payload = job.payload or {}
        same = payload.get("process_id") == process_id and payload.get("version") == version
        if same and (job.status == "pending" or payload.get("pdf_sha256")):
            return job
    return add_job(session, SOP_PDF, now, payload={"process_id": process_id, "version": version}, triggered_by=actor)


def sop_pdf_state(session: Session, job_id: str) -> dict[str, Any]:
    """Return ``{state, message, process_id, version, sha256, filename}`` of a ``sop_pdf`` job.

    ``state``: ``dibuat`` (waiting or running), ``ada`` (download ready), ``tidak_tersedia``
    (no LibreOffice) or ``gagal``. Raises NotFound for another kind of job or an unknown id.
    """
    job = session.get(Job, job_id)
    if job is None or job.kind != SOP_PDF:
        raise NotFound(f"Permintaan PDF {job_id} tidak ditemukan.", job=job_id)
    payload = job.payload or {}
    state = {
        "process_id": payload.get("process_id"),
        "version": payload.get("version"),
        "sha256": payload.get("pdf_sha256"),
        "filename": payload.get("filename"),
        "message": None,
    }
    if payload.get("pdf_sha256"):
        return {**state, "state": "ada"}
    if payload.get("unavailable"):
        return {**state, "state": "tidak_tersedia", "message": payload["unavailable"]}
    if job.status == "failed":
        return {**state, "state": "gagal", "message": job.last_error}
    return {**state, "state": "dibuat"}


class SopPdfJobs:
    """The ``sop_pdf`` job kind."""

    def __init__(self, db: Database, settings: Settings, files: FileStore) -> None:
        self.db, self.settings, self.files = db, settings, files
        self._prepared: dict[str, tuple[str, bytes] | Exception] = {}

    def prepare(self, job_id: str, payload: dict[str, Any]) -> None:
        """Render and convert before the job's transaction opens (seconds of LibreOffice)."""
        if len(self._prepared) > MAX_PREPARED:
            self._prepared.clear()
        try:
            self._prepared[job_id] = self._make(payload)
        except (pdf_export.PdfUnavailable, pdf_export.PdfConversionFailed, NotFound) as exc:
            self._prepared[job_id] = exc

    def _make(self, payload: dict[str, Any]) -> tuple[str, bytes]:
        from sopflow.sopdoc.publication import render_published_sop  # python-docx loads here, not at engine start

        with self.db.reading() as session:
            sop = render_published_sop(session, self.settings, str(payload["process_id"]), int(payload["version"]))
        return f"{sop.stem}.pdf", pdf_export.docx_to_pdf(sop.docx)

    def __call__(self, session: Session, job: Job, now: datetime) -> None:
        """Store the PDF and name it in the job's payload; see the module docstring. Raises SopflowError."""
        payload = dict(job.payload or {})
        try:
            prepared = self._prepared.pop(job.id, None) or self._make(payload)
            if isinstance(prepared, Exception):
                raise prepared
        except pdf_export.PdfUnavailable as exc:
            job.payload = {**payload, "unavailable": str(exc)}
            return
        except (pdf_export.PdfConversionFailed, NotFound) as exc:
            raise SopflowError(f"PDF dokumen SOP {payload.get('process_id')}: {exc}") from exc
        filename, pdf = prepared
        job.payload = {**payload, "pdf_sha256": self.files.put(pdf), "filename": filename, "size": len(pdf)}


class SopPdfCommands:
    """Engine commands of the SOP document's PDF (mixed into :class:`sopflow.engine.boundary.Engine`)."""

    db: Database
    settings: Settings
    services: Any
    clock: Any
    _command: Any

    def request_sop_pdf(self, process_id: str, version: int | None, actor: str) -> dict[str, Any]:
        """Queue (or reuse) the PDF of a version's SOP document; return its state (:func:`sop_pdf_state`).

        Only process owners and admins ask for it (the editor's rule). Raises NotFound, PermissionDenied.
        """
        from sopflow.access import authz
        from sopflow.persistence import store

        with self._command() as session:
            user = store.user(session, actor)
            authz.check_may_edit_process(user)
            number = store.version_of(session, process_id, version).version
            job = request_sop_pdf(session, process_id, number, self.clock(), user.username)
            session.flush()
            return {"job_id": job.id, **sop_pdf_state(session, job.id)}

    def sop_pdf(self, job_id: str) -> dict[str, Any]:
        """Return the state of a SOP-document PDF request (:func:`sop_pdf_state`, plus ``job_id``)."""
        with self.db.reading() as session:
            return {"job_id": job_id, **sop_pdf_state(session, job_id)}

    def sop_pdf_file(self, job_id: str) -> tuple[str, bytes]:
        """Return ``(filename, bytes)`` of a finished SOP-document PDF; NotFound while it is not ready."""
        state = self.sop_pdf(job_id)
        if state["state"] != "ada":
            raise NotFound("PDF dokumen SOP belum tersedia.", job=job_id)
        return state["filename"], self.services.files.get(state["sha256"])
