"""Automatic steps run as background jobs: the case page, its status poll, the inbox, Antrean and "Coba lagi".

The app here gets a transport that only remembers job ids (a broker whose worker has not
picked them up yet); a test runs a job with ``engine.run_job`` as a worker would. The
``mini`` process (tests/engine) supplies the service step ``hitung``; a copy of it whose
service step waits for the test shows a job while it is running.
"""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from sopflow import Engine, Settings, StartInstance
from sopflow.access import tokens
from sopflow.plugins import register
from tests.engine.conftest import MINI, mini, start
from tests.webapp.conftest import post
from webapp import create_app

__all__ = ["mini", "start"]

PASSWORD = "kata-sandi-uji"
RELEASE = threading.Event()


@register("uji_web_tunggu")
def uji_web_tunggu(params: dict, ctx: Any) -> dict:
    """Test handler: wait until the test releases it (a service step that takes a while)."""
    RELEASE.wait(30)
    return {"nilai": params["angka"] * 2}


class QuietTransport:
    """Remembers the jobs it was given and runs none (the worker has not picked them up yet)."""

    name = "quiet"

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, job_ids: list[str], countdown: float = 0.0) -> None:
        self.sent.extend(job_ids)


@pytest.fixture
def transport() -> QuietTransport:
    return QuietTransport()


@pytest.fixture
def app(settings: Settings, database, clock, transport: QuietTransport) -> Iterator[Flask]:
    """The web app whose jobs wait in the outbox until the test runs them."""
    application = create_app(
        {"TESTING": True, "SOPFLOW_SETTINGS": settings, "SOPFLOW_CLOCK": clock, "SOPFLOW_TRANSPORT": transport}
    )
    yield application
    application.extensions["sopflow"].db.dispose()


def web_engine(app: Flask) -> Engine:
    return app.extensions["sopflow"].engine


def complete_on_the_web(client, login_as, app: Flask, angka: int = 5, process: str = "mini") -> dict[str, Any]:
    """Start a case as ani, complete its first task through the page; return ids and the response."""
    outcome = web_engine(app).start_instance(
        StartInstance(process, "ani", "2026-TW1", {"daftar_unit": [{"unit": "U1"}]})
    )
    task_id = outcome.open_tasks[0]["task_id"]
    login_as("ani", PASSWORD)
    response = post(client, f"/tugas/{task_id}/selesai", {"angka": str(angka)})
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    (job,) = web_engine(app).case_jobs(outcome.case_id)
    return {"case_id": outcome.case_id, "job_id": job["job_id"], "response": response}


def poll_state(page: str) -> str | None:
    found = re.search(r'data-poll-state="([^"]*)"', page)
    return found.group(1) if found else None


def test_queued_steps_are_announced_shown_polled_and_gone_when_the_worker_is_done(
    app, client, login_as, mini, transport
):
    done = complete_on_the_web(client, login_as, app)
    case_id, job_id = done["case_id"], done["job_id"]
    assert transport.sent == [job_id]

    inbox_page = client.get(done["response"].headers["Location"]).get_data(as_text=True)
    assert "Langkah otomatis berikutnya sedang diproses" in inbox_page
    assert "diteruskan ke langkah berikutnya" not in inbox_page
    assert 'data-testid="processing-banner"' in inbox_page and "1 langkah otomatis sedang diproses" in inbox_page
    assert f'href="/kasus/{case_id}"' in inbox_page

    page = client.get(f"/kasus/{case_id}").get_data(as_text=True)
    job_item = page[page.index('data-testid="case-job"') :][:700]
    assert (
        'data-label="menunggu antrean"' in job_item
        and "Hitung" in job_item  # the step by its BPMN name, not its id
        and "menunggu antrean</span> sejak" in job_item
    )
    assert f'data-poll-url="/kasus/{case_id}/status"' in page
    assert "/static/js/case_status.js" in page and 'data-poll-interval="2000"' in page
    assert 'data-testid="job-retry"' not in page  # nothing failed
    state = client.get(f"/kasus/{case_id}/status").get_json()
    assert state["pending"] == 1 and state["failed"] == 0 and state["status"] == "berjalan"
    assert state["state"] == poll_state(page)

    assert web_engine(app).run_job(job_id).outcome == "done"  # the worker
    after = client.get(f"/kasus/{case_id}/status").get_json()
    assert after["state"] != state["state"] and (after["jobs"], after["pending"]) == (0, 0)
    page = client.get(f"/kasus/{case_id}").get_data(as_text=True)
    assert 'data-testid="case-job"' not in page and "data-poll-url" not in page and "case_status.js" not in page
    assert 'data-element-id="periksa_unit" data-state="ready"' in page
    assert 'data-testid="processing-banner"' not in client.get("/").get_data(as_text=True)


