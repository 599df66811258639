"""The OpenAPI 3.1 description of the REST API (:mod:`webapp.api`), written by hand as a Python dict.

Served at ``GET /api/v1/openapi.json``. Paths are relative to the server URL ``/api/v1``.
Schemas are JSON Schema 2020-12 (OpenAPI 3.1); a value that may be absent is typed
``[<type>, "null"]``. Keep this in step with :mod:`webapp.api`: a test checks that every
route of the blueprint is described and every described path exists.
"""

from __future__ import annotations

import copy
from typing import Any

from .openapi_schemas import INT, SCHEMAS, STR, errors, json_response, obj, param, ref

API_VERSION = "1.0.0"

_ERROR_CONTENT = {"application/json": {"schema": ref("Error")}}

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
    "CaseId": {"name": "case_id", "in": "path", "required": True, "schema": STR},
    "TaskId": {"name": "task_id", "in": "path", "required": True, "schema": STR},
    "Field": {
        "name": "field",
        "in": "path",
        "required": True,
        "description": "Nama isian berkas pada formulir tugas, mis. lembar_isian.",
        "schema": STR,
    },
}

_FILE = {"type": "string", "contentMediaType": "application/octet-stream"}


def _limit(default: int) -> dict[str, Any]:
    return {
        "name": "limit",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": default},
        "description": "Jumlah per halaman.",
    }


_OFFSET = {
    "name": "offset",
    "in": "query",
    "schema": {"type": "integer", "minimum": 0, "maximum": 1_000_000, "default": 0},
    "description": "Lewati sebanyak ini (halaman berikutnya: offset + limit).",
}
_NTIME = {"type": ["string", "null"], "format": "date-time"}
_CASE_STEP = obj(
    ["kind", "element_id", "name", "step", "state", "actor", "actor_name", "started_at"],
    {
        "kind": {"type": "string", "enum": ["manusia", "otomatis"]},
        "task_id": {"type": ["string", "null"], "description": "Tugas (langkah manusia)."},
        "element_id": STR,
        "name": {"type": "string", "description": "Nama langkah pada diagram."},
        "step": {"type": ["integer", "null"], "description": "Nomor langkah SOP."},
        "lane": {"type": ["string", "null"]},
        "unit": {"type": ["string", "null"]},
        "label": {"type": ["string", "null"]},
        "state": {"type": "string", "enum": ["ready", "completed", "failed"]},
        "actor": {"type": ["string", "null"], "description": "Yang mengerjakan; sistem untuk langkah otomatis."},
        "actor_name": {"type": ["string", "null"], "description": "Nama lengkap; Sistem untuk langkah otomatis."},
        "dipicu_oleh": {
            "type": ["string", "null"],
            "description": "Pengguna yang perintahnya menjalankan langkah otomatis.",
        },
        "dipicu_oleh_name": {"type": ["string", "null"]},
        "claimed_by": {"type": ["string", "null"]},
        "started_at": {"type": "string", "format": "date-time"},
        "finished_at": _NTIME,
        "due_at": _NTIME,
        "duration_ms": {"type": ["number", "null"]},
        "seq": {"type": ["integer", "null"], "description": "Nomor peristiwa audit tempat langkah dimulai."},
    },
    "Satu langkah kasus dalam urutan terjadinya.",
)
_CASE_WITH_STEPS = {
    "allOf": [
        ref("CaseDetail"),
        {
            "type": "object",
            "properties": {"steps": {"type": "array", "items": _CASE_STEP, "description": "Semua langkah, berurutan."}},
        },
    ]
}
_CASE_LIST_ITEM = obj(
    ["case_id", "process_id", "process_name", "periode", "status", "started_at", "due_at", "current_steps"],
    {
        "case_id": STR,
        "process_id": STR,
        "process_name": {"type": "string", "description": "Judul proses, mis. Monitoring/Evaluasi ..."},
        "periode": STR,
        "status": {"type": "string", "enum": ["berjalan", "selesai", "gagal"]},
        "started_by": STR,
        "started_by_name": {"type": "string", "description": "Nama lengkap yang memulai kasus."},
        "started_at": {"type": "string", "format": "date-time"},
        "completed_at": _NTIME,
        "due_at": {**_NTIME, "description": "Tenggat terdekat tugas yang terbuka."},
        "current_steps": {
            "type": "array",
            "description": "Tugas yang sedang terbuka (atau langkah yang gagal).",
            "items": {
                "type": "object",
                "properties": {
                    "step": {"type": ["integer", "null"]},
                    "name": STR,
                    "unit": {"type": ["string", "null"]},
                    "label": {"type": ["string", "null"]},
                    "due_at": _NTIME,
                },
            },
        },
    },
    "Kasus dalam daftar kasus.",
)

