"""Anchored audit chain (issue 11, failure 3): removing the end of a case, or all of it, is named.

Before: a case cut down to its first of 80 events still verified "utuh" — a shorter chain is
still a valid chain. Now each case's anchor (``audit_heads``) names the missing range, and
the signed checkpoints name events and whole cases removed together with their anchors.
The attacker's path is :func:`tests.security.audit_tamper.as_attacker` (triggers off).
"""

from __future__ import annotations

import io
import json
import stat
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from sopflow.audit.checkpoint import KEY_FILE, LATEST_FILE, PUBLIC_KEY_FILE, create_checkpoint
from sopflow.audit.history import export_bundle, verify_bundle
from sopflow.cli import main
from sopflow.persistence.models import AuditCheckpoint, AuditHead
from tests.engine.conftest import mini, start
from tests.security.audit_tamper import as_attacker, busy_case, count, delete_case, reasons, verify

__all__ = ["mini", "start"]


def checkpoint(engine):
    """Sign a checkpoint now (as ``sopflow audit checkpoint`` does)."""
    return create_checkpoint(engine.db, engine.settings.data_dir, engine.clock())


def cli_verify(engine, monkeypatch, capsys, *extra: str) -> tuple[int, str]:
    monkeypatch.setenv("DATABASE_URL", engine.db.url)
    status = main(["--data-dir", str(engine.settings.data_dir), "audit", "verify", *extra])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return status, captured.out


def test_case_cut_down_to_its_first_of_80_events_is_named(engine, database, start, monkeypatch, capsys):
    case_id = busy_case(engine, start, 80)
    assert verify(engine).intact
    with as_attacker(database) as conn:
        conn.execute(text("DELETE FROM audit_events WHERE case_id = :c AND seq > 1"), {"c": case_id})
    assert count(engine, case_id) == 1
    report = verify(engine, case_id)
    assert not report.intact
    assert report.problems[0]["case_id"] == case_id and report.problems[0]["seq"] == 2
    assert (
        "peristiwa #2–#80 hilang" in report.problems[0]["reason"]
        and "ekor rantai dipotong" in report.problems[0]["reason"]
    )
    status, out = cli_verify(engine, monkeypatch, capsys)
    assert status == 1 and "Rantai audit RUSAK" in out and case_id in out and "#2–#80 hilang" in out


def test_last_events_removed_name_the_missing_range(engine, database, start):
    case_id = busy_case(engine, start, 20)
    other = busy_case(engine, start, 6)
    with as_attacker(database) as conn:
        conn.execute(text("DELETE FROM audit_events WHERE case_id = :c AND seq > 17"), {"c": case_id})
    report = verify(engine)
    assert reasons(report, other) == []
    assert [p["seq"] for p in report.problems] == [18]
    assert "peristiwa #18–#20 hilang" in reasons(report, case_id)[0]


def test_every_event_of_a_case_deleted_is_named(engine, database, start):
    case_id = busy_case(engine, start, 8)
    with as_attacker(database) as conn:
        conn.execute(text("DELETE FROM audit_events WHERE case_id = :c"), {"c": case_id})
    assert any("semua peristiwa kasus hilang" in r and "8 peristiwa" in r for r in reasons(verify(engine), case_id))
    assert reasons(verify(engine, case_id), case_id)


def test_missing_anchor_and_unknown_events_are_named(engine, database, start):
    first, second = busy_case(engine, start, 5), busy_case(engine, start, 5)
    with as_attacker(database) as conn:
        conn.execute(text("DELETE FROM audit_heads WHERE case_id = :c"), {"c": first})
        conn.execute(text("UPDATE audit_heads SET seq = 3 WHERE case_id = :c"), {"c": second})
    report = verify(engine)
    assert any("jangkar kasus (audit_heads) hilang" in r for r in reasons(report, first))
    assert any("peristiwa #4–#5 tidak tercatat di jangkar" in r for r in reasons(report, second))


def test_anchor_follows_every_command_and_only_moves_forward(engine, database, start):
    case_id = busy_case(engine, start, 7)
    with engine.db.reading() as session:
        head = session.get(AuditHead, case_id)
        last = session.execute(
            text("SELECT seq, hash FROM audit_events WHERE case_id = :c ORDER BY seq DESC LIMIT 1"), {"c": case_id}
        ).one()
    assert (head.seq, head.hash) == tuple(last) == (7, last[1])
    for statement in ("UPDATE audit_heads SET seq = 1", "DELETE FROM audit_heads"):
        with pytest.raises(DBAPIError, match="audit_heads"), engine.db.engine.begin() as conn:
            conn.execute(text(statement))
    busy_case(engine, start, 3)
    assert verify(engine).intact


