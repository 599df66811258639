"""The web app factory: settings, database, engine, login, CSRF, blueprints, error pages.

:func:`create_app` is the only place where things are wired: settings, database, engine,
login, CSRF, blueprints and the one error handler that turns a :class:`SopflowError`
into its HTTP status with an Indonesian page.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, jsonify, render_template, request, send_from_directory
from flask_login import LoginManager
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from sopflow import Database, Engine, Settings, SopflowError
from sopflow.logs import configure_logging
from sopflow.persistence.db import open_database

STATIC_DIR = Path(__file__).resolve().parent / "static"

_STATUS_TITLES = {
    400: "Permintaan tidak dapat diproses",
    403: "Akses ditolak",
    404: "Tidak ditemukan",
    405: "Metode tidak diizinkan",
    409: "Terjadi bentrokan",
    413: "Berkas terlalu besar",
    422: "Data belum benar",
    429: "Terlalu banyak percobaan",
    500: "Terjadi kesalahan pada sistem",
}


@dataclass(frozen=True)
class SopflowExtension:
    """What the views reach through ``current_app.extensions["sopflow"]``."""

    engine: Engine
    db: Database
    settings: Settings


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app.

    ``config`` may give ``SOPFLOW_SETTINGS`` (a :class:`sopflow.Settings`; default
    ``Settings.from_env()``), ``SOPFLOW_CLOCK`` (a callable returning naive UTC, for tests),
    ``SOPFLOW_TRANSPORT`` (a job transport, for tests; default from the settings)
    and any Flask setting (``TESTING``, ``WTF_CSRF_ENABLED``, ...).

    The app never migrates the database by itself: the schema must be at head
    (SchemaOutdated names ``sopflow db upgrade``) unless ``config`` gives
    ``SOPFLOW_MIGRATE=True`` (embedded ``sopflow serve``, tests that want a migrated
    database). Required data files and, outside embedded mode, a real secret key are
    checked first (DeploymentError).
    """
    config = dict(config or {})
    settings: Settings = config.pop("SOPFLOW_SETTINGS", None) or Settings.from_env()
    clock = config.pop("SOPFLOW_CLOCK", None)
    migrate = bool(config.pop("SOPFLOW_MIGRATE", False))
    settings.check_data_files()
    configure_logging(getattr(settings, "log_format", "console"), getattr(settings, "log_level", "INFO"))
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=_secret_key(settings),
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.session_minutes),
        SESSION_REFRESH_EACH_REQUEST=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.cookie_secure,  # SESSION_COOKIE_SECURE; default on outside embedded mode
        MAX_CONTENT_LENGTH=settings.max_upload_mb * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session (SESSION_MINUTES)
        SOPFLOW_OVERVIEW_LANES=("Sekretaris", "Kepala Dinas"),
    )
    app.config.update(config)

    db = open_database(settings, migrate=migrate)
    transport = config.get("SOPFLOW_TRANSPORT")  # a job transport for tests; None: from the settings
    engine = Engine(db, settings, clock, transport) if clock else Engine(db, settings, transport=transport)
    app.extensions["sopflow"] = SopflowExtension(engine=engine, db=db, settings=settings)

    from . import api, auditor, auth, cases, editor, health, inbox, jobs_pages, observability, overview

    login = LoginManager(app)
    login.login_view = "auth.login"
    login.login_message = "Silakan masuk terlebih dahulu."
    login.login_message_category = "info"
    login.user_loader(auth.load_user)

    csrf = CSRFProtect(app)
    health.init_app(app)
    for module in (auth, inbox, cases, overview, auditor, editor, jobs_pages):
        app.register_blueprint(module.bp)
    from . import security, signing_pages, tokens_pages

    app.register_blueprint(tokens_pages.bp)
    app.register_blueprint(signing_pages.bp)
    from . import sso_pages

    sso_pages.init_app(app, settings)  # directory sign-in (OIDC, LDAP); the mapping file is checked here
    csrf.exempt(api.bp)
    app.register_blueprint(api.bp)
    from . import api_docs

    app.register_blueprint(api_docs.bp)  # /api/docs: the OpenAPI document in a vendored Swagger UI

    _register_filters(app, settings.timezone)
    _register_error_handlers(app)
    observability.init_app(app)  # after every blueprint: request ids, access log, 500s, database down

    @app.get("/favicon.ico")
    def favicon() -> Any:
        return send_from_directory(STATIC_DIR, "favicon.svg", mimetype="image/svg+xml", max_age=86400)

    security.init_app(app, settings)  # sign-in throttling, CSP and the other security headers

    return app


def _secret_key(settings: Settings) -> str:
    """Return the configured secret key (refused when unsafe outside embedded mode, DeploymentError).

    In embedded mode without a configured key: a random key kept in ``<data_dir>/secret_key``.
    """
    configured = settings.require_secret_key()
    if configured:
        return configured
    data_dir = settings.data_dir
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    return key


def _register_filters(app: Flask, timezone: str) -> None:
    zone = ZoneInfo(timezone)

    def local_time(value: datetime | str | None, fmt: str = "%d-%m-%Y %H:%M") -> str:
        """Show a naive-UTC timestamp in the office time zone, e.g. ``17-12-2026 23:59 WITA``."""
        if value is None or value == "":
            return "-"
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value
        local = moment.astimezone(zone)
        return f"{local.strftime(fmt)} {local.tzname()}"

    def file_size(value: float | None) -> str:
        if value is None:
            return "-"
        for unit in ("byte", "KB", "MB"):
            if value < 1024 or unit == "MB":
                return f"{value:.0f} {unit}" if unit == "byte" else f"{value:.1f} {unit}"
            value /= 1024
        return str(value)

    app.jinja_env.filters["waktu"] = local_time
    app.jinja_env.filters["ukuran"] = file_size
    from . import formatting

    formatting.register(app, timezone)  # Indonesian dates and numbers: waktu, tanggal, angka (and combine)


def _register_error_handlers(app: Flask) -> None:
    def is_api() -> bool:
        return request.path.startswith("/api/")

    def page(status: int, message: str) -> Any:
        title = _STATUS_TITLES.get(status, "Terjadi kesalahan")
        return render_template("error.html", status=status, title=title, message=message), status

    @app.errorhandler(SopflowError)
    def sopflow_error(exc: SopflowError) -> Any:
        if is_api():  # the API blueprint answers in JSON with its own handler; this is the fallback
            return jsonify({"error": exc.message, "status": exc.http_status}), exc.http_status
        return page(exc.http_status, exc.message)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> Any:
        return page(400, "Formulir kedaluwarsa atau tidak sah (token CSRF). Muat ulang halaman lalu coba lagi.")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        if is_api() or exc.code is None or exc.code < 400:
            return exc
        messages = {
            403: "Anda tidak berwenang membuka halaman ini.",
            404: "Halaman yang Anda cari tidak ada.",
            405: "Metode permintaan ini tidak diizinkan untuk alamat tersebut.",
            413: "Berkas yang dikirim terlalu besar.",
        }
        custom = exc.description if exc.description != type(exc).description else None
        return page(exc.code, custom or messages.get(exc.code) or "")
