"""The database's own guards of the audit tables (issue 11, failure 3).

SQLite: ``INSERT OR REPLACE`` rewrote an event although UPDATE and DELETE were refused —
REPLACE deletes the conflicting row without firing DELETE triggers. PostgreSQL: the
application's role was a superuser, so ``SET session_replication_role = replica`` switched
every trigger off and TRUNCATE was not refused. Now REPLACE is refused by a BEFORE INSERT
trigger, TRUNCATE by a statement trigger (every role but a superuser), and the application
runs as a role that is not a superuser and may only SELECT/INSERT on the audit tables
(``deploy/sql/grant_app_role.sql``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import DBAPIError

from sopflow import ClaimTask, CompleteUserTask, Database, Engine, Settings, StartInstance
from sopflow.access.users import add_user
from sopflow.audit.checkpoint import create_checkpoint
from tests.engine.conftest import MINI, mini, start
from tests.security.audit_tamper import busy_case, verify

__all__ = ["mini", "start"]

ROOT = Path(__file__).resolve().parents[2]
GRANT_SCRIPT = ROOT / "deploy" / "sql" / "grant_app_role.sql"
PG_URL = os.environ.get("DATABASE_URL", "")
sqlite_only = pytest.mark.skipif(PG_URL.startswith("postgresql"), reason="SQLite's REPLACE")
postgres_only = pytest.mark.skipif(not PG_URL.startswith("postgresql"), reason="needs DATABASE_URL=postgresql://…")

_REPLACE_EVENT = (
    "INSERT OR REPLACE INTO audit_events "
    "(id, case_id, seq, at, actor, kind, task_id, element_id, data, prev_hash, hash) "
    "SELECT id, case_id, seq, at, 'mallory', kind, task_id, element_id, data, prev_hash, hash FROM audit_events "
    "WHERE case_id = :c AND seq = 2"
)


@sqlite_only
def test_sqlite_refuses_insert_or_replace_on_audit_tables(engine, start):
    case_id = busy_case(engine, start, 4)
    create_checkpoint(engine.db, engine.settings.data_dir, engine.clock())
    attempts = [
        (_REPLACE_EVENT, "audit_events is append-only: REPLACE refused"),
        (
            "REPLACE INTO audit_events (case_id, seq, at, actor, kind, data, prev_hash, hash) "
            "SELECT case_id, seq, at, 'mallory', kind, data, prev_hash, hash FROM audit_events "
            "WHERE case_id = :c AND seq = 3",
            "audit_events is append-only: REPLACE refused",
        ),
        ("REPLACE INTO audit_heads SELECT case_id, 1, hash, updated_at FROM audit_heads", "audit_heads is append-only"),
        ("REPLACE INTO audit_checkpoints SELECT * FROM audit_checkpoints", "audit_checkpoints is append-only"),
    ]
    for statement, message in attempts:
        with pytest.raises(DBAPIError, match=message), engine.db.engine.begin() as conn:
            conn.execute(text(statement), {"c": case_id})
    report = verify(engine)
    assert report.intact and report.checkpoints == 1


@sqlite_only
def test_without_the_replace_guard_sqlite_rewrites_an_event_despite_the_update_and_delete_triggers(engine, start):
    """What SQLite actually does: REPLACE's implicit delete fires no DELETE trigger (recursive_triggers is off)."""
    case_id = busy_case(engine, start, 4)
    with engine.db.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_events_no_replace"))
        assert (
            conn.execute(text("SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'audit_events_no_%'")).scalar() == 2
        )
        conn.execute(text(_REPLACE_EVENT), {"c": case_id})
        actor = conn.execute(text("SELECT actor FROM audit_events WHERE case_id = :c AND seq = 2"), {"c": case_id})
        assert actor.scalar_one() == "mallory"
    problem = verify(engine).problems[0]
    assert (problem["case_id"], problem["seq"]) == (case_id, 2) and "isi peristiwa tidak cocok" in problem["reason"]


