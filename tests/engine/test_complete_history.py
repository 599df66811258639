"""A case's history is complete and honest.

The step list shows every step in order, human and automatic; automatic steps are done by
"sistem" with the triggering user in ``data.dipicu_oleh`` (in a job and synchronously at
start alike); a refused form or upload leaves an audit event and changes nothing else.
"""

from __future__ import annotations

import json

import pytest

from sopflow import CompleteUserTask, InvalidForm, NotAssignee, StageUpload, StartInstance, Upload
from sopflow.audit.replay import replay_case
from sopflow.demo import ensure_users, load_script
from sopflow.persistence.models import Case
from sopflow.queries.cases import case_steps, timeline_for_case, verify_audit_chain
from sopflow.queries.inbox import case_summary, tasks_of_case
from sopflow.settings import PROJECT_ROOT


def _complete(engine, case_id, element, actor, data, unit=None):
    with engine.db.reading() as session:
        task = next(
            t
            for t in tasks_of_case(session, case_id)
            if t["element_id"] == element and t["state"] == "ready" and unit in (None, t["unit"])
        )
    return engine.complete_user_task(CompleteUserTask(task["task_id"], actor, data))


def _events(engine, case_id):
    with engine.db.reading() as session:
        return timeline_for_case(session, case_id)


def test_step_list_has_human_and_automatic_steps_in_order_with_who_did_them(engine, start):
    case_id = start().case_id
    _complete(engine, case_id, "isi_angka", "ani", {"angka": 4})
    _complete(engine, case_id, "periksa_unit", "budi", {"catatan": "baik"}, unit="U1")
    _complete(engine, case_id, "periksa_unit", "budi", {"catatan": "baik"}, unit="U2")
    _complete(engine, case_id, "putuskan", "budi", {"keputusan": "ulang", "catatan_keputusan": "ulangi"})
    with engine.db.reading() as session:
        steps = case_steps(session, case_id)
    rows = [(s["element_id"], s["kind"], s["actor_name"], s["dipicu_oleh"]) for s in steps]
    assert rows == [
        ("isi_angka", "manusia", "ani", None),
        ("hitung", "otomatis", "Sistem", "ani"),
        ("periksa_unit", "manusia", "budi", None),
        ("periksa_unit", "manusia", "budi", None),
        ("putuskan", "manusia", "budi", None),
        ("tambah_putaran", "otomatis", "Sistem", "budi"),
        ("isi_angka", "manusia", None, None),
    ]
    assert [s["step"] for s in steps] == [1, 2, 3, 3, 4, 4, 1]
    assert steps[1]["name"] == "Hitung" and steps[5]["name"] == "Tambah putaran"
    assert steps[-1]["state"] == "ready" and all(s["state"] == "completed" for s in steps[:-1])
    assert [s["seq"] for s in steps] == sorted(s["seq"] for s in steps)
    # the audit record says the same: automatic steps by "sistem", the trigger as its own field
    events = _events(engine, case_id)
    automatic = [e for e in events if e["kind"] in ("service_run", "script_run", "gateway_passed")]
    assert automatic and all(e["actor"] == "sistem" for e in automatic)
    assert [e["data"]["dipicu_oleh"] for e in automatic] == ["ani", "budi", "budi"]  # hitung, gw, tambah_putaran
    resumed = [e for e in events if e["kind"] == "engine_resumed"]
    assert resumed and all(e["data"]["dipicu_oleh"] == e["data"]["triggered_by"] == "ani" for e in resumed)
    assert next(e for e in events if e["kind"] == "task_completed")["actor"] == "ani"


def test_automatic_step_run_at_start_is_done_by_sistem_triggered_by_the_starter(engine):
    script = load_script(PROJECT_ROOT / "samples" / "monev_kinerja" / "demo.json")
    engine.publish_process(PROJECT_ROOT / script["process_file"], "sistem", "uji")
    ensure_users(engine, script)
    data = json.loads((PROJECT_ROOT / "samples" / "monev_kinerja" / "indikator_2026.json").read_text("utf-8"))
    outcome = engine.start_instance(
        StartInstance("monev_kinerja", "sekretaris", "2026-TW4", {k: data[k] for k in ("indikator", "kegiatan")})
    )
    events = _events(engine, outcome.case_id)
    run = next(e for e in events if e["kind"] == "service_run")
    assert run["element_id"] == "siapkan_format_isian"
    assert run["actor"] == "sistem" and run["data"]["dipicu_oleh"] == "sekretaris"
    assert next(e for e in events if e["kind"] == "case_started")["actor"] == "sekretaris"
    with engine.db.reading() as session:
        steps = case_steps(session, outcome.case_id)
    first, second = steps[0], steps[1]
    assert (first["element_id"], first["kind"], first["actor_name"]) == ("siapkan_format_isian", "otomatis", "Sistem")
    assert first["dipicu_oleh_name"] == "Sekretaris Dinas (contoh)"
    assert (second["element_id"], second["kind"], second["state"]) == ("langkah01_format_isian", "manusia", "ready")


