"""REST API (/api/v1) against a real app, database and the real monev_kinerja process.

Every endpoint is exercised on its success path and on each of its 401/403/404/409/422
paths; the OpenAPI document is validated and compared with the blueprint's routes.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate as validate_openapi
from sqlalchemy import select
from werkzeug.test import EnvironBuilder, TestResponse

from sopflow import HandlerFailed, StaleInstance
from sopflow.access import tokens
from sopflow.persistence.models import User
from sopflow.queries import inbox
from sopflow.settings import PROJECT_ROOT
from tests.api_contract import check_response
from webapp import api
from webapp.api_spec import openapi_document

SAMPLES = PROJECT_ROOT / "samples" / "monev_kinerja"
PERIODE = "2026-TW3"
MULTIPART = "multipart/form-data"
ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")

#: demo accounts (tests/webapp/conftest.py: demo_users) plus a second, non-lead Sekretaris that get tokens
TOKEN_USERS = ("sekretaris", "staf_sekretaris", "kabid_statistik", "kabid_persandian", "inspektorat", "admin", "kadis")


def start_data() -> dict[str, Any]:
    """The sample start data (DATA CONTOH): indikator and kegiatan."""
    data = json.loads((SAMPLES / "indikator_2026.json").read_text(encoding="utf-8"))
    return {"indikator": data["indikator"], "kegiatan": data["kegiatan"]}


@dataclass
class ApiEnv:
    """The app, its test client, one bearer token per user and helpers to call the API as a user."""

    app: Flask
    client: FlaskClient
    tokens: dict[str, str]

    def headers(self, user: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}

    def get(self, path: str, user: str | None, **kwargs: Any) -> Any:
        return self.client.get("/api/v1" + path, headers=self.headers(user), **kwargs)

    def post(self, path: str, user: str | None, body: Any = None, **kwargs: Any) -> Any:
        if body is not None:
            kwargs["json"] = body
        return self.client.post("/api/v1" + path, headers=self.headers(user), **kwargs)

    def open_tasks(self, case_id: str, element_id: str) -> list[dict[str, Any]]:
        with self.app.extensions["sopflow"].db.reading() as session:
            rows = inbox.tasks_of_case(session, case_id)
        return [t for t in rows if t["element_id"] == element_id and t["state"] == "ready"]


@pytest.fixture
def api_env(app: Flask, client: FlaskClient, demo_users: dict[str, Any], make_user: Any) -> ApiEnv:
    """The app with monev_kinerja published, the demo accounts plus ``staf_sekretaris``, each with a token."""
    make_user("staf_sekretaris", lanes=["Sekretaris"])
    with app.extensions["sopflow"].db.unit_of_work() as session:
        issued = {name: tokens.issue_token(session, name) for name in TOKEN_USERS}
    return ApiEnv(app, client, issued)


@pytest.fixture
def api_case_id(api_env: ApiEnv, demo_case: dict[str, Any]) -> str:
    """A started case of periode 2026-TW3 (the shared demo_case)."""
    return demo_case["case_id"]


@pytest.fixture
def api_task01(api_env: ApiEnv, api_case_id: str) -> str:
    """The id of the case's only ready task, langkah01_format_isian (lane Sekretaris)."""
    (task,) = api_env.open_tasks(api_case_id, "langkah01_format_isian")
    return task["task_id"]


@pytest.fixture
def api_step2(api_env: ApiEnv, api_case_id: str, api_task01: str) -> dict[str, str]:
    """Complete step 1 through the API; return the step-2 task ids by unit (Bidang)."""
    response = api_env.post(f"/tasks/{api_task01}/complete", "sekretaris", {"disposisi": "Mohon diisi 2 hari kerja."})
    assert response.status_code == 200, response.get_json()
    return {t["unit"]: t["task_id"] for t in api_env.open_tasks(api_case_id, "langkah02_pengumpulan_data")}


