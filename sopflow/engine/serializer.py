"""Workflow state to and from JSON, with the spec stored once per process version.

SpiffWorkflow embeds the whole spec in every serialization (most of its bytes); we
split it off: :func:`spec_state` is computed once per version and stored with it, and
:func:`dump_state`/:func:`restore` handle only the case's own state. The serializer
version is stamped in each case row, so a format change ships with a migration.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.bpmn.serializer.helpers.registry import DefaultRegistry
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SPIFF_SERIALIZER_VERSION
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from sopflow.process.spec_loader import ProcessDefinition

SERIALIZER_VERSION = f"sopflow-1/spiff-{SPIFF_SERIALIZER_VERSION}"


class _ThreadLocalModeRegistry(DefaultRegistry):  # type: ignore[misc]  # SpiffWorkflow ships no types
    """SpiffWorkflow's registry, with its encoder switch kept per thread.

    SpiffWorkflow flips one flag on the shared registry while it serializes (``serialize_json``
    does, and so does :func:`dump_state`); on a shared registry a second thread converting a
    spec at that moment (a publish next to a completion) got unconverted objects. Here each
    thread sees only its own switch.
    """

    _mode = threading.local()

    @property
    def _encoder_mode(self) -> bool:  # the name SpiffWorkflow's serializer reads and sets
        return getattr(self._mode, "on", False)

    @_encoder_mode.setter
    def _encoder_mode(self, value: bool) -> None:
        self._mode.on = value

    @contextmanager
    def encoding(self) -> Iterator[None]:
        """Convert for a JSON encoder in this thread (data is left to the encoder's ``default``)."""
        previous = self._encoder_mode
        self._encoder_mode = True
        try:
            yield
        finally:
            self._encoder_mode = previous


_state_only = threading.local()


class _SharedSpecWorkflowConverter(BpmnWorkflowConverter):  # type: ignore[misc]  # SpiffWorkflow ships no types
    """Restores a workflow onto spec objects built once per version, instead of rebuilding them.

    SpiffWorkflow's converter rebuilds the whole spec graph from its dict on every restore
    (most of a restore's work for a case with little history). Specs are not changed by
    running a workflow (SpiffWorkflow itself starts many workflows from one parsed spec), so
    :func:`restore` hands in the version's shared spec objects; a dict still works as before.
    """

    def to_dict(self, workflow: Any) -> dict[str, Any]:
        """Convert a workflow; inside :func:`dump_state` without its spec (stored once per version)."""
        dct: dict[str, Any]
        if not getattr(_state_only, "on", False):
            dct = super().to_dict(workflow)
            return dct
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> Any:
        """Restore a workflow; ``dct["spec"]`` may be a spec object (shared) or its dict."""
        if isinstance(dct.get("spec"), dict):
            return super().from_dict(dct)
        workflow = self.target_class(dct.pop("spec"), dct.pop("subprocess_specs", {}), deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


_registry = BpmnWorkflowSerializer.configure(
    {**SPIFF_CONFIG, BpmnWorkflow: _SharedSpecWorkflowConverter}, _ThreadLocalModeRegistry()
)
_registry.register(Decimal, lambda v: {"value": str(v)}, lambda d: Decimal(d["value"]))
_registry.register(datetime, lambda v: {"value": v.isoformat()}, lambda d: datetime.fromisoformat(d["value"]))
_registry.register(date, lambda v: {"value": v.isoformat()}, lambda d: date.fromisoformat(d["value"]))
_serializer = BpmnWorkflowSerializer(_registry)
#: turns dates, datetimes, decimals (and SpiffWorkflow's own types) inside task data into tagged dicts
_Encoder = create_encoder(_registry)
_spec_cache: dict[str, dict[str, Any]] = {}
#: spec objects per version (sha256), shared by every workflow restored or started on it
_spec_objects: dict[str, tuple[Any, dict[str, Any]]] = {}


def spec_state(definition: ProcessDefinition) -> str:
    """Return the JSON of a definition's spec and subprocess specs (stored with the version)."""
    return json.dumps(_spec_dict(definition))


def _spec_dict(definition: ProcessDefinition) -> dict[str, Any]:
    return {
        "spec": _serializer.to_dict(definition.spec),
        "subprocess_specs": {name: _serializer.to_dict(s) for name, s in definition.subprocess_specs.items()},
    }


def dump_state(workflow: BpmnWorkflow) -> str:
    """Serialize a workflow's state without its spec (task data keeps dates, datetimes and decimals)."""
    _state_only.on = True  # converting the spec graph only to drop it was most of a save
    try:
        with _registry.encoding():
            state = _serializer.to_dict(workflow)
    finally:
        _state_only.on = False
    state[_serializer.VERSION_KEY] = _serializer.VERSION
    return json.dumps(state, separators=(",", ":"), cls=_Encoder)


SpecSource = str | Callable[[], str]


def _specs(spec_json: SpecSource, cache_key: str) -> dict[str, Any]:
    # SpiffWorkflow's converters pop keys from the dicts they restore: hand out copies.
    specs = _spec_cache.get(cache_key)
    if specs is None:
        specs = _spec_cache[cache_key] = json.loads(spec_json() if callable(spec_json) else spec_json)
    return copy.deepcopy(specs)


def restore(state_json: str, spec_json: SpecSource, cache_key: str) -> BpmnWorkflow:
    """Rebuild a workflow from its state and its version's stored spec.

    ``spec_json`` may be a callable: it is called only when the spec is not cached yet.
    """
    state = json.loads(state_json)
    if state.get(_serializer.VERSION_KEY) != _serializer.VERSION:
        # an older SpiffWorkflow format: its migrations may edit the spec dicts too
        specs = _specs(spec_json, cache_key)
        state["spec"], state["subprocess_specs"] = specs["spec"], specs["subprocess_specs"]
        _serializer.migrate(state)
        return _serializer.from_dict(state)
    state["spec"], state["subprocess_specs"] = _shared_specs(spec_json, cache_key)
    return _serializer.from_dict(state)


def new_workflow(definition: ProcessDefinition, spec_json: SpecSource, cache_key: str) -> BpmnWorkflow:
    """Create a fresh workflow from the stored spec of a version (the spec objects a restore uses)."""
    return BpmnWorkflow(*_shared_specs(spec_json, cache_key))


def _shared_specs(spec_json: SpecSource, cache_key: str) -> tuple[Any, dict[str, Any]]:
    shared = _spec_objects.get(cache_key)
    if shared is None:
        shared = _spec_objects[cache_key] = load_specs(spec_json, cache_key)
    return shared


def load_specs(spec_json: SpecSource, cache_key: str) -> tuple[Any, dict[str, Any]]:
    """Return new ``(spec, subprocess_specs)`` objects rebuilt from a version's stored spec."""
    specs = _specs(spec_json, cache_key)
    spec = _serializer.from_dict(specs["spec"])
    return spec, {name: _serializer.from_dict(s) for name, s in specs["subprocess_specs"].items()}


def registry() -> Any:
    """Return the configured converter registry (SpiffWorkflow's diff helpers compare specs through it)."""
    return _registry
