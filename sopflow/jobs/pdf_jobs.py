"""PDF/A-2b copies of the .docx documents a case generates, made by a job off the request path.

When a service step stores a .docx (the Laporan draft or final), the command that ran it
records one ``make_pdf`` job per .docx in the same transaction (:func:`request_pdfs`); the
job converts the stored bytes with LibreOffice (:mod:`sopflow.documents.pdf_export`) and stores the
PDF as a document of the same case (kind ``pdf``, ``meta.source_sha256`` naming its .docx),
with a ``document_stored`` audit event, so the evidence bundle and the archive know it.

The conversion runs in :meth:`PdfJobs.prepare`, which the job runner calls outside any
transaction (it takes seconds; on SQLite a write transaction would block every other
writer meanwhile); only the short write at the end holds the case lock. A second run for
the same .docx finds its PDF and does nothing.
Without LibreOffice the job ends ``done`` and keeps the Indonesian message of
:class:`~sopflow.documents.pdf_export.PdfUnavailable` in its payload: the case page shows it next to
the .docx and nothing else is held up. A .docx LibreOffice cannot convert fails the job
(shown with "Coba lagi" to the process owner).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import PurePath
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sopflow.audit.records import AuditLog
from sopflow.documents import pdf_export
from sopflow.engine.files import FileStore, RecordedFile
from sopflow.errors import SopflowError
from sopflow.jobs.outbox import add_job
from sopflow.persistence import store
from sopflow.persistence.models import Document, Job

MAKE_PDF = "make_pdf"
DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_MEDIA_TYPE = "application/pdf"
PDF_KIND = "pdf"
#: document kinds that are copies of another document, never converted themselves
SKIPPED_KINDS = frozenset({"arsip"})
SYSTEM_ACTOR = "sistem"
#: conversions kept between :meth:`PdfJobs.prepare` and the job's transaction (one per running job)
MAX_PREPARED = 16


def is_docx(filename: str, media_type: str) -> bool:
    """Tell whether a stored document is a Word document that gets a PDF copy."""
    return media_type == DOCX_MEDIA_TYPE or filename.lower().endswith(".docx")


def request_pdfs(
    session: Session, case_id: str, recorded: list[RecordedFile], now: datetime, triggered_by: str | None
) -> list[Job]:
    """Record a ``make_pdf`` job for each .docx in ``recorded`` (the files one command stored)."""
    jobs: list[Job] = []
    seen: set[str] = set()
    for item in recorded:
        ref = item.ref
        if item.kind in SKIPPED_KINDS or not is_docx(ref["filename"], ref["media_type"]) or ref["sha256"] in seen:
            continue
        seen.add(ref["sha256"])
        jobs.append(
            add_job(
                session,
                MAKE_PDF,
                now,
                case_id=case_id,
                payload={
                    "source_sha256": ref["sha256"],
                    "filename": ref["filename"],
                    "source_kind": item.kind,
                    "task_id": item.task_id or None,
                    "element_id": item.element_id or None,
                },
                triggered_by=triggered_by,
                max_attempts=3,
            )
        )
    return jobs


def request_pdf_for_document(session: Session, document: Document, now: datetime, actor: str) -> Job | None:
    """Record a job for one stored .docx ("Buat PDF"), unless its PDF exists or a job is pending."""
    if not is_docx(document.filename, document.media_type):
        raise SopflowError("Hanya dokumen .docx yang dapat dibuat PDF-nya.", document=document.id)
    if pdf_of(session, document.case_id, document.sha256) is not None:
        return None
    for job in _jobs_of(session, document.case_id):
        if job.status == "pending" and (job.payload or {}).get("source_sha256") == document.sha256:
            return None
    recorded = RecordedFile(
        {"sha256": document.sha256, "filename": document.filename, "media_type": document.media_type, "size": 0},
        document.kind,
        {},
        document.task_id or "",
        document.element_id or "",
    )
    created = request_pdfs(session, document.case_id, [recorded], now, actor)
    return created[0] if created else None


def pdf_of(session: Session, case_id: str, source_sha256: str) -> Document | None:
    """Return the PDF document made from the .docx with this SHA-256, if any."""
    rows = session.scalars(select(Document).where(Document.case_id == case_id, Document.kind == PDF_KIND)).all()
    return next((d for d in rows if (d.meta or {}).get("source_sha256") == source_sha256), None)


class PdfJobs:
    """The ``make_pdf`` job kind; ``files`` is the instance's content-addressed store."""

    def __init__(self, files: FileStore, timeout_seconds: int = pdf_export.DEFAULT_TIMEOUT_SECONDS) -> None:
        self.files = files
        self.timeout_seconds = timeout_seconds
        #: job id → the PDF bytes (or the conversion's exception) made by :meth:`prepare`
        self._prepared: dict[str, bytes | Exception] = {}

    def prepare(self, job_id: str, payload: dict[str, Any]) -> None:
        """Convert the job's .docx before its transaction opens (called by the job runner)."""
        if len(self._prepared) > MAX_PREPARED:  # left by runs that found their job busy or done
            self._prepared.clear()
        try:
            self._prepared[job_id] = self._convert(str(payload.get("source_sha256") or ""))
        except (pdf_export.PdfUnavailable, pdf_export.PdfConversionFailed) as exc:
            self._prepared[job_id] = exc
        except Exception:  # a missing file etc.: the transactional run reports it
            self._prepared.pop(job_id, None)

    def _convert(self, source: str) -> bytes:
        return pdf_export.docx_to_pdf(self.files.get(source), timeout_seconds=self.timeout_seconds)

    def __call__(self, session: Session, job: Job, now: datetime) -> None:
        """Convert the job's .docx and store the PDF; see the module docstring. Raises SopflowError."""
        payload = dict(job.payload or {})
        case_id = job.case_id or ""
        source = str(payload.get("source_sha256") or "")
        if pdf_of(session, case_id, source) is not None:
            return
        try:
            prepared = self._prepared.pop(job.id, None)
            if isinstance(prepared, Exception):
                raise prepared
            pdf = prepared if prepared is not None else self._convert(source)
        except pdf_export.PdfUnavailable as exc:
            payload["unavailable"] = str(exc)
            job.payload = payload  # a new dict, so the JSON column is written
            return
        except pdf_export.PdfConversionFailed as exc:
            raise SopflowError(f"PDF {payload.get('filename')}: {exc}", case=case_id) from exc
        case = store.lock_case(session, case_id)  # the short write: audit chain and documents
        if pdf_of(session, case_id, source) is not None:
            return
        filename = PurePath(str(payload.get("filename") or "dokumen.docx")).with_suffix(".pdf").name
        sha256 = self.files.put(pdf)
        meta = {"source_sha256": source, "source_kind": payload.get("source_kind"), "pdf": "PDF/A-2b"}
        session.add(
            Document(
                case_id=case_id,
                task_id=payload.get("task_id"),
                element_id=payload.get("element_id"),
                kind=PDF_KIND,
                filename=filename,
                media_type=PDF_MEDIA_TYPE,
                sha256=sha256,
                size=len(pdf),
                meta=meta,
                created_at=now,
            )
        )
        audit = AuditLog(SYSTEM_ACTOR, now, triggered_by=job.triggered_by)
        audit.add(
            "document_stored",
            payload.get("task_id"),
            payload.get("element_id"),
            kind=PDF_KIND,
            filename=filename,
            sha256=sha256,
            size=len(pdf),
            source_sha256=source,
            job_id=job.id,
        )
        case.updated_at = now
        session.flush()
        audit.write(session, case_id)


