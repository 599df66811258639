"""View helpers of the auditor pages: events as shown, values, times, file names."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app

BIG_VALUE = 120

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

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
    "engine_resumed": "Dilanjutkan mesin",
}


def _ext() -> Any:
    return current_app.extensions["sopflow"]


def event_view(e: dict[str, Any], step: Any, first_broken: int | None, doc_id: int | None) -> dict[str, Any]:
    """Return an event as the timeline shows it: kind label, step, changes, details, document, integrity.

    ``step`` is the event's step when its own data does not name one (from its task or element).
    """
    data = e["data"] or {}
    step = data.get("step", step)
    if first_broken is None or e["seq"] < first_broken:
        integrity = "utuh"
    else:
        integrity = "rusak" if e["seq"] == first_broken else "tidak-terverifikasi"
    return {
        **e,
        "kind_label": KIND_LABELS.get(e["kind"], e["kind"]),
        "step": int(step) if str(step or "").isdigit() else step,
        "changes": changes_of(data),
        "details": e.get("data_raw") or "" if e.get("damaged") else pretty(data) if data else "",
        "document": {**data, "doc_id": doc_id} if e["kind"] == "document_stored" else None,
        "integrity": integrity,
    }


def unreadable_documents(rows: list[dict[str, Any]]) -> list[str]:
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


def changes_of(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Return what an event changed as ``before → after`` items (task data, script variables, holder)."""
    if "before" not in data and "after" not in data:
        return []
    before, after = data.get("before"), data.get("after")
    if isinstance(before, dict) or isinstance(after, dict):
        before, after = before if isinstance(before, dict) else {}, after if isinstance(after, dict) else {}
        keys = sorted(set(before) | set(after))
        return [
            {"key": key, "before": value_view(before.get(key)), "after": value_view(after.get(key))}
            for key in keys
            if before.get(key) != after.get(key)
        ]
    return [{"key": "", "before": value_view(before), "after": value_view(after)}]


def value_view(value: Any) -> dict[str, Any]:
    """Return how a value is shown: its pretty JSON, a one-line preview and whether it is folded."""
    text = "—" if value is None else "(kosong)" if value == "" else pretty(value)
    big = len(text) > BIG_VALUE or "\n" in text
    preview = " ".join(text.split())
    return {"text": text, "big": big, "preview": preview[:80] + ("…" if len(preview) > 80 else "")}


def pretty(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)


class DocumentLinks:
    """Find the document row (its id, for the download link) of a ``document_stored`` event.

    Rows and events come in the same order; a row is matched by SHA-256, filename and kind
    (the same file may be stored again, e.g. as ``arsip``), else by SHA-256 alone.
    """

    def __init__(self, documents: list[dict[str, Any]]) -> None:
        self.exact: dict[tuple[str | None, str | None, str | None], list[int]] = {}  # looked up with .get()
        self.by_sha: dict[str, int] = {}
        for d in documents:
            self.exact.setdefault((d["sha256"], d["filename"], d["kind"]), []).append(d["id"])
            self.by_sha.setdefault(d["sha256"], d["id"])

    def take(self, stored: dict[str, Any]) -> int | None:
        """Return the id of the row recorded by ``stored`` (an event's data), each row once."""
        queue = self.exact.get((stored.get("sha256"), stored.get("filename"), stored.get("kind")))
        return queue.pop(0) if queue else self.by_sha.get(stored.get("sha256") or "")


def parse_time(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def local_time(value: datetime | str | None) -> str:
    """Return a naive-UTC time in the office time zone with seconds, e.g. ``2026-11-26 04:21:23 WITA``."""
    if value in (None, ""):
        return ""
    moment = parse_time(value)
    local = moment.replace(tzinfo=UTC).astimezone(ZoneInfo(_ext().settings.timezone))
    return f"{local.strftime('%Y-%m-%d %H:%M:%S')} {local.tzname()}"


def spreadsheet_cell(value: str) -> str:
    """Keep a text cell from being read as a spreadsheet formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def file_stem(case: dict[str, Any]) -> str:
    periode = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in case["periode"])
    return f"audit_{periode}_{case['case_id'][:8]}"


# -- the working paper -----------------------------------------------------------------------------
