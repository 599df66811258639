"""``sopflow users sync`` against a real slapd, and the identity audit chain under ``sopflow audit verify``."""

from __future__ import annotations

import os

import pytest
from ldap3 import Connection, Server
from sqlalchemy import select, text

from sopflow import ClaimTask, Database, Engine, Settings
from sopflow.audit.verify import verify_database
from sopflow.identity.events import IDENTITY_CHAIN
from sopflow.persistence.models import AuditEvent, Case, HumanTask, User
from webapp.cli import main as console_main

from .conftest import BASE, MAPPING, SERVICE_DN, SERVICE_PASSWORD, Slapd, login

pytestmark = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="runs once, in the SQLite pass")

DEMO_PEOPLE = {
    "sekretaris",
    "kabid_sekretariat",
    "kabid_ikp",
    "kabid_aptika",
    "kabid_statistik",
    "kabid_persandian",
    "kasubbag_perencanaan",
    "kasi_monev",
    "kadis",
    "inspektorat",
    "admin",
}


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database: Database, settings: Settings, slapd: Slapd) -> None:
    """The environment an operator sets for ``sopflow users sync`` (the CLI reads only the environment)."""
    for name, value in {
        "DATABASE_URL": database.url,
        "SOPFLOW_DATA_DIR": str(settings.data_dir),
        "LDAP_URL": slapd.url,
        "LDAP_BIND_DN": SERVICE_DN,
        "LDAP_BIND_PASSWORD": SERVICE_PASSWORD,
        "LDAP_USER_BASE": f"ou=people,{BASE}",
        "LDAP_GROUP_BASE": f"ou=groups,{BASE}",
        "LDAP_ALLOW_PLAIN": "true",
        "IDENTITY_MAPPING_FILE": str(MAPPING),
    }.items():
        monkeypatch.setenv(name, value)


def sync(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, str]]:
    code = console_main(["users", "sync"])
    lines = capsys.readouterr().out.strip().splitlines()
    return code, dict(line.split(": ", 1) for line in lines if ": " in line)


def test_users_sync_creates_moves_and_retires_and_reports_it(cli_env, ldap_engine, slapd, start_case, capsys):
    code, report = sync(capsys)
    assert code == 0
    assert report["dibuat"].startswith("11 (")
    assert set(report["dibuat"].split("(", 1)[1].rstrip(")").split(", ")) == DEMO_PEOPLE
    assert report["dilewati (tidak dipetakan)"] == "1 (tamu)"

    task_id = start_case()
    ldap_engine.claim_task(ClaimTask(task_id, "kasi_monev"))
    slapd.add_to_group("kasi_monev", "sopflow-kasubbag-perencanaan")
    slapd.remove_from_group("kasi_monev", "sopflow-kepala-seksi")
    slapd.remove_from_group("kasubbag_perencanaan", "sopflow-kasubbag-perencanaan")
    slapd.delete_person("kadis")

    code, report = sync(capsys)
    assert code == 0
    assert report["dibuat"] == "0"
    assert report["berubah"] == "1 (kasi_monev)"
    assert report["dipensiunkan"] == "2 (kasubbag_perencanaan, kadis)"
    assert report["tetap"].startswith("8 (")
    assert report["tugas dikembalikan ke lane"] == "1"
    with ldap_engine.db.reading() as session:
        retired = session.scalars(select(User.username).where(User.retired_at.is_not(None))).all()
        assert sorted(retired) == ["kadis", "kasubbag_perencanaan"]
        assert session.get_one(HumanTask, task_id).claimed_by is None

    code, report = sync(capsys)  # nothing changed since: everything unchanged
    assert (code, report["berubah"], report["dipensiunkan"]) == (0, "0", "0")


def test_users_sync_with_the_directory_down_changes_nothing(cli_env, ldap_engine, slapd, capsys):
    slapd.stop()
    assert console_main(["users", "sync"]) == 1
    assert "tidak dapat dihubungi" in capsys.readouterr().out
    with ldap_engine.db.reading() as session:
        assert session.scalars(select(User.username)).all() == ["darurat"]


