"""StartTLS against a real slapd with a test CA: the certificate is verified (CA and host name), never skipped."""

from __future__ import annotations

import datetime
import ipaddress
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sopflow import Settings
from sopflow.identity.ldap_directory import DirectoryUnavailable, LdapDirectory

from .conftest import BASE, MAPPING, PASSWORD, SERVICE_DN, SERVICE_PASSWORD, start_slapd, stop_process

pytestmark = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="runs once, in the SQLite pass")


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_ca(folder: Path, name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(_name(name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )  # digital signature, cert sign, CRL sign
        .sign(key, hashes.SHA256())
    )
    path = folder / f"{name}.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert, path


def make_server_cert(folder: Path, ca_key, ca_cert, names: list[x509.GeneralName]) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("ldap-uji"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path = folder / "server.pem", folder / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def tls_slapd(tmp_path: Path, names: list[x509.GeneralName]) -> Iterator[tuple[str, Path, Path]]:
    """slapd offering StartTLS with a certificate for ``names``; yields url, the right CA and a foreign CA."""
    pki = tmp_path / "pki"
    pki.mkdir()
    ca_key, ca_cert, ca_path = make_ca(pki, "ca-kantor-uji")
    _, _, foreign_ca = make_ca(pki, "ca-lain")
    cert, key = make_server_cert(pki, ca_key, ca_cert, names)
    url, process, log = start_slapd(tmp_path / "slapd", {"ca": ca_path, "cert": cert, "key": key})
    try:
        yield url, ca_path, foreign_ca
    finally:
        stop_process(process)
        log.close()


@pytest.fixture
def directory_for_ip(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    yield from tls_slapd(tmp_path, [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])


@pytest.fixture
def directory_for_other_name(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    yield from tls_slapd(tmp_path, [x509.DNSName("ldap.kantor-lain.example")])


def starttls_settings(settings: Settings, url: str, ca: Path | None) -> Settings:
    return replace(
        settings,
        ldap_url=url,
        ldap_bind_dn=SERVICE_DN,
        ldap_bind_password=SERVICE_PASSWORD,
        ldap_user_base=f"ou=people,{BASE}",
        ldap_group_base=f"ou=groups,{BASE}",
        ldap_start_tls=True,
        ldap_ca_file=ca,
        identity_mapping_file=MAPPING,
    )


def test_starttls_with_the_office_ca_signs_in(settings, directory_for_ip):
    url, ca, _foreign = directory_for_ip
    person = LdapDirectory(starttls_settings(settings, url, ca)).authenticate("kadis", PASSWORD)
    assert person is not None and person.username == "kadis"
    assert any("sopflow-kepala-dinas" in group for group in person.groups)


def test_starttls_refuses_a_certificate_of_another_ca(settings, directory_for_ip):
    url, _ca, foreign = directory_for_ip
    for ca in (foreign, None):  # another CA, or the system's store (which does not know the test CA)
        with pytest.raises(DirectoryUnavailable):
            LdapDirectory(starttls_settings(settings, url, ca)).authenticate("kadis", PASSWORD)


def test_starttls_refuses_a_certificate_for_another_host_name(settings, directory_for_other_name):
    url, ca, _foreign = directory_for_other_name
    with pytest.raises(DirectoryUnavailable):
        LdapDirectory(starttls_settings(settings, url, ca)).authenticate("kadis", PASSWORD)
