"""Hostile requests and files get a clean, Indonesian refusal: never a 500 or a traceback.

Issue 11, failure 8: ``next=`` with CRLF answered 500; a JSON body nested 100,000 deep
raised RecursionError (500); an evidence bundle with a 1 GB events file was read into memory.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sopflow import Settings
from sopflow.access import tokens
from sopflow.audit.history import MAX_BUNDLE_MEMBER_BYTES, verify_bundle
from webapp import create_app

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "kata-sandi-uji"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app(database, tmp_path: Path) -> Iterator[Flask]:
    """The web app on the test database with a 1 MB request cap (CSRF on)."""
    settings = Settings(database_url=database.url, data_dir=tmp_path / "data", max_upload_mb=1)
    application = create_app({"TESTING": True, "SOPFLOW_SETTINGS": settings})
    yield application
    application.extensions["sopflow"].db.dispose()


@pytest.fixture
def client(app: Flask, make_user) -> FlaskClient:
    make_user("ani", lanes=["Pengusul"], roles=("aktor", "pemilik_proses"))
    return app.test_client()


@pytest.fixture
def bearer(app: Flask, client: FlaskClient) -> dict[str, str]:
    with app.extensions["sopflow"].db.unit_of_work() as session:
        token = tokens.issue_token(session, "ani")
    return {"Authorization": f"Bearer {token}"}


def _csrf(client: FlaskClient, path: str = "/masuk") -> str:
    found = _TOKEN.search(client.get(path).get_data(as_text=True))
    assert found, path
    return found.group(1)


def _login(client: FlaskClient, next_target: str | None = None):
    query = {"next": next_target} if next_target is not None else {}
    form = {"username": "ani", "password": PASSWORD, "csrf_token": _csrf(client)}
    return client.post("/masuk", query_string=query, data=form)


@pytest.mark.parametrize(
    "target",
    [
        "/kasus\r\nSet-Cookie: sesi=curian",
        "/kasus\nX: 1",
        "/kasus\x00",
        "/kasus\x7f",
        "/kasus\u2028x",
        "/" + "a" * 5000,
    ],
    ids=["crlf", "lf", "nul", "del", "line-separator", "overlong"],
)
def test_login_next_with_a_control_character_is_ignored(client: FlaskClient, target: str):
    response = _login(client, target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"  # the inbox
    assert "sesi=curian" not in response.headers.get("Set-Cookie", "")


def test_login_next_to_a_local_page_still_works(client: FlaskClient):
    assert _login(client, "/kasus?status=berjalan").headers["Location"] == "/kasus?status=berjalan"


def _error(response) -> dict:
    return response.get_json()["error"]


@pytest.mark.parametrize("depth", [100_000, 2_000, 40])
def test_a_deeply_nested_json_body_is_a_400(client: FlaskClient, bearer: dict[str, str], depth: int):
    body = '{"process_id": "x", "periode": "2026-TW1", "data": ' + "[" * depth + "]" * depth + "}"
    response = client.post("/api/v1/cases", data=body, headers={**bearer, "Content-Type": "application/json"})
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "json_too_deep"
    assert error["message"] == "Badan permintaan bersarang terlalu dalam (maksimum 32 tingkat objek/daftar)."


def test_an_ordinary_json_body_still_reaches_the_engine(client: FlaskClient, bearer: dict[str, str]):
    body = {"process_id": "tidak_ada", "periode": "2026-TW1", "data": {"a": [{"b": [1]}]}}
    response = client.post("/api/v1/cases", json=body, headers=bearer)
    assert response.status_code == 404  # parsed, then the engine refuses: no such process


def test_an_api_body_over_the_request_cap_is_a_413(client: FlaskClient, bearer: dict[str, str]):
    body = json.dumps({"process_id": "x", "periode": "y", "data": {"isi": "a" * (2 * 1024 * 1024)}})
    response = client.post("/api/v1/cases", data=body, headers={**bearer, "Content-Type": "application/json"})
    assert response.status_code == 413
    assert _error(response) == {
        "code": "payload_too_large",
        "message": "Permintaan atau berkas terlalu besar.",
        "fields": {},
    }


def test_an_api_upload_over_the_request_cap_is_a_413(client: FlaskClient, bearer: dict[str, str]):
    upload = {"file": (io.BytesIO(b"x" * (2 * 1024 * 1024)), "besar.xlsx")}
    path = "/api/v1/tasks/tugas-apa-saja/files/lembar_isian"
    response = client.post(path, data=upload, headers=bearer, content_type="multipart/form-data")
    assert response.status_code == 413
    assert _error(response)["message"] == "Permintaan atau berkas terlalu besar."


def test_a_page_upload_over_the_request_cap_is_a_413_page(client: FlaskClient):
    assert _login(client).status_code == 302
    form = {"csrf_token": _csrf(client, "/"), "lembar_isian": (io.BytesIO(b"x" * (2 * 1024 * 1024)), "besar.xlsx")}
    response = client.post("/tugas/tugas-apa-saja/selesai", data=form, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "Berkas yang dikirim terlalu besar." in response.get_data(as_text=True)


def _bundle_with_declared_events_size(path: Path, declared: int) -> Path:
    """A small bundle whose central directory says events.jsonl unpacks to ``declared`` bytes.

    Nothing of that size is written: the size field of the member's central directory record
    (offset 24) is rewritten, which is exactly what a hostile bundle carries.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("events.jsonl", b'{"seq": 1}\n')
        archive.writestr("manifest.json", json.dumps({"case_id": "k1", "files": {}}))
    data = bytearray(buffer.getvalue())
    at = data.rfind(b"events.jsonl") - 46
    assert data[at : at + 4] == b"PK\x01\x02"
    data[at + 24 : at + 28] = declared.to_bytes(4, "little")
    path.write_bytes(bytes(data))
    return path


def test_a_bundle_with_a_1_gb_events_file_is_refused_naming_member_and_cap(tmp_path: Path):
    path = _bundle_with_declared_events_size(tmp_path / "bukti.zip", 1024**3)
    report = verify_bundle(path)
    [problem] = report.problems
    assert problem["reason"] == (
        "berkas bukti tidak terbaca: berkas events.jsonl di dalam bundel berukuran 1.073.741.824 byte, "
        "melebihi batas 268.435.456 byte per berkas"
    )
    assert MAX_BUNDLE_MEMBER_BYTES == 256 * 1024 * 1024


def test_the_cli_refuses_the_bundle_without_a_traceback(tmp_path: Path):
    path = _bundle_with_declared_events_size(tmp_path / "bukti.zip", 1024**3)
    program = f"import sys; from webapp.cli import main; sys.exit(main(['audit', 'verify', '--bundle', {str(path)!r}]))"
    done = subprocess.run(
        [sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "events.jsonl" in output and "melebihi batas 268.435.456 byte" in output
    assert "Traceback" not in output


def test_a_deeply_nested_draft_body_of_the_editor_is_a_400(client: FlaskClient):
    """The editor's autosave takes JSON too: before, ``request.get_json`` raised RecursionError (500)."""
    assert _login(client).status_code == 302
    token = _csrf(client, "/")
    body = '{"bpmn_xml": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = client.post(
        "/proses/mini/draf", data=body, headers={"Content-Type": "application/json", "X-CSRFToken": token}
    )
    assert response.status_code == 400
    assert "bersarang terlalu dalam" in response.get_json()["error"]