def _jobs_of(session: Session, case_id: str) -> list[Job]:
    return list(session.scalars(select(Job).where(Job.case_id == case_id, Job.kind == MAKE_PDF)).all())


def pdf_states(session: Session, case_id: str) -> dict[str, dict[str, Any]]:
    """Return, per .docx SHA-256 of the case, the state of its PDF for the case page.

    ``{"state": "ada" | "dibuat" | "tidak_tersedia" | "gagal", "message": str | None,
    "document_id": int | None}``; a .docx without any job is absent.
    """
    states: dict[str, dict[str, Any]] = {}
    for job in sorted(_jobs_of(session, case_id), key=lambda j: j.created_at):
        payload = job.payload or {}
        source = str(payload.get("source_sha256") or "")
        if job.status == "pending":
            states[source] = {"state": "dibuat", "message": "PDF sedang dibuat", "document_id": None}
        elif job.status == "failed":
            states[source] = {"state": "gagal", "message": job.last_error, "document_id": None}
        elif payload.get("unavailable"):
            states[source] = {"state": "tidak_tersedia", "message": payload["unavailable"], "document_id": None}
    for document in session.scalars(select(Document).where(Document.case_id == case_id, Document.kind == PDF_KIND)):
        source = str((document.meta or {}).get("source_sha256") or "")
        states[source] = {"state": "ada", "message": None, "document_id": document.id}
    return states
