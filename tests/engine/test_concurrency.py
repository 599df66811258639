"""Concurrent commands on one case: exactly one wins, the others get a clear error, nothing breaks."""

from __future__ import annotations

import threading

from sopflow import ClaimTask, CompleteUserTask, SopflowError
from sopflow.queries.inbox import timeline_for_case


def run_together(actions):
    results, barrier = [None] * len(actions), threading.Barrier(len(actions))

    def worker(i, action):
        barrier.wait()
        try:
            results[i] = ("ok", action())
        except SopflowError as exc:
            results[i] = (type(exc).__name__, exc.message)
        except Exception as exc:  # anything else is a bug the test must show
            results[i] = ("BUG", repr(exc))

    threads = [threading.Thread(target=worker, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def test_two_users_completing_the_same_task(engine, start):
    outcome = start()
    task = outcome.open_tasks[0]
    results = run_together(
        [
            lambda who=who: engine.complete_user_task(CompleteUserTask(task["task_id"], who, {"angka": 3}))
            for who in ("ani", "dodi")
        ]
    )
    kinds = sorted(r[0] for r in results)
    assert kinds == ["TaskNotReady", "ok"], results
    with engine.db.reading() as session:
        events = timeline_for_case(session, outcome.case_id)
    assert [e["kind"] for e in events].count("task_completed") == 1


def test_many_claims_of_one_task(engine, start, make_user):
    outcome = start()
    task = outcome.open_tasks[0]
    users = [make_user(f"pengusul{i}", lanes=["Pengusul"]) for i in range(8)]
    results = run_together([lambda u=u: engine.claim_task(ClaimTask(task["task_id"], u)) for u in users])
    kinds = sorted(r[0] for r in results)
    assert kinds == ["TaskClaimedByOther"] * 7 + ["ok"], results
    with engine.db.reading() as session:
        claims = [e for e in timeline_for_case(session, outcome.case_id) if e["kind"] == "task_claimed"]
    assert len(claims) == 1