def _state(engine, case_id):
    with engine.db.reading() as session:
        case = session.get(Case, case_id)
        tasks = [(t["task_id"], t["state"], t["claimed_by"]) for t in tasks_of_case(session, case_id)]
        return case.version, case.state, case.status, tasks, case_summary(session, case_id)["status"]


def test_refused_form_is_an_audit_event_and_changes_nothing(engine, start, settings):
    case_id = start().case_id
    before = _state(engine, case_id)
    count = len(_events(engine, case_id))
    with pytest.raises(InvalidForm):
        _complete(engine, case_id, "isi_angka", "ani", {"angka": 99})
    events = _events(engine, case_id)
    assert len(events) == count + 1
    refused = events[-1]
    assert (refused["kind"], refused["actor"], refused["element_id"]) == ("form_refused", "ani", "isi_angka")
    assert refused["data"]["pesan"] == "formulir ditolak: Angka 99 dilarang."
    assert refused["data"]["errors"] == [{"field": "angka", "message": "Angka 99 dilarang di sini."}]
    assert _state(engine, case_id) == before
    with engine.db.reading() as session:
        assert verify_audit_chain(session, case_id).intact
        # the step list stays the same: a refusal is not a step
        assert [s["element_id"] for s in case_steps(session, case_id)] == ["isi_angka"]
    # the case goes on, and replay accepts the refusal between the commands
    _complete(engine, case_id, "isi_angka", "ani", {"angka": 4})
    with engine.db.reading() as session:
        report = replay_case(session, engine.services.files, settings.templates_dir, case_id)
    assert report.matches, report.summary()


def test_rejected_upload_names_file_and_reason_and_changes_nothing(engine, start, settings):
    case_id = start().case_id
    before = _state(engine, case_id)
    upload = Upload("laporan.pdf", b"%PDF-1.4 bukan xlsx")
    with pytest.raises(InvalidForm) as refused:
        with engine.db.reading() as session:
            task = tasks_of_case(session, case_id)[0]
        engine.complete_user_task(CompleteUserTask(task["task_id"], "ani", {"angka": 4}, {"lampiran": upload}))
    reason = refused.value.field_errors()["lampiran"][0]
    event = _events(engine, case_id)[-1]
    assert (event["kind"], event["actor"], event["task_id"]) == ("upload_rejected", "ani", task["task_id"])
    assert event["data"]["filename"] == "laporan.pdf" and event["data"]["alasan"] == reason
    assert event["data"]["pesan"] == f"unggahan ditolak: laporan.pdf, {reason}"
    # the API's file upload (stage) leaves the same trace
    with pytest.raises(InvalidForm):
        engine.stage_upload(StageUpload(task["task_id"], "ani", "lampiran", Upload("besar.xlsx", b"x" * 5000)))
    event = _events(engine, case_id)[-1]
    assert (event["kind"], event["data"]["filename"]) == ("upload_rejected", "besar.xlsx")
    assert event["data"]["pesan"].startswith("unggahan ditolak: besar.xlsx, ")
    assert _state(engine, case_id) == before
    with engine.db.reading() as session:
        assert verify_audit_chain(session, case_id).intact
        report = replay_case(session, engine.services.files, settings.templates_dir, case_id)
    assert report.matches, report.summary()


def test_refusal_by_someone_who_may_not_act_leaves_no_event(engine, start, make_user):
    case_id = start().case_id
    count = len(_events(engine, case_id))
    make_user("eko", lanes=["Lain"])
    with engine.db.reading() as session:
        task = tasks_of_case(session, case_id)[0]
    with pytest.raises(NotAssignee):
        engine.complete_user_task(CompleteUserTask(task["task_id"], "eko", {"angka": 99}))
    assert len(_events(engine, case_id)) == count
