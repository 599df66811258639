"""The SOP as data: its steps (rows of the procedure table), lanes, lists and Indonesian dates.

Read from a :class:`ProcessDefinition` only, by the conventions of ``processes/README.md``:
a row per task carrying ``sop.step`` (supporting machine steps excluded, a multi-instance
task counted once), lanes in diagram order, and the flowchart symbol of each step
(terminator for the first and last step, decision when an exclusive gateway with more
than one outgoing flow follows the step, process otherwise) with the flows leaving it
(:class:`Edge`: the step reached, or the end, and the branch's label).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask

from sopflow.indonesian import BULAN
from sopflow.process.spec_loader import ProcessDefinition, parse_xml_safely, xpath_elements
from sopflow.process.task_rules import is_human, is_supporting, iter_bpmn_task_specs, properties_of


@dataclass
class Step:
    """One row of the procedure table."""

    number: int
    bpmn_id: str
    uraian: str
    lane: str
    props: dict[str, str]
    specs: list[Any] = field(default_factory=list)
    symbol: str = "process"
    label: str = ""
    branches: list[str] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)


@dataclass(frozen=True)
class Edge:
    """A flow from one step to the next: ``target`` is the row index of the step reached, or None for the end."""

    target: int | None
    label: str = ""


def format_tanggal(value: str | date | None) -> str:
    """Return an ISO date (or date) in Indonesian, e.g. ``"01 Januari 2023"``; ``"-"`` when empty."""
    if isinstance(value, date):
        return f"{value.day:02d} {BULAN[value.month - 1]} {value.year}"
    text = (value or "").strip()
    if not text:
        return "-"
    try:
        return format_tanggal(date.fromisoformat(text))
    except ValueError:
        return text  # already written out by hand: keep it


def numbered_list(properties: dict[str, str], prefix: str) -> list[str]:
    """Return the values of ``<prefix>.1``, ``<prefix>.2``, ... ordered by number, empty ones dropped."""
    items = []
    for key, value in properties.items():
        suffix = key.removeprefix(prefix + ".")
        if key.startswith(prefix + ".") and suffix.isdigit() and value.strip():
            items.append((int(suffix), value.strip()))
    return [value for _, value in sorted(items)]


def lane_order(definition: ProcessDefinition) -> list[str]:
    """Return the lane names of the process's laneSet in diagram (document) order."""
    tree = parse_xml_safely(definition.bpmn_xml)
    lanes = xpath_elements(tree, f"//bpmn:process[@id='{definition.process_id}']//bpmn:lane[not(bpmn:childLaneSet)]")
    names: list[str] = []
    for lane in lanes:
        name = (lane.get("name") or lane.get("id") or "").strip()
        if name and name not in names:
            names.append(name)
    return names


def _flow_names(definition: ProcessDefinition) -> dict[tuple[str | None, str | None], str]:
    tree = parse_xml_safely(definition.bpmn_xml)
    flows = xpath_elements(tree, f"//bpmn:process[@id='{definition.process_id}']/bpmn:sequenceFlow")
    return {(f.get("sourceRef"), f.get("targetRef")): (f.get("name") or "").strip() for f in flows}


def _step_number(task_spec: Any) -> int | None:
    raw = properties_of(task_spec).get("sop.step", "").strip()
    return int(raw) if raw.isdigit() else None


def _is_row(task_spec: Any) -> bool:
    """Tell whether a spec is an SOP step shown as a row (a person's task or a non-supporting machine step)."""
    if _step_number(task_spec) is None:
        return False
    if is_supporting(task_spec):  # a helper of a numbered step (e.g. signing its document)
        return False
    return is_human(task_spec) or isinstance(task_spec, (ServiceTask, ScriptTask))