def test_whole_case_deleted_with_its_anchor_after_a_checkpoint_is_named_by_the_checkpoint(engine, database, start):
    kept, gone = busy_case(engine, start, 6), busy_case(engine, start, 9)
    created = checkpoint(engine)
    assert created is not None and (created.id, created.events, created.cases) == (1, 15, 2)
    with as_attacker(database) as conn:
        delete_case(conn, gone)
    report = verify(engine)
    assert reasons(report, kept) == []
    assert reasons(report, gone) == [
        "kasus yang ditandatangani checkpoint #1 dengan 9 peristiwa hilang seluruhnya "
        "(peristiwa, jangkar atau baris kasusnya dihapus)"
    ]


def test_tail_cut_and_anchor_lowered_together_is_named_by_the_checkpoint(engine, database, start):
    case_id = busy_case(engine, start, 10)
    checkpoint(engine)
    with as_attacker(database) as conn:
        conn.execute(text("DELETE FROM audit_events WHERE case_id = :c AND seq > 4"), {"c": case_id})
        fourth = conn.execute(
            text("SELECT hash FROM audit_events WHERE case_id = :c AND seq = 4"), {"c": case_id}
        ).scalar_one()
        conn.execute(text("UPDATE audit_heads SET seq = 4, hash = :h WHERE case_id = :c"), {"h": fourth, "c": case_id})
    assert reasons(verify(engine), case_id) == ["peristiwa #10 yang ditandatangani checkpoint #1 tidak ada lagi"]


def test_tampered_checkpoint_is_named(engine, database, start):
    busy_case(engine, start, 4)
    checkpoint(engine)
    with as_attacker(database) as conn:
        conn.execute(text("UPDATE audit_checkpoints SET events = events - 1"))
    found = reasons(verify(engine))
    assert "checkpoint #1: tanda tangan tidak sah (checkpoint diubah atau dipalsukan)" in found
    with as_attacker(database) as conn:
        conn.execute(text("UPDATE audit_checkpoints SET events = events + 1, signature = :s"), {"s": "ab" * 64})
    assert "checkpoint #1: tanda tangan tidak sah (checkpoint diubah atau dipalsukan)" in reasons(verify(engine))


def test_removed_checkpoints_are_named(engine, database, start):
    for events in (3, 4, 5):
        busy_case(engine, start, events)
        checkpoint(engine)
    assert verify(engine).intact and verify(engine).checkpoints == 3
    with as_attacker(database) as conn:
        conn.execute(text("DELETE FROM audit_checkpoints WHERE id = 2"))
    assert any("checkpoint #2 sebelumnya hilang" in r for r in reasons(verify(engine)))
    with as_attacker(database) as conn:
        conn.execute(text("DELETE FROM audit_checkpoints WHERE id = 3"))
    assert any(f"checkpoint #3: tercatat di {LATEST_FILE}" in r for r in reasons(verify(engine)))


def test_database_refuses_changing_checkpoints(engine, start):
    busy_case(engine, start, 3)
    checkpoint(engine)
    for statement in ("UPDATE audit_checkpoints SET events = 0", "DELETE FROM audit_checkpoints"):
        with pytest.raises(DBAPIError, match="append-only"), engine.db.engine.begin() as conn:
            conn.execute(text(statement))


def test_scheduler_round_signs_a_checkpoint_once_per_interval(engine, start):
    busy_case(engine, start, 3)
    engine.tick()
    key = engine.settings.data_dir / KEY_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and (engine.settings.data_dir / PUBLIC_KEY_FILE).exists()
    busy_case(engine, start, 3)
    engine.tick()  # events were added, but the last checkpoint is younger than the interval
    with engine.db.reading() as session:
        assert [c.id for c in session.query(AuditCheckpoint)] == [1]
    later = engine.clock() + timedelta(minutes=11)
    engine.clock = lambda: later
    engine.tick()
    with engine.db.reading() as session:
        assert [c.id for c in session.query(AuditCheckpoint)] == [1, 2]
    assert verify(engine).intact and verify(engine).checkpoints == 2
    assert checkpoint(engine) is None  # nothing new since


def test_cli_checkpoint_then_verify(engine, start, monkeypatch, capsys):
    busy_case(engine, start, 5)
    monkeypatch.setenv("DATABASE_URL", engine.db.url)
    assert main(["--data-dir", str(engine.settings.data_dir), "audit", "checkpoint"]) == 0
    assert "Checkpoint #1 ditandatangani: 5 peristiwa pada 1 kasus" in capsys.readouterr().out
    status, out = cli_verify(engine, monkeypatch, capsys)
    assert status == 0 and "utuh" in out and "1 checkpoint bertanda tangan cocok" in out


