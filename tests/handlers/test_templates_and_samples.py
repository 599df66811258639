"""Committed binaries are reproducible from their scripts; handlers read the engine clock only."""

from __future__ import annotations

import importlib.util
import io
import re
import tempfile
from datetime import datetime
from pathlib import Path

from openpyxl import load_workbook

from handlers import isian_layout as layout
from handlers.generate_format_isian import generate_format_isian
from sopflow.plugins import HandlerContext

ROOT = Path(__file__).resolve().parents[2]


def load_script(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docx_template_is_rebuilt_byte_for_byte():
    build = load_script(ROOT / "templates" / "build_templates.py")
    assert build.build() == (ROOT / "templates" / "laporan_monev_kinerja.docx").read_bytes()
    assert build.build_logo() == (ROOT / "templates" / "logo_instansi_contoh.png").read_bytes()


def test_sample_lembar_isian_match_their_build_script(files, config, start_data):
    script = load_script(ROOT / "samples" / "monev_kinerja" / "build_lembar_isian.py")
    ctx = HandlerContext(
        files=files, templates_dir=Path(tempfile.gettempdir()), config=config, now=datetime(2026, 10, 5)
    )
    params = {
        "periode": script.PERIODE,
        "indikator": start_data["indikator"],
        "kegiatan": start_data["kegiatan"],
    }
    for item in generate_format_isian(params, ctx):
        rebuilt = load_workbook(io.BytesIO(script.fill(files.get(item["format_isian"]))))
        committed = load_workbook(
            ROOT / "samples" / "monev_kinerja" / "lembar_isian" / f"{layout.slug(item['bidang'])}.xlsx"
        )
        for sheet in (layout.SHEET_KINERJA, layout.SHEET_ANGGARAN, layout.SHEET_IDENTITAS):
            values = [list(r) for r in rebuilt[sheet].iter_rows(values_only=True)]
            assert values == [list(r) for r in committed[sheet].iter_rows(values_only=True)], (
                item["bidang"],
                sheet,
            )
        assert committed[layout.SHEET_KINERJA][layout.LABEL_CELL].value.startswith("DATA CONTOH")
    assert "DATA CONTOH" in start_data["keterangan"]


def test_handlers_never_read_the_wall_clock():
    pattern = re.compile(r"\b(datetime\.now|datetime\.utcnow|date\.today|time\.time)\(")
    offenders = [
        path.name
        for path in (ROOT / "handlers").glob("*.py")
        if path.name != "registry.py" and pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
