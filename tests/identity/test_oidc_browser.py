""" "Masuk dengan SSO" in Debian's chromium against a real oidc-provider (Node.js), the app served for real.

The provider (``tests/identity/oidc/provider.mjs``, npm ``oidc-provider``, installed by
``make test``) runs on a free local port with the demo's people (``oidc/users.json``,
copied to the test's folder so the test can change someone's groups) and the client of
``oidc/clients.json``. Playwright signs in through the provider's login page and lands
in the sopflow inbox of the mapped lane.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from werkzeug.serving import make_server

from sopflow import ClaimTask, CompleteUserTask, Database, Engine, Settings, StartInstance
from sopflow.access.users import add_user
from sopflow.identity.events import IDENTITY_CHAIN
from sopflow.persistence.models import AuditEvent, HumanTask, User
from sopflow.settings import PROJECT_ROOT
from webapp import create_app

from .conftest import (
    BREAK_GLASS,
    BREAK_GLASS_PASSWORD,
    MAPPING,
    PROCESS,
    free_port,
    require_tool,
    stop_process,
    wait_for_port,
)

pytestmark = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="runs once, in the SQLite pass")

OIDC_DIR = Path(__file__).resolve().parent / "oidc"
CLIENT_ID, CLIENT_SECRET = "sopflow", "rahasia-klien-uji-sopflow-2026"
SSO_PASSWORD = "sandi-sso-2026"
TIMEOUT_MS = 20_000
SCREENSHOTS = PROJECT_ROOT / "test-output" / "screenshots"


@dataclass
class OidcProvider:
    """The running provider: its issuer and the users file it reads at every sign-in."""

    issuer: str
    users_file: Path

    def set_groups(self, username: str, groups: list[str]) -> None:
        """Change a person's groups at the provider (takes effect at their next sign-in)."""
        people = json.loads(self.users_file.read_text(encoding="utf-8"))
        people[username]["groups"] = groups
        self.users_file.write_text(json.dumps(people, ensure_ascii=False), encoding="utf-8")


@dataclass
class LiveSso:
    url: str
    engine: Engine
    provider: OidcProvider


@pytest.fixture
def app_port() -> int:
    return free_port()


@pytest.fixture
def oidc_provider(tmp_path: Path, app_port: int) -> Iterator[OidcProvider]:
    """oidc-provider on a free port, its client registered for the app's address."""
    node = require_tool("node", "the OIDC tests need Node.js (apt-get install -y nodejs npm).")
    if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        message = "oidc-provider is not installed: run `make test` (npm ci in tests/identity/oidc)."
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    folder = tmp_path / "oidc"
    folder.mkdir()
    app_url = f"http://127.0.0.1:{app_port}"
    clients = (OIDC_DIR / "clients.json").read_text(encoding="utf-8").replace("{APP_URL}", app_url)
    (folder / "clients.json").write_text(clients, encoding="utf-8")
    users_file = folder / "users.json"
    shutil.copy(OIDC_DIR / "users.json", users_file)
    port = free_port()
    env = {**os.environ, "PORT": str(port), "CLIENTS": str(folder / "clients.json"), "USERS": str(users_file)}
    log = (folder / "provider.log").open("wb")
    process = subprocess.Popen([node, str(OIDC_DIR / "provider.mjs")], env=env, stdout=log, stderr=log)
    try:
        wait_for_port(port, process, seconds=30)
        yield OidcProvider(f"http://127.0.0.1:{port}", users_file)
    finally:
        stop_process(process)
        log.close()


@pytest.fixture
def live_sso(database: Database, settings: Settings, oidc_provider: OidcProvider, app_port: int) -> Iterator[LiveSso]:
    """The app configured for the provider, served on ``app_port``, with the test process and a break-glass admin."""
    url = f"http://127.0.0.1:{app_port}"
    configured = replace(
        settings,
        oidc_issuer=oidc_provider.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        oidc_scopes="openid profile email groups",
        identity_mapping_file=MAPPING,
        base_url=url,
    )
    engine = Engine(database, configured)
    engine.publish_process(PROCESS, "sistem")
    with database.unit_of_work() as session:
        add_user(session, BREAK_GLASS, BREAK_GLASS_PASSWORD, roles=["admin", "pemilik_proses"])
    app = create_app({"SOPFLOW_SETTINGS": configured})
    server = make_server("127.0.0.1", app_port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="sopflow-sso-server", daemon=True)
    thread.start()
    try:
        yield LiveSso(url, engine, oidc_provider)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.extensions["sopflow"].db.dispose()


