"""The Celery application of ``sopflow worker`` and ``sopflow scheduler`` (beat).

Jobs are acknowledged late and rejected back to the queue when the worker process dies,
at most one message is prefetched per process, and the broker is reached with short
timeouts so a request never waits for a broker that is away. Two tasks exist:
``sopflow.run_job(job_id)`` and ``sopflow.tick()`` (one scheduler round, sent by beat).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from celery import Celery

from ..settings import Settings
from .transport import RUN_JOB_TASK, TICK_TASK

if TYPE_CHECKING:
    from ..engine import Engine

#: beat sends a tick this often; the sweeper re-sends a job that waited longer than a minute
TICK_SECONDS = 30.0

_engines: dict[tuple[int, int], Engine] = {}


def create_celery(settings: Settings) -> Celery:
    """Return the Celery app for ``settings.broker_url`` with sopflow's two tasks registered."""
    app = Celery("sopflow", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=3,
        broker_transport_options={"socket_connect_timeout": 3, "socket_timeout": 10},
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        worker_send_task_events=False,
        beat_schedule={"sopflow-tick": {"task": TICK_TASK, "schedule": TICK_SECONDS}},
    )

    @app.task(name=RUN_JOB_TASK, bind=True)
    def run_job(task: Any, job_id: str) -> str:
        """Run one outbox job (idempotent: a done job is skipped)."""
        return _engine(settings, app).run_job(job_id, worker=str(task.request.hostname or "celery")).outcome

    @app.task(name=TICK_TASK)
    def tick() -> dict[str, int]:
        """One scheduler round: resend lost jobs, escalate, remind."""
        return _engine(settings, app).tick()

    return app


def _engine(settings: Settings, app: Celery) -> Engine:
    """Return this process's engine (created after fork: connections are never shared across processes)."""
    from ..db import Database
    from ..engine import Engine
    from .transport import CeleryTransport

    key = (os.getpid(), id(app))
    engine = _engines.get(key)
    if engine is None:
        engine = Engine(Database(settings.database_url), settings, transport=CeleryTransport(app))
        _engines[key] = engine
    return engine
