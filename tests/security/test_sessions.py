"""Sessions: a copied cookie dies with logout or a new password, idle and absolute limits, cookie flags,
and sign-in answers in the same time whether or not the username exists.

Every request goes through the real app (Flask test client, CSRF on); time is moved with the
app's clock (``clock.shift``), never by sleeping.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sopflow import Settings
from sopflow.access import users
from tests.webapp import conftest as web
from tests.webapp.conftest import csrf_token, post
from webapp import create_app

# the web tests' fixtures: the app on the test database (CSRF on), its client and clock
app, client, clock = web.app, web.client, web.clock

PASSWORD = "kata-sandi-uji"  # tests/conftest.py make_user
STRONG_KEY = "k" * 40


@pytest.fixture
def ani(make_user) -> str:
    return make_user("ani", lanes=["Kepala Seksi"])


def sign_in(client: FlaskClient, username: str, password: str = PASSWORD):
    return client.post("/masuk", data={"username": username, "password": password, "csrf_token": csrf_token(client)})


def session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None, "no session cookie"
    return cookie.value


def replay(app: Flask, cookie: str, path: str = "/"):
    """GET ``path`` from a fresh client that only has the copied session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief.get(path)


def test_a_copied_cookie_stops_working_after_logout(app, client, ani):
    assert sign_in(client, ani).status_code == 302
    client.get("/")
    copied = session_cookie(client)
    assert replay(app, copied).status_code == 200  # the copy works while the session lives

    response = post(client, "/keluar")
    assert response.status_code == 302 and response.headers["Location"] == "/masuk"

    stolen = replay(app, copied)
    assert stolen.status_code == 302 and stolen.headers["Location"].startswith("/masuk")
    assert replay(app, copied, "/kasus").status_code == 302


def test_logout_ends_the_sessions_of_other_devices_too(app, client, ani):
    other = app.test_client()
    assert sign_in(other, ani).status_code == 302
    assert sign_in(client, ani).status_code == 302
    assert other.get("/").status_code == 200
    post(client, "/keluar")
    response = other.get("/")
    assert response.status_code == 302
    page = other.get("/masuk").get_data(as_text=True)
    assert "Sesi Anda sudah tidak berlaku" in page


def test_a_new_password_ends_every_session(app, client, ani):
    assert sign_in(client, ani).status_code == 302
    assert client.get("/").status_code == 200
    with app.extensions["sopflow"].db.unit_of_work() as session:
        users.set_password(session, ani, "sandi-baru-yang-panjang")
    assert client.get("/").status_code == 302
    assert sign_in(client, ani).status_code == 401  # the old password is gone
    assert sign_in(client, ani, "sandi-baru-yang-panjang").status_code == 302


def test_an_idle_session_ends_after_session_minutes(app, client, clock, ani):
    assert app.extensions["sopflow"].settings.session_minutes == 30
    assert sign_in(client, ani).status_code == 302
    clock.shift += timedelta(minutes=29)
    assert client.get("/").status_code == 200  # activity: the idle timer starts again
    clock.shift += timedelta(minutes=29)
    assert client.get("/").status_code == 200
    clock.shift += timedelta(minutes=31)
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/masuk")
    assert "tidak ada aktivitas selama 30 menit" in client.get("/masuk").get_data(as_text=True)


def test_the_absolute_lifetime_holds_however_often_the_user_clicks(app, client, clock, ani):
    assert app.extensions["sopflow"].settings.session_max_hours == 12
    assert sign_in(client, ani).status_code == 302
    elapsed = timedelta(0)
    while elapsed + timedelta(minutes=25) < timedelta(hours=12):
        clock.shift += timedelta(minutes=25)
        elapsed += timedelta(minutes=25)
        assert client.get("/").status_code == 200, elapsed  # never idle
    clock.shift += timedelta(minutes=25)
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/masuk")
    assert "batas 12 jam" in client.get("/masuk").get_data(as_text=True)
    assert sign_in(client, ani).status_code == 302  # signing in again starts a new session
    assert client.get("/").status_code == 200


@pytest.fixture
def production_app(settings: Settings, database) -> Iterator[Flask]:
    """The app as deployed outside embedded mode (real secret key), on the test database."""
    application = create_app({"SOPFLOW_SETTINGS": replace(settings, embedded=False, secret_key=STRONG_KEY)})
    yield application
    application.extensions["sopflow"].db.dispose()


def test_the_cookie_is_secure_http_only_and_lax_outside_embedded_mode(production_app, ani):
    browser = production_app.test_client()
    response = sign_in(browser, ani)
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_the_secure_flag_is_configurable(settings, database, ani):
    plain = create_app(
        {"SOPFLOW_SETTINGS": replace(settings, embedded=False, secret_key=STRONG_KEY, session_cookie_secure=False)}
    )
    embedded = create_app({"SOPFLOW_SETTINGS": settings})
    forced = create_app({"SOPFLOW_SETTINGS": replace(settings, session_cookie_secure=True)})
    try:
        assert "Secure" not in sign_in(plain.test_client(), ani).headers["Set-Cookie"]
        assert "Secure" not in sign_in(embedded.test_client(), ani).headers["Set-Cookie"]
        assert "Secure" in sign_in(forced.test_client(), ani).headers["Set-Cookie"]
    finally:
        for application in (plain, embedded, forced):
            application.extensions["sopflow"].db.dispose()
    environ = {"SESSION_COOKIE_SECURE": "tidak", "SESSION_MAX_HOURS": "8", "DATABASE_URL": "sqlite:///x.db"}
    read = Settings.from_env(environ=environ)
    assert (read.cookie_secure, read.session_max_hours, read.embedded) == (False, 8, False)
    assert Settings.from_env(environ={"DATABASE_URL": "sqlite:///x.db"}).cookie_secure is True


# -- constant-time sign-in -----------------------------------------------------------------------------
def test_unknown_and_known_usernames_take_the_same_time(settings, database, ani):
    """Medians of many attempts: an unknown username must cost the same scrypt work as a wrong password."""
    generous = replace(settings, login_limit_account=1000, login_limit_address=1000)
    application = create_app({"TESTING": True, "SOPFLOW_SETTINGS": generous})
    browser = application.test_client()
    token = csrf_token(browser)

    def attempt(username: str) -> float:
        started = time.perf_counter()
        response = browser.post("/masuk", data={"username": username, "password": "salah-sandi", "csrf_token": token})
        elapsed = time.perf_counter() - started
        assert response.status_code == 401
        return elapsed

    try:
        attempt(ani), attempt("tidak_ada")  # warm up (the dummy hash is made once)
        known, unknown = [], []
        for _ in range(15):
            known.append(attempt(ani))
            unknown.append(attempt("tidak_ada"))
    finally:
        application.extensions["sopflow"].db.dispose()
    ratio = statistics.median(unknown) / statistics.median(known)
    assert 0.5 <= ratio <= 2.0, (ratio, statistics.median(known), statistics.median(unknown))