@pytest.fixture
def page(browser: Browser, live_sso: LiveSso, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(base_url=live_sso.url, locale="id-ID")
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    opened = context.new_page()
    yield opened
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        opened.screenshot(path=str(SCREENSHOTS / f"GAGAL-{request.node.name}.png"), full_page=True)
    context.close()


def sso_sign_in(page: Page, username: str) -> None:
    """Click "Masuk dengan SSO" on sopflow's login page and sign in on the provider's own page."""
    page.goto("/masuk")
    page.get_by_test_id("login-sso").click()
    page.locator("#sso-username").fill(username)
    page.locator("#sso-password").fill(SSO_PASSWORD)
    page.locator("#sso-submit").click()


def start_case(engine: Engine, periode: str) -> str:
    return engine.start_instance(StartInstance("telaah_identitas", BREAK_GLASS, periode, {})).open_tasks[0]["task_id"]


def lanes_of(engine: Engine, username: str) -> list[str] | None:
    with engine.db.reading() as session:
        row = session.scalar(select(User).where(User.username == username))
        return None if row is None else list(row.lanes)


def test_sso_sign_in_lands_in_the_lane_inbox_and_a_group_change_at_the_provider_moves_the_lane(page, live_sso):
    engine = live_sso.engine
    start_case(engine, "2026-TW1")  # waits in the Kepala Seksi lane
    callbacks: list[str] = []
    page.on("request", lambda req: callbacks.append(req.url) if "/masuk/sso/kembali" in req.url else None)

    sso_sign_in(page, "kasi_monev")
    expect(page).to_have_url(f"{live_sso.url}/")
    rows = page.get_by_test_id("task-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Telaah oleh Kepala Seksi")
    assert lanes_of(engine, "kasi_monev") == ["Kepala Seksi"]

    # the same callback again (state already used): refused
    page.goto(callbacks[-1])
    expect(page.get_by_test_id("login-error")).to_contain_text("tidak sah atau sudah dipakai")

    # a case moves on to the Kasubbag Perencanaan lane; then the provider moves kasi_monev there
    second = start_case(engine, "2026-TW2")
    engine.complete_user_task(CompleteUserTask(second, "kasi_monev", {"catatan": "sudah ditelaah"}))
    live_sso.provider.set_groups("kasi_monev", ["sopflow-kasubbag-perencanaan", "pegawai"])

    page.goto("/")
    page.get_by_test_id("logout").click()  # sopflow's logout, then the provider's (RP-initiated)
    page.get_by_role("button", name="Yes, sign me out").click()
    expect(page).to_have_url(f"{live_sso.url}/masuk")

    sso_sign_in(page, "kasi_monev")  # the provider asks for the password again: its session ended too
    expect(page).to_have_url(f"{live_sso.url}/")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Telaah oleh Kasubbag Perencanaan")
    assert lanes_of(engine, "kasi_monev") == ["Kasubbag Perencanaan"]
    with engine.db.reading() as session:
        identity_kinds = session.scalars(
            select(AuditEvent.kind).where(AuditEvent.case_id == IDENTITY_CHAIN).order_by(AuditEvent.seq)
        ).all()
    assert identity_kinds == [
        "identity_user_created",
        "identity_signed_in",
        "identity_refused",  # the replayed callback
        "identity_signed_out",
        "identity_mapping_changed",
        "identity_signed_in",
    ]


def test_sso_refuses_an_unmapped_person_and_retires_one_removed_from_every_group(page, browser, live_sso):
    engine = live_sso.engine
    sso_sign_in(page, "tamu")  # only in "pegawai", which the mapping does not know
    expect(page.get_by_test_id("login-error")).to_contain_text("belum terdaftar pada unit mana pun")
    assert lanes_of(engine, "tamu") is None

    task_id = start_case(engine, "2026-TW3")
    first = browser.new_context(base_url=live_sso.url)  # another person: another browser (provider session)
    second = browser.new_context(base_url=live_sso.url)
    try:
        signed_in = first.new_page()
        sso_sign_in(signed_in, "kasi_monev")
        expect(signed_in.get_by_test_id("task-row")).to_have_count(1)
        engine.claim_task(ClaimTask(task_id, "kasi_monev"))
        live_sso.provider.set_groups("kasi_monev", ["pegawai"])  # left every sopflow group

        later = second.new_page()
        sso_sign_in(later, "kasi_monev")
        expect(later.get_by_test_id("login-error")).to_contain_text("tidak lagi terdaftar pada unit mana pun")
        signed_in.goto("/")  # the session of before ended with the retirement
        expect(signed_in).to_have_url(f"{live_sso.url}/masuk?next=%2F")
    finally:
        first.close()
        second.close()
    with engine.db.reading() as session:
        assert session.get_one(HumanTask, task_id).claimed_by is None
        row = session.scalar(select(User).where(User.username == "kasi_monev"))
        assert not row.active and row.retired_at is not None
