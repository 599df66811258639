"""The REST API's documentation page (/api/docs): the OpenAPI document read by a vendored Swagger UI.

The page carries no data of its own: the browser loads ``/api/v1/openapi.json`` (public, like
the document itself) and renders it with ``static/vendor/swagger-ui`` (no CDN). Swagger UI runs
under the site's Content-Security-Policy as it is (scripts from the app only, no inline script,
no eval, no worker), so this page needs no exception. Linked from every page's footer.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, url_for

bp = Blueprint("api_docs", __name__)


@bp.get("/api/docs")
def docs() -> Any:
    """Render the API documentation page (open to everyone, signed in or not, like the OpenAPI document)."""
    return render_template("api_docs.html", spec_url=url_for("api.openapi"))
