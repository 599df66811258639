"""The published version's number and date, and the configured logo, reach the SOP document from the CLI."""

from __future__ import annotations

import io
import os
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from PIL import Image

from sopflow.cli import main
from sopflow.settings import Settings
from sopflow.sopdoc.logo import placeholder_logo
from sopflow.sopdoc.publication import publish_date
from sopflow.sopdoc.steps import format_tanggal
from tests.sopdoc.test_sop_pdf import LARGE

pytestmark = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="runs once, in the SQLite pass")


def _identity(path) -> tuple[dict[str, str], list[bytes]]:
    document = Document(str(path))
    values = {row.cells[1].text: row.cells[2].text for row in document.tables[0].rows}
    images = [part.blob for part in document.part.related_parts.values() if part.content_type.startswith("image/")]
    return values, images


def test_sop_doc_of_a_published_version_names_it_and_carries_the_configured_logo(tmp_path, monkeypatch, capsys):
    data_dir = tmp_path / "data"
    logo = tmp_path / "logo.png"
    Image.new("RGB", (120, 140), (30, 90, 160)).save(logo)  # the office's own image (here: a blue block)
    monkeypatch.setenv("LOGO_FILE", str(logo))
    published_day = datetime.now(ZoneInfo(Settings.from_env(data_dir=data_dir).timezone)).date()
    assert main(["--data-dir", str(data_dir), "process", "publish", str(LARGE)]) == 0
    out = tmp_path / "sop.docx"
    assert main(["--data-dir", str(data_dir), "sop-doc", "--process", "layanan_izin", "--out", str(out)]) == 0
    values, images = _identity(out)
    today = datetime.now(ZoneInfo(Settings.from_env(data_dir=data_dir).timezone)).date()
    assert values["Tanggal Revisi"] in {f"{format_tanggal(day)} (versi 1)" for day in (published_day, today)}
    assert images == [logo.read_bytes()]
    missing = ["--data-dir", str(data_dir), "sop-doc", "--process", "layanan_izin", "--version", "2"]
    assert main([*missing, "--out", str(tmp_path / "v2.docx")]) == 1
    capsys.readouterr()


def test_missing_logo_file_stops_start_up_with_its_name(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LOGO_FILE", str(tmp_path / "tidak-ada.png"))
    assert main(["--data-dir", str(tmp_path / "data"), "process", "list"]) != 0
    assert "logo instansi (LOGO_FILE)" in capsys.readouterr().err


def test_without_a_logo_the_placeholder_is_used(tmp_path):
    from sopflow.process.spec_loader import load_process_file
    from sopflow.sopdoc.document import render_sop_document

    document = Document(io.BytesIO(render_sop_document(load_process_file(LARGE))))
    blobs = [part.blob for part in document.part.related_parts.values() if part.content_type.startswith("image/")]
    assert blobs == [placeholder_logo()]


def test_publish_date_is_the_local_day_of_the_stored_utc_time():
    assert str(publish_date(datetime(2026, 11, 24, 17, 30), "Asia/Makassar")) == "2026-11-25"
    assert str(publish_date(datetime(2026, 11, 24, 15, 30), "Asia/Makassar")) == "2026-11-24"
