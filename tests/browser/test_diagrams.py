"""Every page with a BPMN diagram, opened again and again in chromium at 1366×768 and 1920×1080.

Each load must end with a drawn diagram (never blank): the SVG viewport has a finite, non-zero
transform, and its labels are visible inside the frame at an on-screen font size of at least
11 px (the viewer's readable minimum). The zoom buttons change the scale, "Sesuaikan" restores
the fitted scale, the mouse wheel zooms and a drag pans. The process list's diagram sits in a
closed <details> panel: it is drawn only when opened. Uses the live app of tests/browser/conftest.py.
"""

from __future__ import annotations

import math
import os
import shutil
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from werkzeug.serving import make_server

from sopflow.demo import DEMO_PASSWORD
from sopflow.queries.inbox import cases, timeline_for_case
from sopflow.settings import PROJECT_ROOT
from tests.browser.conftest import TIMEOUT_MS, PlayedApp
from webapp import create_app

pytestmark = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="runs once, in the SQLite pass")

SIZES = ((1366, 768), (1920, 1080))
LOADS = 20
TEN_DAYS = timedelta(days=10)
MIN_LABEL_PX = 11

#: the state of one diagram container: data-ready, viewport matrix, and its labels as seen on screen
READ = """(el) => {
  const viewport = el.querySelector('svg g.viewport');
  const consolidated = viewport && viewport.transform.baseVal.consolidate();
  const m = consolidated ? consolidated.matrix : null;
  const frame = el.getBoundingClientRect();
  const labels = Array.from(el.querySelectorAll('.djs-visual text')).filter((t) => t.textContent.trim());
  const onScreen = labels.map((t) => {
    const r = t.getBoundingClientRect();
    const ctm = t.getScreenCTM();  /* lane names are rotated: the scale is the vector's length */
    const px = parseFloat(getComputedStyle(t).fontSize) * Math.hypot(ctm.a, ctm.b);
    const inside = r.width > 0 && r.height > 0 && r.left < frame.right && r.right > frame.left
      && r.top < frame.bottom && r.bottom > frame.top;
    const style = getComputedStyle(t);
    return { px, inside, visible: style.visibility !== 'hidden' && style.display !== 'none' };
  });
  return {
    ready: el.getAttribute('data-ready'),
    matrix: m ? [m.a, m.b, m.c, m.d, m.e, m.f] : null,
    labels: onScreen.length,
    smallest: onScreen.length ? Math.min(...onScreen.map((l) => l.px)) : null,
    visibleInside: onScreen.filter((l) => l.inside && l.visible).length,
    frame: [frame.width, frame.height],
  };
}"""


def prepare(app: PlayedApp, tmp_path: Path) -> dict[str, str]:
    """The played demo quarter with a second version published; return the pages that show a diagram."""
    live_app, result = app.live, app.demo.result
    original = PROJECT_ROOT / live_app.script["process_file"]
    folder = shutil.copytree(original.parent, tmp_path / "proses")  # the BPMN with its forms and templates
    changed = folder / original.name
    source = changed.read_text(encoding="utf-8")
    changed.write_text(source.replace('name="Melaksanakan monitoring"', 'name="Melaksanakan monitoring lapangan"'))
    version = live_app.engine.publish_process(changed, "admin", "nama langkah 5")
    assert version.version == 2
    with live_app.engine.db.reading() as session:
        events = timeline_for_case(session, result.case_id)
    step5 = next(e for e in events if e["kind"] == "task_ready" and e["element_id"] == "langkah05_monitoring")
    return {
        "kasus": f"/kasus/{result.case_id}",
        "audit-momen": f"/audit/kasus/{result.case_id}/pada/{step5['seq']}",
        "banding": f"/proses/{version.process_id}/banding?dari=1&ke=2",
        "proses": "/proses/",
    }


def sign_in(page: Page, username: str) -> None:
    page.goto("/masuk")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("flash-sukses")).to_contain_text("Selamat datang")


def diagrams_of(page: Page, name: str) -> list[Any]:
    """Open the page's collapsed diagram panels (process list) and return its diagram containers."""
    if name == "proses":
        panel = page.get_by_test_id("process-diagram-panel").first
        expect(panel.locator(".diagram")).not_to_have_attribute("data-ready", "ya")  # not drawn while closed
        panel.locator("summary").click()
        return [panel.locator(".diagram")]
    return [page.locator(".diagram").nth(i) for i in range(page.locator(".diagram").count())]


def check_drawn(diagram: Any, where: str) -> dict[str, Any]:
    """Wait for the diagram, then assert a finite non-zero transform and readable labels inside the frame."""
    expect(diagram).to_have_attribute("data-ready", "ya")
    state = diagram.evaluate(READ)
    a, b, c, d, e, f = state["matrix"]
    assert all(math.isfinite(v) for v in (a, b, c, d, e, f)), (where, state)
    assert a > 0 and d > 0, (where, state)
    assert state["labels"] > 0 and state["smallest"] >= MIN_LABEL_PX - 0.01, (where, state)
    assert state["visibleInside"] >= 3, (where, state)
    return state


def scale_of(diagram: Any) -> float:
    return diagram.evaluate(READ)["matrix"][0]


