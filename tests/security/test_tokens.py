"""API tokens: expiry, revocation (CLI and the owner's /profil/token page), last use, the 0010 migration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from sopflow.access import tokens
from sopflow.cli import main as cli
from sopflow.persistence.db import Database, alembic_config
from sopflow.persistence.models import ApiToken
from tests.webapp import conftest as web
from tests.webapp.conftest import post

# the web tests' fixtures: the app on the test database (CSRF on), its client, clock and sign-in
app, client, clock, login_as = web.app, web.client, web.clock, web.login_as

PASSWORD = "kata-sandi-uji"  # tests/conftest.py make_user


@pytest.fixture
def people(make_user) -> tuple[str, str, str]:
    return make_user("ani", lanes=["Kepala Seksi"]), make_user("budi"), make_user("inspektur", roles=["auditor"])


def issue(app, username: str, days: int = 90) -> str:
    engine = app.extensions["sopflow"].engine
    with engine.db.unit_of_work() as session:
        return tokens.issue_token(session, username, days, engine.clock())


def call(client, token: str):
    return client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})


def rows(app, username: str) -> list[dict]:
    with app.extensions["sopflow"].db.reading() as session:
        return tokens.list_tokens(session, username)


def test_a_token_expires(app, client, clock, people):
    token = issue(app, "ani", days=2)
    assert call(client, token).status_code == 200
    clock.shift = timedelta(days=2, minutes=1)
    response = call(client, token)
    assert response.status_code == 401
    assert response.get_json()["error"]["message"] == "Token API sudah kedaluwarsa; minta token baru kepada admin."
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert rows(app, "ani")[0]["status"] == "aktif"  # list_tokens by real time; the app's clock moved
    with app.extensions["sopflow"].db.reading() as session:
        later = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=3)
        assert tokens.list_tokens(session, "ani", later)[0]["status"] == "kedaluwarsa"


def test_the_default_lifetime_is_90_days(app, people):
    issue(app, "ani")
    row = rows(app, "ani")[0]
    assert row["expires_at"] - row["created_at"] == timedelta(days=90)


def test_a_revoked_token_is_refused_with_its_reason(app, client, people):
    token = issue(app, "ani")
    assert call(client, token).status_code == 200
    with app.extensions["sopflow"].db.unit_of_work() as session:
        assert tokens.revoke_token(session, rows(app, "ani")[0]["id"]) is True
    response = call(client, token)
    assert response.status_code == 401 and response.get_json()["error"]["message"] == "Token API sudah dicabut."


def test_last_use_is_recorded(app, client, clock, people):
    token = issue(app, "ani")
    assert rows(app, "ani")[0]["last_used_at"] is None
    assert call(client, token).status_code == 200
    first = rows(app, "ani")[0]["last_used_at"]
    assert first is not None
    clock.shift = timedelta(hours=1)
    assert call(client, token).status_code == 200
    assert rows(app, "ani")[0]["last_used_at"] - first >= timedelta(minutes=59)


# -- the command line ----------------------------------------------------------------------------------
def test_cli_issues_lists_and_revokes(app, client, settings, people, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SOPFLOW_DATA_DIR", str(settings.data_dir))
    monkeypatch.delenv("SOPFLOW_CONFIG", raising=False)
    monkeypatch.delenv("SOPFLOW_MODE", raising=False)
    assert cli(["users", "token", "ani", "--days", "5"]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("sfw_") and call(client, token).status_code == 200
    row = rows(app, "ani")[0]
    assert row["expires_at"] - row["created_at"] == timedelta(days=5)

    assert cli(["users", "tokens", "ani"]) == 0
    listing = capsys.readouterr().out
    line = next(line for line in listing.splitlines() if line.strip().startswith(str(row["id"])))
    assert "aktif" in line and f"{row['expires_at']:%Y-%m-%d %H:%M}" in line and f"{row['created_at']:%Y-%m-%d}" in line

    assert cli(["users", "revoke-token", str(row["id"])]) == 0
    assert "dicabut" in capsys.readouterr().out
    assert call(client, token).status_code == 401
    assert cli(["users", "tokens", "ani"]) == 0
    assert "dicabut" in capsys.readouterr().out
    assert cli(["users", "revoke-token", "999999"]) == 1
    assert "tidak ditemukan" in capsys.readouterr().err


def test_cli_new_password_ends_the_web_sessions(app, client, settings, people, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SOPFLOW_DATA_DIR", str(settings.data_dir))
    token = web.csrf_token(client)
    client.post("/masuk", data={"username": "ani", "password": PASSWORD, "csrf_token": token})
    assert client.get("/").status_code == 200
    assert cli(["users", "password", "ani", "--password", "sandi-baru-panjang"]) == 0
    assert client.get("/").status_code == 302


# -- the owner's page ----------------------------------------------------------------------------------
def test_the_profile_page_lists_and_revokes_only_my_tokens(app, client, login_as, people):
    mine = issue(app, "ani")
    theirs = issue(app, "budi")
    my_id, their_id = rows(app, "ani")[0]["id"], rows(app, "budi")[0]["id"]
    login_as("ani", PASSWORD)
    page = client.get("/").get_data(as_text=True)
    assert 'data-testid="nav-tokens"' in page and 'href="/profil/token"' in page
    listing = client.get("/profil/token").get_data(as_text=True)
    assert f'data-token-id="{my_id}"' in listing and f'data-token-id="{their_id}"' not in listing
    assert theirs not in listing and mine not in listing  # only hashes are kept: never shown

    assert post(client, f"/profil/token/{their_id}/cabut").status_code == 404
    assert call(client, theirs).status_code == 200

    response = post(client, f"/profil/token/{my_id}/cabut")
    assert response.status_code == 302 and response.headers["Location"] == "/profil/token"
    listing = client.get("/profil/token").get_data(as_text=True)
    assert f"Token #{my_id} dicabut." in listing and 'data-status="dicabut"' in listing
    assert call(client, mine).status_code == 401


def test_the_token_page_needs_sign_in_and_auditors_only_look(app, client, login_as, people):
    assert client.get("/profil/token").status_code == 302
    issue(app, "inspektur")
    token_id = rows(app, "inspektur")[0]["id"]
    login_as("inspektur", PASSWORD)
    listing = client.get("/profil/token").get_data(as_text=True)
    assert f'data-token-id="{token_id}"' in listing and 'data-testid="token-revoke"' not in listing
    assert post(client, f"/profil/token/{token_id}/cabut").status_code == 403


# -- the migration ---------------------------------------------------------------------------------------
def test_migration_0010_gives_old_tokens_an_expiry(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'lama.sqlite3'}"
    command.upgrade(alembic_config(url), "0009")
    db = Database(url)
    with db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO users (id, username, full_name, password_hash, lanes, units, roles, lead_lanes, active, "
                "created_at, email_notifications) VALUES (1, 'lama', '', 'x', '[]', '[]', '[\"aktor\"]', '[]', 1, "
                ":now, 1)"
            ),
            {"now": datetime(2026, 1, 1)},
        )
        conn.execute(
            sa.text("INSERT INTO api_tokens (user_id, token_sha256, created_at, revoked) VALUES (1, :sha, :now, 0)"),
            {"sha": "a" * 64, "now": datetime(2026, 1, 1)},
        )
    db.upgrade()
    with db.reading() as session:
        row = session.scalar(sa.select(ApiToken))
        epoch = session.execute(sa.text("SELECT session_epoch FROM users")).scalar_one()
    db.dispose()
    now = datetime.now(UTC).replace(tzinfo=None)
    assert row.expires_at is not None and timedelta(days=89) < row.expires_at - now <= timedelta(days=90)
    assert row.revoked_at is None and epoch == 0
