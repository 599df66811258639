"""Certificate registration rows (user_certificates, signing_key_files): SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from sopflow.persistence.models import UserCertificate
from sopflow.signing import RegisterCertificate
from sopflow.signing.models import SigningKeyFile
from sopflow.signing.test_ca import issue_pkcs12
from tests.documents.support import now_utc

PASSPHRASE = "frasa-sandi-daftar-2291"


def _p12(ca, passphrase=PASSPHRASE):
    now = datetime.now(UTC)
    return issue_pkcs12(ca, "Kepala Dinas (contoh)", passphrase, now - timedelta(days=1), now + timedelta(days=365))


def test_registering_again_replaces_the_previous_certificate(engine, test_ca, make_user):
    make_user("kadis2", lanes=["Kepala Dinas"])
    first = engine.register_certificate(RegisterCertificate("kadis2", _p12(test_ca), PASSPHRASE))
    second = engine.register_certificate(RegisterCertificate("kadis2", _p12(test_ca, "lain-lagi-123"), "lain-lagi-123"))
    listed = {c["fingerprint_sha256"]: c for c in engine.certificates_of("kadis2")}
    assert listed[second["fingerprint_sha256"]]["active"] is True
    assert listed[first["fingerprint_sha256"]]["active"] is False
    assert listed[first["fingerprint_sha256"]]["revoked_at"] <= now_utc()
    with engine.db.reading() as session:
        rows = session.scalars(select(UserCertificate)).all()
        assert {r.fingerprint_sha256 for r in rows} == {first["fingerprint_sha256"], second["fingerprint_sha256"]}
        assert all("PRIVATE" not in r.certificate_pem for r in rows)  # the public part only
        files = session.scalars(select(SigningKeyFile)).all()
        assert len(files) == 2 and all(PASSPHRASE.encode() not in f.pkcs12 for f in files)
