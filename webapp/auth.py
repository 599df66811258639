"""Login and logout, the signed-in user, and the role checks of the views."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import UserMixin, current_user, login_user, logout_user

from sopflow.access import authz, users
from sopflow.access.authz import ROLE_ADMIN
from sopflow.identity import events
from sopflow.queries import inbox

from . import security, sso_pages

bp = Blueprint("auth", __name__)

LOGIN_FAILED = "Nama pengguna atau kata sandi salah."
#: a longer post-login destination is ignored (no page of sopflow has such an address)
_MAX_NEXT_LENGTH = 2000


class WebUser(UserMixin):
    """The signed-in user as the views see it (built from :func:`sopflow.queries.inbox.user_profile`)."""

    def __init__(self, profile: dict[str, Any]) -> None:
        self.username: str = profile["username"]
        self.full_name: str = profile.get("full_name") or profile["username"]
        self.lanes: list[str] = list(profile.get("lanes") or [])
        self.units: list[str] = list(profile.get("units") or [])
        self.roles: list[str] = list(profile.get("roles") or [])
        self.lead_lanes: list[str] = list(profile.get("lead_lanes") or [])

    def get_id(self) -> str:
        return self.username

    def has_role(self, *roles: str) -> bool:
        """Tell whether the user holds any of ``roles``."""
        return any(role in self.roles for role in roles)

    @property
    def read_only(self) -> bool:
        """Auditors (and users with no acting role) may look but never change anything."""
        return authz.is_read_only(self.roles)

    @property
    def is_admin(self) -> bool:
        return ROLE_ADMIN in self.roles

    def may_work_on(self, task: dict[str, Any]) -> bool:
        """Tell whether to offer the task's actions: its lane (and unit).

        The engine decides (:mod:`sopflow.access.authz`); who may *see* a case, task or document
        is :mod:`sopflow.access.case_access`'s, through :mod:`sopflow.queries.inbox`.
        """
        return task["lane"] in self.lanes and (not task.get("unit") or task["unit"] in self.units)

    @property
    def may_start_cases(self) -> bool:
        """Tell whether the user may start cases (process owner or admin, not auditor)."""
        return authz.may_start_cases(self.roles)

    def leads(self, lane: str) -> bool:
        """Tell whether the user heads ``lane`` (or is an admin) and may reassign its tasks."""
        return not self.read_only and (lane in self.lead_lanes or self.is_admin)


def load_user(username: str) -> WebUser | None:
    """Flask-Login user loader: the active user by username, if the session is still valid.

    The session guard (:func:`webapp.security.session_still_valid`) runs here, on every
    request that looks at the user: a session of an older generation (signed out, new
    password), idle too long or older than the absolute limit is cleared and the visitor
    is anonymous again.
    """
    with current_app.extensions["sopflow"].db.reading() as db_session:
        profile = inbox.user_profile(db_session, username)
        epoch = users.session_epoch(db_session, username) if profile else None
    if not security.session_still_valid(epoch):
        return None
    return WebUser(profile) if profile else None


def current_username() -> str:
    """Return the signed-in user's username (views behind a login check only)."""
    return current_user.username


def role_required(*roles: str) -> Callable:
    """Decorate a view: sign-in required, and the user must hold one of ``roles`` (else 403)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]  # set by LoginManager(app)
            if roles and not current_user.has_role(*roles):
                abort(403, "Peran Anda tidak berwenang membuka halaman ini.")
            return view(*args, **kwargs)

        return wrapped

    return decorate


def actor_required(view: Callable) -> Callable:
    """Decorate a changing view: sign-in required and not read-only (auditors get 403)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]  # set by LoginManager(app)
        if current_user.read_only:
            abort(403, "Akun Anda hanya dapat melihat (baca saja); tindakan ini tidak diizinkan.")
        return view(*args, **kwargs)

    return wrapped


def require_login() -> Any:
    """``before_request`` hook of the page blueprints: send anonymous visitors to the login page."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]  # set by LoginManager(app)
    return None


@bp.route("/masuk", methods=["GET", "POST"])
def login() -> Any:
    """Show the login form; on POST check the password and start a session.

    The local password is checked first (under the ``LOCAL_LOGIN`` policy), then, when
    LDAP is configured, the directory (:func:`webapp.sso_pages.ldap_sign_in`). Failed
    sign-ins are counted per account and per address; past the budget the form answers
    429 with ``Retry-After`` without checking the password (:mod:`webapp.security`).
    """
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("inbox.index"))
    error = None
    username = request.form.get("username", "").strip()
    if request.method == "POST":
        wait = security.attempts().retry_after(security.LOGIN, username)
        if wait:
            message = security.too_many_message(wait)
            page = render_template("auth/login.html", error=message, username=username)
            return page, 429, security.retry_headers(wait)
        password = request.form.get("password", "")
        policy = current_app.extensions["sopflow"].settings.local_login
        with current_app.extensions["sopflow"].db.reading() as db_session:
            signed_in = users.authenticate(db_session, username, password, policy) if username and password else None
            profile = inbox.user_profile(db_session, signed_in) if signed_in is not None else None
            epoch = users.session_epoch(db_session, signed_in) if signed_in is not None else None
        via, refusal = "lokal", None
        if (profile is None or epoch is None) and username and password and sso_pages.ldap_configured():
            via = "ldap"
            profile, epoch, refusal = sso_pages.ldap_sign_in(username, password)
        if profile is None or epoch is None:
            if refusal is None or refusal.counts:
                security.attempts().failed(security.LOGIN, username)
            if refusal is None:
                sso_pages.record(events.REFUSED, username, via=via, reason="password")
            error = refusal.message if refusal else LOGIN_FAILED
        else:
            security.attempts().succeeded(security.LOGIN, username)
            start_web_session(profile, epoch)
            sso_pages.record(events.SIGNED_IN, profile["username"], via=via)
            return redirect(safe_next(request.args.get("next")) or url_for("inbox.index"))
    status = 401 if error else 200
    return render_template("auth/login.html", error=error, username=username), status


def start_web_session(profile: dict[str, Any], epoch: int) -> None:
    """Start the web session of a user whose credentials were checked (password, LDAP or OIDC)."""
    session.clear()
    session.permanent = True
    security.start_session(epoch)
    login_user(WebUser(profile))
    flash(f"Selamat datang, {profile.get('full_name') or profile['username']}.", "sukses")


@bp.post("/keluar")
def logout() -> Any:
    """End the session: the user's session generation is bumped, so no copy of the cookie works any more.

    After an OpenID sign-in the browser then goes on to the provider's logout (``/keluar/sso``).
    """
    hint = sso_pages.logout_hint()
    if current_user.is_authenticated:
        username = current_user.username
        with current_app.extensions["sopflow"].db.unit_of_work() as db_session:
            users.end_sessions(db_session, username)
        sso_pages.record(events.SIGNED_OUT, username)
    logout_user()
    session.clear()
    flash("Anda telah keluar.", "info")
    if hint:
        session[sso_pages.LOGOUT_HINT] = hint
        return redirect(url_for("sso.provider_logout"))
    return redirect(url_for("auth.login"))


def safe_next(target: str | None) -> str | None:
    """Accept only a local path as the post-login destination.

    A control character (CR/LF would split the ``Location`` header; Werkzeug refuses it with a
    500) or an overlong value makes the target ignored: the user lands in the inbox.
    """
    if not target or len(target) > _MAX_NEXT_LENGTH or any(unicodedata.category(c)[0] in "CZ" for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target
