"""The Inspektorat audits a finished case in a real browser: timeline, stepping through events, a past moment.

The demo quarter is played through the engine (``sopflow.demo.run_demo``, once per session; the
test serves a copy of it: ``played_app``); the auditor then signs in, opens the case from /audit,
steps through the events with the links and the arrow keys, and opens past moments whose diagram
highlights differ (read from the bpmn-js SVG).
Uses the live app, browser and page fixtures of tests/browser/conftest.py.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from sopflow.demo import DEMO_PASSWORD
from sopflow.queries.inbox import timeline_for_case
from tests.browser.conftest import SCREENSHOTS, PlayedApp

PERIODE = "2026-TW3"
MARKED = "(marker) => Array.from(document.querySelectorAll('#diagram g.djs-element.' + marker))" \
         ".map((node) => node.getAttribute('data-element-id')).sort()"  # fmt: skip


def finished_case(app: PlayedApp) -> tuple[str, list[dict[str, Any]]]:
    """The played demo quarter's finished case: its id and its events."""
    case_id = app.demo.result.case_id
    with app.live.engine.db.reading() as session:
        return case_id, timeline_for_case(session, case_id)


def sign_in(page: Page, username: str) -> None:
    page.goto("/masuk")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("flash-sukses")).to_contain_text("Selamat datang")


def diagram_marks(page: Page, marker: str) -> list[str]:
    """Return the ids of the BPMN elements bpmn-js drew with ``marker`` (once the diagram is ready)."""
    expect(page.get_by_test_id("diagram")).to_have_attribute("data-ready", "ya")
    return page.evaluate(MARKED, marker)


def current_seq(page: Page) -> int:
    return int(page.get_by_test_id("moment-event").get_attribute("data-seq"))


def test_auditor_steps_through_a_finished_case_and_sees_past_moments(played_app: PlayedApp, page: Page):
    case_id, events = finished_case(played_app)
    sign_in(page, "inspektorat")
    expect(page.get_by_test_id("read-only-badge")).to_be_visible()

    # /audit: the database's chain is intact, the finished case is found by periode and status
    with page.expect_navigation():
        page.get_by_test_id("nav-audit").click()
    expect(page.get_by_test_id("integrity-panel")).to_have_attribute("data-intact", "ya")
    page.get_by_test_id("search-periode").fill(PERIODE)
    page.get_by_test_id("search-status").select_option("selesai")
    with page.expect_navigation():
        page.get_by_test_id("search-submit").click()
    expect(page.get_by_test_id("audit-case-row")).to_have_count(1)
    with page.expect_navigation():
        page.get_by_test_id("audit-case-link").click()

    # the timeline: its first 50 events, the case's chain intact, no form that could change anything
    expect(page.get_by_test_id("audit-title")).to_contain_text(PERIODE)
    expect(page.get_by_test_id("audit-event")).to_have_count(min(len(events), 50))
    expect(page.get_by_test_id("integrity-summary")).to_contain_text(f"Rantai audit utuh: {len(events)} peristiwa")
    assert page.locator("main form").count() == page.locator('main form[method="get"]').count() == 1  # the filters
    first_done = next(e for e in events if e["kind"] == "task_completed")
    row = page.locator(f'[data-testid="audit-event"][data-seq="{first_done["seq"]}"]')
    expect(row.get_by_test_id("event-changes")).to_contain_text("disposisi")
    expect(row).to_contain_text("WITA")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "auditor-timeline.png"), full_page=False)

    # step through: from the first event with the links, then with the arrow keys
    with page.expect_navigation():
        page.get_by_test_id("start-stepping").click()
    assert current_seq(page) == 1
    expect(page.get_by_test_id("moment-nav-atas").get_by_test_id("moment-prev")).to_have_attribute(
        "aria-disabled", "true"
    )
    with page.expect_navigation():
        page.get_by_test_id("moment-nav-atas").get_by_test_id("moment-next").click()
    assert current_seq(page) == 2
    for expected in (3, 4):
        with page.expect_navigation():
            page.keyboard.press("ArrowRight")
        assert current_seq(page) == expected
    with page.expect_navigation():
        page.keyboard.press("ArrowLeft")
    assert current_seq(page) == 3

    # step 1 waiting for the Sekretaris: only langkah01 is active
    ready01 = next(e for e in events if e["kind"] == "task_ready" and e["element_id"] == "langkah01_format_isian")
    page.goto(f"/audit/kasus/{case_id}/pada/{ready01['seq']}")
    early = diagram_marks(page, "aktif")
    assert early == ["langkah01_format_isian"]
    assert "siapkan_format_isian" in diagram_marks(page, "selesai")

    # back on the timeline, open the moment a Kepala Bidang claimed step 2: the highlight has moved
    claim = next(e for e in events if e["kind"] == "task_claimed" and e["element_id"] == "langkah02_pengumpulan_data")
    page.goto(f"/audit/kasus/{case_id}")
    with page.expect_navigation():
        page.locator(f'[data-testid="audit-event"][data-seq="{claim["seq"]}"]').get_by_test_id("moment-link").click()
    assert current_seq(page) == claim["seq"]
    later = diagram_marks(page, "aktif")
    assert later == ["langkah02_pengumpulan_data"] != early
    assert "langkah01_format_isian" in diagram_marks(page, "selesai")
    holder = page.locator(f'[data-testid="moment-task"][data-task-id="{claim["task_id"]}"]')
    expect(holder.get_by_test_id("moment-holder")).to_have_text(claim["actor"])
    expect(page.get_by_test_id("moment-document")).to_have_count(5)
    page.screenshot(path=str(SCREENSHOTS / "auditor-moment.png"), full_page=False)
    page.get_by_test_id("moment-data").locator("summary").last.click()
    expect(page.get_by_test_id("moment-data-json")).to_contain_text('"indikator"')

    # the last event: nothing active, the archive step done, no "next"
    with page.expect_navigation():
        page.get_by_test_id("moment-nav-atas").get_by_test_id("moment-last").click()
    assert current_seq(page) == events[-1]["seq"]
    assert diagram_marks(page, "aktif") == []
    assert "langkah13_arsip" in diagram_marks(page, "selesai")
    expect(page.get_by_test_id("moment-status")).to_have_text("Selesai")
