"""Building blocks of the REST API: the caller, API errors, JSON encoding and request parsing."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import pydantic
from flask import Response, current_app, jsonify, request

from sopflow import SopflowError
from sopflow.access import authz, tokens

from . import security

ModelT = TypeVar("ModelT", bound=pydantic.BaseModel)


@dataclasses.dataclass(frozen=True)
class ApiUser:
    """The caller a bearer token resolved to (a snapshot, detached from any session)."""

    username: str
    roles: tuple[str, ...]
    lanes: tuple[str, ...]
    units: tuple[str, ...]

    @property
    def read_only(self) -> bool:
        """Tell whether the user may only read (same rule as the pages: :func:`sopflow.access.authz.is_read_only`)."""
        return authz.is_read_only(self.roles)


def token_caller() -> ApiUser | Response:
    """Resolve the request's ``Authorization: Bearer`` token to the caller, or the 401/429 answer.

    A presented token that is unknown, expired, revoked or of an inactive user answers 401
    with the reason in Indonesian and counts as a failed attempt of the caller's address;
    past the budget every token is refused with 429 and ``Retry-After`` before it is looked
    up. A valid token's ``last_used_at`` is recorded.
    """
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return _unauthorized("Sertakan token API pada header Authorization: Bearer <token>.", invalid_token=False)
    wait = security.attempts().retry_after(security.API)
    if wait:
        return error_response(
            429, "too_many_attempts", security.too_many_message(wait), None, security.retry_headers(wait)
        )
    engine = current_app.extensions["sopflow"].engine
    now = engine.clock()
    with engine.db.reading() as session:
        check = tokens.check_token(session, token, now)
        user = check.user
        caller = ApiUser(user.username, tuple(user.roles), tuple(user.lanes), tuple(user.units or ())) if user else None
    if caller is None or check.token_id is None:
        security.attempts().failed(security.API)
        return _unauthorized(check.message, invalid_token=True)
    if check.use_to_record(now):
        with engine.db.unit_of_work() as session:
            tokens.record_use(session, check.token_id, now)
    return caller


def _unauthorized(message: str, invalid_token: bool) -> Response:
    challenge = 'Bearer realm="sopflow"' + (', error="invalid_token"' if invalid_token else "")
    return error_response(401, "unauthorized", message, headers={"WWW-Authenticate": challenge})


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


def invalid(fields: Mapping[str, list[str]]) -> ApiError:
    return ApiError(422, "invalid_form", "Isian permintaan belum benar; periksa pesan pada setiap isian.", fields)


def query_arg(name: str, fields: dict[str, list[str]]) -> str | None:
    """Read a query parameter that takes one value; repeating it (``?limit=1&limit=2``) adds a message to ``fields``."""
    values = request.args.getlist(name)
    if len(values) > 1:
        fields.setdefault(name, []).append("Cukup satu nilai.")
        return None
    return values[0] if values else None


def int_arg(
    name: str, fields: dict[str, list[str]], minimum: int | None = None, maximum: int | None = None
) -> int | None:
    """Read an integer query parameter; a bad value adds a message to ``fields`` and returns None."""
    raw = query_arg(name, fields)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        fields.setdefault(name, []).append("Harus berupa bilangan bulat.")
        return None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        fields.setdefault(name, []).append(f"Harus di antara {minimum} dan {maximum}.")
        return None
    return value


def multipart_data() -> dict[str, Any]:
    """Read the ``data`` part (form field or file) of a multipart request as a JSON object; absent is ``{}``."""
    if "data" in request.form:
        raw: bytes | str = request.form["data"]
    elif "data" in request.files:
        raw = request.files["data"].read()
    else:
        return {}
    if not raw.strip():
        return {}
    return parse_json_object(raw, "Bagian 'data'")


#: the Indonesian message of each pydantic error type a request body can have
_BODY_MESSAGES = {
    "missing": "Wajib diisi (teks).",
    "string_type": "Wajib diisi (teks).",
    "string_too_short": "Wajib diisi (teks).",
    "string_pattern_mismatch": "Wajib diisi (teks).",
    "dict_type": "Harus berupa objek JSON.",
}


def parse_body(model: type[ModelT], body: Mapping[str, Any]) -> ModelT:
    """Validate a parsed JSON body with the request model the OpenAPI document shows (:mod:`webapp.api_models`).

    Errors become the API's own 422 ``invalid_form`` with Indonesian messages per field; text fields are
    returned stripped.
    """
    try:
        return model.model_validate(dict(body))
    except pydantic.ValidationError as exc:
        fields: dict[str, list[str]] = {}
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else ""
            message = _BODY_MESSAGES.get(err["type"], "Nilai tidak sah.")
            if message not in fields.get(name, []):
                fields.setdefault(name, []).append(message)
        raise invalid(fields) from None
