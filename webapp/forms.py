"""A task's JSON Schema as HTML form fields, and the submitted form back as data and uploads.

Nothing here validates: the engine checks the submission against the same schema and
answers :class:`sopflow.InvalidForm` with per-field messages, which :func:`build_fields`
puts back beside the user's entries.

Form names: a top-level property ``p`` is ``p``; a cell of an array-of-objects table is
``p-<row>-<column>`` with ``p-rows`` giving the row count; a file kept from an earlier
attempt is ``p__upload_id`` (its name for display in ``p__upload_name``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sopflow import Upload

from .formatting import number_text

UPLOAD_KEY = "x-sopflow-upload"
LABELS_KEY = "x-sopflow-enum-labels"
WIDGET_KEY = "x-sopflow-widget"
DEFAULT_TABLE_ROWS = 5
_MISSING = object()


@dataclass
class FormField:
    """One field as the template draws it."""

    name: str
    title: str
    kind: str  # text, textarea, date, number, integer, boolean, select, radio, upload, table, lines, json
    description: str = ""
    required: bool = False
    value: Any = ""
    options: list[tuple[str, str]] = field(default_factory=list)
    accept: str = ""
    max_bytes: int | None = None
    columns: list[FormField] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    fixed_columns: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    row_errors: dict[int, list[str]] = field(default_factory=dict)
    staged: dict[str, str] | None = None


def build_fields(
    schema: dict[str, Any] | None,
    form: Mapping[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
    staged: dict[str, dict[str, str]] | None = None,
    prefill: dict[str, dict[str, list[str]]] | None = None,
) -> list[FormField]:
    """Return the fields of ``schema`` filled from a submitted ``form`` (or defaults and ``prefill``).

    ``errors`` are :attr:`InvalidForm.errors` (``field``, ``message``, optional 1-based
    ``baris``); ``staged`` maps upload fields to ``{"upload_id", "filename"}`` kept from
    an earlier attempt; ``prefill`` maps table fields to ``{column: [value per row]}``.
    """
    schema = schema or {}
    required = set(schema.get("required") or [])
    fields = []
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        item = _field(name, prop, name in required)
        if item.kind == "table":
            _fill_table(item, prop, form, (prefill or {}).get(name) or {})
        elif item.kind == "upload":
            item.staged = (staged or {}).get(name) or _staged_from_form(form, name)
        elif form is not None:
            item.value = form.get(name, "") if item.kind != "boolean" else bool(form.get(name))
        elif "default" in prop:
            item.value = _display(prop["default"], item.kind)
        fields.append(item)
    _attach_errors(fields, errors or [])
    return fields


def form_errors(errors: list[dict[str, Any]], fields: list[FormField]) -> list[str]:
    """Return the messages that belong to no drawn field (shown at the top of the form)."""
    names = {f.name for f in fields}
    return [e["message"] for e in errors if (e.get("field") or "") not in names]


def parse_submission(
    schema: dict[str, Any] | None, form: Mapping[str, str], files: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Upload]]:
    """Turn ``request.form``/``request.files`` into ``(data, uploads)`` for :class:`CompleteUserTask`.

    Values are coerced by schema type (integer, number, boolean, enum); empty entries are
    left out so that the engine reports required fields. A file kept from an earlier
    attempt becomes ``{field: {"upload_id": ...}}``.
    """
    schema = schema or {}
    data: dict[str, Any] = {}
    uploads: dict[str, Upload] = {}
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        kind = _kind(prop, top_level=True)
        if kind == "upload":
            sent = files.get(name)
            if sent is not None and sent.filename:
                uploads[name] = Upload(sent.filename, sent.read())
            elif form.get(f"{name}__upload_id"):
                data[name] = {"upload_id": form[f"{name}__upload_id"]}
            continue
        if kind == "table":
            rows = _parse_table(name, prop, form)
            if rows:
                data[name] = rows
            continue
        value = _coerce(prop, kind, form.get(name))
        if value is not _MISSING:
            data[name] = value
    return data, uploads


def upload_field_names(schema: dict[str, Any] | None) -> list[str]:
    """Return the names of the schema's file fields."""
    props = (schema or {}).get("properties") or {}
    return [name for name, prop in props.items() if isinstance(prop, dict) and UPLOAD_KEY in prop]


