"""Fixtures of the document tests: our own test CA, the web app and a client."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sopflow import Settings
from sopflow.signing.test_ca import DemoCa, make_ca
from webapp import create_app


@pytest.fixture
def test_ca() -> DemoCa:
    """A CA of this test only."""
    return make_ca(datetime.now(UTC) - timedelta(days=30), common_name="CA uji sopflow tests/documents")


@pytest.fixture
def app(settings: Settings, database: Any) -> Iterator[Flask]:
    """The web app on the test database (CSRF on)."""
    application = create_app({"TESTING": True, "SOPFLOW_SETTINGS": settings})
    yield application
    application.extensions["sopflow"].db.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
