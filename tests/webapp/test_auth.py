"""Login, logout, sessions, CSRF, login-required redirects, app wiring (secret key, favicon, errors)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from tests.webapp.conftest import csrf_token, post
from webapp import create_app

PROTECTED = ["/", "/tugas/abc", "/kasus", "/kasus/abc", "/ringkasan", "/dokumen/abc/1"]


def test_login_page_has_the_fields(client):
    page = client.get("/masuk").get_data(as_text=True)
    for testid in ("login-username", "login-password", "login-submit"):
        assert f'data-testid="{testid}"' in page
    assert 'name="csrf_token"' in page


def test_login_starts_a_30_minute_http_only_session(app, client, demo_users):
    response = client.post(
        "/masuk", data={"username": "kabid_ikp", "password": "sopflow-demo", "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(minutes=30)
    assert app.config["SESSION_REFRESH_EACH_REQUEST"] is True
    page = client.get("/").get_data(as_text=True)
    assert "Selamat datang" in page and 'data-testid="flash-sukses"' in page
    assert "Kepala Bidang Informasi dan Komunikasi Publik (contoh)" in page


@pytest.mark.parametrize(("username", "password"), [("kabid_ikp", "salah-sandi"), ("tidak_ada", "sopflow-demo")])
def test_failed_login_gives_one_generic_message(client, demo_users, username, password):
    response = client.post(
        "/masuk", data={"username": username, "password": password, "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "Nama pengguna atau kata sandi salah." in page
    assert 'data-testid="login-error"' in page
    assert "tidak ditemukan" not in page and "tidak_ada" not in page.split("login-error")[1].split("</p>")[0]


@pytest.mark.parametrize("path", PROTECTED)
def test_pages_need_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/masuk?next=")


def test_login_returns_to_the_page_asked_for_but_never_off_site(client, demo_users):
    token = csrf_token(client)
    ok = client.post(
        "/masuk?next=/kasus", data={"username": "sekretaris", "password": "sopflow-demo", "csrf_token": token}
    )
    assert ok.headers["Location"] == "/kasus"
    post(client, "/keluar")
    evil = client.post(
        "/masuk?next=//evil.example/x",
        data={"username": "sekretaris", "password": "sopflow-demo", "csrf_token": csrf_token(client)},
    )
    assert evil.headers["Location"] == "/"


def test_logout_is_a_post_and_ends_the_session(client, login_as, demo_users):
    login_as("sekretaris")
    assert client.get("/keluar").status_code == 405
    response = post(client, "/keluar")
    assert response.status_code == 302 and response.headers["Location"] == "/masuk"
    assert client.get("/").status_code == 302


def test_login_without_csrf_token_is_rejected(client, demo_users):
    response = client.post("/masuk", data={"username": "sekretaris", "password": "sopflow-demo"})
    assert response.status_code == 400
    assert "token CSRF" in response.get_data(as_text=True)


def test_task_action_without_csrf_token_is_rejected(client, login_as, demo_case):
    login_as("sekretaris")
    response = client.post(f"/tugas/{demo_case['task_id']}/klaim")
    assert response.status_code == 400
    page = client.get(f"/tugas/{demo_case['task_id']}").get_data(as_text=True)
    assert 'data-testid="task-claim"' in page  # still unclaimed


def test_logged_in_user_visiting_login_goes_to_inbox(client, login_as, demo_users):
    login_as("kadis")
    assert client.get("/masuk").headers["Location"] == "/"


def test_secret_key_is_persisted_in_the_data_dir(settings):
    first = create_app({"SOPFLOW_SETTINGS": settings})
    second = create_app({"SOPFLOW_SETTINGS": settings})
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert (settings.data_dir / "secret_key").read_text().strip() == first.config["SECRET_KEY"]
    assert (settings.data_dir / "secret_key").stat().st_mode & 0o077 == 0
    configured = create_app({"SOPFLOW_SETTINGS": replace(settings, secret_key="dari-pengaturan")})
    assert configured.config["SECRET_KEY"] == "dari-pengaturan"
    for app in (first, second, configured):
        app.extensions["sopflow"].db.dispose()


def test_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"


def test_unknown_page_gives_an_indonesian_404(client, login_as, demo_users):
    login_as("sekretaris")
    response = client.get("/tidak-ada")
    assert response.status_code == 404
    assert "Halaman yang Anda cari tidak ada." in response.get_data(as_text=True)


def test_api_paths_are_not_rendered_as_html(client):
    response = client.get("/api/v1/tasks")
    assert response.is_json
