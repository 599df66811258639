"""The REST API's request and response bodies as pydantic models: the source of its OpenAPI document.

:mod:`webapp.api_spec` turns these models into the document's ``components/schemas`` and the views
of :mod:`webapp.api` name them in their ``@documented(...)`` decorator, so a view and the schema of
what it answers sit side by side. Response models forbid unknown keys (``additionalProperties:
false``): a key the view adds without documenting it fails every test that calls the view (the test
client validates each ``/api/v1`` response against the published document) and the schemathesis run.
The request models are what the views parse bodies with (:func:`webapp.api_support.parse_body`),
so what the document accepts and what the API accepts are one definition.

Descriptions are in Bahasa Indonesia: they are what API users read in /api/docs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict
from pydantic.json_schema import SkipJsonSchema

#: a text that must hold a non-blank character (the views strip it; "" and "  " are refused)
NonBlank = Annotated[str, Field(min_length=1, pattern=r"\S")]
Time = Annotated[datetime, Field(description="ISO 8601, UTC, akhiran Z.")]
NTime = Annotated[datetime | None, Field(description="ISO 8601, UTC, akhiran Z; null bila belum ada.")]
Sha256 = Annotated[str, Field(pattern="^[0-9a-f]{64}$")]


class Out(BaseModel):
    """A response body: every key it may carry is declared; any other key is a documentation bug."""

    model_config = ConfigDict(extra="forbid")


# -- errors ---------------------------------------------------------------------------------------------
class ErrorDetail(Out):
    code: str = Field(
        description="Kode mesin, mis. unauthorized, not_found, not_assignee, permission_denied, "
        "task_claimed_by_other, task_not_ready, stale_instance, case_already_exists, invalid_form, invalid_json, "
        "invalid_query, too_many_attempts, handler_failed, internal_error."
    )
    message: str = Field(description="Pesan dalam Bahasa Indonesia.")
    fields: dict[str, list[str]] = Field(
        description="Pesan per isian ('' untuk formulir secara keseluruhan); kosong bila tidak ada."
    )


class Error(Out):
    """Bentuk setiap galat API."""

    error: ErrorDetail


# -- requests -------------------------------------------------------------------------------------------
class StartCaseRequest(BaseModel):
    """Kasus baru: proses, periode dan data awal menurut formulir mula proses."""

    process_id: NonBlank = Field(examples=["monev_kinerja"])
    periode: NonBlank = Field(examples=["2026-TW3"])
    data: dict[str, Any] | None = Field(default=None, description="Data awal menurut formulir mula proses.")


class ReassignRequest(BaseModel):
    """Pengalihan tugas ke anggota lain lane/unitnya."""

    to_user: NonBlank = Field(description="Nama pengguna tujuan.")


class FormData(BaseModel):
    """Isian formulir tugas menurut skemanya (GET /tasks/{task_id} → form). Isian berkas diisi
    {"upload_id": "..."} dari POST /tasks/{task_id}/files/{field}."""

    model_config = ConfigDict(extra="allow")


_FILE_PART: JsonDict = {"type": "string", "format": "binary", "description": "Berkas, bagian dinamai nama isian."}


class CompleteMultipart(BaseModel):
    """Isian sebagai bagian 'data' (JSON) dan satu bagian berkas per isian berkas, dinamai nama isian."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": _FILE_PART})

    data: dict[str, Any] | SkipJsonSchema[None] = Field(
        default=None,
        description="Isian formulir sebagai objek JSON (bagian application/json); JSON rusak atau bukan objek: 400.",
    )


class UploadMultipart(BaseModel):
    """Berkas pada bagian 'file'."""

    file: bytes = Field(description="Isi berkas.", json_schema_extra={"format": "binary"})


# -- query strings (read by webapp.api_queries; documented from here) ---------------------------------------
Limit = Annotated[int, Field(ge=1, le=500, description="Jumlah per halaman.")]
Offset = Annotated[
    int, Field(ge=0, le=1_000_000, description="Lewati sebanyak ini (halaman berikutnya: offset + limit).")
]


class TaskListQuery(BaseModel):
    filter: Literal["semua", "milik_saya", "belum_diklaim", "terlambat", "jatuh_tempo"] = Field(
        "semua",
        description="Saringan kotak masuk: semua; milik_saya (diklaim pengguna token); belum_diklaim; terlambat "
        "(melewati tenggat); jatuh_tempo (belum terlambat, tenggat paling lambat akhir hari kerja kedua berikutnya).",
    )
    step: Annotated[int, Field(ge=0, le=2_147_483_647)] | SkipJsonSchema[None] = Field(
        None, description="Nomor langkah SOP."
    )
    periode: str | SkipJsonSchema[None] = Field(None, description="Mis. 2026-TW3.")
    order: Literal["due", "step", "periode"] = Field(
        "due", description="Urutan: due (tenggat terdekat dahulu), step (nomor langkah), periode (terbaru)."
    )
    limit: Limit = 200
    offset: Offset = 0


