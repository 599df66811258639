"""The OpenAPI 3.1 description of the REST API (:mod:`webapp.api`), written by hand as a Python dict.

Served at ``GET /api/v1/openapi.json``. Paths are relative to the server URL ``/api/v1``.
Schemas are JSON Schema 2020-12 (OpenAPI 3.1); a value that may be absent is typed
``[<type>, "null"]``. Keep this in step with :mod:`webapp.api`: a test checks that every
route of the blueprint is described and every described path exists.
"""

from __future__ import annotations

import copy
from typing import Any

API_VERSION = "1.0.0"

_STR = {"type": "string"}
_INT = {"type": "integer"}
_NSTR = {"type": ["string", "null"]}
_NINT = {"type": ["integer", "null"]}
_TIME = {"type": "string", "format": "date-time", "description": "ISO 8601, UTC, akhiran Z."}
_NTIME = {"type": ["string", "null"], "format": "date-time", "description": "ISO 8601, UTC, akhiran Z."}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(required: list[str], properties: dict[str, Any], description: str = "", **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "required": required, "properties": properties, **extra}
    if description:
        schema["description"] = description
    return schema


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    names = {
        400: "BadRequest",
        401: "Unauthorized",
        403: "Forbidden",
        404: "NotFound",
        409: "Conflict",
        422: "UnprocessableEntity",
        500: "ServerError",
    }
    return {str(s): {"$ref": f"#/components/responses/{names[s]}"} for s in statuses}


