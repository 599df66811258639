"""WSGI entry point for gunicorn: ``gunicorn 'webapp.wsgi:app'`` (settings from the environment).

The escalation scheduler starts with the app unless ``SOPFLOW_SCHEDULER=0`` (e.g. when a
separate process runs ``sopflow escalate`` from cron). Escalation is idempotent and locks
each case, so several workers running it at once do no harm.
"""

from __future__ import annotations

import os

from sopflow.scheduler import EscalationScheduler

from . import create_app

app = create_app()
if os.environ.get("SOPFLOW_SCHEDULER", "1") != "0":
    scheduler = EscalationScheduler(
        app.extensions["sopflow"].engine, float(os.environ.get("SOPFLOW_ESCALATION_SECONDS", "60"))
    )
    scheduler.start()
