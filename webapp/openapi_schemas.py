"""The data schemas of the OpenAPI document (:mod:`webapp.openapi`), and the helpers both modules use.

Schemas are JSON Schema 2020-12 (OpenAPI 3.1); a value that may be absent is typed ``[<type>, "null"]``.
"""

from __future__ import annotations

from typing import Any

STR = {"type": "string"}
INT = {"type": "integer"}
NSTR = {"type": ["string", "null"]}
NINT = {"type": ["integer", "null"]}
TIME = {"type": "string", "format": "date-time", "description": "ISO 8601, UTC, akhiran Z."}
NTIME = {"type": ["string", "null"], "format": "date-time", "description": "ISO 8601, UTC, akhiran Z."}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: list[str], properties: dict[str, Any], description: str = "", **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "required": required, "properties": properties, **extra}
    if description:
        schema["description"] = description
    return schema


def json_response(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def errors(*statuses: int) -> dict[str, Any]:
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


def param(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/parameters/{name}"}


_TASK_FIELDS: dict[str, Any] = {
    "task_id": STR,
    "case_id": STR,
    "element_id": {"type": "string", "description": "Id elemen BPMN, mis. langkah01_format_isian."},
    "name": STR,
    "step": {"type": ["integer", "null"], "description": "Nomor langkah SOP."},
    "lane": {"type": "string", "description": "Pelaksana (lane BPMN), mis. Sekretaris."},
    "unit": {"type": ["string", "null"], "description": "Unit (Bidang) bila tugas per Bidang."},
    "label": NSTR,
    "claimed_by": NSTR,
    "due_at": NTIME,
}

SCHEMAS: dict[str, Any] = {
    "Error": obj(
        ["error"],
        {
            "error": obj(
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
                        "additionalProperties": {"type": "array", "items": STR},
                    },
                },
            )
        },
        "Bentuk setiap galat API.",
    ),
    "Task": obj(
        [*_TASK_FIELDS, "state"],
        _TASK_FIELDS | {"state": {"type": "string", "enum": ["ready", "completed", "cancelled"]}},
        "Tugas sebagaimana dikembalikan oleh perintah (klaim, lepas, alihkan) dan di open_tasks.",
    ),
    "CaseOutcome": obj(
        ["case_id", "status", "version", "open_tasks", "failure"],
        {
            "case_id": STR,
            "status": {"type": "string", "description": "berjalan, selesai atau gagal."},
            "version": {"type": "integer", "description": "Versi baris kasus (naik pada setiap perintah)."},
            "open_tasks": {"type": "array", "items": ref("Task")},
            "failure": {
                "type": ["object", "null"],
                "description": "Langkah mesin yang gagal (element_id, pesan); dapat diulang setelah diperbaiki.",
            },
        },
        "Keadaan kasus setelah perintah.",
    ),
    "InboxTask": obj(
        [*_TASK_FIELDS, "periode", "ready_at", "escalated_at", "escalated_to", "overdue"],
        _TASK_FIELDS
        | {
            "periode": STR,
            "ready_at": TIME,
            "escalated_at": NTIME,
            "escalated_to": NSTR,
            "overdue": {"type": "boolean", "description": "Sudah melewati tenggat."},
        },
        "Tugas siap di kotak masuk pengguna.",
    ),
    "CaseTask": obj(
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
            "state": STR,
            "ready_at": TIME,
            "completed_at": NTIME,
            "completed_by": NSTR,
        },
        "Tugas sebuah kasus (terbuka maupun selesai).",
    ),
    "Document": obj(
        ["id", "case_id", "kind", "filename", "media_type", "sha256", "size", "created_at"],
        {
            "id": INT,
            "case_id": STR,
            "task_id": {**NSTR, "description": "Tugas yang menghasilkan atau menerima dokumen ini."},
            "element_id": NSTR,
            "kind": {"type": "string", "description": "Mis. format_isian, unggahan, draft_laporan, arsip."},
            "filename": STR,
            "media_type": STR,
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "size": INT,
            "meta": {"type": "object"},
            "created_at": TIME,
        },
        "Dokumen yang dihasilkan atau diterima kasus.",
    ),
    "CaseDetail": obj(
        ["case_id", "process_id", "periode", "status", "started_by", "started_at", "tasks", "documents"],
        {
            "case_id": STR,
            "process_id": STR,
            "process_version_id": INT,
            "periode": STR,
            "status": STR,
            "failure": {"type": ["object", "null"]},
            "started_by": STR,
            "started_at": TIME,
            "completed_at": NTIME,
            "tasks": {"type": "array", "items": ref("CaseTask")},
            "documents": {"type": "array", "items": ref("Document")},
            "jobs": {"type": "array", "items": ref("Job")},
        },
        "Ringkasan kasus beserta tugas, dokumen, dan pekerjaan latarnya yang belum selesai.",
    ),
    "Job": obj(
        ["job_id", "kind", "case_id", "status", "label", "attempts", "max_attempts", "created_at"],
        {
            "job_id": STR,
            "kind": {
                "type": "string",
                "enum": ["advance_case", "send_email"],
                "description": "Langkah otomatis kasus (advance_case) atau surel notifikasi (send_email).",
            },
            "case_id": NSTR,
            "status": {
                "type": "string",
                "enum": ["pending", "failed"],
                "description": "pending: menunggu atau sedang diproses; failed: gagal setelah semua percobaan.",
            },
            "label": {"type": "string", "enum": ["menunggu antrean", "sedang diproses", "gagal"]},
            "element_id": {"type": ["string", "null"], "description": "Langkah BPMN yang akan dijalankan."},
            "attempts": INT,
            "max_attempts": INT,
            "created_at": TIME,
            "started_at": NTIME,
            "finished_at": NTIME,
            "run_after": NTIME,
            "last_error": NSTR,
            "triggered_by": {"type": ["string", "null"], "description": "Pengguna yang perintahnya membuat pekerjaan."},
        },
        "Pekerjaan latar (outbox) yang belum selesai.",
    ),
    "Notification": obj(
        ["id", "kind", "title", "subject", "body", "created_at", "read", "email_status"],
        {
            "id": INT,
            "kind": {"type": "string", "enum": ["task_ready", "due_soon", "overdue", "escalated"]},
            "title": {"type": "string", "description": "Jenis notifikasi dalam kata-kata, mis. Tugas baru."},
            "subject": STR,
            "body": STR,
            "link": {"type": ["string", "null"], "description": "Alamat halaman tugas."},
            "case_id": NSTR,
            "task_id": NSTR,
            "created_at": TIME,
            "read": {"type": "boolean", "description": "Sudah ditandai dibaca."},
            "email_status": {
                "type": "string",
                "enum": ["terkirim", "menunggu", "gagal", "nonaktif", "tanpa_alamat", "smtp_belum_diatur"],
            },
            "email_error": {"type": ["string", "null"], "description": "Galat pengiriman surel bila gagal."},
        },
        "Notifikasi untuk pengguna.",
    ),
    "TaskDetail": obj(
        ["task", "sop", "form", "documents"],
        {
            "task": {
                "allOf": [
                    {"$ref": "#/components/schemas/InboxTask"},
                    {
                        "type": "object",
                        "properties": {
                            "state": STR,
                            "completed_at": NTIME,
                            "completed_by": NSTR,
                            "case_status": STR,
                            "process_id": STR,
                        },
                    },
                ],
            },
            "sop": obj(
                ["uraian", "satuan"],
                {
                    "step": {"type": ["string", "integer", "null"]},
                    "uraian": STR,
                    "persyaratan": NSTR,
                    "waktu": {"type": ["string", "number", "null"]},
                    "satuan": STR,
                    "output": NSTR,
                    "keterangan": NSTR,
                    "documentation": NSTR,
                },
                "Mutu Baku langkah SOP.",
            ),
            "form": {"type": ["object", "null"], "description": "JSON Schema (2020-12) formulir tugas."},
            "documents": {"type": "array", "items": ref("Document")},
        },
        "Tugas dengan keterangan SOP, skema formulir, dan dokumen kasus.",
    ),
    "StagedUpload": obj(
        ["upload_id", "field", "filename", "size", "sha256", "media_type"],
        {
            "upload_id": STR,
            "field": STR,
            "filename": STR,
            "size": INT,
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "media_type": STR,
        },
        "Berkas yang sudah diunggah untuk tugas; rujuk dengan {field: {upload_id}} saat menyelesaikan.",
    ),
    "UploadReference": obj(
        ["upload_id"],
        {"upload_id": STR},
        "Rujukan ke berkas yang diunggah lewat POST /tasks/{task_id}/files/{field}.",
        additionalProperties=False,
    ),
    "FormData": {
        "type": "object",
        "description": "Isian formulir tugas menurut skemanya (GET /tasks/{task_id} → form). Isian berkas diisi "
        "UploadReference.",
        "additionalProperties": True,
    },
    "StartCaseRequest": obj(
        ["process_id", "periode"],
        {
            "process_id": {"type": "string", "examples": ["monev_kinerja"]},
            "periode": {"type": "string", "examples": ["2026-TW3"]},
            "data": {"type": "object", "description": "Data awal menurut formulir mula proses.", "default": {}},
        },
    ),
    "ReassignRequest": obj(["to_user"], {"to_user": {"type": "string", "description": "Nama pengguna tujuan."}}),
}
