"""How jobs reach a runner: in-process after commit (no ``BROKER_URL``) or through Celery.

Both transports carry only the job id; the outbox row holds everything else, so a lost
message costs nothing but time (the sweeper re-sends pending rows).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from sopflow.logs import get_logger

if TYPE_CHECKING:
    from sopflow.jobs.runner import JobRunner

log = get_logger("sopflow.jobs")

RUN_JOB_TASK = "sopflow.run_job"
TICK_TASK = "sopflow.tick"


class Transport(Protocol):
    """Sends job ids to whoever runs them.

    A transport whose ``runs_at_commit`` is true runs the jobs in the committing process; its
    ``send`` then also takes ``started=True`` for jobs recorded already started (see
    :func:`sopflow.jobs.outbox.command_transaction`).
    """

    name: str

    def send(self, job_ids: list[str], countdown: float = 0.0) -> None: ...


class InlineTransport:
    """Runs each job right away in the calling thread (the embedded default and most tests).

    A retry with a countdown is left to the scheduler's sweeper instead of sleeping here.
    """

    name = "inline"
    runs_at_commit = True

    def __init__(self, runner: JobRunner) -> None:
        self.runner = runner

    def send(self, job_ids: list[str], countdown: float = 0.0, started: bool = False) -> None:
        """Run the jobs now (unless they are meant for later); ``started``: recorded as started already."""
        if countdown > 0:
            return
        for job_id in job_ids:
            self.runner.run(job_id, started=started)


class CeleryTransport:
    """Publishes ``sopflow.run_job(job_id)`` to the broker; a refused publish is logged, never raised.

    The caller's change is committed already; when the broker is away the job stays
    pending and the sweeper sends it again once the broker is back.
    """

    name = "celery"
    runs_at_commit = False

    def __init__(self, celery_app: Any) -> None:
        self.app = celery_app

    def send(self, job_ids: list[str], countdown: float = 0.0) -> None:
        """Publish each job id; failures are left to the sweeper."""
        for job_id in job_ids:
            try:
                self.app.send_task(RUN_JOB_TASK, args=[job_id], countdown=countdown or None, retry=False)
            except Exception as exc:
                log.warning("broker unreachable; the sweeper will resend the job", job=job_id, error=str(exc))


def make_transport(settings: Any, runner: JobRunner) -> Transport:
    """Return the Celery transport when ``settings.broker_url`` is set, else the in-process one."""
    url = getattr(settings, "broker_url", None)
    if not url:
        return InlineTransport(runner)
    from sopflow.jobs.celery_app import create_celery

    return CeleryTransport(create_celery(settings))
