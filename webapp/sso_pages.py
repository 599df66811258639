"""Sign-in with the office's directory: "Masuk dengan SSO" (OpenID Connect) and LDAP through the login form.

- ``GET /masuk/sso`` starts the OpenID Connect flow: state, nonce and PKCE verifier go into
  the user's session, the browser to the provider. ``GET /masuk/sso/kembali`` (the
  callback) takes them out again (a replayed callback finds none and is refused), validates
  the ID token, applies the mapping file (:func:`sopflow.identity.provisioning.apply_identity`)
  and starts the session — or shows the Indonesian refusal on the login page.
- :func:`ldap_sign_in` is what the login form (:func:`webapp.auth.login`) calls when LDAP is
  configured and the local password did not match.
- ``GET /keluar/sso`` sends a signed-out user on to the provider's ``end_session_endpoint``
  (RP-initiated logout), when it has one.

Every sign-in, refusal and sign-out is an event of the identity audit chain.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, current_app, redirect, render_template, request, session, url_for

from sopflow import Settings
from sopflow.access import users
from sopflow.identity import events
from sopflow.identity.mapping import IdentityMapping, load_mapping
from sopflow.identity.provisioning import REFUSALS, DirectoryIdentity, ProvisionResult, apply_identity
from sopflow.queries import inbox

from . import auth

log = logging.getLogger(__name__)
bp = Blueprint("sso", __name__)

EXTENSION = "sopflow_identity"
PENDING = "sf_oidc"  # session key of a started OIDC sign-in (state, nonce, code_verifier, next)
ID_TOKEN = "sf_oidc_id_token"  # kept for RP-initiated logout (id_token_hint)
LOGOUT_HINT = "sf_oidc_logout"  # set by logout for /keluar/sso


@dataclass
class IdentityServices:
    """The directory wiring of one app: mapping file, LDAP directory and OpenID client (when configured)."""

    settings: Settings
    mapping: IdentityMapping | None
    ldap: Any = None
    oidc: Any = None


@dataclass(frozen=True)
class Refusal:
    """Why a directory sign-in failed: the message to show and whether it counts as a failed attempt."""

    message: str
    counts: bool = True


def init_app(app: Flask, settings: Settings) -> None:
    """Load and check the mapping file (MappingError stops start-up), build the clients, register the pages."""
    mapping = load_mapping(settings.identity_mapping_file) if settings.identity_mapping_file else None
    services = IdentityServices(settings, mapping)
    if settings.ldap_enabled:
        from sopflow.identity.ldap_directory import LdapDirectory

        services.ldap = LdapDirectory(settings)
    if settings.oidc_enabled:
        from sopflow.identity.oidc import OidcClient

        services.oidc = OidcClient(settings)
    app.extensions[EXTENSION] = services
    app.register_blueprint(bp)

    @app.context_processor
    def sso_flags() -> dict[str, Any]:
        return {"sso_enabled": services.oidc is not None}


def services() -> IdentityServices:
    """Return the app's :class:`IdentityServices`."""
    return current_app.extensions[EXTENSION]


def record(kind: str, actor: str, **data: Any) -> None:
    """Write one event of the identity audit chain (sign-in, refusal, sign-out) with the client's address."""
    extension = current_app.extensions["sopflow"]
    events.record_identity_event(
        extension.db, kind, actor or "-", extension.engine.clock(), address=request.remote_addr, **data
    )


# -- LDAP through the login form ------------------------------------------------------------------
def ldap_configured() -> bool:
    """Whether the login form also checks passwords against LDAP."""
    return services().ldap is not None


def ldap_sign_in(username: str, password: str) -> tuple[dict[str, Any] | None, int | None, Refusal | None]:
    """Check the password against LDAP and apply the mapping; return (profile, epoch, refusal).

    A directory that is down gives its Indonesian message (not counted as a failed
    attempt); an unmapped or retired person gives the :data:`REFUSALS` message.
    """
    from sopflow.identity.ldap_directory import DirectoryUnavailable

    directory = services().ldap
    try:
        person = directory.authenticate(username, password)
    except DirectoryUnavailable as exc:
        log.warning("LDAP directory unavailable: %s", exc.ids.get("detail"))
        record(events.REFUSED, username, via="ldap", reason="directory_unavailable")
        return None, None, Refusal(exc.message, counts=False)
    if person is None:
        return None, None, None  # wrong password or unknown person: the form's usual message
    return _provisioned(person, "ldap")


