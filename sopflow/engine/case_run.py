"""One command's hold on one case: the restored workflow, its script engine, files and audit.

:class:`CaseRun` is created inside a unit of work after the case row is locked, does
the SpiffWorkflow work, and writes everything back in :meth:`CaseRun.save`. It never
commits; the unit of work does, once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.exc import StaleDataError

from sopflow.access.people import DirectoryPeople
from sopflow.audit.records import SYSTEM_ACTOR, AuditLog, jsonable
from sopflow.calendar.working_days import WorkingCalendar
from sopflow.engine import projection, serializer
from sopflow.engine.files import CommandFiles, FileStore
from sopflow.engine.script_engine import SopflowScriptEngine
from sopflow.engine.stepping import ServiceDeferred, is_service_step
from sopflow.engine.tree_facts import TreeFacts
from sopflow.engine.workflow_cache import WorkflowCache
from sopflow.errors import ExpressionRejected, HandlerFailed, SopflowError, StaleInstance, TaskNotReady
from sopflow.jobs.runner import raise_if_unavailable
from sopflow.logs import get_logger
from sopflow.persistence import store
from sopflow.persistence.db import after_commit
from sopflow.persistence.models import Case, ProcessVersion
from sopflow.plugins import HandlerContext
from sopflow.process.spec_loader import ProcessDefinition
from sopflow.process.task_rules import properties_of

log = get_logger(__name__)

#: SpiffWorkflow's task iterator silently stops past a tree depth of 1000; refuse to get near it.
MAX_TREE_DEPTH = 900


@dataclass
class Services:
    """What every command needs besides the session: files, calendar, clock settings."""

    files: FileStore
    calendar: WorkingCalendar
    timezone: str
    templates_dir: Any
    notifier: Any = None
    #: live workflows saved by this process's last commands (None: always restore)
    workflows: WorkflowCache | None = None


@dataclass
class CaseRun:
    """The workflow of one case during one command."""

    case: Case
    version: ProcessVersion
    definition: ProcessDefinition
    workflow: Any
    services: Services
    audit: AuditLog
    files: CommandFiles
    engine: SopflowScriptEngine
    completed_by: dict[str, str] = field(default_factory=dict)
    failure: dict[str, Any] | None = None
    deferred: str | None = None
    files_reported: int = 0
    script_inputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: the case's projection rows still ready after :meth:`save` (by task id), for the outcome
    open_rows: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def open(
        cls, case: Case, version: ProcessVersion, services: Services, audit: AuditLog, workflow: Any = None
    ) -> CaseRun:
        """Restore a case's workflow (or adopt a new one) with the sandboxed, registry-backed engine."""
        definition = store.definition_of(version)
        if workflow is None and services.workflows is not None:
            workflow = services.workflows.take(case.id, case.version)
        if workflow is None:
            workflow = serializer.restore(case.state, lambda: version.spec_state, version.sha256)
        files = CommandFiles(services.files, now=audit.now)
        run = cls(case, version, definition, workflow, services, audit, files, engine=None)  # type: ignore[arg-type]
        run.engine = SopflowScriptEngine(context_for=run._handler_context)
        # deserialization attaches SpiffWorkflow's unrestricted default engine: always replace it
        workflow.script_engine = run.engine
        return run

    def _handler_context(self, task: Any) -> HandlerContext:
        self.files.task_id, self.files.element_id = str(task.id), task.task_spec.bpmn_id
        return HandlerContext(
            files=self.files,
            templates_dir=self.services.templates_dir,
            config=self.definition.config,
            now=self.audit.now,
            case_id=self.case.id,
            task_id=str(task.id),
            people=DirectoryPeople(object_session(self.case)),  # the command's own session
            process_properties=MappingProxyType(dict(self.definition.properties)),
        )

    def handler_context(self, task: Any) -> HandlerContext:
        """Return the context a form validator of ``task`` runs with."""
        return self._handler_context(task)

    def ready_human_task(self, task_id: str) -> Any:
        """Return the READY user task with this id, or raise TaskNotReady."""
        task = projection.find_task(self.workflow, task_id)
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            raise TaskNotReady("Tugas ini sudah diselesaikan atau tidak lagi aktif.", task=task_id)
        return task

    def submit(self, task: Any, form: dict[str, Any]) -> None:
        """Put the form into the task's data and run the task; in a multi-instance the form joins its item."""
        parent_spec = task.parent.task_spec if task.parent else None
        before: dict[str, Any]
        is_instance = isinstance(parent_spec, LoopTask) and parent_spec.task_spec == task.task_spec.name
        if is_instance and parent_spec is not None and parent_spec.output_item is not None:
            out_name = parent_spec.output_item.bpmn_id
            in_name = parent_spec.input_item.bpmn_id if parent_spec.input_item else out_name
            current = task.data.get(out_name, task.data.get(in_name))
            item = dict(current) if isinstance(current, dict) else {"item": current}
            before = {out_name: current}
            item.update(form)
            task.data[out_name] = item
            after = {out_name: item}
        else:
            before = {key: task.data.get(key) for key in form}
            task.data.update(form)
            after = form
        self._report_new_files()  # the uploads, stored while the form was checked
        self.audit.add(
            "task_completed",
            str(task.id),
            task.task_spec.bpmn_id,
            lane=task.task_spec.lane,
            **_sop_facts(task.task_spec),
            before=before,
            after=after,
        )
        self.completed_by[str(task.id)] = self.audit.actor
        task.run()

    def advance(self, defer_services: bool = False) -> None:
        """Run every engine step that is ready; a failing step is kept in ERROR with its message.

        With ``defer_services`` the run stops before the first ready service task and
        remembers it in :attr:`deferred` (its element id): the command records an outbox job
        and a worker runs the service steps after commit. Gateways and scripts still run here.
        """
        self.deferred = None
        hook = self._before_step_deferring if defer_services else self._before_step
        try:
            self.workflow.do_engine_steps(will_complete_task=hook, did_complete_task=self._record_step)
        except ServiceDeferred as stop:
            self.deferred = stop.element_id
        except Exception as exc:
            raise_if_unavailable(exc)  # storage or database away: roll back, the job is retried
            self._record_failure(exc)

    def _before_step(self, task: Any) -> None:
        if isinstance(task.task_spec, ScriptTask):
            self.script_inputs[str(task.id)] = jsonable(task.data)

    def _before_step_deferring(self, task: Any) -> None:
        if is_service_step(task.task_spec):
            raise ServiceDeferred(task.task_spec.bpmn_id)
        self._before_step(task)

    def has_engine_work(self) -> bool:
        """Tell whether any non-human task is ready to run (e.g. service steps left for a job)."""
        return any(not t.task_spec.manual for t in self.workflow.get_tasks(state=TaskState.READY))

    def _record_step(self, task: Any) -> None:
        spec = task.task_spec
        if not getattr(spec, "bpmn_id", None):
            return
        task_id = str(task.id)
        run = next((r for r in reversed(self.engine.runs) if r.task_id == task_id and r.error is None), None)
        if run is not None:
            self.audit.add(
                "service_run",
                task_id,
                spec.bpmn_id,
                operation=run.operation,
                lane=spec.lane,
                **_sop_facts(spec),
                params=run.params,
                result=run.result,
                duration_ms=run.duration_ms,
            )
            self._report_new_files()
        elif isinstance(spec, ScriptTask):
            before = self.script_inputs.pop(task_id, {})
            after = jsonable(task.data)
            changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
            self.audit.add(
                "script_run",
                task_id,
                spec.bpmn_id,
                script=spec.script,
                before={k: before.get(k) for k in changed},
                after={k: after.get(k) for k in changed},
            )
        elif isinstance(spec, ExclusiveGateway):
            taken = [c.task_spec.bpmn_id for c in task.children if c.state != TaskState.CANCELLED]
            self.audit.add("gateway_passed", task_id, spec.bpmn_id, next=[t for t in taken if t])

    def _record_failure(self, exc: Exception) -> None:
        cause = _root_cause(exc)
        if isinstance(cause, ExpressionRejected):
            raise cause
        failed = self.workflow.get_tasks(state=TaskState.ERROR)
        task = failed[0] if failed else None
        errors = cause.errors if isinstance(cause, HandlerFailed) else [{"message": str(cause)}]
        message = cause.message if isinstance(cause, SopflowError) else f"{type(cause).__name__}: {cause}"
        self.failure = {
            "task_id": str(task.id) if task else None,
            "element_id": task.task_spec.bpmn_id if task else None,
            "message": message,
            "errors": jsonable(errors),
            "at": self.audit.now.isoformat(),
        }
        self.audit.add(
            "service_failed",
            self.failure["task_id"],
            self.failure["element_id"],
            message=message,
            errors=errors,
            params=next((r.params for r in reversed(self.engine.runs) if r.error is not None), None),
        )
        failed_run = next((r for r in reversed(self.engine.runs) if r.error is not None), None)
        log.error(
            "step_failed",
            case_id=self.case.id,
            task_id=self.failure["task_id"],
            element_id=self.failure["element_id"],
            operation=failed_run.operation if failed_run else None,
            error=message,
            exc_info=exc,
        )

    def _report_new_files(self) -> None:
        """Audit the files stored since the last report, so events keep the order things happened."""
        for item in self.files.recorded[self.files_reported :]:
            self.audit.add(
                "document_stored",
                item.task_id or None,
                item.element_id or None,
                kind=item.kind,
                filename=item.ref["filename"],
                sha256=item.ref["sha256"],
                size=item.ref["size"],
            )
        self.files_reported = len(self.files.recorded)

    def failed_tasks(self) -> list[Any]:
        """Return the tasks currently in ERROR."""
        tasks: list[Any] = self.workflow.get_tasks(state=TaskState.ERROR)
        return tasks

    def reached_end(self) -> bool:
        """Tell whether the top-level process completed through one of its end events."""
        return any(
            isinstance(t.task_spec, EndEvent) and t.workflow is self.workflow
            for t in self.workflow.get_tasks(state=TaskState.COMPLETED)
        )

    def save(self, session: Session, open_rows: dict[str, Any] | None = None) -> None:
        """Write state, status, projection, documents and audit; flush only (the caller commits).

        ``open_rows`` are the case's ready projection rows when the command read them after
        the lock already (else they are read here). After the transaction commits, the
        workflow stays in the process's cache under the case's new row version, so the
        case's next command here need not restore it.
        """
        tree = TreeFacts.of(self.workflow)
        if tree.depth > MAX_TREE_DEPTH:
            raise SopflowError(
                f"Kasus ini terlalu panjang (kedalaman riwayat {tree.depth}); perubahan tidak disimpan. "
                "Hubungi pemilik proses untuk menutup putaran revisi.",
                case=self.case.id,
            )
        ended = tree.end_task is not None
        if not ended and self.workflow.is_completed():  # stops at the first unfinished task
            raise SopflowError(
                "Mesin alur kerja berhenti tanpa mencapai peristiwa akhir; perubahan tidak disimpan.",
                case=self.case.id,
            )
        now = self.audit.now
        rows = store.open_task_rows(session, self.case.id) if open_rows is None else open_rows
        new, closed = projection.sync(
            self.workflow,
            rows,
            self.case.id,
            self.case.periode,
            now,
            self.services.calendar,
            self.services.timezone,
            self.completed_by,
            ready_tasks=tree.ready_manual,
        )
        session.add_all(new)
        ended_rows = {row.id for row in closed}
        self.open_rows = {task_id: row for task_id, row in rows.items() if task_id not in ended_rows}
        self.open_rows.update((row.id, row) for row in new)
        if self.services.notifier is not None and new:
            session.flush()
            self.services.notifier.tasks_ready(session, new, self.definition.name, now)
        for row in new:
            self.audit.add(
                "task_ready",
                row.id,
                row.element_id,
                lane=row.lane,
                unit=row.unit,
                label=row.label,
                due_at=row.due_at,
                step=row.step,
            )
        failed = tree.failed
        self.case.failure = self.failure if failed and self.failure else (self.case.failure if failed else None)
        self.case.status = "selesai" if ended else ("gagal" if failed else "berjalan")
        if ended:
            self.case.completed_at = now
            self.case.result = jsonable(dict(tree.end_task.data))
            self.audit.add("case_completed", None, tree.end_task.task_spec.bpmn_id)
        self.case.state = serializer.dump_state(self.workflow)
        self.case.serializer_version = serializer.SERIALIZER_VERSION
        self.case.updated_at = now
        store.add_documents(session, self.case.id, self.files.recorded, now)
        self._report_new_files()
        try:
            session.flush()
        except StaleDataError:
            raise StaleInstance("Kasus telah diubah oleh pengguna lain; muat ulang lalu coba lagi.") from None
        events = self.audit.write(session, self.case.id)
        if events:
            # the full state is kept for the start, every command a person gave and the end;
            # engine steps run by a job (actor "sistem") keep the summary only
            keep_state = events[0].seq == 1 or self.audit.actor != SYSTEM_ACTOR or ended
            state = self.case.state if keep_state else None
            store.add_snapshot(session, self.case.id, events[-1].seq, state, now, tree.summary_json())
        if self.services.workflows is not None:
            cache, case_id, version, workflow = self.services.workflows, self.case.id, self.case.version, self.workflow
            after_commit(session, lambda: cache.keep(case_id, version, workflow))


def _sop_facts(spec: Any) -> dict[str, Any]:
    """Return the SOP step number and expected output of a task spec, for audit events."""
    props = properties_of(spec)
    return {"step": props.get("sop.step"), "output": props.get("sop.output")}


def _root_cause(exc: BaseException) -> BaseException:
    """Return the first sopflow error in the exception chain, else the innermost exception."""
    seen: BaseException = exc
    for _ in range(20):
        if isinstance(seen, SopflowError):
            return seen
        nxt = getattr(seen, "exception", None) or seen.__cause__ or seen.__context__
        if nxt is None or nxt is seen:
            break
        seen = nxt
    return seen


def now_utc() -> datetime:
    """Return the current time as naive UTC (the storage convention)."""
    from datetime import UTC

    return datetime.now(UTC).replace(tzinfo=None)
