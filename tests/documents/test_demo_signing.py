"""`sopflow demo` signs the final report with a test certificate ("SERTIFIKAT UJI"), or says clearly that it did not."""

from __future__ import annotations

import io

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from sopflow.demo import load_script, run_demo
from sopflow.signing.signer import outside_event_loop
from tests.documents.support import SCRIPT, require_libreoffice, sqlite_pass_only

pytestmark = sqlite_pass_only


def test_demo_output_holds_a_signed_pdf_that_validates(engine, tmp_path):
    require_libreoffice()
    lines: list[str] = []
    out = tmp_path / "demo-output"
    result = run_demo(engine, load_script(SCRIPT), out, say=lines.append)
    assert result.status == "selesai"
    assert any("PDF ditandatangani secara elektronik oleh kadis" in line for line in lines), lines[-15:]
    (signed,) = (out / "pdf_ditandatangani").glob("*.pdf")
    assert (out / "arsip" / signed.name).is_file()  # archived at step 13
    _, _, der = pem.unarmor((out / "sertifikat-uji" / "ca-uji.pem").read_bytes())
    root = asn1_x509.Certificate.load(der)
    signature = PdfFileReader(io.BytesIO(signed.read_bytes())).embedded_signatures[0]
    context = ValidationContext(trust_roots=[root], allow_fetching=False)
    # pyHanko's own loop, in a thread: the session may run one here already (Playwright)
    status = outside_event_loop(lambda: validate_pdf_signature(signature, context))
    assert (status.intact, status.valid, status.trusted) == (True, True, True)
    assert "SERTIFIKAT UJI" in status.signing_cert.subject.human_friendly


def test_demo_without_libreoffice_says_it_did_not_sign(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("SOFFICE", str(tmp_path / "tidak-terpasang"))
    lines: list[str] = []
    result = run_demo(engine, load_script(SCRIPT), tmp_path / "demo-output", say=lines.append)
    assert result.status == "selesai"
    refused = [line for line in lines if "TIDAK ditandatangani" in line]
    assert refused and "LibreOffice belum terpasang" in refused[0]
    assert not (tmp_path / "demo-output" / "pdf_ditandatangani").exists()
