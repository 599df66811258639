"""The REST API's plumbing on its blueprint: bearer authentication, JSON errors, OPTIONS and unknown paths.

:func:`install` registers all of it on :data:`webapp.api.bp` only, so the HTML pages keep their own
error pages. Every error is the API's ``Error`` body (:func:`webapp.api_support.error_response`).
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, current_app, g, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, RequestRedirect, Rule

from sopflow import InvalidForm, SopflowError

from .api_support import ApiError, error_code, error_response, token_caller

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_PUBLIC_ENDPOINTS = frozenset({"api.openapi"})
_FALLBACK_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def authenticate() -> Response | None:
    """Resolve the bearer token to ``g.api_user`` (401/429: ``token_caller``); 403 for an auditor writing."""
    if request.endpoint in _PUBLIC_ENDPOINTS:
        return None
    caller = token_caller()
    if isinstance(caller, Response):
        return caller
    g.api_user = caller
    if request.method not in READ_METHODS and g.api_user.read_only:
        return error_response(
            403, "permission_denied", f"Pengguna {g.api_user.username} (auditor) hanya dapat membaca data."
        )
    return None


def _sopflow_error(exc: SopflowError) -> Response:
    fields = exc.field_errors() if isinstance(exc, InvalidForm) else {}
    return error_response(exc.http_status, error_code(exc), exc.message, fields)


def _api_error(exc: ApiError) -> Response:
    return error_response(exc.status, exc.code, exc.message, exc.fields)


_HTTP_MESSAGES = {
    400: ("bad_request", "Permintaan tidak dapat dipahami."),
    404: ("not_found", "Alamat API tidak ditemukan."),
    405: ("method_not_allowed", "Metode HTTP ini tidak didukung pada alamat tersebut."),
    413: ("payload_too_large", "Permintaan atau berkas terlalu besar."),
    415: ("unsupported_media_type", "Jenis isi permintaan tidak didukung."),
}


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    default = (re.sub(r"\W+", "_", (exc.name or "error").lower()), f"Permintaan tidak dapat diproses (HTTP {status}).")
    code, message = _HTTP_MESSAGES.get(status, default)
    headers = None
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        headers = {"Allow": ", ".join(sorted(exc.valid_methods))}
    return error_response(status, code, message, headers=headers)


def _unexpected(exc: Exception) -> Response:
    current_app.logger.exception("Kesalahan tak terduga pada API: %s", exc)
    return error_response(500, "internal_error", "Terjadi kesalahan pada server; coba lagi atau hubungi admin.")


def _api_rules(bp: Blueprint) -> Map:
    """Return the API's own routes (without the catch-all ``fallback``) as a map to match paths against."""
    return Map(
        [
            Rule(rule.rule, endpoint=rule.endpoint, methods=rule.methods)
            for rule in current_app.url_map.iter_rules()
            if rule.endpoint.startswith(f"{bp.name}.") and rule.endpoint != f"{bp.name}.fallback"
        ]
    )


def _fallback(bp: Blueprint) -> Response:
    """Answer unknown API paths (404) and wrong methods on known paths (405) in JSON.

    Flask resolves routing errors before it knows the blueprint, so a blueprint error handler
    never sees them; this catch-all route does, and checks the request against the API's
    own rules to tell the two apart.
    """
    try:
        _api_rules(bp).bind("localhost").match(request.path, method=request.method)
    except MethodNotAllowed as exc:
        return _http_error(exc)
    except (HTTPException, RequestRedirect):
        pass
    return error_response(404, "not_found", "Alamat API tidak ditemukan.")


def _options_allow(bp: Blueprint, response: Response) -> Response:
    """Make an ``OPTIONS`` answer's ``Allow`` list the path's real methods.

    Flask computes it from every rule matching the path, and the catch-all ``fallback`` route matches
    every path with GET, POST, PUT, PATCH and DELETE; an unknown path has no methods at all (404).
    """
    if request.method != "OPTIONS" or "Allow" not in response.headers:
        return response
    try:
        allowed = _api_rules(bp).bind("localhost").allowed_methods(request.path)
    except (NotFound, RequestRedirect):
        allowed = []
    if not allowed:
        return error_response(404, "not_found", "Alamat API tidak ditemukan.")
    response.headers["Allow"] = ", ".join(sorted(allowed))
    return response


def install(bp: Blueprint) -> None:
    """Register authentication, the JSON error handlers, the OPTIONS fix and the catch-all route on ``bp``."""
    bp.before_request(authenticate)
    bp.register_error_handler(SopflowError, _sopflow_error)
    bp.register_error_handler(ApiError, _api_error)
    bp.register_error_handler(HTTPException, _http_error)
    bp.register_error_handler(Exception, _unexpected)
    bp.after_request(lambda response: _options_allow(bp, response))
    bp.add_url_rule("/<path:_rest>", "fallback", lambda _rest: _fallback(bp), methods=_FALLBACK_METHODS)
