"""What a save needs to know about a workflow's task tree, gathered in one pass."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.util.task import TaskState

from sopflow.audit.records import jsonable


@dataclass
class TreeFacts:
    """What a save needs from the task tree, gathered in one depth-first pass.

    SpiffWorkflow's ``get_tasks`` walks the whole tree per call (and its iterator pops from
    the front of a list); a save used to call it five times. Tasks come in the iterator's
    order (depth first, a subprocess before the task's own children).
    """

    depth: int = 0
    end_task: Any = None
    failed: list[Any] = field(default_factory=list)
    ready_manual: list[Any] = field(default_factory=list)
    ready_names: list[str] = field(default_factory=list)
    latest_completed: Any = None

    @classmethod
    def of(cls, workflow: Any) -> TreeFacts:
        """Walk ``workflow`` (subprocesses included) once.

        Finished-state facts (completed, failed, end reached) see exactly the tasks
        ``get_tasks(state=COMPLETED)`` would: that iterator does not descend below a task that
        is not finished yet (e.g. the completed instances under a running multi-instance), and
        the snapshot summary and replay depend on that choice.
        """
        facts = cls()
        subprocesses = workflow.subprocesses
        # (task, depth, reached by the finished-state iteration)
        stack: list[tuple[Any, int, bool]] = [(workflow.task_tree, 1, True)]
        latest_change = None
        while stack:
            task, depth, finished_path = stack.pop()
            if depth > facts.depth:
                facts.depth = depth
            state = task.state
            if state == TaskState.READY:
                facts.ready_names.append(task.task_spec.name)
                if task.task_spec.manual:
                    facts.ready_manual.append(task)
            elif finished_path and state == TaskState.COMPLETED:
                if latest_change is None or task.last_state_change > latest_change:
                    latest_change, facts.latest_completed = task.last_state_change, task
                if task.workflow is workflow and isinstance(task.task_spec, EndEvent):
                    facts.end_task = task
            elif finished_path and state == TaskState.ERROR:
                facts.failed.append(task)
            sub = subprocesses.get(task.id)
            below = finished_path and (state >= TaskState.COMPLETED or sub is not None)
            for child in reversed(task.children):
                stack.append((child, depth + 1, below))
            if sub is not None:
                stack.append((sub.task_tree, depth + 1, finished_path))
        return facts

    def summary(self) -> dict[str, Any]:
        """The data of the most recently completed task and the READY task specs, for point-in-time views."""
        summary: dict[str, Any] = jsonable(self._summary())
        return summary

    def summary_json(self) -> str:
        """:meth:`summary` as the JSON text a snapshot stores, encoded once."""
        return json.dumps(self._summary(), default=str)

    def _summary(self) -> dict[str, Any]:
        latest = self.latest_completed
        return {"data": dict(latest.data) if latest is not None else {}, "ready": sorted(self.ready_names)}
