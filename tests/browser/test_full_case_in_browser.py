"""One whole quarterly case played through the pages in a real browser, from login to "Selesai".

Every actor signs in through /masuk and works only through what the pages offer (links,
forms, file inputs, buttons): the Sekretaris starts the case with the indicator file and
writes the disposisi, the five Kepala Bidang upload their filled xlsx (one first sends a
copy with text in a realisasi cell and sees the cell-level error while the task stays
open), the Kasubbag Perencanaan plans the visits, the Kepala Seksi fills the five Blanko
Monev, the Sekretaris forwards the draft, the Kepala Dinas returns it once and then
approves. The case page then shows the case finished, drawn on its BPMN diagram. Form
entries come from the demo script (samples/monev_kinerja/demo.json).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from handlers import isian_layout as layout
from sopflow.demo import DEMO_PASSWORD
from sopflow.queries.inbox import case_summary, tasks_of_case, timeline_for_case
from sopflow.signing.test_ca import issue_pkcs12, make_ca
from tests.browser.conftest import SCREENSHOTS, LiveApp

PERIODE = "2026-TW3"
BAD_BIDANG = "Statistik"  # this Bidang first uploads a copy with text in a realisasi cell
BAD_TEXT = "sepuluh"
#: the flash after one instance of a multi-instance step names what the step still waits for
DONE_OR_WAITING = re.compile(
    r"^Tugas selesai(?: dan diteruskan ke langkah berikutnya\.|\. Langkah ini menunggu .+ sebelum diteruskan ke "
    r"langkah berikutnya\.)$"
)
SHOTS = ("tugas_saya.png", "tugas_unggah_galat.png", "kasus_diagram.png")


# -- page helpers -------------------------------------------------------------------------------
def submit(page: Page, testid: str) -> int:
    """Click a submit button, wait for the page it leads to, and return that page's HTTP status."""
    with page.expect_navigation() as navigation:
        page.get_by_test_id(testid).click()
    response = navigation.value
    return response.status if response is not None else 0


def login(page: Page, username: str) -> None:
    page.goto("/masuk")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(DEMO_PASSWORD)
    assert submit(page, "login-submit") == 200
    expect(page.get_by_test_id("flash-sukses")).to_contain_text("Selamat datang")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tugas saya")


def logout(page: Page) -> None:
    assert submit(page, "logout") == 200
    expect(page.get_by_test_id("flash-info")).to_have_text("Anda telah keluar.")
    expect(page.get_by_test_id("login-form")).to_be_visible()


def task_rows(page: Page, step: int, who: str | None = None) -> Any:
    rows = page.locator(f'[data-testid="task-row"][data-step="{step}"]')
    return rows.filter(has_text=who) if who else rows


def open_task(page: Page, step: int, who: str | None = None) -> None:
    """Open the one task of ``step`` (for Bidang ``who``) from "Tugas saya"."""
    if not page.url.endswith("/"):
        page.goto("/")
    row = task_rows(page, step, who)
    expect(row).to_have_count(1)
    with page.expect_navigation():
        row.get_by_test_id("task-link").click()
    expect(page.get_by_test_id("task-title")).to_contain_text(f"Langkah {step}:")
    if who:
        expect(page.get_by_test_id("task-title")).to_contain_text(who)
    expect(page.get_by_test_id("task-meta")).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("sop-output")).not_to_have_text("-")


def claim(page: Page, username: str) -> None:
    assert submit(page, "task-claim") == 200
    expect(page.get_by_test_id("flash-sukses")).to_contain_text("Anda klaim")
    expect(page.get_by_test_id("task-claimed-by")).to_have_attribute("data-user", username)


def fill_form(page: Page, data: dict[str, Any]) -> None:
    """Fill top-level fields: an enum value picks its radio button, anything else is typed."""
    for name, value in data.items():
        radio = page.get_by_test_id(f"field-{name}-{value}")
        if radio.count():
            radio.check()
        else:
            page.get_by_test_id(f"field-{name}").fill(str(value))


