"""The handler registry: every operation of the monev process is registered by its BPMN name."""

from __future__ import annotations

import pytest

from handlers import registry

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
