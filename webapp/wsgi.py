"""WSGI entry point for gunicorn: ``gunicorn 'webapp.wsgi:app'`` (settings from the environment).

The app never migrates: a schema behind the newest migration stops every worker at boot
with SchemaOutdated ("... Jalankan `sopflow db upgrade` ..."; gunicorn prints it and halts).
Run ``sopflow db upgrade`` once per deployment, before starting gunicorn.

Web workers never run timers: escalation, reminders and the sweeper of lost jobs run in
``sopflow scheduler`` (Celery beat, one per installation) and service steps in
``sopflow worker`` (``BROKER_URL`` must be set for a deployment with gunicorn).
"""

from __future__ import annotations

from . import create_app

app = create_app()
