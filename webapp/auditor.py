"""Audit pages for the Inspektorat: who did what, when, with which data; the case at any past event; integrity.

Strictly read-only: every route is a GET, no page carries a changing form (the search form
uses GET), and the views read only through :mod:`sopflow.queries.inbox` and :mod:`sopflow.audit.history`.
Open to auditors, admins and process owners.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from sopflow.access.authz import ROLE_ADMIN, ROLE_AUDITOR, ROLE_OWNER
from sopflow.audit import anchor as audit_anchor
from sopflow.audit import history
from sopflow.audit import timeline as audit_timeline
from sopflow.audit.verify import verify_database
from sopflow.identity.events import IDENTITY_CHAIN
from sopflow.queries import inbox

from . import auditor_views as views
from .audit_paper import working_paper_docx
from .auth import current_username, role_required
from .cases import STATUS_LABELS

#: what the identity chain's event kinds are called on its page
IDENTITY_KINDS = {
    "identity_signed_in": "masuk",
    "identity_refused": "ditolak masuk",
    "identity_signed_out": "keluar",
    "identity_user_created": "akun dibuat dari direktori",
    "identity_mapping_changed": "pemetaan berubah",
    "identity_user_retired": "akun dipensiunkan",
    "identity_user_reactivated": "akun diaktifkan kembali",
    "identity_task_released": "tugas dikembalikan ke lane",
}
AUDIT_ROLES = (ROLE_AUDITOR, ROLE_ADMIN, ROLE_OWNER)

bp = Blueprint("auditor", __name__, url_prefix="/audit")

#: A value whose pretty JSON is longer than this (or spans lines) is shown folded.
CSV_COLUMNS = ("seq", "waktu", "pelaku", "jenis", "langkah", "elemen", "tugas", "data", "hash")


@bp.before_request
@role_required(*AUDIT_ROLES)
def _guard() -> None:
    """Every audit page: signed in, with the role auditor, admin or pemilik_proses (else 403)."""
    return None


def _ext() -> Any:
    return current_app.extensions["sopflow"]


# -- pages ----------------------------------------------------------------------------------------
@bp.get("/")
@role_required(*AUDIT_ROLES)
def index() -> Any:
    """Search cases by periode, status, actor and step; check the audit chain of the whole database."""
    filters = {
        "periode": request.args.get("periode", "").strip(),
        "status": request.args.get("status", "").strip(),
        "pelaku": request.args.get("pelaku", "").strip(),
        "langkah": request.args.get("langkah", "").strip(),
    }
    step = int(filters["langkah"]) if filters["langkah"].isdigit() else None
    with _ext().db.reading() as session:
        found = inbox.search_cases(
            session,
            periode=filters["periode"] or None,
            status=filters["status"] if filters["status"] in STATUS_LABELS else None,
            actor=filters["pelaku"] or None,
            step=step,
        )
        chain = verify_database(session, _ext().settings.data_dir)
    return render_template(
        "auditor/index.html",
        cases=found,
        filters=filters,
        filtered=any(filters.values()),
        chain=chain,
        status_labels=STATUS_LABELS,
    )


@bp.get("/identitas")
def identity_log() -> Any:
    """Sign-ins, refusals and account changes (the ``_identitas`` chain): 50 a page, with the chain's verdict."""
    page_arg = request.args.get("halaman", "1")
    with _ext().db.reading() as session:
        found = audit_timeline.event_page(session, IDENTITY_CHAIN, page=int(page_arg) if page_arg.isdigit() else 1)
        chain = verify_database(session, _ext().settings.data_dir, IDENTITY_CHAIN)
    events = [{**e, "kind_label": IDENTITY_KINDS.get(e["kind"], e["kind"]), "at_text": views.local_time(e["at"])}
              for e in found["events"]]  # fmt: skip
    return render_template("auditor/identity.html", found=found, events=events, chain=chain)


