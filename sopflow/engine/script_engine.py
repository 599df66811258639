"""The script engine of every workflow: sandboxed expressions, service tasks via the handler registry."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

from sopflow.engine.sandbox import SandboxEnvironment
from sopflow.errors import HandlerFailed
from sopflow.plugins import HandlerContext, HandlerError, registry


@dataclass
class ServiceRun:
    """What one service call did, for the audit log."""

    operation: str
    task_id: str
    element_id: str
    params: dict[str, Any]
    result: Any = None
    error: dict[str, Any] | None = None
    duration_ms: float = 0.0


@dataclass
class SopflowScriptEngine(PythonScriptEngine):  # type: ignore[misc]  # SpiffWorkflow ships no types
    """A PythonScriptEngine whose environment is the sandbox and whose services are handlers.

    ``context_for(task)`` builds the :class:`HandlerContext` of a service call; ``runs``
    collects one :class:`ServiceRun` per call (successful or not).
    """

    context_for: Callable[[Any], HandlerContext]
    runs: list[ServiceRun] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(environment=SandboxEnvironment())

    def call_service(self, task: Any, **kwargs: Any) -> str:
        """Run the handler registered as ``operation_name``; return its result as JSON."""
        operation = kwargs["operation_name"]
        params = {name: p["value"] for name, p in kwargs.get("operation_params", {}).items()}
        run = ServiceRun(operation, str(task.id), task.task_spec.bpmn_id, params)
        self.runs.append(run)
        started = time.perf_counter()
        try:
            handler = registry.get(operation)
            result = handler(params, self.context_for(task))
            encoded = json.dumps(result)
        except HandlerError as exc:
            run.error = {"message": exc.message, "errors": exc.errors}
            raise HandlerFailed(exc.message, exc.errors, element=run.element_id) from exc
        except Exception as exc:  # a bug or unexpected data in a handler: keep its real message
            message = f"Langkah otomatis '{operation}' gagal: {type(exc).__name__}: {exc}"
            run.error = {"message": message, "errors": [{"message": message}]}
            raise HandlerFailed(message, element=run.element_id) from exc
        finally:
            run.duration_ms = round((time.perf_counter() - started) * 1000, 3)
        run.result = result
        return encoded
