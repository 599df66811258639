"""REST API (``/api/v1``): the same engine commands and inbox queries as the HTML pages, as JSON.

Every endpoint except ``GET /openapi.json`` needs ``Authorization: Bearer <token>`` (a token
issued by :func:`sopflow.access.tokens.issue_token`). Users whose only role is ``auditor`` may only
read (GET). Authorization of each command is the engine's (:mod:`sopflow.access.authz`): the API
passes the token's user as the actor. What a caller may see is :mod:`sopflow.access.case_access`'s,
through the ``inbox`` read functions: a case, task or document the caller may not see answers
404, as on the pages and downloads.

| method | path | success | errors |
|---|---|---|---|
| GET | /cases | 200 a page of the cases the caller may see (filters, ``order``, ``limit``, ``offset``) | 400, 401 |
| POST | /cases | 201 case outcome | 400, 401, 403, 404, 422 |
| GET | /cases/{case_id} | 200 case summary + the caller's part of tasks and documents + open jobs | 401, 404 |
| GET | /tasks | 200 my ready tasks (``filter``, ``step``, ``periode``, ``order``, ``limit``, ``offset``) | 400, 401 |
| GET | /tasks/{task_id} | 200 task + SOP facts + form schema + documents | 401, 403, 404 |
| POST | /tasks/{task_id}/claim | 200 task | 401, 403, 404, 409 |
| POST | /tasks/{task_id}/unclaim | 200 task | 401, 403, 404, 409 |
| POST | /tasks/{task_id}/complete | 200 case outcome | 400, 401, 403, 404, 409, 422 |
| POST | /tasks/{task_id}/files/{field} | 201 staged upload | 400, 401, 403, 404, 409, 422 |
| POST | /tasks/{task_id}/reassign | 200 task | 400, 401, 403, 404, 409, 422 |
| GET | /notifications | 200 the caller's notifications and unread count | 401 |
| GET | /openapi.json | 200 OpenAPI 3.1 document (no token needed) | |

Every error, in this blueprint only, is JSON:
``{"error": {"code": "...", "message": "<Bahasa Indonesia>", "fields": {field: [messages]}}}``.
Datetimes are ISO 8601 UTC with a ``Z`` suffix.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, current_app, g, jsonify, request, send_file, url_for
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import Map, RequestRedirect, Rule

from sopflow import (
    ClaimTask,
    CompleteUserTask,
    Engine,
    InvalidForm,
    PermissionDenied,
    ReassignTask,
    SopflowError,
    StageUpload,
    StartInstance,
    UnclaimTask,
    Upload,
)
from sopflow.access import authz
from sopflow.queries import inbox

from .api_queries import case_list_args, task_list_args
from .api_support import (
    ApiError,
    ApiUser,
    error_code,
    error_response,
    int_arg,
    invalid,
    json_body,
    multipart_data,
    reply,
    required_string,
    to_json,
    token_caller,
)
from .openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api/v1")

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_LIMIT = 500
_PUBLIC_ENDPOINTS = frozenset({"api.openapi"})


# -- plumbing -------------------------------------------------------------------------------------
def _engine() -> Engine:
    return current_app.extensions["sopflow"].engine


def _user() -> ApiUser:
    return g.api_user


# -- authentication ------------------------------------------------------------------------------
@bp.before_request
def authenticate() -> Response | None:
    """Resolve the bearer token to ``g.api_user`` (401/429: ``token_caller``); 403 for an auditor writing."""
    if request.endpoint in _PUBLIC_ENDPOINTS:
        return None
    caller = token_caller()
    if isinstance(caller, Response):
        return caller
    g.api_user = caller
    if request.method not in READ_METHODS and g.api_user.read_only:
        return error_response(
            403, "permission_denied", f"Pengguna {g.api_user.username} (auditor) hanya dapat membaca data."
        )
    return None


# -- error handling (this blueprint only) ----------------------------------------------------------
@bp.errorhandler(SopflowError)
def _sopflow_error(exc: SopflowError) -> Response:
    fields = exc.field_errors() if isinstance(exc, InvalidForm) else {}
    return error_response(exc.http_status, error_code(exc), exc.message, fields)


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> Response:
    return error_response(exc.status, exc.code, exc.message, exc.fields)


_HTTP_MESSAGES = {
    400: ("bad_request", "Permintaan tidak dapat dipahami."),
    404: ("not_found", "Alamat API tidak ditemukan."),
    405: ("method_not_allowed", "Metode HTTP ini tidak didukung pada alamat tersebut."),
    413: ("payload_too_large", "Permintaan atau berkas terlalu besar."),
    415: ("unsupported_media_type", "Jenis isi permintaan tidak didukung."),
}


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    default = (re.sub(r"\W+", "_", (exc.name or "error").lower()), f"Permintaan tidak dapat diproses (HTTP {status}).")
    code, message = _HTTP_MESSAGES.get(status, default)
    headers = None
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        headers = {"Allow": ", ".join(sorted(exc.valid_methods))}
    return error_response(status, code, message, headers=headers)


@bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> Response:
    current_app.logger.exception("Kesalahan tak terduga pada API: %s", exc)
    return error_response(500, "internal_error", "Terjadi kesalahan pada server; coba lagi atau hubungi admin.")


# -- endpoints ----------------------------------------------------------------------------------------
@bp.get("/openapi.json")
def openapi() -> Response:
    """Return the OpenAPI 3.1 description of this API. No token needed.

    Response 200: the OpenAPI document (``servers`` points at this blueprint's prefix).
    """
    return jsonify(openapi_document())


@bp.post("/cases")
def start_case() -> Response:
    """Start a case: body ``{"process_id", "periode", "data"?}``.

    Only process owners (``pemilik_proses``) and admins may start a case, as on the case list
    page; the engine checks the start lane too. Response 201: the case outcome ``{case_id,
    status, version, open_tasks, failure}`` with a ``Location`` header. Errors: 400 malformed
    JSON; 403 not a process owner/admin, or auditor;
    404 process not published; 422 missing fields, invalid start data or periode already taken.
    """
    user = _user()
    if not authz.may_start_cases(user.roles):  # same rule as the case list page and the engine
        raise PermissionDenied(
            f"Hanya pemilik proses atau admin yang dapat memulai kasus; {user.username} tidak.", user=user.username
        )
    body = json_body()
    fields: dict[str, list[str]] = {}
    process_id = required_string(body, "process_id", fields)
    periode = required_string(body, "periode", fields)
    data = body.get("data", {})
    if data is None:
        data = {}
    if not isinstance(data, dict):
        fields.setdefault("data", []).append("Harus berupa objek JSON.")
    if fields:
        raise invalid(fields)
    outcome = _engine().start_instance(StartInstance(process_id, user.username, periode, data))
    location = url_for("api.get_case", case_id=outcome.case_id)
    return reply(outcome, 201, {"Location": location})


@bp.get("/cases")
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
def download_document(case_id: str, doc_id: int) -> Response:
    """Send a document of a case (its bytes, with its media type and file name) to a caller who may see it.

    Errors: 404 unknown case or document, or one the caller may not see (:mod:`sopflow.access.case_access`).
    """
    with _engine().db.reading() as session:
        document = inbox.document_for_user(session, case_id, doc_id, _user().username)
    path = _engine().services.files.path_for(document["sha256"])
    return send_file(path, mimetype=document["media_type"], as_attachment=True, download_name=document["filename"])


@bp.get("/tasks")
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
def get_task(task_id: str) -> Response:
    """Return ``{"task", "sop", "form", "documents"}``: the task, the SOP's Mutu Baku for its step, its form's
    JSON Schema and the case's documents.

    Readable, as the task page, by members of the task's lane (and unit) and by auditors,
    admins and process owners; ``documents`` are the caller's part. Errors: 403 (``not_assignee``)
    a visible task of another lane; 404 unknown task, or a task of a case or part the caller may not see.
    """
    with _engine().db.reading() as session:
        return reply(inbox.task_view_for(session, _user().username, task_id))


def _check_visible(task_id: str) -> None:
    """404 before any command on a task whose case or part the caller may not see."""
    with _engine().db.reading() as session:
        inbox.check_may_view_task(session, _user().username, task_id)


@bp.post("/tasks/<task_id>/claim")
def claim_task(task_id: str) -> Response:
    """Claim a ready task for the caller; claiming one's own claimed task again is harmless.

    Response 200: the task. Errors: 403 not the caller's lane/unit or auditor; 404 unknown task;
    409 claimed by someone else (``task_claimed_by_other``) or no longer ready (``task_not_ready``).
    """
    _check_visible(task_id)
    return reply(_engine().claim_task(ClaimTask(task_id, _user().username)))


@bp.post("/tasks/<task_id>/unclaim")
def unclaim_task(task_id: str) -> Response:
    """Give a task claimed by the caller back to its lane.

    Response 200: the task. Errors: 403, 404, 409 as for claim.
    """
    _check_visible(task_id)
    return reply(_engine().unclaim_task(UnclaimTask(task_id, _user().username)))


@bp.post("/tasks/<task_id>/complete")
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
def reassign_task(task_id: str) -> Response:
    """Hand a ready task to another member of its lane (and unit): body ``{"to_user": "<username>"}``.

    Only the lane's head or an admin may. Response 200: the task, claimed by ``to_user``.
    Errors: 400 malformed JSON; 403 not the lane's head, or the target may not act on the task;
    404 unknown task or user; 409 task no longer ready; 422 ``to_user`` missing.
    """
    _check_visible(task_id)
    body = json_body()
    fields: dict[str, list[str]] = {}
    to_user = required_string(body, "to_user", fields)
    if fields:
        raise invalid(fields)
    return reply(_engine().reassign_task(ReassignTask(task_id, _user().username, to_user)))


@bp.get("/notifications")
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


_FALLBACK_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


@bp.route("/<path:_rest>", methods=_FALLBACK_METHODS)
def fallback(_rest: str) -> Response:
    """Answer unknown API paths (404) and wrong methods on known paths (405) in JSON.

    Flask resolves routing errors before it knows the blueprint, so a blueprint error handler
    never sees them; this catch-all route does, and checks the request against the API's
    own rules to tell the two apart.
    """
    rules = [
        Rule(rule.rule, endpoint=rule.endpoint, methods=rule.methods)
        for rule in current_app.url_map.iter_rules()
        if rule.endpoint.startswith(f"{bp.name}.") and rule.endpoint != f"{bp.name}.fallback"
    ]
    try:
        Map(rules).bind("localhost").match(request.path, method=request.method)
    except MethodNotAllowed as exc:
        return _http_error(exc)
    except (HTTPException, RequestRedirect):
        pass
    return error_response(404, "not_found", "Alamat API tidak ditemukan.")