def _provisioned(person: DirectoryIdentity, via: str) -> tuple[dict[str, Any] | None, int | None, Refusal | None]:
    mapping = services().mapping
    if mapping is None:
        return None, None, Refusal("Berkas pemetaan identitas belum dikonfigurasi. Hubungi admin sopflow.")
    result: ProvisionResult = apply_identity(current_app.extensions["sopflow"].engine, person, mapping)
    if not result.allowed:
        record(events.REFUSED, result.username, via=via, reason=result.reason, outcome=result.outcome)
        return None, None, Refusal(REFUSALS.get(result.reason, REFUSALS["unmapped"]))
    with current_app.extensions["sopflow"].db.reading() as db_session:
        profile = inbox.user_profile(db_session, result.username)
        epoch = users.session_epoch(db_session, result.username)
    return profile, epoch, None


# -- OpenID Connect -------------------------------------------------------------------------------
def _callback_url() -> str:
    return services().settings.base_url.rstrip("/") + url_for("sso.callback")


@bp.get("/masuk/sso")
def begin() -> Any:
    """Send the browser to the OpenID provider (a fresh state, nonce and PKCE verifier in the session)."""
    from sopflow.identity.oidc import OidcError

    client = services().oidc
    if client is None:
        return redirect(url_for("auth.login"))
    try:
        started = client.begin(_callback_url())
    except OidcError as exc:
        log.warning("OIDC discovery failed: %s", exc.detail)
        return render_template("auth/login.html", error=exc.message, username=""), 503
    session[PENDING] = {
        "state": started.state,
        "nonce": started.nonce,
        "code_verifier": started.code_verifier,
        "next": auth.safe_next(request.args.get("next")),
    }
    return redirect(started.url)


@bp.get("/masuk/sso/kembali")
def callback() -> Any:
    """Finish the OpenID sign-in: check state and ID token, apply the mapping, start the session."""
    from sopflow.identity.oidc import OidcError

    client = services().oidc
    if client is None:
        return redirect(url_for("auth.login"))
    pending = session.pop(PENDING, None)  # one use only: a replayed callback finds nothing
    try:
        claims = client.finish(request.args.to_dict(), pending, _callback_url())
        person = client.identity(claims)
    except OidcError as exc:
        log.info("OIDC sign-in refused: %s (%s)", exc.reason, exc.detail)
        record(events.REFUSED, "-", via="oidc", reason=exc.reason)
        return render_template("auth/login.html", error=exc.message, username=""), exc.http_status
    profile, epoch, refusal = _provisioned(person, "oidc")
    if profile is None or epoch is None:
        message = refusal.message if refusal else REFUSALS["unmapped"]
        return render_template("auth/login.html", error=message, username=""), 403
    auth.start_web_session(profile, epoch)
    session[ID_TOKEN] = claims["_id_token"]
    record(events.SIGNED_IN, profile["username"], via="oidc")
    return redirect((pending or {}).get("next") or url_for("inbox.index"))


def logout_hint() -> dict[str, str] | None:
    """Before the session is cleared at logout: what RP-initiated logout needs (None without OIDC sign-in)."""
    token = session.get(ID_TOKEN)
    return {"id_token": token} if token and services().oidc is not None else None


@bp.get("/keluar/sso")
def provider_logout() -> Any:
    """After sopflow's own logout: continue to the provider's end_session_endpoint when it has one."""
    hint = session.pop(LOGOUT_HINT, None)
    client = services().oidc
    target = None
    if hint and client is not None:
        back = services().settings.base_url.rstrip("/") + url_for("auth.login")
        target = client.logout_url(hint.get("id_token"), back)
    if not target:
        return redirect(url_for("auth.login"))
    # a page, not a redirect: the logout form's CSP (form-action 'self') would block a redirect off-site
    return render_template("auth/sso_logout.html", target=target)
