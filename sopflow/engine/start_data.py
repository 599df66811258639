"""The data a case starts with (engine ``start_instance``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from sopflow.engine import forms
from sopflow.engine.commands import StartInstance
from sopflow.errors import InvalidForm
from sopflow.persistence import store
from sopflow.process.spec_loader import ProcessDefinition


def start_data(session: Session, definition: ProcessDefinition, cmd: StartInstance) -> dict[str, Any]:
    """Return the data a new case starts with: the validated start form with its defaults, the periode,
    the gathered cases of other processes (``sopflow.kumpulkan``) and the previous case's carried-over
    values (``sopflow.carry_over``). Raises InvalidForm.
    """
    schema = definition.start_form()
    data = dict(cmd.data)
    data["periode"] = cmd.periode
    if schema is not None:
        data = forms.apply_defaults(schema, data)
        errors = forms.validation_errors(schema, data)
        if errors:
            raise InvalidForm("Data awal kasus belum benar.", errors)
    gathered = definition.gathered_processes()
    if gathered:
        data["kasus_terkait"] = {
            process_id: store.completed_in_periode(session, process_id, cmd.periode) for process_id in gathered
        }
    carry = definition.carry_over()
    if carry:
        previous = store.previous_result(session, definition.process_id, cmd.periode)
        data["sebelumnya"] = (
            {"periode": previous[0], **{name: previous[1].get(name) for name in carry}} if previous else None
        )
    return data
