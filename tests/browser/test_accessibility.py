"""axe-core on every page, for every actor: no serious or critical accessibility violation.

axe-core is vendored (``tests/browser/vendor/axe-core/``: ``axe.min.js`` 4.14.1 from npm and its
licence) and injected as an init script, so the app's Content-Security-Policy stays on. A
2026-TW3 case is walked step by step through the demo script, so that every kind of task form
is checked while it is open: the upload (step 2), the table with date cells (step 4), the Blanko Monev with a date
(step 5), the decisions with radio buttons (steps 9 and 11), and a form re-shown with errors.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from sopflow import ClaimTask, CompleteUserTask, Engine, StartInstance, Upload
from sopflow.access import tokens
from sopflow.demo import DEMO_PASSWORD
from sopflow.queries.inbox import tasks_of_case
from tests.browser.conftest import SCRIPT, LiveApp

pytestmark = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="runs once, in the SQLite pass")

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
SAMPLES = SCRIPT.parent
#: what fails the test; "moderate" and "minor" findings are printed only
BLOCKING = ("serious", "critical")
_RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || '').split('\\n')[1])
  }));
}"""


def _ready(engine: Engine, case_id: str, element: str) -> list[dict[str, Any]]:
    with engine.db.reading() as session:
        return [t for t in tasks_of_case(session, case_id) if t["state"] == "ready" and t["element_id"] == element]


def walk_until(engine: Engine, script: dict[str, Any], case_id: str, element: str) -> dict[str, Any]:
    """Complete the script's steps that are open, in order, until a task of ``element`` is ready; return it."""
    for step in script["steps"]:
        if _ready(engine, case_id, element):
            break
        open_now = [
            t for t in _ready(engine, case_id, step["element"]) if step.get("unit") in (None, t["unit"], t["label"])
        ]
        if not open_now:
            continue  # done in an earlier walk
        task = open_now[0]
        uploads = {
            name: Upload(Path(f).name, (SAMPLES / f).read_bytes()) for name, f in step.get("uploads", {}).items()
        }
        engine.claim_task(ClaimTask(task["task_id"], step["actor"]))
        engine.complete_user_task(CompleteUserTask(task["task_id"], step["actor"], step.get("data", {}), uploads))
        assert engine.wait_for_jobs(case_id, timeout=180)
    found = _ready(engine, case_id, element)
    assert found, f"{element} never became ready"
    return found[0]


#: pages loaded side by side by :meth:`Checker.check_all`
TABS_AT_ONCE = 4


class Checker:
    """Signs in as each actor in its own browser context and runs axe on the pages it opens."""

    def __init__(self, browser: Browser, live_app: LiveApp) -> None:
        self.browser, self.live_app = browser, live_app
        self.findings: list[str] = []
        self.pages = 0

    def as_user(self, username: str | None) -> Page:
        context = self.browser.new_context(
            base_url=self.live_app.url, locale="id-ID", viewport={"width": 1366, "height": 900}
        )
        context.set_default_timeout(30_000)
        context.add_init_script(path=str(AXE))
        page = context.new_page()
        if username:
            page.goto("/masuk")
            page.get_by_test_id("login-username").fill(username)
            page.get_by_test_id("login-password").fill(DEMO_PASSWORD)
            with page.expect_navigation():
                page.get_by_test_id("login-submit").click()
        return page

    def check_all(self, page: Page, pages: list[tuple[str, str]]) -> None:
        """Check each (path, label) in a tab of its own beside ``page`` (same user, same context).

        The tabs of a batch are loaded first, then each waits for network idle and is
        checked: the 500 ms quiet window that "networkidle" waits for runs in several tabs at
        once instead of one page after another. Batches are small: fifteen tabs at once
        (the editor and the API docs among them) kept one from going idle within the timeout
        on a busy 2-core machine.
        """
        for start in range(0, len(pages), TABS_AT_ONCE):
            tabs = []
            for path, label in pages[start : start + TABS_AT_ONCE]:
                tab = page.context.new_page()
                response = tab.goto(path)
                assert response is not None and response.status < 500, (label, path)
                tabs.append((tab, label))
            for tab, label in tabs:
                self.check(tab, None, label)
                tab.close()

    def check(self, page: Page, path: str | None, label: str) -> None:
        if path is not None:
            response = page.goto(path)
            assert response is not None and response.status < 500, (label, path)
        page.wait_for_load_state("networkidle")
        violations = page.evaluate(_RUN_AXE)
        self.pages += 1
        for v in violations:
            line = f"{label} ({page.url}): {v['impact']} {v['id']} — {v['help']}: {v['nodes']}"
            if v["impact"] in BLOCKING:
                self.findings.append(line)
            else:
                print("  (tidak memblokir)", line)


@pytest.fixture
def walked(live_app: LiveApp) -> str:
    """A 2026-TW3 case (the periode of the sample lembar isian) at step 1."""
    script = live_app.script
    data = json.loads((SAMPLES / script["start"]["data_file"]).read_text(encoding="utf-8"))
    start = {key: data[key] for key in script["start"]["data_keys"]}
    return live_app.engine.start_instance(StartInstance(script["process_id"], "sekretaris", "2026-TW3", start)).case_id