@bp.get("/kasus/<case_id>")
@role_required(*AUDIT_ROLES)
def timeline(case_id: str) -> Any:
    """Show a case's events, 50 a page, filtered by step, actor, kind and dates, with the integrity check.

    Query: ``halaman`` (page), ``langkah`` (step), ``pelaku`` (actor), ``jenis`` (kind), ``dari`` /
    ``sampai`` (dates, inclusive, office time zone), ``tanggal`` (jump to the first event of that day)
    and ``peristiwa`` (permalink: the page holding that event, whose row is ``#event-<seq>``).
    """
    with _ext().db.reading() as session:
        summary = inbox.case_summary(session, case_id)
        facets = audit_timeline.event_facets(session, case_id)
        filters, chosen, problems = _timeline_filters(facets)
        seq = request.args.get("peristiwa", "").strip()
        jump = _parse_date(request.args.get("tanggal", "").strip())
        page_arg = request.args.get("halaman", "").strip()
        found = audit_timeline.event_page(
            session,
            case_id,
            filters,
            page=int(page_arg) if page_arg.isdigit() else 1,
            at_seq=int(seq) if seq.isdigit() else None,
            at_time=_utc_midnight(jump) if jump and not seq.isdigit() else None,
        )
        chain = verify_database(session, _ext().settings.data_dir, case_id)
        documents = inbox.documents_of_case(session, case_id)
        stored = audit_timeline.event_page(
            session, case_id, audit_timeline.EventFilter(kinds=("document_stored",)), per_page=10**9
        )
        first = audit_timeline.event_page(session, case_id, per_page=1)["events"]  # "step through from the first event"
    if request.args.get("tanggal", "").strip() and jump is None:
        problems.append("Tanggal tujuan tidak dikenali; gunakan format tanggal yang benar.")
    files = _ext().engine.services.files
    documents = [{**d, "intact": files.verify(d["sha256"])} for d in documents]
    links = views.DocumentLinks(documents)
    doc_ids = {e["seq"]: links.take(e["data"] or {}) for e in stored["events"]}
    problems_of_case = [p for p in chain.problems if p["case_id"] in (case_id, "-")]
    first_broken = min((p["seq"] for p in problems_of_case if p["case_id"] == case_id), default=None)
    step_of = {element: number for number, elements in facets["steps"].items() for element in elements}
    events = [
        views.event_view(e, step_of.get(e["element_id"]), first_broken, doc_ids.get(e["seq"])) for e in found["events"]
    ]
    return render_template(
        "auditor/timeline.html",
        case=summary,
        events=events,
        paging=found,
        facets=facets,
        chosen=chosen,
        query={key: value for key, value in chosen.items() if value and key != "tanggal"},
        filtered=any(v for k, v in chosen.items() if k != "tanggal"),
        filter_problems=problems,
        kind_labels=views.KIND_LABELS,
        target=int(seq) if seq.isdigit() else None,
        first_seq=first[0]["seq"] if first else None,
        documents=documents,
        chain=chain,
        first_broken=first_broken,
        problems=problems_of_case,
        unreadable=views.unreadable_documents(stored["events"]),
        status_labels=STATUS_LABELS,
    )