def _bundle(engine, case_id) -> bytes:
    with engine.db.reading() as session:
        return export_bundle(session, engine.services.files, case_id, engine.settings.data_dir)


def _rezip(data: bytes, change, path) -> str:
    """Rewrite a bundle as a forger would: change members, then recompute the manifest."""
    import hashlib

    source = zipfile.ZipFile(io.BytesIO(data))
    members = {name: source.read(name) for name in source.namelist()}
    manifest = json.loads(members.pop("manifest.json"))
    change(members, manifest)
    manifest["files"] = {name: hashlib.sha256(content).hexdigest() for name, content in members.items()}
    with zipfile.ZipFile(path, "w") as out:
        for name, content in members.items():
            out.writestr(name, content)
        out.writestr("manifest.json", json.dumps(manifest))
    return str(path)


def test_bundle_carries_anchor_checkpoint_and_key_and_verifies_offline(engine, start, tmp_path, monkeypatch, capsys):
    case_id = busy_case(engine, start, 12)
    checkpoint(engine)
    data = _bundle(engine, case_id)
    names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    assert {"anchor.json", "checkpoint.json", PUBLIC_KEY_FILE} <= names
    bundle = tmp_path / "bukti.zip"
    bundle.write_bytes(data)
    report = verify_bundle(bundle)
    assert report.intact, report.problems
    assert report.checkpoints == 1 and report.key_id and report.key_id in report.summary()
    pub = engine.settings.data_dir / PUBLIC_KEY_FILE
    assert main(["audit", "verify", "--bundle", str(bundle), "--key", str(pub)]) == 0
    assert "utuh" in capsys.readouterr().out

    other_instance = tmp_path / "lain"
    from sopflow.audit.checkpoint import public_pem, signing_key

    foreign = public_pem(signing_key(other_instance).public_key())
    assert any("bukan kunci yang dipercaya" in r for r in reasons(verify_bundle(bundle, foreign)))


def test_bundle_cut_short_by_a_forger_is_named_by_its_checkpoint(engine, start, tmp_path):
    case_id = busy_case(engine, start, 12)
    checkpoint(engine)
    data = _bundle(engine, case_id)

    def cut(members, manifest):
        lines = members["events.jsonl"].decode().splitlines(keepends=True)[:9]
        members["events.jsonl"] = "".join(lines).encode()
        last = json.loads(lines[-1])
        members["anchor.json"] = json.dumps({"case_id": case_id, "seq": 9, "hash": last["hash"]}).encode()
        manifest.update(events=9, head=last["hash"])

    report = verify_bundle(_rezip(data, cut, tmp_path / "potong.zip"))
    assert reasons(report) == ["peristiwa #12 yang ditandatangani checkpoint #1 hilang atau berubah di bundel"]

    def cut_only(members, manifest):
        lines = members["events.jsonl"].decode().splitlines(keepends=True)[:9]
        members["events.jsonl"] = "".join(lines).encode()
        manifest.update(events=9, head=json.loads(lines[-1])["hash"])

    found = reasons(verify_bundle(_rezip(data, cut_only, tmp_path / "potong2.zip")))
    assert "peristiwa #10–#12 tidak ada di bundel (jangkar mencatatnya)" in found


def test_concurrent_commands_on_one_case_keep_chain_and_anchor_in_step(engine, start):
    """Every command locks the case row and then the anchor: parallel writers never fork the chain."""
    from concurrent.futures import ThreadPoolExecutor

    from sopflow import ClaimTask, SopflowError, UnclaimTask

    case_id = busy_case(engine, start, 3)
    with engine.db.reading() as session:
        task_id = session.execute(
            text("SELECT id FROM human_tasks WHERE case_id = :c AND state = 'ready' ORDER BY id LIMIT 1"),
            {"c": case_id},
        ).scalar_one()

    def toggle(worker: int) -> int:
        done = 0
        for step in range(8):
            command = ClaimTask if (worker + step) % 2 == 0 else UnclaimTask
            try:
                getattr(engine, "claim_task" if command is ClaimTask else "unclaim_task")(command(task_id, "ani"))
                done += 1
            except SopflowError:
                pass
        return done

    with ThreadPoolExecutor(max_workers=4) as pool:
        written = sum(pool.map(toggle, range(4)))
    assert written > 0
    report = verify(engine, case_id)
    assert report.intact, report.problems
    assert report.events == count(engine, case_id) > 3  # an idempotent claim/release writes no event
