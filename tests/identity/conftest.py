"""Identity fixtures: a real ``slapd`` with the demo's directory, the app wired to it, and a tiny process.

``slapd`` (Debian's OpenLDAP server) is started per test on 127.0.0.1 and a free port,
from a slapd.conf written into the test's tmp folder and the LDIF ``directory.ldif``
loaded with ``slapadd``; it is stopped by its pid. Plain LDAP is allowed for this test
server only (``LDAP_ALLOW_PLAIN``). Without slapd the tests are skipped on a workstation
and fail on CI (``CI`` set).

The identity tests are not about the database: they run once, in the SQLite pass.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from ldap3 import MODIFY_ADD, MODIFY_DELETE, Connection, Server

from sopflow import Database, Engine, Settings, StartInstance
from sopflow.access.users import add_user
from sopflow.settings import PROJECT_ROOT
from webapp import create_app

HERE = Path(__file__).resolve().parent
LDIF = HERE / "directory.ldif"
PROCESS = HERE / "data" / "telaah.bpmn"
MAPPING = PROJECT_ROOT / "deploy" / "identity" / "mapping.example.toml"
BASE = "dc=dinas,dc=example"
ROOT_DN, ROOT_PASSWORD = f"cn=admin,{BASE}", "akar-uji-2026"
SERVICE_DN, SERVICE_PASSWORD = f"cn=sopflow-layanan,ou=services,{BASE}", "layanan-rahasia-2026"
PASSWORD = "sandi-direktori-2026"  # every person of directory.ldif
BREAK_GLASS, BREAK_GLASS_PASSWORD = "darurat", "kata-sandi-darurat-2026"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')

SLAPD_CONF = """\
{tls}{extra}include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile {folder}/slapd.pid
argsfile {folder}/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 10485760
suffix "{base}"
rootdn "{root_dn}"
rootpw {root_password}
directory {folder}/db
access to attrs=userPassword
  by anonymous auth
  by * none
access to *
  by dn.exact="{service_dn}" read
  by self read
  by * none
{overlays}"""


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (bound, then released for the server)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 15) -> None:
    """Wait until something listens on ``port`` (fail when ``process`` died first)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {seconds}s")


def stop_process(process: subprocess.Popen) -> None:
    """Stop a server we started, by its pid (SIGTERM, then SIGKILL)."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def require_tool(path: str, why: str) -> str:
    """Return the tool's path; skip without it on a workstation, fail on CI."""
    found = shutil.which(path) or (path if Path(path).exists() else None)
    if found is None:
        message = f"{path} is not installed; {why}"
        if os.environ.get("CI"):
            pytest.fail(message + " CI must run the identity tests.", pytrace=False)
        pytest.skip(message)
    return found


@dataclass
class Slapd:
    """A running test directory: its URL, its process and admin helpers that change it."""

    url: str
    process: subprocess.Popen

    def admin(self) -> Connection:
        """A connection bound as the directory's root DN."""
        conn = Connection(Server(self.url), ROOT_DN, ROOT_PASSWORD)
        assert conn.bind(), conn.result
        return conn

    def add_to_group(self, uid: str, group: str) -> None:
        """Put a person into a group."""
        with self.admin() as conn:
            ok = conn.modify(f"cn={group},ou=groups,{BASE}", {"member": [(MODIFY_ADD, [person_dn(uid)])]})
            assert ok, conn.result

    def remove_from_group(self, uid: str, group: str) -> None:
        """Take a person out of a group."""
        with self.admin() as conn:
            ok = conn.modify(f"cn={group},ou=groups,{BASE}", {"member": [(MODIFY_DELETE, [person_dn(uid)])]})
            assert ok, conn.result

    def delete_person(self, uid: str) -> None:
        """Remove a person's entry (they left the office)."""
        with self.admin() as conn:
            assert conn.delete(person_dn(uid)), conn.result

    def stop(self) -> None:
        """Stop the server (the directory is down)."""
        stop_process(self.process)


def person_dn(uid: str) -> str:
    return f"uid={uid},ou=people,{BASE}"


