"""The editor's "Dokumen SOP" download names the published version, its date and carries the configured logo."""

from __future__ import annotations

import dataclasses
import io
import os
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from PIL import Image

from sopflow import Engine
from sopflow.demo import DEMO_PASSWORD, ensure_users, load_script
from sopflow.settings import PROJECT_ROOT
from sopflow.sopdoc.steps import format_tanggal
from tests.webapp.conftest import SCRIPT, csrf_token
from webapp import create_app

pytestmark = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="runs once, in the SQLite pass")


def test_the_sop_document_download_shows_the_published_version_and_the_logo(database, settings, tmp_path):
    logo = tmp_path / "logo.png"
    Image.new("RGB", (100, 100), (200, 40, 40)).save(logo)
    settings = dataclasses.replace(settings, logo_file=logo)
    engine = Engine(database, settings)
    before = datetime.now(ZoneInfo(settings.timezone)).date()
    script = load_script(SCRIPT)
    published = engine.publish_process(PROJECT_ROOT / script["process_file"], "sistem", "versi uji")
    ensure_users(engine, script)
    app = create_app({"TESTING": True, "SOPFLOW_SETTINGS": settings})
    client = app.test_client()
    login = {"username": "sekretaris", "password": DEMO_PASSWORD, "csrf_token": csrf_token(client)}
    assert client.post("/masuk", data=login).status_code == 302

    response = client.get(f"/proses/{published.process_id}/sop.docx?versi={published.version}")
    assert response.status_code == 200
    document = Document(io.BytesIO(response.data))
    values = {row.cells[1].text: row.cells[2].text for row in document.tables[0].rows}
    after = datetime.now(ZoneInfo(settings.timezone)).date()  # the same day unless the test straddles midnight
    days = {format_tanggal(before), format_tanggal(after)}
    assert values["Tanggal Revisi"] in {f"{day} (versi {published.version})" for day in days}
    images = [p.blob for p in document.part.related_parts.values() if p.content_type.startswith("image/")]
    assert images == [logo.read_bytes()]
