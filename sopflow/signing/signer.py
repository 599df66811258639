"""Who signs a PDF and how: the :class:`Signer` interface and its PKCS#12 implementation.

A signature is PAdES baseline B-B (CMS with the signing certificate as a signed
attribute, ``ETSI.CAdES.detached``), added by pyHanko as an incremental update: the bytes
of the unsigned PDF stay unchanged in front of the signature. The visible stamp on the
last page (the Laporan's signature page) carries the signer's name, NIP, the date and
"Ditandatangani secara elektronik".

The key never leaves the PKCS#12 file except in memory for one signature: the passphrase is
an argument of :class:`Pkcs12Signer`, used and dropped. A remote signing service (such as
BSrE's, where the key stays with the service) fits the same :class:`Signer` protocol:
an implementation sends the PDF's digest with the user's credentials and embeds the CMS it
gets back; none is built here, because none can be tested without that service.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from sopflow.errors import InvalidForm

T = TypeVar("T")
SIGNATURE_FIELD = "TandaTanganElektronik"
STAMP_TEXT = "Ditandatangani secara elektronik\n%(nama)s\nNIP %(nip)s\n%(jabatan)s\nTanggal %(tanggal)s"


@dataclass(frozen=True)
class SignerInfo:
    """The person as the stamp shows them (from the user record, never from the certificate)."""

    username: str
    name: str
    nip: str
    position_title: str


class Signer(Protocol):
    """Signs a PDF in the name of one person with one certificate."""

    def certificate(self) -> x509.Certificate:
        """Return the signing certificate (compared with the one registered to the user)."""
        ...

    def sign(self, pdf: bytes, signer_info: SignerInfo, reason: str, signed_at: datetime) -> bytes:
        """Return ``pdf`` with a PAdES B-B signature and a visible stamp added (incremental update)."""
        ...


def wrong_passphrase() -> InvalidForm:
    """Return the error of a passphrase that does not open the PKCS#12 file (field ``passphrase``)."""
    message = "Frasa sandi sertifikat salah: berkas sertifikat tidak dapat dibuka."
    return InvalidForm(message, [{"field": "passphrase", "message": message}])


def open_pkcs12(data: bytes, passphrase: str) -> pkcs12.PKCS12KeyAndCertificates:
    """Open a PKCS#12 file with its passphrase; raise InvalidForm (Indonesian) when it cannot be opened."""
    try:
        bundle = pkcs12.load_pkcs12(data, passphrase.encode("utf-8"))
    except ValueError as exc:
        if "password" in str(exc).lower() or "mac" in str(exc).lower() or not data:
            raise wrong_passphrase() from None
        message = "Berkas bukan sertifikat PKCS#12 (.p12/.pfx) yang sah, atau frasa sandinya salah."
        raise InvalidForm(message, [{"field": "berkas", "message": message}]) from None
    if bundle.key is None or bundle.cert is None:
        message = "Berkas PKCS#12 tidak memuat kunci privat dan sertifikat penandatangan."
        raise InvalidForm(message, [{"field": "berkas", "message": message}])
    return bundle


def format_nip(nip: str) -> str:
    """Write an 18-digit NIP in its usual groups (birth date, appointment, sex, number): 19800918 200501 1 008."""
    digits = "".join(c for c in nip or "" if c.isdigit())
    if len(digits) != 18:
        return nip or "-"
    return f"{digits[:8]} {digits[8:14]} {digits[14]} {digits[15:]}"


def fingerprint(certificate: x509.Certificate) -> str:
    """Return the SHA-256 fingerprint of a certificate (hex, lower case)."""
    return certificate.fingerprint(hashes.SHA256()).hex()


class Pkcs12Signer:
    """Signs with the key of a PKCS#12 file opened with the passphrase typed for this signature."""

    def __init__(self, data: bytes, passphrase: str) -> None:
        """Open the file; raise InvalidForm when the passphrase is wrong (nothing is kept but the key in memory)."""
        self._bundle = open_pkcs12(data, passphrase)
        self._data = data
        self._passphrase = passphrase.encode("utf-8")

    def certificate(self) -> x509.Certificate:
        """Return the file's signing certificate."""
        assert self._bundle.cert is not None
        return self._bundle.cert.certificate

    def sign(self, pdf: bytes, signer_info: SignerInfo, reason: str, signed_at: datetime) -> bytes:
        """Return ``pdf`` signed (PAdES B-B, visible stamp on the last page); see the module docstring."""
        # pyHanko and pdfminer load here, when a document is signed, not when the engine starts
        from pyhanko.pdf_utils import text
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers
        from pyhanko.sign.fields import SigSeedSubFilter
        from pyhanko.stamp import TextStampStyle

        from sopflow.signing.placement import stamp_position

        others = [_asn1(c.certificate) for c in self._bundle.additional_certs]  # the issuing chain, embedded in the CMS
        signer = signers.SimpleSigner.load_pkcs12_data(self._data, other_certs=others, passphrase=self._passphrase)
        page, box = stamp_position(pdf, signer_info.nip, signer_info.name)
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        meta = signers.PdfSignatureMetadata(
            field_name=SIGNATURE_FIELD,
            subfilter=SigSeedSubFilter.PADES,
            md_algorithm="sha256",
            reason=reason,
            name=signer_info.name,
            location="Indonesia",
        )
        style = TextStampStyle(
            stamp_text=STAMP_TEXT,
            text_box_style=text.TextBoxStyle(font_size=8),
            border_width=1,
        )
        x1, y1, x2, y2 = (int(v) for v in box)
        pdf_signer = signers.PdfSigner(
            meta,
            signer=signer,
            stamp_style=style,
            new_field_spec=fields.SigFieldSpec(SIGNATURE_FIELD, on_page=page, box=(x1, y1, x2, y2)),
        )
        out = io.BytesIO()
        stamp = {
            "nama": signer_info.name,
            "nip": format_nip(signer_info.nip),
            "jabatan": signer_info.position_title or "",
            "tanggal": signed_at.strftime("%d-%m-%Y %H:%M UTC"),
        }
        outside_event_loop(lambda: pdf_signer.sign_pdf(writer, output=out, appearance_text_params=stamp))
        return out.getvalue()


def outside_event_loop(work: Callable[[], T]) -> T:
    """Run ``work`` here, or in a worker thread when this thread already runs an asyncio loop.

    pyHanko's synchronous ``sign_pdf`` starts its own event loop (``asyncio.run``), which
    Python refuses inside a running one (an async server, a browser-test driver).
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def _asn1(certificate: x509.Certificate) -> object:
    from asn1crypto import x509 as asn1_x509

    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
