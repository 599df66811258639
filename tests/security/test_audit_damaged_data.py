"""Damaged audit data is a named broken event, never a traceback or a 500 (issue 11, failure 4).

Before: one byte that made an event's JSON invalid turned ``sopflow audit verify`` into a
JSONDecodeError traceback and the /audit pages into 500s.

How the damage is made depends on what the database can hold. SQLite keeps the JSON as
TEXT, so one byte is changed in place (the closing ``}`` becomes ``]``). PostgreSQL's JSONB
cannot hold invalid JSON at all; what can happen there is a valid JSON value of the wrong
shape (an array where the event's data object was), which the pages used to crash on too.
"""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from sqlalchemy import text

from sopflow.access.authz import ROLE_AUDITOR
from sopflow.audit.history import export_bundle, verify_bundle
from sopflow.cli import main
from tests.engine.conftest import mini, start
from tests.security.audit_tamper import as_attacker, busy_case, verify
from tests.webapp.conftest import app, client, clock, login_as

__all__ = ["app", "client", "clock", "login_as", "mini", "start"]


def damage(database, case_id: str, seq: int) -> int:
    """Damage the data of event ``seq`` of a case as the database allows; return the event's id."""
    with as_attacker(database) as conn:
        event_id = conn.execute(
            text("SELECT id FROM audit_events WHERE case_id = :c AND seq = :s"), {"c": case_id, "s": seq}
        ).scalar_one()
        if database.is_sqlite:
            conn.execute(
                text("UPDATE audit_events SET data = substr(data, 1, length(data) - 1) || ']' WHERE id = :id"),
                {"id": event_id},
            )
            stored = conn.execute(text("SELECT data FROM audit_events WHERE id = :id"), {"id": event_id}).scalar_one()
            with pytest.raises(json.JSONDecodeError):
                json.loads(stored)
        else:
            conn.execute(text("UPDATE audit_events SET data = '[1, 2]'::jsonb WHERE id = :id"), {"id": event_id})
    return event_id


@pytest.fixture
def damaged(engine, database, start) -> dict:
    """Two cases; the first has event #3 damaged and event #5 rewritten (actor), the second is intact."""
    case_id, other = busy_case(engine, start, 8), busy_case(engine, start, 4)
    event_id = damage(database, case_id, 3)
    with as_attacker(database) as conn:
        conn.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE case_id = :c AND seq = 5"), {"c": case_id})
    return {"case_id": case_id, "other": other, "event_id": event_id}


def test_verification_names_the_damaged_event_and_goes_on(engine, damaged):
    report = verify(engine)
    problems = [(p["case_id"], p["seq"], p["id"]) for p in report.problems]
    case_id = damaged["case_id"]
    assert problems[0] == (case_id, 3, damaged["event_id"])
    assert "peristiwa rusak" in report.problems[0]["reason"]
    assert (case_id, 5) in [(c, s) for c, s, _ in problems]  # the check went on past the damaged event
    assert all(c != damaged["other"] for c, _, _ in problems)
    assert report.events == 12 and report.cases == 2


def test_cli_verify_exits_1_naming_the_event_without_a_traceback(engine, damaged, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", engine.db.url)
    status = main(["--data-dir", str(engine.settings.data_dir), "audit", "verify"])
    out, err = capsys.readouterr()
    assert status == 1 and "Traceback" not in out + err
    first = f"pertama pada kasus {damaged['case_id']} peristiwa #3 (id {damaged['event_id']})"
    assert f"Rantai audit RUSAK: 2 masalah; {first}" in out
    assert "peristiwa rusak: data peristiwa bukan" in out


def test_bundle_of_a_damaged_case_is_exported_and_names_the_event_offline(engine, damaged, tmp_path):
    with engine.db.reading() as session:
        data = export_bundle(session, engine.services.files, damaged["case_id"], engine.settings.data_dir)
    line = zipfile.ZipFile(io.BytesIO(data)).read("events.jsonl").decode().splitlines()[2]
    assert "data_raw" in json.loads(line)
    bundle = tmp_path / "bukti.zip"
    bundle.write_bytes(data)
    first = verify_bundle(bundle).problems[0]
    assert first["seq"] == 3 and "peristiwa rusak" in first["reason"]


def test_bundle_with_an_unreadable_line_is_a_named_problem(engine, start, tmp_path):
    case_id = busy_case(engine, start, 4)
    with engine.db.reading() as session:
        data = export_bundle(session, engine.services.files, case_id)
    source = zipfile.ZipFile(io.BytesIO(data))
    target = tmp_path / "rusak.zip"
    with zipfile.ZipFile(target, "w") as out:
        for name in source.namelist():
            content = source.read(name)
            out.writestr(name, content.replace(b'"seq": 2', b'"seq": 2,,') if name == "events.jsonl" else content)
    found = [p["reason"] for p in verify_bundle(target).problems]
    assert any(r.startswith("baris 2 events.jsonl: data peristiwa bukan JSON yang sah") for r in found)


def test_audit_pages_show_the_break_instead_of_a_500(engine, damaged, make_user, client, login_as):
    make_user("audi", roles=(ROLE_AUDITOR,))
    login_as("audi", "kata-sandi-uji")
    case_id = damaged["case_id"]
    overview = client.get("/audit/")
    assert overview.status_code == 200
    page = overview.get_data(as_text=True)
    assert 'data-intact="tidak"' in page and "Rantai audit RUSAK" in page
    assert f'data-testid="integrity-problem" data-case-id="{case_id}" data-seq="3"' in page
    timeline = client.get(f"/audit/kasus/{case_id}")
    assert timeline.status_code == 200
    page = timeline.get_data(as_text=True)
    assert re.search(r'data-seq="3"\s+data-kind="\w+" data-integrity="rusak"', page)
    assert f"(id {damaged['event_id']})" in page and "peristiwa rusak" in page
    for path in (f"/audit/kasus/{case_id}/ekspor.csv", f"/audit/kasus/{case_id}/bukti.zip"):
        assert client.get(path).status_code == 200, path
    # the case at the damaged event: shown with the break, or (when it cannot be replayed) the timeline naming it
    moment = client.get(f"/audit/kasus/{case_id}/pada/3", follow_redirects=True)
    page = moment.get_data(as_text=True)
    assert moment.status_code == 200
    assert 'data-testid="moment-broken"' in page or 'data-testid="integrity-panel"' in page
