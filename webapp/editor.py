"""The process editor: versions and drafts of a BPMN process, the modeler page, publishing, comparing and migrating.

Only process owners and admins open these pages (auditors and actors get 403). Every
change goes through an engine command (``save_draft``, ``publish_draft``,
``migrate_cases``); the pages only read through :mod:`sopflow.queries.inbox`.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from sopflow import InvalidForm, InvalidProcess, MigrateCases, NotFound, PublishDraft, SaveDraft
from sopflow.access.authz import ROLE_ADMIN, ROLE_OWNER
from sopflow.plugins import registry
from sopflow.queries import inbox
from sopflow.sopdoc.publication import render_published_sop

from .api_support import ApiError, parse_json_object
from .auth import actor_required, current_username

bp = Blueprint("editor", __name__, url_prefix="/proses")

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BPMN_TYPE = "application/xml"
MAX_BPMN_BYTES = 5 * 1024 * 1024
#: what a property of a changed element is called on the comparison page (others keep their name)
PROPERTY_LABELS = {
    "name": "nama",
    "lane": "pelaksana",
    "type": "jenis",
    "source": "dari",
    "target": "ke",
    "condition": "syarat",
    "default": "alur bawaan",
    "form": "formulir",
    "script": "skrip",
    "sop.step": "nomor langkah",
    "sop.waktu": "waktu (Mutu Baku)",
    "sop.satuan": "satuan waktu",
    "sop.persyaratan": "persyaratan (Mutu Baku)",
    "sop.output": "output (Mutu Baku)",
    "service.operator": "langkah otomatis",
    "incoming": "alur masuk",
    "outgoing": "alur keluar",
}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


@bp.before_request
def owners_only() -> Any:
    """Sign-in required, and only process owners and admins may open the editor pages."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]  # set by LoginManager(app)
    if not current_user.has_role(ROLE_OWNER, ROLE_ADMIN):
        abort(403, "Hanya pemilik proses atau admin yang dapat membuka penyunting proses.")
    return None


def _ext() -> Any:
    return current_app.extensions["sopflow"]


def _version_arg(name: str) -> int | None:
    """Read an optional version number from the query string (400 when it is not a positive integer)."""
    raw = request.values.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        abort(400, f"Parameter '{name}' harus nomor versi (bilangan bulat positif), bukan {raw!r}.")
    return int(raw)


def _versions(session: Any, process_id: str) -> list[dict[str, Any]]:
    versions = inbox.process_versions(session, process_id)
    if not versions and inbox.draft_of(session, process_id) is None:
        raise NotFound(f"Proses {process_id!r} tidak ditemukan.", process=process_id)
    return versions


def _filename(process_id: str, suffix: str) -> str:
    return _SAFE_NAME.sub("_", process_id) + suffix


# -- pages --------------------------------------------------------------------------------------
@bp.get("/")
def index() -> Any:
    """List the processes with their versions and the state of their drafts."""
    with _ext().db.reading() as session:
        versions = inbox.process_versions(session)
        processes: dict[str, dict[str, Any]] = {}
        for version in versions:
            entry = processes.setdefault(
                version["process_id"], {"process_id": version["process_id"], "name": version["name"], "versions": []}
            )
            entry["versions"].append(version)
        for entry in processes.values():
            entry["latest"] = entry["versions"][0]
            entry["draft"] = inbox.draft_of(session, entry["process_id"])
    return render_template("editor/index.html", processes=list(processes.values()))


@bp.get("/<process_id>/editor")
def editor(process_id: str) -> Any:
    """The modeler on the process's draft, or on its latest version when there is no draft."""
    return _render_editor(process_id)


def _render_editor(process_id: str, *, message: str | None = None, problems: list | None = None, status: int = 200):
    with _ext().db.reading() as session:
        versions = _versions(session, process_id)
        draft = inbox.draft_of(session, process_id)
        bpmn_xml = draft["bpmn_xml"] if draft else inbox.version_detail(session, process_id)["bpmn_xml"]
    if problems is None:
        problems = _ext().engine.validate_bpmn(process_id, bpmn_xml) if draft else []
    data = {
        "process_id": process_id,
        "xml": bpmn_xml,
        "problems": problems,
        "handlers": sorted(registry.names()),
        "satuan": ["hari kerja", "hari", "jam"],
        "save_url": url_for("editor.save_draft", process_id=process_id),
    }
    return (
        render_template(
            "editor/editor.html",
            process_id=process_id,
            versions=versions,
            draft=draft,
            data=data,
            message=message,
            note=request.form.get("catatan", "") if request.method == "POST" else "",
        ),
        status,
    )