def test_every_page_has_no_serious_or_critical_violation(browser: Browser, live_app: LiveApp, walked: str) -> None:
    engine, script = live_app.engine, live_app.script
    check = Checker(browser, live_app)

    anonymous = check.as_user(None)
    check.check(anonymous, "/masuk", "masuk")

    with engine.db.unit_of_work() as session:
        tokens.issue_token(session, "sekretaris")  # the token page then lists one, with its Cabut button
    sekretaris = check.as_user("sekretaris")
    check.check_all(
        sekretaris,
        [
            ("/", "tugas saya"),
            ("/?saring=terlambat", "tugas saya, saringan"),
            ("/kasus", "daftar kasus"),
            ("/kasus?urut=tenggat&arah=turun", "daftar kasus, urutan"),
            ("/ringkasan", "ringkasan"),
            ("/notifikasi", "notifikasi"),
            ("/profil", "profil"),
            ("/profil/token", "token API"),
            ("/proses", "proses"),
            ("/proses/monev_kinerja/editor", "editor"),
            ("/proses/monev_kinerja/banding?dari=1&ke=1", "banding versi"),
            ("/proses/monev_kinerja/migrasi", "pindahkan kasus"),
            ("/profil/sertifikat", "sertifikat tanda tangan"),
            ("/api/docs", "dokumentasi API"),
            ("/halaman-yang-tidak-ada", "404"),
        ],
    )
    task01 = _ready(engine, walked, "langkah01_format_isian")[0]
    check.check(sekretaris, f"/tugas/{task01['task_id']}", "langkah 1 (disposisi)")
    check.check(sekretaris, f"/kasus/{walked}", "kasus berjalan")

    kabid = check.as_user("kabid_statistik")
    walk_until(engine, script, walked, "langkah02_pengumpulan_data")
    statistik = next(t for t in _ready(engine, walked, "langkah02_pengumpulan_data") if t["unit"] == "Statistik")
    check.check(kabid, "/", "kabid: tugas saya")
    check.check(kabid, f"/tugas/{statistik['task_id']}", "langkah 2 (unggah)")

    kasubbag = check.as_user("kasubbag_perencanaan")
    step4 = walk_until(engine, script, walked, "langkah04_rencana_monev")
    check.check(kasubbag, f"/tugas/{step4['task_id']}", "langkah 4 (tabel jadwal)")

    kasi = check.as_user("kasi_monev")
    step5 = walk_until(engine, script, walked, "langkah05_monitoring")
    check.check(kasi, f"/tugas/{step5['task_id']}", "langkah 5 (Blanko Monev)")
    engine.claim_task(ClaimTask(step5["task_id"], "kasi_monev"))
    kasi.goto(f"/tugas/{step5['task_id']}")
    kasi.get_by_test_id("field-tanggal_kunjungan").fill("31/02/2026")
    with kasi.expect_navigation():
        kasi.get_by_test_id("task-complete").click()
    check.check(kasi, None, "langkah 5 dengan galat")
    kasi.get_by_test_id("datepicker-tanggal_kunjungan").click()
    check.check(kasi, None, "langkah 5, pemilih tanggal terbuka")

    step9 = walk_until(engine, script, walked, "langkah09_pembahasan")
    check.check(sekretaris, f"/tugas/{step9['task_id']}", "langkah 9 (keputusan)")
    kadis = check.as_user("kadis")
    step11 = walk_until(engine, script, walked, "langkah11_verifikasi")
    check.check(kadis, f"/tugas/{step11['task_id']}", "langkah 11 (verifikasi)")
    check.check(kadis, "/ringkasan", "kadis: ringkasan")

    auditor = check.as_user("inspektorat")
    check.check_all(
        auditor,
        [
            ("/audit", "audit"),
            ("/audit/identitas", "audit: catatan masuk dan akun"),
            (f"/audit/kasus/{walked}", "audit: lini masa"),
            (f"/audit/kasus/{walked}/pada/5", "audit: keadaan pada peristiwa 5"),
            (f"/kasus/{walked}", "auditor: kasus"),
        ],
    )

    admin = check.as_user("admin")
    check.check_all(
        admin,
        [
            ("/antrean", "antrean"),
            (f"/kasus/{walked}", "admin: kasus berjalan (langkah 11)"),
            ("/proses", "admin: proses"),
        ],
    )

    assert check.pages >= 30
    assert not check.findings, "Pelanggaran aksesibilitas serius/kritis:\n" + "\n".join(check.findings)


def test_keyboard_focus_is_always_visible(browser: Browser, live_app: LiveApp, walked: str) -> None:
    """Tabbing through the inbox and a task form, every focused control shows an outline."""
    check = Checker(browser, live_app)
    page = check.as_user("sekretaris")
    task = _ready(live_app.engine, walked, "langkah01_format_isian")[0]
    for path in ("/", f"/tugas/{task['task_id']}", "/kasus"):
        page.goto(path)
        seen = 0
        for _ in range(25):
            page.keyboard.press("Tab")
            focus = page.evaluate(
                """() => { const el = document.activeElement; if (!el || el === document.body) return null;
                           const s = getComputedStyle(el);
                           return {tag: el.tagName, text: (el.textContent || el.name || '').trim().slice(0, 30),
                                   outline: s.outlineStyle, width: parseFloat(s.outlineWidth) || 0}; }"""
            )
            if focus is None:
                continue
            seen += 1
            assert focus["outline"] != "none" and focus["width"] >= 2, (path, focus)
        assert seen >= 5, path
