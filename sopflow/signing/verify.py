"""Verify the electronic signatures a case's audit record names (``document_signed`` events).

For each signed document the check reports, by the document's name:

- *integrity*: the stored bytes still have the SHA-256 the event recorded, and pyHanko finds
  the signature intact (the signed byte ranges unchanged) and cryptographically valid;
- *signer*: the signing certificate in the PDF is the one whose fingerprint the event
  recorded, and (with the database) it was registered to the signing user at that moment;
- *chain*: the certificate chains to a configured trust root (``SIGNING_TRUST_ROOTS``, PEM
  files). Without configured roots the chain is not judged (and the report says so).

The same function serves ``sopflow audit verify`` (documents read from the file store) and
the offline evidence bundle (documents read from the bundle).
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from sopflow.signing.signer import outside_event_loop

SIGNED_EVENT = "document_signed"


@dataclass
class SignatureVerdict:
    """pyHanko's three verdicts on one signed PDF, plus the signing certificate's fingerprint."""

    intact: bool = False
    valid: bool = False
    trusted: bool = False
    fingerprint: str | None = None
    problems: list[str] = field(default_factory=list)


def load_trust_roots(paths: Iterable[Path]) -> list[asn1_x509.Certificate]:
    """Read every certificate of the PEM (or DER) files ``paths``; an unreadable file raises ValueError."""
    roots: list[asn1_x509.Certificate] = []
    for path in paths:
        data = Path(path).read_bytes()
        if pem.detect(data):
            roots.extend(asn1_x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True))
        else:
            roots.append(asn1_x509.Certificate.load(data))
    return roots


def verify_pdf(data: bytes, trust_roots: list[asn1_x509.Certificate]) -> SignatureVerdict:
    """Validate the (last) signature of a PDF with pyHanko; damaged input is a problem, never an exception."""
    verdict = SignatureVerdict()
    try:
        signatures = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
        if not signatures:
            verdict.problems.append("tidak memuat tanda tangan elektronik")
            return verdict
        context = ValidationContext(trust_roots=trust_roots, allow_fetching=False)
        with _quiet("pyhanko", "pyhanko_certvalidator"):  # an untrusted chain is our verdict, not a log traceback
            # pyHanko runs its own event loop: never inside one that is already running here
            status = outside_event_loop(lambda: validate_pdf_signature(signatures[-1], context))
    except Exception as exc:  # a damaged PDF or CMS: pyHanko raises many kinds
        verdict.problems.append(f"tanda tangan tidak dapat dibaca ({type(exc).__name__})")
        return verdict
    verdict.intact, verdict.valid, verdict.trusted = status.intact, status.valid, status.trusted
    verdict.fingerprint = status.signing_cert.sha256.hex() if status.signing_cert is not None else None
    if not status.intact:
        verdict.problems.append("tanda tangan tidak utuh: isi dokumen berubah setelah ditandatangani")
    elif not status.valid:
        verdict.problems.append("tanda tangan tidak sah secara kriptografis")
    if trust_roots and status.intact and not status.trusted:
        verdict.problems.append("sertifikat penandatangan tidak berantai ke akar tepercaya (SIGNING_TRUST_ROOTS)")
    return verdict


@contextmanager
def _quiet(*names: str) -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def check_signed_events(
    events: Iterable[dict[str, Any]],
    read_document: Callable[[str], bytes | None],
    trust_roots: list[asn1_x509.Certificate],
    registered: Callable[[str, str, datetime], bool] | None = None,
) -> list[tuple[str, int, str]]:
    """Check every ``document_signed`` event; return ``(case_id, seq, reason)`` naming the document.

    ``read_document(sha256)`` returns the stored bytes as they are now (None when missing);
    ``registered(username, fingerprint, at)`` tells whether the certificate was registered
    to that user at that moment (omitted offline, where the event's record is the evidence).
    """
    problems: list[tuple[str, int, str]] = []
    for event in events:
        if event.get("kind") != SIGNED_EVENT:
            continue
        payload = event.get("data")
        data = payload if isinstance(payload, dict) else {}
        case_id, seq = str(event.get("case_id") or "-"), int(event.get("seq") or 0)
        name = str(data.get("filename") or data.get("sha256") or "?")

        def problem(reason: str, case_id: str = case_id, seq: int = seq, name: str = name) -> None:
            problems.append((case_id, seq, f"dokumen bertanda tangan {name}: {reason}"))

        content = read_document(str(data.get("sha256") or ""))
        if content is None:
            problem("berkas tidak ditemukan")
            continue
        if hashlib.sha256(content).hexdigest() != data.get("sha256"):
            problem("isi berkas berubah (SHA-256 tidak cocok dengan yang dicatat saat penandatanganan)")
        verdict = verify_pdf(content, trust_roots)
        for reason in verdict.problems:
            problem(reason)
        recorded = data.get("certificate_fingerprint")
        if verdict.fingerprint is not None and verdict.fingerprint != recorded:
            problem("sertifikat di dalam PDF bukan sertifikat yang dicatat saat penandatanganan")
        elif registered is not None and recorded:
            at = event.get("at")
            moment = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
            if not registered(str(data.get("signer") or event.get("actor")), str(recorded), moment):
                problem("sertifikat tidak terdaftar atas nama penanda tangan pada saat penandatanganan")
    return problems
