"""The per-process workflow cache: a command may skip the restore only when nothing changed the case since."""

from __future__ import annotations

from sopflow import ClaimTask, CompleteUserTask, Engine
from sopflow.audit.history import case_at
from sopflow.engine.workflow_cache import WorkflowCache
from sopflow.queries.inbox import timeline_for_case


def _task(outcome, element: str, unit: str | None = None) -> str:
    return next(t["task_id"] for t in outcome.open_tasks if t["element_id"] == element and unit in (None, t["unit"]))


def test_a_change_made_by_another_process_is_never_overwritten_by_a_cached_workflow(engine, database, settings, start):
    outcome = start(units=("U1", "U2"))
    first = engine.complete_user_task(CompleteUserTask(_task(outcome, "isi_angka"), "ani", {"angka": 4}))
    assert len(engine.services.workflows) == 1  # this process keeps the workflow it saved
    # a second process (another gunicorn or Celery worker) completes U1's check
    other = Engine(database, settings)
    after_other = other.complete_user_task(
        CompleteUserTask(_task(first, "periksa_unit", "U1"), "budi", {"catatan": "dari proses lain"})
    )
    # back in the first process: its cached workflow is older than the row and must not be used
    final = engine.complete_user_task(
        CompleteUserTask(_task(after_other, "periksa_unit", "U2"), "budi", {"catatan": "dari proses pertama"})
    )
    assert [t["element_id"] for t in final.open_tasks] == ["putuskan"]
    with engine.db.reading() as session:
        events = timeline_for_case(session, outcome.case_id)
        moment = case_at(session, outcome.case_id, events[-1]["seq"])
    notes = sorted(item["catatan"] for item in moment["data"]["daftar_unit"])
    assert notes == ["dari proses lain", "dari proses pertama"]


def test_a_claim_keeps_the_cached_workflow_valid_and_a_refused_command_drops_it(engine, start):
    outcome = start(units=("U1",))
    first = engine.complete_user_task(CompleteUserTask(_task(outcome, "isi_angka"), "ani", {"angka": 4}))
    task_id = _task(first, "periksa_unit", "U1")
    engine.claim_task(ClaimTask(task_id, "budi"))
    cache = engine.services.workflows
    assert len(cache) == 1
    case_id = first.case_id
    version = engine.case_outcome(case_id).version
    workflow = cache.take(case_id, version)
    assert workflow is not None  # re-keyed to the version the claim wrote
    cache.keep(case_id, version, workflow)
    # a refused form: the command took the workflow out and, rolled back, never puts it back
    try:
        engine.complete_user_task(CompleteUserTask(task_id, "budi", {"catatan": 5}))
    except Exception as exc:  # InvalidForm
        assert "catatan" in str(getattr(exc, "errors", exc))
    assert len(cache) == 0
    done = engine.complete_user_task(CompleteUserTask(task_id, "budi", {"catatan": "baik"}))
    assert [t["element_id"] for t in done.open_tasks] == ["putuskan"]


def test_the_cache_hands_a_workflow_out_once_and_only_for_its_version():
    cache = WorkflowCache(size=2)
    cache.keep("a", 3, "wf-a")
    assert cache.take("a", 2) is None  # the row moved on: stale entry dropped
    assert cache.take("a", 3) is None
    cache.keep("a", 3, "wf-a")
    assert cache.take("a", 3) == "wf-a"
    assert cache.take("a", 3) is None  # owned by one command at a time
    for name in ("a", "b", "c"):
        cache.keep(name, 1, name)
    assert len(cache) == 2 and cache.take("a", 1) is None  # least recently saved goes first
    cache.advance("b", 1, 2)
    assert cache.take("b", 2) == "b"