def _param(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/parameters/{name}"}


_TASK_FIELDS: dict[str, Any] = {
    "task_id": _STR,
    "case_id": _STR,
    "element_id": {"type": "string", "description": "Id elemen BPMN, mis. langkah01_format_isian."},
    "name": _STR,
    "step": {"type": ["integer", "null"], "description": "Nomor langkah SOP."},
    "lane": {"type": "string", "description": "Pelaksana (lane BPMN), mis. Sekretaris."},
    "unit": {"type": ["string", "null"], "description": "Unit (Bidang) bila tugas per Bidang."},
    "label": _NSTR,
    "claimed_by": _NSTR,
    "due_at": _NTIME,
}

SCHEMAS: dict[str, Any] = {
    "Error": _obj(
        ["error"],
        {
            "error": _obj(
                ["code", "message", "fields"],
                {
                    "code": {
                        "type": "string",
                        "description": "Kode mesin, mis. unauthorized, not_found, not_assignee, permission_denied, "
                        "task_claimed_by_other, task_not_ready, stale_instance, invalid_form, invalid_json, "
                        "invalid_query, handler_failed, internal_error.",
                    },
                    "message": {"type": "string", "description": "Pesan dalam Bahasa Indonesia."},
                    "fields": {
                        "type": "object",
                        "description": "Pesan per isian ('' untuk formulir secara keseluruhan); kosong bila tidak ada.",
                        "additionalProperties": {"type": "array", "items": _STR},
                    },
                },
            )
        },
        "Bentuk setiap galat API.",
    ),
    "Task": _obj(
        [*_TASK_FIELDS, "state"],
        _TASK_FIELDS | {"state": {"type": "string", "enum": ["ready", "completed", "cancelled"]}},
        "Tugas sebagaimana dikembalikan oleh perintah (klaim, lepas, alihkan) dan di open_tasks.",
    ),
    "CaseOutcome": _obj(
        ["case_id", "status", "version", "open_tasks", "failure"],
        {
            "case_id": _STR,
            "status": {"type": "string", "description": "berjalan, selesai atau gagal."},
            "version": {"type": "integer", "description": "Versi baris kasus (naik pada setiap perintah)."},
            "open_tasks": {"type": "array", "items": _ref("Task")},
            "failure": {
                "type": ["object", "null"],
                "description": "Langkah mesin yang gagal (element_id, pesan); dapat diulang setelah diperbaiki.",
            },
        },
        "Keadaan kasus setelah perintah.",
    ),
    "InboxTask": _obj(
        [*_TASK_FIELDS, "periode", "ready_at", "escalated_at", "escalated_to", "overdue"],
        _TASK_FIELDS
        | {
            "periode": _STR,
            "ready_at": _TIME,
            "escalated_at": _NTIME,
            "escalated_to": _NSTR,
            "overdue": {"type": "boolean", "description": "Sudah melewati tenggat."},
        },
        "Tugas siap di kotak masuk pengguna.",
    ),
    "CaseTask": _obj(
        [
            "task_id",
            "element_id",
            "name",
            "step",
            "lane",
            "unit",
            "label",
            "state",
            "claimed_by",
            "ready_at",
            "due_at",
            "completed_at",
            "completed_by",
        ],
        {
            **{k: v for k, v in _TASK_FIELDS.items() if k != "case_id"},
            "state": _STR,
            "ready_at": _TIME,
            "completed_at": _NTIME,
            "completed_by": _NSTR,
        },
        "Tugas sebuah kasus (terbuka maupun selesai).",
    ),
    "Document": _obj(
        ["id", "case_id", "kind", "filename", "media_type", "sha256", "size", "created_at"],
        {
            "id": _INT,
            "case_id": _STR,
            "element_id": _NSTR,
            "kind": {"type": "string", "description": "Mis. format_isian, unggahan, draft_laporan, arsip."},
            "filename": _STR,
            "media_type": _STR,
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "size": _INT,
            "meta": {"type": "object"},
            "created_at": _TIME,
        },
        "Dokumen yang dihasilkan atau diterima kasus.",
    ),
    "CaseDetail": _obj(
        ["case_id", "process_id", "periode", "status", "started_by", "started_at", "tasks", "documents"],
        {
            "case_id": _STR,
            "process_id": _STR,
            "process_version_id": _INT,
            "periode": _STR,
            "status": _STR,
            "failure": {"type": ["object", "null"]},
            "started_by": _STR,
            "started_at": _TIME,
            "completed_at": _NTIME,
            "tasks": {"type": "array", "items": _ref("CaseTask")},
            "documents": {"type": "array", "items": _ref("Document")},
        },
        "Ringkasan kasus beserta tugas dan dokumennya.",
    ),
    "TaskDetail": _obj(
        ["task", "sop", "form", "documents"],
        {
            "task": {
                "allOf": [
                    {"$ref": "#/components/schemas/InboxTask"},
                    {
                        "type": "object",
                        "properties": {
                            "state": _STR,
                            "completed_at": _NTIME,
                            "completed_by": _NSTR,
                            "case_status": _STR,
                            "process_id": _STR,
                        },
                    },
                ],
            },
            "sop": _obj(
                ["uraian", "satuan"],
                {
                    "step": {"type": ["string", "integer", "null"]},
                    "uraian": _STR,
                    "persyaratan": _NSTR,
                    "waktu": {"type": ["string", "number", "null"]},
                    "satuan": _STR,
                    "output": _NSTR,
                    "keterangan": _NSTR,
                    "documentation": _NSTR,
                },
                "Mutu Baku langkah SOP.",
            ),
            "form": {"type": ["object", "null"], "description": "JSON Schema (2020-12) formulir tugas."},
            "documents": {"type": "array", "items": _ref("Document")},
        },
        "Tugas dengan keterangan SOP, skema formulir, dan dokumen kasus.",
    ),
    "StagedUpload": _obj(
        ["upload_id", "field", "filename", "size", "sha256", "media_type"],
        {
            "upload_id": _STR,
            "field": _STR,
            "filename": _STR,
            "size": _INT,
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "media_type": _STR,
        },
        "Berkas yang sudah diunggah untuk tugas; rujuk dengan {field: {upload_id}} saat menyelesaikan.",
    ),
    "UploadReference": _obj(
        ["upload_id"],
        {"upload_id": _STR},
        "Rujukan ke berkas yang diunggah lewat POST /tasks/{task_id}/files/{field}.",
        additionalProperties=False,
    ),
    "FormData": {
        "type": "object",
        "description": "Isian formulir tugas menurut skemanya (GET /tasks/{task_id} → form). Isian berkas diisi "
        "UploadReference.",
        "additionalProperties": True,
    },
    "StartCaseRequest": _obj(
        ["process_id", "periode"],
        {
            "process_id": {"type": "string", "examples": ["monev_kinerja"]},
            "periode": {"type": "string", "examples": ["2026-TW3"]},
            "data": {"type": "object", "description": "Data awal menurut formulir mula proses.", "default": {}},
        },
    ),
    "ReassignRequest": _obj(["to_user"], {"to_user": {"type": "string", "description": "Nama pengguna tujuan."}}),
}

_ERROR_CONTENT = {"application/json": {"schema": _ref("Error")}}

RESPONSES: dict[str, Any] = {
    "BadRequest": {"description": "JSON rusak atau parameter tidak sah.", "content": _ERROR_CONTENT},
    "Unauthorized": {
        "description": "Token tidak ada, tidak sah atau dicabut.",
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}, "description": 'Bearer realm="sopflow"'}},
        "content": _ERROR_CONTENT,
    },
    "Forbidden": {
        "description": "Bukan lane/unit pengguna, peran tidak mencukupi, atau auditor yang mencoba mengubah.",
        "content": _ERROR_CONTENT,
    },
    "NotFound": {"description": "Kasus, tugas, proses atau pengguna tidak ditemukan.", "content": _ERROR_CONTENT},
    "Conflict": {
        "description": "Tugas diklaim pengguna lain, sudah selesai/tidak aktif, atau kasus berubah bersamaan.",
        "content": _ERROR_CONTENT,
    },
    "UnprocessableEntity": {
        "description": "Isian belum benar; error.fields memuat pesan per isian. Tidak ada yang disimpan.",
        "content": _ERROR_CONTENT,
    },
    "ServerError": {"description": "Kesalahan server atau langkah mesin gagal.", "content": _ERROR_CONTENT},
}

