"""Workflow state serialization: typed task data survives a save, and threads do not disturb each other."""

from __future__ import annotations

import json
import threading
from datetime import date, datetime
from decimal import Decimal

from SpiffWorkflow.util.task import TaskState

from sopflow.engine import serializer
from sopflow.persistence import store


def _workflow(engine, mini):
    with engine.db.reading() as session:
        version = store.latest_version(session, "mini")
        definition = store.definition_of(version)
        return definition, serializer.new_workflow(definition, version.spec_state, version.sha256), version


def test_dates_datetimes_and_decimals_in_task_data_come_back_as_such(engine, mini):
    _definition, workflow, version = _workflow(engine, mini)
    task = workflow.get_tasks(state=TaskState.READY)[0]
    task.data.update(
        tenggat=date(2026, 12, 2),
        dicatat=datetime(2026, 12, 2, 9, 30, 15),
        anggaran=Decimal("1250000.50"),
        bertingkat={"daftar": [date(2026, 1, 1), Decimal("0.1")]},
    )
    restored = serializer.restore(serializer.dump_state(workflow), version.spec_state, version.sha256)
    data = restored.get_task_from_id(task.id).data
    assert data["tenggat"] == date(2026, 12, 2) and type(data["tenggat"]) is date
    assert data["dicatat"] == datetime(2026, 12, 2, 9, 30, 15)
    assert data["anggaran"] == Decimal("1250000.50")
    assert data["bertingkat"] == {"daftar": [date(2026, 1, 1), Decimal("0.1")]}


def test_serializing_in_one_thread_never_disturbs_another(engine, mini):
    definition, workflow, _version = _workflow(engine, mini)
    workflow.get_tasks(state=TaskState.READY)[0].data["dicatat"] = datetime(2026, 12, 2, 9, 30)
    expected_spec = serializer.spec_state(definition)
    problems: list[str] = []
    stop = threading.Event()

    def dump_states() -> None:
        while not stop.is_set():
            try:
                json.loads(serializer.dump_state(workflow))
            except Exception as exc:
                problems.append(f"dump_state: {type(exc).__name__}: {exc}")

    worker = threading.Thread(target=dump_states)
    worker.start()
    try:
        for _ in range(300):
            try:
                if serializer.spec_state(definition) != expected_spec:
                    problems.append("spec_state differs while another thread serializes")
            except Exception as exc:
                problems.append(f"spec_state: {type(exc).__name__}: {exc}")
    finally:
        stop.set()
        worker.join()
    assert problems == []
