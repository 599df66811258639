"""The handler registry: every operation of the monev process is registered by its BPMN name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sopflow.plugins import registry

ROOT = Path(__file__).resolve().parents[2]

OPERATIONS = {
    "generate_format_isian",
    "validate_lembar_isian",
    "aggregate_performance_data",
    "check_jadwal_monev",
    "merge_monitoring_results",
    "analyse_achievement",
    "render_report_docx",
    "archive_documents",
}


def test_every_operation_is_registered_under_its_bpmn_name():
    assert set(registry.names()) >= OPERATIONS
    for name in OPERATIONS:
        assert callable(registry.get(name))


def test_unknown_operation_error_lists_the_registered_names():
    with pytest.raises(KeyError) as info:
        registry.get("hitung_sesuatu")
    message = str(info.value)
    assert "hitung_sesuatu" in message
    for name in OPERATIONS:
        assert name in message


HEAVY = ("matplotlib", "docxtpl", "openpyxl", "docx", "pyhanko", "pdfplumber")


def test_starting_the_engine_loads_no_document_library_until_a_handler_runs():
    probe = (
        "import sys, sopflow.engine.boundary\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
        "from sopflow.plugins import registry\n"
        "registry.get('render_report_docx')\n"
        "print('docxtpl' in sys.modules)\n"
    )
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    before, after = found.stdout.split()
    assert before == "[]", f"import sopflow.engine.boundary loaded {before}"
    assert after == "True"  # the operator's module is imported on first use (entry point)
