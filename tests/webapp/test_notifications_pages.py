"""Notifications and the profile: the unread badge, the list with e-mail status, "mark all read", e-mail preferences.

E-mail goes through a real SMTP server (aiosmtpd on 127.0.0.1), or to a port where nothing
listens to see a failure; the web app is built with those SMTP settings.
"""

from __future__ import annotations

import dataclasses
import re
import socket
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient

from sopflow import Engine, Settings
from sopflow.access import tokens
from tests.webapp.conftest import csrf_token, play_steps, post
from webapp import create_app

STEP2 = "langkah02_pengumpulan_data"
ADDRESS = "kabid.ikp@balangankab.go.id"


def rows(page: str) -> list[str]:
    return re.findall(r'<tr data-testid="notification-row".*?</tr>', page, re.S)


def badge(page: str) -> int:
    found = re.search(r'data-testid="unread-count">(\d+)<', page)
    return int(found.group(1)) if found else 0


def test_unread_badge_list_and_mark_all_read(client, login_as, demo_case):
    engine: Engine = demo_case["engine"]
    unread = engine.unread_notifications("sekretaris")
    assert unread >= 1  # step 1 became ready for the Sekretaris lane
    login_as("sekretaris")
    for path in ("/", "/kasus", f"/kasus/{demo_case['case_id']}", "/profil"):
        assert badge(client.get(path).get_data(as_text=True)) == unread, path

    page = client.get("/notifikasi").get_data(as_text=True)
    listed = rows(page)
    assert len(listed) == len(engine.notifications_for("sekretaris"))
    first = next(r for r in listed if demo_case["task_id"] in r)
    assert 'data-read="tidak"' in first and 'data-testid="unread-mark"' in first and "Tugas baru" in first
    assert f'href="/tugas/{demo_case["task_id"]}"' in first
    assert 'data-testid="email-status">tanpa alamat' in first  # no address yet
    assert f"{unread} belum dibaca" in page

    response = post(client, "/notifikasi/dibaca")
    assert response.status_code == 302 and response.headers["Location"] == "/notifikasi"
    page = client.get("/notifikasi").get_data(as_text=True)
    assert badge(page) == 0 and 'data-testid="unread-count"' not in page
    assert all('data-read="ya"' in r for r in rows(page)) and 'data-testid="mark-read"' not in page
    assert f"{unread} notifikasi ditandai sudah dibaca." in page
    assert engine.unread_notifications("sekretaris") == 0


def test_each_user_sees_only_their_own_notifications(client, login_as, demo_case):
    engine: Engine = demo_case["engine"]
    login_as("kabid_ikp")  # not in the Sekretaris lane
    page = client.get("/notifikasi").get_data(as_text=True)
    assert demo_case["task_id"] not in page and rows(page) == []
    assert 'data-testid="notifications-empty"' in page
    post(client, "/notifikasi/dibaca")
    assert engine.unread_notifications("sekretaris") >= 1  # someone else's stay unread


