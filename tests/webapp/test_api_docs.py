"""The API documentation page (/api/docs): the OpenAPI document in the vendored Swagger UI, no CDN.

Open to everyone like the OpenAPI document itself; linked from the footer of every page; the
site's Content-Security-Policy is kept unchanged (Swagger UI needs no exception; the browser
test tests/browser/test_api_docs_in_browser.py renders it under that policy).
"""

from __future__ import annotations

import re

from webapp.security import CONTENT_SECURITY_POLICY


def test_docs_page_loads_the_vendored_swagger_ui_and_the_openapi_document(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert 'data-spec-url="/api/v1/openapi.json"' in page
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert scripts == ["/static/vendor/swagger-ui/swagger-ui-bundle.js", "/static/js/api_docs.js"]
    assert "<script>" not in page  # no inline script (the CSP would refuse it)
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)
    assert "/static/vendor/swagger-ui/swagger-ui.css" in styles
    assert all(src.startswith("/") for src in scripts + styles)  # nothing from another host
    for path in scripts + styles:
        assert client.get(path).status_code == 200, path
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200 and spec.get_json()["openapi"].startswith("3.")


def test_vendored_bundle_carries_its_licence_and_version(client):
    for name in ("LICENSE", "NOTICE", "VERSION", "swagger-ui-bundle.js.LICENSE.txt"):
        assert client.get(f"/static/vendor/swagger-ui/{name}").status_code == 200, name
    version = client.get("/static/vendor/swagger-ui/VERSION").get_data(as_text=True)
    assert version.startswith("swagger-ui-dist 5.") and "npm" in version
    assert "Apache License" in client.get("/static/vendor/swagger-ui/LICENSE").get_data(as_text=True)


def test_footer_links_to_the_docs_signed_in_or_not(client, login_as, make_user):
    assert 'href="/api/docs" data-testid="footer-api-docs">Dokumentasi API</a>' in client.get("/masuk").get_data(
        as_text=True
    )
    make_user("pengembang")
    login_as("pengembang", "kata-sandi-uji")
    page = client.get("/").get_data(as_text=True)
    assert 'href="/api/docs" data-testid="footer-api-docs">Dokumentasi API</a>' in page
    docs = client.get("/api/docs").get_data(as_text=True)
    assert 'href="/profil/token"' in docs  # signed in: the way to a token