PARAMETERS: dict[str, Any] = {
    "CaseId": {"name": "case_id", "in": "path", "required": True, "schema": _STR},
    "TaskId": {"name": "task_id", "in": "path", "required": True, "schema": _STR},
    "Field": {
        "name": "field",
        "in": "path",
        "required": True,
        "description": "Nama isian berkas pada formulir tugas, mis. lembar_isian.",
        "schema": _STR,
    },
}

_FILE = {"type": "string", "contentMediaType": "application/octet-stream"}

PATHS: dict[str, Any] = {
    "/openapi.json": {
        "get": {
            "operationId": "getOpenApi",
            "tags": ["meta"],
            "summary": "Dokumen OpenAPI ini (tanpa token).",
            "security": [],
            "responses": {"200": _json({"type": "object"}, "Dokumen OpenAPI 3.1.")},
        }
    },
    "/cases": {
        "post": {
            "operationId": "startCase",
            "tags": ["cases"],
            "summary": "Mulai kasus baru pada versi proses terbaru (pemilik proses atau admin).",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("StartCaseRequest")}}},
            "responses": {
                "201": {
                    **_json(_ref("CaseOutcome"), "Kasus dimulai."),
                    "headers": {"Location": {"schema": _STR, "description": "Alamat GET kasus."}},
                },
                **_errors(400, 401, 403, 404, 422, 500),
            },
        }
    },
    "/cases/{case_id}": {
        "parameters": [_param("CaseId")],
        "get": {
            "operationId": "getCase",
            "tags": ["cases"],
            "summary": "Ringkasan kasus, tugas dan dokumennya.",
            "responses": {"200": _json(_ref("CaseDetail"), "Kasus."), **_errors(401, 404)},
        },
    },
    "/tasks": {
        "get": {
            "operationId": "listMyTasks",
            "tags": ["tasks"],
            "summary": "Tugas siap milik pengguna (lane dan unitnya, belum diklaim atau diklaim olehnya).",
            "parameters": [
                {"name": "step", "in": "query", "schema": _INT, "description": "Nomor langkah SOP."},
                {"name": "periode", "in": "query", "schema": _STR, "description": "Mis. 2026-TW3."},
                {
                    "name": "order",
                    "in": "query",
                    "schema": {"type": "string", "enum": ["due", "step", "periode"], "default": "due"},
                },
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 200},
                },
            ],
            "responses": {
                "200": _json(
                    _obj(["tasks"], {"tasks": {"type": "array", "items": _ref("InboxTask")}}), "Daftar tugas."
                ),
                **_errors(400, 401),
            },
        }
    },
    "/tasks/{task_id}": {
        "parameters": [_param("TaskId")],
        "get": {
            "operationId": "getTask",
            "tags": ["tasks"],
            "summary": "Tugas dengan Mutu Baku SOP, skema formulir dan dokumen kasus (lane/unitnya, auditor, admin, "
            "pemilik proses).",
            "responses": {"200": _json(_ref("TaskDetail"), "Tugas."), **_errors(401, 403, 404)},
        },
    },
    "/tasks/{task_id}/claim": {
        "parameters": [_param("TaskId")],
        "post": {
            "operationId": "claimTask",
            "tags": ["tasks"],
            "summary": "Klaim tugas siap (mengklaim ulang tugas sendiri tidak berpengaruh).",
            "responses": {"200": _json(_ref("Task"), "Tugas diklaim."), **_errors(401, 403, 404, 409)},
        },
    },
    "/tasks/{task_id}/unclaim": {
        "parameters": [_param("TaskId")],
        "post": {
            "operationId": "unclaimTask",
            "tags": ["tasks"],
            "summary": "Lepaskan klaim tugas kembali ke lane.",
            "responses": {"200": _json(_ref("Task"), "Klaim dilepas."), **_errors(401, 403, 404, 409)},
        },
    },
    "/tasks/{task_id}/complete": {
        "parameters": [_param("TaskId")],
        "post": {
            "operationId": "completeTask",
            "tags": ["tasks"],
            "summary": "Selesaikan tugas dengan isian formulir (dan berkas), lalu jalankan langkah mesin berikutnya.",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": _ref("FormData")},
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "data": {
                                    "type": "string",
                                    "contentMediaType": "application/json",
                                    "description": "Isian formulir (FormData) sebagai JSON.",
                                }
                            },
                            "additionalProperties": {**_FILE, "description": "Berkas, bagian dinamai nama isian."},
                        },
                        "encoding": {"data": {"contentType": "application/json"}},
                    },
                },
            },
            "responses": {
                "200": _json(_ref("CaseOutcome"), "Tugas selesai; keadaan kasus."),
                **_errors(400, 401, 403, 404, 409, 422, 500),
            },
        },
    },
    "/tasks/{task_id}/files/{field}": {
        "parameters": [_param("TaskId"), _param("Field")],
        "post": {
            "operationId": "stageUpload",
            "tags": ["tasks"],
            "summary": "Unggah berkas untuk isian berkas sebelum tugas diselesaikan.",
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": _obj(["file"], {"file": {**_FILE, "description": "Isi berkas."}}),
                    }
                },
            },
            "responses": {
                "201": _json(_ref("StagedUpload"), "Berkas tersimpan."),
                **_errors(400, 401, 403, 404, 409, 422),
            },
        },
    },
    "/tasks/{task_id}/reassign": {
        "parameters": [_param("TaskId")],
        "post": {
            "operationId": "reassignTask",
            "tags": ["tasks"],
            "summary": "Alihkan tugas ke anggota lain lane/unitnya (kepala lane atau admin).",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("ReassignRequest")}}},
            "responses": {
                "200": _json(_ref("Task"), "Tugas dialihkan dan diklaim atas nama pengguna tujuan."),
                **_errors(400, 401, 403, 404, 409, 422),
            },
        },
    },
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "sopflow API",
        "version": API_VERSION,
        "description": "Menjalankan SOP sebagai proses BPMN: memulai kasus, kotak masuk tugas, klaim, unggah berkas "
        "dan penyelesaian tugas. Otorisasi sama dengan halaman web (lane, unit, peran). Setiap galat berbentuk "
        "Error. Waktu dalam UTC (ISO 8601, akhiran Z).",
    },
    "servers": [{"url": "/api/v1"}],
    "tags": [
        {"name": "cases", "description": "Kasus (instans proses)."},
        {"name": "tasks", "description": "Tugas manusia."},
        {"name": "meta", "description": "Dokumen API."},
    ],
    "security": [{"bearerAuth": []}],
    "paths": PATHS,
    "components": {
        "securitySchemes": {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "description": "Token API pengguna (sfw_...), dibuat oleh admin; dikirim sebagai "
                "Authorization: Bearer <token>.",
            }
        },
        "schemas": SCHEMAS,
        "responses": RESPONSES,
        "parameters": PARAMETERS,
    },
}


def openapi_document() -> dict[str, Any]:
    """Return a fresh copy of the OpenAPI 3.1 document (callers may change it)."""
    return copy.deepcopy(DOCUMENT)