def test_profile_saves_the_address_and_switch_with_errors_per_field(client, login_as, demo_case):
    engine: Engine = demo_case["engine"]
    login_as("kabid_ikp")
    page = client.get("/profil").get_data(as_text=True)
    assert 'data-testid="field-email"' in page and 'value=""' in page and "Kirim notifikasi lewat surel" in page
    assert 'data-testid="smtp-missing"' in page

    response = post(client, "/profil", {"email": "bukan-alamat", "email_notifications": "1"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'data-testid="error-email">Tulis alamat surel seperti nama@instansi.go.id.' in page
    assert 'value="bukan-alamat"' in page and 'aria-invalid="true"' in page
    assert engine.email_preferences("kabid_ikp")["email"] is None  # nothing saved

    response = post(client, "/profil", {"email": f"  {ADDRESS} ", "email_notifications": "1"})
    assert response.status_code == 302 and response.headers["Location"] == "/profil"
    assert engine.email_preferences("kabid_ikp") == {
        "username": "kabid_ikp",
        "email": ADDRESS,
        "email_notifications": True,
    }
    page = client.get("/profil").get_data(as_text=True)
    assert "notifikasi dikirim lewat surel" in page and f'value="{ADDRESS}"' in page
    assert re.search(r'name="email_notifications" value="1" checked', page)

    post(client, "/profil", {"email": ADDRESS})  # the box left unticked
    assert engine.email_preferences("kabid_ikp")["email_notifications"] is False
    page = client.get("/profil").get_data(as_text=True)
    assert not re.search(r'name="email_notifications" value="1" checked', page)
    assert engine.email_preferences("kabid_persandian")["email"] is None  # only one's own


def test_email_status_nonaktif_and_smtp_not_configured(client, login_as, demo_case):
    engine: Engine = demo_case["engine"]
    engine.set_email_preferences("kabid_ikp", ADDRESS, False)
    engine.set_email_preferences("kabid_statistik", "kabid.statistik@balangankab.go.id", True)
    play_steps(engine, demo_case["case_id"], STEP2)
    login_as("kabid_ikp")
    assert 'data-testid="email-status">nonaktif' in client.get("/notifikasi").get_data(as_text=True)
    login_as("kabid_statistik")
    assert 'data-testid="email-status">SMTP belum diatur' in client.get("/notifikasi").get_data(as_text=True)


# -- with an SMTP server --------------------------------------------------------------------------------
class Inbox:
    """aiosmtpd handler keeping the recipients of every message it accepted."""

    def __init__(self) -> None:
        self.recipients: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.recipients.extend(envelope.rcpt_tos)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_app(settings: Settings, database, clock) -> Iterator[tuple[Flask, int]]:
    """A second app whose settings name an SMTP server on a free local port (started by the test or not)."""
    port = free_port()
    with_smtp = dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=port)
    application = create_app({"TESTING": True, "SOPFLOW_SETTINGS": with_smtp, "SOPFLOW_CLOCK": clock})
    yield application, port
    application.extensions["sopflow"].db.dispose()


def sign_in(client: FlaskClient, username: str) -> None:
    response = client.post(
        "/masuk", data={"username": username, "password": "sopflow-demo", "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 302


def test_email_sent_through_smtp_is_shown_as_terkirim(smtp_app, demo_case):
    app, port = smtp_app
    engine: Engine = app.extensions["sopflow"].engine
    received = Inbox()
    server = Controller(received, hostname="127.0.0.1", port=port)
    server.start()
    try:
        engine.set_email_preferences("kabid_ikp", ADDRESS, True)
        play_steps(engine, demo_case["case_id"], STEP2)
    finally:
        server.stop()
    assert received.recipients == [ADDRESS]
    client = app.test_client()
    sign_in(client, "kabid_ikp")
    (row,) = rows(client.get("/notifikasi").get_data(as_text=True))
    assert 'data-email-status="terkirim"' in row and 'data-testid="email-status">terkirim' in row
    assert 'data-testid="smtp-missing"' not in client.get("/profil").get_data(as_text=True)


def test_email_that_cannot_be_sent_is_shown_as_failed_and_queued_for_owners(smtp_app, demo_case, clock):
    app, _port = smtp_app  # nothing listens there
    engine: Engine = app.extensions["sopflow"].engine
    engine.set_email_preferences("kabid_ikp", ADDRESS, True)
    play_steps(engine, demo_case["case_id"], STEP2)
    (job,) = [j for j in engine.open_jobs() if j["kind"] == "send_email"]
    client = app.test_client()
    sign_in(client, "kabid_ikp")
    (row,) = rows(client.get("/notifikasi").get_data(as_text=True))
    assert 'data-testid="email-status">menunggu' in row  # first try failed, the next one is due later
    try:
        for _ in range(job["max_attempts"]):
            clock.shift += timedelta(minutes=10)
            if engine.run_job(job["job_id"]).outcome == "failed":
                break
    finally:
        clock.shift = timedelta(0)
    (row,) = rows(client.get("/notifikasi").get_data(as_text=True))
    assert 'data-testid="email-status">gagal: <span' in row and "SMTP 127.0.0.1" in row

    post(client, "/keluar")
    sign_in(client, "admin")
    page = client.get("/antrean").get_data(as_text=True)
    (failed,) = [r for r in re.findall(r'<tr data-testid="job-row".*?</tr>', page, re.S) if job["job_id"] in r]
    assert 'data-kind="send_email"' in failed and ">surel<" in failed and 'data-testid="job-retry"' in failed


def test_api_lists_the_token_users_own_notifications(client, demo_case):
    engine: Engine = demo_case["engine"]
    with engine.db.unit_of_work() as session:
        mine = tokens.issue_token(session, "sekretaris")
        other = tokens.issue_token(session, "kabid_ikp")
    body = client.get("/api/v1/notifications", headers={"Authorization": f"Bearer {mine}"}).get_json()
    assert body["unread"] == engine.unread_notifications("sekretaris") >= 1
    assert [n["id"] for n in body["notifications"]] == [n["id"] for n in engine.notifications_for("sekretaris")]
    note = next(n for n in body["notifications"] if n["task_id"] == demo_case["task_id"])
    assert note["read"] is False and note["email_status"] == "tanpa_alamat"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", note["created_at"])
    theirs = client.get("/api/v1/notifications", headers={"Authorization": f"Bearer {other}"}).get_json()
    assert theirs == {"notifications": [], "unread": 0}
    assert client.get("/api/v1/notifications").status_code == 401
    bad = client.get("/api/v1/notifications?limit=0", headers={"Authorization": f"Bearer {mine}"})
    assert bad.status_code == 400 and "limit" in bad.get_json()["error"]["fields"]
