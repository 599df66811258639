"""CLI commands of the background side: ``worker``, ``scheduler``, ``tick`` and ``jobs``.

``sopflow worker`` runs Celery workers for the outbox jobs and ``sopflow scheduler`` runs
Celery beat, which sends one scheduler round (:meth:`Engine.tick`) every 30 seconds; both
need ``BROKER_URL`` and a database schema at head (neither migrates). ``sopflow tick`` does
one round in the calling process (cron, tests; ``--now`` simulates a moment).
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
from datetime import datetime
from typing import Any

from sopflow.cli_records import engine_from_args
from sopflow.errors import SopflowError
from sopflow.logs import configure_logging
from sopflow.persistence.db import open_database
from sopflow.settings import Settings


def _broker_settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env(data_dir=getattr(args, "data_dir", None))
    if not settings.broker_url:
        raise SopflowError("BROKER_URL belum diatur: worker dan penjadwal memerlukan broker (Redis atau RabbitMQ).")
    settings.check_data_files()
    configure_logging(settings.log_format, settings.log_level)
    # refuse to start on an outdated schema; the worker processes open their own connections
    open_database(settings, migrate=False).dispose()
    return settings


def cmd_worker(args: argparse.Namespace) -> int:
    """Run a Celery worker that executes outbox jobs (service steps, e-mails)."""
    from sopflow.jobs.celery_app import create_celery

    settings = _broker_settings(args)
    app = create_celery(settings)
    name = args.name or f"sopflow@{socket.gethostname()}"
    app.worker_main(
        [
            "worker",
            f"--concurrency={args.concurrency}",
            f"--hostname={name}",
            f"--loglevel={settings.log_level}",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
    )
    return 0


def cmd_scheduler(args: argparse.Namespace) -> int:
    """Run Celery beat: one scheduler round (sweep, escalate, remind) every 30 seconds. Run exactly one."""
    from sopflow.jobs.celery_app import create_celery

    settings = _broker_settings(args)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = create_celery(settings)
    app.start(
        [
            "beat",
            f"--schedule={settings.data_dir / 'celerybeat-schedule'}",
            f"--loglevel={settings.log_level}",
        ]
    )
    return 0


def cmd_tick(args: argparse.Namespace) -> int:
    """Do one scheduler round now (or at the simulated moment ``--now``, naive UTC ISO)."""
    engine = engine_from_args(args)
    if args.now:
        moment = datetime.fromisoformat(args.now)
        engine.clock = lambda: moment
    print(json.dumps(engine.tick()))
    return 0


def cmd_jobs_list(args: argparse.Namespace) -> int:
    """List queued, running and failed jobs."""
    jobs = engine_from_args(args).open_jobs()
    for job in jobs:
        error = f"  galat: {job['last_error']}" if job["last_error"] else ""
        print(
            f"{job['job_id']}  {job['kind']}  {job['label']}  kasus {job['case_id'] or '-'}  "
            f"percobaan {job['attempts']}/{job['max_attempts']}{error}"
        )
    if not jobs:
        print("Tidak ada pekerjaan yang menunggu atau gagal.")
    return 0


def cmd_jobs_retry(args: argparse.Namespace) -> int:
    """Put a failed job back in the queue."""
    job = engine_from_args(args).retry_job(args.job, args.actor)
    print(f"Pekerjaan {job['job_id']} dijadwalkan ulang.", file=sys.stdout)
    return 0


def add_job_commands(sub: Any, add: Any, group: Any) -> None:
    """Register ``worker``, ``scheduler``, ``tick`` and ``jobs list|retry`` on the CLI parser."""
    p = add(sub, "worker", cmd_worker, "jalankan worker Celery (langkah otomatis, surel)")
    p.add_argument("--concurrency", type=int, default=1, help="jumlah proses anak (bawaan 1)")
    p.add_argument("--name", help="nama worker (bawaan sopflow@<host>)")
    add(sub, "scheduler", cmd_scheduler, "jalankan penjadwal (Celery beat); cukup satu per instalasi")
    p = add(sub, "tick", cmd_tick, "satu putaran penjadwal: kirim ulang, eskalasi, pengingat")
    p.add_argument("--now", help="waktu simulasi (UTC, ISO 8601)")
    jobs = group("jobs", "antrean pekerjaan")
    add(jobs, "list", cmd_jobs_list, "daftar pekerjaan yang menunggu atau gagal")
    p = add(jobs, "retry", cmd_jobs_retry, "jadwalkan ulang pekerjaan yang gagal")
    p.add_argument("job")
    p.add_argument("--actor", required=True)
