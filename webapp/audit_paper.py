"""The audit working paper (kertas kerja) as .docx, built from an auditor's case record."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from docx import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.shared import Cm, Pt

from .cases import STATUS_LABELS


def working_paper_docx(record: dict[str, Any], author: str, local: Callable[[Any], str]) -> bytes:
    """Build the kertas kerja: case header, integrity result, the timeline table, documents with SHA-256.

    ``author`` is who prepared it; ``local`` formats a naive-UTC time in the office time zone.
    """
    case, chain = record["case"], record["chain"]
    document = DocxDocument()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))
    document.styles["Normal"].font.size = Pt(9)
    document.add_heading("Kertas Kerja Audit — Riwayat Kasus", level=0)
    now = datetime.now(UTC).replace(tzinfo=None)
    header = [
        ("Nomor kasus", case["case_id"]),
        ("Proses", f"{case['process_id']} (versi proses #{case['process_version_id']})"),
        ("Periode", case["periode"]),
        ("Status", STATUS_LABELS.get(case["status"], case["status"])),
        ("Dimulai", f"{local(case['started_at'])} oleh {case['started_by']}"),
        ("Selesai", local(case["completed_at"]) or "-"),
        ("Disusun oleh", author),
        ("Tanggal penyusunan", local(now)),
    ]
    _table(document, None, header, widths=(4.5, 22.0))
    document.add_heading("Hasil pemeriksaan integritas rantai audit", level=1)
    document.add_paragraph(chain.summary())
    for problem in record["problems"]:
        document.add_paragraph(f"Peristiwa #{problem['seq']}: {problem['reason']}", style="List Bullet")
    document.add_heading("Linimasa peristiwa", level=1)
    rows = [
        (
            str(e["seq"]),
            local(e["at"]),
            e["actor"],
            e["kind_label"],
            str(e["step"] if e["step"] is not None else "-"),
            e["element_id"] or "-",
            _change_summary(e),
            (e["hash"] or "-")[:16],
        )
        for e in record["events"]
    ]
    head = ("#", "Waktu", "Pelaku", "Jenis", "Langkah", "Elemen", "Perubahan data / rincian", "Hash")
    _table(document, head, rows, widths=(1.0, 3.4, 2.8, 2.8, 1.4, 4.2, 8.4, 2.7))
    document.add_heading("Dokumen", level=1)
    docs = [
        (
            d["filename"],
            d["kind"],
            str(d["size"]),
            local(d["created_at"]),
            d["sha256"],
            "utuh" if d["intact"] else "BERUBAH/HILANG",
        )
        for d in record["documents"]
    ]
    _table(
        document,
        ("Berkas", "Jenis", "Ukuran (byte)", "Dibuat", "SHA-256", "Berkas tersimpan"),
        docs,
        widths=(5.5, 2.4, 2.0, 3.4, 10.7, 2.7),
    )
    document.add_heading("Catatan auditor", level=1)
    document.add_paragraph("\n\n")
    document.add_paragraph("Disusun oleh: ____________________        Direviu oleh: ____________________")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _change_summary(event: dict[str, Any]) -> str:
    if event["changes"]:
        parts = [
            f"{c['key'] + ': ' if c['key'] else ''}{c['before']['preview']} → {c['after']['preview']}"
            for c in event["changes"]
        ]
        return "; ".join(parts)
    if event["document"]:
        return f"{event['document'].get('filename')} (SHA-256 {str(event['document'].get('sha256'))[:16]}…)"
    text = " ".join(event["details"].split())
    return text[:160] + ("…" if len(text) > 160 else "")


def _table(
    document: Any, head: tuple[str, ...] | None, rows: Sequence[tuple[str, ...]], widths: tuple[float, ...]
) -> None:
    """Add a bordered table (optional bold header row) with the given column widths in cm."""
    table = document.add_table(rows=0, cols=len(widths))
    table.style = "Table Grid"
    for values, bold in ([(head, True)] if head else []) + [(r, False) for r in rows]:
        cells = table.add_row().cells
        for cell, value, width in zip(cells, values, widths, strict=True):
            cell.width = Cm(width)
            run = cell.paragraphs[0].add_run(str(value))
            run.bold = bold
            run.font.size = Pt(8)