PATHS: dict[str, Any] = {
    "/openapi.json": {
        "get": {
            "operationId": "getOpenApi",
            "tags": ["meta"],
            "summary": "Dokumen OpenAPI ini (tanpa token).",
            "security": [],
            "responses": {"200": json_response({"type": "object"}, "Dokumen OpenAPI 3.1.")},
        }
    },
    "/cases": {
        "get": {
            "operationId": "listCases",
            "tags": ["cases"],
            "summary": "Kasus yang boleh dilihat pengguna token (terbaru dahulu).",
            "parameters": [
                {"name": "process_id", "in": "query", "schema": STR, "description": "Mis. monev_kinerja."},
                {
                    "name": "status",
                    "in": "query",
                    "schema": {"type": "string", "enum": ["berjalan", "selesai", "gagal"]},
                },
                {"name": "periode", "in": "query", "schema": STR, "description": "Mis. 2026-TW3."},
                {
                    "name": "order",
                    "in": "query",
                    "schema": {
                        "type": "string",
                        "enum": ["periode", "judul", "status", "tenggat", "dimulai"],
                        "default": "periode",
                    },
                    "description": "Urutan: periode, judul (judul proses), status, tenggat (tenggat terdekat tugas "
                    "yang terbuka; kasus tanpa tugas terbuka di akhir), dimulai.",
                },
                {
                    "name": "direction",
                    "in": "query",
                    "schema": {"type": "string", "enum": ["asc", "desc"]},
                    "description": "Arah urutan; bawaan desc untuk periode dan dimulai, asc untuk lainnya.",
                },
                _limit(100),
                _OFFSET,
            ],
            "responses": {
                "200": json_response(
                    obj(
                        ["cases", "total", "limit", "offset"],
                        {
                            "cases": {"type": "array", "items": _CASE_LIST_ITEM},
                            "total": {"type": "integer", "description": "Jumlah kasus yang cocok (semua halaman)."},
                            "limit": INT,
                            "offset": INT,
                        },
                    ),
                    "Satu halaman kasus yang boleh dilihat.",
                ),
                **errors(400, 401, 500),
            },
        },
        "post": {
            "operationId": "startCase",
            "tags": ["cases"],
            "summary": "Mulai kasus baru pada versi proses terbaru (pemilik proses atau admin).",
            "requestBody": {"required": True, "content": {"application/json": {"schema": ref("StartCaseRequest")}}},
            "responses": {
                "201": {
                    **json_response(ref("CaseOutcome"), "Kasus dimulai."),
                    "headers": {"Location": {"schema": STR, "description": "Alamat GET kasus."}},
                },
                **errors(400, 401, 403, 404, 422, 500),
            },
        },
    },
    "/cases/{case_id}": {
        "parameters": [param("CaseId")],
        "get": {
            "operationId": "getCase",
            "tags": ["cases"],
            "summary": "Ringkasan kasus, tugas, dokumen dan pekerjaan latarnya (langkah otomatis) yang belum selesai.",
            "responses": {"200": json_response(_CASE_WITH_STEPS, "Kasus."), **errors(401, 404)},
        },
    },
    "/cases/{case_id}/documents/{doc_id}": {
        "parameters": [
            param("CaseId"),
            {"name": "doc_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}},
        ],
        "get": {
            "operationId": "downloadDocument",
            "tags": ["cases"],
            "summary": "Unduh berkas dokumen kasus (id dari `documents` pada GET kasus) yang boleh dilihat pemanggil.",
            "responses": {
                "200": {
                    "description": "Isi berkas dengan jenis medianya (xlsx, docx, pdf, ...).",
                    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
                    "headers": {"Content-Disposition": {"schema": STR, "description": "Nama berkas."}},
                },
                **errors(401, 404),
            },
        },
    },
    "/notifications": {
        "get": {
            "operationId": "listMyNotifications",
            "tags": ["notifications"],
            "summary": "Notifikasi pengguna token (terbaru dahulu) dan jumlah yang belum dibaca.",
            "parameters": [
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100},
                }
            ],
            "responses": {
                "200": json_response(
                    obj(
                        ["notifications", "unread"],
                        {"notifications": {"type": "array", "items": ref("Notification")}, "unread": INT},
                    ),
                    "Notifikasi.",
                ),
                **errors(400, 401),
            },
        }
    },
    "/tasks": {
        "get": {
            "operationId": "listMyTasks",
            "tags": ["tasks"],
            "summary": "Tugas siap milik pengguna (lane dan unitnya, belum diklaim atau diklaim olehnya).",
            "parameters": [
                {
                    "name": "filter",
                    "in": "query",
                    "schema": {
                        "type": "string",
                        "enum": ["semua", "milik_saya", "belum_diklaim", "terlambat", "jatuh_tempo"],
                        "default": "semua",
                    },
                    "description": "Saringan kotak masuk: semua; milik_saya (diklaim pengguna token); belum_diklaim; "
                    "terlambat (melewati tenggat); jatuh_tempo (belum terlambat, tenggat paling lambat akhir hari "
                    "kerja kedua berikutnya).",
                },
                {"name": "step", "in": "query", "schema": INT, "description": "Nomor langkah SOP."},
                {"name": "periode", "in": "query", "schema": STR, "description": "Mis. 2026-TW3."},
                {
                    "name": "order",
                    "in": "query",
                    "schema": {"type": "string", "enum": ["due", "step", "periode"], "default": "due"},
                    "description": "Urutan: due (tenggat terdekat dahulu), step (nomor langkah), periode (terbaru).",
                },
                _limit(200),
                _OFFSET,
            ],
            "responses": {
                "200": json_response(
                    obj(
                        ["tasks", "limit", "offset"],
                        {"tasks": {"type": "array", "items": ref("InboxTask")}, "limit": INT, "offset": INT},
                    ),
                    "Satu halaman daftar tugas.",
                ),
                **errors(400, 401),
            },
        }
    },
    "/tasks/{task_id}": {
        "parameters": [param("TaskId")],
        "get": {
            "operationId": "getTask",
            "tags": ["tasks"],
            "summary": "Tugas dengan Mutu Baku SOP, skema formulir dan dokumen kasus (lane/unitnya, auditor, admin, "
            "pemilik proses).",
            "responses": {"200": json_response(ref("TaskDetail"), "Tugas."), **errors(401, 403, 404)},
        },
    },
    "/tasks/{task_id}/claim": {
        "parameters": [param("TaskId")],
        "post": {
            "operationId": "claimTask",
            "tags": ["tasks"],
            "summary": "Klaim tugas siap (mengklaim ulang tugas sendiri tidak berpengaruh).",
            "responses": {"200": json_response(ref("Task"), "Tugas diklaim."), **errors(401, 403, 404, 409)},
        },
    },
    "/tasks/{task_id}/unclaim": {
        "parameters": [param("TaskId")],
        "post": {
            "operationId": "unclaimTask",
            "tags": ["tasks"],
            "summary": "Lepaskan klaim tugas kembali ke lane.",
            "responses": {"200": json_response(ref("Task"), "Klaim dilepas."), **errors(401, 403, 404, 409)},
        },
    },
    "/tasks/{task_id}/complete": {
        "parameters": [param("TaskId")],
        "post": {
            "operationId": "completeTask",
            "tags": ["tasks"],
            "summary": "Selesaikan tugas dengan isian formulir (dan berkas), lalu jalankan langkah mesin berikutnya.",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": ref("FormData")},
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
                "200": json_response(ref("CaseOutcome"), "Tugas selesai; keadaan kasus."),
                **errors(400, 401, 403, 404, 409, 422, 500),
            },
        },
    },
    "/tasks/{task_id}/files/{field}": {
        "parameters": [param("TaskId"), param("Field")],
        "post": {
            "operationId": "stageUpload",
            "tags": ["tasks"],
            "summary": "Unggah berkas untuk isian berkas sebelum tugas diselesaikan.",
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": obj(["file"], {"file": {**_FILE, "description": "Isi berkas."}}),
                    }
                },
            },
            "responses": {
                "201": json_response(ref("StagedUpload"), "Berkas tersimpan."),
                **errors(400, 401, 403, 404, 409, 422),
            },
        },
    },
    "/tasks/{task_id}/reassign": {
        "parameters": [param("TaskId")],
        "post": {
            "operationId": "reassignTask",
            "tags": ["tasks"],
            "summary": "Alihkan tugas ke anggota lain lane/unitnya (kepala lane atau admin).",
            "requestBody": {"required": True, "content": {"application/json": {"schema": ref("ReassignRequest")}}},
            "responses": {
                "200": json_response(ref("Task"), "Tugas dialihkan dan diklaim atas nama pengguna tujuan."),
                **errors(400, 401, 403, 404, 409, 422),
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
        {"name": "notifications", "description": "Notifikasi pengguna."},
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
