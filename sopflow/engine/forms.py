"""Validate submitted form data against a task's JSON Schema, with Indonesian messages per field."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from sopflow.engine.commands import Upload
from sopflow.engine.files import CommandFiles
from sopflow.errors import InvalidForm

UPLOAD_KEY = "x-sopflow-upload"
DEFAULT_MAX_UPLOAD = 10 * 1024 * 1024
_FORMAT_CHECKER = FormatChecker()


def upload_fields(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return ``{field: upload rules}`` for the properties of a schema that take a file."""
    return {
        name: prop[UPLOAD_KEY]
        for name, prop in (schema.get("properties") or {}).items()
        if isinstance(prop, dict) and UPLOAD_KEY in prop
    }


def apply_defaults(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Return ``data`` with the top-level ``default`` of every missing property filled in."""
    filled = dict(data)
    for name, prop in (schema.get("properties") or {}).items():
        if name not in filled and isinstance(prop, dict) and "default" in prop:
            filled[name] = prop["default"]
    return filled


def prepare_submission(
    schema: dict[str, Any] | None,
    data: dict[str, Any],
    uploads: dict[str, Upload],
    files: CommandFiles,
    staged: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Store the uploads, then validate the whole submission; return the data to save.

    ``staged`` maps fields to FileRefs of files uploaded earlier for this task (see
    :mod:`sopflow.engine.uploads`). Raises InvalidForm with every problem (field-level,
    Indonesian) and leaves no trace in the case: uploaded bytes are content-addressed
    and unreferenced until commit.
    """
    schema = schema or {"type": "object", "properties": {}, "additionalProperties": False}
    rules = upload_fields(schema)
    errors: list[dict[str, Any]] = []
    submission = {k: v for k, v in data.items() if k not in rules}
    for name in data:
        if name in rules:
            errors.append({"field": name, "message": f"{_title(schema, name)}: berkas harus diunggah, bukan diketik."})
    for name, upload in uploads.items():
        if name not in rules:
            errors.append({"field": name, "message": f"Isian {name!r} tidak menerima berkas."})
            continue
        problem = check_upload(upload.filename, upload.content, rules[name], schema["properties"][name])
        if problem:
            errors.append({"field": name, "message": problem})
            continue
        submission[name] = files.put(
            upload.content,
            PurePath(upload.filename).name,
            media_type_of(upload.filename),
            "unggahan",
            {"field": name},
            canonical=False,  # an upload is evidence: stored exactly as received
        )
    for name, ref in (staged or {}).items():
        if name not in rules:
            errors.append({"field": name, "message": f"Isian {name!r} tidak menerima berkas."})
        elif name not in submission:
            submission[name] = files.tag(ref, "unggahan", {"field": name})
    if not errors:
        errors = validation_errors(schema, submission)
    if errors:
        raise InvalidForm("Isian formulir belum benar; periksa pesan pada setiap isian.", errors)
    return submission


def validation_errors(schema: dict[str, Any], data: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the schema violations of ``data`` as ``{"field", "message"}`` dicts."""
    validator = Draft202012Validator(schema, format_checker=_FORMAT_CHECKER)
    found = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    return [_describe(schema, err) for err in found]


def check_upload(filename: str, content: bytes, rules: dict[str, Any], prop: dict[str, Any]) -> str | None:
    """Return why a file does not fit an upload field's rules (type, size, empty), or None."""
    title = prop.get("title") or "Berkas"
    accept = [ext.lower() for ext in rules.get("accept", [])]
    suffix = PurePath(filename).suffix.lower()
    if accept and suffix not in accept:
        return f"{title}: berkas '{filename}' harus berformat {', '.join(accept)}."
    limit = int(rules.get("max_bytes", DEFAULT_MAX_UPLOAD))
    if len(content) > limit:
        return f"{title}: berkas '{filename}' terlalu besar ({len(content):,} byte; maksimal {limit:,})."
    if not content:
        return f"{title}: berkas '{filename}' kosong."
    return None


def media_type_of(filename: str) -> str:
    """Return the media type sopflow records for a file name."""
    return {
        ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".pdf": "application/pdf",
    }.get(PurePath(filename).suffix.lower(), "application/octet-stream")


def _title(schema: dict[str, Any], name: str) -> str:
    prop = (schema.get("properties") or {}).get(name) or {}
    return prop.get("title") or name


def _describe(schema: dict[str, Any], err: ValidationError) -> dict[str, Any]:
    path = list(err.absolute_path)
    field = str(path[0]) if path else ""
    where = _title(schema, field) if field else "Formulir"
    if len(path) > 1:
        where += " (" + " → ".join(str(p + 1) if isinstance(p, int) else str(p) for p in path[1:]) + ")"
    kind = str(err.validator)
    # validator and validator_value are set on every error of a validation (Unset only on a bare one)
    value: Any = err.validator_value
    if kind == "required":
        missing = [p for p in value if isinstance(err.instance, dict) and p not in err.instance]
        name = missing[0] if missing else ""
        if not path:
            return {"field": name, "message": f"{_title(schema, name)} wajib diisi."}
        return {"field": field, "message": f"{where}: {name} wajib diisi."}
    templates: dict[str, Any] = {
        "type": lambda: f"{where}: jenis isian salah (seharusnya {_type_name(value)}).",
        "minLength": lambda: f"{where}: minimal {value} karakter.",
        "maxLength": lambda: f"{where}: maksimal {value} karakter.",
        "pattern": lambda: f"{where}: format tidak sesuai.",
        "enum": lambda: f"{where}: pilih salah satu dari {', '.join(map(str, value))}.",
        "minimum": lambda: f"{where}: tidak boleh kurang dari {value}.",
        "maximum": lambda: f"{where}: tidak boleh lebih dari {value}.",
        "exclusiveMinimum": lambda: f"{where}: harus lebih dari {value}.",
        "minItems": lambda: f"{where}: minimal {value} baris.",
        "maxItems": lambda: f"{where}: maksimal {value} baris.",
        "format": lambda: f"{where}: format {value} tidak sah (contoh tanggal: 2026-07-15).",
        "additionalProperties": lambda: f"Isian tidak dikenal: {_unknown(err)}.",
    }
    if kind == "additionalProperties" and not path:
        field = _unknown(err)
    template = templates.get(kind)
    return {"field": field, "message": template() if template else f"{where}: {err.message}"}


def _unknown(err: ValidationError) -> str:
    # additionalProperties applies to objects only: its schema and instance are dicts
    schema = err.schema if isinstance(err.schema, Mapping) else {}
    instance = err.instance if isinstance(err.instance, dict) else {}
    allowed = set((schema.get("properties") or {}).keys())
    extra = [k for k in instance if k not in allowed]
    return ", ".join(extra)


def _type_name(value: Any) -> str:
    names = {"string": "teks", "number": "angka", "integer": "bilangan bulat", "boolean": "ya/tidak"}
    names |= {"array": "daftar", "object": "objek", "null": "kosong"}
    if isinstance(value, list):
        return " atau ".join(names.get(str(v), str(v)) for v in value)  # type names are text (checked schema)
    return names.get(str(value), str(value))
