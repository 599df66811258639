"""Overdue tasks are escalated once to the superior lane the process names; the scheduler runs it."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from sopflow import Engine, StartInstance
from sopflow.jobs.scheduler import InProcessScheduler
from sopflow.queries.inbox import escalations_for_user, overview, tasks_for_user, timeline_for_case


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_overdue_task_is_escalated_once(database, settings, mini, make_user):
    make_user("atasan", lanes=["Pemeriksa"])
    clock = Clock(datetime(2026, 8, 14, 2, 0))
    engine = Engine(database, settings, clock=clock)
    outcome = engine.start_instance(StartInstance("mini", "ani", "2026-TW3", {"daftar_unit": [{"unit": "U1"}]}))
    assert engine.escalate_overdue() == []
    clock.now += timedelta(days=10)
    escalated = engine.escalate_overdue()
    assert [(e["lane"], e["to"]) for e in escalated] == [("Pengusul", "Pemeriksa")]
    assert engine.escalate_overdue() == []  # idempotent
    with engine.db.reading() as session:
        events = [e for e in timeline_for_case(session, outcome.case_id) if e["kind"] == "task_escalated"]
        assert len(events) == 1 and events[0]["actor"] == "sistem"
        assert [t.element_id for t in escalations_for_user(session, "atasan", clock.now)] == ["isi_angka"]
        assert escalations_for_user(session, "ani", clock.now) == []
        (mine,) = tasks_for_user(session, "ani")
        assert mine.escalated_at == clock.now and mine.is_overdue(clock.now)
        summary = overview(session, clock.now)
    assert summary["overdue_per_lane"] == {"Pengusul": 1}
    assert summary["per_step"][0]["overdue"] == 1


def test_scheduler_escalates_without_manual_polling(database, settings, mini):
    clock = Clock(datetime(2026, 8, 14, 2, 0))
    engine = Engine(database, settings, clock=clock)
    engine.start_instance(StartInstance("mini", "ani", "2026-TW3", {"daftar_unit": [{"unit": "U1"}]}))
    clock.now += timedelta(days=30)
    scheduler = InProcessScheduler(engine, interval=0.05)
    scheduler.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with engine.db.reading() as session:
            if tasks_for_user(session, "ani")[0].escalated_at is not None:
                break
        time.sleep(0.05)
    scheduler.stop()
    scheduler.join(5)
    with engine.db.reading() as session:
        assert tasks_for_user(session, "ani")[0].escalated_at is not None
    assert scheduler.runs >= 1