@bp.post("/<process_id>/draf")
@actor_required
def save_draft(process_id: str) -> Any:
    """Store the editor's XML as the draft (JSON ``{"bpmn_xml": ...}``); answer with the validation problems."""
    expected = 'Kirim JSON {"bpmn_xml": "..."} berisi diagram BPMN.'
    try:  # one parser for every JSON body: nesting too deep is refused, never a RecursionError
        payload = parse_json_object(request.get_data(), "Badan permintaan")
    except ApiError as exc:
        return jsonify({"error": exc.message if exc.code == "json_too_deep" else expected, "problems": []}), 400
    if not isinstance(payload.get("bpmn_xml"), str) or not payload["bpmn_xml"]:
        return jsonify({"error": expected, "problems": []}), 400
    try:
        result = _ext().engine.save_draft(SaveDraft(process_id, payload["bpmn_xml"], current_username()))
    except InvalidProcess as exc:
        return jsonify({"error": exc.message, "problems": exc.problems}), 422
    return jsonify(_jsonable(result))


@bp.post("/<process_id>/terbitkan")
@actor_required
def publish(process_id: str) -> Any:
    """Publish the draft as the next version (a note is required)."""
    note = request.form.get("catatan", "").strip()
    try:
        published = _ext().engine.publish_draft(PublishDraft(process_id, current_username(), note))
    except InvalidForm as exc:
        return _render_editor(process_id, message=exc.message, status=422)
    except InvalidProcess as exc:
        return _render_editor(process_id, message=exc.message, problems=exc.problems, status=422)
    except NotFound as exc:
        with _ext().db.reading() as session:
            has_draft = inbox.draft_of(session, process_id) is not None
        if has_draft:
            raise
        return _render_editor(process_id, message=f"Belum ada draf untuk diterbitkan. {exc.message}", status=409)
    flash(f"Versi {published.version} proses {published.process_id} diterbitkan.", "sukses")
    return redirect(url_for("editor.index"))


@bp.post("/<process_id>/unggah")
@actor_required
def upload(process_id: str) -> Any:
    """Make an uploaded .bpmn file (from another modeler) the draft; hostile or malformed XML is refused."""
    sent = request.files.get("berkas")
    error = None
    text = ""
    if sent is None or not sent.filename:
        error = "Pilih berkas .bpmn yang akan diunggah."
    elif not sent.filename.lower().endswith((".bpmn", ".xml")):
        error = f"Berkas '{sent.filename}' bukan berkas BPMN (.bpmn atau .xml)."
    else:
        raw = sent.read(MAX_BPMN_BYTES + 1)
        if len(raw) > MAX_BPMN_BYTES:
            error = f"Berkas '{sent.filename}' lebih besar dari {MAX_BPMN_BYTES // (1024 * 1024)} MB."
        else:
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                error = f"Berkas '{sent.filename}' bukan teks UTF-8."
    if error is None:
        assert sent is not None  # error is set when no file was sent
        try:
            result = _ext().engine.save_draft(SaveDraft(process_id, text, current_username()))
        except InvalidProcess as exc:
            return _render_editor(
                process_id, message=f"Berkas tidak diterima: {exc.message}", problems=exc.problems, status=422
            )
        if result["valid"]:
            flash(f"Berkas '{sent.filename}' menjadi draf proses {process_id}.", "sukses")
        else:
            count = len(result["problems"])
            flash(f"Berkas '{sent.filename}' disimpan sebagai draf, tetapi masih ada {count} masalah.", "peringatan")
        return redirect(url_for("editor.editor", process_id=process_id))
    return _render_editor(process_id, message=error, status=422)


@bp.get("/<process_id>/unduh")
def download(process_id: str) -> Any:
    """Download a version's BPMN (``?versi=N``), or the draft, or the latest version."""
    version = _version_arg("versi")
    with _ext().db.reading() as session:
        draft = inbox.draft_of(session, process_id) if version is None else None
        if draft is not None:
            bpmn_xml, suffix = draft["bpmn_xml"], "-draf.bpmn"
        else:
            detail = inbox.version_detail(session, process_id, version)
            bpmn_xml, suffix = detail["bpmn_xml"], f"-v{detail['version']}.bpmn"
    return Response(
        bpmn_xml.encode("utf-8"),
        mimetype=BPMN_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{_filename(process_id, suffix)}"'},
    )


@bp.get("/<process_id>/sop.docx")
def sop_document(process_id: str) -> Any:
    """Download the official SOP document (docx) of a version (latest when ``versi`` is absent)."""
    with _ext().db.reading() as session:
        sop = render_published_sop(session, _ext().settings, process_id, _version_arg("versi"))
    return Response(
        sop.docx, mimetype=DOCX_TYPE, headers={"Content-Disposition": f'attachment; filename="{sop.stem}.docx"'}
    )


