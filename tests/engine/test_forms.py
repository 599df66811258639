"""Form data is validated against the task's JSON Schema and validator handler before anything is saved."""

from __future__ import annotations

import pytest

from sopflow import CompleteUserTask, InvalidForm, Upload
from sopflow.persistence.models import Case
from sopflow.queries.inbox import documents_of_case, timeline_for_case


def state_of(engine, case_id):
    """Version, state, the events other than refusals (a refusal is recorded, see below) and documents."""
    with engine.db.reading() as session:
        case = session.get(Case, case_id)
        events = [e for e in timeline_for_case(session, case_id) if e["kind"] != "form_refused"]
        return case.version, case.state, len(events), documents_of_case(session, case_id)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "angka", "wajib diisi"),
        ({"angka": "tiga"}, "angka", "seharusnya bilangan bulat"),
        ({"angka": -1}, "angka", "tidak boleh kurang dari 0"),
        ({"angka": 1, "liar": 2}, "liar", "tidak dikenal"),
        ({"angka": 99}, "angka", "Angka 99 dilarang"),
    ],
)
def test_bad_form_gives_field_errors_and_changes_nothing(engine, start, data, field, message):
    outcome = start()
    task = outcome.open_tasks[0]
    before = state_of(engine, outcome.case_id)
    with pytest.raises(InvalidForm) as err:
        engine.complete_user_task(CompleteUserTask(task["task_id"], "ani", data))
    assert message in " ".join(err.value.field_errors()[field])
    assert state_of(engine, outcome.case_id) == before
    with engine.db.reading() as session:  # the refusal itself is in the audit record, by who sent it
        refused = timeline_for_case(session, outcome.case_id)[-1]
    assert (refused["kind"], refused["actor"], refused["data"]["alasan"]) == ("form_refused", "ani", err.value.message)


def test_upload_is_checked_stored_and_referenced(engine, start):
    outcome = start()
    task = outcome.open_tasks[0]
    with pytest.raises(InvalidForm, match="belum benar") as err:
        engine.complete_user_task(
            CompleteUserTask(task["task_id"], "ani", {"angka": 1}, {"lampiran": Upload("data.csv", b"a,b")})
        )
    assert "harus berformat .xlsx" in err.value.field_errors()["lampiran"][0]
    with pytest.raises(InvalidForm) as err:
        engine.complete_user_task(
            CompleteUserTask(task["task_id"], "ani", {"angka": 1}, {"lampiran": Upload("besar.xlsx", b"x" * 3000)})
        )
    assert "terlalu besar" in err.value.field_errors()["lampiran"][0]
    with pytest.raises(InvalidForm) as err:
        engine.complete_user_task(CompleteUserTask(task["task_id"], "ani", {"angka": 1, "lampiran": {"sha256": "0"}}))
    assert "harus diunggah" in err.value.field_errors()["lampiran"][0]
    engine.complete_user_task(
        CompleteUserTask(task["task_id"], "ani", {"angka": 1}, {"lampiran": Upload("isian.xlsx", b"PK-isi")})
    )
    with engine.db.reading() as session:
        documents = documents_of_case(session, outcome.case_id)
        completed = next(e for e in timeline_for_case(session, outcome.case_id) if e["kind"] == "task_completed")
    upload = next(d for d in documents if d["kind"] == "unggahan")
    assert upload["filename"] == "isian.xlsx" and upload["size"] == 6
    assert completed["data"]["after"]["lampiran"]["sha256"] == upload["sha256"]
    assert engine.services.files.get(upload["sha256"]) == b"PK-isi"
