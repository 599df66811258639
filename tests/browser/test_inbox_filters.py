"""Inbox filters and the case list's sorting in a real browser, and the dd/mm/yyyy date picker.

The filters are links: choosing one changes the URL (so reload, back and a shared link keep
it), the sort form keeps the filter, and the case list's column headers sort both ways.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from sopflow import ClaimTask, CompleteUserTask, StartInstance, Upload
from sopflow.demo import DEMO_PASSWORD
from sopflow.queries.inbox import tasks_of_case
from tests.browser.conftest import SCRIPT, LiveApp

pytestmark = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="runs once, in the SQLite pass")

SAMPLES = SCRIPT.parent


def login(page: Page, username: str) -> None:
    page.goto("/masuk")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_test_id("login-submit").click()


def _ready(live_app: LiveApp, case_id: str, element: str) -> list[dict[str, Any]]:
    with live_app.engine.db.reading() as session:
        return [t for t in tasks_of_case(session, case_id) if t["state"] == "ready" and t["element_id"] == element]


def _walk(live_app: LiveApp, case_id: str, element: str) -> None:
    """Complete the demo script's open steps in order until ``element`` is ready."""
    engine = live_app.engine
    for step in live_app.script["steps"]:
        if _ready(live_app, case_id, element):
            return
        found = [
            t for t in _ready(live_app, case_id, step["element"]) if step.get("unit") in (None, t["unit"], t["label"])
        ]
        if not found:
            continue
        uploads = {n: Upload(Path(f).name, (SAMPLES / f).read_bytes()) for n, f in step.get("uploads", {}).items()}
        engine.claim_task(ClaimTask(found[0]["task_id"], step["actor"]))
        engine.complete_user_task(CompleteUserTask(found[0]["task_id"], step["actor"], step.get("data", {}), uploads))
        assert engine.wait_for_jobs(case_id, timeout=180)
    assert _ready(live_app, case_id, element)


def _start(live_app: LiveApp, periode: str) -> str:
    data = json.loads((SAMPLES / "indikator_2026.json").read_text(encoding="utf-8"))
    start = {k: data[k] for k in ("indikator", "kegiatan")}
    return live_app.engine.start_instance(StartInstance("monev_kinerja", "sekretaris", periode, start)).case_id


def test_filters_live_in_the_url_and_survive_reload_and_back(page: Page, live_app: LiveApp) -> None:
    cases = [_start(live_app, periode) for periode in ("2026-TW3", "2026-TW4")]
    for case_id in cases:
        _walk(live_app, case_id, "langkah02_pengumpulan_data")
    mine = next(t for t in _ready(live_app, cases[0], "langkah02_pengumpulan_data") if t["unit"] == "Statistik")
    live_app.engine.claim_task(ClaimTask(mine["task_id"], "kabid_statistik"))
    login(page, "kabid_statistik")
    rows = page.get_by_test_id("task-row")
    expect(rows).to_have_count(2)
    expect(page.get_by_test_id("filter-semua")).to_have_attribute("aria-current", "page")

    page.get_by_test_id("filter-milik_saya").click()
    expect(page).to_have_url(re.compile(r"/\?saring=milik_saya$"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-task-id", mine["task_id"])
    expect(page.get_by_test_id("filter-milik_saya")).to_have_attribute("aria-current", "page")

    page.get_by_test_id("filter-belum_diklaim").click()
    expect(page).to_have_url(re.compile(r"saring=belum_diklaim"))
    expect(rows).to_have_count(1)
    expect(rows.first).not_to_have_attribute("data-task-id", mine["task_id"])
    page.reload()
    expect(rows).to_have_count(1)
    expect(page.get_by_test_id("filter-belum_diklaim")).to_have_attribute("aria-current", "page")

    page.go_back()
    expect(page).to_have_url(re.compile(r"saring=milik_saya"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-task-id", mine["task_id"])

    # the sort form keeps the chosen filter
    page.get_by_test_id("sort-order").select_option("periode")
    page.get_by_test_id("filter-apply").click()
    expect(page).to_have_url(re.compile(r"saring=milik_saya.*urut=periode|urut=periode.*saring=milik_saya"))
    expect(rows).to_have_count(1)
    page.get_by_test_id("filter-terlambat").click()
    expect(page.get_by_test_id("inbox-empty")).to_contain_text("untuk saringan ini")
    expect(page).to_have_url(re.compile(r"urut=periode"))


def test_case_list_sorts_by_clicking_column_headers(page: Page, live_app: LiveApp) -> None:
    ids = {periode: _start(live_app, periode) for periode in ("2026-TW2", "2025-TW4", "2026-TW1")}
    login(page, "sekretaris")
    page.goto("/kasus")
    rows = page.get_by_test_id("case-row")
    expect(rows).to_have_count(3)
    expect(rows.first).to_have_attribute("data-periode", "2026-TW2")  # newest periode first
    expect(page.get_by_test_id("case-list")).not_to_contain_text("monev_kinerja")
    expect(rows.first).to_contain_text("Monitoring/Evaluasi Internal Capaian Kinerja")
    expect(rows.first.get_by_test_id("case-current")).to_contain_text("1. Membuat format isian")
    page.get_by_test_id("sort-periode").click()
    expect(page).to_have_url(re.compile(r"urut=periode&arah=naik"))
    expect(rows.first).to_have_attribute("data-periode", "2025-TW4")
    page.get_by_test_id("sort-dimulai").click()
    expect(page).to_have_url(re.compile(r"urut=dimulai"))
    expect(rows.first).to_have_attribute("data-case-id", ids["2026-TW1"])  # started last
    header = page.locator("th[aria-sort]")
    expect(header).to_have_attribute("aria-sort", "descending")
    page.get_by_test_id("sort-dimulai").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    expect(rows.first).to_have_attribute("data-case-id", ids["2026-TW2"])


def test_date_picker_writes_dd_mm_yyyy(page: Page, live_app: LiveApp) -> None:
    case_id = _start(live_app, "2026-TW3")
    _walk(live_app, case_id, "langkah04_rencana_monev")
    task = _ready(live_app, case_id, "langkah04_rencana_monev")[0]
    login(page, "kasubbag_perencanaan")
    page.goto(f"/tugas/{task['task_id']}")
    cell = page.get_by_test_id("field-jadwal_monev-0-tanggal")
    expect(cell).to_have_attribute("type", "text")
    expect(cell).to_have_attribute("placeholder", "hh/bb/tttt")
    cell.fill("13/10/2026")
    page.get_by_test_id("datepicker-jadwal_monev-0-tanggal").click()
    panel = page.get_by_test_id("datepicker-panel")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("Oktober 2026")
    expect(panel.locator('td[aria-selected="true"] button.day')).to_have_text("13")
    expect(panel.locator("th").first).to_have_text("Sen")
    # keyboard: the chosen day has focus; arrow right moves a day, Enter picks it
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    expect(cell).to_have_value("14/10/2026")
    expect(panel).to_have_count(0)
    page.get_by_test_id("datepicker-jadwal_monev-0-tanggal").click()
    page.get_by_role("button", name="Bulan berikutnya").click()
    expect(page.get_by_test_id("datepicker-panel")).to_contain_text("November 2026")
    page.get_by_role("button", name="2 November 2026", exact=True).click()
    expect(cell).to_have_value("02/11/2026")
    page.get_by_test_id("datepicker-jadwal_monev-0-tanggal").click()
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("datepicker-panel")).to_have_count(0)
    expect(page.get_by_test_id("datepicker-jadwal_monev-0-tanggal")).to_be_focused()