def test_every_diagram_page_draws_readable_diagrams_20_times_at_both_sizes(
    browser: Browser, played_app: PlayedApp, tmp_path
):
    live_app = played_app.live
    pages = prepare(played_app, tmp_path)
    drawn = 0
    for width, height in SIZES:
        context = browser.new_context(
            base_url=live_app.url, locale="id-ID", viewport={"width": width, "height": height}
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        errors: list[Any] = []
        page.on("pageerror", lambda error, sink=errors: sink.append(str(error)))
        sign_in(page, "admin")
        for name, path in pages.items():
            for load in range(LOADS):
                page.goto(path)
                for diagram in diagrams_of(page, name):
                    check_drawn(diagram, f"{name} {width}x{height} #{load + 1}")
                    drawn += 1
        assert errors == [], errors
        context.close()
    assert drawn == len(SIZES) * LOADS * 5  # kasus, audit moment, two on the comparison, process list


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_zoom_buttons_wheel_drag_and_fit(browser: Browser, played_app: PlayedApp, tmp_path, size):
    live_app = played_app.live
    pages = prepare(played_app, tmp_path)
    context = browser.new_context(base_url=live_app.url, locale="id-ID", viewport={"width": size[0], "height": size[1]})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    sign_in(page, "admin")
    for name in ("kasus", "audit-momen", "banding", "proses"):
        page.goto(pages[name])
        diagram = diagrams_of(page, name)[0]
        fitted = check_drawn(diagram, name)["matrix"][0]
        frame = diagram.locator("xpath=..")
        # the legend names each state with a symbol, not only a colour
        if name != "proses":
            expect(page.get_by_test_id("diagram-legend")).to_be_visible()

        frame.get_by_test_id("diagram-zoom-in").click()
        bigger = scale_of(diagram)
        assert bigger > fitted * 1.1, (name, fitted, bigger)
        frame.get_by_test_id("diagram-zoom-out").click()
        frame.get_by_test_id("diagram-zoom-out").click()
        smaller = scale_of(diagram)
        assert smaller < fitted * 0.9, (name, fitted, smaller)
        expect(frame.get_by_test_id("diagram-scale")).to_have_text(f"{round(smaller * 100)}%")

        frame.get_by_test_id("diagram-fit").click()
        assert scale_of(diagram) == pytest.approx(fitted, rel=1e-3), name
        check_drawn(diagram, f"{name} after Sesuaikan")

        box = diagram.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.wheel(0, -100)
        expect(diagram).not_to_have_attribute("data-scale", f"{fitted:.3f}")
        assert scale_of(diagram) > fitted * 1.1, name
        before = diagram.evaluate(READ)["matrix"]
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] / 2 - 120, box["y"] + box["height"] / 2 - 60, steps=6)
        page.mouse.up()
        after = diagram.evaluate(READ)["matrix"]
        assert after[4] == pytest.approx(before[4] - 120, abs=2) and after[5] == pytest.approx(before[5] - 60, abs=2)
        frame.get_by_test_id("diagram-fit").click()
        assert scale_of(diagram) == pytest.approx(fitted, rel=1e-3), name
    context.close()


def test_diagram_marks_current_done_and_overdue_steps_with_symbols(played_app: PlayedApp, page: Page, tmp_path):
    pages = prepare(played_app, tmp_path)
    sign_in(page, "admin")
    page.goto(pages["audit-momen"])
    diagram = page.get_by_test_id("diagram")
    expect(diagram).to_have_attribute("data-ready", "ya")
    active = page.locator('.djs-overlays[data-container-id="langkah05_monitoring"] .diagram-badge')
    expect(active).to_have_text("▶ sekarang")
    expect(active).to_have_class("diagram-badge badge-aktif")
    done = page.locator('.djs-overlays[data-container-id="langkah04_rencana_monev"] .diagram-badge')
    expect(done).to_have_text("✓")
    legend = page.get_by_test_id("diagram-legend")
    for text in ("✓selesai", "▶langkah saat ini", "⚠terlambat", "✖gagal"):
        expect(legend).to_contain_text(text)


def test_overdue_step_has_its_own_colour_pattern_and_badge(browser: Browser, played_app: PlayedApp, settings):
    """Ten days later (the app's clock), step 2 of the open case is late: red, dashed, "⚠ terlambat"."""
    live_app = played_app.live
    with live_app.engine.db.reading() as session:
        running = next(c["case_id"] for c in cases(session) if c["status"] == "berjalan")
    later = create_app(
        {
            "SOPFLOW_SETTINGS": settings,
            "SOPFLOW_CLOCK": lambda: datetime.now(UTC).replace(tzinfo=None) + timedelta(days=10),
        }
    )
    server = make_server("127.0.0.1", 0, later, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="sopflow-later", daemon=True)
    thread.start()
    try:
        context = browser.new_context(base_url=f"http://127.0.0.1:{server.server_port}", locale="id-ID")
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        sign_in(page, "sekretaris")
        page.goto(f"/kasus/{running}")
        expect(page.get_by_test_id("diagram")).to_have_attribute("data-ready", "ya")
        late = page.locator('.djs-overlays[data-container-id="langkah02_pengumpulan_data"] .diagram-badge')
        expect(late).to_have_text("⚠ terlambat")  # late wins over "▶ sekarang" on the same step
        look = """(id) => {
          const shape = document.querySelector(`g.djs-element[data-element-id="${id}"] .djs-visual > *`);
          const s = getComputedStyle(shape);
          return [s.stroke, s.fill, s.strokeDasharray];
        }"""
        late_look = page.evaluate(look, "langkah02_pengumpulan_data")
        done_look = page.evaluate(look, "langkah01_format_isian")
        plain_look = page.evaluate(look, "langkah04_rencana_monev")
        assert late_look[0] != done_look[0] and late_look[1] != done_look[1] != plain_look[1], (late_look, done_look)
        assert late_look[2] not in ("none", "") and done_look[2] in ("none", ""), (late_look, done_look)
        expect(page.get_by_test_id("diagram-legend")).to_contain_text("⚠terlambat")
        context.close()
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        later.extensions["sopflow"].db.dispose()