def test_identity_events_form_a_verified_chain_without_a_case_row(ldap_app, ldap_engine, settings, capsys):
    assert login(ldap_app.test_client(), "kadis").status_code == 302
    assert login(ldap_app.test_client(), "kadis", "salah-sekali").status_code == 401
    with ldap_engine.db.reading() as session:
        assert session.get(Case, IDENTITY_CHAIN) is None
        count = len(session.scalars(select(AuditEvent.id).where(AuditEvent.case_id == IDENTITY_CHAIN)).all())
        report = verify_database(session, settings.data_dir)
    assert count == 3  # created, signed in, refused
    assert report.intact, report.problems
    assert report.tails[IDENTITY_CHAIN][0] == 3


def test_a_tampered_identity_event_is_detected(ldap_app, ldap_engine: Engine, settings, database, monkeypatch, capsys):
    assert login(ldap_app.test_client(), "kadis").status_code == 302
    assert login(ldap_app.test_client(), "kabid_ikp").status_code == 302
    from tests.security.audit_tamper import as_attacker

    with as_attacker(database) as conn:  # someone rewrites who signed in
        conn.execute(
            text("UPDATE audit_events SET actor = 'admin' WHERE case_id = :chain AND kind = 'identity_signed_in'"),
            {"chain": IDENTITY_CHAIN},
        )
    with ldap_engine.db.reading() as session:
        report = verify_database(session, settings.data_dir)
    assert not report.intact
    assert {problem["case_id"] for problem in report.problems} == {IDENTITY_CHAIN}
    monkeypatch.setenv("DATABASE_URL", database.url)
    monkeypatch.setenv("SOPFLOW_DATA_DIR", str(settings.data_dir))
    assert console_main(["audit", "verify"]) == 1
    assert IDENTITY_CHAIN in capsys.readouterr().out


def test_users_sync_reads_past_a_server_size_limit_and_never_retires_on_a_cut_answer(
    tmp_path, ldap_engine, ldap_settings, slapd
):
    """Like Active Directory's MaxPageSize: a plain search returns 5 people; the sync pages through all 12."""
    from dataclasses import replace

    from sopflow.identity.ldap_directory import LdapDirectory
    from sopflow.identity.mapping import load_mapping
    from sopflow.identity.sync import sync_directory

    from .conftest import start_slapd, stop_process

    limit = "sizelimit size.soft=5 size.hard=5 size.pr=500 size.prtotal=unlimited\n"
    url, process, log = start_slapd(tmp_path / "terbatas", extra=limit)
    try:
        limited = replace(ldap_settings, ldap_url=url)
        plain = Connection(Server(url), SERVICE_DN, SERVICE_PASSWORD, auto_bind=True)
        plain.search(f"ou=people,{BASE}", "(uid=*)")
        assert (len(plain.response), plain.result["description"]) == (5, "sizeLimitExceeded")
        report = sync_directory(ldap_engine, LdapDirectory(limited), load_mapping(MAPPING))
        assert (len(report.created), report.skipped, report.retired) == (11, ["tamu"], [])
        assert LdapDirectory(limited).find("kadis") is not None
    finally:
        stop_process(process)
        log.close()


def test_users_sync_retires_nobody_when_the_directory_answers_with_nobody(cli_env, ldap_engine, monkeypatch, capsys):
    assert sync(capsys)[0] == 0
    monkeypatch.setenv("LDAP_USER_FILTER", "(&(objectClass=inetOrgPerson)(uid={username})(description=salah-ketik))")
    code = console_main(["users", "sync"])
    assert code == 1
    assert "tidak mengembalikan satu orang pun" in capsys.readouterr().out
    with ldap_engine.db.reading() as session:
        assert session.scalars(select(User.username).where(User.active.is_(False))).all() == []