def prefill_from_documents(schema: dict[str, Any] | None, documents: list[dict[str, Any]]) -> dict[str, Any]:
    """Return one row per distinct document ``meta`` value for tables whose items have that column.

    E.g. the monitoring schedule (items with ``bidang``) gets one row per Bidang of the
    case, taken from the per-Bidang documents (``meta.bidang``) in their order.
    """
    prefill: dict[str, dict[str, list[str]]] = {}
    for name, prop in ((schema or {}).get("properties") or {}).items():
        if not isinstance(prop, dict) or _kind(prop, top_level=True) != "table":
            continue
        for column in (prop.get("items") or {}).get("properties") or {}:
            values: list[str] = []
            for doc in documents:
                value = (doc.get("meta") or {}).get(column)
                if isinstance(value, str) and value and value not in values:
                    values.append(value)
            if values:
                prefill[name] = {column: values}
                break
    return prefill


# -- building ----------------------------------------------------------------------------------
def _kind(prop: dict[str, Any], top_level: bool) -> str:
    kind = prop.get("type")
    if UPLOAD_KEY in prop:
        return "upload"
    if prop.get(WIDGET_KEY):
        return str(prop[WIDGET_KEY])
    if "enum" in prop:
        return "radio" if top_level and len(prop["enum"]) <= 4 else "select"
    if kind == "array":
        items = prop.get("items") or {}
        return "table" if items.get("type") == "object" else "lines"
    if kind == "object":
        return "json"
    if kind in ("integer", "number", "boolean"):
        return kind
    if prop.get("format") == "date":
        return "date"
    if kind == "string" and top_level and not prop.get("pattern") and int(prop.get("maxLength") or 1000) > 200:
        return "textarea"
    return "text"


def _field(name: str, prop: dict[str, Any], required: bool, top_level: bool = True) -> FormField:
    item = FormField(
        name=name,
        title=prop.get("title") or name,
        kind=_kind(prop, top_level),
        description=prop.get("description") or "",
        required=required,
    )
    if "enum" in prop:
        labels = prop.get(LABELS_KEY) or {}
        item.options = [(str(v), str(labels.get(str(v), v))) for v in prop["enum"]]
    if item.kind == "upload":
        rules = prop[UPLOAD_KEY] or {}
        item.accept = ",".join(rules.get("accept") or [])
        item.max_bytes = rules.get("max_bytes")
    if item.kind == "table":
        items = prop.get("items") or {}
        needed = set(items.get("required") or [])
        item.columns = [
            _field(col, sub, col in needed, top_level=False)
            for col, sub in (items.get("properties") or {}).items()
            if isinstance(sub, dict)
        ]
    return item


def _fill_table(item: FormField, prop: dict[str, Any], form: Mapping[str, str] | None, prefill: dict) -> None:
    item.fixed_columns = set(prefill)
    if form is not None and form.get(f"{item.name}-rows"):
        count = _row_count(form.get(f"{item.name}-rows"))
        item.rows = [{c.name: form.get(f"{item.name}-{i}-{c.name}", "") for c in item.columns} for i in range(count)]
        return
    count = max((len(v) for v in prefill.values()), default=0) or max(
        int(prop.get("minItems") or 0), DEFAULT_TABLE_ROWS
    )
    item.rows = [
        {c.name: (prefill.get(c.name) or [])[i] if i < len(prefill.get(c.name) or []) else "" for c in item.columns}
        for i in range(count)
    ]


def _staged_from_form(form: Mapping[str, str] | None, name: str) -> dict[str, str] | None:
    if form is None or not form.get(f"{name}__upload_id"):
        return None
    return {"upload_id": form[f"{name}__upload_id"], "filename": form.get(f"{name}__upload_name", "")}


