"""The background side: ``worker``, ``scheduler``, ``tick``, ``escalate`` and ``sopflow jobs``.

``sopflow worker`` runs Celery workers for the outbox jobs and ``sopflow scheduler`` runs
Celery beat, which sends one scheduler round (:meth:`Engine.tick`) every 30 seconds; both
need ``BROKER_URL`` and a database schema at head (neither migrates). ``sopflow tick`` does
one round in the calling process (cron, tests; ``--now`` simulates a moment) and
``sopflow escalate`` only its escalation.
"""

from __future__ import annotations

import json
import socket
from datetime import datetime

import click

from sopflow.cli.context import CliContext, pass_cli
from sopflow.cli.options import actor_option
from sopflow.errors import SopflowError
from sopflow.persistence.db import open_database
from sopflow.settings import Settings


def _broker_settings(cli: CliContext) -> Settings:
    settings = cli.settings
    if not settings.broker_url:
        raise SopflowError("BROKER_URL belum diatur: worker dan penjadwal memerlukan broker (Redis atau RabbitMQ).")
    settings.check_data_files()
    # refuse to start on an outdated schema; the worker processes open their own connections
    open_database(settings, migrate=False).dispose()
    return settings


@click.command("worker", help="jalankan worker Celery (langkah otomatis, surel)")
@click.option("--concurrency", type=int, default=1, help="jumlah proses anak (bawaan 1)")
@click.option("--name", help="nama worker (bawaan sopflow@<host>)")
@pass_cli
def worker(cli: CliContext, concurrency: int, name: str | None) -> int:
    """Run a Celery worker that executes outbox jobs (service steps, e-mails)."""
    from sopflow.jobs.celery_app import create_celery

    settings = _broker_settings(cli)
    app = create_celery(settings)
    app.worker_main(
        [
            "worker",
            f"--concurrency={concurrency}",
            f"--hostname={name or f'sopflow@{socket.gethostname()}'}",
            f"--loglevel={settings.log_level}",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
    )
    return 0


@click.command("scheduler", help="jalankan penjadwal (Celery beat); cukup satu per instalasi")
@pass_cli
def scheduler(cli: CliContext) -> int:
    """Run Celery beat: one scheduler round (sweep, escalate, remind) every 30 seconds. Run exactly one."""
    from sopflow.jobs.celery_app import create_celery

    settings = _broker_settings(cli)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = create_celery(settings)
    app.start(["beat", f"--schedule={settings.data_dir / 'celerybeat-schedule'}", f"--loglevel={settings.log_level}"])
    return 0


@click.command("tick", help="satu putaran penjadwal: kirim ulang, eskalasi, pengingat")
@click.option("--now", metavar="ISO", help="waktu simulasi (UTC, ISO 8601)")
@pass_cli
def tick(cli: CliContext, now: str | None) -> int:
    """Do one scheduler round now (or at the simulated moment ``--now``, naive UTC ISO)."""
    engine = cli.engine()
    if now:
        moment = datetime.fromisoformat(now)
        engine.clock = lambda: moment
    print(json.dumps(engine.tick()))
    return 0


@click.command("escalate", help="eskalasi tugas yang melewati tenggat (sekali jalan)")
@pass_cli
def escalate(cli: CliContext) -> int:
    """Escalate overdue tasks once (``sopflow serve`` and the scheduler do this periodically)."""
    escalated = cli.engine().escalate_overdue()
    for item in escalated:
        print(f"Tugas {item['task_id']} (lane {item['lane']}) terlambat → dieskalasi ke {item['to'] or '-'}")
    print(f"{len(escalated)} tugas dieskalasi.")
    return 0


@click.group("jobs", help="antrean pekerjaan")
def jobs_group() -> None:
    """Group the job queue commands."""


@jobs_group.command("list", help="daftar pekerjaan yang menunggu atau gagal")
@pass_cli
def list_jobs(cli: CliContext) -> int:
    """List queued, running and failed jobs."""
    jobs = cli.engine().open_jobs()
    for job in jobs:
        error = f"  galat: {job['last_error']}" if job["last_error"] else ""
        print(
            f"{job['job_id']}  {job['kind']}  {job['label']}  kasus {job['case_id'] or '-'}  "
            f"percobaan {job['attempts']}/{job['max_attempts']}{error}"
        )
    if not jobs:
        print("Tidak ada pekerjaan yang menunggu atau gagal.")
    return 0


@jobs_group.command("retry", help="jadwalkan ulang pekerjaan yang gagal")
@click.argument("job")
@actor_option()
@pass_cli
def retry_job(cli: CliContext, job: str, actor: str) -> int:
    """Put a failed job back in the queue."""
    row = cli.engine().retry_job(job, actor)
    print(f"Pekerjaan {row['job_id']} dijadwalkan ulang.")
    return 0
