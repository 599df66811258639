"""Turn a .docx into PDF/A-2b with LibreOffice headless (Debian's ``libreoffice-writer-nogui``).

One conversion is one ``soffice`` process with its own throw-away user profile: two
conversions at once (two Celery workers, two tests) never share LibreOffice's profile
lock, and a conversion that hangs is killed with its whole process group after
``timeout_seconds``. Without LibreOffice, :func:`converter_available` is False and
:func:`docx_to_pdf` raises :class:`PdfUnavailable` whose message is meant for the user.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

#: PDF/A-2b (archival; fonts embedded) through the writer_pdf_Export filter's JSON options
PDFA2B_FILTER = 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'
DEFAULT_TIMEOUT_SECONDS = 120
SOFFICE_NAMES = ("soffice", "libreoffice")


class PdfUnavailable(Exception):
    """LibreOffice is not installed; the message says so in Indonesian."""


class PdfConversionFailed(Exception):
    """LibreOffice ran but produced no PDF (damaged input, timeout)."""


def soffice_path() -> str | None:
    """Return the LibreOffice executable (``SOFFICE`` environment variable first), or None."""
    configured = os.environ.get("SOFFICE")
    if configured:
        return configured if Path(configured).exists() else None
    for name in SOFFICE_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def converter_available() -> bool:
    """Tell whether a PDF can be made on this machine."""
    return soffice_path() is not None


def docx_to_pdf(docx: bytes, timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS) -> bytes:
    """Return the PDF/A-2b rendering of ``docx`` (the bytes of a .docx file).

    Raises PdfUnavailable without LibreOffice and PdfConversionFailed when it produced
    nothing within ``timeout_seconds``.
    """
    soffice = soffice_path()
    if soffice is None:
        raise PdfUnavailable(
            "PDF tidak dapat dibuat: LibreOffice belum terpasang di server "
            "(paket Debian libreoffice-writer-nogui). Dokumen .docx tetap tersedia."
        )
    with tempfile.TemporaryDirectory(prefix="sopflow-pdf-") as work:
        workdir = Path(work)
        source = workdir / "dokumen.docx"
        source.write_bytes(docx)
        profile = (workdir / "profile").as_uri()
        command = [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            PDFA2B_FILTER,
            "--outdir",
            str(workdir / "out"),
            str(source),
        ]
        _run_bounded(command, workdir, timeout_seconds)
        produced = workdir / "out" / "dokumen.pdf"
        if not produced.exists() or produced.stat().st_size == 0:
            raise PdfConversionFailed("LibreOffice tidak menghasilkan PDF dari dokumen ini.")
        return produced.read_bytes()


def _run_bounded(command: list[str], workdir: Path, timeout_seconds: int) -> None:
    """Run ``command`` in its own process group; kill the group when it overruns."""
    env = dict(os.environ, HOME=str(workdir))  # LibreOffice writes caches under HOME
    process = subprocess.Popen(
        command,
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout_seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise PdfConversionFailed(
            f"LibreOffice tidak selesai dalam {timeout_seconds} detik; konversi dihentikan."
        ) from None
    if process.returncode != 0:
        detail = output.decode("utf-8", "replace").strip()[-500:]
        raise PdfConversionFailed(f"LibreOffice gagal (kode {process.returncode}): {detail}")
