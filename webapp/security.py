"""Accounts and sessions: sign-in throttling, the session guard and the security headers.

- :class:`AttemptLimiter` (Flask-Limiter's rate limiter, moving window): failed sign-ins
  are counted per account and per address, failed API tokens per address. Past the budget
  (``LOGIN_LIMIT_ACCOUNT`` / ``LOGIN_LIMIT_ADDRESS`` per ``LOGIN_LIMIT_MINUTES``) the answer
  is 429 "Terlalu banyak percobaan. Coba lagi dalam N menit." with ``Retry-After``, before
  any password is checked. The counters live in Redis (``RATELIMIT_STORAGE_URL`` or a
  ``redis://`` ``BROKER_URL``), so every worker and every server shares one budget; only
  without Redis (embedded mode) in the process's memory.
- The session guard (:func:`session_still_valid`, called by the user loader on every
  request): the session carries the user's session generation (``User.session_epoch``,
  bumped by signing out and by a new password), the sign-in time and the last activity.
  A mismatched generation, more than ``SESSION_MINUTES`` idle or more than
  ``SESSION_MAX_HOURS`` since sign-in ends the session, however often the user clicks.
- Headers on every response: a Content-Security-Policy without inline scripts,
  ``X-Content-Type-Options``, ``X-Frame-Options``, ``Referrer-Policy`` and, with
  ``HSTS_SECONDS`` > 0, ``Strict-Transport-Security``.
"""

from __future__ import annotations

import logging
import math
import time
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, current_app, flash, request, session
from flask_limiter import Limiter
from limits import RateLimitItem, RateLimitItemPerMinute

from sopflow import Settings

log = logging.getLogger(__name__)

#: scripts only from the app itself (no inline code); bpmn-js sets inline styles, so styles may be inline
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
EXTENSION = "sopflow_attempts"
LOGIN, API = "masuk", "api"  # counter scopes: sign-in form, API bearer tokens

# session keys of the guard
EPOCH, SIGNED_IN_AT, SEEN_AT = "sf_epoch", "sf_signed_in_at", "sf_seen_at"


def too_many_message(seconds: int) -> str:
    """The 429 message: "Terlalu banyak percobaan. Coba lagi dalam N menit." (N rounded up, at least 1)."""
    return f"Terlalu banyak percobaan. Coba lagi dalam {max(1, math.ceil(seconds / 60))} menit."


class AttemptLimiter:
    """Counts failed attempts per account and per address in Flask-Limiter's storage (shared through Redis)."""

    def __init__(self, app: Flask, settings: Settings) -> None:
        self.storage_url = settings.limiter_storage_url
        if self.storage_url.startswith("memory") and not settings.embedded:
            log.warning(
                "sign-in counters are kept per process (memory); set RATELIMIT_STORAGE_URL or a redis:// BROKER_URL "
                "so that every worker shares one budget"
            )
        self.extension = Limiter(
            key_func=remote_address,
            app=app,
            storage_uri=self.storage_url,
            strategy="moving-window",
            key_prefix="sopflow",
        )
        minutes = settings.login_limit_minutes
        self.per_account: RateLimitItem = RateLimitItemPerMinute(settings.login_limit_account, minutes)
        self.per_address: RateLimitItem = RateLimitItemPerMinute(settings.login_limit_address, minutes)

    def _counters(self, scope: str, account: str | None) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
        counters: list[tuple[RateLimitItem, tuple[str, ...]]] = [
            (self.per_address, ("sopflow", scope, "alamat", remote_address()))
        ]
        if account:
            counters.append((self.per_account, ("sopflow", scope, "akun", account.strip().lower())))
        return counters

    def retry_after(self, scope: str, account: str | None = None) -> int:
        """Return the seconds to wait before another attempt (0: allowed now)."""
        wait = 0.0
        try:
            for item, keys in self._counters(scope, account):
                if not self.extension.limiter.test(item, *keys):
                    stats = self.extension.limiter.get_window_stats(item, *keys)
                    wait = max(wait, stats.reset_time - time.time(), 1.0)
        except Exception as exc:  # the counter store is down: sign-in keeps working, the operator is told
            self._unavailable(exc)
            return 0
        return math.ceil(wait)

    def failed(self, scope: str, account: str | None = None) -> None:
        """Count one failed attempt for the address (and the account)."""
        try:
            for item, keys in self._counters(scope, account):
                self.extension.limiter.hit(item, *keys)
        except Exception as exc:
            self._unavailable(exc)

    def succeeded(self, scope: str, account: str) -> None:
        """Forget the account's failures after a successful sign-in (the address keeps its count)."""
        try:
            self.extension.limiter.clear(self.per_account, "sopflow", scope, "akun", account.strip().lower())
        except Exception as exc:
            self._unavailable(exc)

    def _unavailable(self, exc: Exception) -> None:
        log.warning("rate-limit storage %s unavailable, attempt not counted: %r", _redact(self.storage_url), exc)


