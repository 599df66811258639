"""Notifications: in-app rows for the lane (and unit), e-mails through a real SMTP server, once each."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta

import pytest

from sopflow import ClaimTask, CompleteUserTask, Engine, StartInstance
from sopflow.jobs.outbox import SEND_EMAIL
from sopflow.persistence.models import Notification

from .conftest import MINI, SmtpServer, deactivate, free_port, jobs_of_kind, set_email, with_smtp

BASE = "https://sopflow.example.go.id"


def _addresses(database, make_user) -> None:
    make_user("fani", lanes=["Pemeriksa"], units=["U1"])
    make_user("eko", lanes=["Pemeriksa"], units=["U1"])
    deactivate(database, "eko")
    set_email(database, "eko", "eko@diskominfo.example.go.id")
    set_email(database, "ani", "ani@diskominfo.example.go.id")
    set_email(database, "budi", "budi@diskominfo.example.go.id")
    set_email(database, "cici", "cici@diskominfo.example.go.id")
    set_email(database, "fani", "fani@diskominfo.example.go.id", enabled=False)  # switched e-mail off


def _notes(engine: Engine, username: str, kind: str | None = None) -> list[dict]:
    return [n for n in engine.notifications_for(username) if kind is None or n["kind"] == kind]


def test_ready_tasks_notify_the_lane_and_unit_in_app_and_by_mail_once(
    database, settings, mini, make_user, smtp: SmtpServer, clock
):
    _addresses(database, make_user)
    engine = Engine(database, with_smtp(settings, smtp.port), clock=clock)
    outcome = engine.start_instance(StartInstance("mini", "ani", "2026-TW3", {"daftar_unit": [{"unit": "U1"}]}))
    (isi,) = outcome.open_tasks
    # lane Pengusul: ani (address) and dodi (no address)
    (note,) = _notes(engine, "ani", "task_ready")
    assert (note["task_id"], note["email_status"], note["read"]) == (isi["task_id"], "terkirim", False)
    assert note["link"] == f"{BASE}/tugas/{isi['task_id']}"
    assert [n["email_status"] for n in _notes(engine, "dodi")] == ["tanpa_alamat"]
    (mail,) = smtp.mail.to("ani@diskominfo.example.go.id")
    assert mail["Subject"] == "Tugas baru: Isi angka — 2026-TW3"
    assert mail["From"] == "sopflow@diskominfo.example.go.id"
    assert f"{BASE}/tugas/{isi['task_id']}" in mail.get_content()
    assert "2026-TW3" in mail.get_content()

    outcome = engine.complete_user_task(CompleteUserTask(isi["task_id"], "ani", {"angka": 5}))
    (unit_task,) = outcome.open_tasks  # Periksa per unit [U1], lane Pemeriksa, unit U1
    for user in ("budi", "cici", "fani"):
        (note,) = _notes(engine, user, "task_ready")
        assert note["task_id"] == unit_task["task_id"]
    assert _notes(engine, "eko") == []  # inactive
    assert _notes(engine, "fani")[0]["email_status"] == "nonaktif"
    assert smtp.mail.to("fani@diskominfo.example.go.id") == []
    assert smtp.mail.to("eko@diskominfo.example.go.id") == []
    for user in ("budi", "cici"):
        (mail,) = smtp.mail.to(f"{user}@diskominfo.example.go.id")
        assert mail["Subject"] == "Tugas baru: Periksa per unit [U1] — 2026-TW3"
        assert f"{BASE}/tugas/{unit_task['task_id']}" in mail.get_content()
        assert _notes(engine, user)[0]["email_status"] == "terkirim"

    # duplicate messages and later rounds send nothing again
    for job in jobs_of_kind(database, SEND_EMAIL):
        assert engine.run_job(job.id).outcome == "skipped"
    clock.set(clock.now + timedelta(minutes=10))
    engine.tick()
    assert len(smtp.mail.messages) == 3
    assert engine.mark_notifications_read("budi") == 1
    assert _notes(engine, "budi")[0]["read"] is True


def test_per_unit_tasks_notify_only_members_of_that_unit(database, settings, mini, make_user, smtp, clock):
    set_email(database, "budi", "budi@diskominfo.example.go.id")
    set_email(database, "cici", "cici@diskominfo.example.go.id")
    engine = Engine(database, with_smtp(settings, smtp.port), clock=clock)
    data = {"daftar_unit": [{"unit": "U1"}, {"unit": "U2"}]}
    outcome = engine.start_instance(StartInstance("mini", "ani", "2026-TW3", data))
    outcome = engine.complete_user_task(CompleteUserTask(outcome.open_tasks[0]["task_id"], "ani", {"angka": 5}))
    by_unit = {t["unit"]: t["task_id"] for t in outcome.open_tasks}
    assert sorted(n["task_id"] for n in _notes(engine, "budi")) == sorted(by_unit.values())
    assert [n["task_id"] for n in _notes(engine, "cici")] == [by_unit["U1"]]
    assert len(smtp.mail.to("budi@diskominfo.example.go.id")) == 2
    (mail,) = smtp.mail.to("cici@diskominfo.example.go.id")
    assert "[U1]" in mail["Subject"]


def test_smtp_down_retries_then_fails_visibly_and_a_retry_sends_it(database, settings, mini, clock):
    port = free_port()  # nothing listens here
    set_email(database, "ani", "ani@diskominfo.example.go.id")
    engine = Engine(database, with_smtp(settings, port), clock=clock)
    outcome = engine.start_instance(StartInstance("mini", "ani", "2026-TW3", {"daftar_unit": [{"unit": "U1"}]}))
    assert outcome.status == "berjalan"  # the command itself never waits for or fails on mail
    (job,) = jobs_of_kind(database, SEND_EMAIL)
    assert (job.status, job.attempts) == ("pending", 1)
    assert f"127.0.0.1:{port}" in (job.last_error or "")
    assert _notes(engine, "ani")[0]["email_status"] == "menunggu"
    rounds = 0
    while jobs_of_kind(database, SEND_EMAIL)[0].status == "pending":
        rounds += 1
        assert rounds <= job.max_attempts, "the e-mail job never gave up"
        clock.set(clock.now + timedelta(minutes=10))
        engine.tick()  # the sweeper sends the due retry; the inline transport runs it
    (job,) = jobs_of_kind(database, SEND_EMAIL)
    assert (job.status, job.attempts) == ("failed", job.max_attempts)
    (note,) = _notes(engine, "ani")
    assert note["email_status"] == "gagal" and note["email_error"] == job.last_error
    assert f"SMTP 127.0.0.1:{port}" in note["email_error"]
    assert [j["job_id"] for j in engine.open_jobs()] == [job.id]

    server = SmtpServer(port)  # the mail server is back
    server.start()
    try:
        engine.retry_job(job.id, "ani")
        (mail,) = server.mail.to("ani@diskominfo.example.go.id")
        assert mail["Subject"].startswith("Tugas baru: Isi angka")
        (note,) = _notes(engine, "ani")
        assert (note["email_status"], note["email_error"]) == ("terkirim", None)
        assert engine.open_jobs() == []
    finally:
        server.stop()


def test_due_soon_and_overdue_reminders_reach_the_claimant_once(database, settings, mini, smtp, clock):
    for user in ("ani", "dodi", "budi"):
        set_email(database, user, f"{user}@diskominfo.example.go.id")
    engine = Engine(database, with_smtp(settings, smtp.port), clock=clock)
    outcome = engine.start_instance(StartInstance("mini", "ani", "2026-TW3", {"daftar_unit": [{"unit": "U1"}]}))
    (task,) = outcome.open_tasks
    engine.claim_task(ClaimTask(task["task_id"], "ani"))
    due = task["due_at"]
    assert due is not None

    clock.set(due - timedelta(hours=25))
    assert engine.tick()["reminded"] == 0
    for minutes in (0, 1, 30, 60):
        clock.set(due - timedelta(hours=23) + timedelta(minutes=minutes))
        engine.tick()
    for minutes in (1, 2, 90, 60 * 24):
        clock.set(due + timedelta(minutes=minutes))
        engine.tick()

    assert [n["kind"] for n in _notes(engine, "ani") if n["kind"] != "task_ready"] == ["overdue", "due_soon"]
    assert [n["kind"] for n in _notes(engine, "dodi")] == ["task_ready"]  # not the claimant
    subjects = [m["Subject"] for m in smtp.mail.to("ani@diskominfo.example.go.id")]
    assert len(subjects) == 3
    assert subjects[0].startswith("Tugas baru: Isi angka")
    assert subjects[1].startswith("Pengingat: tugas 'Isi angka' jatuh tempo")
    # dates are written the Indonesian way, e.g. "jatuh tempo 26 November 2026 16:00 WITA"
    assert re.search(
        r"jatuh tempo \d{1,2} (Januari|Februari|Maret|April|Mei|Juni|Juli|Agustus|September|Oktober|"
        r"November|Desember) \d{4} \d{2}:\d{2} \w+",
        subjects[1],
    ), subjects[1]
    assert subjects[2] == "Terlambat: tugas 'Isi angka' melewati tenggat"
    with engine.db.reading() as session:
        assert session.query(Notification).filter_by(task_id=task["task_id"], username="ani").count() == 3


@pytest.fixture
def mini_with_notice_lane(tmp_path, engine, mini):
    """Publish a version of ``mini`` whose escalations are announced to lane "Pimpinan"."""
    folder = tmp_path / "mini_eskalasi"
    shutil.copytree(MINI.parent, folder)
    bpmn = folder / MINI.name
    text = bpmn.read_text(encoding="utf-8")
    marker = '<spiffworkflow:property name="sopflow.atasan.Pengusul" value="Pemeriksa"/>'
    assert marker in text
    notice = '<spiffworkflow:property name="sopflow.notifikasi.eskalasi" value="Pimpinan"/>'
    bpmn.write_text(text.replace(marker, marker + notice), encoding="utf-8")
    return engine.publish_process(bpmn, "ani", note="eskalasi ke Pimpinan")


def test_escalation_notifies_the_lane_the_process_names_once(
    database, settings, mini_with_notice_lane, make_user, smtp, clock
):
    make_user("pimpinan", lanes=["Pimpinan"])
    set_email(database, "pimpinan", "pimpinan@diskominfo.example.go.id")
    set_email(database, "budi", "budi@diskominfo.example.go.id")
    engine = Engine(database, with_smtp(settings, smtp.port), clock=clock)
    outcome = engine.start_instance(StartInstance("mini", "ani", "2026-TW3", {"daftar_unit": [{"unit": "U1"}]}))
    (task,) = outcome.open_tasks
    clock.set(task["due_at"] + timedelta(hours=1))
    for _ in range(4):
        engine.tick()
        clock.set(clock.now + timedelta(hours=6))
    (note,) = _notes(engine, "pimpinan")
    assert note["kind"] == "escalated" and note["task_id"] == task["task_id"]
    assert note["subject"] == "Eskalasi: tugas 'Isi angka' periode 2026-TW3 terlambat"
    assert "dieskalasi ke Pemeriksa" in note["body"]  # the superior lane is still the one escalated to
    assert [n["kind"] for n in _notes(engine, "budi")] == []  # the superior lane is not the notice lane
    (mail,) = smtp.mail.to("pimpinan@diskominfo.example.go.id")
    assert mail["Subject"] == note["subject"]