def start_slapd(
    folder: Path, tls: dict[str, Path] | None = None, extra: str = "", overlays: str = "", ldif: Path = LDIF
) -> tuple[str, subprocess.Popen, Any]:
    """Write slapd.conf (with ``tls`` files: ca, cert, key; ``extra`` global lines; ``overlays`` after the
    database), load ``ldif`` offline, start slapd. Returns the URL, the process and its open log file.
    """
    binary = require_tool("/usr/sbin/slapd", "the LDAP tests need Debian's slapd (apt-get install -y slapd).")
    slapadd = require_tool("/usr/sbin/slapadd", "the LDAP tests need slapadd (package slapd).")
    (folder / "db").mkdir(parents=True)
    conf = folder / "slapd.conf"
    tls_lines = (
        f"TLSCACertificateFile {tls['ca']}\nTLSCertificateFile {tls['cert']}\nTLSCertificateKeyFile {tls['key']}\n"
        if tls
        else ""
    )
    conf.write_text(
        SLAPD_CONF.format(
            tls=tls_lines,
            extra=extra,
            overlays=overlays,
            folder=folder,
            base=BASE,
            root_dn=ROOT_DN,
            root_password=ROOT_PASSWORD,
            service_dn=SERVICE_DN,
        ),
        encoding="utf-8",
    )
    subprocess.run([slapadd, "-f", str(conf), "-l", str(ldif)], check=True, capture_output=True, timeout=60)
    port = free_port()
    url = f"ldap://127.0.0.1:{port}"
    log = (folder / "slapd.log").open("wb")
    process = subprocess.Popen([binary, "-f", str(conf), "-h", url + "/", "-d", "0"], stdout=log, stderr=log)
    try:
        wait_for_port(port, process)
    except Exception:
        stop_process(process)
        log.close()
        raise
    return url, process, log


@pytest.fixture
def slapd(tmp_path: Path) -> Iterator[Slapd]:
    """A real slapd with ``directory.ldif`` loaded, on a free local port; stopped after the test."""
    url, process, log = start_slapd(tmp_path / "slapd")
    try:
        yield Slapd(url, process)
    finally:
        stop_process(process)
        log.close()


@pytest.fixture
def ldap_settings(settings: Settings, slapd: Slapd) -> Settings:
    """The test settings pointed at the test directory and the demo's mapping file."""
    return replace(
        settings,
        ldap_url=slapd.url,
        ldap_bind_dn=SERVICE_DN,
        ldap_bind_password=SERVICE_PASSWORD,
        ldap_user_base=f"ou=people,{BASE}",
        ldap_group_base=f"ou=groups,{BASE}",
        ldap_allow_plain=True,
        identity_mapping_file=MAPPING,
    )


@pytest.fixture
def ldap_engine(database: Database, ldap_settings: Settings) -> Engine:
    """An engine with the LDAP settings, the test process published and a local break-glass admin."""
    engine = Engine(database, ldap_settings)
    engine.publish_process(PROCESS, "sistem")
    with database.unit_of_work() as session:
        roles = ["admin", "pemilik_proses"]
        add_user(session, BREAK_GLASS, BREAK_GLASS_PASSWORD, roles=roles, full_name="Admin darurat")
    return engine


@pytest.fixture
def ldap_app(ldap_engine: Engine, ldap_settings: Settings) -> Iterator[Flask]:
    """The web app signed in through the test directory (CSRF on)."""
    app = create_app({"TESTING": True, "SOPFLOW_SETTINGS": ldap_settings})
    yield app
    app.extensions["sopflow"].db.dispose()


@pytest.fixture
def start_case(ldap_engine: Engine) -> Callable[[str], str]:
    """Start a case of the test process as the break-glass admin; return its first task (Kepala Seksi)."""

    def start(periode: str = "2026-TW1") -> str:
        outcome = ldap_engine.start_instance(StartInstance("telaah_identitas", BREAK_GLASS, periode, {}))
        return outcome.open_tasks[0]["task_id"]

    return start


def login(client: FlaskClient, username: str, password: str = PASSWORD):
    """Post the real login form (with its CSRF token); return the response (redirects not followed)."""
    page = client.get("/masuk")
    token = _TOKEN.search(page.get_data(as_text=True))
    assert token, page.status_code
    return client.post("/masuk", data={"csrf_token": token.group(1), "username": username, "password": password})
