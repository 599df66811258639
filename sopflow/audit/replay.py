"""Re-execute a case from its recorded inputs and compare every step with what was recorded.

The replay runs the recorded process version from the start in memory, feeding the
recorded start data, form submissions and retries at the recorded moments (the clock of
each command), with the same handlers. After each command it compares the service steps'
outputs, the tasks that became ready and the case data with the audit events and the
snapshot recorded then. Files the replay generates go to a scratch store; nothing in the
database changes. A match proves the recorded outcome follows from the recorded inputs.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from sopflow.access.people import DirectoryPeople
from sopflow.audit.history import _latest_data
from sopflow.audit.records import REFUSAL_KINDS, jsonable
from sopflow.engine import serializer
from sopflow.engine.files import CommandFiles, FileStore
from sopflow.engine.projection import evaluate_property, ready_human_tasks
from sopflow.engine.runtime_versions import differences
from sopflow.engine.script_engine import SopflowScriptEngine
from sopflow.engine.stepping import run_engine_steps
from sopflow.engine.tree_facts import TreeFacts
from sopflow.errors import NotFound
from sopflow.persistence import store
from sopflow.persistence.models import AuditEvent, Case, ProcessVersion
from sopflow.plugins import HandlerContext

_COMMANDS = ("case_started", "task_completed", "step_retried", "engine_resumed")
#: events of a command that ran service steps itself; a command without them left its service steps to a job
_SERVICE_EVENTS = ("service_run", "service_failed")


class _OverlayStore(FileStore):
    """Writes go to a scratch folder; reads fall back to the real store (uploads, earlier documents)."""

    def __init__(self, scratch: Path, base: FileStore) -> None:
        super().__init__(scratch)
        self.base = base

    def get(self, sha256: str) -> bytes:
        return super().get(sha256) if self.path_for(sha256).exists() else self.base.get(sha256)


@dataclass
class ReplayReport:
    """What the replay compared and the first divergence, if any."""

    commands: int = 0
    service_steps: int = 0
    divergences: list[dict[str, Any]] = field(default_factory=list)
    #: libraries whose installed release differs from the one the case ran with
    version_warnings: list[str] = field(default_factory=list)

    @property
    def matches(self) -> bool:
        """Tell whether every compared step matched the record."""
        return not self.divergences

    def summary(self) -> str:
        """Return an Indonesian one-line summary (with a warning when library versions differ)."""
        warning = (
            f" Peringatan: replay berjalan dengan versi pustaka lain: {'; '.join(self.version_warnings)}."
            if self.version_warnings
            else ""
        )
        if self.matches:
            return (
                f"Replay cocok: {self.commands} perintah dan {self.service_steps} langkah otomatis "
                f"menghasilkan keadaan yang sama dengan catatan.{warning}"
            )
        first = self.divergences[0]
        return f"Replay BERBEDA pada peristiwa #{first['seq']} ({first['what']}): {first['detail']}{warning}"


def replay_case(session: Session, files: FileStore, templates_dir: Path, case_id: str) -> ReplayReport:
    """Re-execute a case on its recorded process version and compare each step; see the module docstring."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"Kasus {case_id} tidak ditemukan.", case=case_id)
    version = session.get_one(ProcessVersion, case.process_version_id)
    definition = store.definition_of(version)
    events = session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.seq)).all()
    report = ReplayReport()
    started = next((e for e in events if e.kind == "case_started"), None)
    report.version_warnings = differences((started.data or {}).get("runtime") if started else None)
    with tempfile.TemporaryDirectory(prefix="sopflow-replay-") as scratch:
        overlay = _OverlayStore(Path(scratch), files)
        workflow = serializer.new_workflow(definition, version.spec_state, version.sha256)
        state: dict[str, Any] = {"files": CommandFiles(overlay)}  # the current command's files and clock

        def context_for(task: Any) -> HandlerContext:
            return HandlerContext(
                files=state["files"],
                templates_dir=templates_dir,
                config=definition.config,
                now=state["now"],
                case_id=case_id,
                task_id=str(task.id),
                people=DirectoryPeople(session),
                process_properties=MappingProxyType(dict(definition.properties)),
            )

        engine = SopflowScriptEngine(context_for=context_for)
        workflow.script_engine = engine
        labels = {e.task_id: (e.element_id, (e.data or {}).get("label")) for e in events if e.kind == "task_ready"}
        for command, recorded in _commands(events):
            report.commands += 1
            state["now"] = command.at
            state["files"] = CommandFiles(overlay, now=command.at)
            runs_before = len(engine.runs)
            problem = _apply(workflow, command, labels)
            if problem is None:
                # a failing step is not a replay error: its failure is compared with the record below
                ran_services = command.kind in ("case_started", "engine_resumed") or any(
                    e.kind in _SERVICE_EVENTS for e in recorded
                )
                with contextlib.suppress(Exception):
                    run_engine_steps(workflow, defer_services=not ran_services)
            else:
                report.divergences.append({"seq": command.seq, "what": "masukan", "detail": problem})
                break
            new_runs = engine.runs[runs_before:]
            report.service_steps += len(new_runs)
            divergence = _compare(session, case_id, command, recorded, new_runs, workflow)
            if divergence:
                report.divergences.append(divergence)
                break
    return report


