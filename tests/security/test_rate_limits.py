"""Throttling of sign-ins and API tokens: per account, per address, 429 with Retry-After, and one budget
shared by two server processes through one (private) Redis.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from sopflow import Settings
from sopflow.access import tokens
from sopflow.settings import PROJECT_ROOT
from tests.deploy.servers import free_port, port_open, redis_server, stop_process
from tests.webapp.conftest import csrf_token
from webapp import create_app

PASSWORD = "kata-sandi-uji"  # tests/conftest.py make_user
TOO_MANY = re.compile(r"Terlalu banyak percobaan\. Coba lagi dalam (\d+) menit\.")


@pytest.fixture
def limited(settings: Settings, database) -> Iterator[Any]:
    """``limited(**fields)``: an app whose settings have the given limits (CSRF on)."""
    made: list[Flask] = []

    def make(**fields: Any) -> Flask:
        application = create_app({"TESTING": True, "SOPFLOW_SETTINGS": replace(settings, **fields)})
        made.append(application)
        return application

    yield make
    for application in made:
        application.extensions["sopflow"].db.dispose()


def sign_in(client, username: str, password: str):
    return client.post("/masuk", data={"username": username, "password": password, "csrf_token": csrf_token(client)})


def test_an_account_is_locked_after_ten_failures_even_for_the_right_password(limited, make_user):
    app = limited()  # the defaults: 10 per account, 30 per address, per 15 minutes
    make_user("ani")
    make_user("budi")
    client = app.test_client()
    for attempt in range(10):
        assert sign_in(client, "ani", "salah-sandi").status_code == 401, attempt
    blocked = sign_in(client, "ani", PASSWORD)
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["Retry-After"]) <= 15 * 60
    found = TOO_MANY.search(blocked.get_data(as_text=True))
    assert found and found.group(1) == "15", blocked.get_data(as_text=True)[:2000]
    assert sign_in(client, "ANI ", PASSWORD).status_code == 429  # the same account, however it is typed
    assert sign_in(client, "budi", PASSWORD).status_code == 302  # another account from the same address


def test_a_success_forgets_the_account_failures(limited, make_user):
    app = limited(login_limit_account=3)
    make_user("ani")
    client = app.test_client()
    for _ in range(2):
        assert sign_in(client, "ani", "salah-sandi").status_code == 401
    assert sign_in(client, "ani", PASSWORD).status_code == 302
    other = app.test_client()
    for _ in range(3):
        assert sign_in(other, "ani", "salah-sandi").status_code == 401
    assert sign_in(other, "ani", PASSWORD).status_code == 429


def test_an_address_is_blocked_across_accounts(limited, make_user):
    app = limited(login_limit_account=100, login_limit_address=5)
    make_user("ani")
    client = app.test_client()
    for number in range(5):
        assert sign_in(client, f"tebakan{number}", "salah-sandi").status_code == 401
    blocked = sign_in(client, "ani", PASSWORD)
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers
    assert TOO_MANY.search(blocked.get_data(as_text=True))


def test_bad_api_tokens_are_throttled_per_address(limited, make_user):
    app = limited(login_limit_address=3)
    make_user("ani")
    with app.extensions["sopflow"].db.unit_of_work() as session:
        good = tokens.issue_token(session, "ani")
    client = app.test_client()
    assert client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {good}"}).status_code == 200
    for number in range(3):
        response = client.get("/api/v1/tasks", headers={"Authorization": f"Bearer sfw_tebakan{number}"})
        assert response.status_code == 401
    blocked = client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {good}"})
    assert blocked.status_code == 429 and blocked.is_json
    assert 1 <= int(blocked.headers["Retry-After"]) <= 15 * 60
    error = blocked.get_json()["error"]
    assert error["code"] == "too_many_attempts" and TOO_MANY.fullmatch(error["message"])


def test_storage_is_redis_when_configured_and_memory_only_when_embedded(settings):
    assert settings.limiter_storage_url == "memory://"
    assert replace(settings, broker_url="redis://127.0.0.1:1/0").limiter_storage_url == "redis://127.0.0.1:1/0"
    assert replace(settings, broker_url="amqp://x@h//").limiter_storage_url == "memory://"
    dedicated = replace(settings, broker_url="redis://a:1/0", ratelimit_storage_url="redis://b:2/3")
    assert dedicated.limiter_storage_url == "redis://b:2/3"
    read = Settings.from_env(environ={"RATELIMIT_STORAGE_URL": "redis://c:4/0", "LOGIN_LIMIT_ACCOUNT": "5"})
    assert (read.limiter_storage_url, read.login_limit_account, read.login_limit_address) == ("redis://c:4/0", 5, 30)


def test_sign_in_keeps_working_when_the_counter_store_is_down(limited, make_user):
    app = limited(ratelimit_storage_url=f"redis://127.0.0.1:{free_port()}/0", login_limit_account=1)
    make_user("ani")
    client = app.test_client()
    for _ in range(3):  # nothing is counted, nothing is blocked: the failure is logged, not shown
        assert sign_in(client, "ani", "salah-sandi").status_code == 401
    assert sign_in(client, "ani", PASSWORD).status_code == 302


# -- two server processes, one Redis ---------------------------------------------------------------------
class Browser:
    """A cookie-keeping HTTP client of one served app (urllib, redirects not followed)."""

    def __init__(self, base: str) -> None:
        self.base = base
        jar = urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        self.opener = urllib.request.build_opener(jar, _NoRedirect())

    def request(self, path: str, data: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(urllib.request.Request(self.base + path, data=body), timeout=30) as response:
                return response.status, dict(response.headers), response.read().decode("utf-8")
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read().decode("utf-8")

    def sign_in(self, username: str, password: str) -> tuple[int, dict[str, str], str]:
        status, _headers, page = self.request("/masuk")
        assert status == 200, page[:300]
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token, "no CSRF token on /masuk"
        return self.request("/masuk", {"username": username, "password": password, "csrf_token": token.group(1)})


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "webapp.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while not port_open(port):
        assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
        assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
        time.sleep(0.1)
    return proc


def test_two_server_processes_share_one_budget_through_redis(tmp_path, settings, database, make_user):
    make_user("ani")
    with redis_server(tmp_path / "redis") as redis:
        env = {k: v for k, v in os.environ.items() if k not in ("SOPFLOW_CONFIG", "SOPFLOW_MODE", "BROKER_URL")}
        env.update(
            DATABASE_URL=settings.database_url,
            SOPFLOW_DATA_DIR=str(tmp_path / "data"),
            SECRET_KEY=secrets.token_hex(32),
            RATELIMIT_STORAGE_URL=redis.url,
            LOGIN_LIMIT_ACCOUNT="4",
            LOGIN_LIMIT_ADDRESS="100",
            SESSION_COOKIE_SECURE="0",  # plain HTTP on 127.0.0.1
            PYTHONUNBUFFERED="1",
        )
        ports = (free_port(), free_port())
        servers = [_serve(env, port, tmp_path / f"server{n}.log") for n, port in enumerate(ports)]
        try:
            first, second = (Browser(f"http://127.0.0.1:{port}") for port in ports)
            for browser in (first, second, first, second):
                assert browser.sign_in("ani", "salah-sandi")[0] == 401
            # four failures, two on each server: both now refuse, even the right password
            for browser in (first, second):
                status, headers, page = browser.sign_in("ani", PASSWORD)
                assert status == 429, page[:500]
                assert int(headers["Retry-After"]) >= 1 and TOO_MANY.search(page)
        finally:
            for server in servers:
                stop_process(server)