def _timeline_filters(facets: dict[str, Any]) -> tuple[audit_timeline.EventFilter, dict[str, str], list[str]]:
    """Read the timeline's filter arguments; return the engine filter, the values to show again, and problems."""
    chosen = {
        key: request.args.get(key, "").strip() for key in ("langkah", "pelaku", "jenis", "dari", "sampai", "tanggal")
    }
    problems: list[str] = []
    elements = None
    if chosen["langkah"]:
        step = int(chosen["langkah"]) if chosen["langkah"].isdigit() else None
        elements = tuple(facets["steps"].get(step, ())) if step is not None else ()
    since, until = _parse_date(chosen["dari"]), _parse_date(chosen["sampai"])
    for key in ("dari", "sampai", "tanggal"):  # shown again (and kept in the pager) as hh/bb/tttt
        day = _parse_date(chosen[key])
        chosen[key] = day.strftime("%d/%m/%Y") if day else chosen[key]
    for key, value in (("dari", since), ("sampai", until)):
        if chosen[key] and value is None:
            problems.append(f"Tanggal \u201c{chosen[key]}\u201d tidak dikenali.")
    if since and until and until < since:
        problems.append("Tanggal akhir lebih awal dari tanggal mulai: tidak ada peristiwa di rentang itu.")
    filters = audit_timeline.EventFilter(
        actor=chosen["pelaku"] or None,
        kinds=(chosen["jenis"],) if chosen["jenis"] else (),
        element_ids=elements,
        since=_utc_midnight(since) if since else None,
        until=_utc_midnight(until + timedelta(days=1)) if until else None,
    )
    return filters, chosen, problems


def _parse_date(value: str) -> date | None:
    """Read a date typed as ``dd/mm/yyyy`` (the date picker's), ``dd-mm-yyyy`` or ``yyyy-mm-dd``; None if not a date."""
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    return None


def _utc_midnight(day: date) -> datetime:
    """The start of ``day`` in the office time zone, as the naive-UTC time the audit events carry."""
    local = datetime.combine(day, time.min, tzinfo=ZoneInfo(_ext().settings.timezone))
    return local.astimezone(UTC).replace(tzinfo=None)


@bp.get("/kasus/<case_id>/pada/<int:seq>")
@role_required(*AUDIT_ROLES)
def moment(case_id: str, seq: int) -> Any:
    """Show the case as it was right after event ``seq``: diagram, open tasks and holders, documents, data."""
    with _ext().db.reading() as session:
        summary = inbox.case_summary(session, case_id)
        try:
            state = history.case_at(session, case_id, seq)
        except (ValueError, TypeError, AttributeError):
            # a damaged event cannot be replayed: the timeline names it on its integrity panel
            return redirect(url_for("auditor.timeline", case_id=case_id, peristiwa=seq, _anchor=f"event-{seq}"))
        seqs = [e["seq"] for e in audit_anchor.timeline(session, case_id)]
        documents = inbox.documents_of_case(session, case_id)
        tasks = inbox.tasks_of_case(session, case_id)
        chain = verify_database(session, _ext().settings.data_dir, case_id)
    broken = min((p["seq"] for p in chain.problems), default=None)
    event = state["event"]
    at = views.parse_time(event["at"])
    names = {t["element_id"]: (t["step"], t["name"]) for t in tasks}
    open_tasks = [
        {
            **t,
            "step": names.get(t["element_id"], (None, None))[0],
            "name": names.get(t["element_id"], (None, t["element_id"]))[1],
            "overdue": bool(t.get("due_at")) and views.parse_time(t["due_at"]) < at,
        }
        for t in state["open_tasks"]
    ]
    links = views.DocumentLinks(documents)
    position = seqs.index(seq) if seq in seqs else 0
    return render_template(
        "auditor/moment.html",
        case=summary,
        state=state,
        event={**event, "kind_label": views.KIND_LABELS.get(event["kind"], event["kind"]), "at_time": at},
        open_tasks=open_tasks,
        documents=[{**d, "doc_id": links.take(d)} for d in state["documents"]],
        data_items=[{"key": k, **views.value_view(v)} for k, v in sorted((state.get("data") or {}).items())],
        data_json=views.pretty(state.get("data") or {}),
        diagram={
            "xml": state["bpmn_xml"],
            "completed": state["completed"],
            "active": state["active"],
            "overdue": sorted({t["element_id"] for t in open_tasks if t["overdue"]}),
            "failed": state["failed"],
        },
        first=seqs[0] if seqs else seq,
        last=seqs[-1] if seqs else seq,
        prev=seqs[position - 1] if position > 0 else None,
        next=seqs[position + 1] if position + 1 < len(seqs) else None,
        position=position + 1,
        total=len(seqs),
        broken=broken if broken is not None and broken <= seq else None,
        status_labels=STATUS_LABELS,
    )


