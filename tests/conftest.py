"""Shared fixtures: a real database (SQLite file, or PostgreSQL when DATABASE_URL is set) and an engine.

On PostgreSQL the schema is migrated once per session and every table is truncated
before each test; on SQLite each test gets its own database file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

import handlers  # noqa: F401 - registers the real handlers
from sopflow import Database, Engine, Settings
from sopflow.models import Base
from sopflow.users import add_user

PG_URL = os.environ.get("DATABASE_URL", "")


def _normalise(url: str) -> str:
    return "postgresql+psycopg://" + url.removeprefix("postgresql://") if url.startswith("postgresql://") else url


@pytest.fixture(scope="session")
def _pg_database() -> Iterator[Database | None]:
    if not PG_URL:
        yield None
        return
    db = Database(_normalise(PG_URL))
    db.upgrade()
    yield db
    db.dispose()


@pytest.fixture
def database(tmp_path: Path, _pg_database: Database | None) -> Iterator[Database]:
    """A migrated, empty database for one test."""
    if _pg_database is not None:
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        with _pg_database.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        yield _pg_database
        return
    db = Database(f"sqlite:///{tmp_path / 'sopflow.sqlite3'}")
    db.upgrade()
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
