"""Audit pages for the Inspektorat: who did what, when, with which data; the case at any past event; integrity.

Strictly read-only: every route is a GET, no page carries a changing form (the search form
uses GET), and the views read only through :mod:`sopflow.inbox` and :mod:`sopflow.history`.
Open to auditors, admins and process owners.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from docx import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.shared import Cm, Pt
from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_login import current_user

from sopflow import history, inbox
from sopflow.authz import ROLE_ADMIN, ROLE_AUDITOR, ROLE_OWNER

from .auth import current_username, role_required
from .cases import STATUS_LABELS

AUDIT_ROLES = (ROLE_AUDITOR, ROLE_ADMIN, ROLE_OWNER)

bp = Blueprint("auditor", __name__, url_prefix="/audit")

#: Audit event kinds as the Inspektorat reads them.
KIND_LABELS = {
    "case_started": "Kasus dimulai",
    "case_completed": "Kasus selesai",
    "task_ready": "Tugas siap",
    "task_claimed": "Diklaim",
    "task_unclaimed": "Dilepas",
    "task_reassigned": "Dialihkan",
    "task_completed": "Diselesaikan",
    "task_escalated": "Eskalasi",
    "service_run": "Langkah otomatis",
    "service_failed": "Langkah otomatis gagal",
    "step_retried": "Diulang",
    "script_run": "Skrip",
    "gateway_passed": "Keputusan/percabangan",
    "document_stored": "Dokumen disimpan",
}
#: A value whose pretty JSON is longer than this (or spans lines) is shown folded.
BIG_VALUE = 120
CSV_COLUMNS = ("seq", "waktu", "pelaku", "jenis", "langkah", "elemen", "tugas", "data", "hash")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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
        chain = inbox.verify_audit_chain(session)
    return render_template(
        "auditor/index.html",
        cases=found,
        filters=filters,
        filtered=any(filters.values()),
        chain=chain,
        status_labels=STATUS_LABELS,
    )


@bp.get("/kasus/<case_id>")
@role_required(*AUDIT_ROLES)
def timeline(case_id: str) -> Any:
    """Show every event of a case in order, with data changes, documents, hashes and the integrity check."""
    with _ext().db.reading() as session:
        record = _case_record(session, case_id)
    return render_template("auditor/timeline.html", **record, status_labels=STATUS_LABELS)


@bp.get("/kasus/<case_id>/pada/<int:seq>")
@role_required(*AUDIT_ROLES)
def moment(case_id: str, seq: int) -> Any:
    """Show the case as it was right after event ``seq``: diagram, open tasks and holders, documents, data."""
    with _ext().db.reading() as session:
        summary = inbox.case_summary(session, case_id)
        state = history.case_at(session, case_id, seq)
        seqs = [e["seq"] for e in inbox.timeline_for_case(session, case_id)]
        documents = inbox.documents_of_case(session, case_id)
        tasks = inbox.tasks_of_case(session, case_id)
        chain = inbox.verify_audit_chain(session, case_id)
    broken = min((p["seq"] for p in chain.problems), default=None)
    event = state["event"]
    at = _parse_time(event["at"])
    names = {t["element_id"]: (t["step"], t["name"]) for t in tasks}
    open_tasks = [
        {
            **t,
            "step": names.get(t["element_id"], (None, None))[0],
            "name": names.get(t["element_id"], (None, t["element_id"]))[1],
            "overdue": bool(t.get("due_at")) and _parse_time(t["due_at"]) < at,
        }
        for t in state["open_tasks"]
    ]
    links = _DocumentLinks(documents)
    position = seqs.index(seq) if seq in seqs else 0
    return render_template(
        "auditor/moment.html",
        case=summary,
        state=state,
        event={**event, "kind_label": KIND_LABELS.get(event["kind"], event["kind"]), "at_time": at},
        open_tasks=open_tasks,
        documents=[{**d, "doc_id": links.take(d)} for d in state["documents"]],
        data_items=[{"key": k, **_value_view(v)} for k, v in sorted((state.get("data") or {}).items())],
        data_json=_pretty(state.get("data") or {}),
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
                _local(e["at"]),
                _cell(e["actor"]),
                _cell(e["kind_label"]),
                e["step"] if e["step"] is not None else "",
                _cell(e["element_id"] or ""),
                _cell(e["task_id"] or ""),
                json.dumps(e["data"] or {}, ensure_ascii=False, sort_keys=True),
                e["hash"] or "",
            ]
        )
    name = _file_stem(record["case"]) + ".csv"
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
    name = "kertas_kerja_" + _file_stem(record["case"]) + ".docx"
    return Response(
        _working_paper_docx(record),
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
        broken = _unreadable_documents(inbox.timeline_for_case(session, case_id))
        if broken:
            abort(
                409,
                "Bundel bukti tidak dapat disusun: dokumen hilang atau berubah di penyimpanan: " + ", ".join(broken),
            )
        data = history.export_bundle(session, files, case_id)
    name = "bukti_" + _file_stem(summary) + ".zip"
    return Response(
        data,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


# -- the case record shared by the timeline page, the CSV and the working paper ---------------------
def _case_record(session: Any, case_id: str) -> dict[str, Any]:
    """Return header, events (with labels, steps, changes, documents, hashes, chain state), documents, chain."""
    summary = inbox.case_summary(session, case_id)
    chain = inbox.verify_audit_chain(session, case_id)
    rows = inbox.timeline_for_case(session, case_id)
    unreadable = _unreadable_documents(rows)
    rows = _with_hashes(session, case_id, rows, bundle_possible=not unreadable)
    documents = inbox.documents_of_case(session, case_id)
    files = _ext().engine.services.files
    documents = [{**d, "intact": files.verify(d["sha256"])} for d in documents]
    links = _DocumentLinks(documents)
    first_broken = min((p["seq"] for p in chain.problems if p["case_id"] == case_id), default=None)
    steps_of_tasks = {
        e["task_id"]: (e["data"] or {}).get("step") for e in rows if e["kind"] == "task_ready" and e["task_id"]
    }
    events = []
    for e in rows:
        data = e["data"] or {}
        step = data.get("step", steps_of_tasks.get(e["task_id"]))
        if first_broken is None or e["seq"] < first_broken:
            integrity = "utuh"
        else:
            integrity = "rusak" if e["seq"] == first_broken else "tidak-terverifikasi"
        document = None
        if e["kind"] == "document_stored":
            document = {**data, "doc_id": links.take(data)}
        events.append(
            {
                **e,
                "kind_label": KIND_LABELS.get(e["kind"], e["kind"]),
                "step": int(step) if str(step or "").isdigit() else step,
                "changes": _changes(data),
                "details": _pretty(data) if data else "",
                "document": document,
                "integrity": integrity,
            }
        )
    return {
        "case": summary,
        "events": events,
        "documents": documents,
        "chain": chain,
        "first_broken": first_broken,
        "problems": [p for p in chain.problems if p["case_id"] == case_id],
        "unreadable": unreadable,
    }


def _with_hashes(session: Any, case_id: str, rows: list[dict[str, Any]], bundle_possible: bool) -> list[dict[str, Any]]:
    """Add ``id``, ``prev_hash`` and ``hash`` to timeline rows.

    :func:`sopflow.inbox.timeline_for_case` does not return them (yet); until it does they are
    read from the case's evidence bundle (:func:`sopflow.history.export_bundle`), the only
    read-only query that exposes every event's hash. When the bundle cannot be built (a
    document missing from or changed in the store) the hashes stay empty.
    """
    if not rows or "hash" in rows[0]:
        return rows
    chained: dict[int, dict[str, Any]] = {}
    if bundle_possible:
        bundle = history.export_bundle(session, _ext().engine.services.files, case_id)
        with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
            lines = archive.read("events.jsonl").decode("utf-8").splitlines()
        chained = {e["seq"]: e for e in (json.loads(line) for line in lines if line)}
    empty = {"id": None, "prev_hash": None, "hash": None}
    return [{**row, **{k: chained.get(row["seq"], empty)[k] for k in empty}} for row in rows]


def _unreadable_documents(rows: list[dict[str, Any]]) -> list[str]:
    """Return the filenames of documents named by the events that are missing from, or changed in, the store."""
    files = _ext().engine.services.files
    stored = {
        (e["data"] or {}).get("sha256"): (e["data"] or {}).get("filename")
        for e in rows
        if e["kind"] == "document_stored"
    }
    return sorted(
        {str(name) for sha256, name in stored.items() if not (isinstance(sha256, str) and files.verify(sha256))}
    )


def _changes(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Return what an event changed as ``before → after`` items (task data, script variables, holder)."""
    if "before" not in data and "after" not in data:
        return []
    before, after = data.get("before"), data.get("after")
    if isinstance(before, dict) or isinstance(after, dict):
        before, after = before if isinstance(before, dict) else {}, after if isinstance(after, dict) else {}
        keys = sorted(set(before) | set(after))
        return [
            {"key": key, "before": _value_view(before.get(key)), "after": _value_view(after.get(key))}
            for key in keys
            if before.get(key) != after.get(key)
        ]
    return [{"key": "", "before": _value_view(before), "after": _value_view(after)}]


