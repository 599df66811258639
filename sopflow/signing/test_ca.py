"""A throw-away certificate authority for the demo and the tests ("SERTIFIKAT UJI").

:func:`make_ca` creates a self-signed root; :func:`issue_pkcs12` issues a signing certificate
for a person and returns it as a passphrase-protected PKCS#12 file, the form in which a
real certificate authority (e.g. BSrE) hands one out. Nothing here is used to sign real
documents: every subject carries "SERTIFIKAT UJI".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

TEST_MARK = "SERTIFIKAT UJI"


@dataclass(frozen=True)
class DemoCa:
    """A root certificate and its private key."""

    certificate: x509.Certificate
    key: rsa.RSAPrivateKey

    def pem(self) -> bytes:
        """Return the root certificate in PEM (for ``SIGNING_TRUST_ROOTS``)."""
        return self.certificate.public_bytes(serialization.Encoding.PEM)


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def make_ca(now: datetime, common_name: str = f"CA {TEST_MARK} sopflow", years: int = 10) -> DemoCa:
    """Create a self-signed root CA valid from a day before ``now`` for ``years`` years."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = _name(common_name, TEST_MARK)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )  # keyCertSign, cRLSign
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return DemoCa(cert, key)


def issue_pkcs12(
    ca: DemoCa,
    common_name: str,
    passphrase: str,
    not_before: datetime,
    not_after: datetime,
    signing_usage: bool = True,
    serial_number: str | None = None,
) -> bytes:
    """Issue a certificate for ``common_name`` under ``ca``; return it with its key as PKCS#12.

    ``signing_usage`` False gives a certificate without digitalSignature/nonRepudiation
    (only keyEncipherment), which registration must refuse.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, TEST_MARK),
        x509.NameAttribute(NameOID.COMMON_NAME, f"{common_name} ({TEST_MARK})"),
    ]
    if serial_number:
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial_number))
    usage = (
        x509.KeyUsage(True, True, False, False, False, False, False, False, False)
        if signing_usage
        else x509.KeyUsage(False, False, True, False, False, False, False, False, False)
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(attributes))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
        .sign(ca.key, hashes.SHA256())
    )
    return pkcs12.serialize_key_and_certificates(
        name=common_name.encode("utf-8"),
        key=key,
        cert=cert,
        cas=[ca.certificate],
        encryption_algorithm=serialization.BestAvailableEncryption(passphrase.encode("utf-8")),
    )
