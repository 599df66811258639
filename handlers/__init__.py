"""Service-task handlers of this repository's SOPs, found through the ``sopflow.handlers`` entry points.

Importing this package imports nothing else: each operation's module is loaded the first
time a process runs it (:func:`sopflow.plugins.get`), so the engine starts without
docxtpl, openpyxl or matplotlib.

Operations of the monev SOP (one module each, named after the BPMN operator):
generate_format_isian, validate_lembar_isian, aggregate_performance_data, check_jadwal_monev,
merge_monitoring_results, analyse_achievement, render_report_docx, archive_documents.
Operations of the annual evaluation SOP: aggregate_annual_performance (evaluasi_tahunan),
render_evaluation_report_docx (render_evaluasi_docx), archive_evaluation_documents
(arsip_evaluasi).
The other modules are shared helpers with one job each (periode, capaian, ringkasan,
renja, lembar_isian, isian_layout, angka, tanggal, error_list, konfigurasi,
monitoring_text, grafik_capaian, laporan_konteks, docx_kolom, rekap_xlsx, xlsx_output).
Lookup: :mod:`sopflow.plugins`.
"""
