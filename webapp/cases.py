"""Cases: the list, one case drawn on its BPMN diagram with its steps and documents, and starting a case."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from sopflow import InvalidForm, StartInstance
from sopflow.access.authz import ROLE_ADMIN, ROLE_OWNER
from sopflow.queries import inbox

from .auth import actor_required, current_username, require_login, role_required

bp = Blueprint("cases", __name__)
bp.before_request(require_login)

#: Top-level keys of an indicator file that describe the file and are not start data.
IGNORED_KEYS = ("keterangan",)
STATUS_LABELS = {"berjalan": "Berjalan", "selesai": "Selesai", "gagal": "Gagal"}
#: cases per page of the case list (``SOPFLOW_CASE_PAGE_SIZE`` in the app config overrides it)
PAGE_SIZE = 25
#: query values that are the defaults and stay out of the URL
_DEFAULTS = {("urut", "periode"), ("halaman", 1)}
#: how often the case page asks whether its queued or running steps are done (milliseconds)
POLL_INTERVAL_MS = 2000


def _ext() -> Any:
    return current_app.extensions["sopflow"]


@bp.get("/kasus")
def index() -> Any:
    """List the cases the user may see (:mod:`sopflow.access.case_access`), newest periode first.

    Process owners also get the start form.
    """
    return _render_index()


@bp.get("/kasus/<case_id>")
def detail(case_id: str) -> Any:
    """Show a case: header, diagram with completed/active/overdue/failed elements, steps and documents.

    404 when the case is not the user's to see; steps and documents are those of the user's part,
    the diagram shows the whole process.
    """
    now = _ext().engine.clock()
    with _ext().db.reading() as session:
        view = inbox.case_view_for(session, current_username(), case_id)
        diagram = inbox.case_diagram(session, case_id, now)
    progress = case_progress(case_id)
    engine = _ext().engine
    return render_template(
        "cases/detail.html",
        pdf_states=engine.pdf_states(case_id),
        signing_elements=engine.signing_elements(case_id),
        case=view["summary"],
        diagram=diagram,
        tasks=view["tasks"],
        steps=view["steps"],
        documents=view["documents"],
        now=now,
        status_labels=STATUS_LABELS,
        jobs=progress["job_list"],
        progress=progress,
        may_retry=current_user.has_role(ROLE_OWNER, ROLE_ADMIN) and not current_user.read_only,
        poll_interval=POLL_INTERVAL_MS,
    )


@bp.get("/kasus/<case_id>/status")
def status(case_id: str) -> Response:
    """Return ``{"status", "jobs", "pending", "failed", "state"}`` for the case page's poll.

    ``state`` changes whenever the case's status or any of its open jobs changes (queued →
    running → done or failed); the page reloads itself when it differs from the one it was
    rendered with. 404 when the case is not the user's to see.
    """
    with _ext().db.reading() as session:
        inbox.check_may_view_case(session, current_username(), case_id)
    progress = case_progress(case_id)
    return jsonify({k: v for k, v in progress.items() if k != "job_list"})


def case_progress(case_id: str) -> dict[str, Any]:
    """Summarise the case's status and open jobs (one engine call); raises NotFound for an unknown case."""
    outcome = _ext().engine.case_outcome(case_id)
    jobs = outcome.jobs
    pending = [j for j in jobs if j["status"] == "pending"]
    parts = [outcome.status, *(f"{j['job_id']}:{j['status']}:{j['label']}:{j['attempts']}" for j in jobs)]
    return {
        "status": outcome.status,
        "jobs": len(jobs),
        "pending": len(pending),
        "failed": len(jobs) - len(pending),
        "state": "|".join(parts),
        "job_list": jobs,
    }


@bp.post("/kasus/baru")
@role_required(ROLE_OWNER, ROLE_ADMIN)
@actor_required
def start() -> Any:
    """Start a case for a periode with an uploaded indicator file (JSON) or the sample data."""
    process_id = request.form.get("process_id", "").strip()
    periode = request.form.get("periode", "").strip()
    try:
        data = _start_data(process_id)
        outcome = _ext().engine.start_instance(StartInstance(process_id, current_username(), periode, data))
    except InvalidForm as exc:
        return _render_index(errors=exc.errors, message=exc.message), 422
    flash(f"Kasus periode {periode} dimulai.", "sukses")
    return redirect(url_for("cases.detail", case_id=outcome.case_id))