class CaseListQuery(BaseModel):
    process_id: str | SkipJsonSchema[None] = Field(None, description="Mis. monev_kinerja.")
    status: Literal["berjalan", "selesai", "gagal"] | SkipJsonSchema[None] = None
    periode: str | SkipJsonSchema[None] = Field(None, description="Mis. 2026-TW3.")
    order: Literal["periode", "judul", "status", "tenggat", "dimulai"] = Field(
        "periode",
        description="Urutan: periode, judul (judul proses), status, tenggat (tenggat terdekat tugas yang terbuka; "
        "kasus tanpa tugas terbuka di akhir), dimulai.",
    )
    direction: Literal["asc", "desc"] | SkipJsonSchema[None] = Field(
        None, description="Arah urutan; bawaan desc untuk periode dan dimulai, asc untuk lainnya."
    )
    limit: Limit = 100
    offset: Offset = 0


class NotificationQuery(BaseModel):
    limit: Limit = 100


# -- tasks ------------------------------------------------------------------------------------------------
class _TaskFields(Out):
    task_id: str
    element_id: str = Field(description="Id elemen BPMN, mis. langkah01_format_isian.")
    name: str
    step: int | None = Field(description="Nomor langkah SOP.")
    lane: str = Field(description="Pelaksana (lane BPMN), mis. Sekretaris.")
    unit: str | None = Field(description="Unit (Bidang) bila tugas per Bidang.")
    label: str | None
    claimed_by: str | None
    due_at: NTime


class Task(_TaskFields):
    """Tugas sebagaimana dikembalikan oleh perintah (klaim, lepas, alihkan) dan di open_tasks."""

    case_id: str
    periode: str
    state: Literal["ready", "completed", "cancelled"]
    ready_at: Time
    completed_at: NTime
    completed_by: str | None


class InboxTask(_TaskFields):
    """Tugas siap di kotak masuk pengguna."""

    case_id: str
    periode: str
    ready_at: Time
    escalated_at: NTime
    escalated_to: str | None
    overdue: bool = Field(description="Sudah melewati tenggat.")


class TaskList(Out):
    tasks: list[InboxTask]
    limit: int
    offset: int


class TaskDetailTask(InboxTask):
    """Tugas beserta keadaannya, kasus dan prosesnya."""

    state: Literal["ready", "completed", "cancelled"]
    completed_at: NTime
    completed_by: str | None
    completed_by_name: str | None = Field(description="Nama lengkap yang menyelesaikan.")
    claimed_by_name: str | None = Field(description="Nama lengkap yang mengklaim.")
    case_status: str
    process_id: str
    process_name: str = Field(description="Judul proses.")


class Sop(Out):
    """Mutu Baku langkah SOP."""

    step: str | int | None
    uraian: str
    persyaratan: str | None
    waktu: str | float | None
    satuan: str
    output: str | None
    keterangan: str | None
    documentation: str | None


class Document(Out):
    """Dokumen yang dihasilkan atau diterima kasus."""

    id: int
    case_id: str
    task_id: str | None = Field(description="Tugas yang menghasilkan atau menerima dokumen ini.")
    element_id: str | None
    kind: str = Field(description="Mis. format_isian, unggahan, draft_laporan, arsip.")
    filename: str
    media_type: str
    sha256: Sha256
    size: int
    meta: dict[str, Any] | None
    created_at: Time


class TaskDetail(Out):
    """Tugas dengan keterangan SOP, skema formulir, dan dokumen kasus."""

    task: TaskDetailTask
    sop: Sop
    form: dict[str, Any] | None = Field(description="JSON Schema (2020-12) formulir tugas.")
    documents: list[Document]


class StagedUpload(Out):
    """Berkas yang sudah diunggah untuk tugas; rujuk dengan {field: {upload_id}} saat menyelesaikan."""

    upload_id: str
    field: str
    filename: str
    size: int
    sha256: Sha256
    media_type: str


# -- cases ------------------------------------------------------------------------------------------------
class Job(Out):
    """Pekerjaan latar (outbox) yang belum selesai."""

    job_id: str
    kind: str = Field(description="Mis. advance_case (langkah otomatis kasus) atau send_email (surel notifikasi).")
    case_id: str | None
    status: Literal["pending", "failed"] = Field(
        description="pending: menunggu atau sedang diproses; failed: gagal setelah semua percobaan."
    )
    label: Literal["menunggu antrean", "sedang diproses", "gagal"]
    element_id: str | None = Field(description="Langkah BPMN yang akan dijalankan.")
    attempts: int
    max_attempts: int
    created_at: Time
    started_at: NTime
    finished_at: NTime
    run_after: NTime
    last_error: str | None
    triggered_by: str | None = Field(description="Pengguna yang perintahnya membuat pekerjaan.")


