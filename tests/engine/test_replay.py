"""Replay re-executes a case from its recorded inputs and finds the first step that does not match."""

from __future__ import annotations

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
