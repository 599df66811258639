"""sopflow.documents.pdf_export: a real LibreOffice conversion to PDF/A-2b, its time bound, and LibreOffice missing."""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
import time

import docx
import pytest

from sopflow.documents.pdf_export import PdfConversionFailed, PdfUnavailable, converter_available, docx_to_pdf
from tests.documents.support import require_libreoffice, sqlite_pass_only

pytestmark = sqlite_pass_only


def _docx(text: str) -> bytes:
    document = docx.Document()
    document.add_heading("Laporan Monitoring", level=1)
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_becomes_pdf_a_2b_with_its_text():
    require_libreoffice()
    pdf = docx_to_pdf(_docx("Capaian kinerja triwulan ketiga 87,5%."))
    assert pdf.startswith(b"%PDF-")
    # PDF/A identification in the XMP metadata: part 2, conformance B
    assert re.search(rb"pdfaid:part(>|=\")2", pdf), "no PDF/A part 2 identification"
    assert re.search(rb"pdfaid:conformance(>|=\")B", pdf), "no PDF/A conformance B"
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "Capaian kinerja triwulan ketiga 87,5%." in text


def test_damaged_docx_is_a_conversion_failure():
    require_libreoffice()
    with pytest.raises(PdfConversionFailed):
        docx_to_pdf(b"PK\x03\x04 ini bukan dokumen")


def test_a_conversion_that_overruns_is_killed_with_its_process_group(monkeypatch, tmp_path):
    require_libreoffice()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # this conversion's folder, to find its processes
    started = time.monotonic()
    # ~5 MB of PDF, about a minute of layout here: a tiny file finished within the second on a quiet machine
    long_text = "\n".join(["Capaian kinerja triwulan ketiga 87,5% pada indikator utama. " * 2500] * 40)
    with pytest.raises(PdfConversionFailed, match="tidak selesai dalam 1 detik"):
        docx_to_pdf(_docx(long_text), timeout_seconds=1)
    assert time.monotonic() - started < 15
    time.sleep(0.5)
    left = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True).stdout.split()
    assert left == [], f"LibreOffice processes of the killed conversion still run: {left}"


def test_missing_libreoffice_is_an_indonesian_refusal(monkeypatch, tmp_path):
    monkeypatch.setenv("SOFFICE", str(tmp_path / "tidak-ada" / "soffice"))
    assert converter_available() is False
    with pytest.raises(PdfUnavailable, match="LibreOffice belum terpasang"):
        docx_to_pdf(_docx("apa saja"))


def test_sop_document_pdf_from_the_cli(tmp_path, monkeypatch, capsys):
    require_libreoffice()
    from sopflow.cli import main
    from sopflow.settings import PROJECT_ROOT

    out = tmp_path / "SOP.docx"
    bpmn = str(PROJECT_ROOT / "processes" / "monev_kinerja.bpmn")
    assert main(["sop-doc", bpmn, "--out", str(out), "--pdf"]) == 0
    pdf = out.with_suffix(".pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and re.search(rb"pdfaid:part(>|=\")2", pdf)
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "002/SOP/Diskominfo/BLG/2023" in text
    capsys.readouterr()
    # without LibreOffice the .docx is still written and the PDF refusal is said in Indonesian
    monkeypatch.setenv("SOFFICE", str(tmp_path / "tidak-ada"))
    other = tmp_path / "lain" / "SOP.docx"
    other.parent.mkdir()
    assert main(["sop-doc", bpmn, "--out", str(other), "--pdf"]) == 1
    assert other.is_file() and not other.with_suffix(".pdf").exists()
    assert "LibreOffice belum terpasang" in capsys.readouterr().err