def complete(page: Page) -> None:
    """Press "Selesai" and expect the inbox with the success message and no failed machine step."""
    assert submit(page, "task-complete") == 200
    expect(page.get_by_test_id("flash-sukses")).to_have_text(DONE_OR_WAITING)
    expect(page.get_by_test_id("flash-peringatan")).to_have_count(0)
    expect(page.get_by_role("heading", level=1)).to_have_text("Tugas saya")


def steps_of(script: dict[str, Any], element: str) -> list[dict[str, Any]]:
    return [s for s in script["steps"] if s["element"] == element]


def wrong_copy(source: Path, folder: Path) -> tuple[Path, str]:
    """Copy a filled lembar isian with the text "sepuluh" in the first realisasi cell of sheet Kinerja."""
    cell = f"{layout.column_letter(layout.KINERJA_COLUMNS, 'realisasi')}{layout.FIRST_DATA_ROW}"
    workbook = load_workbook(source)
    workbook[layout.SHEET_KINERJA][cell] = BAD_TEXT
    target = folder / f"{source.stem}_salah.xlsx"
    workbook.save(target)
    return target, cell


# -- the case -----------------------------------------------------------------------------------
def test_full_case_in_browser(page: Page, live_app: LiveApp, tmp_path: Path) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # shared with the other browser tests: remove only ours
    for name in SHOTS:
        (SCREENSHOTS / name).unlink(missing_ok=True)
    script = live_app.script
    base: Path = script["_base"]

    # Sekretaris: starts the case with the indicator file on the case list page.
    login(page, "sekretaris")
    expect(page.get_by_test_id("inbox-empty")).to_contain_text("Tidak ada tugas yang menunggu Anda")
    with page.expect_navigation():
        page.get_by_test_id("nav-cases").click()
    expect(page.get_by_test_id("cases-empty")).to_have_text("Belum ada kasus.")
    expect(page.get_by_test_id("field-contoh")).to_be_visible()  # the sample data is offered too
    page.get_by_test_id("field-process_id").select_option("monev_kinerja")
    page.get_by_test_id("field-periode").fill(PERIODE)
    page.get_by_test_id("field-indikator").set_input_files(base / script["start"]["data_file"])
    assert submit(page, "start-submit") == 200
    expect(page.get_by_test_id("flash-sukses")).to_have_text(f"Kasus periode {PERIODE} dimulai.")
    expect(page.get_by_test_id("case-status")).to_have_text("Berjalan")
    case_id = page.url.rstrip("/").rsplit("/", 1)[-1]

    # Step 1: the Sekretaris sees the five generated format isian and writes the disposisi.
    open_task(page, 1)
    expect(page.get_by_test_id("document-link").filter(has_text=".xlsx")).to_have_count(5)
    (step1,) = steps_of(script, "langkah01_format_isian")
    fill_form(page, step1["data"])
    complete(page)
    expect(page.get_by_test_id("inbox-empty")).to_be_visible()
    logout(page)

    # Step 2: each Kepala Bidang uploads the filled xlsx; one first sends a wrong copy.
    step2 = steps_of(script, "langkah02_pengumpulan_data")
    assert sorted(s["unit"] for s in step2) == sorted({u for s in script["users"] for u in s.get("units", [])})
    for step in step2:
        unit, actor = step["unit"], step["actor"]
        right = base / step["uploads"]["lembar_isian"]
        assert right.name == f"{layout.slug(unit)}.xlsx"
        login(page, actor)
        expect(task_rows(page, 2)).to_have_count(1)  # only the task of the user's own Bidang
        open_task(page, 2, unit)
        expect(page.get_by_test_id("task-meta")).to_contain_text(f"Bidang: {unit}")
        claim(page, actor)
        if unit == BAD_BIDANG:
            wrong, cell = wrong_copy(right, tmp_path)
            page.get_by_test_id("field-lembar_isian").set_input_files(wrong)
            page.get_by_test_id("field-catatan").fill(step["data"]["catatan"])
            assert submit(page, "task-complete") == 422
            expect(page.get_by_test_id("form-error")).to_contain_text(f"Lembar isian '{wrong.name}' Bidang {unit}")
            expect(page.get_by_test_id("form-error")).to_contain_text("belum dapat diterima")
            expect(page.get_by_test_id("error-lembar_isian")).to_have_text(
                f"Berkas '{wrong.name}', lembar '{layout.SHEET_KINERJA}', sel {cell}: "
                f"berisi teks '{BAD_TEXT}', seharusnya angka."
            )
            expect(page.get_by_test_id("task-meta")).to_have_attribute("data-state", "ready")
            expect(page.get_by_test_id("field-catatan")).to_have_value(step["data"]["catatan"])  # entries kept
            page.screenshot(path=str(SCREENSHOTS / "tugas_unggah_galat.png"), full_page=True)
            with live_app.engine.db.reading() as session:
                open_step2 = [t for t in tasks_of_case(session, case_id) if t["unit"] == unit]
            assert [t["state"] for t in open_step2] == ["ready"]
        page.get_by_test_id("field-lembar_isian").set_input_files(right)
        fill_form(page, step["data"])
        complete(page)
        logout(page)

    # Step 4: the Kasubbag Perencanaan plans one visit per Bidang (the Bidang column is prefilled).
    (step4,) = steps_of(script, "langkah04_rencana_monev")
    planned = {row["bidang"]: row for row in step4["data"]["jadwal_monev"]}
    login(page, "kasubbag_perencanaan")
    open_task(page, 4)
    rows = page.locator('[data-testid^="row-jadwal_monev-"]')
    expect(rows).to_have_count(len(planned))
    for i in range(len(planned)):
        bidang = page.get_by_test_id(f"field-jadwal_monev-{i}-bidang").input_value()
        page.get_by_test_id(f"field-jadwal_monev-{i}-tanggal").fill(planned[bidang]["tanggal"])
        page.get_by_test_id(f"field-jadwal_monev-{i}-petugas").fill(planned[bidang]["petugas"])
    fill_form(page, {"catatan_rencana": step4["data"]["catatan_rencana"]})
    complete(page)
    logout(page)

    # Step 5: the Kepala Seksi fills one Blanko Monev per Bidang.
    step5 = steps_of(script, "langkah05_monitoring")
    login(page, "kasi_monev")
    expect(task_rows(page, 5)).to_have_count(len(step5))
    page.screenshot(path=str(SCREENSHOTS / "tugas_saya.png"), full_page=True)
    for step in step5:
        open_task(page, 5, step["unit"])
        fill_form(page, step["data"])
        complete(page)
    expect(page.get_by_test_id("inbox-empty")).to_be_visible()
    logout(page)

    # Step 9: the Sekretaris discusses the draft and forwards it to the Kepala Dinas.
    (step9,) = steps_of(script, "langkah09_pembahasan")
    assert step9["data"]["keputusan_pembahasan"] == "teruskan"
    login(page, "sekretaris")
    open_task(page, 9)
    expect(page.get_by_test_id("document-link").filter(has_text=".docx")).not_to_have_count(0)
    fill_form(page, step9["data"])
    complete(page)
    logout(page)

    # Steps 11 → 10 → 11: the Kepala Dinas returns the draft once, the Kasubbag corrects it, then approval.
    returned, approved = steps_of(script, "langkah11_verifikasi")
    assert (returned["data"]["keputusan_verifikasi"], approved["data"]["keputusan_verifikasi"]) == (
        "kembalikan",
        "setujui",
    )
    (step10,) = steps_of(script, "langkah10_perbaikan")
    for actor, step_no, data in (
        ("kadis", 11, returned["data"]),
        ("kasubbag_perencanaan", 10, step10["data"]),
        ("kadis", 11, approved["data"]),
    ):
        login(page, actor)
        open_task(page, step_no)
        fill_form(page, data)
        complete(page)
        if data is approved["data"]:  # the approval leaves the signing of the final PDF in the inbox
            expect(task_rows(page, 12)).to_have_count(1)
        else:
            expect(page.get_by_test_id("inbox-empty")).to_be_visible()
        logout(page)

    # Step 12: the Kepala Dinas registers a certificate (of a test CA) once, then signs the final PDF.
    now, passphrase = datetime.now(UTC), "frasa-sandi-uji-browser"
    p12 = tmp_path / "kadis.p12"
    ca = make_ca(now)
    p12.write_bytes(issue_pkcs12(ca, "Kepala Dinas", passphrase, now - timedelta(days=1), now + timedelta(days=90)))
    login(page, "kadis")
    page.goto("/profil/sertifikat")
    page.get_by_test_id("field-berkas").set_input_files(p12)
    page.get_by_test_id("field-passphrase").fill(passphrase)
    assert submit(page, "certificate-submit") == 200
    expect(page.locator('[data-testid="certificate-row"][data-active="ya"]')).to_have_count(1)
    page.goto("/")
    with page.expect_navigation():  # a ready signing task opens on its signing page
        task_rows(page, 12).get_by_test_id("task-link").click()
    expect(page.get_by_test_id("task-title")).to_contain_text("Langkah 12: Menandatangani dokumen final")
    expect(page.get_by_test_id("sign-pdf-link")).to_have_count(1)
    page.get_by_test_id("field-passphrase").fill("salah")
    assert submit(page, "sign-submit") == 422
    expect(page.get_by_test_id("error-passphrase")).to_contain_text("Frasa sandi sertifikat salah")
    page.get_by_test_id("field-passphrase").fill(passphrase)
    assert submit(page, "sign-submit") == 200
    expect(page.get_by_test_id("flash-sukses")).to_have_text("Dokumen telah ditandatangani secara elektronik.")
    logout(page)

    # The case page: finished, every step done, drawn on the diagram; the overview shows the capaian.
    login(page, "sekretaris")
    with page.expect_navigation():
        page.get_by_test_id("nav-cases").click()
    row = page.locator(f'[data-testid="case-row"][data-case-id="{case_id}"]')
    expect(row).to_have_attribute("data-status", "selesai")
    with page.expect_navigation():
        row.get_by_test_id("case-link").click()
    expect(page.get_by_test_id("case-title")).to_contain_text(f"Kasus {PERIODE}")
    expect(page.get_by_test_id("case-status")).to_have_text("Selesai")
    expect(page.get_by_test_id("case-failure")).to_have_count(0)
    expect(page.locator('[data-testid="step-row"][data-state="ready"]')).to_have_count(0)
    # every person's step of the script, and the signing of the final PDF (step 12)
    done_by_people = page.locator('[data-testid="step-row"][data-kind="manusia"][data-state="completed"]')
    expect(done_by_people).to_have_count(len(script["steps"]) + 1)
    expect(page.get_by_test_id("document-pdf-link")).not_to_have_count(0)
    expect(page.get_by_test_id("document-link").filter(has_text=re.compile(r"\.docx$"))).not_to_have_count(0)
    diagram = page.get_by_test_id("diagram")
    expect(diagram).to_have_attribute("data-ready", "ya")
    for element in ("langkah01_format_isian", "langkah03_olah_data", "langkah11_verifikasi", "langkah13_arsip"):
        expect(diagram.locator(f'g.djs-element.selesai[data-element-id="{element}"]')).to_have_count(1)
    expect(diagram.locator("g.djs-element.aktif")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "kasus_diagram.png"), full_page=True)
    with page.expect_navigation():
        page.get_by_test_id("nav-overview").click()
    expect(page.get_by_test_id("capaian")).to_contain_text(PERIODE)
    expect(page.get_by_test_id("capaian-bar")).to_have_count(len(step2))

    # The engine agrees.
    with live_app.engine.db.reading() as session:
        summary = case_summary(session, case_id)
        tasks = tasks_of_case(session, case_id)
        events = timeline_for_case(session, case_id)
    assert summary["status"] == "selesai"
    assert summary["periode"] == PERIODE
    assert {t["step"] for t in tasks} == {1, 2, 4, 5, 9, 10, 11, 12}
    assert [e["data"]["signer"] for e in events if e["kind"] == "document_signed"] == ["kadis"]
    assert all(t["state"] == "completed" for t in tasks)
    verdicts = [
        e["data"]["after"]["keputusan_verifikasi"]
        for e in events
        if e["kind"] == "task_completed" and e["element_id"] == "langkah11_verifikasi"
    ]
    assert verdicts == ["kembalikan", "setujui"]
    assert events[-1]["kind"] == "case_completed"
    assert all((SCREENSHOTS / name).stat().st_size > 0 for name in SHOTS)
