"""Screenshots of every page of sopflow at 1366×768 and 1920×1080, for reviewers who do not run the app.

Run from the repository root with the project's virtualenv (``make screens``; needs Debian's
chromium and LibreOffice, like the browser tests)::

    .venv/bin/python docs/screens.py [--out docs/screens] [--only NAME ...]

It plays the demo quarter (sample data) on a fresh SQLite database in a temporary folder,
publishes a second version of the SOP (one step renamed) so that the version comparison has
something to show, serves the app on a free local port, signs in as the actor who uses each
page and writes ``<out>/<page>-<width>x<height>.png``: the viewport only (what a user sees
first), reduced to 256 colours to keep the files small. Nothing is written outside ``--out``.
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402
from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from sopflow import Engine, Settings  # noqa: E402
from sopflow.demo import DEMO_PASSWORD, ensure_users, load_script, run_demo  # noqa: E402
from sopflow.persistence.db import Database  # noqa: E402
from sopflow.queries.inbox import cases, tasks_of_case, timeline_for_case  # noqa: E402
from webapp import create_app  # noqa: E402

SCRIPT = ROOT / "samples" / "monev_kinerja" / "demo.json"
SIZES = ((1366, 768), (1920, 1080))
CHROMIUM = "/usr/bin/chromium"
TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class Shot:
    """One page: file name, who looks at it (None: signed out), its path, and what to wait for."""

    name: str
    user: str | None
    path: str
    ready: Callable[[Page], None] | None = None


def diagrams_drawn(page: Page) -> None:
    """Wait until every diagram on the page that is drawn now (not in a closed panel) is ready."""
    for diagram in page.locator(".diagram").all():
        if diagram.is_visible():
            expect(diagram).to_have_attribute("data-ready", "ya", timeout=TIMEOUT_MS)


def process_list(page: Page) -> None:
    """Open the first process's diagram panel and wait for its diagram."""
    page.get_by_test_id("process-diagram-panel").first.locator("summary").click()
    expect(page.locator(".diagram").first).to_have_attribute("data-ready", "ya", timeout=TIMEOUT_MS)


def editor_ready(page: Page) -> None:
    expect(page.get_by_test_id("editor-canvas")).to_have_attribute("data-ready", "ya", timeout=TIMEOUT_MS)


def api_docs_ready(page: Page) -> None:
    expect(page.get_by_test_id("swagger-ui")).to_have_attribute("data-ready", "ya", timeout=TIMEOUT_MS)


