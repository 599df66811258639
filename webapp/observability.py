"""Request ids, access log lines, logged 500s and clean 503s while the database is unreachable.

:func:`init_app` wires it into an app, after the blueprints are registered:

- every request gets an id — a sane incoming ``X-Request-ID`` (at most 64 of ``A-Z a-z 0-9 - _``)
  or a fresh one — bound into the log context while the request runs and returned in the
  ``X-Request-ID`` response header;
- one ``http_request`` line per request (method, path, status, duration_ms, user), except
  for static files; the health probes log theirs at ``debug``;
- an unexpected exception is logged with its traceback and answered with the Indonesian
  error page (JSON under ``/api/``), naming the request id;
- a lost database connection (SQLAlchemy's OperationalError, InterfaceError, an invalidated
  connection, a pool timeout, psycopg's own errors) is logged as a warning — no traceback —
  and answered ``503`` with ``Retry-After``. Nothing is cached: the pool checks connections
  before use (``pool_pre_ping``), so the next request after the database returns succeeds.
"""

from __future__ import annotations

import re
import time
from typing import Any

import structlog
from flask import Flask, Response, current_app, g, render_template, request
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from sopflow.logs import get_logger, new_request_id
from sopflow.persistence.db import DATABASE_ERRORS, is_connection_error

from .api_support import error_response

REQUEST_ID_HEADER = "X-Request-ID"
RETRY_AFTER_SECONDS = 5
DATABASE_DOWN = "Basis data sedang tidak dapat dihubungi. Coba lagi sebentar lagi."
DATABASE_DOWN_TITLE = "Layanan sementara tidak tersedia"
INTERNAL_ERROR = "Terjadi kesalahan pada sistem. Coba lagi; bila terulang, sampaikan kode permintaan {rid} ke admin."
INTERNAL_ERROR_TITLE = "Terjadi kesalahan pada sistem"

_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_UNLOGGED_ENDPOINTS = frozenset({"static", "favicon"})
_QUIET_ENDPOINTS = frozenset({"health.healthz", "health.readyz"})
log = get_logger("sopflow.web")


def init_app(app: Flask) -> None:
    """Register the request-id hooks, the access log, the 500 handler and the database-down handler.

    Call it after every blueprint is registered: a blueprint with its own ``Exception``
    handler (the API) gets the database-down handler too, so a lost connection is a 503
    there as well and not that blueprint's 500.
    """
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)  # first: others log with the id
    app.after_request(_finish_request)
    app.teardown_request(_end_request)
    app.register_error_handler(Exception, _unexpected_error)
    for key in {None, *app.error_handler_spec}:
        for cls in DATABASE_ERRORS:
            app.error_handler_spec[key][None][cls] = _database_error


def request_id_from(header: str | None) -> str:
    """Return the incoming request id when it is sane, else a fresh one."""
    if header and _VALID_REQUEST_ID.fullmatch(header):
        return header
    return new_request_id()


# -- hooks ------------------------------------------------------------------------------------------
def _start_request() -> None:
    g.request_started = time.perf_counter()
    g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
    g.log_tokens = structlog.contextvars.bind_contextvars(request_id=g.request_id)


def _finish_request(response: Response) -> Response:
    request_id = g.get("request_id")
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    if request.endpoint in _UNLOGGED_ENDPOINTS:
        return response
    started = g.get("request_started")
    emit = log.debug if request.endpoint in _QUIET_ENDPOINTS else log.info
    emit(
        "http_request",
        method=request.method,
        path=request.path,
        status=response.status_code,
        duration_ms=round((time.perf_counter() - started) * 1000, 1) if started else None,
        user=_username(),
    )
    return response


def _end_request(_exc: BaseException | None) -> None:
    tokens = g.pop("log_tokens", None)
    if tokens:
        structlog.contextvars.reset_contextvars(**tokens)


def _username() -> str | None:
    """The signed-in user (if Flask-Login already loaded one) or the API caller; never queries the database."""
    user = g.get("_login_user")
    if user is not None and getattr(user, "is_authenticated", False):
        return user.username
    api_user = g.get("api_user")
    return api_user.username if api_user is not None else None


# -- error handlers ---------------------------------------------------------------------------------
def _unexpected_error(exc: Exception) -> Any:
    if isinstance(exc, HTTPException):
        return exc
    log.error("unhandled_error", method=request.method, path=request.path, error=_first_line(exc), exc_info=exc)
    rid = g.get("request_id") or "-"
    return _error(500, "internal_error", INTERNAL_ERROR_TITLE, INTERNAL_ERROR.format(rid=rid))


def _database_error(exc: Exception) -> Any:
    if not is_connection_error(exc):
        return _unexpected_error(exc)
    log.warning("database_unavailable", method=request.method, path=request.path, error=_first_line(exc))
    return _error(
        503, "database_unavailable", DATABASE_DOWN_TITLE, DATABASE_DOWN, {"Retry-After": str(RETRY_AFTER_SECONDS)}
    )


def _error(status: int, code: str, title: str, message: str, headers: dict[str, str] | None = None) -> Any:
    """Answer JSON under /api/ (the API's error shape), else the error page (plain HTML if even that fails)."""
    if request.path.startswith("/api/"):
        return error_response(status, code, message, headers=headers)
    if "_login_user" not in g:
        # the user was not loaded (perhaps because the database is down): render as a visitor
        g._login_user = current_app.login_manager.anonymous_user()  # type: ignore[attr-defined]  # set by LoginManager(app)
    try:
        body = render_template("error.html", status=status, title=title, message=message)
    except Exception as exc:  # the page itself failed (a template or context processor): keep it plain
        log.warning("error_page_failed", error=_first_line(exc))
        body = f"<!doctype html><title>{escape(title)}</title><h1>{escape(title)}</h1><p>{escape(message)}</p>"
    return body, status, headers or {}


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]
