"""Signing certificates registered to users: checked at upload, looked up at signing and verification.

A user uploads their PKCS#12 file once with its passphrase. The passphrase only proves that
the file opens (and that its key matches its certificate); it is never stored. What is
kept: the certificate's public part in ``user_certificates`` and the file, still encrypted
as it came, in ``signing_key_files``. Registering a new certificate ends the previous one
(``revoked_at``), so "the certificate registered to the signer at that time" is always one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select
from sqlalchemy.orm import Session

from sopflow.errors import InvalidForm
from sopflow.persistence.models import User, UserCertificate
from sopflow.signing.models import SigningKeyFile
from sopflow.signing.signer import fingerprint, open_pkcs12

#: a PKCS#12 file larger than this is refused before it is parsed
MAX_PKCS12_BYTES = 64 * 1024


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _refuse(message: str, field: str = "berkas") -> InvalidForm:
    return InvalidForm(message, [{"field": field, "message": message}])


def check_certificate(certificate: x509.Certificate, now: datetime) -> None:
    """Refuse a certificate that is not valid at ``now`` or may not sign (InvalidForm, Indonesian)."""
    moment = _naive_utc(now)
    not_before = certificate.not_valid_before_utc.replace(tzinfo=None)
    not_after = certificate.not_valid_after_utc.replace(tzinfo=None)
    if moment < not_before:
        raise _refuse(f"Sertifikat belum berlaku (berlaku mulai {not_before:%d-%m-%Y %H:%M} UTC).")
    if moment > not_after:
        raise _refuse(f"Sertifikat sudah kedaluwarsa (berlaku sampai {not_after:%d-%m-%Y %H:%M} UTC).")
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        raise _refuse("Sertifikat tidak mencantumkan penggunaan kunci (key usage) untuk tanda tangan.") from None
    if not (usage.digital_signature or usage.content_commitment):
        raise _refuse("Sertifikat ini tidak boleh dipakai untuk tanda tangan (tanpa digitalSignature/nonRepudiation).")


def register(session: Session, user: User, data: bytes, passphrase: str, now: datetime) -> UserCertificate:
    """Check a PKCS#12 file and register its certificate to ``user``; the previous one ends.

    Raises InvalidForm (empty or oversized file, wrong passphrase, not yet or no longer
    valid, no signing key usage, already registered to someone else).
    """
    if not data:
        raise _refuse("Pilih berkas sertifikat PKCS#12 (.p12 atau .pfx).")
    if len(data) > MAX_PKCS12_BYTES:
        raise _refuse(f"Berkas sertifikat terlalu besar (lebih dari {MAX_PKCS12_BYTES // 1024} KB).")
    if not passphrase:
        raise _refuse("Frasa sandi sertifikat wajib diisi.", "passphrase")
    bundle = open_pkcs12(data, passphrase)
    assert bundle.cert is not None
    certificate = bundle.cert.certificate
    check_certificate(certificate, now)
    digest = fingerprint(certificate)
    existing = session.scalar(select(UserCertificate).where(UserCertificate.fingerprint_sha256 == digest))
    if existing is not None and existing.user_id != user.id:
        raise _refuse("Sertifikat ini sudah terdaftar atas nama pengguna lain.")
    moment = _naive_utc(now)
    for previous in active_certificates(session, user):
        previous.revoked_at = moment
    if existing is not None:  # the same certificate again: in force again (its first registration stays)
        existing.revoked_at = None
        row = existing
    else:
        row = UserCertificate(
            user_id=user.id,
            fingerprint_sha256=digest,
            subject=certificate.subject.rfc4514_string()[:500],
            issuer=certificate.issuer.rfc4514_string()[:500],
            serial_number=format(certificate.serial_number, "x")[:80],
            not_before=certificate.not_valid_before_utc.replace(tzinfo=None),
            not_after=certificate.not_valid_after_utc.replace(tzinfo=None),
            certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
            registered_at=moment,
        )
        session.add(row)
        session.flush()
    key_file = session.get(SigningKeyFile, row.id)
    if key_file is None:
        session.add(SigningKeyFile(certificate_id=row.id, pkcs12=data, stored_at=moment))
    else:
        key_file.pkcs12, key_file.stored_at = data, moment
    session.flush()
    return row


def active_certificates(session: Session, user: User) -> list[UserCertificate]:
    """Return the user's certificates that are not ended (normally at most one)."""
    return list(
        session.scalars(
            select(UserCertificate).where(UserCertificate.user_id == user.id, UserCertificate.revoked_at.is_(None))
        ).all()
    )


def current_certificate(session: Session, user: User) -> UserCertificate | None:
    """Return the certificate the user signs with now (the newest one not ended), if any."""
    rows = active_certificates(session, user)
    return max(rows, key=lambda r: r.registered_at) if rows else None


def key_file(session: Session, certificate: UserCertificate) -> bytes:
    """Return the stored PKCS#12 file of a certificate; InvalidForm when it is missing."""
    row = session.get(SigningKeyFile, certificate.id)
    if row is None:
        raise _refuse("Berkas kunci sertifikat tidak tersimpan; daftarkan ulang sertifikat Anda.")
    return row.pkcs12


def registered_at(session: Session, username: str, digest: str, moment: datetime) -> UserCertificate | None:
    """Return the certificate with this fingerprint if it was registered to ``username`` at ``moment``."""
    row = session.scalar(select(UserCertificate).where(UserCertificate.fingerprint_sha256 == digest))
    if row is None:
        return None
    owner = session.get(User, row.user_id)
    moment = _naive_utc(moment)
    if owner is None or owner.username != username or row.registered_at > moment:
        return None
    if row.revoked_at is not None and row.revoked_at <= moment:
        return None
    return row


def describe(row: UserCertificate, now: datetime | None = None) -> dict[str, Any]:
    """Render a registered certificate for the profile page (public facts only)."""
    moment = _naive_utc(now) if now else None
    return {
        "id": row.id,
        "fingerprint_sha256": row.fingerprint_sha256,
        "subject": row.subject,
        "issuer": row.issuer,
        "serial_number": row.serial_number,
        "not_before": row.not_before,
        "not_after": row.not_after,
        "registered_at": row.registered_at,
        "revoked_at": row.revoked_at,
        "expired": bool(moment and row.not_after < moment),
        "active": row.revoked_at is None,
    }