def case_list_args() -> dict[str, Any]:
    """Read the case list's query string: ``status``, ``periode``, ``urut`` (sort key), ``arah``
    (``naik``/``turun``), ``halaman``; unknown values fall back to the defaults."""
    order = request.args.get("urut", "periode")
    order = order if order in inbox.CASE_ORDERS else "periode"
    direction = request.args.get("arah", "")
    status = request.args.get("status", "")
    page_text = request.args.get("halaman", "").strip()
    return {
        "status": status if status in STATUS_LABELS else "",
        "periode": request.args.get("periode", "").strip()[:40],
        "urut": order,
        "arah": direction if direction in ("naik", "turun") else "",
        "halaman": max(1, min(int(page_text), 10_000)) if page_text.isdigit() else 1,
    }


def _render_index(errors: list[dict[str, Any]] | None = None, message: str | None = None) -> Any:
    may_start = current_user.may_start_cases
    args = case_list_args()
    size = current_app.config.get("SOPFLOW_CASE_PAGE_SIZE", PAGE_SIZE)
    with _ext().db.reading() as session:
        listed = inbox.case_list_for_user(
            session,
            current_username(),
            status=args["status"] or None,
            periode=args["periode"] or None,
            order=args["urut"],
            descending={"naik": False, "turun": True}.get(args["arah"]),
            limit=size,
            offset=(args["halaman"] - 1) * size,
        )
        versions = inbox.process_versions(session) if may_start else []
    processes: dict[str, str] = {}
    for version in versions:
        processes.setdefault(version["process_id"], version["name"])
    query = {key: value for key, value in args.items() if value and (key, value) not in _DEFAULTS}
    return render_template(
        "cases/index.html",
        cases=listed["cases"],
        total=listed["total"],
        page=args["halaman"],
        pages=max(1, -(-listed["total"] // size)),
        args=args,
        query=query,
        orders=inbox.CASE_ORDERS,
        processes=processes,
        may_start=may_start,
        errors=errors or [],
        message=message,
        form=request.form if errors else {},
        status_labels=STATUS_LABELS,
        now=_ext().engine.clock(),
    )


def _start_data(process_id: str) -> dict[str, Any]:
    """Read the start data from the uploaded JSON file, or the process's sample file; raise InvalidForm."""
    if request.form.get("contoh"):
        return _sample_data(process_id)
    sent = request.files.get("indikator")
    if sent is None or not sent.filename:
        raise InvalidForm(
            "Unggah berkas indikator (JSON) atau pilih data contoh.",
            [{"field": "indikator", "message": "Berkas indikator (.json) wajib diunggah, atau centang data contoh."}],
        )
    try:
        data = json.loads(sent.read().decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidForm(
            "Berkas indikator bukan JSON yang sah.",
            [{"field": "indikator", "message": f"Berkas '{sent.filename}' bukan JSON yang sah: {exc}."}],
        ) from None
    if not isinstance(data, dict):
        raise InvalidForm(
            "Berkas indikator harus berisi objek JSON.",
            [{"field": "indikator", "message": 'Isi berkas harus objek JSON, misalnya {"indikator": [...]}.'}],
        )
    return {key: value for key, value in data.items() if key not in IGNORED_KEYS and key != "periode"}


def _sample_data(process_id: str) -> dict[str, Any]:
    """Return the start data of the process's demo script (``samples/<process>/demo.json``)."""
    samples = _ext().settings.samples_dir / process_id
    script_file = samples / "demo.json"
    if not process_id or "/" in process_id or ".." in process_id or not script_file.is_file():
        raise InvalidForm(
            "Proses ini tidak memiliki data contoh.",
            [{"field": "contoh", "message": "Data contoh tidak tersedia untuk proses ini."}],
        )
    start = json.loads(script_file.read_text(encoding="utf-8"))["start"]
    data = json.loads((samples / start["data_file"]).read_text(encoding="utf-8"))
    return {key: data[key] for key in start.get("data_keys", data.keys()) if key in data}