def collect_steps(definition: ProcessDefinition) -> list[Step]:
    """Return the SOP steps of a process, ordered by step number, one per BPMN element."""
    specs_by_id: dict[str, list[Any]] = {}
    for task_spec in iter_bpmn_task_specs(definition.spec):
        specs_by_id.setdefault(task_spec.bpmn_id, []).append(task_spec)
    steps: dict[str, Step] = {}
    for bpmn_id, specs in specs_by_id.items():
        row = next((s for s in specs if _is_row(s)), None)
        if row is None:
            continue
        props = properties_of(row)
        steps[bpmn_id] = Step(
            number=_step_number(row) or 0,
            bpmn_id=bpmn_id,
            uraian=(props.get("sop.uraian") or "").strip() or _task_name(row),
            lane=(getattr(row, "lane", None) or "").strip(),
            props=props,
            specs=specs,
        )
    ordered = sorted(steps.values(), key=lambda s: (s.number, s.bpmn_id))
    _assign_symbols(ordered, _flow_names(definition))
    return ordered


def _task_name(task_spec: Any) -> str:
    name = getattr(task_spec, "bpmn_name", None) or task_spec.description or task_spec.bpmn_id
    return str(name).strip()


def _outputs(specs: list[Any]) -> list[Any]:
    """Return the outgoing specs of a BPMN element (an MI child has none: its wrapper has them)."""
    return [out for s in specs for out in s.outputs]


def _decision_gateway(step: Step) -> Any | None:
    """Return the exclusive gateway that decides after this step (skipping its supporting steps), if any."""
    pending, seen = _outputs(step.specs), set()
    while pending:
        node = pending.pop(0)
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, ExclusiveGateway):
            if len(node.outputs) > 1:
                return node
            pending.extend(node.outputs)
        elif is_supporting(node) and _step_number(node) == step.number:
            pending.extend(node.outputs)
    return None


def _target_step(node: Any, numbers: dict[str, int]) -> str:
    """Follow a gateway branch through gateways and supporting steps to the step (or end) it reaches."""
    pending, seen = [node], set()
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        bpmn_id = getattr(current, "bpmn_id", None)
        if bpmn_id in numbers:
            return str(numbers[bpmn_id])
        if isinstance(current, EndEvent):
            return "Selesai"
        pending.extend(current.outputs)
    return "?"


def _reached(node: Any, rows: dict[str, int], own: str) -> list[int | None]:
    """Return every step (row index) or end (None) reached first from ``node`` (through gateways and events)."""
    pending, seen, found = [node], set(), []
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        bpmn_id = getattr(current, "bpmn_id", None)
        if bpmn_id in rows and bpmn_id != own:
            target: int | None = rows[bpmn_id]
        elif isinstance(current, EndEvent):
            target = None
        else:
            pending.extend(current.outputs)
            continue
        if target not in found:
            found.append(target)
    return found


def _assign_symbols(steps: list[Step], flow_names: dict[tuple[str | None, str | None], str]) -> None:
    numbers = {s.bpmn_id: s.number for s in steps}
    rows = {s.bpmn_id: index for index, s in enumerate(steps)}
    for index, step in enumerate(steps):
        gateway = _decision_gateway(step)
        if gateway is not None:
            step.symbol = "decision"
            defaults = iter(("Ya", "Tidak") if len(gateway.outputs) == 2 else ())
            for out in gateway.outputs:
                name = flow_names.get((gateway.bpmn_id, getattr(out, "bpmn_id", None)), "")
                target = _target_step(out, numbers)
                label = name or next(defaults, "")
                step.branches.append(f"{label} → {target}" if label else f"→ {target}")
                step.edges.extend(Edge(t, label) for t in _reached(out, rows, step.bpmn_id))
        else:
            step.edges = [Edge(t) for out in _outputs(step.specs) for t in _reached(out, rows, step.bpmn_id)]
        if index == 0:
            step.symbol, step.label = "terminator", "Mula"
        elif index == len(steps) - 1 and gateway is None:
            step.symbol, step.label = "terminator", "Selesai"


def format_waktu(props: dict[str, str]) -> str:
    """Return the Waktu column: value and unit (``hari kerja`` by default), e.g. ``"15 hari kerja"``."""
    value = (props.get("sop.waktu") or "").strip()
    if not value:
        return "-"
    unit = (props.get("sop.satuan") or "").strip() or "hari kerja"
    return f"{value} {unit}"
