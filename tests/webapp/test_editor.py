"""The process editor pages (/proses): who may open them, drafts, upload, publish, download, compare, migrate."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from docx import Document
from flask.testing import FlaskClient

from sopflow.queries import inbox
from sopflow.settings import PROJECT_ROOT

from .conftest import csrf_token, post

PROCESS = "monev_kinerja"
SOURCE = (PROJECT_ROOT / "processes" / "monev_kinerja.bpmn").read_text(encoding="utf-8")
WAKTU_7 = '<spiffworkflow:property name="sop.step" value="5"/>\n          <spiffworkflow:property name="sop.persyaratan" value="Blanko Monev"/>\n          <spiffworkflow:property name="sop.waktu" value="7"/>'  # noqa: E501
LANE_REF = "<bpmn:flowNodeRef>langkah05_monitoring</bpmn:flowNodeRef>"
HOSTILE = (
    '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;</bpmn:definitions>'
)


def waktu_5() -> str:
    assert WAKTU_7 in SOURCE
    return SOURCE.replace(WAKTU_7, WAKTU_7.replace('value="7"', 'value="5"'))


def outside_lane() -> str:
    assert LANE_REF in SOURCE
    return SOURCE.replace(LANE_REF, "")


def save(client: FlaskClient, bpmn_xml: str, *, token: bool = True) -> Any:
    headers = {"X-CSRFToken": csrf_token(client, "/kasus")} if token else {}
    return client.post(f"/proses/{PROCESS}/draf", json={"bpmn_xml": bpmn_xml}, headers=headers)


def upload(client: FlaskClient, content: bytes, filename: str = "monev_kinerja.bpmn") -> Any:
    return post(
        client,
        f"/proses/{PROCESS}/unggah",
        {"berkas": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def editor_data(client: FlaskClient) -> dict[str, Any]:
    page = client.get(f"/proses/{PROCESS}/editor")
    assert page.status_code == 200
    found = re.search(r'<script type="application/json" id="editor-data">(.*?)</script>', page.get_data(as_text=True))
    assert found
    return json.loads(found.group(1))


@pytest.fixture
def owner(login_as, demo_users) -> FlaskClient:
    return login_as("sekretaris")


# -- access ---------------------------------------------------------------------------------------
def test_anonymous_visitors_are_sent_to_login(client: FlaskClient, demo_users) -> None:
    response = client.get("/proses/")
    assert response.status_code == 302
    assert "/masuk" in response.headers["Location"]


@pytest.mark.parametrize("username", ["kabid_ikp", "inspektorat"])
def test_actors_and_auditors_get_403_everywhere(login_as, demo_users, username: str) -> None:
    client = login_as(username)
    assert 'data-testid="nav-processes"' not in client.get("/kasus").get_data(as_text=True)
    for path in (
        "/proses/",
        f"/proses/{PROCESS}/editor",
        f"/proses/{PROCESS}/unduh",
        f"/proses/{PROCESS}/sop.docx",
        f"/proses/{PROCESS}/banding?dari=1&ke=1",
        f"/proses/{PROCESS}/migrasi?ke=1",
    ):
        assert client.get(path).status_code == 403, path
    assert save(client, SOURCE).status_code == 403
    assert post(client, f"/proses/{PROCESS}/terbitkan", {"catatan": "x"}).status_code == 403
    assert upload(client, SOURCE.encode()).status_code == 403
    assert post(client, f"/proses/{PROCESS}/migrasi?ke=1", {"case_id": "x"}).status_code == 403


def test_admin_may_open_the_editor(login_as, demo_users) -> None:
    client = login_as("admin")
    assert client.get("/proses/").status_code == 200
    assert client.get(f"/proses/{PROCESS}/editor").status_code == 200


# -- list and editor page -------------------------------------------------------------------------
def test_index_lists_versions_with_draft_status(owner: FlaskClient) -> None:
    html = owner.get("/proses/").get_data(as_text=True)
    assert 'data-testid="nav-processes"' in html
    assert f'data-process-id="{PROCESS}"' in html
    assert "tidak ada draf" in html
    assert 'data-testid="version-row" data-version="1"' in html
    assert save(owner, waktu_5()).status_code == 200
    html = owner.get("/proses/").get_data(as_text=True)
    assert "draf: Sekretaris Dinas (contoh)" in html  # who, by full name
    assert "dari versi 1" in html


def test_editor_opens_the_latest_version_with_modeler_and_handlers(owner: FlaskClient) -> None:
    page = owner.get(f"/proses/{PROCESS}/editor").get_data(as_text=True)
    assert '<meta name="csrf-token"' in page
    assert "bpmn-modeler.production.min.js" in page
    assert "bpmn-viewer.production.min.js" not in page  # one bundle per page
    assert "Belum ada draf" in page
    data = editor_data(owner)
    assert data["xml"] == SOURCE
    assert data["problems"] == []
    assert {"generate_format_isian", "render_report_docx", "archive_documents"} <= set(data["handlers"])
    assert data["satuan"] == ["hari kerja", "hari", "jam"]


def test_unknown_process_is_404(owner: FlaskClient) -> None:
    assert owner.get("/proses/tidak_ada/editor").status_code == 404
    assert owner.get("/proses/tidak_ada/unduh").status_code == 404


# -- drafts -----------------------------------------------------------------------------------------
def test_save_draft_needs_the_csrf_header(owner: FlaskClient, engine) -> None:
    assert save(owner, waktu_5(), token=False).status_code == 400
    with engine.db.reading() as session:
        assert inbox.draft_of(session, PROCESS) is None


def test_save_draft_returns_problems_and_editor_loads_the_draft(owner: FlaskClient, engine) -> None:
    response = save(owner, waktu_5())
    assert response.status_code == 200
    body = response.get_json()
    assert body["valid"] is True
    assert body["problems"] == []
    assert body["saved_at"]
    data = editor_data(owner)
    assert 'name="sop.waktu" value="5"' in data["xml"]

    response = save(owner, outside_lane())
    assert response.status_code == 200
    body = response.get_json()
    assert body["valid"] is False
    assert any(p["element"] == "langkah05_monitoring" for p in body["problems"])
    data = editor_data(owner)  # the invalid draft is kept, and its problems are shown on opening
    assert LANE_REF not in data["xml"]
    assert any(p["element"] == "langkah05_monitoring" for p in data["problems"])


@pytest.mark.parametrize("payload", [None, {}, {"bpmn_xml": ""}, {"bpmn_xml": 5}, ["x"]])
def test_save_draft_rejects_bad_payloads(owner: FlaskClient, payload: Any) -> None:
    headers = {"X-CSRFToken": csrf_token(owner, "/kasus")}
    response = owner.post(f"/proses/{PROCESS}/draf", json=payload, headers=headers)
    assert response.status_code == 400
    assert "bpmn_xml" in response.get_json()["error"]


def test_save_draft_refuses_hostile_xml(owner: FlaskClient, engine) -> None:
    response = save(owner, HOSTILE)
    assert response.status_code == 422
    assert response.get_json()["error"]
    with engine.db.reading() as session:
        assert inbox.draft_of(session, PROCESS) is None


# -- upload ------------------------------------------------------------------------------------------
def test_upload_valid_file_becomes_the_draft(owner: FlaskClient, engine) -> None:
    response = upload(owner, waktu_5().encode("utf-8"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/proses/{PROCESS}/editor")
    assert "menjadi draf" in owner.get(response.headers["Location"]).get_data(as_text=True)
    with engine.db.reading() as session:
        assert 'name="sop.waktu" value="5"' in inbox.draft_of(session, PROCESS)["bpmn_xml"]


def test_upload_invalid_process_is_kept_with_a_warning(owner: FlaskClient) -> None:
    response = upload(owner, outside_lane().encode("utf-8"))
    assert response.status_code == 302
    html = owner.get(response.headers["Location"]).get_data(as_text=True)
    assert "masih ada" in html and "masalah" in html


@pytest.mark.parametrize(
    ("content", "filename", "expected"),
    [
        (HOSTILE.encode(), "jahat.bpmn", "Berkas tidak diterima"),
        (b"<bpmn:definitions><belum-ditutup>", "rusak.bpmn", "Berkas tidak diterima"),
        (b"\xff\xfe\x00bukan utf8", "biner.bpmn", "bukan teks UTF-8"),
        (SOURCE.encode(), "proses.docx", "bukan berkas BPMN"),
    ],
)
def test_upload_refuses_hostile_malformed_or_wrong_files(
    owner: FlaskClient, engine, content: bytes, filename: str, expected: str
) -> None:
    response = upload(owner, content, filename)
    assert response.status_code == 422
    assert expected in response.get_data(as_text=True)
    with engine.db.reading() as session:
        assert inbox.draft_of(session, PROCESS) is None


def test_upload_without_file(owner: FlaskClient) -> None:
    response = post(owner, f"/proses/{PROCESS}/unggah", {}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Pilih berkas .bpmn" in response.get_data(as_text=True)


# -- publish, download, compare ------------------------------------------------------------------------
def test_publish_needs_a_note_and_a_valid_draft(owner: FlaskClient) -> None:
    response = post(owner, f"/proses/{PROCESS}/terbitkan", {"catatan": "tanpa draf"})
    assert response.status_code == 409
    assert "Belum ada draf" in response.get_data(as_text=True)

    assert save(owner, outside_lane()).status_code == 200
    response = post(owner, f"/proses/{PROCESS}/terbitkan", {"catatan": "  "})
    assert response.status_code == 422
    assert "Catatan perubahan wajib diisi" in response.get_data(as_text=True)
    response = post(owner, f"/proses/{PROCESS}/terbitkan", {"catatan": "lane hilang"})
    assert response.status_code == 422
    assert "langkah05_monitoring" in response.get_data(as_text=True)


def test_publish_download_and_compare(owner: FlaskClient, engine) -> None:
    assert save(owner, waktu_5()).status_code == 200
    response = post(owner, f"/proses/{PROCESS}/terbitkan", {"catatan": "Waktu langkah 5 menjadi 5 hari kerja"})
    assert response.status_code == 302
    assert "Versi 2 proses monev_kinerja diterbitkan" in owner.get(response.headers["Location"]).get_data(as_text=True)
    with engine.db.reading() as session:
        assert inbox.draft_of(session, PROCESS) is None
        assert [v["version"] for v in inbox.process_versions(session, PROCESS)] == [2, 1]

    latest = owner.get(f"/proses/{PROCESS}/unduh")
    assert latest.status_code == 200
    assert 'filename="monev_kinerja-v2.bpmn"' in latest.headers["Content-Disposition"]
    assert 'name="sop.waktu" value="5"' in latest.get_data(as_text=True)
    first = owner.get(f"/proses/{PROCESS}/unduh?versi=1")
    assert first.get_data(as_text=True) == SOURCE
    assert save(owner, outside_lane()).status_code == 200
    draft = owner.get(f"/proses/{PROCESS}/unduh")
    assert 'filename="monev_kinerja-draf.bpmn"' in draft.headers["Content-Disposition"]
    assert owner.get(f"/proses/{PROCESS}/unduh?versi=abc").status_code == 400
    assert owner.get(f"/proses/{PROCESS}/unduh?versi=9").status_code == 404

    page = owner.get(f"/proses/{PROCESS}/banding?dari=1&ke=2")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # people read the step's name and the property in Indonesian; the id stays beside it for the modeller
    assert 'Melaksanakan monitoring <code class="muted">langkah05_monitoring</code>: waktu (Mutu Baku) 7 → 5' in html
    assert "bpmn-viewer.production.min.js" in html
    found = re.search(r'<script type="application/json" id="compare-data">(.*?)</script>', html)
    data = json.loads(found.group(1))
    assert "langkah05_monitoring" in data["new"]["changed"]
    assert data["old"]["xml"] == SOURCE
    assert owner.get(f"/proses/{PROCESS}/banding").status_code == 200  # defaults: previous → latest


def test_sop_document_opens_with_python_docx(owner: FlaskClient) -> None:
    response = owner.get(f"/proses/{PROCESS}/sop.docx")
    assert response.status_code == 200
    assert response.mimetype.endswith("wordprocessingml.document")
    document = Document(io.BytesIO(response.data))
    text = "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    text += "\n".join(p.text for p in document.paragraphs)
    assert "002/SOP/Diskominfo/BLG/2023" in text
    assert owner.get(f"/proses/{PROCESS}/sop.docx?versi=1").status_code == 200
    assert owner.get(f"/proses/{PROCESS}/sop.docx?versi=7").status_code == 404


# -- migration ---------------------------------------------------------------------------------------------
def test_migration_preview_and_confirm(owner: FlaskClient, demo_case: dict[str, Any]) -> None:
    assert save(owner, waktu_5()).status_code == 200
    assert post(owner, f"/proses/{PROCESS}/terbitkan", {"catatan": "waktu 5"}).status_code == 302
    page = owner.get(f"/proses/{PROCESS}/migrasi?ke=2")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'data-case-id="{demo_case["case_id"]}"' in html
    assert post(owner, f"/proses/{PROCESS}/migrasi?ke=2", {}).status_code == 422
    response = post(owner, f"/proses/{PROCESS}/migrasi?ke=2", {"case_id": demo_case["case_id"]})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-testid="migrate-results"' in html
    assert "dipindahkan dari versi 1" in html
