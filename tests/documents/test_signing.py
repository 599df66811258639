"""Signing the final report at step 12: certificates of our own CA, registration, the signature, verification.

One case is played to its signing task (every earlier step through the engine, the PDFs made
by their jobs with LibreOffice), then refused signatures change nothing, a good one completes
the task, the archive keeps the signed PDF, pyHanko validates it, the passphrase is nowhere
in the database, and one changed byte is reported by the document's name by
``sopflow audit verify`` and by the offline evidence bundle.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import select

from sopflow import CompleteUserTask, Engine, InvalidForm, NotAssignee, TaskNotReady
from sopflow.audit.history import export_bundle, verify_bundle
from sopflow.cli import main
from sopflow.persistence.models import AuditEvent, Base, Case, Document, Job
from sopflow.queries.inbox import archive_entries, documents_of_case
from sopflow.signing import RegisterCertificate, SignTask
from sopflow.signing.signer import outside_event_loop
from sopflow.signing.test_ca import issue_pkcs12
from tests.documents.support import now_utc, play_to_signing, require_libreoffice, sqlite_pass_only

pytestmark = sqlite_pass_only

PASSPHRASE = "frasa-sandi-Kadis-7319"


def _state(engine, case_id):
    """What a refused command must leave untouched: case version, documents, audit events, jobs."""
    with engine.db.reading() as session:
        case = session.get(Case, case_id)
        return (
            case.version,
            case.status,
            len(session.scalars(select(Document.id).where(Document.case_id == case_id)).all()),
            len(session.scalars(select(AuditEvent.id).where(AuditEvent.case_id == case_id)).all()),
            len(session.scalars(select(Job.id)).all()),
        )


def _p12(ca, passphrase=PASSPHRASE, days_before=1, days_after=365, **kwargs):
    now = datetime.now(UTC)
    return issue_pkcs12(
        ca,
        "Kepala Dinas (contoh)",
        passphrase,
        now - timedelta(days=days_before),
        now + timedelta(days=days_after),
        **kwargs,
    )


def _root_file(ca, tmp_path):
    path = tmp_path / "akar-uji.pem"
    path.write_bytes(ca.pem())
    return path


def test_refusals_change_nothing_then_the_kepala_dinas_signs(engine, test_ca, tmp_path, monkeypatch, capsys):
    require_libreoffice()
    case = play_to_signing(engine)
    case_id, task_id = case["case_id"], case["task_id"]

    # registration refuses an expired certificate, one without signing usage, a wrong passphrase
    expired = _p12(test_ca, days_before=400, days_after=-1)
    with pytest.raises(InvalidForm, match="kedaluwarsa"):
        engine.register_certificate(RegisterCertificate("kadis", expired, PASSPHRASE))
    with pytest.raises(InvalidForm, match="tidak boleh dipakai untuk tanda tangan"):
        engine.register_certificate(RegisterCertificate("kadis", _p12(test_ca, signing_usage=False), PASSPHRASE))
    good = _p12(test_ca, serial_number="19700101 199001 1 001")
    with pytest.raises(InvalidForm, match="Frasa sandi sertifikat salah"):
        engine.register_certificate(RegisterCertificate("kadis", good, "bukan-ini"))
    assert engine.certificates_of("kadis") == []

    # before a certificate is registered, signing is refused in Indonesian
    before = _state(engine, case_id)
    with pytest.raises(InvalidForm, match="belum mendaftarkan sertifikat"):
        engine.sign_task(SignTask(task_id, "kadis", PASSPHRASE))
    registered = engine.register_certificate(RegisterCertificate("kadis", good, PASSPHRASE))
    assert "SERTIFIKAT UJI" in registered["subject"] and registered["active"]

    # the signing task cannot be completed through the ordinary form, nor by another lane
    with pytest.raises(InvalidForm, match="menandatangani dokumen"):
        engine.complete_user_task(CompleteUserTask(task_id, "kadis", {}))
    with pytest.raises(NotAssignee):
        engine.sign_task(SignTask(task_id, "sekretaris", PASSPHRASE))

    # a wrong passphrase at signing time: Indonesian error, nothing changed
    with pytest.raises(InvalidForm, match="Frasa sandi sertifikat salah") as refused:
        engine.sign_task(SignTask(task_id, "kadis", "salah-ketik"))
    assert refused.value.errors[0]["field"] == "passphrase"
    assert _state(engine, case_id)[:3] == before[:3]

    # the registered certificate has expired by the time of signing: refused, nothing changed
    later = Engine(engine.db, engine.settings, clock=lambda: now_utc() + timedelta(days=400))
    with pytest.raises(InvalidForm, match="kedaluwarsa"):
        later.sign_task(SignTask(task_id, "kadis", PASSPHRASE))
    assert _state(engine, case_id)[:3] == before[:3]

    outcome = engine.sign_task(SignTask(task_id, "kadis", PASSPHRASE))
    assert engine.wait_for_jobs(case_id, timeout=120)
    assert engine.case_outcome(case_id).status == "selesai"
    with pytest.raises(TaskNotReady):
        engine.sign_task(SignTask(task_id, "kadis", PASSPHRASE))
    assert outcome.case_id == case_id

    with engine.db.reading() as session:
        signed_events = session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.kind == "document_signed")
        ).all()
        documents = documents_of_case(session, case_id)
        archive = [e for e in archive_entries(session) if e["case_id"] == case_id]
    assert len(signed_events) == 1
    event = signed_events[0].data
    assert event["certificate_fingerprint"] == registered["fingerprint_sha256"]
    assert event["signer"] == "kadis" and event["signature"] == "PAdES B-B"
    signed_doc = next(d for d in documents if d["kind"] == "pdf_ditandatangani")
    assert signed_doc["sha256"] == event["sha256"]
    # the archive (step 13) keeps the signed PDF
    assert event["sha256"] in {e["sha256"] for e in archive}

    # the signed PDF validates with pyHanko: intact, valid, trusted by our own root; PAdES; visible stamp
    pdf = engine.services.files.get(event["sha256"])
    final_pdf = next(d for d in documents if d["kind"] == "pdf" and d["sha256"] == event["source_sha256"])
    assert pdf.startswith(engine.services.files.get(final_pdf["sha256"]))  # an incremental update
    root = asn1_x509.Certificate.load(test_ca.certificate.public_bytes(serialization.Encoding.DER))
    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    context = ValidationContext(trust_roots=[root], allow_fetching=False)
    # pyHanko's own loop, in a thread: the session may run one here already (Playwright)
    status = outside_event_loop(lambda: validate_pdf_signature(signature, context))
    assert (status.intact, status.valid, status.trusted) == (True, True, True)
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert status.signing_cert.sha256.hex() == registered["fingerprint_sha256"]
    assert "/AP" in signature.sig_field  # a visible appearance (the stamp)
    import subprocess

    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "Ditandatangani secara elektronik" in text and "NIP" in text
    stamped = [page for page in text.split("\f") if "Ditandatangani secara elektronik" in page]
    assert len(stamped) == 1 and "Kepala Dinas," in stamped[0]  # in the signature block of the signature page

    # the passphrase is nowhere in the database: every text column of every table
    with engine.db.reading() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)):
                for value in row:
                    found = PASSPHRASE.encode() in value if isinstance(value, bytes) else PASSPHRASE in str(value)
                    assert not found, f"passphrase found in table {table.name}"
    assert PASSPHRASE.encode() not in pdf

    # sopflow audit verify: intact with our root configured
    data_dir = engine.settings.data_dir
    url = engine.settings.database_url
    monkeypatch.setenv("SIGNING_TRUST_ROOTS", str(_root_file(test_ca, tmp_path)))
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SOPFLOW_MODE", "embedded")
    assert main(["--data-dir", str(data_dir), "audit", "verify", "--case", case_id]) == 0, capsys.readouterr().out
    assert "Rantai audit utuh" in capsys.readouterr().out

    # a root that did not issue the certificate: the chain is reported
    from sopflow.signing.test_ca import make_ca

    other = make_ca(datetime.now(UTC), common_name="CA lain")
    other_file = tmp_path / "akar-lain.pem"
    other_file.write_bytes(other.pem())
    monkeypatch.setenv("SIGNING_TRUST_ROOTS", str(other_file))
    assert main(["--data-dir", str(data_dir), "audit", "verify", "--case", case_id]) == 1
    assert "tidak berantai ke akar tepercaya" in capsys.readouterr().out
    monkeypatch.setenv("SIGNING_TRUST_ROOTS", str(_root_file(test_ca, tmp_path)))

    # the offline bundle: intact, then one changed byte inside the signed PDF is reported by name
    with engine.db.reading() as session:
        bundle = export_bundle(session, engine.services.files, case_id, data_dir)
    bundle_path = tmp_path / "bukti.zip"
    bundle_path.write_bytes(bundle)
    assert verify_bundle(bundle_path).intact
    tampered_path = tmp_path / "bukti-diubah.zip"
    with zipfile.ZipFile(bundle_path) as source, zipfile.ZipFile(tampered_path, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == f"documents/{event['sha256']}":
                content = _flip_one_byte(content)
            target.writestr(info, content)
    reasons = [p["reason"] for p in verify_bundle(tampered_path).problems]
    assert any(event["filename"] in r and "tidak utuh" in r for r in reasons), reasons

    # one changed byte in the stored signed PDF: audit verify names the document
    path = engine.services.files.path_for(event["sha256"])
    path.write_bytes(_flip_one_byte(path.read_bytes()))
    assert main(["--data-dir", str(data_dir), "audit", "verify", "--case", case_id]) == 1
    printed = capsys.readouterr().out
    assert f"dokumen bertanda tangan {event['filename']}" in printed and "tidak utuh" in printed, printed


def _flip_one_byte(pdf: bytes) -> bytes:
    """Change one byte of the page content (inside the signed byte range, outside the signature)."""
    changed = bytearray(pdf)
    position = len(pdf) // 4
    changed[position] ^= 0x01
    return bytes(changed)
