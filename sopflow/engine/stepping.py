"""Running engine steps up to the first service task: the split between a command and its job.

A person's completion runs the gateways and scripts that follow at once, and stops before
the first ready service task; the outbox job runs the rest (see :mod:`sopflow.jobs`).
Replay uses the same split so it re-executes exactly what each recorded command ran.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask


class ServiceDeferred(Exception):
    """Raised before a service task runs when the command leaves service steps to a job."""

    def __init__(self, element_id: str) -> None:
        super().__init__(element_id)
        self.element_id = element_id


def run_engine_steps(workflow: Any, defer_services: bool = False) -> str | None:
    """Run the ready engine steps without hooks (replay); return the deferred service element, if any."""

    def stop_at_services(task: Any) -> None:
        if is_service_step(task.task_spec):
            raise ServiceDeferred(task.task_spec.bpmn_id)

    try:
        workflow.do_engine_steps(will_complete_task=stop_at_services if defer_services else None)
    except ServiceDeferred as stop:
        return stop.element_id
    return None


def is_service_step(spec: Any) -> bool:
    """Tell whether a task spec is a service task (the steps that run in a worker)."""
    return isinstance(spec, ServiceTask)
