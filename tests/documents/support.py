"""Helpers of the document tests: LibreOffice present (or a CI failure), a case played up to its
signing task, CSRF tokens and sign-in through the real form."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from sopflow import ClaimTask, CompleteUserTask, Engine, InvalidForm, StartInstance
from sopflow.demo import DEMO_PASSWORD, ensure_users, load_script
from sopflow.documents.pdf_export import converter_available
from sopflow.jobs.pdf_jobs import MAKE_PDF
from sopflow.settings import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "samples" / "monev_kinerja" / "demo.json"
SIGNING_ELEMENT = "langkah12_tanda_tangan"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')

#: documents are not a database subject: these tests run once, in the SQLite pass
sqlite_pass_only = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="runs once, in the SQLite pass")


def require_libreoffice() -> None:
    """Skip without LibreOffice on a workstation; fail on CI, which must run these tests."""
    if converter_available():
        return
    message = "LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui."
    if os.environ.get("CI"):
        pytest.fail(message + " CI must run the PDF tests.", pytrace=False)
    pytest.skip(message)


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def play_to_signing(engine: Engine) -> dict[str, Any]:
    """Publish the SOP, create the demo users and play the demo script until the signing task is ready.

    Returns ``{"case_id", "task_id", "script"}``; every job (service steps, PDFs) has run.
    """
    script = load_script(SCRIPT)
    base: Path = script["_base"]
    engine.publish_process(PROJECT_ROOT / script["process_file"], "sistem", "versi uji")
    ensure_users(engine, script)
    data = json.loads((base / script["start"]["data_file"]).read_text(encoding="utf-8"))
    data = {key: data[key] for key in script["start"].get("data_keys", data.keys())}
    outcome = engine.start_instance(StartInstance(script["process_id"], script["start"]["actor"], "2026-TW3", data))
    for step in script["steps"]:
        task = next(
            t
            for t in outcome.open_tasks
            if t["element_id"] == step["element"] and step.get("unit") in (None, t["unit"], t["label"])
        )
        engine.claim_task(ClaimTask(task["task_id"], step["actor"]))
        from sopflow import Upload

        uploads = {n: Upload(Path(f).name, (base / f).read_bytes()) for n, f in step.get("uploads", {}).items()}
        try:
            outcome = engine.complete_user_task(CompleteUserTask(task["task_id"], step["actor"], step["data"], uploads))
        except InvalidForm:
            assert step.get("expect_rejected")
            continue
        assert engine.wait_for_jobs(outcome.case_id, timeout=300)
        outcome = engine.case_outcome(outcome.case_id)
    signing = [t for t in outcome.open_tasks if t["element_id"] == SIGNING_ELEMENT]
    assert len(signing) == 1, outcome.open_tasks
    return {"case_id": outcome.case_id, "task_id": signing[0]["task_id"], "script": script}


def pdf_jobs_of(engine: Engine, case_id: str) -> list[Any]:
    """Return the ``make_pdf`` job rows of a case."""
    from sqlalchemy import select

    from sopflow.persistence.models import Job

    with engine.db.reading() as session:
        return list(session.scalars(select(Job).where(Job.case_id == case_id, Job.kind == MAKE_PDF)).all())


def csrf_token(client: FlaskClient, path: str) -> str:
    """Return the CSRF token of the client's session, read from a rendered page."""
    page = client.get(path)
    found = _TOKEN.search(page.get_data(as_text=True))
    assert found, f"no CSRF token on {path} ({page.status_code})"
    return found.group(1)


def login(client: FlaskClient, username: str) -> FlaskClient:
    """Sign in through the real /masuk form (a fresh client per user)."""
    response = client.post(
        "/masuk",
        data={"username": username, "password": DEMO_PASSWORD, "csrf_token": csrf_token(client, "/masuk")},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client