def _display(value: Any, kind: str) -> Any:
    if kind == "boolean":
        return bool(value)
    if kind == "date" and isinstance(value, str) and _ISO_DATE.match(value):
        return f"{value[8:10]}/{value[5:7]}/{value[0:4]}"  # shown and typed as dd/mm/yyyy
    if kind in ("number", "integer") and isinstance(value, int | float) and not isinstance(value, bool):
        return number_text(value)
    if kind == "lines" and isinstance(value, list):
        return "\n".join(map(str, value))
    if kind == "json":
        return json.dumps(value, ensure_ascii=False, indent=1)
    return "" if value is None else str(value)


#: the engine's date hint is ISO (what the API takes); the page's date inputs take dd/mm/yyyy
_ISO_HINT = "(contoh tanggal: 2026-07-15)"
_PAGE_HINT = "(tulis hh/bb/tttt, misalnya 15/07/2026)"


def _attach_errors(fields: list[FormField], errors: list[dict[str, Any]]) -> None:
    by_name = {f.name: f for f in fields}
    for err in errors:
        target = by_name.get(err.get("field") or "")
        if target is None:
            continue
        row = err.get("baris")
        message = err["message"].replace(_ISO_HINT, _PAGE_HINT)
        if target.kind == "table" and isinstance(row, int) and 1 <= row <= len(target.rows):
            target.row_errors.setdefault(row - 1, []).append(message)
        else:
            target.errors.append(message)


# -- parsing -----------------------------------------------------------------------------------
def _row_count(raw: str | None) -> int:
    try:
        return max(0, min(int(raw or 0), 500))
    except ValueError:
        return 0


def _parse_table(name: str, prop: dict[str, Any], form: Mapping[str, str]) -> list[dict[str, Any]]:
    columns = ((prop.get("items") or {}).get("properties")) or {}
    rows = []
    for i in range(_row_count(form.get(f"{name}-rows"))):
        row = {}
        for col, sub in columns.items():
            if not isinstance(sub, dict):
                continue
            value = _coerce(sub, _kind(sub, top_level=False), form.get(f"{name}-{i}-{col}"))
            if value is not _MISSING and not (value is False and sub.get("type") == "boolean"):
                row[col] = value
        if row:
            rows.append(row)
    return rows


def _coerce(prop: dict[str, Any], kind: str, raw: str | None) -> Any:
    """Return the typed value of one entry, the raw text when it does not parse, or _MISSING."""
    if kind == "boolean":
        return (raw or "").strip().lower() in ("1", "on", "true", "ya")
    if raw is None or raw.strip() == "":
        return _MISSING
    text = raw.strip() if kind != "textarea" else raw.strip("\r\n ").replace("\r\n", "\n")
    if "enum" in prop:
        return next((v for v in prop["enum"] if str(v) == text), text)
    if kind == "date":
        found = _DMY_DATE.match(text)
        # dd/mm/yyyy as typed or picked; anything else goes to the schema check as it is
        return f"{found.group(3)}-{int(found.group(2)):02d}-{int(found.group(1)):02d}" if found else text
    if kind == "integer":
        try:
            return int(_plain_number(text))
        except ValueError:
            return text
    if kind == "number":
        normal = _plain_number(text)
        try:
            number = float(normal)
        except ValueError:
            return text
        return int(number) if number.is_integer() and "." not in normal else number
    if kind == "lines":
        return [line.strip() for line in text.splitlines() if line.strip()]
    if kind == "json":
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DMY_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_THOUSANDS = re.compile(r"^-?\d{1,3}(\.\d{3})+$")


def _plain_number(text: str) -> str:
    """Return a number typed the Indonesian way (``1.250.000,50``) as Python reads it (``1250000.50``).

    A comma is the decimal mark and dots group thousands; without a comma, dots group
    thousands only when every group has three digits (``1.250`` is 1250, ``1.5`` stays 1.5).
    """
    normal = text.replace(" ", "").replace("\u00a0", "")
    if "," in normal:
        return normal.replace(".", "").replace(",", ".")
    if _THOUSANDS.match(normal):
        return normal.replace(".", "")
    return normal