def _value_view(value: Any) -> dict[str, Any]:
    """Return how a value is shown: its pretty JSON, a one-line preview and whether it is folded."""
    text = "—" if value is None else "(kosong)" if value == "" else _pretty(value)
    big = len(text) > BIG_VALUE or "\n" in text
    preview = " ".join(text.split())
    return {"text": text, "big": big, "preview": preview[:80] + ("…" if len(preview) > 80 else "")}


def _pretty(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)


class _DocumentLinks:
    """Find the document row (its id, for the download link) of a ``document_stored`` event.

    Rows and events come in the same order; a row is matched by SHA-256, filename and kind
    (the same file may be stored again, e.g. as ``arsip``), else by SHA-256 alone.
    """

    def __init__(self, documents: list[dict[str, Any]]) -> None:
        self.exact: dict[tuple[str, str, str], list[int]] = {}
        self.by_sha: dict[str, int] = {}
        for d in documents:
            self.exact.setdefault((d["sha256"], d["filename"], d["kind"]), []).append(d["id"])
            self.by_sha.setdefault(d["sha256"], d["id"])

    def take(self, stored: dict[str, Any]) -> int | None:
        """Return the id of the row recorded by ``stored`` (an event's data), each row once."""
        queue = self.exact.get((stored.get("sha256"), stored.get("filename"), stored.get("kind")))
        return queue.pop(0) if queue else self.by_sha.get(stored.get("sha256") or "")


