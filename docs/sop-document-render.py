"""Render the first pages of the monev SOP document to PNG for the README.

Run from the repository root with the project's virtualenv (needs LibreOffice and
poppler-utils' ``pdftoppm``)::

    .venv/bin/python docs/sop-document-render.py

It builds the SOP document from ``processes/monev_kinerja.bpmn`` as version 1 published
on a fixed sample date (with the neutral placeholder logo), converts it with
``sopflow.documents.pdf_export.docx_to_pdf`` and writes ``docs/sop-document-page<n>.png``.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sopflow.documents.pdf_export import docx_to_pdf  # noqa: E402
from sopflow.process.spec_loader import load_process_file  # noqa: E402
from sopflow.sopdoc.document import render_sop_document  # noqa: E402

PAGES = 3  # identity page, first flowchart page (off-page connector out), the next (loops, Selesai)
DPI = 70


def main() -> None:
    """Write the PNG renders next to this script."""
    definition = load_process_file(ROOT / "processes" / "monev_kinerja.bpmn")
    pdf = docx_to_pdf(render_sop_document(definition, revised_on=date(2026, 11, 25), version=1))
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "sop.pdf"
        source.write_bytes(pdf)
        prefix = Path(work) / "halaman"
        subprocess.run(["pdftoppm", "-r", str(DPI), "-l", str(PAGES), "-png", str(source), str(prefix)], check=True)
        for number in range(1, PAGES + 1):
            produced = Path(work) / f"halaman-{number}.png"
            (ROOT / "docs" / f"sop-document-page{number}.png").write_bytes(produced.read_bytes())


if __name__ == "__main__":
    main()