# -- exports ---------------------------------------------------------------------------------------
@bp.get("/kasus/<case_id>/ekspor.csv")
@role_required(*AUDIT_ROLES)
def export_csv(case_id: str) -> Response:
    """Return the timeline as CSV (UTF-8 with BOM so that Excel reads it as UTF-8)."""
    with _ext().db.reading() as session:
        record = _case_record(session, case_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for e in record["events"]:
        writer.writerow(
            [
                e["seq"],
                views.local_time(e["at"]),
                views.spreadsheet_cell(e["actor"]),
                views.spreadsheet_cell(e["kind_label"]),
                e["step"] if e["step"] is not None else "",
                views.spreadsheet_cell(e["element_id"] or ""),
                views.spreadsheet_cell(e["task_id"] or ""),
                json.dumps(e["data"] or {}, ensure_ascii=False, sort_keys=True),
                e["hash"] or "",
            ]
        )
    name = views.file_stem(record["case"]) + ".csv"
    return Response(
        "\ufeff" + buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@bp.get("/kasus/<case_id>/kertas-kerja.docx")
@role_required(*AUDIT_ROLES)
def working_paper(case_id: str) -> Response:
    """Return the audit working paper (kertas kerja) of a case as .docx."""
    with _ext().db.reading() as session:
        record = _case_record(session, case_id)
    name = "kertas_kerja_" + views.file_stem(record["case"]) + ".docx"
    return Response(
        working_paper_docx(record, f"{current_user.full_name} ({current_username()})", views.local_time),
        mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@bp.get("/kasus/<case_id>/bukti.zip")
@role_required(*AUDIT_ROLES)
def evidence_bundle(case_id: str) -> Response:
    """Return the evidence bundle (events, BPMN version, documents, manifest), verifiable offline."""
    files = _ext().engine.services.files
    with _ext().db.reading() as session:
        summary = inbox.case_summary(session, case_id)
        broken = views.unreadable_documents(audit_anchor.timeline(session, case_id))
        if broken:
            abort(
                409,
                "Bundel bukti tidak dapat disusun: dokumen hilang atau berubah di penyimpanan: " + ", ".join(broken),
            )
        data = history.export_bundle(session, files, case_id, _ext().settings.data_dir)
    name = "bukti_" + views.file_stem(summary) + ".zip"
    return Response(
        data,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


# -- the case record shared by the timeline page, the CSV and the working paper ---------------------
def _case_record(session: Any, case_id: str) -> dict[str, Any]:
    """Return header, events (with labels, steps, changes, documents, hashes, chain state), documents, chain."""
    summary = inbox.case_summary(session, case_id)
    chain = verify_database(session, _ext().settings.data_dir, case_id)
    rows = audit_anchor.timeline(session, case_id)
    unreadable = views.unreadable_documents(rows)
    documents = inbox.documents_of_case(session, case_id)
    files = _ext().engine.services.files
    documents = [{**d, "intact": files.verify(d["sha256"])} for d in documents]
    links = views.DocumentLinks(documents)
    problems = [p for p in chain.problems if p["case_id"] in (case_id, "-")]
    first_broken = min((p["seq"] for p in problems if p["case_id"] == case_id), default=None)
    steps_of_tasks = {
        e["task_id"]: (e["data"] or {}).get("step") for e in rows if e["kind"] == "task_ready" and e["task_id"]
    }
    events = []
    for e in rows:
        doc_id = links.take(e["data"] or {}) if e["kind"] == "document_stored" else None
        events.append(views.event_view(e, steps_of_tasks.get(e["task_id"]), first_broken, doc_id))
    return {
        "case": summary,
        "events": events,
        "documents": documents,
        "chain": chain,
        "first_broken": first_broken,
        "problems": problems,
        "unreadable": unreadable,
    }
