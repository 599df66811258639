"""/api/docs in chromium: Swagger UI renders every operation of the OpenAPI document under the site's CSP.

No request leaves the app (no CDN, no online validator) and the browser reports no CSP violation.
Uses the live app and page fixtures of tests/browser/conftest.py.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveApp

pytestmark = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="runs once, in the SQLite pass")


def test_api_docs_render_every_operation_without_leaving_the_app(page: Page, live_app: LiveApp):
    hosts: set[str] = set()
    problems: list[str] = []
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto("/masuk")
    with page.expect_navigation():
        page.get_by_test_id("footer-api-docs").click()
    expect(page.get_by_test_id("swagger-ui")).to_have_attribute("data-ready", "ya")
    methods = {"get", "post", "put", "patch", "delete"}
    document = page.request.get("/api/v1/openapi.json").json()  # the generated document the page renders
    operations = sum(len(methods & set(item)) for item in document["paths"].values())
    expect(page.locator(".opblock")).to_have_count(operations)
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    page.locator(".opblock-summary-path", has_text="/tasks/{task_id}/claim").first.click()
    expect(page.locator(".opblock.is-open")).to_have_count(1)
    assert hosts == {urlsplit(live_app.url).netloc}, hosts
    assert problems == [], problems
