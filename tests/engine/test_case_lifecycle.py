"""A case goes from start to end through engine commands; state survives every save/restore."""

from __future__ import annotations

import pytest

from sopflow import CompleteUserTask, InvalidForm, NotFound, StartInstance
from sopflow.persistence.models import Case
from sopflow.queries.inbox import documents_of_case, search_cases, tasks_for_user, tasks_of_case, timeline_for_case


def only(tasks, element):
    found = [t for t in tasks if t["element_id"] == element]
    assert found, f"{element} not among {[t['element_id'] for t in tasks]}"
    return found


def test_case_runs_to_end_event_through_a_loop(engine, start):
    outcome = start()
    assert outcome.status == "berjalan"
    (isi,) = only(outcome.open_tasks, "isi_angka")
    outcome = engine.complete_user_task(CompleteUserTask(isi["task_id"], "ani", {"angka": 4}))
    units = sorted(t["unit"] for t in only(outcome.open_tasks, "periksa_unit"))
    assert units == ["U1", "U2"]
    for task in only(outcome.open_tasks, "periksa_unit"):
        form = {"catatan": f"cek {task['unit']}"}
        outcome = engine.complete_user_task(CompleteUserTask(task["task_id"], "budi", form))
    (putus,) = only(outcome.open_tasks, "putuskan")
    outcome = engine.complete_user_task(
        CompleteUserTask(putus["task_id"], "budi", {"keputusan": "ulang", "catatan_keputusan": "perlu diulang"})
    )
    (isi,) = only(outcome.open_tasks, "isi_angka")
    outcome = engine.complete_user_task(CompleteUserTask(isi["task_id"], "dodi", {"angka": 5}))
    for task in only(outcome.open_tasks, "periksa_unit"):
        outcome = engine.complete_user_task(CompleteUserTask(task["task_id"], "budi", {"catatan": "baik lagi"}))
    (putus,) = only(outcome.open_tasks, "putuskan")
    outcome = engine.complete_user_task(
        CompleteUserTask(putus["task_id"], "budi", {"keputusan": "setuju", "catatan_keputusan": "sudah sesuai"})
    )
    assert outcome.status == "selesai"
    assert outcome.open_tasks == []
    with engine.db.reading() as session:
        case = session.get(Case, outcome.case_id)
        assert case.completed_at is not None
        # multi-instance answers gathered in input order, the loop counted by the sandboxed script
        assert case.result["daftar_unit"] == [
            {"unit": "U1", "catatan": "baik lagi"},
            {"unit": "U2", "catatan": "baik lagi"},
        ]
        assert case.result["putaran"] == 1
        assert case.result["hasil"]["nilai"] == 10
        kinds = [e["kind"] for e in timeline_for_case(session, case.id)]
        assert kinds[0] == "case_started" and kinds[-1] == "case_completed"
        assert kinds.count("service_run") == 2 and kinds.count("script_run") == 1
        assert {d["kind"] for d in documents_of_case(session, case.id)} == {"hasil"}
        closed = tasks_of_case(session, case.id)
        assert all(t["state"] == "completed" for t in closed)
        assert {t["completed_by"] for t in closed} == {"ani", "budi", "dodi"}


def test_start_data_is_validated_and_defaults_fill_process_variables(engine, mini):
    with pytest.raises(InvalidForm) as err:
        engine.start_instance(StartInstance("mini", "ani", "2026-TW9", {"daftar_unit": []}))
    fields = {e["field"] for e in err.value.errors}
    assert fields == {"periode", "daftar_unit"}
    outcome = engine.start_instance(StartInstance("mini", "ani", "2026-TW2", {"daftar_unit": [{"unit": "U1"}]}))
    with engine.db.reading() as session:
        started = timeline_for_case(session, outcome.case_id)[0]
    assert started["data"]["data"]["putaran"] == 0
    assert started["data"]["process_sha256"] == mini["version"].sha256


def test_one_case_per_periode(engine, start):
    start("2026-TW1")
    with pytest.raises(InvalidForm, match="sudah ada"):
        start("2026-TW1")


def test_unknown_process_and_task_are_not_found(engine, mini):
    with pytest.raises(NotFound):
        engine.start_instance(StartInstance("tidak_ada", "ani", "2026-TW1", {}))
    with pytest.raises(NotFound):
        engine.complete_user_task(CompleteUserTask("00000000-0000-0000-0000-000000000000", "ani", {}))


def test_inbox_lists_tasks_by_lane_unit_and_due_date(engine, start):
    outcome = start()
    (isi,) = only(outcome.open_tasks, "isi_angka")
    engine.complete_user_task(CompleteUserTask(isi["task_id"], "ani", {"angka": 2}))
    with engine.db.reading() as session:
        assert [t.unit for t in tasks_for_user(session, "cici")] == ["U1"]
        assert sorted(t.unit for t in tasks_for_user(session, "budi")) == ["U1", "U2"]
        assert tasks_for_user(session, "ani") == []
        task = tasks_for_user(session, "cici")[0]
        assert task.periode == "2026-TW1" and task.step == 3 and task.due_at > task.ready_at


def test_carry_over_brings_the_previous_periode_result(engine, start):
    first = start("2026-TW1", units=("U1",))
    (isi,) = only(first.open_tasks, "isi_angka")
    outcome = engine.complete_user_task(CompleteUserTask(isi["task_id"], "ani", {"angka": 3}))
    (unit,) = only(outcome.open_tasks, "periksa_unit")
    outcome = engine.complete_user_task(CompleteUserTask(unit["task_id"], "budi", {"catatan": "oke saja"}))
    (putus,) = only(outcome.open_tasks, "putuskan")
    engine.complete_user_task(
        CompleteUserTask(putus["task_id"], "budi", {"keputusan": "setuju", "catatan_keputusan": "sudah sesuai"})
    )
    second = start("2026-TW2", units=("U1",))
    with engine.db.reading() as session:
        first_start = timeline_for_case(session, first.case_id)[0]["data"]["data"]
        second_start = timeline_for_case(session, second.case_id)[0]["data"]["data"]
    assert first_start["sebelumnya"] is None
    assert second_start["sebelumnya"]["periode"] == "2026-TW1"
    assert second_start["sebelumnya"]["hasil"]["nilai"] == 6


def test_search_cases_by_periode_status_actor_and_step(engine, start):
    first = start("2026-TW1")
    engine.complete_user_task(CompleteUserTask(first.open_tasks[0]["task_id"], "dodi", {"angka": 2}))
    start("2026-TW2")
    with engine.db.reading() as session:
        assert [c["periode"] for c in search_cases(session)] == ["2026-TW2", "2026-TW1"]
        assert [c["periode"] for c in search_cases(session, periode="2026-TW1")] == ["2026-TW1"]
        assert [c["periode"] for c in search_cases(session, actor="dodi")] == ["2026-TW1"]
        assert [c["periode"] for c in search_cases(session, step=3)] == ["2026-TW1"]
        assert search_cases(session, status="selesai") == []
