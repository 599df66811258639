"""sopflow's semantic rules on a parsed BPMN spec, and small readers of task-spec metadata.

The rules (every user task in a lane with a valid form, every service operator
registered, Mutu Baku on every SOP step) are generic: they hold for any SOP.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.manual_task import ManualTask
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask

MUTU_BAKU = ("sop.persyaratan", "sop.waktu", "sop.output")
SATUAN_WAKTU = ("hari kerja", "hari", "jam")


def iter_bpmn_task_specs(spec: Any) -> Iterator[Any]:
    """Yield the task specs of a process that come from BPMN elements (MI children included)."""
    for task_spec in spec.task_specs.values():
        if getattr(task_spec, "bpmn_id", None):
            yield task_spec


def properties_of(task_spec: Any) -> dict[str, str]:
    """Return the ``spiffworkflow:property`` values of a task spec (empty dict if none)."""
    return (getattr(task_spec, "extensions", None) or {}).get("properties", {}) or {}


def form_filename(task_spec: Any) -> str | None:
    """Return the form schema filename a user task declares, if any."""
    name = (getattr(task_spec, "extensions", None) or {}).get("formJsonSchemaFilename")
    return name.strip() if isinstance(name, str) and name.strip() else None


def is_human(task_spec: Any) -> bool:
    """Tell whether a spec is a task a person completes (not the MI wrapper)."""
    return isinstance(task_spec, (UserTask, ManualTask)) and not isinstance(task_spec, LoopTask)


def human_spec(spec: Any, element_id: str) -> Any | None:
    """Return the spec a person completes for a BPMN element (the instance spec of a multi-instance)."""
    for task_spec in iter_bpmn_task_specs(spec):
        if task_spec.bpmn_id == element_id and is_human(task_spec):
            return task_spec
    return None


def start_event_id(spec: Any) -> str | None:
    """Return the id of the process's (first) BPMN start event."""
    return next((s.bpmn_id for s in iter_bpmn_task_specs(spec) if isinstance(s, StartEvent)), None)


def is_supporting(task_spec: Any) -> bool:
    """Tell whether a machine step is marked as supporting an SOP step (``sop.pendukung``)."""
    return properties_of(task_spec).get("sop.pendukung", "").strip().lower() in {"ya", "true", "1"}


def check_task_rules(spec: Any, forms: dict[str, dict[str, Any]], operators: list[str]) -> list[dict[str, Any]]:
    """Return the rule violations of a spec, each ``{"element", "message"}`` in Indonesian."""
    problems: list[dict[str, Any]] = []
    steps: set[int] = set()
    for ts in iter_bpmn_task_specs(spec):
        if isinstance(ts, LoopTask):
            continue  # the wrapper; its child carries lane, properties and form
        element = ts.bpmn_id
        human = is_human(ts)
        machine = isinstance(ts, (ServiceTask, ScriptTask))
        if not (human or machine):
            continue
        if human and not ts.lane:
            problems.append({"element": element, "message": "tugas pengguna tidak berada di lane mana pun"})
        if human:
            name = form_filename(ts)
            if name is None:
                problems.append({"element": element, "message": "tugas pengguna tidak menyebut formulir"})
            elif name not in forms:
                problems.append({"element": element, "message": f"formulir {name!r} tidak ditemukan"})
        if isinstance(ts, ServiceTask) and ts.operation_name not in operators:
            problems.append(
                {
                    "element": element,
                    "message": f"operator layanan {ts.operation_name!r} tidak terdaftar; "
                    f"yang terdaftar: {', '.join(operators) or '(tidak ada)'}",
                }
            )
        problems += _check_mutu_baku(ts, human, steps)
    return problems


def _check_mutu_baku(ts: Any, human: bool, steps: set[int]) -> list[dict[str, Any]]:
    props = properties_of(ts)
    element = ts.bpmn_id
    problems: list[dict[str, Any]] = []
    raw_step = props.get("sop.step", "").strip()
    if not raw_step.isdigit():
        return [{"element": element, "message": "properti sop.step (nomor langkah SOP) tidak ada atau bukan angka"}]
    if is_supporting(ts):  # a helper task (machine step, or e.g. signing a step's output): no row of its own
        return []
    step = int(raw_step)
    if step in steps:
        problems.append(
            {"element": element, "message": f"langkah SOP {step} dipakai lebih dari satu tugas (tandai sop.pendukung)"}
        )
    steps.add(step)
    for key in MUTU_BAKU:
        if not props.get(key, "").strip():
            problems.append({"element": element, "message": f"Mutu Baku belum lengkap: properti {key} kosong"})
    waktu = props.get("sop.waktu", "").strip().replace(",", ".")
    if waktu:
        try:
            if float(waktu) < 0:
                raise ValueError
        except ValueError:
            problems.append({"element": element, "message": f"sop.waktu harus angka ≥ 0, bukan {waktu!r}"})
    satuan = props.get("sop.satuan", "hari kerja").strip() or "hari kerja"
    if satuan not in SATUAN_WAKTU:
        problems.append(
            {"element": element, "message": f"sop.satuan {satuan!r} tidak dikenal; pilih {', '.join(SATUAN_WAKTU)}"}
        )
    return problems