def test_the_poll_script_is_served_and_the_status_needs_a_login(app, client, login_as, mini):
    response = client.get("/static/js/case_status.js")
    assert response.status_code == 200 and b"data-poll-url" in response.data and b"location.reload" in response.data
    response.close()
    outcome = web_engine(app).start_instance(
        StartInstance("mini", "ani", "2026-TW1", {"daftar_unit": [{"unit": "U1"}]})
    )
    assert client.get(f"/kasus/{outcome.case_id}/status").status_code == 302  # to the login page
    login_as("dodi", PASSWORD)
    assert client.get("/kasus/tidak-ada/status").status_code == 404
    assert client.get(f"/kasus/{outcome.case_id}/status").get_json()["jobs"] == 0


@pytest.fixture
def slow_process(engine: Engine, mini, tmp_path) -> str:
    """Publish a copy of ``mini`` whose service step waits for :data:`RELEASE`."""
    folder = tmp_path / "lambat"
    shutil.copytree(MINI.parent / "forms", folder / "forms")
    xml = MINI.read_text(encoding="utf-8")
    xml = xml.replace('id="uji_gandakan"', 'id="uji_web_tunggu"').replace('id="mini"', 'id="mini_lambat"')
    (folder / "mini_lambat.bpmn").write_text(xml, encoding="utf-8")
    engine.publish_process(folder / "mini_lambat.bpmn", "ani")
    return "mini_lambat"


def test_a_running_step_shows_since_when_until_it_finishes(app, client, login_as, slow_process):
    done = complete_on_the_web(client, login_as, app, process=slow_process)
    RELEASE.clear()
    worker = threading.Thread(target=web_engine(app).run_job, args=(done["job_id"],), daemon=True)
    worker.start()
    try:
        deadline = time.monotonic() + 20
        while web_engine(app).case_jobs(done["case_id"])[0]["label"] != "sedang diproses":
            assert time.monotonic() < deadline, "the job never started"
            time.sleep(0.05)
        page = client.get(f"/kasus/{done['case_id']}").get_data(as_text=True)
        assert 'data-label="sedang diproses"' in page and "sedang diproses</span> sejak" in page
        assert "data-poll-url" in page
        status = client.get(f"/kasus/{done['case_id']}/status").get_json()
        assert "sedang diproses" in status["state"] and status["pending"] == 1
    finally:
        RELEASE.set()
        worker.join(30)
    assert web_engine(app).case_jobs(done["case_id"]) == []
    assert client.get(f"/kasus/{done['case_id']}/status").get_json()["state"] != status["state"]


def _fail_the_job(app: Flask, settings: Settings, clock, job_id: str) -> None:
    """Make the file store unusable and run the job until the runner gives up (storage away)."""
    files = settings.files_dir
    shutil.rmtree(files, ignore_errors=True)
    files.parent.mkdir(parents=True, exist_ok=True)
    files.write_text("bukan folder")
    engine = web_engine(app)
    try:
        for _ in range(10):
            clock.shift += timedelta(minutes=10)  # past each retry's backoff
            if engine.run_job(job_id).outcome == "failed":
                return
        raise AssertionError("the job never failed")
    finally:
        clock.shift = timedelta(0)  # back to now: the signed-in session stays fresh