def _commands(events: Sequence[AuditEvent]) -> list[tuple[AuditEvent, list[AuditEvent]]]:
    """Split events into (command event, the events recorded with it)."""
    groups: list[tuple[AuditEvent, list[AuditEvent]]] = []
    for event in events:
        if event.kind in REFUSAL_KINDS:
            continue  # a refused submission changed nothing: there is nothing to re-execute or compare
        if event.kind in _COMMANDS:
            groups.append((event, [event]))
        elif groups:
            groups[-1][1].append(event)
    return groups


def _apply(workflow: Any, command: AuditEvent, labels: dict[str | None, tuple[str | None, Any]]) -> str | None:
    data = command.data or {}
    if command.kind == "engine_resumed":
        return None  # the service steps a job ran: only the engine steps below
    if command.kind == "case_started":
        workflow.get_tasks(state=TaskState.READY)[0].data.update(data.get("data") or {})
        return None
    if command.kind == "step_retried":
        failed = [t for t in workflow.get_tasks(state=TaskState.ERROR) if t.task_spec.bpmn_id == command.element_id]
        if not failed:
            return f"tidak ada langkah gagal {command.element_id} untuk diulang"
        failed[0].parent.data.update(data.get("after") or {})
        workflow.reset_from_task_id(failed[0].id)
        return None
    element, label = labels.get(command.task_id, (command.element_id, None))
    candidates = [
        t
        for t in ready_human_tasks(workflow)
        if t.task_spec.bpmn_id == element and (label is None or _label(t) == label)
    ]
    if not candidates:
        return f"tugas {element} ({label or '-'}) tidak siap saat replay"
    task = candidates[0]
    task.data.update(data.get("after") or {})
    task.run()
    return None


def _label(task: Any) -> str | None:
    return evaluate_property(task, "sopflow.label")


def _compare(
    session: Session, case_id: str, command: AuditEvent, recorded: list[AuditEvent], runs: list[Any], workflow: Any
) -> dict[str, Any] | None:
    expected = [e for e in recorded if e.kind == "service_run"]
    if [e.data["operation"] for e in expected] != [r.operation for r in runs if r.error is None]:
        got = [r.operation for r in runs]
        return _diverge(command, "langkah otomatis", [e.data["operation"] for e in expected], got)
    for event, run in zip(expected, [r for r in runs if r.error is None], strict=True):
        difference = _first_difference(event.data.get("result"), jsonable(run.result))
        if difference:
            return {"seq": event.seq, "what": f"hasil {run.operation}", "detail": difference}
    failed = [e for e in recorded if e.kind == "service_failed"]
    replay_failed = [r for r in runs if r.error is not None]
    if bool(failed) != bool(replay_failed):
        return _diverge(command, "kegagalan langkah", bool(failed), bool(replay_failed))
    ready_expected = sorted(
        (e.element_id, (e.data or {}).get("label") or "") for e in recorded if e.kind == "task_ready"
    )
    ready_now = sorted((t.task_spec.bpmn_id, _label(t) or "") for t in ready_human_tasks(workflow))
    if any(item not in ready_now for item in ready_expected):
        return _diverge(command, "tugas yang siap", ready_expected, ready_now)
    last = recorded[-1].seq
    compared = _data_to_compare(session, case_id, last, workflow)
    if compared is not None:
        difference = _first_difference(*compared)
        if difference:
            return {"seq": last, "what": "data kasus", "detail": difference}
    return None


def _data_to_compare(session: Session, case_id: str, seq: int, workflow: Any) -> tuple[Any, Any] | None:
    """(recorded, replayed) latest task data after the command ending at event ``seq``; None without a snapshot.

    The recorded side is the snapshot's summary, and the replayed side is summarised the same
    way; a snapshot written before summaries existed is compared through its full state.
    """
    found = store.snapshot_summary_at(session, case_id, seq)
    if found is None or found[0] != seq:
        return None
    if found[1] is not None:
        return found[1]["data"], TreeFacts.of(workflow).summary()["data"]
    snapshot = store.snapshot_at(session, case_id, seq)
    if snapshot is None or snapshot[0] != seq:
        return None
    return jsonable(_latest_data(snapshot[1])), jsonable(_latest_data(serializer.dump_state(workflow)))


def _first_difference(expected: Any, got: Any, path: str = "") -> str | None:
    """Describe the first place where two JSON values differ, or None when equal."""
    if isinstance(expected, dict) and isinstance(got, dict):
        for key in sorted(set(expected) | set(got)):
            found = _first_difference(expected.get(key), got.get(key), f"{path}.{key}" if path else key)
            if found:
                return found
        return None
    if isinstance(expected, list) and isinstance(got, list) and len(expected) == len(got):
        for index, (a, b) in enumerate(zip(expected, got, strict=True)):
            found = _first_difference(a, b, f"{path}[{index}]")
            if found:
                return found
        return None
    if expected != got:
        return f"{path or '(nilai)'}: tercatat {str(expected)[:80]!r}, replay {str(got)[:80]!r}"
    return None


def _diverge(event: AuditEvent, what: str, expected: Any, got: Any) -> dict[str, Any]:
    return {"seq": event.seq, "what": what, "detail": f"tercatat {expected!r}, replay {got!r}"}
