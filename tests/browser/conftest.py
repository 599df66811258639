"""Browser fixtures: Debian's chromium driven by Playwright, and the real app served on a free local port.

Playwright never downloads a browser here (no ``playwright install``): it launches the
system ``chromium`` through ``executable_path``. Without chromium the browser tests are
skipped on a workstation and fail on CI (``CI`` set), so CI cannot pass by not running them.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import Error as PlaywrightError
from werkzeug.serving import make_server

from sopflow import Engine, Settings
from sopflow.demo import ensure_users, load_script
from sopflow.settings import PROJECT_ROOT
from webapp import create_app

if TYPE_CHECKING:
    from tests.conftest import PlayedDemo

SCRIPT = PROJECT_ROOT / "samples" / "monev_kinerja" / "demo.json"
SCREENSHOTS = PROJECT_ROOT / "test-output" / "screenshots"
TIMEOUT_MS = 20_000  # one action or expectation; a completion runs the machine steps behind it


@dataclass(frozen=True)
class LiveApp:
    """The served app: its base URL, the engine the test prepared it with, and the demo script."""

    url: str
    engine: Engine
    script: dict[str, Any]


@pytest.fixture
def live_app(engine: Engine, settings: Settings) -> Iterator[LiveApp]:
    """The real app on the test database, served by werkzeug in a thread, with the SOP and demo users ready."""
    script = load_script(SCRIPT)
    engine.publish_process(PROJECT_ROOT / script["process_file"], "sistem", "versi uji browser")
    ensure_users(engine, script)
    app = create_app({"SOPFLOW_SETTINGS": settings})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="sopflow-browser-server", daemon=True)
    thread.start()
    try:
        yield LiveApp(url=f"http://127.0.0.1:{server.server_port}", engine=engine, script=script)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.extensions["sopflow"].db.dispose()


@dataclass(frozen=True)
class PlayedApp:
    """The live app serving a copy of the session's played demo quarter (finished 2026-TW3, open 2026-TW4)."""

    live: LiveApp
    demo: PlayedDemo


@pytest.fixture
def played_app(played_demo: PlayedDemo, live_app: LiveApp) -> PlayedApp:
    """The demo's rows are copied in before ``live_app`` serves them: milliseconds instead of a live play.

    A test asks for this fixture before ``live_app`` or ``page`` (the copy must come first: it
    inserts the demo's users and process version, which ``live_app`` then finds and reuses).
    """
    return PlayedApp(live_app, played_demo)


@pytest.fixture
def page(browser: Browser, live_app: LiveApp, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser page on the live app (own cookies); on failure its last screen is saved."""
    context = browser.new_context(base_url=live_app.url, locale="id-ID", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    opened = context.new_page()
    yield opened
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(PlaywrightError):  # a crashed page must not hide the test's own failure
            opened.screenshot(path=str(SCREENSHOTS / f"GAGAL-{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    """Keep the call report on the item so the ``page`` fixture knows whether the test failed."""
    report = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
    return report
