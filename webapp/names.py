"""Names instead of identifiers in the pages: ``{{ username|nama_pengguna }}`` gives the user's full
name, ``{{ element_id|nama_langkah(case_id) }}`` the BPMN name of a case's element and
``{{ process_id|nama_proses }}`` the process title.

Both read through :mod:`sopflow.queries.inbox` and remember what they found for the rest of the request
(``flask.g``), so a list of fifty jobs asks the database once per user and once per case.
"""

from __future__ import annotations

from flask import Flask, current_app, g

from sopflow import NotFound
from sopflow.queries import inbox

SYSTEM = "sistem"


def user_name(username: str | None) -> str:
    """Return the full name of ``username`` ("Sistem" for the system actor, '-' for none)."""
    if not username:
        return "-"
    cache: dict[str, str] = g.setdefault("_sopflow_user_names", {})
    if username not in cache:
        with current_app.extensions["sopflow"].db.reading() as session:
            cache.update(inbox.full_names(session, {username}))
        cache.setdefault(username, "Sistem" if username == SYSTEM else username)
    return cache[username]


def step_name(element_id: str | None, case_id: str | None) -> str:
    """Return the BPMN name of ``element_id`` in the process version of ``case_id`` (the id when unknown)."""
    if not element_id:
        return "-"
    if not case_id:
        return element_id
    cache: dict[str, dict[str, str]] = g.setdefault("_sopflow_step_names", {})
    if case_id not in cache:
        try:
            with current_app.extensions["sopflow"].db.reading() as session:
                cache[case_id] = inbox.element_names(session, case_id)
        except NotFound:
            cache[case_id] = {}
    return cache[case_id].get(element_id, element_id)


def process_name(process_id: str | None) -> str:
    """Return the title of the newest version of ``process_id`` (the id when unknown)."""
    if not process_id:
        return "-"
    cache: dict[str, str] = g.setdefault("_sopflow_process_names", {})
    if process_id not in cache:
        with current_app.extensions["sopflow"].db.reading() as session:
            versions = inbox.process_versions(session, process_id)
        cache[process_id] = versions[0]["name"] if versions else process_id
    return cache[process_id]


def register(app: Flask) -> None:
    """Register the filters ``nama_pengguna``, ``nama_langkah`` and ``nama_proses``."""
    app.jinja_env.filters["nama_proses"] = process_name
    app.jinja_env.filters["nama_pengguna"] = user_name
    app.jinja_env.filters["nama_langkah"] = lambda element_id, case_id=None: step_name(element_id, case_id)
