"""Service-task handlers; importing this package registers every operation.

Operations (one module each, named after the BPMN operator): generate_format_isian,
validate_lembar_isian, aggregate_performance_data, check_jadwal_monev,
merge_monitoring_results, analyse_achievement, render_report_docx, archive_documents.
The other modules are shared helpers with one job each (periode, capaian, ringkasan,
renja, lembar_isian, isian_layout, angka, tanggal, error_list, konfigurasi,
monitoring_text, grafik_capaian, laporan_konteks, docx_kolom, rekap_xlsx, xlsx_output).
Lookup: :mod:`handlers.registry`.
"""

from handlers import (  # noqa: F401  (imported to register the handlers)
    aggregate_performance_data,
    analyse_achievement,
    archive_documents,
    check_jadwal_monev,
    generate_format_isian,
    merge_monitoring_results,
    render_report_docx,
    validate_lembar_isian,
)
