"""The command boundary: every command is one transaction (lock → run → save → audit → commit).

The web layer and the CLI call these methods and nothing below them. Each method
docstring names the errors it raises; all derive from :class:`SopflowError`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import PurePath
from typing import Any, TypeVar

from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import Session, defer

from sopflow.access import authz
from sopflow.audit.records import AuditLog
from sopflow.calendar.escalation import escalate_overdue
from sopflow.calendar.working_days import load_calendar
from sopflow.engine import forms, serializer, uploads
from sopflow.engine.case_run import CaseRun, Services, now_utc
from sopflow.engine.command_log import logged_command
from sopflow.engine.commands import (
    CaseOutcome,
    ClaimTask,
    CompleteUserTask,
    ReassignTask,
    RetryFailedStep,
    StageUpload,
    StartInstance,
    UnclaimTask,
)
from sopflow.engine.files import FileStore
from sopflow.engine.process_commands import ProcessCommands
from sopflow.engine.runtime_versions import current_versions
from sopflow.engine.start_data import start_data
from sopflow.engine.workflow_cache import WorkflowCache
from sopflow.errors import CaseAlreadyExists, InvalidForm, NotFound, SopflowError, StaleInstance, TaskNotReady
from sopflow.jobs import outbox
from sopflow.jobs.commands import JobCommands
from sopflow.jobs.notifications import Notifier
from sopflow.jobs.outbox import ADVANCE_CASE, SEND_EMAIL, command_transaction
from sopflow.jobs.pdf_jobs import MAKE_PDF, PdfJobs
from sopflow.jobs.runner import JobRunner
from sopflow.jobs.sop_pdf_jobs import SOP_PDF, SopPdfCommands, SopPdfJobs
from sopflow.jobs.transport import Transport, make_transport
from sopflow.persistence import store
from sopflow.persistence.db import Database, after_commit
from sopflow.persistence.models import Case, ProcessVersion
from sopflow.plugins import HandlerError, registry
from sopflow.process.task_rules import human_spec, start_event_id
from sopflow.queries.cases import task_row
from sopflow.settings import Settings
from sopflow.signing.commands import SigningCommands, refuse_form_completion

T = TypeVar("T")
_WITHOUT_STATE = [defer(Case.state)]
STALE_RETRIES = 3


class Engine(ProcessCommands, JobCommands, SigningCommands, SopPdfCommands):
    """Runs sopflow commands against one database and file store (jobs, notifications: :class:`JobCommands`)."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Callable[[], datetime] = now_utc,
        transport: Transport | None = None,
    ) -> None:
        """Wire the engine; ``transport`` defaults to :func:`sopflow.jobs.transport.make_transport` (settings)."""
        self.db = db
        self.settings = settings
        self.clock = clock
        self.notifier = Notifier(settings)
        self.services = Services(
            files=FileStore(settings.files_dir),
            calendar=load_calendar(str(settings.calendar_file)),
            timezone=settings.timezone,
            templates_dir=settings.templates_dir,
            notifier=self.notifier,
            workflows=WorkflowCache(),
        )
        self.jobs = JobRunner(
            db,
            lambda: self.clock(),
            kinds={
                ADVANCE_CASE: self._advance_case,
                SEND_EMAIL: self.notifier.send_email,
                MAKE_PDF: PdfJobs(self.services.files),
                SOP_PDF: SopPdfJobs(db, settings, self.services.files),
            },
            on_failed={SEND_EMAIL: self.notifier.email_failed},
        )
        self.transport = transport or make_transport(settings, self.jobs)
        self.jobs.dispatch = self.transport.send
        #: jobs run by this process right after their commit are recorded already started
        self.jobs.starts_here = bool(getattr(self.transport, "runs_at_commit", False))
        self.jobs.send_later = lambda job_id, countdown: self.transport.send([job_id], countdown)

    def _command(self) -> AbstractContextManager[Session]:
        """One command's transaction; the jobs it records go to the transport after commit."""
        return command_transaction(self.db, self.transport.send, self.jobs.starts_here)

    # -- cases ----------------------------------------------------------------------------------
    @logged_command
    def start_instance(self, cmd: StartInstance) -> CaseOutcome:
        """Start a case on the latest published version with validated start data.

        Reads the process's start form (defaults fill process variables) and, when the
        process declares ``sopflow.carry_over``, sets ``sebelumnya`` from the previous
        completed case. The start's own service steps (e.g. preparing forms) run in this
        command, so start data a step refuses creates no case. Raises NotFound,
        PermissionDenied, InvalidForm, CaseAlreadyExists (a case of the periode exists).
        """
        with self._command() as session:
            version = store.latest_version(session, cmd.process_id)
            if version is None:
                raise NotFound(f"Proses {cmd.process_id!r} belum dipublikasikan.", process=cmd.process_id)
            definition = store.definition_of(version)
            user = store.user(session, cmd.actor)
            authz.check_may_start(user)
            existing = store.case_for_periode(session, cmd.process_id, cmd.periode)
            if existing is not None:
                raise CaseAlreadyExists(
                    f"Kasus untuk periode {cmd.periode} sudah ada ({existing.id}).",
                    [{"field": "periode", "message": f"Periode {cmd.periode} sudah memiliki kasus."}],
                )
            data = start_data(session, definition, cmd)
            now = self.clock()
            case = Case(
                id=uuid.uuid4().hex,
                process_version_id=version.id,
                process_id=version.process_id,
                periode=cmd.periode,
                status="berjalan",
                state="",
                serializer_version=serializer.SERIALIZER_VERSION,
                started_by=user.username,
                started_at=now,
                updated_at=now,
            )
            session.add(case)
            session.flush()
            workflow = serializer.new_workflow(definition, version.spec_state, version.sha256)
            audit = AuditLog(user.username, now)
            run = CaseRun.open(case, version, self.services, audit, workflow=workflow)
            audit.add(
                "case_started",
                None,
                start_event_id(definition.spec),
                process_id=version.process_id,
                process_version=version.version,
                process_sha256=version.sha256,
                periode=cmd.periode,
                data=data,
                runtime=current_versions(),  # replay warns when it runs on other releases
            )
            start = workflow.get_tasks(state=TaskState.READY)[0]
            start.data.update(data)
            run.advance()
            if run.failure is not None:
                # the start data itself was refused by a step: no case is created
                raise InvalidForm(f"Data awal kasus ditolak: {run.failure['message']}", run.failure["errors"])
            run.save(session)
            return _outcome(session, case, run.open_rows)

    @logged_command
    def claim_task(self, cmd: ClaimTask) -> dict[str, Any]:
        """Claim a ready task for ``cmd.actor``.

        Raises NotFound, NotAssignee (other lane/unit), TaskClaimedByOther, TaskNotReady.
        """
        return self._with_retry(lambda: self._claim(cmd.task_id, cmd.actor, claim=True))

    @logged_command
    def unclaim_task(self, cmd: UnclaimTask) -> dict[str, Any]:
        """Release a task claimed by ``cmd.actor`` back to the lane.

        Raises NotFound, NotAssignee, TaskClaimedByOther, TaskNotReady.
        """
        return self._with_retry(lambda: self._claim(cmd.task_id, cmd.actor, claim=False))

    def _claim(self, task_id: str, actor: str, claim: bool) -> dict[str, Any]:
        # one short transaction: no workflow restore, the case row locked without its state
        with self.db.unit_of_work() as session:
            case_id, old_version = store.lock_case_version_of_task(session, task_id)
            row = store.task_row(session, task_id)  # read after the lock: current
            user = store.user(session, actor)
            authz.check_may_act(user, row)
            if row.state != "ready":
                raise TaskNotReady(f"Tugas '{row.name}' sudah diselesaikan atau tidak lagi aktif.", task=task_id)
            authz.check_not_claimed_by_other(user, row)
            if claim and row.claimed_by == user.username:
                return task_row(row)  # claiming twice is harmless: nothing changes
            if not claim and row.claimed_by is None:
                return task_row(row)
            now, new_version = self.clock(), old_version + 1
            store.set_case_version(session, case_id, new_version, now)
            row.claimed_by = user.username if claim else None
            row.claimed_at = now if claim else None
            audit = AuditLog(user.username, now)
            audit.add("task_claimed" if claim else "task_unclaimed", row.id, row.element_id, lane=row.lane)
            session.flush()
            audit.write(session, case_id)
            # a claim leaves the workflow as it was: the cached one stays valid under the new version
            cache = self.services.workflows
            if cache is not None:
                after_commit(session, lambda: cache.advance(case_id, old_version, new_version))
            return task_row(row)

    @logged_command
    def complete_user_task(self, cmd: CompleteUserTask) -> CaseOutcome:
        """Complete a ready user task with form data and uploads, then run the engine steps.

        The form is validated against the task's schema and its ``x-sopflow-validate``
        handler first; on any problem InvalidForm is raised and nothing changes. Service
        steps that follow are recorded as an outbox job in the same transaction and run after
        commit (in-process without a broker: the outcome then already shows their result;
        with Celery: ``outcome.jobs`` lists them as queued). A failing service step is kept in
        ERROR (outcome.failure) with the user's data saved.
        Raises NotFound, NotAssignee, TaskClaimedByOther, TaskNotReady, InvalidForm.
        """
        with uploads.refusal_recorded(self.db, self.clock, cmd.task_id, cmd.actor, cmd.uploads, cmd.data):
            return self._with_retry(lambda: self._complete(cmd))

    def _complete(self, cmd: CompleteUserTask) -> CaseOutcome:
        with self._command() as session:
            case = store.lock_case_of_task(session, cmd.task_id)
            # read after the lock, so current; the save reuses the case's open rows
            open_rows = store.open_task_rows(session, case.id)
            row = open_rows.get(cmd.task_id) or store.task_row(session, cmd.task_id)
            user = store.user(session, cmd.actor)
            authz.check_may_act(user, row)
            if row.state != "ready":
                raise TaskNotReady(f"Tugas '{row.name}' sudah diselesaikan atau tidak lagi aktif.", task=row.id)
            authz.check_not_claimed_by_other(user, row)
            now = self.clock()
            audit = AuditLog(user.username, now)
            run = CaseRun.open(case, store.version_for_run(session, case.process_version_id), self.services, audit)
            task = run.ready_human_task(cmd.task_id)
            refuse_form_completion(task.task_spec, row.id)  # a signing task is completed by sign_task only
            run.files.task_id, run.files.element_id = str(task.id), task.task_spec.bpmn_id
            schema = run.definition.form_for(task.task_spec)
            data, staged = uploads.resolve(session, cmd.task_id, user.username, cmd.data)
            form = forms.prepare_submission(schema, data, cmd.uploads, run.files, staged)
            _run_form_validator(run, task, schema, form)
            run.submit(task, form)
            run.advance(defer_services=True)
            run.save(session, open_rows)
            self._defer_service_steps(session, run, user.username)
            case_id, settled = case.id, self._settled_outcome(session, run)
        return settled or self.case_outcome(case_id)

    @logged_command
    def reassign_task(self, cmd: ReassignTask) -> dict[str, Any]:
        """Give a ready task to another member of its lane (and unit), claimed in their name.

        Only the lane's head (``User.lead_lanes``) or an admin may reassign. Raises NotFound,
        PermissionDenied, NotAssignee (target not in lane/unit), TaskNotReady.
        """
        with self.db.unit_of_work() as session:
            case = store.lock_case_of_task(session, cmd.task_id)
            row = store.task_row(session, cmd.task_id)  # read after the lock: current
            actor = store.user(session, cmd.actor)
            authz.check_may_reassign(actor, row)
            target = store.user(session, cmd.to_user)
            authz.check_may_act(target, row)
            if row.state != "ready":
                raise TaskNotReady(f"Tugas '{row.name}' sudah diselesaikan atau tidak lagi aktif.", task=row.id)
            now = self.clock()
            audit = AuditLog(actor.username, now)
            audit.add(
                "task_reassigned", row.id, row.element_id, lane=row.lane, before=row.claimed_by, after=target.username
            )
            row.claimed_by, row.claimed_at = target.username, now
            case.updated_at = now
            session.flush()
            audit.write(session, case.id)
            return task_row(row)

    @logged_command
    def stage_upload(self, cmd: StageUpload) -> dict[str, Any]:
        """Store a file for an upload field of a ready task; completion may then reference its ``upload_id``.

        Checks the field's type and size rules. Raises NotFound, NotAssignee,
        TaskClaimedByOther, TaskNotReady, InvalidForm.
        """
        with uploads.refusal_recorded(self.db, self.clock, cmd.task_id, cmd.actor, {cmd.field: cmd.upload}):
            return self._stage(cmd)

    def _stage(self, cmd: StageUpload) -> dict[str, Any]:
        with self.db.unit_of_work() as session:
            row = store.task_row(session, cmd.task_id)
            user = store.user(session, cmd.actor)
            authz.check_may_act(user, row)
            if row.state != "ready":
                raise TaskNotReady(f"Tugas '{row.name}' sudah diselesaikan atau tidak lagi aktif.", task=row.id)
            authz.check_not_claimed_by_other(user, row)
            case = session.get_one(Case, row.case_id)
            definition = store.definition_of(session.get_one(ProcessVersion, case.process_version_id))
            schema = definition.form_for(human_spec(definition.spec, row.element_id))
            return uploads.stage(
                session,
                self.services.files,
                schema,
                row.id,
                user.username,
                cmd.field,
                PurePath(cmd.upload.filename).name,
                cmd.upload.content,
                self.clock(),
            )

    @logged_command
    def escalate_overdue(self) -> list[dict[str, Any]]:
        """Escalate every overdue ready task to its lane's superior (see :mod:`sopflow.calendar.escalation`)."""
        return escalate_overdue(self.db, self.clock(), self.notifier, self.transport.send)

    @logged_command
    def retry_failed_step(self, cmd: RetryFailedStep) -> CaseOutcome:
        """Run the case's failed step again, after applying ``cmd.data_patch`` to its data.

        Raises NotFound, PermissionDenied, TaskNotReady (nothing failed).
        """
        with self._command() as session:
            case = store.lock_case(session, cmd.case_id)
            user = store.user(session, cmd.actor)
            audit = AuditLog(user.username, self.clock())
            run = CaseRun.open(case, store.version_for_run(session, case.process_version_id), self.services, audit)
            failed = run.failed_tasks()
            if not failed:
                raise TaskNotReady("Tidak ada langkah yang gagal pada kasus ini.", case=case.id)
            task = failed[0]
            authz.check_may_repair(user, task.task_spec.lane)
            before = {key: task.data.get(key) for key in cmd.data_patch}
            audit.add("step_retried", str(task.id), task.task_spec.bpmn_id, before=before, after=cmd.data_patch)
            # a task inherits its parent's data when it becomes ready again: correct it there
            task.parent.data.update(cmd.data_patch)
            run.workflow.reset_from_task_id(task.id)
            run.advance(defer_services=True)
            run.save(session)
            self._defer_service_steps(session, run, user.username)
            case_id, settled = case.id, self._settled_outcome(session, run)
        return settled or self.case_outcome(case_id)

    @staticmethod
    def _settled_outcome(session: Session, run: CaseRun) -> CaseOutcome | None:
        """The outcome as this transaction leaves the case, when nothing will run after its commit.

        A command that recorded jobs returns None: an in-process job may move the case on
        right after commit, so the outcome is read afterwards (:meth:`case_outcome`).
        """
        return None if outbox.jobs_recorded(session) else _outcome(session, run.case, run.open_rows)

    def case_outcome(self, case_id: str) -> CaseOutcome:
        """Return the case's current status, open tasks, failure and open jobs."""
        with self.db.reading() as session:
            case = session.get(Case, case_id, options=_WITHOUT_STATE)  # the outcome never reads the state
            if case is None:
                raise NotFound(f"Kasus {case_id} tidak ditemukan.", case=case_id)
            return _outcome(session, case)

    def _with_retry(self, action: Callable[[], T]) -> T:
        for attempt in range(STALE_RETRIES):
            try:
                return action()
            except StaleInstance:
                if attempt == STALE_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")


def _run_form_validator(run: CaseRun, task: Any, schema: dict[str, Any] | None, form: dict[str, Any]) -> None:
    """Run the form's ``x-sopflow-validate`` handler; its HandlerError becomes InvalidForm."""
    name = (schema or {}).get("x-sopflow-validate")
    if not name:
        return
    try:
        registry.get(name)({"form": form, "data": dict(task.data)}, run.handler_context(task))
    except HandlerError as exc:
        raise InvalidForm(exc.message, exc.errors, task=str(task.id)) from None
    except Exception as exc:
        raise SopflowError(f"Pemeriksaan formulir '{name}' gagal: {type(exc).__name__}: {exc}") from exc


def _outcome(session: Session, case: Case, open_rows: dict[str, Any] | None = None) -> CaseOutcome:
    """The case's outcome; ``open_rows`` are its ready rows when the command's save just wrote them."""
    rows = store.open_task_rows(session, case.id) if open_rows is None else open_rows
    tasks = sorted((task_row(r) for r in rows.values()), key=lambda t: (t["step"] or 0, t["label"] or ""))
    return CaseOutcome(case.id, case.status, case.version, tasks, case.failure, outbox.case_jobs(session, case.id))
