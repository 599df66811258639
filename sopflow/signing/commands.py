"""The engine's signing commands: register a certificate, show what a signing task signs, sign it.

:class:`SigningCommands` is a mixin of :class:`sopflow.engine.boundary.Engine`. A *signing task* is a
user task with the property ``sopflow.tanda_tangan`` naming the task-data variable that
holds the .docx FileRef to sign (monev: ``laporan_final``); its PDF (made by the
``make_pdf`` job) is what gets signed. ``sopflow.tanda_tangan.hasil`` names the variable
that receives the signed PDF (default ``laporan_ditandatangani``).

Signing is done synchronously in the command that completes the task (pyHanko needs well
under a second): the passphrase is an argument of :meth:`SigningCommands.sign_task` and goes
nowhere else — not into the task data, the audit record, a job or a log line. The command's
transaction stores the signed PDF, writes a ``document_signed`` event (its SHA-256, the
certificate's fingerprint), completes the task and records the archive step as a job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from sopflow.access import authz
from sopflow.audit.records import AuditLog
from sopflow.engine.command_log import logged_command
from sopflow.errors import InvalidForm, NotFound, TaskNotReady
from sopflow.jobs import pdf_jobs
from sopflow.persistence import store
from sopflow.persistence.models import Case, Document, ProcessVersion
from sopflow.process.task_rules import properties_of
from sopflow.signing import certificates
from sopflow.signing.signer import Pkcs12Signer, SignerInfo, fingerprint

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from sopflow.engine.case_run import CaseRun, Services
    from sopflow.engine.commands import CaseOutcome
    from sopflow.persistence.db import Database
    from sopflow.settings import Settings

SIGN_PROPERTY = "sopflow.tanda_tangan"
RESULT_PROPERTY = "sopflow.tanda_tangan.hasil"
REASON_PROPERTY = "sopflow.tanda_tangan.alasan"
DEFAULT_RESULT = "laporan_ditandatangani"
DEFAULT_REASON = "Menyetujui dan mengesahkan dokumen"
SIGNED_KIND = "pdf_ditandatangani"


@dataclass(frozen=True)
class RegisterCertificate:
    """Register the PKCS#12 file ``pkcs12`` (opened with ``passphrase``, which is not kept) to ``actor``."""

    actor: str
    pkcs12: bytes = field(repr=False)
    passphrase: str = field(repr=False)


@dataclass(frozen=True)
class SignTask:
    """Complete the signing task ``task_id`` by signing its document with ``actor``'s certificate.

    ``without_signature`` completes it unsigned, allowed only when no PDF can be made
    (LibreOffice missing); the audit record then says so.
    """

    task_id: str
    actor: str
    passphrase: str = field(default="", repr=False)
    without_signature: bool = False


def is_signing_spec(task_spec: Any) -> bool:
    """Tell whether a task spec is a signing task (see the module docstring)."""
    return bool(properties_of(task_spec).get(SIGN_PROPERTY))


def refuse_form_completion(task_spec: Any, task_id: str) -> None:
    """Raise InvalidForm for a signing task: it is completed only by signing (:meth:`SigningCommands.sign_task`)."""
    if is_signing_spec(task_spec):
        message = "Tugas ini diselesaikan dengan menandatangani dokumen pada halaman Tanda tangan elektronik."
        raise InvalidForm(message, [{"field": "passphrase", "message": message}], task=task_id)


