"""Every ``/api/v1`` response the test suite receives is checked against the published OpenAPI document.

``tests/conftest.py`` makes :class:`ContractClient` the test client of every Flask app of the suite;
after each request to an operation of the document it asserts that the status is documented for
that operation and that the body (and its media type) matches the documented schema, with
schemathesis' response validation. A response the document does not describe fails the test.
Requests to no operation of the document (unknown paths, a method the path does not have, HEAD,
OPTIONS) are routing errors the document cannot describe; tests of their own check those.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from flask.testing import FlaskClient

from webapp.api_spec import PREFIX, openapi_document

_SCHEMA: list[Any] = []


def published_schema(client: FlaskClient) -> Any:
    """Return the document (as a schemathesis schema), generated once per test session."""
    if not _SCHEMA:
        with client.application.app_context():
            _SCHEMA.append(schemathesis.openapi.from_dict(openapi_document()))
    return _SCHEMA[0]


def check_response(client: FlaskClient, method: str, path: str, response: Any) -> None:
    """Assert that ``response`` to ``method path`` (a full ``/api/v1/...`` path) is one the document describes."""
    __tracebackhide__ = True
    schema = published_schema(client)
    operation = schema.find_operation_by_path(method, path.removeprefix(PREFIX))
    if operation is None:
        return
    label = f"{method} {path} -> {response.status_code}"
    assert operation.responses.find_by_status_code(response.status_code) is not None, (
        f"undocumented status: {label}: {response.get_data(as_text=True)[:500]}"
    )
    try:
        operation.validate_response(response)
    except Exception as exc:  # schemathesis' FailureGroup: say which call, then the details
        raise AssertionError(f"response does not match the OpenAPI document: {label}\n{exc}") from exc


class ContractClient(FlaskClient):
    """A Flask test client that checks every ``/api/v1`` response against the OpenAPI document."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        """Send the request like :class:`FlaskClient`, then check the response of an API operation."""
        __tracebackhide__ = True
        response = super().open(*args, **kwargs)
        request = response.request
        if request.path.startswith(PREFIX + "/") and not kwargs.get("follow_redirects"):
            check_response(self, request.method, request.path, response)
        return response
