"""Auditors' view of the demo case: point-in-time state at every event, evidence bundle verified offline."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from sopflow.audit.history import case_at, export_bundle, verify_bundle
from sopflow.audit.replay import replay_case
from sopflow.cli import main
from sopflow.queries.inbox import timeline_for_case
from sopflow.settings import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "samples" / "monev_kinerja" / "demo.json"


@pytest.fixture
def demo_case(played_demo):
    """The finished demo case, copied from the session's live play (tests/conftest.py)."""
    return played_demo.result.case_id


def test_point_in_time_matches_the_state_recorded_at_every_command(engine, demo_case):
    with engine.db.reading() as session:
        events = timeline_for_case(session, demo_case)
        checked = 0
        # a completion leaves the service steps after it ready for a job: they are not people's tasks
        service_steps = {e["element_id"] for e in events if e["kind"] in ("service_run", "engine_resumed")}
        for event in events:
            moment = case_at(session, demo_case, event["seq"])
            assert moment["event"]["seq"] == event["seq"]
            if moment["snapshot_seq"] == event["seq"]:  # the last event of a command: compare with its snapshot
                ready = {name.removesuffix(" [child]") for name in moment["ready_in_snapshot"]}
                human_ready = {name for name in ready if name.startswith("langkah")} - service_steps
                assert human_ready == set(moment["active"]), event
                checked += 1
        final = case_at(session, demo_case, events[-1]["seq"])
    jobs = sum(1 for e in events if e["kind"] == "engine_resumed")
    assert jobs == 5  # the service steps after steps 2, 5, 10, 11 and the signature at 12 ran as jobs
    assert checked == 18 + jobs  # one snapshot per state-changing command: start + 17 completions (signature) + jobs
    assert final["status"] == "selesai" and final["active"] == []
    assert "langkah13_arsip" in final["completed"]
    assert final["data"]["putaran_revisi"] == 1


def test_point_in_time_shows_holders_documents_and_data_of_that_moment(engine, demo_case):
    with engine.db.reading() as session:
        events = timeline_for_case(session, demo_case)
        claim = next(
            e for e in events if e["kind"] == "task_claimed" and e["element_id"] == "langkah02_pengumpulan_data"
        )
        moment = case_at(session, demo_case, claim["seq"])
        early = case_at(session, demo_case, 3)
    holder = next(t for t in moment["open_tasks"] if t["task_id"] == claim["task_id"])
    assert holder["claimed_by"] == claim["actor"]
    assert {d["kind"] for d in moment["documents"]} == {"format_isian"}
    assert "rekap" not in moment["data"] and "indikator" in moment["data"]
    assert len(early["documents"]) <= len(moment["documents"])


def test_bundle_verifies_offline_and_fails_after_any_edit(engine, demo_case, tmp_path, capsys):
    with engine.db.reading() as session:
        data = export_bundle(session, engine.services.files, demo_case)
    bundle = tmp_path / "bukti.zip"
    bundle.write_bytes(data)
    report = verify_bundle(bundle)
    assert report.intact, report.problems
    assert main(["audit", "verify", "--bundle", str(bundle)]) == 0
    assert "utuh" in capsys.readouterr().out

    def edited(change) -> zipfile.Path:
        source = zipfile.ZipFile(io.BytesIO(data))
        members = {name: source.read(name) for name in source.namelist()}
        change(members)
        target = tmp_path / "ubah.zip"
        with zipfile.ZipFile(target, "w") as out:
            for name, content in members.items():
                out.writestr(name, content)
        return target

    def edit_event(members):
        lines = members["events.jsonl"].decode().splitlines()
        event = json.loads(lines[5])
        event["actor"] = "mallory"
        lines[5] = json.dumps(event)
        members["events.jsonl"] = ("\n".join(lines) + "\n").encode()

    def edit_document(members):
        name = next(n for n in members if n.startswith("documents/"))
        members[name] = members[name] + b"x"

    def drop_event(members):
        lines = members["events.jsonl"].decode().splitlines()
        del lines[3]
        members["events.jsonl"] = ("\n".join(lines) + "\n").encode()

    def edit_bpmn(members):
        members["process.bpmn"] = members["process.bpmn"].replace(b'value="15"', b'value="10"', 1)

    for change in (edit_event, edit_document, drop_event, edit_bpmn):
        broken = verify_bundle(edited(change))
        assert not broken.intact, change.__name__
    assert main(["audit", "verify", "--bundle", str(edited(edit_document))]) == 1


def test_replay_of_the_demo_case_matches(engine, demo_case):

    with engine.db.reading() as session:
        report = replay_case(session, engine.services.files, engine.settings.templates_dir, demo_case)
    assert report.matches, report.divergences
    assert report.commands == 18 + 5 and report.service_steps == 8  # people's commands (signature included) + 5 jobs
