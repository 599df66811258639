"""REST API (``/api/v1``): the same engine commands and inbox queries as the HTML pages, as JSON.

Every endpoint except ``GET /openapi.json`` needs ``Authorization: Bearer <token>`` (a token
issued by :func:`sopflow.access.tokens.issue_token`). Users whose only role is ``auditor`` may only
read (GET). Authorization of each command is the engine's (:mod:`sopflow.access.authz`): the API
passes the token's user as the actor. What a caller may see is :mod:`sopflow.access.case_access`'s,
through the ``inbox`` read functions: a case, task or document the caller may not see answers
404, as on the pages and downloads.

Each view declares its operation (statuses, request and response models of :mod:`webapp.api_models`)
with :func:`webapp.api_spec.documented`; the OpenAPI 3.1 document generated from those declarations
is served at ``GET /openapi.json`` (no token) and rendered at ``/api/docs``.

Every error, in this blueprint only, is JSON:
``{"error": {"code": "...", "message": "<Bahasa Indonesia>", "fields": {field: [messages]}}}``.
Datetimes are ISO 8601 UTC with a ``Z`` suffix.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, jsonify, request, send_file, url_for

from sopflow import (
    ClaimTask,
    CompleteUserTask,
    Engine,
    PermissionDenied,
    ReassignTask,
    StageUpload,
    StartInstance,
    UnclaimTask,
    Upload,
)
from sopflow.access import authz
from sopflow.queries import inbox

from . import api_models as m
from .api_plumbing import _api_error, _http_error, _sopflow_error, _unexpected, install
from .api_queries import MAX_ID, MAX_LIMIT, case_list_args, task_list_args
from .api_spec import (
    BINARY,
    CASE_LINKS,
    CONTENT_DISPOSITION,
    LIST_CASES_LINKS,
    LOCATION,
    documented,
    links_from_outcome,
    links_to_task,
    openapi_document,
)
from .api_support import (
    ApiError,
    ApiUser,
    int_arg,
    invalid,
    json_body,
    multipart_data,
    parse_body,
    reply,
    to_json,
)

# the error handlers are re-exported: tests check they are registered on this blueprint only
__all__ = ["_api_error", "_http_error", "_sopflow_error", "_unexpected", "bp", "to_json"]

bp = Blueprint("api", __name__, url_prefix="/api/v1")
install(bp)  # bearer authentication, JSON errors, OPTIONS, unknown paths (webapp.api_plumbing)


def _engine() -> Engine:
    return current_app.extensions["sopflow"].engine


def _user() -> ApiUser:
    return g.api_user


# -- endpoints ----------------------------------------------------------------------------------------
@bp.get("/openapi.json")
@documented(
    "getOpenApi",
    "Dokumen OpenAPI ini (tanpa token).",
    "meta",
    (200, m.OpenApiDocument, "Dokumen OpenAPI 3.1."),
    public=True,
)
def openapi() -> Response:
    """Return the OpenAPI 3.1 document generated from these views (``servers``: this blueprint's prefix)."""
    return jsonify(openapi_document())


@bp.post("/cases")
@documented(
    "startCase",
    "Mulai kasus baru pada versi proses terbaru (pemilik proses atau admin).",
    "cases",
    (201, m.CaseOutcome, "Kasus dimulai."),
    (400, 403, 404, 409, 413, 422),
    json=m.StartCaseRequest,
    headers=LOCATION,
    links=links_from_outcome(),
)
def start_case() -> Response:
    """Start a case: body ``{"process_id", "periode", "data"?}``.

    Only process owners (``pemilik_proses``) and admins may start a case, as on the case list
    page; the engine checks the start lane too. Response 201: the case outcome with a ``Location``
    header. Errors: 400 malformed JSON; 403 not a process owner/admin, or auditor; 404 process not
    published; 409 periode already has a case (``case_already_exists``); 422 bad fields or start data.
    """
    user = _user()
    if not authz.may_start_cases(user.roles):  # same rule as the case list page and the engine
        raise PermissionDenied(
            f"Hanya pemilik proses atau admin yang dapat memulai kasus; {user.username} tidak.", user=user.username
        )
    body = parse_body(m.StartCaseRequest, json_body())
    start = StartInstance(body.process_id.strip(), user.username, body.periode.strip(), body.data or {})
    outcome = _engine().start_instance(start)
    location = url_for("api.get_case", case_id=outcome.case_id)
    return reply(outcome, 201, {"Location": location})


@bp.get("/cases")
@documented(
    "listCases",
    "Kasus yang boleh dilihat pengguna token (satu halaman).",
    "cases",
    (200, m.CaseList, "Satu halaman kasus yang boleh dilihat."),
    (400,),
    query=m.CaseListQuery,
    links=LIST_CASES_LINKS,
)
def list_cases() -> Response:
    """Return ``{"cases": [...], "total", "limit", "offset"}``: one page of the cases the caller may see.

    Query: ``process_id``, ``status`` (``berjalan``, ``selesai``, ``gagal``), ``periode``,
    ``order`` (``periode`` default, ``judul``, ``status``, ``tenggat``, ``dimulai``),
    ``direction`` (``asc``/``desc``; default desc for periode and dimulai), ``limit``
    (1..500, default 100), ``offset``. Each case carries ``process_name``, ``current_steps``
    and ``due_at``. Errors: 400 invalid query parameters.
    """
    args = case_list_args()
    with _engine().db.reading() as session:
        found = inbox.case_list_for_user(session, _user().username, **args)
    return reply(found | {"limit": args["limit"], "offset": args["offset"]})


@bp.get("/cases/<case_id>")
@documented(
    "getCase",
    "Ringkasan kasus, tugas, langkah, dokumen dan pekerjaan latarnya (langkah otomatis) yang belum selesai.",
    "cases",
    (200, m.CaseDetail, "Kasus."),
    (404,),
    links=CASE_LINKS,
)
def get_case(case_id: str) -> Response:
    """Return a case: its summary fields plus ``tasks`` (open and closed), ``documents`` and ``jobs``.

    ``steps`` is the complete step list in order (human and automatic steps; automatic ones by
    ``sistem`` with ``dipicu_oleh``). ``tasks``, ``steps`` and ``documents`` are the caller's part
    (a Kepala Bidang: their Bidang's; every automatic step). ``jobs``
    are the case's queued, running and failed background jobs (automatic steps after a
    completion), each with ``status`` and an Indonesian ``label``. Errors: 404 unknown case, or
    a case the caller may not see.
    """
    with _engine().db.reading() as session:
        view = inbox.case_view_for(session, _user().username, case_id)
        summary = view["summary"] | {"tasks": view["tasks"], "steps": view["steps"], "documents": view["documents"]}
    summary["jobs"] = _engine().case_jobs(case_id)
    return reply(summary)


@bp.get("/cases/<case_id>/documents/<int:doc_id>")
@documented(
    "downloadDocument",
    "Unduh berkas dokumen kasus (id dari `documents` pada GET kasus) yang boleh dilihat pemanggil.",
    "cases",
    (200, None, "Isi berkas dengan jenis medianya (xlsx, docx, pdf, ...)."),
    (404,),
    headers=CONTENT_DISPOSITION,
    content=BINARY,
)
def download_document(case_id: str, doc_id: int) -> Response:
    """Send a case's document (bytes, media type, file name) to a caller who may see it; else 404.

    404 also for an id past PostgreSQL's integer (the query would fail) and one the caller may not see.
    """
    if doc_id > MAX_ID:
        raise ApiError(404, "not_found", "Dokumen tidak ditemukan.")
    with _engine().db.reading() as session:
        document = inbox.document_for_user(session, case_id, doc_id, _user().username)
    path = _engine().services.files.path_for(document["sha256"])
    return send_file(path, mimetype=document["media_type"], as_attachment=True, download_name=document["filename"])


@bp.get("/tasks")
@documented(
    "listMyTasks",
    "Tugas siap milik pengguna (lane dan unitnya, belum diklaim atau diklaim olehnya).",
    "tasks",
    (200, m.TaskList, "Satu halaman daftar tugas."),
    (400,),
    query=m.TaskListQuery,
    links=links_to_task("#/tasks/0/task_id"),
)
def list_tasks() -> Response:
    """Return ``{"tasks": [...], "limit", "offset"}``: the caller's ready tasks (own lanes and units,
    unclaimed or claimed by them), one page.

    Query: ``filter`` (``semua`` default, ``milik_saya``, ``belum_diklaim``, ``terlambat``,
    ``jatuh_tempo`` = due within 2 working days), ``step`` (integer), ``periode`` (e.g.
    ``2026-TW3``), ``order`` (``due`` default, ``step``, ``periode``), ``limit`` (1..500,
    default 200), ``offset``. Each task carries ``overdue``. Errors: 400 invalid query parameters.
    """
    args = task_list_args()
    engine = _engine()
    now = engine.clock()
    due_soon = inbox.due_soon_until(now, engine.services.calendar, engine.services.timezone)
    with engine.db.reading() as session:
        views = inbox.tasks_for_user(session, _user().username, now=now, due_soon=due_soon, **args)
    tasks = [to_json(v) | {"overdue": v.is_overdue(now)} for v in views]
    return reply({"tasks": tasks, "limit": args["limit"], "offset": args["offset"]})


@bp.get("/tasks/<task_id>")
@documented(
    "getTask",
    "Tugas dengan Mutu Baku SOP, skema formulir dan dokumen kasus (lane/unitnya, auditor, admin, pemilik proses).",
    "tasks",
    (200, m.TaskDetail, "Tugas."),
    (403, 404),
)
def get_task(task_id: str) -> Response:
    """Return ``{"task", "sop", "form", "documents"}``: the task, the SOP's Mutu Baku for its step, its form's
    JSON Schema and the case's documents.

    Readable, as the task page, by members of the task's lane (and unit) and by auditors,
    admins and process owners; ``documents`` are the caller's part. Errors: 403 (``not_assignee``)
    a visible task of another lane; 404 unknown task, or a task of a case or part the caller may not see.
    """
    now = _engine().clock()
    with _engine().db.reading() as session:
        detail = inbox.task_view_for(session, _user().username, task_id)
    due_at = detail["task"]["due_at"]
    detail["task"]["overdue"] = due_at is not None and now > due_at  # as in GET /tasks
    return reply(detail)


def _check_visible(task_id: str) -> None:
    """404 before any command on a task whose case or part the caller may not see."""
    with _engine().db.reading() as session:
        inbox.check_may_view_task(session, _user().username, task_id)


@bp.post("/tasks/<task_id>/claim")
@documented(
    "claimTask",
    "Klaim tugas siap (mengklaim ulang tugas sendiri tidak berpengaruh).",
    "tasks",
    (200, m.Task, "Tugas diklaim."),
    (403, 404, 409),
    links=links_to_task("#/task_id"),
)
def claim_task(task_id: str) -> Response:
    """Claim a ready task for the caller; claiming one's own claimed task again is harmless.

    Response 200: the task. Errors: 403 not the caller's lane/unit or auditor; 404 unknown task;
    409 claimed by someone else (``task_claimed_by_other``) or no longer ready (``task_not_ready``).
    """
    _check_visible(task_id)
    return reply(_engine().claim_task(ClaimTask(task_id, _user().username)))


@bp.post("/tasks/<task_id>/unclaim")
@documented(
    "unclaimTask",
    "Lepaskan klaim tugas kembali ke lane.",
    "tasks",
    (200, m.Task, "Klaim dilepas."),
    (403, 404, 409),
)
def unclaim_task(task_id: str) -> Response:
    """Give a task claimed by the caller back to its lane.

    Response 200: the task. Errors: 403, 404, 409 as for claim.
    """
    _check_visible(task_id)
    return reply(_engine().unclaim_task(UnclaimTask(task_id, _user().username)))


@bp.post("/tasks/<task_id>/complete")
@documented(
    "completeTask",
    "Selesaikan tugas dengan isian formulir (dan berkas), lalu jalankan langkah mesin berikutnya.",
    "tasks",
    (200, m.CaseOutcome, "Tugas selesai; keadaan kasus."),
    (400, 403, 404, 409, 413, 422),
    json=m.FormData,
    form=m.CompleteMultipart,
    links=links_from_outcome(with_case=False),
)
def complete_task(task_id: str) -> Response:
    """Complete a ready task with its form data, then let the engine run the following machine steps.

    Request: a JSON object (the form data; an upload field may be ``{"upload_id": "..."}`` from
    ``POST /tasks/{id}/files/{field}``), or ``multipart/form-data`` with a ``data`` part holding
    that JSON and one file part per upload field, named by the field.
    Response 200: the case outcome (a failed service step shows in ``status``/``failure``).
    Errors: 400 malformed JSON; 403 not the caller's lane/unit or auditor; 404; 409 claimed by
    someone else or already completed; 422 form errors per field (nothing is saved).
    """
    _check_visible(task_id)
    uploads: dict[str, Upload] = {}
    if request.mimetype == "multipart/form-data":
        data = multipart_data()
        for name, storage in request.files.items(multi=False):
            if name == "data" or not storage.filename:
                continue
            uploads[name] = Upload(storage.filename, storage.read())
    else:
        data = json_body()
    outcome = _engine().complete_user_task(CompleteUserTask(task_id, _user().username, data, uploads))
    return reply(outcome)


@bp.post("/tasks/<task_id>/files/<field>")
@documented(
    "stageUpload",
    "Unggah berkas untuk isian berkas sebelum tugas diselesaikan.",
    "tasks",
    (201, m.StagedUpload, "Berkas tersimpan."),
    (400, 403, 404, 409, 413, 422),
    form=m.UploadMultipart,
)
def stage_upload(task_id: str, field: str) -> Response:
    """Upload a file for an upload field of a ready task before completing it.

    Request: ``multipart/form-data`` with the file in a part named ``file`` (or named ``field``).
    Response 201: ``{"upload_id", "field", "filename", "size", "sha256", "media_type"}``; complete the
    task with ``{field: {"upload_id": ...}}``. Errors: 400 not multipart; 403; 404; 409;
    422 no file, a field without uploads, or a file of the wrong type or size.
    """
    storage = request.files.get("file") or request.files.get(field)  # reads the body: 413 over the cap first
    _check_visible(task_id)
    if request.mimetype != "multipart/form-data":
        raise ApiError(400, "bad_request", "Kirim berkas sebagai multipart/form-data pada bagian 'file'.")
    if storage is None or not storage.filename:
        raise invalid({field: ["Berkas belum dipilih (bagian 'file' pada multipart/form-data)."]})
    staged = _engine().stage_upload(
        StageUpload(task_id, _user().username, field, Upload(storage.filename, storage.read()))
    )
    return reply(staged, 201)


@bp.post("/tasks/<task_id>/reassign")
@documented(
    "reassignTask",
    "Alihkan tugas ke anggota lain lane/unitnya (kepala lane atau admin).",
    "tasks",
    (200, m.Task, "Tugas dialihkan dan diklaim atas nama pengguna tujuan."),
    (400, 403, 404, 409, 413, 422),
    json=m.ReassignRequest,
)
def reassign_task(task_id: str) -> Response:
    """Hand a ready task to another member of its lane (and unit): body ``{"to_user": "<username>"}``.

    Only the lane's head or an admin may. Response 200: the task, claimed by ``to_user``.
    Errors: 400 malformed JSON; 403 not the lane's head, or the target may not act on the task;
    404 unknown task or user; 409 task no longer ready; 422 ``to_user`` missing.
    """
    _check_visible(task_id)
    to_user = parse_body(m.ReassignRequest, json_body()).to_user.strip()
    return reply(_engine().reassign_task(ReassignTask(task_id, _user().username, to_user)))


@bp.get("/notifications")
@documented(
    "listMyNotifications",
    "Notifikasi pengguna token (terbaru dahulu) dan jumlah yang belum dibaca.",
    "notifications",
    (200, m.NotificationList, "Notifikasi."),
    (400,),
    query=m.NotificationQuery,
)
def list_notifications() -> Response:
    """Return ``{"notifications": [...], "unread": n}``: the caller's own notifications, newest first.

    Each carries ``read`` and the e-mail status (``terkirim``, ``menunggu``, ``gagal`` with
    ``email_error``, ``nonaktif``, ``tanpa_alamat``, ``smtp_belum_diatur``). Query: ``limit``
    (1..500, default 100). Errors: 400 invalid ``limit``.
    """
    fields: dict[str, list[str]] = {}
    limit = int_arg("limit", fields, minimum=1, maximum=MAX_LIMIT)
    if fields:
        raise ApiError(400, "invalid_query", "Parameter pencarian belum benar.", fields)
    username = _user().username
    items = _engine().notifications_for(username, limit if limit is not None else 100)
    return reply({"notifications": items, "unread": _engine().unread_notifications(username)})
