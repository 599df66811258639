"""Helpers of the audit-anchoring tests (imported explicitly; not a conftest, so other tests stay untouched).

``as_attacker`` is the attacker's path of issue 11, failure 3: on PostgreSQL a superuser
(the test role is one, as the application's role was) switches every trigger off with
``SET session_replication_role = replica``; on SQLite whoever can write the file drops the
guard triggers. Both then delete or rewrite audit rows directly.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from sopflow import ClaimTask, Database, Engine, UnclaimTask
from sopflow.audit.chain import ChainReport
from sopflow.audit.verify import verify_database

_PERIODE = itertools.count(1)


@contextmanager
def as_attacker(database: Database) -> Iterator[Connection]:
    """Yield a connection on which the audit tables' triggers do not fire (committed at the end)."""
    with database.engine.begin() as conn:
        if database.is_sqlite:
            triggers = conn.execute(
                text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name LIKE 'audit_%'")
            ).all()
            for name, _sql in triggers:
                conn.execute(text(f"DROP TRIGGER {name}"))
            yield conn
            for _name, sql in triggers:
                conn.execute(text(sql))
        else:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            yield conn


def busy_case(engine: Engine, start: Any, events: int) -> str:
    """Start a mini case and claim/release its first task until it has exactly ``events`` audit events."""
    number = next(_PERIODE)
    outcome = start(periode=f"{2100 + number // 4}-TW{number % 4 + 1}")
    task_id = outcome.open_tasks[0]["task_id"]
    claimed = False
    while count(engine, outcome.case_id) < events:
        if claimed:
            engine.unclaim_task(UnclaimTask(task_id, "ani"))
        else:
            engine.claim_task(ClaimTask(task_id, "ani"))
        claimed = not claimed
    return outcome.case_id


def count(engine: Engine, case_id: str) -> int:
    """Return how many audit events the case has."""
    with engine.db.reading() as session:
        return session.execute(
            text("SELECT COUNT(*) FROM audit_events WHERE case_id = :c"), {"c": case_id}
        ).scalar_one()


def verify(engine: Engine, case_id: str | None = None) -> ChainReport:
    """Run the full verification (chains, anchors, checkpoints) with the engine's key folder."""
    with engine.db.reading() as session:
        return verify_database(session, Path(engine.settings.data_dir), case_id)


def reasons(report: ChainReport, case_id: str | None = None) -> list[str]:
    """Return the problems' reasons (of one case, or all)."""
    return [p["reason"] for p in report.problems if case_id in (None, p["case_id"])]


def delete_case(conn: Connection, case_id: str) -> None:
    """Remove every trace of a case: events, anchor, snapshots, tasks, documents, jobs, the case row."""
    for table in ("audit_events", "audit_heads", "case_snapshots", "human_tasks", "documents", "jobs"):
        conn.execute(text(f"DELETE FROM {table} WHERE case_id = :c"), {"c": case_id})
    conn.execute(text("DELETE FROM cases WHERE id = :c"), {"c": case_id})
