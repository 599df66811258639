"""Web fixtures: the app on the shared test database, a client, login through the real form, a demo case.

CSRF stays on: every POST carries the token read from a rendered page (:func:`csrf_token`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sopflow import ClaimTask, CompleteUserTask, Engine, Settings, StartInstance
from sopflow.demo import DEMO_PASSWORD, ensure_users, load_script
from sopflow.queries import inbox
from sopflow.settings import PROJECT_ROOT
from webapp import create_app

SAMPLES = PROJECT_ROOT / "samples" / "monev_kinerja"
SCRIPT = SAMPLES / "demo.json"
PERIODE = "2026-TW3"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Clock:
    """The app's clock: real time, optionally shifted forward (to make tasks overdue)."""

    def __init__(self) -> None:
        self.shift = timedelta(0)

    def __call__(self) -> datetime:
        from datetime import UTC

        return datetime.now(UTC).replace(tzinfo=None) + self.shift


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(settings: Settings, database, clock: Clock) -> Iterator[Flask]:
    """The web app on the test database (CSRF on)."""
    application = create_app({"TESTING": True, "SOPFLOW_SETTINGS": settings, "SOPFLOW_CLOCK": clock})
    yield application
    application.extensions["sopflow"].db.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_token(client: FlaskClient, path: str = "/masuk") -> str:
    """Return a CSRF token of the client's session, read from a rendered form."""
    page = client.get(path)
    found = _TOKEN.search(page.get_data(as_text=True))
    assert found, f"no CSRF token on {path} ({page.status_code})"
    return found.group(1)


def post(client: FlaskClient, path: str, data: dict[str, Any] | None = None, **kwargs: Any):
    """POST with the session's CSRF token (taken from the inbox page, or the login page when signed out)."""
    token = csrf_token(client, "/kasus" if _signed_in(client) else "/masuk")
    return client.post(path, data={"csrf_token": token, **(data or {})}, **kwargs)


@pytest.fixture
def login_as(client: FlaskClient):
    """Sign in through the real /masuk form: ``login_as("kabid_ikp")``; returns the client."""

    def login(username: str, password: str = DEMO_PASSWORD) -> FlaskClient:
        if _signed_in(client):
            client.post("/keluar", data={"csrf_token": csrf_token(client, "/kasus")})
        response = client.post(
            "/masuk", data={"username": username, "password": password, "csrf_token": csrf_token(client)}
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return login


def _signed_in(client: FlaskClient) -> bool:
    with client.session_transaction() as session:
        return "_user_id" in session


@pytest.fixture
def demo_users(engine: Engine) -> dict[str, Any]:
    """Publish the real SOP and create the demo accounts (password ``sopflow-demo``)."""
    script = load_script(SCRIPT)
    engine.publish_process(PROJECT_ROOT / script["process_file"], "sistem", "versi uji")
    ensure_users(engine, script)
    return script


@pytest.fixture
def demo_case(engine: Engine, demo_users: dict[str, Any]) -> dict[str, Any]:
    """A running case of periode 2026-TW3 at step 1, started by the Sekretaris with the sample indicators."""
    data = json.loads((SAMPLES / "indikator_2026.json").read_text(encoding="utf-8"))
    outcome = engine.start_instance(
        StartInstance("monev_kinerja", "sekretaris", PERIODE, {k: data[k] for k in ("indikator", "kegiatan")})
    )
    return {"case_id": outcome.case_id, "task_id": outcome.open_tasks[0]["task_id"], "engine": engine}


def open_tasks(engine: Engine, case_id: str, element_id: str | None = None) -> list[dict[str, Any]]:
    """Return the case's ready tasks (optionally of one BPMN element)."""
    with engine.db.reading() as session:
        rows = inbox.tasks_of_case(session, case_id)
    return [t for t in rows if t["state"] == "ready" and (element_id is None or t["element_id"] == element_id)]


def play_steps(engine: Engine, case_id: str, until_element: str) -> None:
    """Play the demo script through the engine until ``until_element`` is ready."""
    script = load_script(SCRIPT)
    for step in script["steps"]:
        if open_tasks(engine, case_id, until_element):
            return
        task = next(
            t for t in open_tasks(engine, case_id, step["element"]) if step.get("unit") in (None, t["unit"], t["label"])
        )
        uploads = {name: _upload(SAMPLES / file) for name, file in step.get("uploads", {}).items()}
        engine.claim_task(ClaimTask(task["task_id"], step["actor"]))
        engine.complete_user_task(CompleteUserTask(task["task_id"], step["actor"], step.get("data", {}), uploads))
    assert open_tasks(engine, case_id, until_element), f"{until_element} never became ready"


def _upload(path):
    from sopflow import Upload

    return Upload(path.name, path.read_bytes())