def attempts() -> AttemptLimiter:
    """Return the app's :class:`AttemptLimiter`."""
    return current_app.extensions[EXTENSION]


def remote_address() -> str:
    """The client's address as the server sees it (behind a proxy: configure the proxy fix first)."""
    return request.remote_addr or "unknown"


# -- the session guard -----------------------------------------------------------------------------
def _now() -> float:
    """Seconds since the epoch by the app's clock (the engine's; tests shift it)."""
    moment: datetime = current_app.extensions["sopflow"].engine.clock()
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def start_session(epoch: int) -> None:
    """Mark a freshly signed-in session with the user's generation and the sign-in time."""
    now = _now()
    session[EPOCH] = epoch
    session[SIGNED_IN_AT] = now
    session[SEEN_AT] = now


def session_still_valid(epoch: int | None) -> bool:
    """Tell whether the signed-in session may go on; if not, clear it and say why (flash).

    ``epoch`` is the user's current generation (None: unknown or inactive user). A valid
    session's last activity is set to now.
    """
    settings: Settings = current_app.extensions["sopflow"].settings
    now = _now()
    signed_in_at, seen_at = session.get(SIGNED_IN_AT), session.get(SEEN_AT)
    reason = None
    if epoch is None or session.get(EPOCH) != epoch:
        reason = "Sesi Anda sudah tidak berlaku (Anda telah keluar atau kata sandi diganti). Silakan masuk kembali."
    elif not isinstance(signed_in_at, int | float) or now - signed_in_at > settings.session_max_hours * 3600:
        reason = f"Sesi Anda sudah mencapai batas {settings.session_max_hours} jam. Silakan masuk kembali."
    elif not isinstance(seen_at, int | float) or now - seen_at > settings.session_minutes * 60:
        reason = (
            f"Sesi Anda berakhir karena tidak ada aktivitas selama {settings.session_minutes} menit. "
            "Silakan masuk kembali."
        )
    if reason:
        session.clear()
        flash(reason, "info")
        return False
    session[SEEN_AT] = now
    return True


# -- headers -----------------------------------------------------------------------------------------
def init_app(app: Flask, settings: Settings) -> None:
    """Attach the attempt limiter and the security headers to ``app``."""
    app.extensions[EXTENSION] = AttemptLimiter(app, settings)
    hsts = f"max-age={settings.hsts_seconds}; includeSubDomains" if settings.hsts_seconds > 0 else None

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        if hsts:
            headers.setdefault("Strict-Transport-Security", hsts)
        return response


def _redact(url: str) -> str:
    """The storage URL without its password, for the log."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.rsplit("@", 1)[1]
    return scheme + sep + rest


def retry_headers(seconds: int) -> dict[str, Any]:
    """The ``Retry-After`` header of a 429 answer."""
    return {"Retry-After": str(max(1, seconds))}
