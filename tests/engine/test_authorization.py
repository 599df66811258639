"""Lane, unit and claim rules are enforced by the engine; a refused command changes nothing."""

from __future__ import annotations

import pytest

from sopflow import (
    ClaimTask,
    CompleteUserTask,
    NotAssignee,
    PermissionDenied,
    StartInstance,
    TaskClaimedByOther,
    TaskNotReady,
    UnclaimTask,
)
from sopflow.persistence.models import Case, HumanTask
from sopflow.queries.inbox import timeline_for_case


def snapshot(engine, case_id):
    with engine.db.reading() as session:
        case = session.get(Case, case_id)
        rows = session.query(HumanTask).filter_by(case_id=case_id).order_by(HumanTask.id).all()
        return (
            case.version,
            case.state,
            [(r.id, r.state, r.claimed_by) for r in rows],
            len(timeline_for_case(session, case_id)),
        )


def unit_tasks(engine, start):
    outcome = start()
    isi = outcome.open_tasks[0]
    outcome = engine.complete_user_task(CompleteUserTask(isi["task_id"], "ani", {"angka": 1}))
    return {t["unit"]: t for t in outcome.open_tasks}


def test_other_lane_cannot_claim_or_complete(engine, start):
    outcome = start()
    task = outcome.open_tasks[0]
    before = snapshot(engine, outcome.case_id)
    with pytest.raises(NotAssignee, match="lane Pengusul"):
        engine.claim_task(ClaimTask(task["task_id"], "budi"))
    with pytest.raises(NotAssignee):
        engine.complete_user_task(CompleteUserTask(task["task_id"], "budi", {"angka": 1}))
    assert snapshot(engine, outcome.case_id) == before


def test_other_unit_cannot_act_on_a_multi_instance_task(engine, start):
    tasks = unit_tasks(engine, start)
    with pytest.raises(NotAssignee, match="U2"):
        engine.claim_task(ClaimTask(tasks["U2"]["task_id"], "cici"))
    engine.claim_task(ClaimTask(tasks["U1"]["task_id"], "cici"))


def test_task_claimed_by_someone_else_cannot_be_taken(engine, start):
    tasks = unit_tasks(engine, start)
    engine.claim_task(ClaimTask(tasks["U1"]["task_id"], "cici"))
    case_id = tasks["U1"]["case_id"]
    before = snapshot(engine, case_id)
    with pytest.raises(TaskClaimedByOther, match="cici"):
        engine.claim_task(ClaimTask(tasks["U1"]["task_id"], "budi"))
    with pytest.raises(TaskClaimedByOther):
        engine.complete_user_task(CompleteUserTask(tasks["U1"]["task_id"], "budi", {"catatan": "menyerobot"}))
    with pytest.raises(TaskClaimedByOther):
        engine.unclaim_task(UnclaimTask(tasks["U1"]["task_id"], "budi"))
    assert snapshot(engine, case_id) == before
    released = engine.unclaim_task(UnclaimTask(tasks["U1"]["task_id"], "cici"))
    assert released["claimed_by"] is None
    engine.complete_user_task(CompleteUserTask(tasks["U1"]["task_id"], "budi", {"catatan": "sekarang boleh"}))


def test_completing_twice_says_already_done(engine, start):
    outcome = start()
    task = outcome.open_tasks[0]
    engine.complete_user_task(CompleteUserTask(task["task_id"], "ani", {"angka": 1}))
    before = snapshot(engine, outcome.case_id)
    with pytest.raises(TaskNotReady, match="sudah diselesaikan"):
        engine.complete_user_task(CompleteUserTask(task["task_id"], "ani", {"angka": 2}))
    with pytest.raises(TaskNotReady):
        engine.claim_task(ClaimTask(task["task_id"], "ani"))
    assert snapshot(engine, outcome.case_id) == before


def test_claims_are_audited(engine, start):
    outcome = start()
    task = outcome.open_tasks[0]
    engine.claim_task(ClaimTask(task["task_id"], "ani"))
    engine.claim_task(ClaimTask(task["task_id"], "ani"))  # idempotent, no second event
    engine.unclaim_task(UnclaimTask(task["task_id"], "ani"))
    with engine.db.reading() as session:
        kinds = [(e["kind"], e["actor"]) for e in timeline_for_case(session, outcome.case_id)]
    assert kinds[-2:] == [("task_claimed", "ani"), ("task_unclaimed", "ani")]
    assert kinds.count(("task_claimed", "ani")) == 1


def test_auditor_cannot_start_or_act(engine, mini, make_user):
    make_user("inspektur", lanes=["Pengusul"], roles=["auditor"])
    with pytest.raises(PermissionDenied):
        engine.start_instance(StartInstance("mini", "inspektur", "2026-TW1", {"daftar_unit": [{"unit": "U1"}]}))
    outcome = engine.start_instance(StartInstance("mini", "ani", "2026-TW1", {"daftar_unit": [{"unit": "U1"}]}))
    with pytest.raises(PermissionDenied):
        engine.claim_task(ClaimTask(outcome.open_tasks[0]["task_id"], "inspektur"))


def test_only_start_lane_may_start(engine, mini):
    with pytest.raises(PermissionDenied, match="memulai"):
        engine.start_instance(StartInstance("mini", "budi", "2026-TW1", {"daftar_unit": [{"unit": "U1"}]}))
