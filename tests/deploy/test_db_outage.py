"""The database goes away and comes back while ``sopflow serve`` keeps running.

The test never touches the machine's shared PostgreSQL (port 5432): it creates a private
cluster with ``initdb`` from ``/usr/lib/postgresql/<version>/bin`` in a fresh temporary
folder, starts it with ``pg_ctl`` on a free port (listening on 127.0.0.1 only, its socket in
that folder), migrates a database there and serves the app on it in a subprocess.

PostgreSQL refuses to run as root. When the test runs as root (as CI does) the cluster is
created and run as the ``postgres`` OS user that Debian's PostgreSQL package creates:
every ``initdb``/``pg_ctl`` call goes through ``runuser -u postgres --`` and the folder is
made by ``tempfile.mkdtemp`` under ``/tmp`` and chowned to ``postgres`` (pytest's
``tmp_path`` lives under a root-only ``0700`` folder that ``postgres`` cannot enter). As
any other user the binaries run directly.

While the cluster is stopped (``pg_ctl stop -m fast``) every page and API call must answer
503 with ``Retry-After`` and the Indonesian message, never a traceback; after
``pg_ctl start`` the same server process answers 200 again.
"""

from __future__ import annotations

import http.cookiejar
import json
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
from pathlib import Path
from typing import Any

import pytest

from sopflow import Database
from sopflow.access.tokens import issue_token
from sopflow.access.users import add_user
from sopflow.settings import PROJECT_ROOT
from tests.deploy.servers import PgCluster, free_port, pg_cluster

MESSAGE = "Basis data sedang tidak dapat dihubungi. Coba lagi sebentar lagi."
PASSWORD = "kata-sandi-uji-outage"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def cluster() -> Iterator[PgCluster]:
    """A started private cluster with an empty ``sopflow`` database; stopped and removed afterwards."""
    with pg_cluster("sopflow") as pg:
        yield pg


class Browser:
    """A cookie-keeping HTTP client for the served app (urllib, no redirects followed)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def request(self, path: str, data: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> Any:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        try:
            with self.opener.open(req, timeout=20) as response:
                return response.status, dict(response.headers), response.read().decode("utf-8")
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read().decode("utf-8")

    def login(self, username: str, password: str) -> None:
        status, _headers, page = self.request("/masuk")
        assert status == 200, page[:300]
        token = _CSRF.search(page)
        assert token, "no CSRF token on /masuk"
        status, _headers, page = self.request(
            "/masuk", {"username": username, "password": password, "csrf_token": token.group(1)}
        )
        assert status == 302, page[:500]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@pytest.fixture
def served(cluster: PgCluster, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """``sopflow serve`` (a subprocess, JSON logs to a file) on the private cluster, with a user and a token."""
    url = cluster.url("sopflow").replace("postgresql://", "postgresql+psycopg://", 1)
    db = Database(url)
    db.upgrade()
    with db.unit_of_work() as session:
        add_user(session, "kasi_uji", PASSWORD, lanes=["Kepala Seksi"], roles=("aktor",))
        token = issue_token(session, "kasi_uji")
    db.dispose()

    port = free_port()
    log_path = tmp_path / "server.log"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": secrets.token_hex(32),
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "SOPFLOW_DATA_DIR": str(tmp_path / "data"),
        "SESSION_COOKIE_SECURE": "0",  # plain http on 127.0.0.1: the session cookie must come back
    }
    env.pop("BROKER_URL", None)
    with log_path.open("wb") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "webapp.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, f"server exited:\n{log_path.read_text(errors='replace')[-3000:]}"
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"server not up:\n{log_path.read_text(errors='replace')[-3000:]}"
            time.sleep(0.2)
        yield {"base": base, "token": token, "log": log_path, "pid": server.pid}
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(15)


def _log_lines(path: Path) -> list[dict[str, Any]]:
    lines = []
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if raw.startswith("{"):
            lines.append(json.loads(raw))
    return lines


def test_pages_and_api_answer_503_while_the_database_is_down_and_recover(cluster: PgCluster, served) -> None:
    browser = Browser(served["base"])
    browser.login("kasi_uji", PASSWORD)
    api = {"Authorization": f"Bearer {served['token']}"}
    pages = ["/", "/kasus"]

    for path in pages:
        status, _headers, body = browser.request(path)
        assert status == 200, body[:300]
    status, _headers, body = browser.request("/api/v1/tasks", headers=api)
    assert status == 200, body
    assert browser.request("/readyz")[0] == 200

    cluster.stop("fast")
    try:
        for attempt in range(2):  # the first requests find dead pooled connections, the next find no server
            for path in pages:
                request_id = f"mati-{attempt}-{path.strip('/') or 'tugas'}"
                status, headers, body = browser.request(path, headers={"X-Request-ID": request_id})
                assert status == 503, body[:500]
                assert headers.get("Retry-After") == "5"
                assert MESSAGE in body
                assert "Traceback" not in body and "OperationalError" not in body and "psycopg" not in body
            status, headers, body = browser.request("/api/v1/tasks", headers={**api, "X-Request-ID": f"api-{attempt}"})
            assert status == 503, body
            assert headers.get("Retry-After") == "5"
            error = json.loads(body)["error"]
            assert (error["code"], error["message"]) == ("database_unavailable", MESSAGE)
            assert "Traceback" not in body

        # signing in needs the database too: a clean 503 as well (the form itself needs none)
        visitor = Browser(served["base"])
        status, _headers, page = visitor.request("/masuk")
        assert status == 200
        token = _CSRF.search(page)
        assert token
        form = {"username": "kasi_uji", "password": PASSWORD, "csrf_token": token.group(1)}
        status, headers, body = visitor.request("/masuk", form)
        assert (status, headers.get("Retry-After")) == (503, "5") and MESSAGE in body

        status, _headers, body = browser.request("/healthz")
        assert (status, json.loads(body)) == (200, {"status": "ok"})
        started = time.monotonic()
        status, _headers, body = browser.request("/readyz")
        assert status == 503 and json.loads(body)["checks"]["database"]["status"] == "error"
        assert time.monotonic() - started < 3.5
    finally:
        cluster.start()

    # the same server process, no restart: the pool reconnects by itself
    for path in pages:
        status, _headers, body = browser.request(path)
        assert status == 200, body[:500]
    status, _headers, body = browser.request("/api/v1/tasks", headers=api)
    assert status == 200, body
    assert browser.request("/readyz")[0] == 200

    lines = _log_lines(served["log"])
    down = [line for line in lines if line.get("event") == "database_unavailable"]
    assert {line["request_id"] for line in down} >= {"mati-0-tugas", "mati-1-kasus", "api-0", "api-1"}
    assert all(line["level"] == "warning" and "exception" not in line for line in down)
    assert [line for line in lines if line.get("event") == "unhandled_error"] == []
    access = [line for line in lines if line.get("event") == "http_request" and line["request_id"] == "mati-1-tugas"]
    assert [(line["status"], line["path"], line["user"]) for line in access] == [(503, "/", None)]
