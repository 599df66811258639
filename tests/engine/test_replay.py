"""Replay re-executes a case from its recorded inputs and finds the first step that does not match."""

from __future__ import annotations

import json

from sqlalchemy import text

from sopflow import CompleteUserTask, RetryFailedStep
from sopflow.audit.replay import replay_case

from .test_audit_chain import tampering


def replay(engine, case_id):
    with engine.db.reading() as session:
        return replay_case(session, engine.services.files, engine.settings.templates_dir, case_id)


def play_loop_with_failure(engine, start):
    outcome = start()
    outcome = engine.complete_user_task(CompleteUserTask(outcome.open_tasks[0]["task_id"], "ani", {"angka": 13}))
    assert outcome.status == "gagal"
    outcome = engine.retry_failed_step(RetryFailedStep(outcome.case_id, "ani", {"angka": 4}))
    for task in outcome.open_tasks:
        outcome = engine.complete_user_task(
            CompleteUserTask(task["task_id"], "budi", {"catatan": "oke " + task["unit"]})
        )
    decision = {"keputusan": "ulang", "catatan_keputusan": "diulang"}
    outcome = engine.complete_user_task(CompleteUserTask(outcome.open_tasks[0]["task_id"], "budi", decision))
    outcome = engine.complete_user_task(CompleteUserTask(outcome.open_tasks[0]["task_id"], "ani", {"angka": 5}))
    for task in outcome.open_tasks:
        outcome = engine.complete_user_task(
            CompleteUserTask(
                task["task_id"], "cici" if task["unit"] == "U1" else "budi", {"catatan": "lagi " + task["unit"]}
            )
        )
    decision = {"keputusan": "setuju", "catatan_keputusan": "sudah sesuai"}
    outcome = engine.complete_user_task(CompleteUserTask(outcome.open_tasks[0]["task_id"], "budi", decision))
    assert outcome.status == "selesai"
    return outcome.case_id


def test_replay_matches_a_case_with_a_loop_and_a_retried_failure(engine, start):
    case_id = play_loop_with_failure(engine, start)
    report = replay(engine, case_id)
    assert report.matches, report.divergences
    # 10 commands of people + 3 jobs that ran the service steps after them
    assert report.commands == 13 and report.service_steps == 3


def test_replay_names_the_first_divergence(engine, database, start):
    case_id = play_loop_with_failure(engine, start)
    with tampering(database) as conn:
        conn.execute(
            text(
                "UPDATE audit_events SET data = :d WHERE case_id = :c AND kind = 'task_completed' "
                "AND element_id = 'isi_angka' AND seq = (SELECT MAX(seq) FROM audit_events "
                "WHERE case_id = :c AND kind = 'task_completed' AND element_id = 'isi_angka')"
            ),
            {"c": case_id, "d": '{"lane": "Pengusul", "before": {"angka": 4}, "after": {"angka": 6}}'},
        )
    report = replay(engine, case_id)
    assert not report.matches
    # the completion is its own command now (its service step runs as a job): the replay names
    # the altered input at that command, before the document made from it
    assert report.divergences[0]["what"] == "data kasus", report.divergences
    assert "angka" in report.divergences[0]["detail"] and "6" in report.divergences[0]["detail"]


def snapshot_rows(database, case_id):
    """(seq, state kept, kinds of the command's events) of each snapshot of a case, in order."""
    with database.engine.connect() as conn:
        snaps = conn.execute(
            text("SELECT seq, state_zlib IS NOT NULL FROM case_snapshots WHERE case_id = :c ORDER BY seq"),
            {"c": case_id},
        ).all()
        events = conn.execute(
            text("SELECT seq, kind FROM audit_events WHERE case_id = :c ORDER BY seq"), {"c": case_id}
        ).all()
    rows, first = [], 1
    for seq, kept in snaps:
        rows.append((seq, bool(kept), {kind for s, kind in events if first <= s <= seq}))
        first = seq + 1
    return rows


def test_the_full_state_is_kept_for_the_start_each_persons_command_and_the_end_only(engine, database, start):
    case_id = play_loop_with_failure(engine, start)
    rows = snapshot_rows(database, case_id)
    assert rows[0][1] and "case_started" in rows[0][2]
    assert rows[-1][1] and "case_completed" in rows[-1][2]
    for _seq, kept, kinds in rows[1:-1]:
        # a person's command keeps the state; a job that only ran engine steps keeps the summary
        assert kept == ("engine_resumed" not in kinds), (kinds, kept)
    assert any(not kept for _seq, kept, _kinds in rows), "the jobs' snapshots keep the summary only"


def test_replay_compares_a_jobs_summary_only_snapshot(engine, database, start):
    case_id = play_loop_with_failure(engine, start)
    summary_only = next(seq for seq, kept, _kinds in snapshot_rows(database, case_id) if not kept)
    with database.engine.begin() as conn:
        summary = conn.execute(
            text("SELECT summary FROM case_snapshots WHERE case_id = :c AND seq = :s"),
            {"c": case_id, "s": summary_only},
        ).scalar_one()
        summary = json.loads(summary) if isinstance(summary, str) else summary
        summary["data"]["angka"] = 777
        conn.execute(
            text("UPDATE case_snapshots SET summary = :d WHERE case_id = :c AND seq = :s"),
            {"d": json.dumps(summary), "c": case_id, "s": summary_only},
        )
    report = replay(engine, case_id)
    assert not report.matches
    assert report.divergences[0]["seq"] == summary_only and report.divergences[0]["what"] == "data kasus"
    assert "777" in report.divergences[0]["detail"]


def test_replay_reads_a_snapshot_written_before_summaries_from_its_state(engine, database, start):
    case_id = play_loop_with_failure(engine, start)
    with database.engine.begin() as conn:
        conn.execute(
            text("UPDATE case_snapshots SET summary = NULL WHERE case_id = :c AND state_zlib IS NOT NULL"),
            {"c": case_id},
        )
    report = replay(engine, case_id)
    assert report.matches, report.divergences
