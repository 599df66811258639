"""The process owner edits the SOP in the browser modeler, publishes it, and new cases follow the new version.

The Sekretaris opens /proses/monev_kinerja/editor, sets the Waktu of step 5 from 7 to 5 hari
kerja, moves step 9 into the Kepala Dinas lane, takes step 5 out of every lane and sees the
validation error on the diagram, puts it back, publishes with a note and downloads the SOP
document. A case started afterwards runs on version 2, and its step-5 tasks are due after
5 working days.
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC
from zoneinfo import ZoneInfo

from docx import Document
from lxml import etree
from playwright.sync_api import Page, expect

from sopflow import Settings, StartInstance
from sopflow.calendar.working_days import load_calendar
from sopflow.demo import DEMO_PASSWORD
from sopflow.persistence import store
from sopflow.queries import inbox
from sopflow.settings import PROJECT_ROOT
from tests.browser.conftest import SCREENSHOTS, LiveApp
from tests.webapp.conftest import open_tasks, play_steps

PROCESS = "monev_kinerja"
STEP5 = "langkah05_monitoring"
STEP9 = "langkah09_pembahasan"
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}


def login(page: Page, username: str) -> None:
    page.goto("/masuk")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("flash-sukses")).to_contain_text("Selamat datang")


def select_element(page: Page, element_id: str) -> None:
    page.locator(f'#canvas .djs-element.djs-shape[data-element-id="{element_id}"]').click()
    expect(page.get_by_test_id("editor-panel")).to_have_attribute("data-element-id", element_id)


def set_field(page: Page, key: str, value: str) -> None:
    field = page.get_by_test_id("editor-panel").get_by_test_id(f"field-{key}")
    field.fill(value)
    field.dispatch_event("change")


def choose(page: Page, key: str, value: str) -> None:
    page.get_by_test_id("editor-panel").get_by_test_id(f"field-{key}").select_option(value)


def save_draft(page: Page) -> None:
    page.get_by_test_id("save-draft").click()
    expect(page.get_by_test_id("save-status")).to_contain_text("Draf tersimpan")


def lane_members(bpmn_xml: str, lane_id: str) -> list[str]:
    tree = etree.fromstring(bpmn_xml.encode("utf-8"))
    return tree.xpath(f"//bpmn:lane[@id='{lane_id}']/bpmn:flowNodeRef/text()", namespaces=NS)


def test_owner_edits_publishes_and_new_cases_follow(page: Page, live_app: LiveApp, settings: Settings) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, "sekretaris")
    with page.expect_navigation():
        page.get_by_test_id("nav-processes").click()
    with page.expect_navigation():
        page.get_by_test_id("open-editor").click()
    expect(page.get_by_test_id("editor-canvas")).to_have_attribute("data-ready", "ya")
    expect(page.locator(".djs-palette")).to_be_visible()  # the modeler, not the viewer
    expect(page.get_by_test_id("editor-panel")).to_contain_text("Identitas SOP")
    expect(page.get_by_test_id("field-sop.nomor")).to_have_value("002/SOP/Diskominfo/BLG/2023")

    # step 5: Waktu 7 → 5 hari kerja
    select_element(page, STEP5)
    expect(page.get_by_test_id("field-sop.waktu")).to_have_value("7")
    expect(page.get_by_test_id("field-sop.satuan")).to_have_value("hari kerja")
    expect(page.get_by_test_id("field-lane")).to_have_value("lane_kepala_seksi")
    set_field(page, "sop.waktu", "5")
    expect(page.get_by_test_id("save-status")).to_contain_text("belum disimpan")

    # step 9 moves into the Kepala Dinas lane (the shape moves into that band)
    select_element(page, STEP9)
    choose(page, "lane", "lane_kepala_dinas")
    expect(page.get_by_test_id("field-lane")).to_have_value("lane_kepala_dinas")

    # step 5 taken out of every lane: the server says so, the element turns red
    select_element(page, STEP5)
    choose(page, "lane", "")
    save_draft(page)
    problem = page.locator(f'[data-testid="problem"][data-element-id="{STEP5}"]')
    expect(problem).to_contain_text("lane")
    expect(page.locator(f'#canvas .djs-element[data-element-id="{STEP5}"]')).to_have_class(re.compile(r"\bgalat\b"))
    page.get_by_test_id("editor-canvas").click(position={"x": 5, "y": 5})  # deselect, then use the list
    problem.get_by_role("button").click()
    expect(page.get_by_test_id("editor-panel")).to_have_attribute("data-element-id", STEP5)
    page.screenshot(path=str(SCREENSHOTS / "editor-error.png"), full_page=True)

    # fixed: back into the Kepala Seksi lane
    choose(page, "lane", "lane_kepala_seksi")
    save_draft(page)
    expect(page.get_by_test_id("problem")).to_have_count(0)
    expect(page.get_by_test_id("save-status")).to_contain_text("tanpa masalah")
    expect(page.locator("#canvas .djs-element.galat")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "editor.png"), full_page=True)

    # publish with a note
    page.get_by_test_id("publish-note").fill("Waktu langkah 5 menjadi 5 hari kerja; langkah 9 oleh Kepala Dinas")
    with page.expect_navigation():
        page.get_by_test_id("publish-submit").click()
    expect(page.get_by_test_id("flash-sukses")).to_contain_text("Versi 2 proses monev_kinerja diterbitkan")
    expect(page.get_by_test_id("latest-version")).to_have_text("2")
    assert errors == []

    with live_app.engine.db.reading() as session:
        version = store.version_of(session, PROCESS)
        assert version.version == 2
        xml, version_id = version.bpmn_xml, version.id
    assert 'name="sop.waktu" value="5"' in xml
    assert STEP9 in lane_members(xml, "lane_kepala_dinas")
    assert STEP5 in lane_members(xml, "lane_kepala_seksi")
    for prop in ('name="sop.dasar_hukum.6"', 'name="sop.pengesah_nip"', "<bpmn:loopDataInputRef>jadwal_monev<"):
        assert prop in xml, prop  # everything the editor did not touch survives the round trip

    # the official SOP document of version 2
    with page.expect_download() as download_info:
        page.get_by_test_id("sop-docx").click()
    download = download_info.value
    assert download.suggested_filename == "monev_kinerja-v2-sop.docx"
    document = Document(io.BytesIO((download.path()).read_bytes()))
    rows = [[cell.text.strip() for cell in row.cells] for table in document.tables for row in table.rows]
    assert any("Melaksanakan monitoring" in " ".join(row) and any("5" in c for c in row) for row in rows)

    # a new case runs on version 2: step 5 is due 5 working days after it became ready
    data = json.loads((PROJECT_ROOT / "samples" / PROCESS / "indikator_2026.json").read_text(encoding="utf-8"))
    engine = live_app.engine
    outcome = engine.start_instance(
        StartInstance(PROCESS, "sekretaris", "2026-TW3", {k: data[k] for k in ("indikator", "kegiatan")})
    )
    play_steps(engine, outcome.case_id, STEP5)
    with engine.db.reading() as session:
        assert inbox.case_summary(session, outcome.case_id)["process_version_id"] == version_id
    calendar = load_calendar(str(settings.calendar_file))
    zone = ZoneInfo(settings.timezone)
    tasks = open_tasks(engine, outcome.case_id, STEP5)
    assert tasks
    for task in tasks:
        local = task["ready_at"].replace(tzinfo=UTC).astimezone(zone)
        expected = calendar.due_date(local, 5, "hari kerja").astimezone(UTC).replace(tzinfo=None)
        old = calendar.due_date(local, 7, "hari kerja").astimezone(UTC).replace(tzinfo=None)
        assert task["due_at"] == expected != old