def error_of(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert a JSON error with ``status`` (and ``code``) and return its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    err = response.get_json()["error"]
    assert set(err) >= {"code", "message", "fields"} and isinstance(err["message"], str) and err["message"]
    if code is not None:
        assert err["code"] == code
    return err


def xlsx(name: str) -> bytes:
    return (SAMPLES / "lembar_isian" / name).read_bytes()


# -- OpenAPI ------------------------------------------------------------------------------------------
def test_openapi_document_is_served_without_token_and_valid(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate_openapi(document)
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    assert document["paths"]["/openapi.json"]["get"]["security"] == []


def test_openapi_describes_exactly_the_blueprint_routes(app: Flask) -> None:
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.fallback":
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            routes |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    with app.app_context():
        document = openapi_document()
    described = {
        (path, method) for path, item in document["paths"].items() for method in item if method != "parameters"
    }
    assert routes == described
    for path, method in described:
        operation = document["paths"][path][method]
        assert operation["responses"], (path, method)
        if path != "/openapi.json":
            assert "401" in operation["responses"], (path, method)
    validate_openapi(document)


# -- authentication --------------------------------------------------------------------------------
ENDPOINTS = [
    ("post", "/cases"),
    ("get", "/cases/x"),
    ("get", "/tasks"),
    ("get", "/tasks/x"),
    ("post", "/tasks/x/claim"),
    ("post", "/tasks/x/unclaim"),
    ("post", "/tasks/x/complete"),
    ("post", "/tasks/x/files/lembar_isian"),
    ("post", "/tasks/x/reassign"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
@pytest.mark.parametrize(
    "authorization", [None, "Basic c2VrcmV0YXJpczp4", "Bearer", "Bearer sfw_salah", "Bearer not-a-token"]
)
def test_every_endpoint_needs_a_valid_bearer_token(
    client: FlaskClient, method: str, path: str, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = getattr(client, method)("/api/v1" + path, headers=headers)
    error_of(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_and_inactive_user_are_refused(api_env: ApiEnv) -> None:
    assert api_env.get("/tasks", "sekretaris").status_code == 200
    with api_env.app.extensions["sopflow"].db.unit_of_work() as session:
        tokens.revoke_tokens(session, "sekretaris")
    response = api_env.get("/tasks", "sekretaris")
    error_of(response, 401, "unauthorized")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert api_env.get("/tasks", "staf_sekretaris").status_code == 200
    with api_env.app.extensions["sopflow"].db.unit_of_work() as session:
        session.scalars(select(User).where(User.username == "staf_sekretaris")).one().active = False
    error_of(api_env.get("/tasks", "staf_sekretaris"), 401, "unauthorized")


# -- cases -----------------------------------------------------------------------------------------------
def test_start_case_returns_201_outcome_and_location(api_env: ApiEnv) -> None:
    body = {"process_id": "monev_kinerja", "periode": PERIODE, "data": start_data()}
    response = api_env.post("/cases", "sekretaris", body)
    assert response.status_code == 201, response.get_json()
    outcome = response.get_json()
    assert outcome["status"] == "berjalan" and outcome["failure"] is None
    assert [t["element_id"] for t in outcome["open_tasks"]] == ["langkah01_format_isian"]
    task = outcome["open_tasks"][0]
    assert task["lane"] == "Sekretaris" and task["state"] == "ready" and ISO_Z.match(task["due_at"])
    assert response.headers["Location"].endswith(f"/api/v1/cases/{outcome['case_id']}")
    assert api_env.get(f"/cases/{outcome['case_id']}", "sekretaris").status_code == 200


def test_start_case_errors(api_env: ApiEnv, api_case_id: str) -> None:
    data = start_data()
    err = error_of(api_env.post("/cases", "sekretaris", {}), 422, "invalid_form")
    assert set(err["fields"]) == {"process_id", "periode"}
    err = error_of(
        api_env.post("/cases", "sekretaris", {"process_id": "monev_kinerja", "periode": "x", "data": 3}), 422
    )
    assert "data" in err["fields"]
    # the start form's own rules (periode pattern) come back per field
    err = error_of(
        api_env.post("/cases", "sekretaris", {"process_id": "monev_kinerja", "periode": "TW3", "data": data}),
        422,
        "invalid_form",
    )
    assert "periode" in err["fields"]
    # a periode that already has a case: a conflict with what exists (409), no longer a form error (422)
    err = error_of(
        api_env.post("/cases", "sekretaris", {"process_id": "monev_kinerja", "periode": PERIODE, "data": data}),
        409,
        "case_already_exists",
    )
    assert "periode" in err["fields"]
    error_of(api_env.post("/cases", "sekretaris", {"process_id": "tidak_ada", "periode": "2026-TW4"}), 404, "not_found")
    # the start event lies in lane Sekretaris: a Kepala Bidang may not start, an auditor never writes
    body = {"process_id": "monev_kinerja", "periode": "2026-TW4", "data": data}
    error_of(api_env.post("/cases", "kabid_statistik", body), 403, "permission_denied")
    # as on the case list page, only process owners and admins start cases (not every Sekretaris)
    error_of(api_env.post("/cases", "staf_sekretaris", body), 403, "permission_denied")
    error_of(api_env.post("/cases", "inspektorat", body), 403, "permission_denied")


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"teks"', b"\xff\xfe"])
def test_malformed_json_is_400(api_env: ApiEnv, raw: bytes) -> None:
    response = api_env.post("/cases", "sekretaris", data=raw, content_type="application/json")
    error_of(response, 400, "invalid_json")


def test_get_case_with_tasks_and_documents(api_env: ApiEnv, api_case_id: str) -> None:
    response = api_env.get(f"/cases/{api_case_id}", "inspektorat")
    assert response.status_code == 200
    case = response.get_json()
    assert case["case_id"] == api_case_id and case["periode"] == PERIODE and case["status"] == "berjalan"
    assert ISO_Z.match(case["started_at"]) and case["completed_at"] is None
    assert [t["element_id"] for t in case["tasks"]] == ["langkah01_format_isian"]
    formats = [d for d in case["documents"] if d["kind"] == "format_isian"]
    assert len(formats) == 5 and all(len(d["sha256"]) == 64 for d in formats)
    error_of(api_env.get("/cases/tidak-ada", "sekretaris"), 404, "not_found")


def test_download_a_document_with_a_token(api_env: ApiEnv, api_case_id: str) -> None:
    documents = api_env.get(f"/cases/{api_case_id}", "sekretaris").get_json()["documents"]
    ikp = next(d for d in documents if d["kind"] == "format_isian" and "informasi" in d["filename"])
    sent = api_env.get(f"/cases/{api_case_id}/documents/{ikp['id']}", "sekretaris")
    assert sent.status_code == 200 and sent.mimetype == ikp["media_type"]
    assert hashlib.sha256(sent.data).hexdigest() == ikp["sha256"]
    assert ikp["filename"] in sent.headers["Content-Disposition"]
    # another Bidang's Kepala Bidang may not see it: the same 404 as for a document that does not exist
    error_of(api_env.get(f"/cases/{api_case_id}/documents/{ikp['id']}", "kabid_statistik"), 404, "not_found")
    error_of(api_env.get(f"/cases/{api_case_id}/documents/999999", "sekretaris"), 404, "not_found")
    # past PostgreSQL's integer: not found either, never a 500 (schemathesis found it)
    error_of(api_env.get(f"/cases/{api_case_id}/documents/2147483648", "sekretaris"), 404, "not_found")


# -- inbox -------------------------------------------------------------------------------------------------
def test_list_my_tasks_with_filters(api_env: ApiEnv, api_case_id: str, api_task01: str) -> None:
    tasks = api_env.get("/tasks", "sekretaris").get_json()["tasks"]
    assert [t["task_id"] for t in tasks] == [api_task01]
    task = tasks[0]
    assert task["periode"] == PERIODE and task["step"] == 1 and task["overdue"] is False
    assert ISO_Z.match(task["ready_at"]) and ISO_Z.match(task["due_at"]) and task["escalated_at"] is None
    assert api_env.get("/tasks?step=1&order=step", "sekretaris").get_json()["tasks"][0]["task_id"] == api_task01
    assert api_env.get("/tasks?step=2", "sekretaris").get_json()["tasks"] == []
    assert api_env.get(f"/tasks?periode={PERIODE}&order=periode&limit=1", "sekretaris").get_json()["tasks"]
    assert api_env.get("/tasks?periode=2025-TW1", "sekretaris").get_json()["tasks"] == []
    assert api_env.get("/tasks", "kabid_statistik").get_json()["tasks"] == []
    assert api_env.get("/tasks", "inspektorat").get_json()["tasks"] == []
    # claimed by a colleague: no longer in my inbox
    assert api_env.post(f"/tasks/{api_task01}/claim", "staf_sekretaris").status_code == 200
    assert api_env.get("/tasks", "sekretaris").get_json()["tasks"] == []
    assert [t["claimed_by"] for t in api_env.get("/tasks", "staf_sekretaris").get_json()["tasks"]] == [
        "staf_sekretaris"
    ]


@pytest.mark.parametrize(
    "query", ["step=satu", "step=2147483648", "order=acak", "order=", "filter=", "limit=", "limit=0", "limit=100000"]
)
def test_list_tasks_rejects_bad_query(api_env: ApiEnv, query: str) -> None:
    err = error_of(api_env.get(f"/tasks?{query}", "sekretaris"), 400, "invalid_query")
    assert set(err["fields"]) == {query.split("=")[0]}


@pytest.mark.parametrize(
    "path",
    [
        "/tasks?limit=1&limit=2",
        "/tasks?order=due&order=step",
        "/cases?status=x&status=y",
        "/notifications?limit=1&limit=2",
    ],
)
def test_a_repeated_query_parameter_is_400(api_env: ApiEnv, path: str) -> None:
    name = path.split("?")[1].split("=")[0]
    err = error_of(api_env.get(path, "sekretaris"), 400, "invalid_query")
    assert name in err["fields"]


def test_task_detail(api_env: ApiEnv, api_task01: str) -> None:
    response = api_env.get(f"/tasks/{api_task01}", "sekretaris")
    assert response.status_code == 200
    detail = response.get_json()
    assert detail["task"]["task_id"] == api_task01 and detail["task"]["state"] == "ready"
    assert detail["task"]["case_status"] == "berjalan" and detail["task"]["process_id"] == "monev_kinerja"
    assert str(detail["sop"]["step"]) == "1" and detail["sop"]["satuan"]
    assert detail["form"]["properties"]["disposisi"]["type"] == "string"
    assert len([d for d in detail["documents"] if d["kind"] == "format_isian"]) == 5
    error_of(api_env.get("/tasks/tidak-ada", "sekretaris"), 404, "not_found")
    # readable like the task page: the lane (and unit), auditors, admins, process owners;
    # a Kepala Bidang has no task in the case yet, so it does not exist for them (404)
    error_of(api_env.get(f"/tasks/{api_task01}", "kabid_statistik"), 404, "not_found")
    error_of(api_env.get(f"/tasks/{api_task01}", "kadis"), 403, "not_assignee")  # sees the case, other lane
    for reader in ("staf_sekretaris", "inspektorat", "admin"):
        assert api_env.get(f"/tasks/{api_task01}", reader).status_code == 200


def test_task_detail_of_another_unit_is_403(api_env: ApiEnv, api_step2: dict[str, str]) -> None:
    error_of(api_env.get(f"/tasks/{api_step2['Statistik']}", "kabid_persandian"), 404, "not_found")  # not their part
    assert api_env.get(f"/tasks/{api_step2['Statistik']}", "kabid_statistik").status_code == 200
    assert api_env.get(f"/tasks/{api_step2['Statistik']}", "sekretaris").status_code == 200  # process owner


# -- claim / unclaim -----------------------------------------------------------------------------------------
def test_claim_and_unclaim(api_env: ApiEnv, api_task01: str) -> None:
    response = api_env.post(f"/tasks/{api_task01}/claim", "sekretaris")
    assert response.status_code == 200
    assert response.get_json()["claimed_by"] == "sekretaris" and response.get_json()["task_id"] == api_task01
    assert api_env.post(f"/tasks/{api_task01}/claim", "sekretaris").status_code == 200  # again: harmless
    error_of(api_env.post(f"/tasks/{api_task01}/claim", "staf_sekretaris"), 409, "task_claimed_by_other")
    error_of(api_env.post(f"/tasks/{api_task01}/unclaim", "staf_sekretaris"), 409, "task_claimed_by_other")
    error_of(api_env.post(f"/tasks/{api_task01}/claim", "kabid_statistik"), 404, "not_found")  # case not visible
    error_of(api_env.post(f"/tasks/{api_task01}/unclaim", "kabid_statistik"), 404, "not_found")
    error_of(api_env.post(f"/tasks/{api_task01}/claim", "kadis"), 403, "not_assignee")
    error_of(api_env.post(f"/tasks/{api_task01}/unclaim", "kadis"), 403, "not_assignee")
    error_of(api_env.post(f"/tasks/{api_task01}/claim", "inspektorat"), 403, "permission_denied")
    error_of(api_env.post("/tasks/tidak-ada/claim", "sekretaris"), 404, "not_found")
    error_of(api_env.post("/tasks/tidak-ada/unclaim", "sekretaris"), 404, "not_found")
    response = api_env.post(f"/tasks/{api_task01}/unclaim", "sekretaris")
    assert response.status_code == 200 and response.get_json()["claimed_by"] is None
    assert api_env.post(f"/tasks/{api_task01}/claim", "staf_sekretaris").get_json()["claimed_by"] == "staf_sekretaris"


def test_claim_of_a_completed_task_is_409(api_env: ApiEnv, api_task01: str, api_step2: dict[str, str]) -> None:
    error_of(api_env.post(f"/tasks/{api_task01}/claim", "sekretaris"), 409, "task_not_ready")
    error_of(api_env.post(f"/tasks/{api_task01}/unclaim", "sekretaris"), 409, "task_not_ready")


def test_claim_other_unit_is_403(api_env: ApiEnv, api_step2: dict[str, str]) -> None:
    error_of(api_env.post(f"/tasks/{api_step2['Statistik']}/claim", "kabid_persandian"), 404, "not_found")
    assert api_env.post(f"/tasks/{api_step2['Statistik']}/claim", "kabid_statistik").status_code == 200


# -- complete ------------------------------------------------------------------------------------------------
def test_complete_with_json(api_env: ApiEnv, api_case_id: str, api_task01: str) -> None:
    err = error_of(
        api_env.post(f"/tasks/{api_task01}/complete", "sekretaris", {"disposisi": "ok"}), 422, "invalid_form"
    )
    assert list(err["fields"]) == ["disposisi"]
    err = error_of(api_env.post(f"/tasks/{api_task01}/complete", "sekretaris", {}), 422, "invalid_form")
    assert "disposisi" in err["fields"]
    error_of(api_env.post(f"/tasks/{api_task01}/complete", "kabid_statistik", {"disposisi": "Segera."}), 404)
    error_of(api_env.post(f"/tasks/{api_task01}/complete", "kadis", {"disposisi": "Segera."}), 403)
    error_of(api_env.post(f"/tasks/{api_task01}/complete", "inspektorat", {"disposisi": "Segera."}), 403)
    response = api_env.post(
        f"/tasks/{api_task01}/complete", "sekretaris", data=b"{rusak", content_type="application/json"
    )
    error_of(response, 400, "invalid_json")
    error_of(api_env.post("/tasks/tidak-ada/complete", "sekretaris", {"disposisi": "Segera."}), 404, "not_found")

    response = api_env.post(f"/tasks/{api_task01}/complete", "sekretaris", {"disposisi": "Mohon diisi 2 hari kerja."})
    assert response.status_code == 200, response.get_json()
    outcome = response.get_json()
    assert outcome["case_id"] == api_case_id and outcome["status"] == "berjalan"
    api_step2 = [t for t in outcome["open_tasks"] if t["element_id"] == "langkah02_pengumpulan_data"]
    assert sorted(t["unit"] for t in api_step2) == sorted(
        ["Sekretariat", "Informasi dan Komunikasi Publik", "Aplikasi Informatika", "Statistik", "Persandian"]
    )
    # completed in another tab
    error_of(
        api_env.post(f"/tasks/{api_task01}/complete", "sekretaris", {"disposisi": "Sekali lagi."}),
        409,
        "task_not_ready",
    )


def test_complete_task_claimed_by_other_is_409(api_env: ApiEnv, api_task01: str) -> None:
    assert api_env.post(f"/tasks/{api_task01}/claim", "staf_sekretaris").status_code == 200
    body = {"disposisi": "Mohon diisi 2 hari kerja."}
    error_of(api_env.post(f"/tasks/{api_task01}/complete", "sekretaris", body), 409, "task_claimed_by_other")
    assert api_env.post(f"/tasks/{api_task01}/complete", "staf_sekretaris", body).status_code == 200


def test_stage_upload_then_complete_with_reference(
    api_env: ApiEnv, api_case_id: str, api_step2: dict[str, str]
) -> None:
    task = api_step2["Statistik"]
    files = {"file": (io.BytesIO(xlsx("statistik.xlsx")), "statistik.xlsx")}
    response = api_env.post(f"/tasks/{task}/files/lembar_isian", "kabid_statistik", data=files)
    assert response.status_code == 201, response.get_json()
    staged = response.get_json()
    assert staged["field"] == "lembar_isian" and staged["filename"] == "statistik.xlsx"
    assert staged["size"] == len(xlsx("statistik.xlsx")) and len(staged["sha256"]) == 64 and staged["upload_id"]
    # the reference belongs to kabid_statistik's upload for this task only
    other = api_step2["Persandian"]
    err = error_of(
        api_env.post(
            f"/tasks/{other}/complete", "kabid_persandian", {"lembar_isian": {"upload_id": staged["upload_id"]}}
        ),
        422,
        "invalid_form",
    )
    assert "lembar_isian" in err["fields"]
    body = {"lembar_isian": {"upload_id": staged["upload_id"]}, "catatan": "Data contoh."}
    response = api_env.post(f"/tasks/{task}/complete", "kabid_statistik", body)
    assert response.status_code == 200, response.get_json()
    case = api_env.get(f"/cases/{api_case_id}", "kabid_statistik").get_json()
    assert staged["sha256"] in {d["sha256"] for d in case["documents"]}
    done = next(t for t in case["tasks"] if t["task_id"] == task)
    assert done["state"] == "completed" and done["completed_by"] == "kabid_statistik"


def test_stage_upload_errors(api_env: ApiEnv, api_step2: dict[str, str]) -> None:
    task = api_step2["Statistik"]
    url = f"/tasks/{task}/files/lembar_isian"

    def upload(user: str, content: bytes = b"x", name: str = "statistik.xlsx", part: str = "file", path: str = url):
        return api_env.post(path, user, data={part: (io.BytesIO(content), name)})

    err = error_of(upload("kabid_statistik", b"bukan excel", "catatan.txt"), 422, "invalid_form")
    assert "lembar_isian" in err["fields"]
    err = error_of(upload("kabid_statistik", path=f"/tasks/{task}/files/catatan"), 422, "invalid_form")
    assert "catatan" in err["fields"]
    err = error_of(
        api_env.post(url, "kabid_statistik", data={"lain": "teks"}, content_type=MULTIPART),
        422,
        "invalid_form",
    )
    assert "lembar_isian" in err["fields"]
    error_of(api_env.post(url, "kabid_statistik", {"file": "bukan multipart"}), 400, "bad_request")
    error_of(upload("kabid_persandian", xlsx("statistik.xlsx")), 404, "not_found")  # another Bidang's task
    error_of(upload("inspektorat", xlsx("statistik.xlsx")), 403, "permission_denied")
    error_of(upload("sekretaris", path="/tasks/tidak-ada/files/lembar_isian"), 404, "not_found")
    assert api_env.post(f"/tasks/{task}/claim", "kabid_statistik").status_code == 200
    assert upload("kabid_statistik", xlsx("statistik.xlsx"), part="lembar_isian").status_code == 201
    # a part named after the field is accepted too; a closed task is 409
    response = api_env.post(
        f"/tasks/{task}/complete",
        "kabid_statistik",
        data={"data": json.dumps({"catatan": "x"}), "lembar_isian": (io.BytesIO(xlsx("statistik.xlsx")), "s.xlsx")},
    )
    assert response.status_code == 200, response.get_json()
    error_of(upload("kabid_statistik", xlsx("statistik.xlsx")), 409, "task_not_ready")


def test_complete_multipart_with_file_part(api_env: ApiEnv, api_case_id: str, api_step2: dict[str, str]) -> None:
    task = api_step2["Persandian"]
    body = {
        "data": (io.BytesIO(json.dumps({"catatan": "Data Persandian (contoh)."}).encode()), "data.json"),
        "lembar_isian": (io.BytesIO(xlsx("persandian.xlsx")), "persandian.xlsx"),
    }
    response = api_env.post(f"/tasks/{task}/complete", "kabid_persandian", data=body)
    assert response.status_code == 200, response.get_json()
    with api_env.app.extensions["sopflow"].db.reading() as session:
        rows = [t for t in inbox.tasks_of_case(session, api_case_id) if t["task_id"] == task]
    assert rows[0]["state"] == "completed"


def test_complete_multipart_errors(api_env: ApiEnv, api_step2: dict[str, str]) -> None:
    task = api_step2["Statistik"]
    response = api_env.post(
        f"/tasks/{task}/complete", "kabid_statistik", data={"data": "{rusak"}, content_type=MULTIPART
    )
    error_of(response, 400, "invalid_json")
    # no file: the required upload field is reported
    response = api_env.post(
        f"/tasks/{task}/complete", "kabid_statistik", data={"data": '{"catatan": "x"}'}, content_type=MULTIPART
    )
    assert "lembar_isian" in error_of(response, 422, "invalid_form")["fields"]
    # the wrong Bidang's sheet: the xlsx validator's per-field errors, nothing saved
    body = {"lembar_isian": (io.BytesIO(xlsx("persandian.xlsx")), "persandian.xlsx")}
    response = api_env.post(f"/tasks/{task}/complete", "kabid_statistik", data=body)
    assert error_of(response, 422, "invalid_form")["fields"]
    assert api_env.get(f"/tasks/{task}", "kabid_statistik").get_json()["task"]["state"] == "ready"


# -- reassign -------------------------------------------------------------------------------------------------
def test_reassign(api_env: ApiEnv, api_task01: str) -> None:
    error_of(api_env.post(f"/tasks/{api_task01}/reassign", "sekretaris", {}), 422, "invalid_form")
    error_of(api_env.post(f"/tasks/{api_task01}/reassign", "staf_sekretaris", {"to_user": "sekretaris"}), 403)
    error_of(
        api_env.post(f"/tasks/{api_task01}/reassign", "sekretaris", {"to_user": "kabid_statistik"}), 403, "not_assignee"
    )
    error_of(api_env.post(f"/tasks/{api_task01}/reassign", "sekretaris", {"to_user": "hantu"}), 404, "not_found")
    error_of(api_env.post(f"/tasks/{api_task01}/reassign", "inspektorat", {"to_user": "sekretaris"}), 403)
    error_of(api_env.post("/tasks/tidak-ada/reassign", "sekretaris", {"to_user": "staf_sekretaris"}), 404)
    response = api_env.post(f"/tasks/{api_task01}/reassign", "sekretaris", data=b"[]", content_type="application/json")
    error_of(response, 400, "invalid_json")
    response = api_env.post(f"/tasks/{api_task01}/reassign", "admin", {"to_user": "sekretaris"})
    assert response.status_code == 200 and response.get_json()["claimed_by"] == "sekretaris"
    response = api_env.post(f"/tasks/{api_task01}/reassign", "sekretaris", {"to_user": "staf_sekretaris"})
    assert response.status_code == 200 and response.get_json()["claimed_by"] == "staf_sekretaris"
    error_of(api_env.post(f"/tasks/{api_task01}/claim", "sekretaris"), 409, "task_claimed_by_other")
    body = {"disposisi": "Mohon diisi 2 hari kerja."}
    assert api_env.post(f"/tasks/{api_task01}/complete", "staf_sekretaris", body).status_code == 200
    error_of(
        api_env.post(f"/tasks/{api_task01}/reassign", "sekretaris", {"to_user": "sekretaris"}), 409, "task_not_ready"
    )


# -- mapping of the remaining errors, routing errors, isolation ------------------------------------------------
@pytest.mark.parametrize(
    ("raised", "status", "code"),
    [
        (StaleInstance("Kasus berubah; muat ulang."), 409, "stale_instance"),
        (HandlerFailed("Langkah gagal: berkas rusak."), 500, "handler_failed"),
        (RuntimeError("bug"), 500, "internal_error"),
    ],
)
def test_engine_errors_map_to_status(
    api_env: ApiEnv, api_task01: str, monkeypatch: pytest.MonkeyPatch, raised: Exception, status: int, code: str
) -> None:
    def fail(_cmd: Any) -> None:
        raise raised

    monkeypatch.setattr(api_env.app.extensions["sopflow"].engine, "claim_task", fail)
    err = error_of(api_env.post(f"/tasks/{api_task01}/claim", "sekretaris"), status, code)
    assert "bug" not in err["message"]


def test_unknown_path_and_wrong_method_are_json(api_env: ApiEnv, api_task01: str) -> None:
    error_of(api_env.get("/tidak/ada", "sekretaris"), 404, "not_found")
    response = api_env.get(f"/tasks/{api_task01}/claim", "sekretaris")
    error_of(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]
    error_of(api_env.client.delete("/api/v1/cases/x", headers=api_env.headers("sekretaris")), 405)


def test_too_large_upload_is_413_json(api_env: ApiEnv, api_step2: dict[str, str]) -> None:
    api_env.app.config["MAX_CONTENT_LENGTH"] = 1024
    data = {"file": (io.BytesIO(b"x" * 4096), "besar.xlsx")}
    error_of(api_env.post(f"/tasks/{api_step2['Statistik']}/files/lembar_isian", "kabid_statistik", data=data), 413)


def test_error_handlers_are_registered_on_the_blueprint_only(api_env: ApiEnv) -> None:
    app_handlers = [h for spec in api_env.app.error_handler_spec[None].values() for h in spec.values()]
    bp_handlers = [h for spec in api_env.app.error_handler_spec["api"].values() for h in spec.values()]
    assert api._sopflow_error in bp_handlers and api._unexpected in bp_handlers
    assert not {api._sopflow_error, api._unexpected, api._http_error, api._api_error} & set(app_handlers)


def test_to_json_serialises_naive_and_aware_datetimes() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    naive = datetime(2026, 10, 1, 7, 30, 5, 123456)
    aware = datetime(2026, 10, 1, 15, 30, 5, tzinfo=timezone(timedelta(hours=8)))
    assert api.to_json({"a": naive, "b": [aware], "c": None}) == {
        "a": "2026-10-01T07:30:05Z",
        "b": ["2026-10-01T07:30:05Z"],
        "c": None,
    }
    assert api.to_json(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00Z"


# -- the generated OpenAPI document and the fixes schemathesis found -----------------------------------------
# Each fix failed before: OPTIONS advertised the catch-all route's methods on every path, an empty
# ``to_user`` fitted the schema yet was refused, the multipart ``data`` part was documented as any string,
# ``overdue`` was documented on GET /tasks/{id} but not sent; a duplicate periode is 409 (test_start_case_errors).
@pytest.fixture
def document(app: Flask) -> dict[str, Any]:
    with app.app_context():
        return openapi_document()


def schema_of(document: dict[str, Any], name: str) -> dict[str, Any]:
    """Return component schema ``name`` with the document's components, for jsonschema to resolve $refs."""
    return {**document["components"]["schemas"][name], "components": document["components"]}


def test_document_has_security_errors_uploads_and_operation_ids(document: dict[str, Any]) -> None:
    operations = [op for item in document["paths"].values() for op in item.values()]
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids)) == 13  # 12 paths, GET and POST on /cases
    assert document["security"] == [{"bearerAuth": []}]
    for operation in operations:
        for status, response in operation["responses"].items():
            if status[0] in "45":
                assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    claim = document["paths"]["/tasks/{task_id}/claim"]["post"]["responses"]
    assert {"401", "403", "404", "409", "429", "500"} <= set(claim)
    assert "WWW-Authenticate" in claim["401"]["headers"] and "Retry-After" in claim["429"]["headers"]
    upload = document["paths"]["/tasks/{task_id}/files/{field}"]["post"]["requestBody"]["content"]
    file_schema = document["components"]["schemas"]["UploadMultipart"]["properties"]["file"]
    assert list(upload) == ["multipart/form-data"] and file_schema["format"] == "binary"
    start = document["paths"]["/cases"]["post"]["responses"]
    assert "409" in start and "Location" in start["201"]["headers"]
    assert document["info"]["description"].startswith("Menjalankan SOP")  # Indonesian for API users


def test_links_lead_from_a_new_case_to_the_case_and_its_tasks(document: dict[str, Any]) -> None:
    started = document["paths"]["/cases"]["post"]["responses"]["201"]["links"]
    assert started["GetCase"] == {
        "operationId": "getCase",
        "parameters": {"case_id": "$response.body#/case_id"},
        "description": "Buka kasus ini.",
    }
    assert started["ClaimTaskFirstOpenTask"]["parameters"] == {"task_id": "$response.body#/open_tasks/0/task_id"}
    case = document["paths"]["/cases/{case_id}"]["get"]["responses"]["200"]["links"]
    assert case["GetTaskFirstTask"]["parameters"] == {"task_id": "$response.body#/tasks/0/task_id"}
    assert {link["operationId"] for link in case.values()} >= {"getTask", "claimTask", "completeTask"}


def test_options_allows_only_the_methods_of_the_path(api_env: ApiEnv, api_task01: str) -> None:
    headers = api_env.headers("sekretaris")
    for path, allowed in [
        (f"/tasks/{api_task01}/claim", "OPTIONS, POST"),
        ("/cases", "GET, HEAD, OPTIONS, POST"),
        ("/cases/x", "GET, HEAD, OPTIONS"),
        ("/openapi.json", "GET, HEAD, OPTIONS"),
    ]:
        response = api_env.client.options("/api/v1" + path, headers=headers)
        assert response.status_code == 200 and response.headers["Allow"] == allowed, (path, response.headers)
    error_of(api_env.client.options("/api/v1/tidak/ada", headers=headers), 404, "not_found")


def test_reassign_to_a_blank_user_is_outside_the_schema(api_env: ApiEnv, api_task01: str, document: dict) -> None:
    schema = schema_of(document, "ReassignRequest")
    for blank in ("", "   "):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({"to_user": blank}, schema)
        err = error_of(api_env.post(f"/tasks/{api_task01}/reassign", "sekretaris", {"to_user": blank}), 422)
        assert err["fields"] == {"to_user": ["Wajib diisi (teks)."]}
    jsonschema.validate({"to_user": "staf_sekretaris"}, schema)


def test_start_case_body_schema_is_what_the_api_parses(api_env: ApiEnv, document: dict) -> None:
    schema = schema_of(document, "StartCaseRequest")
    assert schema["required"] == ["process_id", "periode"]
    for body in ({"process_id": " ", "periode": "2026-TW4"}, {"process_id": "monev_kinerja", "periode": 5}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(body, schema)
        assert set(error_of(api_env.post("/cases", "sekretaris", body), 422, "invalid_form")["fields"]) <= {
            "process_id",
            "periode",
        }


def test_multipart_data_part_is_a_json_object(api_env: ApiEnv, api_step2: dict[str, str], document: dict) -> None:
    multipart = document["components"]["schemas"]["CompleteMultipart"]
    assert multipart["properties"]["data"]["type"] == "object"  # sent as an application/json part
    assert multipart["additionalProperties"]["format"] == "binary"  # one file part per upload field
    task = api_step2["Statistik"]
    for raw in ("bukan json", "[1, 2]"):
        response = api_env.post(
            f"/tasks/{task}/complete", "kabid_statistik", data={"data": raw}, content_type="multipart/form-data"
        )
        error_of(response, 400, "invalid_json")  # documented: the contract client checked it
    part = (io.BytesIO(json.dumps({"catatan": "x"}).encode()), "data.json", "application/json")
    response = api_env.post(f"/tasks/{task}/complete", "kabid_statistik", data={"data": part})
    assert "lembar_isian" in error_of(response, 422, "invalid_form")["fields"]


def test_task_detail_says_whether_the_task_is_overdue(api_env: ApiEnv, api_task01: str, clock: Any) -> None:
    assert api_env.get(f"/tasks/{api_task01}", "sekretaris").get_json()["task"]["overdue"] is False
    clock.shift += timedelta(days=60)
    assert api_env.get(f"/tasks/{api_task01}", "sekretaris").get_json()["task"]["overdue"] is True


def test_the_contract_check_fails_a_response_the_document_does_not_describe(client: FlaskClient) -> None:
    ok = {"tasks": [], "limit": 200, "offset": 0}
    check_response(client, "GET", "/api/v1/tasks", answer("/api/v1/tasks", 200, ok))
    with pytest.raises(AssertionError, match="undocumented status"):
        check_response(client, "GET", "/api/v1/tasks", answer("/api/v1/tasks", 418, ok))
    with pytest.raises(AssertionError, match="does not match"):
        check_response(client, "GET", "/api/v1/tasks", answer("/api/v1/tasks", 200, ok | {"baru": 1}))
    with pytest.raises(AssertionError, match="does not match"):
        check_response(client, "GET", "/api/v1/tasks", answer("/api/v1/tasks", 200, {"tasks": []}))
    check_response(client, "GET", "/api/v1/tidak/ada", answer("/api/v1/tidak/ada", 404, {}))  # no operation


def answer(path: str, status: int, body: Any) -> TestResponse:
    """A test-client response to ``GET path`` with ``status`` and JSON ``body``, as if the app had sent it."""
    request = EnvironBuilder(path=path, method="GET", base_url="http://localhost").get_request()
    return TestResponse([json.dumps(body).encode()], status, {"Content-Type": "application/json"}, request)
