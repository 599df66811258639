"""The signed-in user's own API tokens: ``GET /profil/token`` lists them, ``POST /profil/token/<id>/cabut`` revokes one.

Tokens are issued by an administrator (``sopflow users token USERNAME --days N``); here a
user sees when each was created, last used and expires, and revokes one that is no longer
needed or may have leaked. Only the user's own tokens are listed or revoked (another
user's id answers 404); read-only accounts (auditors) see their tokens but, as on every
changing route, cannot change anything (403) — an administrator revokes theirs.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for

from sopflow.access import tokens

from .auth import actor_required, current_username, require_login

bp = Blueprint("tokens", __name__)
bp.before_request(require_login)


def _engine() -> Any:
    return current_app.extensions["sopflow"].engine


@bp.get("/profil/token")
def index() -> Any:
    """List the signed-in user's API tokens, newest first, with their status (aktif, kedaluwarsa, dicabut)."""
    engine = _engine()
    with engine.db.reading() as session:
        rows = tokens.list_tokens(session, current_username(), engine.clock())
    return render_template("tokens/index.html", tokens=rows)


@bp.post("/profil/token/<token_id>/cabut")
@actor_required
def revoke(token_id: str) -> Any:
    """Revoke one of the signed-in user's own tokens (404 for a token of someone else or no number)."""
    if not token_id.isdigit():
        abort(404)
    engine = _engine()
    with engine.db.unit_of_work() as session:
        changed = tokens.revoke_token(session, int(token_id), current_username(), engine.clock())
    flash(f"Token #{token_id} dicabut." if changed else f"Token #{token_id} sudah dicabut sebelumnya.", "sukses")
    return redirect(url_for("tokens.index"))
