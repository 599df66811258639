"""The Celery transport with real processes: a private Redis and one ``sopflow worker``.

The worker process registers the mini process's test handlers (``tests.engine.conftest``)
before running the ``sopflow worker`` command, and uses the test database and data folder.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from sopflow import CompleteUserTask, Engine, StartInstance
from sopflow.engine.case_run import now_utc
from sopflow.jobs.celery_app import create_celery
from sopflow.jobs.outbox import ADVANCE_CASE
from sopflow.jobs.transport import CeleryTransport

from .conftest import REPO, PrivateRedis, events_of, job_row, worker_env

WORKER = (
    "import sys, tests.engine.conftest\n"  # registers uji_gandakan, the mini process's service handler
    "from webapp.cli import main\n"
    "sys.exit(main(['worker', '--concurrency', '1', '--name', sys.argv[1]]))\n"
)


class ShiftedClock:
    """Real time moved forward by ``offset`` (the test's scheduler runs "later" than the worker)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return now_utc() + self.offset


@pytest.fixture
def worker(private_redis: PrivateRedis, settings, tmp_path: Path) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    log = tmp_path / "worker.log"

    def start() -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-c", WORKER, f"uji-{private_redis.port}@localhost"],
                cwd=REPO,
                env=worker_env(settings, private_redis.url),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
    if any(proc.returncode not in (0, -15) for proc in procs):
        print(log.read_text(errors="replace"))


def _wait_until(predicate, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting until {what}")


def _ready_elements(engine: Engine, case_id: str) -> list[str]:
    return [t["element_id"] for t in engine.case_outcome(case_id).open_tasks]


def _start_and_complete(engine: Engine, periode: str):
    outcome = engine.start_instance(StartInstance("mini", "ani", periode, {"daftar_unit": [{"unit": "U1"}]}))
    return engine.complete_user_task(CompleteUserTask(outcome.open_tasks[0]["task_id"], "ani", {"angka": 7}))


def test_worker_runs_queued_jobs_and_the_sweeper_resends_what_a_dead_broker_lost(
    database, settings, mini, private_redis, worker
):
    broker_settings = dataclasses.replace(settings, broker_url=private_redis.url)
    clock = ShiftedClock()
    engine = Engine(database, broker_settings, clock=clock, transport=CeleryTransport(create_celery(broker_settings)))

    # 1. the completion returns with the job queued in Redis; the worker (started later) runs it
    outcome = _start_and_complete(engine, "2026-TW1")
    (job,) = outcome.jobs
    assert (job["kind"], job["status"]) == (ADVANCE_CASE, "pending")
    assert _ready_elements(engine, outcome.case_id) == []
    proc = worker()
    _wait_until(lambda: _ready_elements(engine, outcome.case_id) == ["periksa_unit"], "the worker ran the job")
    assert job_row(database, job["job_id"]).status == "done"
    assert len(events_of(engine, outcome.case_id, "service_run")) == 1
    (resumed,) = events_of(engine, outcome.case_id, "engine_resumed")
    assert resumed["data"]["triggered_by"] == "ani" and resumed["actor"] == "sistem"

    # 2. Redis is away: the completion still commits and returns; its job waits in the outbox
    private_redis.stop()
    outcome = _start_and_complete(engine, "2026-TW2")
    (job,) = outcome.jobs
    assert job["status"] == "pending"
    assert engine.case_outcome(outcome.case_id).jobs[0]["job_id"] == job["job_id"]

    # 3. Redis is back (empty: the message is gone); the next scheduler round re-sends the job
    private_redis.start()
    assert engine.tick()["resent"] == 0  # sent less than a minute ago (by the engine's clock)
    clock.offset = timedelta(minutes=2)
    assert engine.tick()["resent"] == 1
    _wait_until(lambda: _ready_elements(engine, outcome.case_id) == ["periksa_unit"], "the resent job ran")
    assert job_row(database, job["job_id"]).status == "done"
    assert len(events_of(engine, outcome.case_id, "service_run")) == 1
    assert proc.poll() is None  # the worker survived the broker's absence
