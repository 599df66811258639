""" "Tugas saya": the user's ready tasks, the task page with its SOP text and form, and task actions."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from sopflow import ClaimTask, CompleteUserTask, InvalidForm, ReassignTask, StageUpload, UnclaimTask
from sopflow.jobs.outbox import ADVANCE_CASE
from sopflow.queries import inbox

from . import forms
from .auth import actor_required, current_username, require_login
from .names import step_name

bp = Blueprint("inbox", __name__)
bp.before_request(require_login)

ORDERS = {"due": "Tenggat", "step": "Langkah", "periode": "Periode"}
#: tasks per inbox page (``SOPFLOW_INBOX_PAGE_SIZE`` in the app config overrides it)
PAGE_SIZE = 25
#: query values that are the defaults and stay out of the URL
DEFAULT_QUERY = {("saring", "semua"), ("urut", "due")}


def _ext() -> Any:
    return current_app.extensions["sopflow"]


def _now() -> Any:
    return _ext().engine.clock()


@bp.get("/")
def index() -> Any:
    """List the ready tasks of my lanes (unclaimed or claimed by me), filtered, sorted and paged by query string.

    Query: ``saring`` (:data:`sopflow.queries.inbox.FILTERS`), ``langkah``, ``periode``, ``urut``
    (:data:`ORDERS`), ``halaman`` (1-based; ``SOPFLOW_INBOX_PAGE_SIZE`` tasks a page).
    """
    order = request.args.get("urut", "due")
    order = order if order in ORDERS else "due"
    chosen = request.args.get("saring", "semua")
    chosen = chosen if chosen in inbox.FILTERS else "semua"
    step_text = request.args.get("langkah", "").strip()
    step = int(step_text) if step_text.isdigit() else None
    periode = request.args.get("periode", "").strip() or None
    page = _page_number()
    size = current_app.config.get("SOPFLOW_INBOX_PAGE_SIZE", PAGE_SIZE)
    now = _now()
    services = _ext().engine.services
    with _ext().db.reading() as session:
        tasks = inbox.tasks_for_user(
            session,
            current_username(),
            step=step,
            periode=periode,
            order=order,
            filter=chosen,
            now=now,
            due_soon=inbox.due_soon_until(now, services.calendar, services.timezone),
            limit=size + 1,  # one more tells whether a next page exists
            offset=(page - 1) * size,
        )
    query = {"saring": chosen, "langkah": step_text, "periode": periode or "", "urut": order}
    query = {key: value for key, value in query.items() if value and (key, value) not in DEFAULT_QUERY}
    return render_template(
        "inbox/index.html",
        tasks=tasks[:size],
        processing=_steps_in_progress({t.case_id for t in tasks}),
        now=now,
        orders=ORDERS,
        order=order,
        filters=inbox.FILTERS,
        chosen=chosen,
        step=step_text,
        periode=periode or "",
        page=page,
        has_next=len(tasks) > size,
        query=query,
    )


def _page_number() -> int:
    """Return the 1-based page of the ``halaman`` query parameter (1 when absent or not a positive number)."""
    text = request.args.get("halaman", "").strip()
    return max(1, min(int(text), 10_000)) if text.isdigit() else 1


@bp.get("/tugas/<task_id>")
def task_page(task_id: str) -> Any:
    """Show a task: what the SOP says for its step, the case's documents, its form and the actions."""
    return _render_task(task_id)


@bp.post("/tugas/<task_id>/klaim")
@actor_required
def claim(task_id: str) -> Any:
    """Claim the task so nobody else in the lane works on it."""
    _check_visible(task_id)
    task = _ext().engine.claim_task(ClaimTask(task_id, current_username()))
    flash(f"Tugas '{task['name']}' Anda klaim; pegawai lain tidak dapat menyelesaikannya.", "sukses")
    return redirect(url_for("inbox.task_page", task_id=task_id))


@bp.post("/tugas/<task_id>/lepas")
@actor_required
def unclaim(task_id: str) -> Any:
    """Give the claimed task back to the lane."""
    _check_visible(task_id)
    task = _ext().engine.unclaim_task(UnclaimTask(task_id, current_username()))
    flash(f"Tugas '{task['name']}' dilepas dan kembali ke pelaksana {task['lane']}.", "info")
    return redirect(url_for("inbox.task_page", task_id=task_id))


@bp.post("/tugas/<task_id>/alihkan")
@actor_required
def reassign(task_id: str) -> Any:
    """Hand the task to another member of its lane (the lane's head or an admin only)."""
    _check_visible(task_id)
    to_user = request.form.get("to_user", "").strip()
    if not to_user:
        raise InvalidForm("Pilih pegawai tujuan pengalihan.", [{"field": "to_user", "message": "Wajib dipilih."}])
    task = _ext().engine.reassign_task(ReassignTask(task_id, current_username(), to_user))
    with _ext().db.reading() as session:
        name = inbox.full_names(session, {to_user}).get(to_user, to_user)
    flash(f"Tugas '{task['name']}' dialihkan kepada {name}.", "sukses")
    return redirect(url_for("inbox.task_page", task_id=task_id))


