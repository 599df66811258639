"""The Celery application of ``sopflow worker`` and ``sopflow scheduler`` (beat).

Jobs are acknowledged late and rejected back to the queue when the worker process dies,
at most one message is prefetched per process, and the broker is reached with short
timeouts so a request never waits for a broker that is away. Two tasks exist:
``sopflow.run_job(job_id)`` and ``sopflow.tick()`` (one scheduler round, sent by beat).

Memory: each worker child caps its own address space (``RLIMIT_AS``, set when the child
starts), so a job that tries to build gigabytes (a hostile upload or expression that slipped
past the input checks) gets a MemoryError inside the job: the job fails, its transaction
rolls back, the child lives on and the machine does not swap. ``worker_max_memory_per_child``
alone would not do: Celery checks it only *after* a task ends, so it recycles a child that
grew (fragmentation after a large but legitimate job) but cannot stop a runaway one; both
are set.
"""

from __future__ import annotations

import os
import resource
from typing import TYPE_CHECKING, Any

from celery import Celery
from celery.signals import worker_process_init

from sopflow.errors import DeploymentError
from sopflow.jobs.transport import RUN_JOB_TASK, TICK_TASK
from sopflow.settings import Settings

if TYPE_CHECKING:
    from sopflow.engine.boundary import Engine

#: beat sends a tick this often; the sweeper re-sends a job that waited longer than a minute
TICK_SECONDS = 30.0
#: tests shorten the beat interval (seconds) with this variable; deployments keep the default
TICK_SECONDS_VARIABLE = "SOPFLOW_TICK_SECONDS"

#: address space of one worker child, in MB (``Settings.worker_memory_mb`` when present; 0 = no cap)
WORKER_MEMORY_MB = 2048
#: a child whose resident memory exceeds this after a job is replaced (KiB, Celery's unit)
WORKER_MAX_MEMORY_PER_CHILD_KIB = 1024 * 1024

_engines: dict[tuple[int, int], Engine] = {}


def limit_memory(megabytes: int) -> None:
    """Cap this process's address space at ``megabytes`` (never above an existing hard limit)."""
    if megabytes <= 0:
        return
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = megabytes * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


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
        worker_max_memory_per_child=WORKER_MAX_MEMORY_PER_CHILD_KIB,
        beat_schedule={"sopflow-tick": {"task": TICK_TASK, "schedule": tick_seconds()}},
    )

    memory_mb = int(getattr(settings, "worker_memory_mb", WORKER_MEMORY_MB))

    @worker_process_init.connect(weak=False, dispatch_uid="sopflow-worker-memory")
    def _limit_child_memory(**_: Any) -> None:
        limit_memory(memory_mb)

    @app.task(name=RUN_JOB_TASK, bind=True)
    def run_job(task: Any, job_id: str) -> str:
        """Run one outbox job (idempotent: a done job is skipped)."""
        return _engine(settings, app).run_job(job_id, worker=str(task.request.hostname or "celery")).outcome

    @app.task(name=TICK_TASK)
    def tick() -> dict[str, int]:
        """One scheduler round: resend lost jobs, escalate, remind."""
        return _engine(settings, app).tick()

    return app


def tick_seconds() -> float:
    """Return the beat interval: ``SOPFLOW_TICK_SECONDS`` when set (a positive number), else 30 s."""
    raw = os.environ.get(TICK_SECONDS_VARIABLE, "").strip()
    if not raw:
        return TICK_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise DeploymentError(f"{TICK_SECONDS_VARIABLE} harus berupa bilangan detik yang positif, bukan {raw!r}.")
    return value


def _engine(settings: Settings, app: Celery) -> Engine:
    """Return this process's engine (created after fork: connections are never shared across processes)."""
    from sopflow.engine.boundary import Engine
    from sopflow.jobs.transport import CeleryTransport
    from sopflow.persistence.db import Database

    key = (os.getpid(), id(app))
    engine = _engines.get(key)
    if engine is None:
        engine = Engine(Database(settings.database_url), settings, transport=CeleryTransport(app))
        _engines[key] = engine
    return engine
