"""Process versions: drafts kept even when invalid, immutable publication, diffs, migrating running cases."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from sopflow import (
    CompleteUserTask,
    InvalidForm,
    InvalidProcess,
    MigrateCases,
    NotFound,
    PermissionDenied,
    PublishDraft,
    SaveDraft,
    StartInstance,
)
from sopflow.cli import main
from sopflow.persistence.models import AuditEvent, Case, ProcessVersion
from sopflow.queries.inbox import diff_versions, draft_of, timeline_for_case, version_detail

MINI_XML = (Path(__file__).parent / "data" / "mini.bpmn").read_text(encoding="utf-8")
ROOT = Path(__file__).resolve().parents[2]


def edited(*pairs: tuple[str, str], xml: str = MINI_XML) -> str:
    for old, new in pairs:
        assert old in xml, old
        xml = xml.replace(old, new, 1)
    return xml


#: v2 of the mini process: step 1's Waktu 2 → 5, step 4 renamed, the service step moved to lane Pemeriksa.
SAFE_EDIT = (
    ('<spiffworkflow:property name="sop.waktu" value="2"/>', '<spiffworkflow:property name="sop.waktu" value="5"/>'),
    ('<bpmn:userTask id="putuskan" name="Putuskan">', '<bpmn:userTask id="putuskan" name="Putuskan hasil">'),
    ("<bpmn:flowNodeRef>hitung</bpmn:flowNodeRef>", ""),
    (
        "<bpmn:flowNodeRef>gw</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>gw</bpmn:flowNodeRef><bpmn:flowNodeRef>hitung</bpmn:flowNodeRef>",
    ),
)


def without_step_one() -> str:
    """The mini process with step 1 (isi_angka) removed: the start goes straight to the service step."""
    xml = re.sub(r'<bpmn:userTask id="isi_angka".*?</bpmn:userTask>', "", MINI_XML, flags=re.S)
    return edited(
        ("<bpmn:flowNodeRef>isi_angka</bpmn:flowNodeRef>", ""),
        ('<bpmn:sequenceFlow id="f2" sourceRef="isi_angka" targetRef="hitung"/>', ""),
        ('sourceRef="mulai" targetRef="isi_angka"', 'sourceRef="mulai" targetRef="hitung"'),
        ('sourceRef="tambah_putaran" targetRef="isi_angka"', 'sourceRef="tambah_putaran" targetRef="hitung"'),
        (">f2<", ">f1</bpmn:incoming><bpmn:incoming>f_ulang<"),
        xml=xml,
    )


def publish(engine, xml: str, note: str = "perubahan uji", actor: str = "ani"):
    engine.save_draft(SaveDraft("mini", xml, actor))
    return engine.publish_draft(PublishDraft("mini", actor, note))


def open_task(outcome, element: str) -> dict:
    return next(t for t in outcome.open_tasks if t["element_id"] == element)


def case_fingerprint(engine, case_id: str) -> tuple:
    with engine.db.reading() as session:
        case = session.get_one(Case, case_id)
        events = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case_id))
        return case.process_version_id, case.version, case.state, events


# -- drafts ---------------------------------------------------------------------------------------
def test_valid_draft_is_saved_with_its_base_version(engine, mini):
    saved = engine.save_draft(SaveDraft("mini", edited(*SAFE_EDIT), "ani"))
    assert saved["process_id"] == "mini" and saved["valid"] is True and saved["problems"] == []
    assert saved["saved_at"] is not None
    with engine.db.reading() as session:
        draft = draft_of(session, "mini")
    assert draft["bpmn_xml"] == edited(*SAFE_EDIT) and draft["updated_by"] == "ani" and draft["base_version"] == 1


def test_invalid_draft_is_kept_and_problems_name_the_elements(engine, mini):
    xml = edited(('<spiffworkflow:property name="sop.output" value="Angka"/>', ""))
    saved = engine.save_draft(SaveDraft("mini", xml, "ani"))
    assert saved["valid"] is False
    assert {"element": "isi_angka", "message": "Mutu Baku belum lengkap: properti sop.output kosong"} in saved[
        "problems"
    ]
    assert engine.validate_bpmn("mini", xml) == saved["problems"]
    assert engine.validate_bpmn("mini", MINI_XML) == []
    with pytest.raises(InvalidProcess):
        engine.publish_draft(PublishDraft("mini", "ani", "coba"))
    with engine.db.reading() as session:
        assert draft_of(session, "mini")["bpmn_xml"] == xml  # the work is never lost
        assert [v.version for v in session.scalars(select(ProcessVersion))] == [1]


def test_other_process_id_is_a_problem(engine, mini):
    problems = engine.validate_bpmn("mini", MINI_XML.replace('process id="mini"', 'process id="lain"'))
    assert problems and problems[0]["element"] == "lain"


@pytest.mark.parametrize(
    "xml",
    [
        MINI_XML.replace("?>", '?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', 1).replace(
            'name="Isi angka"', 'name="&xxe;"'
        ),
        MINI_XML[:500],
    ],
    ids=["hostile", "malformed"],
)
def test_hostile_or_malformed_xml_is_refused_and_nothing_stored(engine, mini, xml):
    with pytest.raises(InvalidProcess):
        engine.save_draft(SaveDraft("mini", xml, "ani"))
    with engine.db.reading() as session:
        assert draft_of(session, "mini") is None
    assert engine.validate_bpmn("mini", xml)  # reported as problems, not raised


def test_only_process_owners_and_admins_edit_publish_and_migrate(engine, mini, make_user):
    make_user("adm", roles=("admin",))
    make_user("inspektur", roles=("auditor", "pemilik_proses"))
    for actor in ("budi", "inspektur"):
        with pytest.raises(PermissionDenied):
            engine.save_draft(SaveDraft("mini", MINI_XML, actor))
    engine.save_draft(SaveDraft("mini", edited(*SAFE_EDIT), "adm"))
    with pytest.raises(PermissionDenied):
        engine.publish_draft(PublishDraft("mini", "budi", "catatan"))
    assert engine.publish_draft(PublishDraft("mini", "adm", "oleh admin")).version == 2
    with pytest.raises(PermissionDenied):
        engine.migrate_cases(MigrateCases("mini", 2, "cici"))


# -- publication ----------------------------------------------------------------------------------
def test_publish_needs_a_note_and_a_draft(engine, mini):
    with pytest.raises(NotFound):
        engine.publish_draft(PublishDraft("mini", "ani", "catatan"))
    engine.save_draft(SaveDraft("mini", edited(*SAFE_EDIT), "ani"))
    with pytest.raises(InvalidForm) as err:
        engine.publish_draft(PublishDraft("mini", "ani", "   "))
    assert err.value.errors[0]["field"] == "note"


def test_new_cases_use_the_newest_version_while_running_ones_stay(engine, start):
    old_case = start("2026-TW1")
    published = publish(engine, edited(*SAFE_EDIT), "waktu langkah 1 menjadi 5 hari")
    assert published.version == 2
    new_case = engine.start_instance(StartInstance("mini", "ani", "2026-TW2", {"daftar_unit": [{"unit": "U1"}]}))
    with engine.db.reading() as session:
        assert draft_of(session, "mini") is None
        detail = version_detail(session, "mini", 2)
        versions = {c.id: c.process_version_id for c in session.scalars(select(Case))}
        ids = {v.version: v.id for v in session.scalars(select(ProcessVersion))}
    assert detail["note"] == "waktu langkah 1 menjadi 5 hari" and detail["created_by"] == "ani"
    assert detail["bpmn_xml"] == edited(*SAFE_EDIT) and len(detail["sha256"]) == 64
    assert detail["properties"]["sopflow.start_form"] == "forms/start.schema.json"
    assert versions == {old_case.case_id: ids[1], new_case.case_id: ids[2]}


def test_published_versions_are_never_updated(engine, start):
    """No code path updates a process_versions row: publishing appends, identical content reuses the latest."""
    with engine.db.reading() as session:
        before = session.get_one(ProcessVersion, 1)
        v1 = (before.bpmn_xml, before.sha256, before.note, before.created_by, before.created_at, before.spec_state)

    def refuse(*_args):
        raise AssertionError("a published version was updated")

    event.listen(ProcessVersion, "before_update", refuse)
    try:
        case = start()
        assert publish(engine, edited(*SAFE_EDIT)).version == 2
        assert publish(engine, edited(*SAFE_EDIT), "sama persis").version == 2  # identical: reused, not rewritten
        assert publish(engine, MINI_XML, "kembali ke isi semula").version == 3  # same as v1, yet a new version
        engine.migrate_cases(MigrateCases("mini", 3, "ani"))
    finally:
        event.remove(ProcessVersion, "before_update", refuse)
    with engine.db.reading() as session:
        after = session.get_one(ProcessVersion, 1)
        assert (after.bpmn_xml, after.sha256, after.note, after.created_by, after.created_at, after.spec_state) == v1
        rows = {v.version: v.id for v in session.scalars(select(ProcessVersion))}
        assert sorted(rows) == [1, 2, 3]
        assert session.get_one(Case, case.case_id).process_version_id == rows[3]
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "sopflow").rglob("*.py"))
    assert not re.search(r"update\(\s*ProcessVersion|UPDATE\s+process_versions", sources, flags=re.I)


# -- diff -------------------------------------------------------------------------------------------
def test_diff_names_elements_and_properties(engine, mini):
    xml = edited(
        *SAFE_EDIT,
        ('type="int" value="angka"/>', 'type="int" value="angka + 1"/>'),
        ('<spiffworkflow:property name="sopflow.atasan.Pengusul" value="Pemeriksa"/>', ""),
    )
    publish(engine, xml)
    publish(engine, without_step_one())
    with engine.db.reading() as session:
        diff = diff_versions(session, "mini", 1, 2)
        removal = diff_versions(session, "mini", 2, 3)
    changed = {c["element"]: c for c in diff["changed"]}
    assert diff["added"] == [] and diff["removed"] == []
    assert {"property": "sop.waktu", "before": "2", "after": "5"} in changed["isi_angka"]["changes"]
    assert changed["putuskan"]["name"] == "Putuskan hasil"
    assert {"property": "name", "before": "Putuskan", "after": "Putuskan hasil"} in changed["putuskan"]["changes"]
    assert {"property": "lane", "before": "Pengusul", "after": "Pemeriksa"} in changed["hitung"]["changes"]
    assert {"property": "service.param.angka", "before": "angka (int)", "after": "angka + 1 (int)"} in changed[
        "hitung"
    ]["changes"]
    assert diff["process_changes"] == [{"property": "sopflow.atasan.Pengusul", "before": "Pemeriksa", "after": None}]
    assert removal["removed"] == ["isi_angka", "f2"]
    assert {"property": "target", "before": "isi_angka", "after": "hitung"} in {
        c["element"]: c for c in removal["changed"]
    }["f1"]["changes"]


# -- migration --------------------------------------------------------------------------------------
def test_safe_change_migrates_cases_which_still_complete(engine, start):
    at_step_one = start("2026-TW1")
    at_units = start("2026-TW2")
    isi = open_task(at_units, "isi_angka")
    at_units = engine.complete_user_task(CompleteUserTask(isi["task_id"], "ani", {"angka": 3}))
    publish(engine, edited(*SAFE_EDIT))
    preview = engine.migration_preview("mini", 2)
    assert [(r["periode"], r["from_version"], r["can_migrate"], r["reason"]) for r in preview] == [
        ("2026-TW1", 1, True, None),
        ("2026-TW2", 1, True, None),
    ]
    before = case_fingerprint(engine, at_step_one.case_id)
    dry = engine.migrate_cases(MigrateCases("mini", 2, "ani", dry_run=True))
    assert [r["migrated"] for r in dry] == [False, False] and all(r["can_migrate"] for r in dry)
    assert case_fingerprint(engine, at_step_one.case_id) == before
    done = engine.migrate_cases(MigrateCases("mini", 2, "ani"))
    assert [r["migrated"] for r in done] == [True, True]
    assert engine.migration_preview("mini", 2) == []
    with engine.db.reading() as session:
        event_data = [e for e in timeline_for_case(session, at_step_one.case_id) if e["kind"] == "case_migrated"]
        v1, v2 = (version_detail(session, "mini", n)["sha256"] for n in (1, 2))
    assert event_data[0]["data"] == {"from_version": 1, "to_version": 2, "from_sha256": v1, "to_sha256": v2}
    assert event_data[0]["actor"] == "ani"
    # the case that was inside the multi-instance step finishes on the new version, its items intact
    units = [t for t in at_units.open_tasks if t["element_id"] == "periksa_unit"]
    assert sorted(t["unit"] for t in units) == ["U1", "U2"]
    for task in units:
        outcome = engine.complete_user_task(CompleteUserTask(task["task_id"], "budi", {"catatan": "baik"}))
    putus = open_task(outcome, "putuskan")
    assert putus["name"] == "Putuskan hasil"
    outcome = engine.complete_user_task(
        CompleteUserTask(putus["task_id"], "budi", {"keputusan": "setuju", "catatan_keputusan": "sesuai"})
    )
    assert outcome.status == "selesai"
    with engine.db.reading() as session:
        case = session.get_one(Case, at_units.case_id)
        assert case.result["daftar_unit"] == [{"unit": "U1", "catatan": "baik"}, {"unit": "U2", "catatan": "baik"}]
        assert case.result["hasil"]["nilai"] == 6
    isi = open_task(at_step_one, "isi_angka")
    outcome = engine.complete_user_task(CompleteUserTask(isi["task_id"], "ani", {"angka": 2}))
    assert outcome.status == "berjalan" and {t["element_id"] for t in outcome.open_tasks} == {"periksa_unit"}


def test_case_whose_current_step_is_removed_stays_with_the_reason(engine, start):
    case = start()
    publish(engine, without_step_one())
    before = case_fingerprint(engine, case.case_id)
    (row,) = engine.migration_preview("mini", 2)
    assert row["can_migrate"] is False and "isi_angka" in row["reason"] and "dihapus" in row["reason"]
    (result,) = engine.migrate_cases(MigrateCases("mini", 2, "ani"))
    assert result["migrated"] is False and result["reason"] == row["reason"]
    assert case_fingerprint(engine, case.case_id) == before
    isi = open_task(case, "isi_angka")  # still completable on its own version
    outcome = engine.complete_user_task(CompleteUserTask(isi["task_id"], "ani", {"angka": 2}))
    assert {t["element_id"] for t in outcome.open_tasks} == {"periksa_unit"}


def test_case_whose_history_holds_a_removed_step_stays(engine, start):
    case = start()
    isi = open_task(case, "isi_angka")
    engine.complete_user_task(CompleteUserTask(isi["task_id"], "ani", {"angka": 2}))
    publish(engine, without_step_one())
    before = case_fingerprint(engine, case.case_id)
    (result,) = engine.migrate_cases(MigrateCases("mini", 2, "ani", case_ids=(case.case_id,)))
    assert (
        result["migrated"] is False and result["reason"].startswith("Riwayat kasus") and "isi_angka" in result["reason"]
    )
    assert case_fingerprint(engine, case.case_id) == before


def test_cli_diff_and_migrate(engine, start, settings, monkeypatch, capsys):
    case = start()
    publish(engine, edited(*SAFE_EDIT))
    monkeypatch.setenv("DATABASE_URL", engine.db.url)
    base = ["--data-dir", str(settings.data_dir), "process"]
    assert main([*base, "diff", "1", "2", "--process", "mini"]) == 0
    out = capsys.readouterr().out
    assert "~ isi_angka (Isi angka)" in out and "sop.waktu: 2 → 5" in out and "lane: Pengusul → Pemeriksa" in out
    assert main([*base, "migrate", "--to", "2", "--process", "mini", "--dry-run", "--actor", "ani"]) == 0
    assert "uji coba" in capsys.readouterr().out
    assert case_fingerprint(engine, case.case_id)[0] == 1
    assert main([*base, "migrate", "--to", "2", "--process", "mini", "--actor", "ani"]) == 0
    assert "dipindahkan ke versi 2" in capsys.readouterr().out
