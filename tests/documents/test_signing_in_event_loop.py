"""Signing and verifying work the same inside a running asyncio loop (an async server, a browser-test driver).

pyHanko's synchronous calls start their own loop; inside a running one Python refuses that,
and verification used to report a good signature as unreadable.
"""

from __future__ import annotations

import asyncio
import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509

from sopflow.documents.pdf_export import docx_to_pdf
from sopflow.settings import PROJECT_ROOT
from sopflow.signing import Pkcs12Signer, SignerInfo
from sopflow.signing.test_ca import issue_pkcs12, make_ca
from sopflow.signing.verify import verify_pdf

pytestmark = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="runs once, in the SQLite pass")


def test_sign_and_verify_inside_a_running_event_loop():
    now = datetime.now(UTC).replace(tzinfo=None)
    ca = make_ca(now)
    p12 = issue_pkcs12(
        ca, "Kepala Dinas (SERTIFIKAT UJI)", "rahasia-uji", now - timedelta(days=1), now + timedelta(days=30)
    )
    pdf = docx_to_pdf(Path(PROJECT_ROOT / "templates" / "laporan_monev_kinerja.docx").read_bytes())
    root = asn1_x509.Certificate.load(pem.unarmor(ca.pem())[2])
    person = SignerInfo("kadis", "Kepala Dinas (contoh)", "198009182005011008", "Kepala Dinas")

    async def inside_a_loop() -> tuple[bytes, object]:
        signed = Pkcs12Signer(p12, "rahasia-uji").sign(pdf, person, "Persetujuan", now)
        return signed, verify_pdf(signed, [root])

    # a thread of its own: the test session may run a loop in this thread already (Playwright)
    done: list[tuple[bytes, object]] = []
    worker = threading.Thread(target=lambda: done.append(asyncio.run(inside_a_loop())))
    worker.start()
    worker.join(120)
    signed, verdict = done[0]
    assert verdict.intact and verdict.valid and verdict.trusted, verdict.problems
    assert verify_pdf(signed, [root]).problems == verdict.problems  # the same verdict outside a loop