@bp.post("/tugas/<task_id>/selesai")
@actor_required
def complete(task_id: str) -> Any:
    """Complete the task with the submitted form; on InvalidForm show the form again (422) with the entries kept."""
    with _ext().db.reading() as session:
        view = inbox.task_view_for(session, current_username(), task_id)
    schema, done = view["form"], view["task"]
    data, uploads = forms.parse_submission(schema, request.form, request.files)
    try:
        outcome = _ext().engine.complete_user_task(CompleteUserTask(task_id, current_username(), data, uploads))
    except InvalidForm as exc:
        staged = _keep_uploads(task_id, uploads, exc)
        return _render_task(task_id, form=request.form, errors=exc.errors, staged=staged, message=exc.message), 422
    # the other instances of a multi-instance step (one per Bidang) that still wait
    waiting = [t for t in outcome.open_tasks if t["element_id"] == done["element_id"] and t["task_id"] != task_id]
    queued = [j for j in outcome.jobs if j["kind"] == ADVANCE_CASE and j["status"] == "pending"]
    stuck = [j for j in outcome.jobs if j["kind"] == ADVANCE_CASE and j["status"] == "failed"]
    if queued:
        flash(
            "Tugas selesai. Langkah otomatis berikutnya sedang diproses; hasilnya tampil di halaman kasus "
            "setelah selesai.",
            "sukses",
        )
    elif waiting:
        flash(completion_message(waiting), "sukses")
    else:
        flash("Tugas selesai dan diteruskan ke langkah berikutnya.", "sukses")
    if stuck:
        flash(
            f"Langkah otomatis {step_name(stuck[0]['element_id'], stuck[0]['case_id'])} belum dapat diproses: "
            f"{stuck[0]['last_error'] or ''} "
            "Data Anda tersimpan; pemilik proses atau admin dapat mencobanya lagi.",
            "peringatan",
        )
    if outcome.failure:
        flash(
            f"Langkah otomatis {step_name(outcome.failure.get('element_id'), outcome.case_id)} gagal: "
            f"{outcome.failure.get('message', '')} "
            "Data Anda tersimpan; admin atau pemilik proses dapat mengulang langkah tersebut.",
            "peringatan",
        )
    return redirect(url_for("inbox.index"))


def completion_message(waiting: list[dict[str, Any]]) -> str:
    """Say that this instance is done and how many Bidang (or other parts) the step still waits for."""
    units = sorted({t["unit"] for t in waiting if t["unit"]})
    if units and all(t["unit"] for t in waiting):
        what = f"{len(units)} Bidang lagi ({', '.join(units)})"
    else:
        labels = sorted({t["label"] or "" for t in waiting} - {""})
        what = f"{len(waiting)} lagi ({', '.join(labels)})" if labels else f"{len(waiting)} tugas lagi"
    return f"Tugas selesai. Langkah ini menunggu {what} sebelum diteruskan ke langkah berikutnya."


@bp.get("/dokumen/<case_id>/<int:doc_id>")
def download(case_id: str, doc_id: int) -> Any:
    """Send a document of a case to the users who may see it (:mod:`sopflow.access.case_access`); else 404."""
    with _ext().db.reading() as session:
        document = inbox.document_for_user(session, case_id, doc_id, current_username())
    path = _ext().engine.services.files.path_for(document["sha256"])
    return send_file(path, mimetype=document["media_type"], as_attachment=True, download_name=document["filename"])


def _render_task(
    task_id: str,
    form: Any = None,
    errors: list[dict[str, Any]] | None = None,
    staged: dict[str, dict[str, str]] | None = None,
    message: str | None = None,
) -> Any:
    with _ext().db.reading() as session:
        detail = inbox.task_view_for(session, current_username(), task_id)  # 404 not visible, 403 other lane
        task = detail["task"]
        ready = task["state"] == "ready"
        members = inbox.lane_members(session, task["lane"], task["unit"]) if ready and _may_reassign(task) else []
    me = current_username()
    may_act = ready and not current_user.read_only and current_user.may_work_on(task)
    free = task["claimed_by"] in (None, me)
    fields = forms.build_fields(
        detail["form"],
        form=form,
        errors=errors,
        staged=staged,
        prefill=forms.prefill_from_documents(detail["form"], detail["documents"]),
    )
    documents = sorted(
        detail["documents"], key=lambda d: task["unit"] is None or (d.get("meta") or {}).get("bidang") != task["unit"]
    )
    return render_template(
        "inbox/task.html",
        task=task,
        sop=detail["sop"],
        documents=documents,
        fields=fields,
        general_errors=forms.form_errors(errors or [], fields),
        message=message,
        may_act=may_act,
        may_complete=may_act and free,
        claimed_by_other=ready and not free,
        members=[m for m in members if m["username"] not in (task["claimed_by"], me)],
        has_upload=bool(forms.upload_field_names(detail["form"])),
        now=_now(),
    )


def _check_visible(task_id: str) -> None:
    """404 before any action on a task whose case or part the user may not see."""
    with _ext().db.reading() as session:
        inbox.check_may_view_task(session, current_username(), task_id)


def _steps_in_progress(case_ids: set[str]) -> list[dict[str, Any]]:
    """Return the queued or running automatic steps of the listed cases and those the user triggered."""
    me = current_username()
    return [
        job
        for job in _ext().engine.open_jobs()
        if job["kind"] == ADVANCE_CASE
        and job["status"] == "pending"
        and (job["case_id"] in case_ids or job["triggered_by"] == me)
    ]


def _may_reassign(task: dict[str, Any]) -> bool:
    return current_user.leads(task["lane"])


def _keep_uploads(task_id: str, uploads: dict[str, Any], exc: InvalidForm) -> dict[str, dict[str, str]]:
    """Stage the files whose field had no error, so the re-rendered form need not ask for them again."""
    bad = set(exc.field_errors())
    kept = {}
    for name, upload in uploads.items():
        if name in bad:
            continue
        try:
            staged = _ext().engine.stage_upload(StageUpload(task_id, current_username(), name, upload))
        except InvalidForm:
            continue
        kept[name] = {"upload_id": staged["upload_id"], "filename": staged["filename"]}
    return kept
