"""Audit pages (/audit) for the Inspektorat: read-only, every route, exports, and tampering named on the panels.

The case is the whole demo quarter (``sopflow.demo.run_demo``): finished, with the
Kepala Dinas's return at step 11, plus a second case (2026-TW4) waiting at step 2.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from docx import Document as DocxDocument
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from sopflow import ClaimTask, Engine
from sopflow.access import tokens
from sopflow.audit import history
from sopflow.queries import inbox
from tests.engine.test_audit_chain import tampering
from tests.webapp.conftest import csrf_token, post

AUDIT_ROUTES = ("/audit/kasus/{case}", "/audit/kasus/{case}/pada/1", "/audit/kasus/{case}/ekspor.csv",
                "/audit/kasus/{case}/kertas-kerja.docx", "/audit/kasus/{case}/bukti.zip")  # fmt: skip
_LOGOUT_FORM = re.compile(r'<form method="post" action="/keluar".*?</form>', re.S)
_DIAGRAM = re.compile(r'<script type="application/json" id="diagram-data">(.*?)</script>', re.S)

#: events of the demo case: 80 from people and the engine, plus 4 `engine_resumed` of the jobs that ran
#: the service steps after steps 2, 5, 10 and 11; +1 the Rekap Data Kinerja stored at step 3; +10 the
#: signing at step 12 (its task ready/claimed/completed, its job, 3 PDFs, the signed PDF, document_signed,
#: and its archive entry)
DEMO_EVENTS = 95


@pytest.fixture
def cases(engine: Engine, played_demo) -> dict[str, str]:
    """The played demo (tests/conftest.py): the finished case 2026-TW3 and the open case 2026-TW4, ids by periode."""
    with engine.db.reading() as session:
        return {c["periode"]: c["case_id"] for c in inbox.cases(session)} | {"selesai": played_demo.result.case_id}


def routes(case_id: str) -> list[str]:
    return ["/audit/"] + [route.format(case=case_id) for route in AUDIT_ROUTES]


def events_of(engine: Engine, case_id: str) -> list[dict[str, Any]]:
    """The case's events with their ids and hashes, as the evidence bundle carries them."""
    with engine.db.reading() as session:
        bundle = history.export_bundle(session, engine.services.files, case_id)
    lines = zipfile.ZipFile(io.BytesIO(bundle)).read("events.jsonl").decode().splitlines()
    return [json.loads(line) for line in lines]


