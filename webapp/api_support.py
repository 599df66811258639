"""Building blocks of the REST API: the caller, API errors, JSON encoding and request parsing."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from flask import Response, jsonify, request

from sopflow import SopflowError, authz


@dataclasses.dataclass(frozen=True)
class ApiUser:
    """The caller a bearer token resolved to (a snapshot, detached from any session)."""

    username: str
    roles: tuple[str, ...]
    lanes: tuple[str, ...]
    units: tuple[str, ...]

    @property
    def read_only(self) -> bool:
        """Tell whether the user may only read (same rule as the pages: :func:`sopflow.authz.is_read_only`)."""
        return authz.is_read_only(self.roles)

    def may_see(self, task: Mapping[str, Any]) -> bool:
        """Tell whether the user may read a task (same rule as the task page)."""
        return authz.may_view_task(self.roles, self.lanes, self.units, dict(task))


class ApiError(Exception):
    """An error found by the API layer itself (bad request shape), rendered like engine errors."""

    def __init__(self, status: int, code: str, message: str, fields: Mapping[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = dict(fields or {})


def to_json(value: Any) -> Any:
    """Return ``value`` as JSON-ready data: dataclasses as objects, datetimes as ISO 8601 UTC with ``Z``."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(timespec="seconds") + "Z"
    if isinstance(value, date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(v) for v in value]
    return value


def reply(payload: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    response = jsonify(to_json(payload))
    response.status_code = status
    for name, val in (headers or {}).items():
        response.headers[name] = val
    return response


def error_response(
    status: int,
    code: str,
    message: str,
    fields: Mapping[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Return the API's error body ``{"error": {"code", "message", "fields"}}`` with ``status``."""
    return reply({"error": {"code": code, "message": message, "fields": dict(fields or {})}}, status, headers)


def error_code(exc: SopflowError) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__).lower()


def json_body() -> dict[str, Any]:
    """Parse the request body as a JSON object; an empty body is ``{}``. Raise ApiError 400 otherwise."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    return parse_json_object(raw, "Badan permintaan")


#: deepest nesting of objects and arrays a request body may have (form data is three or four levels deep)
MAX_JSON_DEPTH = 32
_TOO_DEEP = object()


def parse_json_object(raw: bytes | str, what: str) -> dict[str, Any]:
    """Parse the JSON object of a request; every API body goes through here.

    Malformed JSON, nesting deeper than :data:`MAX_JSON_DEPTH` (``json.loads`` raises
    RecursionError near 1000 levels: caught here, not a 500) and non-objects are ApiError 400.
    The size is bounded before: Flask's ``MAX_CONTENT_LENGTH`` answers 413.
    """
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "invalid_json", f"{what} bukan JSON yang sah.") from None
    except RecursionError:
        body = _TOO_DEEP
    if body is _TOO_DEEP or _too_deep(body):
        message = f"{what} bersarang terlalu dalam (maksimum {MAX_JSON_DEPTH} tingkat objek/daftar)."
        raise ApiError(400, "json_too_deep", message)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", f"{what} harus berupa objek JSON.")
    return body


def _too_deep(value: Any) -> bool:
    """Tell whether ``value`` nests objects/arrays deeper than :data:`MAX_JSON_DEPTH` (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def required_string(body: Mapping[str, Any], name: str, fields: dict[str, list[str]]) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        fields.setdefault(name, []).append("Wajib diisi (teks).")
        return ""
    return value.strip()


def invalid(fields: Mapping[str, list[str]]) -> ApiError:
    return ApiError(422, "invalid_form", "Isian permintaan belum benar; periksa pesan pada setiap isian.", fields)
