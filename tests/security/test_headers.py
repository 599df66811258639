"""Security headers: every page of the app (visited as the roles that may open it) carries a
Content-Security-Policy without inline scripts and has no inline script in its HTML; nosniff,
frame and referrer headers everywhere; HSTS only when configured.
"""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.webapp import conftest as web
from tests.webapp.conftest import play_steps
from webapp import create_app

# the web tests' fixtures: the app on the test database (CSRF on), its client, sign-in, the demo case
app, client, clock = web.app, web.client, web.clock
demo_users, demo_case, login_as = web.demo_users, web.demo_case, web.login_as

TEMPLATES = Path(__file__).resolve().parents[2] / "webapp" / "templates"
ROLES = ("admin", "sekretaris", "kabid_ikp", "inspektorat", "kadis", "kasi_monev", "kasubbag_perencanaan")
# GET endpoints that answer something other than an HTML page (files, JSON, the API)
NOT_PAGES = {
    "static",
    "favicon",
    "health.healthz",
    "health.readyz",
    "cases.status",
    "inbox.download",
    "auditor.evidence_bundle",
    "auditor.export_csv",
    "auditor.working_paper",
    "editor.sop_document",
    "editor.download",
    # directory sign-in (webapp/sso_pages.py): redirects when OIDC is not configured; tests/identity covers them
    "sso.begin",
    "sso.callback",
    "sso.provider_logout",
    # a signing task's page: the demo quarter's step 12 (tests/documents/test_signing_pages.py); templates: below
    "signing.sign_page",
    "editor.sop_pdf_download",  # a PDF
}
_EVENT_ATTRIBUTE = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)


class Scripts(HTMLParser):
    """Collect the page's ``<script>`` elements, ``on*=`` attributes, ``javascript:`` links and links."""

    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []
        self.handlers: list[str] = []
        self.links: list[str] = []
        self._open: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if name.lower().startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.handlers.append(f"<{tag} {name}={value!r}>")
        if tag == "script":
            self._open = {k: v or "" for k, v in values.items()}
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")

    def handle_data(self, data: str) -> None:
        if self._open is not None and data.strip():
            if "src" in self._open or self._open.get("type") == "application/json":
                return
            self.inline.append(data.strip()[:120])

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._open = None


def script_sources(policy: str) -> str:
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if " " in part.strip())
    return directives.get("script-src", directives.get("default-src", ""))


def check_page(path: str, response, seen: dict[str, str]) -> list[str]:
    """Assert the page's headers and HTML; return its local links."""
    policy = response.headers.get("Content-Security-Policy", "")
    assert policy, path
    assert "'unsafe-inline'" not in script_sources(policy) and "'unsafe-eval'" not in policy, (path, policy)
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy, (path, policy)
    assert response.headers["X-Content-Type-Options"] == "nosniff", path
    assert response.headers["X-Frame-Options"] == "DENY", path
    assert response.headers["Referrer-Policy"] == "same-origin", path
    if response.mimetype != "text/html":
        return []
    html = response.get_data(as_text=True)
    parser = Scripts()
    parser.feed(html)
    assert not parser.inline, (path, parser.inline)
    assert not parser.handlers, (path, parser.handlers)
    seen[path] = html
    return parser.links


def crawl(app: Flask, client: FlaskClient, seen_endpoints: set[str], limit: int = 400) -> int:
    """Follow every local link from ``/``; check each page; record the endpoints reached."""
    queue, visited = ["/"], set()
    pages: dict[str, str] = {}
    while queue and len(visited) < limit:
        path = queue.pop(0)
        if path in visited:
            continue
        visited.add(path)
        response = client.get(path)
        assert response.status_code in (200, 302, 403), (path, response.status_code)
        adapter = app.url_map.bind("localhost")
        parts = urlsplit(path)
        endpoint, _args = adapter.match(parts.path, method="GET")
        if response.status_code == 200:
            seen_endpoints.add(endpoint)
        for link in check_page(path, response, pages):
            target = urlsplit(urljoin(path, link))
            if target.netloc or target.scheme or target.path.startswith(("/static/", "/api/")):
                continue
            local = target.path + (f"?{target.query}" if target.query else "")
            if local not in visited and "/dokumen/" not in local:
                queue.append(local)
    return len(visited)


@pytest.fixture
def finished_steps(demo_case):
    """The demo case played to step 11 (documents, returns, many events) and the TW4 case at step 1."""
    play_steps(demo_case["engine"], demo_case["case_id"], "langkah11_verifikasi")
    return demo_case


def test_every_page_has_the_policy_and_no_inline_script(app, client, login_as, finished_steps):
    seen: set[str] = set()
    total = 0
    anonymous = client.get("/masuk")
    check_page("/masuk", anonymous, {})
    seen.add("auth.login")
    for role in ROLES:
        login_as(role)
        total += crawl(app, client, seen)
    # pages that are reached only with two process versions: opened directly with the one there is
    login_as("admin")
    asked = web.post(client, "/proses/monev_kinerja/sop.pdf")  # the SOP document's PDF: its status page
    assert asked.status_code == 302
    status_path = urlsplit(asked.headers["Location"]).path
    check_page(status_path, client.get(status_path), {})
    seen.add("editor.sop_pdf_status")
    check_page("/api/docs", client.get("/api/docs"), {})  # linked from every footer; the crawl skips /api/
    seen.add("api_docs.docs")
    for path, endpoint in (
        ("/proses/monev_kinerja/banding", "editor.compare"),
        ("/proses/monev_kinerja/migrasi", "editor.migrate"),
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        check_page(path, response, {})
        seen.add(endpoint)
    pages = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.endpoint.startswith("api.") and rule.endpoint not in NOT_PAGES
    }
    assert pages - seen == set(), f"pages never reached: {sorted(pages - seen)} ({total} visited)"
    # error pages and JSON answers carry the headers too
    check_page("/tidak-ada", client.get("/tidak-ada"), {})
    check_page("/api/v1/openapi.json", client.get("/api/v1/openapi.json"), {})


def test_no_template_has_an_inline_script_or_event_handler():
    for template in sorted(TEMPLATES.rglob("*.html")):
        text = template.read_text(encoding="utf-8")
        parser = Scripts()
        parser.feed(re.sub(r"{[{%#].*?[}%#]}", "x", text, flags=re.DOTALL))
        assert not parser.inline, (template.name, parser.inline)
        assert not _EVENT_ATTRIBUTE.search(text), template.name


def test_hsts_is_off_by_default_and_sent_when_configured(settings, database, client):
    assert "Strict-Transport-Security" not in client.get("/masuk").headers
    secured = create_app({"SOPFLOW_SETTINGS": replace(settings, hsts_seconds=31536000)})
    try:
        response = secured.test_client().get("/masuk")
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    finally:
        secured.extensions["sopflow"].db.dispose()
