"""WSGI entry point for gunicorn: ``gunicorn 'webapp.wsgi:app'`` (settings from the environment).

The app never migrates: a schema behind the newest migration stops every worker at boot
with SchemaOutdated ("... Jalankan `sopflow db upgrade` ..."; gunicorn prints it and halts).
Run ``sopflow db upgrade`` once per deployment, before starting gunicorn.

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
