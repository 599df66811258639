"""A case's history for auditors: the case as it was at any event, and the evidence bundle.

Everything here is read-only and derived from the audit events (and, for task data, the
snapshot the engine keeps after each command). The bundle is verified offline by
:func:`verify_bundle` without the database.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import case as sql_case
from sqlalchemy import null, select
from sqlalchemy.orm import Session

from sopflow.audit.anchor import event_rows
from sopflow.audit.chain import CHAIN_VERSION, ChainReport, decode_data, verify_events
from sopflow.audit.evidence import anchor_members, check_anchor_members
from sopflow.engine.files import FileStore
from sopflow.errors import NotFound
from sopflow.persistence import store
from sopflow.persistence.models import AuditEvent, Case, ProcessVersion
from sopflow.queries.cases import event_row

_NEEDS_DATA = ("task_ready", "task_reassigned", "document_stored")
_DONE = {"case_started", "task_completed", "service_run", "script_run", "gateway_passed", "case_completed"}
_COMPLETED_STATE = 64  # SpiffWorkflow TaskState.COMPLETED
_READY_STATE = 16  # SpiffWorkflow TaskState.READY


def case_at(session: Session, case_id: str, seq: int) -> dict[str, Any]:
    """Return the case as it was right after event ``seq``: diagram state, open tasks and holders, documents, data.

    Raises NotFound for an unknown case or event.
    """
    header = session.execute(select(Case.periode, Case.process_version_id).where(Case.id == case_id)).first()
    if header is None:
        raise NotFound(f"Kasus {case_id} tidak ditemukan.", case=case_id)
    # decode the JSON payload only of the events the replay needs (service payloads are large)
    payload = sql_case((AuditEvent.kind.in_(_NEEDS_DATA), AuditEvent.data), else_=null())
    events = session.execute(
        select(AuditEvent.seq, AuditEvent.kind, AuditEvent.actor, AuditEvent.task_id, AuditEvent.element_id, payload)
        .where(AuditEvent.case_id == case_id, AuditEvent.seq <= seq)
        .order_by(AuditEvent.seq)
    ).all()
    if not events or events[-1][0] != seq:
        raise NotFound(f"Peristiwa #{seq} pada kasus {case_id} tidak ditemukan.", case=case_id)
    state = _replay_events(events)
    event = session.scalar(select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.seq == seq))
    assert event is not None  # found among the events above
    snapshot = store.snapshot_summary_at(session, case_id, seq)
    summary = snapshot[1] if snapshot else {"data": {}, "ready": []}
    if summary is None:  # a snapshot written before summaries existed: derive it from the full state
        full = store.snapshot_at(session, case_id, seq)
        assert full is not None  # the snapshot whose summary is missing is there
        parsed = json.loads(full[1])
        summary = {"data": _latest_data(parsed), "ready": _ready_specs(parsed)}
    bpmn_xml = session.scalar(select(ProcessVersion.bpmn_xml).where(ProcessVersion.id == header[1]))
    return {
        "case_id": case_id,
        "periode": header[0],
        "event": _event_dict(event),
        "bpmn_xml": bpmn_xml,
        **state,
        "snapshot_seq": snapshot[0] if snapshot else None,
        "data": summary["data"],
        "ready_in_snapshot": summary["ready"],
    }


def _replay_events(events: Sequence[Any]) -> dict[str, Any]:
    """Fold (seq, kind, actor, task_id, element_id, data) rows into the state after the last one."""
    # keyed by task and element ids as the events carry them (each kind used here sets them)
    open_tasks: dict[str | None, dict[str, Any]] = {}
    done: set[str] = set()
    failed: set[str] = set()
    documents: list[dict[str, Any]] = []
    status = "berjalan"
    for e in (_Row(*row) for row in events):
        data = e.data or {}
        if e.kind == "task_ready":
            open_tasks[e.task_id] = {
                "task_id": e.task_id,
                "element_id": e.element_id,
                "lane": data.get("lane"),
                "unit": data.get("unit"),
                "label": data.get("label"),
                "due_at": data.get("due_at"),
                "claimed_by": None,
                "escalated": False,
            }
        elif e.kind == "task_completed":
            open_tasks.pop(e.task_id, None)
        elif e.kind in ("task_claimed", "task_unclaimed", "task_reassigned") and e.task_id in open_tasks:
            holder = {"task_claimed": e.actor, "task_unclaimed": None}.get(e.kind, data.get("after"))
            open_tasks[e.task_id]["claimed_by"] = holder
        elif e.kind == "task_escalated" and e.task_id in open_tasks:
            open_tasks[e.task_id]["escalated"] = True
        elif e.kind == "service_failed" and e.element_id:
            failed.add(e.element_id)
        elif e.kind == "step_retried" and e.element_id:
            failed.discard(e.element_id)
        elif e.kind == "document_stored":
            documents.append({**data, "seq": e.seq, "element_id": e.element_id})
        elif e.kind == "case_completed":
            status = "selesai"
        if e.kind in _DONE and e.element_id:
            done.add(e.element_id)
    active = {t["element_id"] for t in open_tasks.values()}
    return {
        "status": "gagal" if failed and status != "selesai" else status,
        "completed": sorted(done - active - failed),
        "active": sorted(active),
        "failed": sorted(failed),
        "open_tasks": sorted(open_tasks.values(), key=lambda t: (t["element_id"], t["label"] or "")),
        "documents": documents,
    }


@dataclass(frozen=True)
class _Row:
    seq: int
    kind: str
    actor: str
    task_id: str | None
    element_id: str | None
    data: dict[str, Any] | None


def _latest_data(state: str | dict[str, Any]) -> dict[str, Any]:
    """Return the data of the most recently completed task in a serialized workflow.

    SpiffWorkflow stores a task's data as a delta against its parent, so the data is rebuilt
    along the path from the root.
    """
    tasks = (json.loads(state) if isinstance(state, str) else state).get("tasks", {})
    completed = [t for t in tasks.values() if t.get("state") == _COMPLETED_STATE]
    if not completed:
        return {}
    task = max(completed, key=lambda t: t.get("last_state_change") or 0)
    path = []
    while task is not None:
        path.append(task)
        task = tasks.get(task.get("parent") or "")
    data: dict[str, Any] = {}
    for item in reversed(path):
        if isinstance(item.get("data"), dict) and item["data"]:
            data = dict(item["data"])
        delta = item.get("delta") or {}
        data.update(delta.get("updates") or {})
        for key in delta.get("deletions") or []:
            data.pop(key, None)
    return data


def _ready_specs(state: dict[str, Any]) -> list[str]:
    """Return the task spec names READY in a parsed serialized workflow (top-level process)."""
    tasks = state.get("tasks", {})
    return sorted(t["task_spec"] for t in tasks.values() if t.get("state") == _READY_STATE)


def _event_dict(e: AuditEvent) -> dict[str, Any]:
    return {**event_row(e), "at": e.at.isoformat(timespec="microseconds")}


def export_bundle(session: Session, files: FileStore, case_id: str, data_dir: Path | None = None) -> bytes:
    """Return a zip with the case's events (JSON lines), its BPMN version, documents and a manifest.

    With ``data_dir`` (the instance's key folder) it also carries the case's anchor, the
    latest signed checkpoint covering the case and the public key (:mod:`sopflow.audit.evidence`).
    An event whose stored data is damaged is exported as it is (``data_raw``) and fails the offline check.
    """
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"Kasus {case_id} tidak ditemukan.", case=case_id)
    version = session.get_one(ProcessVersion, case.process_version_id)
    events = [{**e, "at": e["at"].isoformat(timespec="microseconds")} for e in event_rows(session, case_id)]
    members: dict[str, bytes] = {
        "events.jsonl": "".join(json.dumps(e, sort_keys=True, ensure_ascii=False) + "\n" for e in events).encode(),
        "process.bpmn": version.bpmn_xml.encode("utf-8"),
        "process.json": json.dumps(
            {"process_id": version.process_id, "version": version.version, "sha256": version.sha256}, indent=2
        ).encode(),
    }
    stored = {e["data"].get("sha256") for e in events if e["kind"] == "document_stored"}
    for sha256 in sorted(s for s in stored if isinstance(s, str)):
        members[f"documents/{sha256}"] = files.get(sha256)
    members.update(anchor_members(session, case_id, data_dir))
    manifest = {
        "format": "sopflow-evidence-1",
        "chain": CHAIN_VERSION,
        "case_id": case_id,
        "periode": case.periode,
        "events": len(events),
        "head": events[-1]["hash"] if events else None,
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in members.items()},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
    return buffer.getvalue()


#: a bundle member (events.jsonl, a document) larger than this is refused before it is read
MAX_BUNDLE_MEMBER_BYTES = 256 * 1024 * 1024
#: all members of a bundle together, and their number
MAX_BUNDLE_TOTAL_BYTES = 1024 * 1024 * 1024
MAX_BUNDLE_MEMBERS = 10_000


class BundleTooLarge(zipfile.BadZipFile):
    """A bundle (or one of its members) exceeds a size cap; the message names the member and the cap."""


def check_bundle_sizes(archive: zipfile.ZipFile) -> None:
    """Raise BundleTooLarge naming the member and the cap when a bundle is too large to read.

    The sizes come from the zip central directory, before anything is decompressed; a member
    that inflates past its declared size fails its own read (zipfile stops at the declared size).
    """
    infos = archive.infolist()
    if len(infos) > MAX_BUNDLE_MEMBERS:
        raise BundleTooLarge(f"bundel berisi {_dots(len(infos))} berkas, melebihi batas {_dots(MAX_BUNDLE_MEMBERS)}")
    for info in infos:
        if info.file_size > MAX_BUNDLE_MEMBER_BYTES:
            raise BundleTooLarge(
                f"berkas {info.filename} di dalam bundel berukuran {_dots(info.file_size)} byte, "
                f"melebihi batas {_dots(MAX_BUNDLE_MEMBER_BYTES)} byte per berkas"
            )
    total = sum(info.file_size for info in infos)
    if total > MAX_BUNDLE_TOTAL_BYTES:
        raise BundleTooLarge(f"isi bundel {_dots(total)} byte, melebihi batas {_dots(MAX_BUNDLE_TOTAL_BYTES)} byte")


def _dots(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def verify_bundle(path: str | Path, trusted_key: bytes | None = None) -> ChainReport:
    """Verify an evidence bundle offline: event chain, manifest, documents, BPMN, anchor and signed checkpoint.

    ``trusted_key`` (a public key in PEM obtained outside the bundle) must be the key that
    signed the checkpoint; without it the bundle's own key is used and its fingerprint is
    reported (``ChainReport.key_id``) for the auditor to compare. Damaged content is a
    named problem, never an exception.
    """
    report = ChainReport()
    try:
        with zipfile.ZipFile(path) as archive:
            check_bundle_sizes(archive)
            names = set(archive.namelist())
            manifest = json.loads(archive.read("manifest.json"))
            contents = {name: archive.read(name) for name in names if name != "manifest.json"}
        if not isinstance(manifest, dict):
            raise ValueError("manifest.json bukan objek JSON")
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        report.problems.append({"case_id": "-", "seq": 0, "id": None, "reason": f"berkas bukti tidak terbaca: {exc}"})
        return report
    case_id = str(manifest.get("case_id", "-"))
    files = manifest.get("files")
    listed = files if isinstance(files, dict) else {}

    def problem(reason: str, seq: int | None = 0) -> None:
        report.problems.append({"case_id": case_id, "seq": seq, "id": None, "reason": reason})

    for name in sorted(set(listed) ^ set(contents)):
        problem(f"berkas {name} {'hilang' if name in listed else 'tidak tercatat di manifest'}")
    for name, data in sorted(contents.items()):
        if listed.get(name) not in (None, hashlib.sha256(data).hexdigest()):
            problem(f"berkas {name} berubah (hash tidak cocok dengan manifest)")
        if name.startswith("documents/") and hashlib.sha256(data).hexdigest() != name.removeprefix("documents/"):
            problem(f"dokumen {name} berubah (isi tidak cocok dengan SHA-256-nya)")
    events = _bundle_events(contents.get("events.jsonl", b""), case_id, report)
    chain_report = verify_events(events)
    report.cases, report.events, report.tails = chain_report.cases, chain_report.events, chain_report.tails
    report.problems.extend(chain_report.problems)
    if events and (manifest.get("head") != events[-1].get("hash") or manifest.get("events") != len(events)):
        problem("kepala rantai atau jumlah peristiwa tidak cocok dengan manifest", events[-1].get("seq") or 0)
    for e in events:
        payload = e.get("data")
        body = payload if isinstance(payload, dict) else {}
        if e.get("kind") == "document_stored" and f"documents/{body.get('sha256')}" not in contents:
            problem(f"dokumen {body.get('filename')} dari peristiwa #{e.get('seq')} tidak ada di bundel", e.get("seq"))
        if e.get("kind") == "case_started":
            bpmn = contents.get("process.bpmn", b"")
            if hashlib.sha256(bpmn).hexdigest() != body.get("process_sha256"):
                problem("process.bpmn tidak cocok dengan versi proses saat kasus dimulai", e.get("seq"))
    anchored, report.key_id = check_anchor_members(contents, events, case_id, trusted_key)
    for seq, reason in anchored:
        problem(reason, seq)
    report.checkpoints = int(report.key_id is not None)
    return report


def _bundle_events(raw: bytes, case_id: str, report: ChainReport) -> list[dict[str, Any]]:
    """Parse events.jsonl; a line that is not a JSON object is a named problem and a damaged event."""
    events = []
    for number, line in enumerate(raw.decode("utf-8", errors="replace").splitlines(), start=1):
        if not line.strip():
            continue
        value, reason = decode_data(line)
        if reason is not None or value is None:
            report.problems.append(
                {"case_id": case_id, "seq": number, "id": None, "reason": f"baris {number} events.jsonl: {reason}"}
            )
            continue
        events.append(value)
    return events