def _parse_time(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _local(value: datetime | str | None) -> str:
    """Return a naive-UTC time in the office time zone with seconds, e.g. ``2026-11-26 04:21:23 WITA``."""
    if value in (None, ""):
        return ""
    moment = _parse_time(value)
    local = moment.replace(tzinfo=UTC).astimezone(ZoneInfo(_ext().settings.timezone))
    return f"{local.strftime('%Y-%m-%d %H:%M:%S')} {local.tzname()}"


def _cell(value: str) -> str:
    """Keep a text cell from being read as a spreadsheet formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _file_stem(case: dict[str, Any]) -> str:
    periode = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in case["periode"])
    return f"audit_{periode}_{case['case_id'][:8]}"


# -- the working paper -----------------------------------------------------------------------------
def _working_paper_docx(record: dict[str, Any]) -> bytes:
    """Build the kertas kerja: case header, integrity result, the timeline table, documents with SHA-256."""
    case, chain = record["case"], record["chain"]
    document = DocxDocument()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))
    document.styles["Normal"].font.size = Pt(9)
    document.add_heading("Kertas Kerja Audit — Riwayat Kasus", level=0)
    now = datetime.now(UTC).replace(tzinfo=None)
    header = [
        ("Nomor kasus", case["case_id"]),
        ("Proses", f"{case['process_id']} (versi proses #{case['process_version_id']})"),
        ("Periode", case["periode"]),
        ("Status", STATUS_LABELS.get(case["status"], case["status"])),
        ("Dimulai", f"{_local(case['started_at'])} oleh {case['started_by']}"),
        ("Selesai", _local(case["completed_at"]) or "-"),
        ("Disusun oleh", f"{current_user.full_name} ({current_username()})"),
        ("Tanggal penyusunan", _local(now)),
    ]
    _table(document, None, header, widths=(4.5, 22.0))
    document.add_heading("Hasil pemeriksaan integritas rantai audit", level=1)
    document.add_paragraph(chain.summary())
    for problem in record["problems"]:
        document.add_paragraph(f"Peristiwa #{problem['seq']}: {problem['reason']}", style="List Bullet")
    document.add_heading("Linimasa peristiwa", level=1)
    rows = [
        (
            str(e["seq"]),
            _local(e["at"]),
            e["actor"],
            e["kind_label"],
            str(e["step"] if e["step"] is not None else "-"),
            e["element_id"] or "-",
            _change_summary(e),
            (e["hash"] or "-")[:16],
        )
        for e in record["events"]
    ]
    head = ("#", "Waktu", "Pelaku", "Jenis", "Langkah", "Elemen", "Perubahan data / rincian", "Hash")
    _table(document, head, rows, widths=(1.0, 3.4, 2.8, 2.8, 1.4, 4.2, 8.4, 2.7))
    document.add_heading("Dokumen", level=1)
    docs = [
        (
            d["filename"],
            d["kind"],
            str(d["size"]),
            _local(d["created_at"]),
            d["sha256"],
            "utuh" if d["intact"] else "BERUBAH/HILANG",
        )
        for d in record["documents"]
    ]
    _table(
        document,
        ("Berkas", "Jenis", "Ukuran (byte)", "Dibuat", "SHA-256", "Berkas tersimpan"),
        docs,
        widths=(5.5, 2.4, 2.0, 3.4, 10.7, 2.7),
    )
    document.add_heading("Catatan auditor", level=1)
    document.add_paragraph("\n\n")
    document.add_paragraph("Disusun oleh: ____________________        Direviu oleh: ____________________")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _change_summary(event: dict[str, Any]) -> str:
    if event["changes"]:
        parts = [
            f"{c['key'] + ': ' if c['key'] else ''}{c['before']['preview']} → {c['after']['preview']}"
            for c in event["changes"]
        ]
        return "; ".join(parts)
    if event["document"]:
        return f"{event['document'].get('filename')} (SHA-256 {str(event['document'].get('sha256'))[:16]}…)"
    text = " ".join(event["details"].split())
    return text[:160] + ("…" if len(text) > 160 else "")


def _table(document: Any, head: tuple[str, ...] | None, rows: list[tuple[str, ...]], widths: tuple[float, ...]) -> None:
    """Add a bordered table (optional bold header row) with the given column widths in cm."""
    table = document.add_table(rows=0, cols=len(widths))
    table.style = "Table Grid"
    for values, bold in ([(head, True)] if head else []) + [(r, False) for r in rows]:
        cells = table.add_row().cells
        for cell, value, width in zip(cells, values, widths, strict=True):
            cell.width = Cm(width)
            run = cell.paragraphs[0].add_run(str(value))
            run.bold = bold
            run.font.size = Pt(8)
