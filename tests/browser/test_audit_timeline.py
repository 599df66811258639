"""The audit timeline in chromium at 1366×768 and 1920×1080: it fits the window, pages, and permalinks work.

The event list of a page scrolls inside its own frame (no horizontal overflow of its card or of
the page, never taller than the window); a link naming an event only by its fragment
(``#event-<seq>``) opens the page holding it; the filters form keeps its values in the URL.
The demo quarter is a copy of the session's played one (``played_app``). Uses the live app, browser
fixtures of tests/browser/conftest.py.
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Browser, expect

from sopflow.demo import DEMO_PASSWORD
from sopflow.queries.inbox import timeline_for_case
from tests.browser.conftest import SCREENSHOTS, TIMEOUT_MS, PlayedApp

pytestmark = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="runs once, in the SQLite pass")

FITS = """() => {
  const box = document.querySelector('[data-testid="timeline-scroll"]');
  const card = document.querySelector('[data-testid="audit-timeline-card"]');
  const b = box.getBoundingClientRect(), c = card.getBoundingClientRect();
  return {
    boxOverflow: box.scrollWidth - box.clientWidth,
    pageOverflow: document.documentElement.scrollWidth - window.innerWidth,
    boxHeight: b.height, windowHeight: window.innerHeight,
    insideCard: b.left >= c.left - 0.5 && b.right <= c.right + 0.5,
  };
}"""


@pytest.mark.parametrize("size", ((1366, 768), (1920, 1080)), ids=lambda s: f"{s[0]}x{s[1]}")
def test_timeline_fits_the_window_pages_and_follows_permalinks(browser: Browser, played_app: PlayedApp, size):
    live_app, result = played_app.live, played_app.demo.result
    with live_app.engine.db.reading() as session:
        events = timeline_for_case(session, result.case_id)
    assert len(events) > 50
    context = browser.new_context(base_url=live_app.url, locale="id-ID", viewport={"width": size[0], "height": size[1]})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/masuk")
    page.get_by_test_id("login-username").fill("inspektorat")
    page.get_by_test_id("login-password").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_test_id("login-submit").click()

    page.goto(f"/audit/kasus/{result.case_id}")
    expect(page.get_by_test_id("audit-event")).to_have_count(50)
    fits = page.evaluate(FITS)
    assert fits["boxOverflow"] <= 0 and fits["pageOverflow"] <= 0 and fits["insideCard"], fits
    assert fits["boxHeight"] <= fits["windowHeight"], fits
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"audit-linimasa-{size[0]}.png"))

    # the next page, through the pager
    with page.expect_navigation():
        page.get_by_test_id("pager-atas").get_by_test_id("page-next").click()
    expect(page.get_by_test_id("audit-event").first).to_have_attribute("data-seq", "51")
    assert page.evaluate(FITS)["pageOverflow"] <= 0

    # a fragment-only link to an event of page 2, opened from page 1: the right page, the row in view
    late = events[-5]["seq"]
    page.goto(f"/audit/kasus/{result.case_id}")
    page.goto(f"/audit/kasus/{result.case_id}#event-{late}")
    row = page.locator(f"#event-{late}")
    expect(row).to_be_visible()
    expect(row).to_be_in_viewport()
    assert f"peristiwa={late}" in page.url

    # filters from the form stay in the URL and in the form
    page.get_by_test_id("filter-actor").select_option("kadis")
    page.get_by_test_id("filter-kind").select_option("task_completed")
    with page.expect_navigation():
        page.get_by_test_id("search-submit").click()
    assert "pelaku=kadis" in page.url and "jenis=task_completed" in page.url
    expected = [e["seq"] for e in events if e["actor"] == "kadis" and e["kind"] == "task_completed"]
    expect(page.get_by_test_id("audit-event")).to_have_count(len(expected))
    expect(page.get_by_test_id("filter-actor")).to_have_value("kadis")
    context.close()