# -- PostgreSQL: two roles ----------------------------------------------------------------------------
@pytest.fixture
def roles(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A fresh database owned by a new non-superuser owner role, and a new application role (both dropped after)."""
    admin_url = make_url(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    suffix = uuid.uuid4().hex[:8]
    owner, app, name = f"sopflow_owner_{suffix}", f"sopflow_app_{suffix}", f"sopflow_roles_{suffix}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE ROLE "{owner}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE')
        conn.exec_driver_sql(f'CREATE ROLE "{app}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" OWNER "{owner}"')
    urls = {
        "owner": admin_url.set(username=owner, password=None, database=name).render_as_string(hide_password=False),
        "app": admin_url.set(username=app, password=None, database=name).render_as_string(hide_password=False),
        "app_role": app,
        "owner_role": owner,
        "data_dir": str(tmp_path / "data"),
    }
    try:
        yield urls
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{app}"')
            conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{owner}"')
        admin.dispose()


def grant(owner_url: str, app_role: str) -> subprocess.CompletedProcess[str]:
    """Run deploy/sql/grant_app_role.sql as the owner with psql, as the README says."""
    psql = shutil.which("psql")
    if psql is None:
        pytest.skip("psql is not installed")
    libpq = owner_url.replace("postgresql+psycopg://", "postgresql://", 1)
    return subprocess.run(
        [psql, libpq, "-X", "-q", "-v", f"app_role={app_role}", "-f", str(GRANT_SCRIPT)],
        capture_output=True,
        text=True,
        timeout=60,
    )


@postgres_only
def test_application_role_may_only_append_to_the_audit_tables(roles):
    owner_db = Database(roles["owner"])
    owner_db.upgrade()  # migrations run as the owner
    refused = grant(roles["owner"], roles["owner_role"])  # the owner as application role: refused
    assert refused.returncode != 0 and "owns (or inherits the owner of) tables" in refused.stderr
    done = grant(roles["owner"], roles["app_role"])
    assert done.returncode == 0, done.stderr

    app_db = Database(roles["app"])
    try:
        engine = Engine(app_db, Settings(database_url=roles["app"], data_dir=Path(roles["data_dir"])))
        app_db.check_at_head()
        # normal engine commands work as the application role
        engine.publish_process(MINI, "ani")
        with app_db.unit_of_work() as session:
            add_user(session, "ani", "kata-sandi-uji", lanes=["Pengusul"], roles=("aktor", "pemilik_proses"))
        outcome = engine.start_instance(StartInstance("mini", "ani", "2026-TW1", {"daftar_unit": [{"unit": "U1"}]}))
        task_id = outcome.open_tasks[0]["task_id"]
        engine.claim_task(ClaimTask(task_id, "ani"))
        engine.complete_user_task(CompleteUserTask(task_id, "ani", {"angka": 4}))
        assert create_checkpoint(app_db, engine.settings.data_dir, engine.clock()) is not None
        report = verify(engine)
        assert report.intact and report.events > 3 and report.checkpoints == 1

        for statement in (
            "UPDATE audit_events SET actor = 'mallory'",
            "DELETE FROM audit_events",
            "TRUNCATE audit_events",
            "DELETE FROM audit_heads",
            "TRUNCATE audit_heads",
            "UPDATE audit_checkpoints SET events = 0",
            "DELETE FROM audit_checkpoints",
            "SET session_replication_role = replica",
            "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
            "DROP TRIGGER audit_events_append_only ON audit_events",
            "UPDATE alembic_version SET version_num = '0001'",
        ):
            with pytest.raises(DBAPIError, match=r"permission denied|must be owner"), app_db.engine.begin() as conn:
                conn.execute(text(statement))
        with pytest.raises(DBAPIError, match="only moves forward"), app_db.engine.begin() as conn:
            conn.execute(text("UPDATE audit_heads SET seq = 1"))

        # the owner is refused TRUNCATE, UPDATE and DELETE by the triggers
        for statement, message in (
            ("TRUNCATE audit_events", "audit_events is append-only: TRUNCATE refused"),
            ("TRUNCATE audit_heads, audit_checkpoints", "is append-only: TRUNCATE refused"),
            ("DELETE FROM audit_events", "append-only"),
            ("DELETE FROM audit_checkpoints", "audit_checkpoints is append-only: DELETE refused"),
        ):
            with pytest.raises(DBAPIError, match=message), owner_db.engine.begin() as conn:
                conn.execute(text(statement))
        assert verify(engine).intact
    finally:
        app_db.dispose()
        owner_db.dispose()
