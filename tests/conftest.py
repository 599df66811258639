"""Shared fixtures: a real database (SQLite file, or PostgreSQL when DATABASE_URL is set) and an engine.

On PostgreSQL the schema is migrated once per session and every table is truncated
before each test; on SQLite the schema is migrated once per session into a template file
and each test gets its own copy of it (a copy takes milliseconds, a migration a third of a second).

The whole demo quarter (``sopflow.demo.run_demo``: real handlers, documents, PDFs and the
signature) is played once per session; :func:`played_demo` gives a test its own copy of
what that play left (every row and the data folder), in milliseconds instead of a replay.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from sqlalchemy import URL, Integer, create_engine, func, insert, make_url, select, text
from sqlalchemy.pool import NullPool

from sopflow import Database, Engine, Settings
from sopflow.access import users
from sopflow.access.users import add_user
from sopflow.demo import DemoResult, load_script, run_demo
from sopflow.persistence.models import Base
from sopflow.settings import PROJECT_ROOT
from tests.api_contract import ContractClient

DEMO_SCRIPT = PROJECT_ROOT / "samples" / "monev_kinerja" / "demo.json"

PG_URL = os.environ.get("DATABASE_URL", "")


#: The longest test modules, longest first (seconds of one worker in a `make test` run, measured).
#: xdist's loadscope hands whole modules out in collection order: started first, they end early and
#: the short modules fill in beside them, so the two workers finish close together. (Its default
#: order, most tests first, left these few-test modules for the end: the Makefile turns it off.)
LONGEST_FIRST = (
    "tests/deploy/test_faults.py",  # ~75 s
    "tests/browser/test_diagrams.py",  # ~70 s
    "tests/browser/test_accessibility.py",  # ~40 s
    "tests/deploy/test_packaging.py",  # ~40 s
    "tests/deploy/test_topology.py",  # ~40 s
    "tests/browser/test_full_case_in_browser.py",  # ~35 s
    "tests/security/test_headers.py",  # ~25 s
    "tests/test_typing.py",  # ~20 s
    "tests/webapp/test_api.py",  # ~20 s
    "tests/plugins/test_new_sop.py",  # ~15 s
    "tests/documents/test_signing_pages.py",  # ~14 s
    "tests/webapp/test_inbox.py",  # ~12 s
    "tests/processes/test_evaluasi_kinerja.py",  # ~12 s
    "tests/jobs/test_schedulers.py",  # ~12 s
    "tests/documents/test_demo_signing.py",  # ~11 s
)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under xdist, run the modules of LONGEST_FIRST first (stable: the rest keep their order)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    rank = {path: i for i, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


@pytest.fixture(scope="session", autouse=True)
def _one_scrypt_hash_per_password() -> Iterator[None]:
    """Within one test process, each password is scrypt-hashed once and its hash reused.

    A hash costs ~50 ms of CPU on purpose, and fixtures create the same accounts with the same
    password for hundreds of tests (the eleven demo accounts alone are ~0.5 s a test). The reused
    value is a real salted scrypt hash of that password: signing in still verifies it with the
    full scrypt work; only accounts sharing a password share its salt.
    """
    real = users.hash_password
    made: dict[str, str] = {}

    def hash_once(password: str) -> str:
        if password not in made:
            made[password] = real(password)
        return made[password]

    patch = pytest.MonkeyPatch()
    patch.setattr(users, "hash_password", hash_once)
    yield
    patch.undo()


class _SharedTemplateCode(BytecodeCache):
    """Jinja's compiled templates kept in memory for every app of the test process."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])  # ignored if the source changed

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


@pytest.fixture(scope="session", autouse=True)
def _templates_compiled_once() -> Iterator[None]:
    """Every Flask app of the test process shares one Jinja bytecode cache.

    Tests make a new app each (create_app), and each app's Jinja environment compiled every
    template it rendered again (~10% of a web test's CPU). Jinja's own bytecode cache is keyed by
    template and checked against its source; the apps all configure Jinja alike.
    """
    shared = _SharedTemplateCode()
    make_environment = Flask.create_jinja_environment

    def environment_with_shared_code(app: Flask) -> Any:
        environment = make_environment(app)
        environment.bytecode_cache = shared
        return environment

    patch = pytest.MonkeyPatch()
    patch.setattr(Flask, "create_jinja_environment", environment_with_shared_code)
    yield
    patch.undo()


@pytest.fixture(autouse=True)
def _api_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every app's test client checks each /api/v1 response against the OpenAPI document (tests/api_contract.py)."""
    monkeypatch.setattr(Flask, "test_client_class", ContractClient)


def _normalise(url: str) -> str:
    return "postgresql+psycopg://" + url.removeprefix("postgresql://") if url.startswith("postgresql://") else url


@pytest.fixture(scope="session")
def _pg_database(request: pytest.FixtureRequest) -> Iterator[Database | None]:
    """The PostgreSQL database of DATABASE_URL, migrated once; under xdist each worker gets its own copy of it.

    The copy is named after the worker and the run (``<name>_gw0_<run>``), so two runs on one
    server at the same time do not drop each other's databases.
    """
    if not PG_URL:
        yield None
        return
    url, own = _normalise(PG_URL), None
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    environment = pytest.MonkeyPatch()
    if worker:  # tests truncate every table: two workers must not share one database
        base = make_url(url)
        run = getattr(request.config, "workerinput", {}).get("testrunuid", "")[:8]
        own = f"{base.database}_{worker}_{run}" if run else f"{base.database}_{worker}"
        _create_database(base, own)
        url = base.set(database=own).render_as_string(hide_password=False)
        # the CLI run in-process or as a subprocess reads DATABASE_URL: this worker's database
        given = make_url(PG_URL).set(database=own).render_as_string(hide_password=False)
        environment.setenv("DATABASE_URL", given)
    db = Database(url)
    db.upgrade()
    yield db
    db.dispose()
    environment.undo()
    if own is not None:
        _drop_database(make_url(url), own)