class SigningCommands:
    """Certificate and signing commands of the engine."""

    db: Database
    settings: Settings
    clock: Callable[[], datetime]
    services: Services
    _command: Callable[[], AbstractContextManager[Session]]
    _defer_service_steps: Callable[[Session, CaseRun, str], None]
    case_outcome: Callable[[str], CaseOutcome]

    @logged_command
    def register_certificate(self, cmd: RegisterCertificate) -> dict[str, Any]:
        """Register a signing certificate to the user; the previous one ends. Raises NotFound, InvalidForm."""
        with self.db.unit_of_work() as session:
            user = store.user(session, cmd.actor)
            now = self.clock()
            row = certificates.register(session, user, cmd.pkcs12, cmd.passphrase, now)
            return certificates.describe(row, now)

    def certificates_of(self, username: str) -> list[dict[str, Any]]:
        """Return the user's registered certificates, newest first (public facts only). Raises NotFound."""
        from sqlalchemy import select

        from sopflow.persistence.models import UserCertificate

        with self.db.reading() as session:
            user = store.user(session, username)
            rows = session.scalars(
                select(UserCertificate)
                .where(UserCertificate.user_id == user.id)
                .order_by(UserCertificate.registered_at.desc())
            ).all()
            now = self.clock()
            return [certificates.describe(r, now) for r in rows]

    def signing_elements(self, case_id: str) -> set[str]:
        """Return the BPMN ids of the signing tasks of the case's process version. Raises NotFound."""
        from sopflow.process.task_rules import iter_bpmn_task_specs

        with self.db.reading() as session:
            case = session.get(Case, case_id)
            if case is None:
                raise NotFound(f"Kasus {case_id} tidak ditemukan.", case=case_id)
            definition = store.definition_of(session.get_one(ProcessVersion, case.process_version_id))
        return {ts.bpmn_id for ts in iter_bpmn_task_specs(definition.spec) if is_signing_spec(ts)}

    def is_ready_signing_task(self, task_id: str) -> bool:
        """Tell whether ``task_id`` is a ready signing task (its page is the signing page); cheap, no workflow."""
        from sopflow.persistence.models import HumanTask
        from sopflow.process.task_rules import iter_bpmn_task_specs

        with self.db.reading() as session:
            row = session.get(HumanTask, task_id)
            if row is None or row.state != "ready":
                return False
            case = session.get_one(Case, row.case_id)
            definition = store.definition_of(session.get_one(ProcessVersion, case.process_version_id))
        return any(ts.bpmn_id == row.element_id and is_signing_spec(ts) for ts in iter_bpmn_task_specs(definition.spec))

    def signing_view(self, task_id: str, actor: str) -> dict[str, Any] | None:
        """Return what the signing page shows for ``task_id``, or None when it is not a signing task.

        Keys: ``task`` (id, name, state, case_id, claimed_by), ``source`` (the .docx FileRef),
        ``pdf`` (``{"state", "message", "document_id"}``: ``ada``, ``dibuat``, ``tidak_tersedia``,
        ``gagal`` or ``belum``), ``certificate`` (the actor's current one, or None), ``signer``
        (name, NIP, title from the user record). Raises NotFound.
        """
        from sopflow.engine.case_run import CaseRun

        with self.db.reading() as session:
            row = store.task_row(session, task_id)
            case = session.get_one(Case, row.case_id)
            version = session.get_one(ProcessVersion, case.process_version_id)
            run = CaseRun.open(case, version, self.services, AuditLog(actor, self.clock()))
            task = _find_task(run, task_id)
            if task is None or not is_signing_spec(task.task_spec):
                return None
            source = task.data.get(properties_of(task.task_spec)[SIGN_PROPERTY])
            user = store.user(session, actor)
            current = certificates.current_certificate(session, user)
            state = {"state": "belum", "message": "PDF belum dibuat.", "document_id": None}
            if isinstance(source, dict) and source.get("sha256"):
                state = pdf_jobs.pdf_states(session, case.id).get(source["sha256"], state)
            return {
                "task": {
                    "task_id": row.id,
                    "name": row.name,
                    "state": row.state,
                    "case_id": row.case_id,
                    "periode": row.periode,
                    "lane": row.lane,
                    "unit": row.unit,
                    "step": row.step,
                    "claimed_by": row.claimed_by,
                },
                "source": source,
                "pdf": state,
                "certificate": certificates.describe(current, self.clock()) if current else None,
                "signer": _signer_info(user).__dict__,
            }

    @logged_command
    def sign_task(self, cmd: SignTask) -> CaseOutcome:
        """Sign the task's PDF with the actor's registered certificate and complete the task.

        Raises NotFound, NotAssignee, TaskClaimedByOther, TaskNotReady (not a signing task,
        PDF still being made), InvalidForm (no certificate, expired certificate, wrong
        passphrase, no PDF); on any error nothing changes.
        """
        from sopflow.engine.case_run import CaseRun

        with self._command() as session:
            case = store.lock_case_of_task(session, cmd.task_id)
            row = store.task_row(session, cmd.task_id)  # read after the lock: current
            user = store.user(session, cmd.actor)
            authz.check_may_act(user, row)
            if row.state != "ready":
                raise TaskNotReady(f"Tugas '{row.name}' sudah diselesaikan atau tidak lagi aktif.", task=row.id)
            authz.check_not_claimed_by_other(user, row)
            now = self.clock()
            audit = AuditLog(user.username, now)
            run = CaseRun.open(case, store.version_for_run(session, case.process_version_id), self.services, audit)
            task = run.ready_human_task(cmd.task_id)
            props = properties_of(task.task_spec)
            if not props.get(SIGN_PROPERTY):
                raise TaskNotReady("Tugas ini bukan tugas penandatanganan.", task=row.id)
            result_name = props.get(RESULT_PROPERTY) or DEFAULT_RESULT
            source = task.data.get(props[SIGN_PROPERTY])
            run.files.task_id, run.files.element_id = str(task.id), task.task_spec.bpmn_id
            pdf_doc = self._pdf_to_sign(session, case.id, source, cmd.without_signature)
            if pdf_doc is None:  # no LibreOffice: completed unsigned, on record
                audit.add(
                    "signature_skipped",
                    str(task.id),
                    task.task_spec.bpmn_id,
                    reason="PDF tidak dapat dibuat (LibreOffice tidak terpasang); dokumen tidak ditandatangani.",
                )
                run.submit(task, {result_name: None})
            else:
                signed_ref = self._sign(session, run, user, pdf_doc, props.get(REASON_PROPERTY) or DEFAULT_REASON, cmd)
                run.submit(task, {result_name: signed_ref})
            run.advance(defer_services=True)
            run.save(session)
            self._defer_service_steps(session, run, user.username)
            case_id = case.id
        return self.case_outcome(case_id)

    def _pdf_to_sign(self, session: Session, case_id: str, source: Any, without: bool) -> Any:
        """Return the PDF Document to sign, or None when completing unsigned is allowed; else raise."""
        if not isinstance(source, dict) or not source.get("sha256"):
            raise InvalidForm("Dokumen yang harus ditandatangani belum tersedia pada kasus ini.", [])
        state = pdf_jobs.pdf_states(session, case_id).get(source["sha256"], {"state": "belum"})
        if state["state"] == "ada":
            if without:
                raise InvalidForm("PDF tersedia: dokumen harus ditandatangani.", [])
            return session.get_one(Document, state["document_id"])
        if state["state"] == "tidak_tersedia":
            if without:
                return None
            message = str(state["message"])
            raise InvalidForm(message, [{"field": "passphrase", "message": message}])
        if state["state"] == "dibuat":
            raise TaskNotReady("PDF sedang dibuat; muat ulang halaman ini sebentar lagi.")
        raise InvalidForm(f"PDF dokumen belum ada ({state.get('message') or 'belum dibuat'}).", [])

    def _sign(
        self, session: Session, run: CaseRun, user: Any, pdf_doc: Any, reason: str, cmd: SignTask
    ) -> dict[str, Any]:
        """Sign ``pdf_doc`` with the user's certificate; store it and record ``document_signed``."""
        now = self.clock()
        current = certificates.current_certificate(session, user)
        if current is None:
            message = "Anda belum mendaftarkan sertifikat elektronik. Daftarkan di Profil › Sertifikat."
            raise InvalidForm(message, [{"field": "passphrase", "message": message}])
        signer = Pkcs12Signer(certificates.key_file(session, current), cmd.passphrase)
        certificate = signer.certificate()
        if fingerprint(certificate) != current.fingerprint_sha256:
            message = "Berkas kunci tidak cocok dengan sertifikat terdaftar; daftarkan ulang sertifikat Anda."
            raise InvalidForm(message, [{"field": "passphrase", "message": message}])
        certificates.check_certificate(certificate, now)
        info = _signer_info(user)
        signed = signer.sign(run.files.store.get(pdf_doc.sha256), info, reason, now)
        filename = f"{PurePath(pdf_doc.filename).stem}-ditandatangani.pdf"
        meta = {"source_sha256": pdf_doc.sha256, "certificate_fingerprint": current.fingerprint_sha256}
        ref = run.files.put(signed, filename, "application/pdf", kind=SIGNED_KIND, meta=meta, canonical=False)
        run.audit.add(
            "document_signed",
            run.files.task_id,
            run.files.element_id,
            filename=filename,
            sha256=ref["sha256"],
            size=ref["size"],
            source_sha256=pdf_doc.sha256,
            signer=user.username,
            signer_name=info.name,
            signer_nip=info.nip,
            certificate_fingerprint=current.fingerprint_sha256,
            certificate_subject=current.subject,
            certificate_serial=current.serial_number,
            signature="PAdES B-B",
            reason=reason,
        )
        return ref


def _signer_info(user: Any) -> SignerInfo:
    return SignerInfo(
        username=user.username,
        name=user.full_name or user.username,
        nip=user.nip or "",
        position_title=user.position_title or "",
    )


def _find_task(run: CaseRun, task_id: str) -> Any:
    from sopflow.engine.projection import find_task

    return find_task(run.workflow, task_id)


def require_found(view: dict[str, Any] | None, task_id: str) -> dict[str, Any]:
    """Return ``view`` or raise NotFound (a task that is not a signing task has no signing page)."""
    if view is None:
        raise NotFound("Tugas ini bukan tugas penandatanganan.", task=task_id)
    return view