def test_a_failed_step_shows_its_error_and_only_owners_may_retry_it(app, client, login_as, mini, settings, clock):
    done = complete_on_the_web(client, login_as, app)
    case_id, job_id = done["case_id"], done["job_id"]
    _fail_the_job(app, settings, clock, job_id)
    (failed,) = web_engine(app).case_jobs(case_id)
    assert failed["status"] == "failed" and failed["last_error"]

    login_as("dodi", PASSWORD)  # a plain member of the lane
    page = client.get(f"/kasus/{case_id}").get_data(as_text=True)
    assert 'data-label="gagal"' in page and failed["last_error"][:40] in page
    assert 'data-testid="job-retry"' not in page and "data-poll-url" not in page  # nothing to wait for
    assert post(client, f"/antrean/{job_id}/ulang", {"kembali": "kasus"}).status_code == 403
    assert client.get("/antrean").status_code == 403
    assert web_engine(app).case_jobs(case_id)[0]["status"] == "failed"

    login_as("ani", PASSWORD)  # process owner
    page = client.get(f"/kasus/{case_id}").get_data(as_text=True)
    assert f'data-job-id="{job_id}"' in page and 'data-testid="job-retry"' in page
    settings.files_dir.unlink()  # storage is back
    response = post(client, f"/antrean/{job_id}/ulang", {"kembali": "kasus"})
    assert response.status_code == 302 and response.headers["Location"] == f"/kasus/{case_id}"
    page = client.get(f"/kasus/{case_id}").get_data(as_text=True)
    assert "dimasukkan kembali ke antrean" in page and 'data-label="menunggu antrean"' in page
    (again,) = web_engine(app).case_jobs(case_id)
    assert (again["status"], again["attempts"]) == ("pending", 0)
    assert web_engine(app).run_job(job_id).outcome == "done"
    assert web_engine(app).case_jobs(case_id) == []


def test_the_queue_lists_open_jobs_for_owners_with_retry_for_failed_ones(app, client, login_as, mini, settings, clock):
    done = complete_on_the_web(client, login_as, app)
    _fail_the_job(app, settings, clock, done["job_id"])
    settings.files_dir.unlink()
    queued = web_engine(app).start_instance(StartInstance("mini", "ani", "2026-TW2", {"daftar_unit": [{"unit": "U1"}]}))
    post(client, f"/tugas/{queued.open_tasks[0]['task_id']}/selesai", {"angka": "4"})
    (waiting,) = web_engine(app).case_jobs(queued.case_id)

    page = client.get("/antrean").get_data(as_text=True)
    assert 'data-testid="nav-queue"' in page
    rows = re.findall(r'<tr data-testid="job-row".*?</tr>', page, re.S)
    assert [re.search(r'data-job-id="([^"]+)"', r).group(1) for r in rows] == [done["job_id"], waiting["job_id"]]
    failed_row, waiting_row = rows
    assert 'data-status="failed"' in failed_row and "langkah otomatis" in failed_row and "gagal" in failed_row
    assert "5 dari 5" in failed_row and 'data-testid="job-retry"' in failed_row
    assert f'href="/kasus/{done["case_id"]}"' in failed_row
    assert "menunggu antrean" in waiting_row and "0 dari 5" in waiting_row and "job-retry" not in waiting_row
    assert "ani" in waiting_row  # triggered by

    response = post(client, f"/antrean/{done['job_id']}/ulang")
    assert response.status_code == 302 and response.headers["Location"] == "/antrean"
    assert post(client, f"/antrean/{done['job_id']}/ulang").status_code == 409  # no longer failed
    assert post(client, "/antrean/tidak-ada/ulang").status_code == 404
    login_as("dodi", PASSWORD)
    assert 'data-testid="nav-queue"' not in client.get("/").get_data(as_text=True)


def test_an_empty_queue_says_so(app, client, login_as, mini):
    login_as("ani", PASSWORD)
    page = client.get("/antrean").get_data(as_text=True)
    assert 'data-testid="queue-empty"' in page and "Antrean kosong" in page


def test_api_case_lists_its_open_jobs_with_iso_times(app, client, mini, login_as):
    done = complete_on_the_web(client, login_as, app)
    with web_engine(app).db.unit_of_work() as session:
        token = tokens.issue_token(session, "dodi")
    headers = {"Authorization": f"Bearer {token}"}
    body = client.get(f"/api/v1/cases/{done['case_id']}", headers=headers).get_json()
    (job,) = body["jobs"]
    assert (job["job_id"], job["kind"], job["status"], job["label"]) == (
        done["job_id"],
        "advance_case",
        "pending",
        "menunggu antrean",
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", job["created_at"]) and job["started_at"] is None
    web_engine(app).run_job(done["job_id"])
    assert client.get(f"/api/v1/cases/{done['case_id']}", headers=headers).get_json()["jobs"] == []