def html(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def diagram(page: str) -> dict[str, Any]:
    return json.loads(_DIAGRAM.search(page).group(1))


# -- who may look -----------------------------------------------------------------------------------
def test_audit_pages_need_sign_in_and_an_audit_role(client, login_as, cases):
    case_id = cases["selesai"]
    for path in routes(case_id):
        response = client.get(path)
        assert response.status_code == 302 and "/masuk" in response.headers["Location"], path
    for username in ("kabid_ikp", "kadis"):  # actors, a lane head: no auditor, admin or owner role
        login_as(username)
        assert 'data-testid="nav-audit"' not in html(client, "/")
        for path in routes(case_id):
            assert client.get(path).status_code == 403, (username, path)


@pytest.mark.parametrize("username", ["inspektorat", "admin", "sekretaris"])
def test_auditor_admin_and_process_owner_see_every_audit_page(client, login_as, cases, username):
    login_as(username)
    assert 'data-testid="nav-audit"' in html(client, "/")
    for path in routes(cases["selesai"]):
        assert client.get(path).status_code == 200, path


def test_unknown_case_or_event_is_not_found(client, login_as, cases):
    login_as("inspektorat")
    for path in routes("tidak-ada")[1:]:
        assert client.get(path).status_code == 404, path
    assert client.get(f"/audit/kasus/{cases['selesai']}/pada/9999").status_code == 404


# -- read-only --------------------------------------------------------------------------------------
def test_audit_pages_carry_no_changing_form(client, login_as, cases):
    login_as("inspektorat")
    case_id = cases["selesai"]
    for path in ["/audit/", "/audit/?status=selesai", f"/audit/kasus/{case_id}", f"/audit/kasus/{case_id}/pada/10"]:
        page = html(client, path)
        assert len(_LOGOUT_FORM.findall(page)) == 1  # the site-wide sign-out button is the only POST form
        rest = _LOGOUT_FORM.sub("", page).lower()
        assert 'method="post"' not in rest and "method=post" not in rest, path
        assert "csrf_token" not in rest, path
        for form in re.findall(r"<form\b[^>]*>", rest):
            assert 'method="get"' in form, (path, form)
        assert not re.search(r"/tugas/[^\"]+/(klaim|lepas|alihkan|selesai)|/kasus/baru", rest), path
        assert re.findall(r"<button\b[^>]*>", rest) in ([], ['<button type="submit" data-testid="search-submit">']), (
            path
        )


def test_audit_routes_answer_only_get(client, login_as, cases):
    login_as("inspektorat")
    token = csrf_token(client, "/kasus")
    for path in routes(cases["selesai"]):
        assert client.post(path, data={"csrf_token": token}).status_code == 405, path
        for method in ("put", "patch", "delete"):
            assert getattr(client, method)(path, headers={"X-CSRFToken": token}).status_code == 405, (method, path)


def test_auditor_posts_to_every_action_route_are_refused(app: Flask, client, login_as, cases, engine):
    case_id = cases["2026-TW4"]
    with engine.db.reading() as session:
        task = next(t for t in inbox.tasks_of_case(session, case_id) if t["state"] == "ready")
    before = events_of(engine, case_id)
    login_as("inspektorat")
    actions = [
        rule
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and rule.endpoint not in ("auth.login", "auth.logout", "api.fallback")
    ]
    known = {"task_id": task["task_id"], "case_id": case_id, "field": "lembar_isian", "process_id": "monev_kinerja"}
    values = {name: known.get(name, "1") for rule in app.url_map.iter_rules() for name in rule.arguments}
    pages = {r.rule for r in actions if not r.rule.startswith("/api/")}
    assert {"/tugas/<task_id>/klaim", "/tugas/<task_id>/lepas", "/tugas/<task_id>/alihkan"} <= pages
    assert {"/tugas/<task_id>/selesai", "/kasus/baru"} <= pages
    for rule in actions:
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<{name}>", values[name])
        if path.startswith("/api/"):
            continue
        response = post(client, path, {"to_user": "kabid_ikp", "periode": "2027-TW1", "contoh": "1"})
        assert response.status_code == 403, (path, response.status_code)
    with app.extensions["sopflow"].db.unit_of_work() as session:
        bearer = {"Authorization": f"Bearer {tokens.issue_token(session, 'inspektorat')}"}
    for rule in actions:
        if rule.rule.startswith("/api/"):
            path = rule.rule
            for name in rule.arguments:
                path = path.replace(f"<{name}>", values[name])
            response = client.post(path, headers=bearer, json={"periode": "2027-TW1", "to_user": "kabid_ikp"})
            assert response.status_code == 403, (path, response.status_code)
    assert events_of(engine, case_id) == before  # nothing happened
    with engine.db.reading() as session:
        assert [c["periode"] for c in inbox.cases(session)] == ["2026-TW4", "2026-TW3"]


# -- search and the database-wide check -------------------------------------------------------------
def test_search_by_periode_status_actor_and_step(client, login_as, cases):
    login_as("inspektorat")

    def found(query: str) -> set[str]:
        return set(re.findall(r'data-testid="audit-case-row" data-case-id="(\w+)"', html(client, "/audit/" + query)))

    both = {cases["2026-TW3"], cases["2026-TW4"]}
    assert found("") == both
    assert found("?periode=2026-TW3") == {cases["2026-TW3"]}
    assert found("?status=berjalan") == {cases["2026-TW4"]}
    assert found("?status=selesai&pelaku=kadis") == {cases["2026-TW3"]}
    assert found("?pelaku=kadis&periode=2026-TW4") == set()
    assert found("?langkah=11") == {cases["2026-TW3"]}
    assert found("?langkah=2") == both
    page = html(client, "/audit/?pelaku=tidak_ada")
    assert 'data-testid="audit-empty"' in page and "Tidak ada kasus yang cocok" in page
    assert 'value="tidak_ada"' in page  # the search form keeps the entries


def test_database_integrity_panel_when_intact(client, login_as, cases, engine):
    login_as("inspektorat")
    page = html(client, "/audit/")
    assert 'data-testid="integrity-panel"' in page and 'data-intact="ya"' in page
    total = len(events_of(engine, cases["2026-TW3"])) + len(events_of(engine, cases["2026-TW4"]))
    with engine.db.reading() as session:  # sign-ins are audited too, in their own chain (_identitas)
        identity = session.execute(text("SELECT count(*) FROM audit_events WHERE case_id = '_identitas'")).scalar_one()
    assert identity >= 1
    assert f"Rantai audit utuh: {total + identity} peristiwa pada 3 kasus diperiksa." in page


def test_sign_ins_have_their_own_audit_page(client, login_as, cases):
    login_as("inspektorat")
    assert 'data-testid="identity-log-link"' in html(client, "/audit/")
    page = html(client, "/audit/identitas")
    assert 'data-intact="ya"' in page
    kinds = re.findall(r'data-testid="identity-event" data-kind="([a-z_]+)"', page)
    assert kinds and kinds[-1] == "identity_signed_in"  # the auditor's own sign-in, just now
    assert ">masuk<" in page and "Auditor Inspektorat (contoh)" in page
    login_as("kabid_ikp")
    assert client.get("/audit/identitas").status_code == 403  # auditors, process owners and admins only


# -- the timeline -----------------------------------------------------------------------------------
def test_timeline_shows_every_event_with_who_what_when_data_documents_and_hash(client, login_as, cases, engine):
    case_id = cases["selesai"]
    events = events_of(engine, case_id)
    login_as("inspektorat")
    first = html(client, f"/audit/kasus/{case_id}")
    page = first + html(client, f"/audit/kasus/{case_id}?halaman=2")  # 50 events a page
    rows = re.findall(r'data-testid="audit-event" data-seq="(\d+)"', page)
    assert [int(seq) for seq in rows] == [e["seq"] for e in events] and len(rows) == DEMO_EVENTS
    assert 'data-intact="ya"' in page and f"Rantai audit utuh: {DEMO_EVENTS} peristiwa pada 1 kasus diperiksa." in page
    assert "utuh" in re.findall(r'data-integrity="(\w[\w-]*)"', page)[0]
    for label in ("Kasus dimulai", "Tugas siap", "Diklaim", "Diselesaikan", "Langkah otomatis", "Skrip",
                  "Keputusan/percabangan", "Dokumen disimpan", "Kasus selesai"):  # fmt: skip
        assert f'data-testid="event-kind">{label}</td>' in page, label
    for e in events:
        assert f'title="{e["hash"]}" data-testid="event-hash">{e["hash"][:12]}…</code>' in page
        assert f'href="/audit/kasus/{case_id}/pada/{e["seq"]}"' in page
    # WITA time, the actor, the step and the data changed (before → after) of the disposisi
    first_done = next(e for e in events if e["kind"] == "task_completed")
    row = _row(page, first_done["seq"])
    assert "WITA" in row and "sekretaris" in row and '<td data-label="Langkah">1</td>' in row
    assert "<strong>disposisi</strong>" in row and "Mohon setiap Bidang mengisi format isian" in row
    assert 'class="audit-before"' in row and "→" in row
    script = _row(page, next(e["seq"] for e in events if e["kind"] == "script_run"))
    assert "<strong>putaran_revisi</strong>" in script and '<code data-testid="before">0</code>' in script
    claim = _row(page, next(e["seq"] for e in events if e["kind"] == "task_claimed"))
    assert '<td data-label="Langkah">1</td>' in claim  # the step comes from the task's "task_ready" event
    # documents: a download link (the existing /dokumen route) and the SHA-256 on the event row
    stored = [e for e in events if e["kind"] == "document_stored"]
    links = re.findall(r'href="(/dokumen/\w+/\d+)" data-testid="event-document-link">', page)
    assert len(links) == len(stored)
    for link, e in zip(links, stored, strict=True):
        response = client.get(link)
        assert response.status_code == 200
        assert hashlib.sha256(response.data).hexdigest() == e["data"]["sha256"]
        assert f'data-testid="event-document-sha256">{e["data"]["sha256"]}</code>' in page
    assert first.count('data-testid="audit-document" data-intact="ya"') == len(stored)


def _row(page: str, seq: int) -> str:
    start = page.index(f'id="event-{seq}"')
    return page[start : page.index("</tr>", start)]


# -- the case at a past moment ----------------------------------------------------------------------
def test_moment_shows_diagram_holders_documents_data_and_navigation(client, login_as, cases, engine):
    case_id = cases["selesai"]
    events = events_of(engine, case_id)
    login_as("inspektorat")
    ready01 = next(e for e in events if e["kind"] == "task_ready")
    early = html(client, f"/audit/kasus/{case_id}/pada/{ready01['seq']}")
    assert diagram(early)["active"] == ["langkah01_format_isian"]
    assert "siapkan_format_isian" in diagram(early)["completed"]
    assert diagram(early)["xml"].lstrip().startswith("<?xml")
    assert '<td data-label="Dipegang oleh" data-testid="moment-holder">(belum diklaim)</td>' in early

    claim = next(e for e in events if e["kind"] == "task_claimed" and e["element_id"] == "langkah02_pengumpulan_data")
    page = html(client, f"/audit/kasus/{case_id}/pada/{claim['seq']}")
    assert diagram(page)["active"] == ["langkah02_pengumpulan_data"] != diagram(early)["active"]
    assert "langkah01_format_isian" in diagram(page)["completed"]
    held = re.search(rf'data-task-id="{claim["task_id"]}">.*?data-testid="moment-holder">([^<]+)<', page, re.S)
    assert held.group(1) == claim["actor"]
    assert page.count('data-testid="moment-task"') == 5  # five Bidang
    assert page.count('data-testid="moment-document"') == 5  # the five format isian existed, no upload yet
    assert 'data-key="indikator"' in page and 'data-key="rekap"' not in page
    assert f'rel="prev" data-testid="moment-prev">‹ Sebelumnya (#{claim["seq"] - 1})' in page
    assert f'rel="next" data-testid="moment-next">Berikutnya (#{claim["seq"] + 1}) ›' in page
    assert f'<link rel="next" href="/audit/kasus/{case_id}/pada/{claim["seq"] + 1}">' in page
    assert f"peristiwa {claim['seq']} dari {DEMO_EVENTS}" in page and "ArrowRight" in page

    first = html(client, f"/audit/kasus/{case_id}/pada/1")
    assert '<a aria-disabled="true" data-testid="moment-prev">' in first and 'rel="prev"' not in first
    last = html(client, f"/audit/kasus/{case_id}/pada/{DEMO_EVENTS}")
    assert diagram(last)["active"] == [] and "langkah13_arsip" in diagram(last)["completed"]
    assert 'data-testid="moment-status">Selesai</span>' in last
    assert '<a aria-disabled="true" data-testid="moment-next">' in last
    assert 'data-key="putaran_revisi"' in last


def test_moment_marks_tasks_that_were_overdue_at_that_moment(client, login_as, cases, engine):
    case_id = cases["2026-TW4"]
    waiting = events_of(engine, case_id)[-1]["seq"]
    with engine.db.reading() as session:
        task = next(t for t in inbox.tasks_of_case(session, case_id) if t["state"] == "ready")
        member = inbox.lane_members(session, task["lane"], task["unit"])[0]["username"]
    later = Engine(engine.db, engine.settings, lambda: datetime.now(UTC).replace(tzinfo=None) + timedelta(days=60))
    later.claim_task(ClaimTask(task["task_id"], member))  # claimed two months later, long past the due date
    login_as("inspektorat")
    before = html(client, f"/audit/kasus/{case_id}/pada/{waiting}")
    assert diagram(before)["active"] == ["langkah02_pengumpulan_data"] and diagram(before)["overdue"] == []
    after = html(client, f"/audit/kasus/{case_id}/pada/{waiting + 1}")
    assert diagram(after)["overdue"] == ["langkah02_pengumpulan_data"]
    row = re.search(rf'<tr class="terlambat" data-testid="moment-task" [^>]*data-task-id="{task["task_id"]}">.*?</tr>',
                    after, re.S)  # fmt: skip
    assert row and f'data-testid="moment-holder">{member}<' in row.group(0) and "Terlambat" in row.group(0)


# -- exports ----------------------------------------------------------------------------------------
def test_csv_has_every_event(client, login_as, cases, engine):
    case_id = cases["selesai"]
    events = events_of(engine, case_id)
    login_as("inspektorat")
    response = client.get(f"/audit/kasus/{case_id}/ekspor.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert (
        "attachment" in response.headers["Content-Disposition"]
        and "2026-TW3" in response.headers["Content-Disposition"]
    )
    assert response.data.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert list(rows[0]) == ["seq", "waktu", "pelaku", "jenis", "langkah", "elemen", "tugas", "data", "hash"]
    assert len(rows) == len(events) == DEMO_EVENTS
    for row, e in zip(rows, events, strict=True):
        assert int(row["seq"]) == e["seq"] and row["pelaku"] == e["actor"] and row["hash"] == e["hash"]
        assert json.loads(row["data"]) == e["data"] and row["waktu"].endswith(" WITA")
        assert row["elemen"] == (e["element_id"] or "") and row["tugas"] == (e["task_id"] or "")
    assert rows[0]["jenis"] == "Kasus dimulai" and rows[-1]["jenis"] == "Kasus selesai"
    done = next(r for r in rows if r["jenis"] == "Diselesaikan")
    assert done["langkah"] == "1"


def test_working_paper_docx_opens_with_periode_integrity_timeline_and_documents(client, login_as, cases, engine):
    case_id = cases["selesai"]
    events = events_of(engine, case_id)
    login_as("inspektorat")
    response = client.get(f"/audit/kasus/{case_id}/kertas-kerja.docx")
    assert response.status_code == 200 and response.mimetype.endswith("wordprocessingml.document")
    document = DocxDocument(io.BytesIO(response.data))
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    cells = [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]
    assert "Kertas Kerja Audit" in paragraphs
    assert ["Periode", "2026-TW3"] in cells and ["Status", "Selesai"] in cells
    assert f"Rantai audit utuh: {DEMO_EVENTS} peristiwa pada 1 kasus diperiksa." in paragraphs
    timeline = [row for row in cells if len(row) == 8]
    assert timeline[0][0] == "#" and [int(r[0]) for r in timeline[1:]] == [e["seq"] for e in events]
    assert timeline[1][3] == "Kasus dimulai" and timeline[1][7] == events[0]["hash"][:16]
    assert all(r[1].endswith("WITA") for r in timeline[1:])
    shas = {e["data"]["sha256"] for e in events if e["kind"] == "document_stored"}
    assert shas <= {row[4] for row in cells if len(row) == 6}


def test_evidence_bundle_verifies_offline(client, login_as, cases, tmp_path):
    login_as("inspektorat")
    response = client.get(f"/audit/kasus/{cases['selesai']}/bukti.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    bundle = tmp_path / "bukti.zip"
    bundle.write_bytes(response.data)
    report = history.verify_bundle(bundle)
    assert report.intact, report.problems
    assert report.events == DEMO_EVENTS and report.cases == 1


# -- tampering --------------------------------------------------------------------------------------
def test_tampered_event_is_named_on_the_integrity_panels(client, login_as, cases, engine, database):
    case_id = cases["selesai"]
    events = events_of(engine, case_id)
    target = next(e for e in events if e["kind"] == "task_completed" and e["seq"] > 20)
    with tampering(database) as conn:
        conn.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE id = :id"), {"id": target["id"]})
    login_as("inspektorat")

    overview = html(client, "/audit/")
    assert 'data-intact="tidak"' in overview and "Rantai audit RUSAK" in overview
    assert f'data-testid="integrity-problem" data-case-id="{case_id}" data-seq="{target["seq"]}"' in overview
    assert f'href="/audit/kasus/{case_id}?peristiwa={target["seq"]}#event-{target["seq"]}"' in overview

    page = html(client, f"/audit/kasus/{case_id}") + html(client, f"/audit/kasus/{case_id}?halaman=2")
    assert f"peristiwa #{target['seq']} (id {target['id']})" in page
    assert "isi peristiwa tidak cocok dengan hash-nya" in page
    states = dict(re.findall(r'data-seq="(\d+)"\s+data-kind="\w+" data-integrity="([\w-]+)"', page))
    assert states[str(target["seq"])] == "rusak"
    assert {states[str(s)] for s in range(1, target["seq"])} == {"utuh"}
    assert {states[str(s)] for s in range(target["seq"] + 1, 81)} == {"tidak-terverifikasi"}
    assert _row(page, target["seq"]).count('data-testid="broken-event">RUSAK') == 1 and "mallory" in page

    assert 'data-testid="moment-broken"' not in html(client, f"/audit/kasus/{case_id}/pada/{target['seq'] - 1}")
    moment = html(client, f"/audit/kasus/{case_id}/pada/{target['seq']}")
    assert f'data-testid="moment-broken">Rantai audit kasus ini rusak mulai peristiwa #{target["seq"]}' in moment

    paper = DocxDocument(io.BytesIO(client.get(f"/audit/kasus/{case_id}/kertas-kerja.docx").data))
    text_ = "\n".join(p.text for p in paper.paragraphs)
    assert f"peristiwa #{target['seq']}" in text_ and "Rantai audit RUSAK" in text_


def test_deleted_event_is_named_by_the_gap(client, login_as, cases, engine, database):
    case_id = cases["selesai"]
    gone = events_of(engine, case_id)[9]
    with tampering(database) as conn:
        conn.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": gone["id"]})
    login_as("inspektorat")
    page = html(client, f"/audit/kasus/{case_id}")
    assert f"nomor urut {gone['seq'] + 1}, seharusnya {gone['seq']}" in page
    assert re.search(rf'data-seq="{gone["seq"] + 1}"\s+data-kind="\w+" data-integrity="rusak"', page)
    assert f'data-testid="event-count">({DEMO_EVENTS - 1} peristiwa)' in page


def test_changed_document_file_is_shown_and_blocks_the_bundle(client, login_as, cases, engine):
    case_id = cases["selesai"]
    with engine.db.reading() as session:
        document = inbox.documents_of_case(session, case_id, kind="unggahan")[0]
    path = engine.services.files.path_for(document["sha256"])
    path.chmod(0o644)
    path.write_bytes(path.read_bytes() + b"diubah")
    login_as("inspektorat")
    page = html(client, f"/audit/kasus/{case_id}")
    assert page.count('data-testid="audit-document" data-intact="tidak"') == 1
    assert 'data-testid="unreadable-documents"' in page and document["filename"] in page
    response = client.get(f"/audit/kasus/{case_id}/bukti.zip")
    assert response.status_code == 409 and document["filename"] in response.get_data(as_text=True)