@contextmanager
def demo_app(work: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """Play the demo in ``work``, serve the app; yield its URL and the ids the pages need."""
    database = Database(f"sqlite:///{work / 'sopflow.sqlite3'}")
    database.upgrade()
    settings = Settings(database_url=database.url, data_dir=work / "data")
    engine = Engine(database, settings)
    script = load_script(SCRIPT)
    finished = run_demo(engine, script, work / "demo-out", say=lambda line: None)
    # a second version of the SOP (step 5 renamed), for the version comparison page
    source = ROOT / script["process_file"]
    folder = Path(shutil.copytree(source.parent, work / "proses"))
    changed = folder / source.name
    changed.write_text(
        changed.read_text(encoding="utf-8").replace(
            'name="Melaksanakan monitoring"', 'name="Melaksanakan monitoring lapangan"'
        ),
        encoding="utf-8",
    )
    version = engine.publish_process(changed, "admin", "Nama langkah 5 diperjelas")
    ensure_users(engine, script)
    with database.reading() as session:
        by_periode = {c["periode"]: c["case_id"] for c in cases(session)}
        running = next(case for periode, case in by_periode.items() if case != finished.case_id)
        ready = next(t for t in tasks_of_case(session, running) if t["state"] == "ready" and t["unit"] == "Statistik")
        events = timeline_for_case(session, finished.case_id)
    step5 = next(e for e in events if e["kind"] == "task_ready" and e["element_id"] == "langkah05_monitoring")
    ids = {
        "finished": finished.case_id,
        "running": running,
        "task": ready["task_id"],
        "moment": str(step5["seq"]),
        "process": version.process_id,
        "version": str(version.version),
    }
    app = create_app({"SOPFLOW_SETTINGS": settings})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="sopflow-screens", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", ids
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.extensions["sopflow"].db.dispose()
        database.dispose()


def shots(ids: dict[str, str]) -> list[Shot]:
    """Every page, with the actor who uses it."""
    finished, running, process = ids["finished"], ids["running"], ids["process"]
    actors = ("sekretaris", "kabid_statistik", "kasubbag_perencanaan", "kasi_monev", "kadis", "inspektorat", "admin")
    return [
        Shot("masuk", None, "/masuk"),
        Shot("dokumentasi-api", None, "/api/docs", api_docs_ready),
        *(Shot(f"tugas-{user}", user, "/") for user in actors),
        Shot("tugas-langkah2-statistik", "kabid_statistik", f"/tugas/{ids['task']}"),
        Shot("kasus", "sekretaris", "/kasus"),
        Shot("kasus-selesai", "sekretaris", f"/kasus/{finished}", diagrams_drawn),
        Shot("kasus-berjalan", "sekretaris", f"/kasus/{running}", diagrams_drawn),
        Shot("ringkasan", "kadis", "/ringkasan"),
        Shot("notifikasi", "kabid_statistik", "/notifikasi"),
        Shot("profil", "kabid_statistik", "/profil"),
        Shot("profil-sertifikat", "kadis", "/profil/sertifikat"),
        Shot("token-api", "kabid_statistik", "/profil/token"),
        Shot("antrean", "admin", "/antrean"),
        Shot("proses", "admin", "/proses/", process_list),
        Shot("proses-penyunting", "admin", f"/proses/{process}/editor", editor_ready),
        Shot("proses-banding", "admin", f"/proses/{process}/banding?dari=1&ke={ids['version']}", diagrams_drawn),
        Shot("proses-migrasi", "admin", f"/proses/{process}/migrasi"),
        Shot("audit", "inspektorat", "/audit/"),
        Shot("audit-linimasa", "inspektorat", f"/audit/kasus/{finished}"),
        Shot("audit-momen", "inspektorat", f"/audit/kasus/{finished}/pada/{ids['moment']}", diagrams_drawn),
    ]


def sign_in(page: Page, user: str) -> None:
    page.goto("/masuk")
    page.get_by_test_id("login-username").fill(user)
    page.get_by_test_id("login-password").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_test_id("login-submit").click()


def save_png(raw: bytes, target: Path) -> None:
    """Write a screenshot reduced to 256 colours (a third of the size, text stays sharp)."""
    image = Image.open(io.BytesIO(raw)).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    image.save(target, format="PNG", optimize=True)


def main() -> None:
    """Write every page at both sizes to ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screens")
    parser.add_argument("--only", nargs="*", help="only the pages with these names")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sopflow-screens-") as scratch, demo_app(Path(scratch)) as (url, ids):
        wanted = [s for s in shots(ids) if not args.only or s.name in args.only]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            for width, height in SIZES:
                contexts = {}
                for shot in wanted:
                    if shot.user not in contexts:  # one signed-in browser context per actor and size
                        context = browser.new_context(
                            base_url=url, locale="id-ID", viewport={"width": width, "height": height}
                        )
                        context.set_default_timeout(TIMEOUT_MS)
                        contexts[shot.user] = context.new_page()
                        if shot.user:
                            sign_in(contexts[shot.user], shot.user)
                    page = contexts[shot.user]
                    page.goto(shot.path)
                    if shot.ready:
                        shot.ready(page)
                    target = args.out / f"{shot.name}-{width}x{height}.png"
                    save_png(page.screenshot(full_page=False), target)
                    print(f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
                for page in contexts.values():
                    page.context.close()
            browser.close()


if __name__ == "__main__":
    main()