class CaseOutcome(Out):
    """Keadaan kasus setelah perintah."""

    case_id: str
    status: str = Field(description="berjalan, selesai atau gagal.")
    version: int = Field(description="Versi baris kasus (naik pada setiap perintah).")
    open_tasks: list[Task]
    failure: dict[str, Any] | None = Field(
        description="Langkah mesin yang gagal (element_id, pesan); dapat diulang setelah diperbaiki."
    )
    jobs: list[Job] = Field(description="Pekerjaan latar kasus yang antre, berjalan atau gagal.")


class CaseTask(Task):
    """Tugas sebuah kasus (terbuka maupun selesai)."""


class CaseStep(Out):
    """Satu langkah kasus dalam urutan terjadinya."""

    seq: int | None = Field(description="Nomor peristiwa audit tempat langkah dimulai.")
    kind: Literal["manusia", "otomatis"]
    task_id: str | None = Field(description="Tugas (langkah manusia).")
    element_id: str | None
    name: str = Field(description="Nama langkah pada diagram.")
    step: int | None = Field(description="Nomor langkah SOP.")
    lane: str | None
    unit: str | None
    label: str | None
    state: Literal["ready", "completed", "failed"]
    actor: str | None = Field(description="Yang mengerjakan; sistem untuk langkah otomatis.")
    actor_name: str | None = Field(description="Nama lengkap; Sistem untuk langkah otomatis.")
    claimed_by: str | None
    claimed_name: str | None
    dipicu_oleh: str | None = Field(description="Pengguna yang perintahnya menjalankan langkah otomatis.")
    dipicu_oleh_name: str | None
    started_at: NTime
    finished_at: NTime
    due_at: NTime
    duration_ms: float | None
    message: str | None = Field(default=None, description="Pesan galat langkah otomatis yang gagal.")


class CaseDetail(Out):
    """Ringkasan kasus beserta tugas, langkah, dokumen, dan pekerjaan latarnya yang belum selesai."""

    case_id: str
    process_id: str
    process_name: str = Field(description="Judul proses.")
    process_version_id: int
    periode: str
    status: str
    failure: dict[str, Any] | None
    started_by: str
    started_by_name: str = Field(description="Nama lengkap yang memulai kasus.")
    started_at: Time
    completed_at: NTime
    tasks: list[CaseTask]
    steps: list[CaseStep] = Field(description="Semua langkah, berurutan.")
    documents: list[Document]
    jobs: list[Job]


class CurrentStep(Out):
    step: int | None
    name: str
    unit: str | None
    label: str | None
    due_at: NTime


class CaseListItem(Out):
    """Kasus dalam daftar kasus."""

    case_id: str
    process_id: str
    process_name: str = Field(description="Judul proses, mis. Monitoring/Evaluasi ...")
    periode: str
    status: Literal["berjalan", "selesai", "gagal"]
    started_by: str
    started_by_name: str = Field(description="Nama lengkap yang memulai kasus.")
    started_at: Time
    completed_at: NTime
    due_at: NTime = Field(description="Tenggat terdekat tugas yang terbuka.")
    current_steps: list[CurrentStep] = Field(description="Tugas yang sedang terbuka (atau langkah yang gagal).")


class CaseList(Out):
    cases: list[CaseListItem]
    total: int = Field(description="Jumlah kasus yang cocok (semua halaman).")
    limit: int
    offset: int


# -- notifications ----------------------------------------------------------------------------------------
class Notification(Out):
    """Notifikasi untuk pengguna."""

    id: int
    kind: Literal["task_ready", "due_soon", "overdue", "escalated"]
    title: str = Field(description="Jenis notifikasi dalam kata-kata, mis. Tugas baru.")
    subject: str
    body: str
    link: str | None = Field(description="Alamat halaman tugas.")
    case_id: str | None
    task_id: str | None
    created_at: Time
    read: bool = Field(description="Sudah ditandai dibaca.")
    email_status: Literal["terkirim", "menunggu", "gagal", "nonaktif", "tanpa_alamat", "smtp_belum_diatur"]
    email_error: str | None = Field(description="Galat pengiriman surel bila gagal.")


class NotificationList(Out):
    notifications: list[Notification]
    unread: int


class OpenApiDocument(BaseModel):
    """Dokumen OpenAPI 3.1."""

    model_config = ConfigDict(extra="allow")

    openapi: str
