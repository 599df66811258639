"""Two schedulers running the round at the same time fire each alert, escalation and e-mail once."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select

from sopflow import ClaimTask, CompleteUserTask, Engine, StartInstance
from sopflow.persistence.models import HumanTask, Notification, TaskAlert

from .conftest import REPO, Clock, events_of, set_email, with_smtp, worker_env

ADDRESS = "{}@diskominfo.example.go.id"


def _scenario(engine: Engine, database) -> dict[str, str]:
    """Case A waits at the per-unit checks (U1: budi, cici; U2: budi); case B at 'Isi angka', claimed by dodi."""
    for user in ("ani", "budi", "cici", "dodi"):
        set_email(database, user, ADDRESS.format(user))
    data = {"daftar_unit": [{"unit": "U1"}, {"unit": "U2"}]}
    a = engine.start_instance(StartInstance("mini", "ani", "2026-TW1", data))
    a = engine.complete_user_task(CompleteUserTask(a.open_tasks[0]["task_id"], "ani", {"angka": 5}))
    b = engine.start_instance(StartInstance("mini", "ani", "2026-TW2", data))
    engine.claim_task(ClaimTask(b.open_tasks[0]["task_id"], "dodi"))
    tasks = {t["unit"]: t["task_id"] for t in a.open_tasks}
    return {
        "case_a": a.case_id,
        "case_b": b.case_id,
        "U1": tasks["U1"],
        "U2": tasks["U2"],
        "B": b.open_tasks[0]["task_id"],
    }


def _expected(ids: dict[str, str]) -> Counter:
    return Counter(
        {
            (ids["U1"], "due_soon", "budi"): 1,
            (ids["U1"], "due_soon", "cici"): 1,
            (ids["U1"], "overdue", "budi"): 1,
            (ids["U1"], "overdue", "cici"): 1,
            (ids["U2"], "due_soon", "budi"): 1,
            (ids["U2"], "overdue", "budi"): 1,
            (ids["B"], "due_soon", "dodi"): 1,  # the claimant, not the lane
            (ids["B"], "overdue", "dodi"): 1,
            (ids["B"], "escalated", "budi"): 1,  # lane Pengusul escalates to Pemeriksa
            (ids["B"], "escalated", "cici"): 1,
        }
    )


def _check_once(engine: Engine, database, smtp, ids: dict[str, str]) -> None:
    with database.reading() as session:
        alerts = Counter(session.execute(select(TaskAlert.task_id, TaskAlert.kind)).all())
        notes = session.scalars(select(Notification).where(Notification.kind != "task_ready")).all()
        due = {t.id: t.due_at for t in session.scalars(select(HumanTask).where(HumanTask.state == "ready"))}
    assert alerts == Counter({(t, k): 1 for t in (ids["U1"], ids["U2"], ids["B"]) for k in ("due_soon", "overdue")})
    assert Counter((n.task_id, n.kind, n.username) for n in notes) == _expected(ids)
    assert {n.email_status for n in notes} == {"terkirim"}
    mails = Counter((m["To"], m["Subject"]) for m in smtp.mail.messages)
    assert sum(mails.values()) == len(notes) and set(mails.values()) == {1}
    for case_id, tasks in ((ids["case_a"], 2), (ids["case_b"], 1)):
        escalated = events_of(engine, case_id, "task_escalated")
        assert len(escalated) == tasks and len({e["task_id"] for e in escalated}) == tasks
    assert all(d is not None for d in due.values())


def _moments(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    moments = []
    while start <= end:
        moments.append(start)
        start += step
    return moments


def test_two_scheduler_threads_fire_everything_once(database, settings, mini, smtp, clock):
    smtp_settings = with_smtp(settings, smtp.port)
    ids = _scenario(Engine(database, smtp_settings, clock=clock), database)
    smtp.mail.messages.clear()
    moments = _moments(clock.now, clock.now + timedelta(days=12), timedelta(hours=3))
    barrier = threading.Barrier(2, timeout=120)
    errors: list[BaseException] = []

    def scheduler() -> None:
        own = Clock(moments[0])
        engine = Engine(database, smtp_settings, clock=own)
        try:
            for moment in moments:
                barrier.wait()
                own.set(moment)
                engine.tick()
        except BaseException as exc:  # reported below
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    assert errors == []
    _check_once(Engine(database, smtp_settings, clock=clock), database, smtp, ids)


def test_two_tick_processes_fire_everything_once(database, settings, mini, smtp, clock):
    smtp_settings = with_smtp(settings, smtp.port)
    engine = Engine(database, smtp_settings, clock=clock)
    ids = _scenario(engine, database)
    smtp.mail.messages.clear()
    with database.reading() as session:
        dues = sorted(t.due_at for t in session.scalars(select(HumanTask).where(HumanTask.state == "ready")))
    # one moment inside each "due tomorrow" window and one after every due date
    moments = sorted({d - timedelta(hours=12) for d in dues} | {dues[-1] + timedelta(hours=1)})
    env = worker_env(smtp_settings, "")
    env.pop("BROKER_URL")  # ticks run their e-mail jobs in-process
    env.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp.port), SOPFLOW_BASE_URL=smtp_settings.base_url)
    env["MAIL_FROM"] = smtp_settings.mail_from
    for moment in moments:
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "sopflow.cli", "tick", "--now", moment.isoformat()],
                cwd=REPO,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        for proc in procs:
            out, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err
            assert set(json.loads(out.strip().splitlines()[-1])) == {"resent", "escalated", "reminded"}
    _check_once(engine, database, smtp, ids)
