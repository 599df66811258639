"""Sign-in through the login form against a real slapd: mapping, moves, retirement, injection, directory down."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest
from sqlalchemy import select

from sopflow import ClaimTask, CompleteUserTask, Engine
from sopflow.access import tokens
from sopflow.access.users import add_user
from sopflow.identity.events import IDENTITY_CHAIN
from sopflow.identity.ldap_directory import LdapDirectory
from sopflow.persistence.models import AuditEvent, HumanTask, User
from webapp import create_app

from .conftest import BREAK_GLASS, BREAK_GLASS_PASSWORD, PASSWORD, login

pytestmark = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="runs once, in the SQLite pass")

UNMAPPED = "Akun Anda tidak lagi terdaftar pada unit mana pun di sopflow"


def user_row(engine: Engine, username: str) -> User | None:
    with engine.db.reading() as session:
        row = session.scalar(select(User).where(User.username == username))
        if row is not None:
            session.expunge(row)
        return row


def kinds(engine: Engine, chain: str) -> list[str]:
    with engine.db.reading() as session:
        query = select(AuditEvent.kind).where(AuditEvent.case_id == chain).order_by(AuditEvent.seq)
        return list(session.scalars(query))


def task(engine: Engine, task_id: str) -> HumanTask:
    with engine.db.reading() as session:
        row = session.get_one(HumanTask, task_id)
        session.expunge(row)
        return row


def test_ldap_login_creates_the_account_with_the_mapped_lane_and_unit(ldap_app, ldap_engine):
    client = ldap_app.test_client()
    response = login(client, "kabid_ikp")
    assert response.status_code == 302, response.get_data(as_text=True)
    inbox = client.get("/")
    assert inbox.status_code == 200
    row = user_row(ldap_engine, "kabid_ikp")
    assert (row.auth_source, row.lanes, row.units, row.roles) == (
        "ldap",
        ["Kepala Bidang"],
        ["Informasi dan Komunikasi Publik"],
        ["aktor"],
    )
    assert row.full_name == "Kepala Bidang Informasi dan Komunikasi Publik (contoh)"
    assert row.external_subject and row.external_subject != "kabid_ikp"  # the entry's entryUUID
    assert kinds(ldap_engine, IDENTITY_CHAIN)[-2:] == ["identity_user_created", "identity_signed_in"]
    # a wrong password is the usual refusal, and an audit event
    assert login(ldap_app.test_client(), "kabid_ikp", "salah-sekali").status_code == 401
    assert kinds(ldap_engine, IDENTITY_CHAIN)[-1] == "identity_refused"


def test_a_group_change_moves_the_lane_at_the_next_login_and_frees_the_held_task(
    ldap_app, ldap_engine, slapd, start_case
):
    client = ldap_app.test_client()
    assert login(client, "kasi_monev").status_code == 302
    task_id = start_case()
    ldap_engine.claim_task(ClaimTask(task_id, "kasi_monev"))
    slapd.add_to_group("kasi_monev", "sopflow-kasubbag-perencanaan")
    slapd.remove_from_group("kasi_monev", "sopflow-kepala-seksi")

    again = ldap_app.test_client()
    assert login(again, "kasi_monev").status_code == 302
    row = user_row(ldap_engine, "kasi_monev")
    assert (row.lanes, row.lead_lanes, row.active) == (["Kasubbag Perencanaan"], ["Kasubbag Perencanaan"], True)
    held = task(ldap_engine, task_id)
    assert held.claimed_by is None  # back in the Kepala Seksi pool
    assert kinds(ldap_engine, held.case_id)[-2:] == ["task_unclaimed", "identity_task_released"]
    assert "identity_mapping_changed" in kinds(ldap_engine, IDENTITY_CHAIN)


def test_a_retired_person_is_refused_their_task_goes_back_and_their_sessions_and_tokens_end(
    ldap_app, ldap_engine, slapd, start_case
):
    first_task = start_case()
    assert login(ldap_app.test_client(), "kasi_monev").status_code == 302
    outcome = ldap_engine.complete_user_task(CompleteUserTask(first_task, "kasi_monev", {"catatan": "sudah ditelaah"}))
    second_task = outcome.open_tasks[0]["task_id"]
    browser = ldap_app.test_client()
    assert login(browser, "kasubbag_perencanaan").status_code == 302
    ldap_engine.claim_task(ClaimTask(second_task, "kasubbag_perencanaan"))
    with ldap_engine.db.unit_of_work() as session:
        token = tokens.issue_token(session, "kasubbag_perencanaan")
    api = ldap_app.test_client()
    assert api.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    slapd.remove_from_group("kasubbag_perencanaan", "sopflow-kasubbag-perencanaan")
    refused = login(ldap_app.test_client(), "kasubbag_perencanaan")
    assert refused.status_code == 401
    assert UNMAPPED in refused.get_data(as_text=True)

    row = user_row(ldap_engine, "kasubbag_perencanaan")
    assert not row.active and row.retired_at is not None
    held = task(ldap_engine, second_task)
    assert held.claimed_by is None and held.state == "ready"
    case_events = kinds(ldap_engine, held.case_id)
    assert case_events[-2:] == ["task_unclaimed", "identity_task_released"]
    assert "identity_user_retired" in kinds(ldap_engine, IDENTITY_CHAIN)
    # the session signed in before no longer works, nor does the API token
    assert browser.get("/").status_code == 302
    answer = api.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401
    with ldap_engine.db.reading() as session:
        assert tokens.check_token(session, token).refusal in ("revoked", "inactive")
        assert tokens.list_tokens(session, "kasubbag_perencanaan")[0]["status"] == "dicabut"


def test_a_person_in_no_mapped_group_is_refused(ldap_app, ldap_engine):
    refused = login(ldap_app.test_client(), "tamu")
    assert refused.status_code == 401
    assert "Akun Anda belum terdaftar pada unit mana pun di sopflow" in refused.get_data(as_text=True)
    assert user_row(ldap_engine, "tamu") is None
    assert kinds(ldap_engine, IDENTITY_CHAIN)[-1] == "identity_refused"


@pytest.mark.parametrize("username", ["*)(uid=*", "kad*", "*", "kadis)(|(uid=*"])
def test_ldap_injection_in_the_username_finds_nobody(ldap_app, ldap_engine, ldap_settings, username):
    directory = LdapDirectory(ldap_settings)
    assert directory.find("kadis") is not None  # the directory answers for the real name
    assert directory.find(username) is None
    assert directory.authenticate(username, PASSWORD) is None
    response = login(ldap_app.test_client(), username)
    assert response.status_code == 401
    assert "Nama pengguna atau kata sandi salah." in response.get_data(as_text=True)
    with ldap_engine.db.reading() as session:
        assert session.scalars(select(User.username)).all() == [BREAK_GLASS]


def test_an_empty_password_is_never_an_anonymous_bind(ldap_settings):
    assert LdapDirectory(ldap_settings).authenticate("kadis", "") is None


def test_directory_down_gives_a_clear_message_and_break_glass_still_signs_in(ldap_app, slapd):
    slapd.stop()
    refused = login(ldap_app.test_client(), "kadis")
    assert refused.status_code == 401
    assert "Direktori kantor (LDAP) sedang tidak dapat dihubungi" in refused.get_data(as_text=True)
    assert login(ldap_app.test_client(), BREAK_GLASS, BREAK_GLASS_PASSWORD).status_code == 302


def test_local_login_admin_only_keeps_only_the_break_glass_admin(ldap_engine, ldap_settings, make_user, slapd):
    make_user("operator_lokal")  # a local non-admin account, password "kata-sandi-uji"
    app = create_app({"TESTING": True, "SOPFLOW_SETTINGS": replace(ldap_settings, local_login="admin_only")})
    try:
        assert login(app.test_client(), "operator_lokal", "kata-sandi-uji").status_code == 401
        assert login(app.test_client(), BREAK_GLASS, BREAK_GLASS_PASSWORD).status_code == 302
        assert login(app.test_client(), "kadis").status_code == 302  # directory people are not affected
    finally:
        app.extensions["sopflow"].db.dispose()
    all_settings = create_app({"TESTING": True, "SOPFLOW_SETTINGS": ldap_settings})
    try:
        assert login(all_settings.test_client(), "operator_lokal", "kata-sandi-uji").status_code == 302
    finally:
        all_settings.extensions["sopflow"].db.dispose()


def test_unencrypted_ldap_is_refused_unless_allowed_for_a_test_server(ldap_settings):
    from sopflow.errors import DeploymentError

    with pytest.raises(DeploymentError, match="LDAP tanpa enkripsi ditolak"):
        LdapDirectory(replace(ldap_settings, ldap_allow_plain=False))
    LdapDirectory(replace(ldap_settings, ldap_allow_plain=False, ldap_start_tls=True))  # StartTLS: accepted


def test_a_local_account_is_taken_over_by_the_directory_but_a_local_admin_never(ldap_app, ldap_engine, make_user):
    make_user("kadis", lanes=["Kepala Dinas"])  # the demo's local account, password "kata-sandi-uji"
    with ldap_engine.db.unit_of_work() as session:
        add_user(session, "admin", "kata-sandi-admin-lokal", roles=["admin"])  # a break-glass named like a person
    assert login(ldap_app.test_client(), "kadis").status_code == 302  # directory password
    row = user_row(ldap_engine, "kadis")
    assert (row.auth_source, row.lead_lanes) == ("ldap", ["Kepala Dinas"])
    assert login(ldap_app.test_client(), "kadis", "kata-sandi-uji").status_code == 401  # local password gone

    refused = login(ldap_app.test_client(), "admin")  # the directory's "admin" cannot take the local admin
    assert refused.status_code == 401
    assert "sudah dipakai akun lain" in refused.get_data(as_text=True)
    assert user_row(ldap_engine, "admin").auth_source == "local"
    assert login(ldap_app.test_client(), "admin", "kata-sandi-admin-lokal").status_code == 302
