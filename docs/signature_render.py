"""Render the signature page of the demo's electronically signed Laporan to PNG for the README.

Run from the repository root with the project's virtualenv (needs LibreOffice and
poppler-utils' ``pdftoppm``)::

    .venv/bin/python docs/signature_render.py

It plays ``sopflow demo`` in a scratch folder (sample data, a throw-away "SERTIFIKAT UJI"
certificate), finds the page of the signed PDF that carries the visible stamp and writes
``docs/laporan_ditandatangani.png``.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DPI = 60


def main() -> None:
    """Write the PNG render next to this script."""
    with tempfile.TemporaryDirectory(prefix="sopflow-ttd-") as scratch:
        work = Path(scratch)
        sopflow = [sys.executable, "-c", "from webapp.cli import main; raise SystemExit(main())"]
        subprocess.run(
            [*sopflow, "--data-dir", str(work / "var"), "demo", "--out", str(work / "out")],
            check=True,
            cwd=ROOT,
            capture_output=True,
        )
        (signed,) = (work / "out" / "pdf_ditandatangani").glob("*.pdf")
        text = subprocess.run(["pdftotext", str(signed), "-"], capture_output=True, check=True, text=True).stdout
        page = next(n for n, t in enumerate(text.split("\f"), 1) if "Ditandatangani secara elektronik" in t)
        prefix = work / "halaman"
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
                str(signed),
                str(prefix),
            ],
            check=True,
        )
        target = ROOT / "docs" / "laporan_ditandatangani.png"
        target.write_bytes(prefix.with_suffix(".png").read_bytes())
        print(f"wrote {target.relative_to(ROOT)} (page {page} of {signed.name})")


if __name__ == "__main__":
    main()
