"""Render the first pages of the demo's final Laporan Monitoring/Evaluasi to PNG for the README.

Run from the repository root with the project's virtualenv (needs LibreOffice and
poppler-utils' ``pdftoppm``)::

    .venv/bin/python docs/laporan_render.py

It plays the demo case (sample data), converts the final report with
``sopflow.documents.pdf_export.docx_to_pdf`` and writes ``docs/laporan_halaman_<n>.png``.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sopflow.documents.pdf_export import docx_to_pdf  # noqa: E402
from tests.reports.laporan_demo import demo_final_report  # noqa: E402

PAGES = (1, 2, 4, 10)  # cover, daftar isi, BAB II with table and chart, BAB IV with the signature
DPI = 60


def main() -> None:
    """Write the PNG renders next to this script."""
    with tempfile.TemporaryDirectory(prefix="sopflow-laporan-") as scratch:
        work = Path(scratch)
        pdf = work / "laporan.pdf"
        pdf.write_bytes(docx_to_pdf(demo_final_report(work)))
        for page in PAGES:
            prefix = work / f"halaman_{page}"
            subprocess.run(
                [
                    "pdftoppm",
                    "-png",
                    "-r",
                    str(DPI),
                    "-f",
                    str(page),
                    "-l",
                    str(page),
                    "-singlefile",
                    str(pdf),
                    str(prefix),
                ],
                check=True,
            )
            target = ROOT / "docs" / f"laporan_halaman_{page}.png"
            target.write_bytes(prefix.with_suffix(".png").read_bytes())
            print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