@bp.post("/<process_id>/sop.pdf")
def request_sop_pdf(process_id: str) -> Any:
    """Ask for the PDF/A of a version's SOP document: a job makes it; the status page follows it."""
    state = _ext().engine.request_sop_pdf(process_id, _version_arg("versi"), current_username())
    return redirect(url_for("editor.sop_pdf_status", process_id=process_id, job_id=state["job_id"]))


@bp.get("/<process_id>/sop.pdf/<job_id>")
def sop_pdf_status(process_id: str, job_id: str) -> Any:
    """The PDF's state: being made (the page refreshes itself), ready to download, or why not."""
    state = _ext().engine.sop_pdf(job_id)
    if state["process_id"] != process_id:
        abort(404)
    return render_template("editor/sop_pdf.html", process_id=process_id, state=state)


@bp.get("/<process_id>/sop.pdf/<job_id>/unduh")
def sop_pdf_download(process_id: str, job_id: str) -> Any:
    """Download the finished PDF (404 while it is being made)."""
    if _ext().engine.sop_pdf(job_id)["process_id"] != process_id:
        abort(404)
    filename, data = _ext().engine.sop_pdf_file(job_id)
    disposition = f'attachment; filename="{filename}"'
    return Response(data, mimetype="application/pdf", headers={"Content-Disposition": disposition})


@bp.get("/<process_id>/banding")
def compare(process_id: str) -> Any:
    """Compare two versions: both diagrams with added/removed/changed elements and the property changes."""
    with _ext().db.reading() as session:
        versions = _versions(session, process_id)
        numbers = [v["version"] for v in versions]
        new = _version_arg("ke") or (numbers[0] if numbers else None)
        old = _version_arg("dari") or next((n for n in numbers if new is not None and n < new), new)
        if new is None or old is None:
            raise NotFound(f"Proses {process_id!r} belum memiliki versi terbit.", process=process_id)
        old_xml = inbox.version_detail(session, process_id, old)["bpmn_xml"]
        new_xml = inbox.version_detail(session, process_id, new)["bpmn_xml"]
        diff = inbox.diff_versions(session, process_id, old, new)
    added, removed = _element_ids(diff.get("added")), _element_ids(diff.get("removed"))
    changed = list(diff.get("changed") or [])
    changed_ids = [c["element"] for c in changed]
    data = {
        "old": {"xml": old_xml, "removed": removed, "changed": changed_ids},
        "new": {"xml": new_xml, "added": added, "changed": changed_ids},
    }
    return render_template(
        "editor/compare.html",
        process_id=process_id,
        versions=versions,
        old=old,
        new=new,
        added=diff.get("added") or [],
        removed=diff.get("removed") or [],
        changed=changed,
        process_changes=diff.get("process_changes") or [],
        names=diff.get("names") or {},
        property_labels=PROPERTY_LABELS,
        data=data,
    )


def _element_ids(items: Any) -> list[str]:
    """Element ids of a diff list whose items are ids or dicts with an ``element`` key."""
    ids = []
    for item in items or []:
        ids.append(item if isinstance(item, str) else str(item.get("element") or item.get("id") or ""))
    return [i for i in ids if i]


@bp.route("/<process_id>/migrasi", methods=["GET", "POST"])
def migrate(process_id: str) -> Any:
    """Preview which running cases can move to version ``ke``; on POST migrate the chosen ones."""
    with _ext().db.reading() as session:
        versions = _versions(session, process_id)
    target = _version_arg("ke") or (versions[0]["version"] if versions else None)
    if target is None:
        raise NotFound(f"Proses {process_id!r} belum memiliki versi terbit.", process=process_id)
    results = None
    status = 200
    if request.method == "POST":
        if current_user.read_only:
            abort(403, "Akun Anda hanya dapat melihat (baca saja); tindakan ini tidak diizinkan.")
        chosen = [c for c in request.form.getlist("case_id") if c]
        if not chosen:
            flash("Pilih minimal satu kasus yang akan dipindahkan ke versi baru.", "peringatan")
            status = 422
        else:
            command = MigrateCases(process_id, target, current_username(), case_ids=tuple(chosen))
            results = _ext().engine.migrate_cases(command)
            moved = sum(1 for r in results if r.get("migrated"))
            kind = "sukses" if moved else "peringatan"
            flash(f"{moved} dari {len(chosen)} kasus dipindahkan ke versi {target}.", kind)
    preview = _ext().engine.migration_preview(process_id, target)
    return (
        render_template(
            "editor/migrate.html",
            process_id=process_id,
            versions=versions,
            target=target,
            preview=preview,
            results=results,
        ),
        status,
    )


def _jsonable(result: Any) -> Any:
    """Make the engine's answer JSON-friendly (datetimes as ISO text)."""
    if isinstance(result, dict):
        return {key: _jsonable(value) for key, value in result.items()}
    if isinstance(result, list | tuple):
        return [_jsonable(value) for value in result]
    if hasattr(result, "isoformat"):
        return result.isoformat()
    return result