def _admin(url: URL) -> Any:
    """An AUTOCOMMIT connection engine on the server's maintenance database (CREATE/DROP DATABASE)."""
    return create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)


def _create_database(url: URL, name: str) -> None:
    admin = _admin(url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))  # left by an interrupted run
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def _drop_database(url: URL, name: str) -> None:
    admin = _admin(url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database at the newest revision, migrated once per session."""
    path = tmp_path_factory.mktemp("template") / "sopflow.sqlite3"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    db.dispose()
    return path


@pytest.fixture
def database(tmp_path: Path, _pg_database: Database | None, request: pytest.FixtureRequest) -> Iterator[Database]:
    """A migrated, empty database for one test."""
    if _pg_database is not None:
        _truncate(_pg_database)
        yield _pg_database
        return
    path = tmp_path / "sopflow.sqlite3"
    template = request.getfixturevalue("_sqlite_template")
    with closing(sqlite3.connect(template)) as source, closing(sqlite3.connect(path)) as target:
        source.backup(target)  # a consistent copy whatever the journal mode
    db = Database(f"sqlite:///{path}")
    yield db
    db.dispose()


@pytest.fixture
def settings(tmp_path: Path, database: Database) -> Settings:
    """Settings pointing at the test database and a fresh data folder."""
    return Settings(database_url=database.url, data_dir=tmp_path / "data")


@pytest.fixture
def engine(database: Database, settings: Settings) -> Engine:
    """An engine on the test database."""
    return Engine(database, settings)


@pytest.fixture
def make_user(database: Database):
    """Create a user: ``make_user("ani", lanes=[...], units=[...], roles=[...])``."""

    def make(username: str, lanes=(), units=(), roles=("aktor",)) -> str:
        with database.unit_of_work() as session:
            add_user(session, username, "kata-sandi-uji", lanes=lanes, units=units, roles=roles)
        return username

    return make


@dataclass(frozen=True)
class PlayedDemo:
    """What one live play of the demo left: its result, printed lines, rows per table, data folder, exports."""

    result: DemoResult
    lines: list[str]
    rows: dict[str, list[dict[str, Any]]]
    data_dir: Path
    out_dir: Path


@pytest.fixture(scope="session")
def _played_demo(tmp_path_factory: pytest.TempPathFactory, _pg_database: Database | None) -> PlayedDemo:
    """Play the demo quarter once, live, on the session's database kind; keep every row it wrote."""
    folder = tmp_path_factory.mktemp("played-demo")
    if _pg_database is not None:
        _truncate(_pg_database)
        db = _pg_database
    else:
        db = Database(f"sqlite:///{folder / 'demo.sqlite3'}")
        db.upgrade()
    settings = Settings(database_url=db.url, data_dir=folder / "data")
    lines: list[str] = []
    played: dict[str, Any] = {}

    def play() -> None:
        try:
            played["result"] = run_demo(
                Engine(db, settings), load_script(DEMO_SCRIPT), folder / "out", say=lines.append
            )
        except BaseException as exc:  # re-raised in the test's thread
            played["error"] = exc

    # In its own thread: a browser test may be the first to ask for it, and Playwright's sync API
    # keeps an event loop running in the test's thread (the demo's PDF signing starts its own).
    player = threading.Thread(target=play, name="played-demo")
    player.start()
    player.join()
    if "error" in played:
        raise played["error"]
    result: DemoResult = played["result"]
    with db.engine.connect() as conn:
        rows = {
            table.name: [dict(row._mapping) for row in conn.execute(select(table))]
            for table in Base.metadata.sorted_tables
        }
    if _pg_database is None:
        db.dispose()
    return PlayedDemo(result, lines, rows, folder / "data", folder / "out")


@pytest.fixture
def played_demo(database: Database, settings: Settings, tmp_path: Path, _played_demo: PlayedDemo) -> PlayedDemo:
    """This test's own copy of the played demo (finished 2026-TW3, open 2026-TW4) in its database and data folder."""
    with database.engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            if _played_demo.rows[table.name]:
                conn.execute(insert(table), _played_demo.rows[table.name])
        if not database.is_sqlite:
            for table in Base.metadata.sorted_tables:  # explicit ids were inserted: move the sequences past them
                for column in table.primary_key.columns:
                    if isinstance(column.type, Integer) and column.autoincrement in (True, "auto"):
                        top = conn.execute(select(func.max(column))).scalar()
                        if top is not None:
                            conn.execute(
                                text("SELECT setval(pg_get_serial_sequence(:t, :c), :v)"),
                                {"t": table.name, "c": column.name, "v": top},
                            )
    shutil.copytree(_played_demo.data_dir, settings.data_dir, dirs_exist_ok=True)
    shutil.copytree(_played_demo.out_dir, tmp_path / "demo-out", dirs_exist_ok=True)
    copy = _played_demo
    return PlayedDemo(copy.result, copy.lines, copy.rows, settings.data_dir, tmp_path / "demo-out")


def _truncate(db: Database) -> None:
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


#: Debian's chromium as every browser test starts it (Playwright's own download is not used)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Path of the system chromium; skip without it, but fail on CI."""
    path = shutil.which("chromium")
    if path is None:
        message = "Debian's chromium is not installed (apt-get install -y chromium); the browser test needs it."
        if os.environ.get("CI"):
            pytest.fail(message + " CI must run the browser test.", pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    """One headless chromium for the whole session, shared by every folder's browser tests.

    Playwright's sync API runs an event loop while it lives: a second ``sync_playwright()``
    in the same session is refused, so there must be exactly one.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
