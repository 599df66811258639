"""The audit log is a per-case hash chain: any edit, deletion, insertion or reordering is detected.

The database itself refuses UPDATE and DELETE on audit events; to simulate an attacker with
direct database access the tests switch the guard triggers off around each tampering.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from sopflow import CompleteUserTask, NotFound
from sopflow.queries.inbox import timeline_for_case, verify_audit_chain


@pytest.fixture
def case_id(engine, start):
    outcome = start()
    engine.complete_user_task(CompleteUserTask(outcome.open_tasks[0]["task_id"], "ani", {"angka": 4}))
    return outcome.case_id


@contextmanager
def tampering(database):
    """Run SQL as someone who bypasses the application and its append-only triggers."""
    with database.engine.begin() as conn:
        if database.is_sqlite:
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
            conn.execute(text("DROP TRIGGER audit_events_no_delete"))
        else:
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
        yield conn
        if database.is_sqlite:
            for op in ("UPDATE", "DELETE"):
                conn.execute(
                    text(
                        f"CREATE TRIGGER audit_events_no_{op.lower()} BEFORE {op} ON audit_events "
                        f"BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: {op} refused'); END"
                    )
                )
        else:
            conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))


def report(engine, case_id=None):
    with engine.db.reading() as session:
        return verify_audit_chain(session, case_id)


def event_id(engine, case_id, seq):
    with engine.db.reading() as session:
        return session.execute(
            text("SELECT id FROM audit_events WHERE case_id = :c AND seq = :s"), {"c": case_id, "s": seq}
        ).scalar_one()


def test_intact_chain_verifies(engine, case_id):
    assert report(engine).intact and report(engine, case_id).intact
    assert report(engine).events == len(timeline_for_case_of(engine, case_id)) > 5


def timeline_for_case_of(engine, case_id):
    with engine.db.reading() as session:
        return timeline_for_case(session, case_id)


def test_database_refuses_update_and_delete(engine, case_id):
    for statement in ("UPDATE audit_events SET actor = 'mallory'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"), engine.db.engine.begin() as conn:
            conn.execute(text(statement))
    assert report(engine).intact


@pytest.mark.parametrize(
    ("sql", "seq", "reason"),
    [
        ("UPDATE audit_events SET data = :data WHERE id = :id", 3, "isi peristiwa tidak cocok"),
        ("UPDATE audit_events SET at = :at WHERE id = :id", 2, "isi peristiwa tidak cocok"),
        ("UPDATE audit_events SET actor = 'mallory' WHERE id = :id", 3, "isi peristiwa tidak cocok"),
        ("DELETE FROM audit_events WHERE id = :id", 2, "nomor urut 3, seharusnya 2"),
    ],
)
def test_each_edit_is_detected_at_the_right_event(engine, database, case_id, sql, seq, reason):
    target = event_id(engine, case_id, seq)
    params = {"id": target, "data": '{"after": {"angka": 1000}}', "at": "2020-01-01 00:00:00"}
    with tampering(database) as conn:
        conn.execute(text(sql), {k: v for k, v in params.items() if f":{k}" in sql})
    result = report(engine, case_id)
    assert not result.intact
    problem = result.problems[0]
    assert (problem["case_id"], problem["seq"]) == (case_id, seq if "DELETE" not in sql else 3)
    assert reason in problem["reason"]


def test_swapped_events_are_detected(engine, database, case_id):
    first, second = event_id(engine, case_id, 2), event_id(engine, case_id, 3)
    with tampering(database) as conn:
        conn.execute(text("UPDATE audit_events SET seq = -1 WHERE id = :id"), {"id": first})
        conn.execute(text("UPDATE audit_events SET seq = 2 WHERE id = :id"), {"id": second})
        conn.execute(text("UPDATE audit_events SET seq = 3 WHERE id = :id"), {"id": first})
    problem = report(engine, case_id).problems[0]
    assert problem["seq"] == 2 and "tautan" in problem["reason"]


def test_forged_event_is_detected(engine, database, case_id):
    events = timeline_for_case_of(engine, case_id)
    last = events[-1]
    with tampering(database) as conn:
        conn.execute(
            text(
                "INSERT INTO audit_events (case_id, seq, at, actor, kind, task_id, element_id, data, prev_hash, hash) "
                "VALUES (:c, :s, :at, 'mallory', 'task_completed', NULL, 'isi_angka', '{}', :prev, :h)"
            ),
            {"c": case_id, "s": last["seq"] + 1, "at": last["at"], "prev": "0" * 64, "h": "f" * 64},
        )
    problem = report(engine, case_id).problems[0]
    assert problem["seq"] == last["seq"] + 1


def test_verify_of_unknown_case_is_not_found(engine):
    with pytest.raises(NotFound):
        report(engine, "tidak-ada")
