"""Explicit migrations: only `sopflow db upgrade` (and the embedded SQLite path) migrates; everything else checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory

from sopflow import Database, Settings
from sopflow.cli import main
from sopflow.errors import SchemaOutdated
from sopflow.persistence.db import alembic_config, head_revision, open_database
from webapp import create_app
from webapp.cli import main as console_main

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k" * 40


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'sopflow.sqlite3'}"


def behind_head(url: str) -> str:
    """Migrate a fresh database to the revision just below head; return that revision."""
    script = ScriptDirectory.from_config(alembic_config(url))
    previous = script.get_revision(head_revision()).down_revision
    assert isinstance(previous, str)
    command.upgrade(alembic_config(url), previous)
    return previous


def production(folder: Path) -> Settings:
    return Settings(database_url=sqlite_url(folder), data_dir=folder, secret_key=STRONG_KEY, embedded=False)


def test_migrated_database_is_at_head(database):
    status = database.check_at_head()
    assert status.at_head and status.current == head_revision()


def test_empty_database_names_the_upgrade_command(tmp_path):
    db = Database(sqlite_url(tmp_path))
    try:
        assert db.schema_status().current is None
        with pytest.raises(SchemaOutdated, match="sopflow db upgrade") as caught:
            db.check_at_head()
        assert "belum berisi skema" in caught.value.message
    finally:
        db.dispose()


def test_database_behind_head_names_both_revisions(tmp_path):
    url = sqlite_url(tmp_path)
    previous = behind_head(url)
    db = Database(url)
    try:
        with pytest.raises(SchemaOutdated, match="sopflow db upgrade") as caught:
            db.check_at_head()
        assert previous in caught.value.message and head_revision() in caught.value.message
    finally:
        db.dispose()


def test_create_app_checks_and_never_migrates(tmp_path):
    settings = production(tmp_path)
    with pytest.raises(SchemaOutdated, match="sopflow db upgrade"):
        create_app({"SOPFLOW_SETTINGS": settings})
    db = Database(settings.database_url)
    try:
        assert db.schema_status().current is None  # the refused start left the database alone
    finally:
        db.dispose()
    app = create_app({"SOPFLOW_SETTINGS": settings, "SOPFLOW_MIGRATE": True})  # the explicit way
    try:
        assert app.extensions["sopflow"].db.check_at_head().at_head
    finally:
        app.extensions["sopflow"].db.dispose()


def test_open_database_migrates_only_in_embedded_mode(tmp_path):
    with pytest.raises(SchemaOutdated):
        open_database(production(tmp_path / "produksi"))
    embedded = Settings(database_url=sqlite_url(tmp_path / "embedded"), data_dir=tmp_path / "embedded")
    db = open_database(embedded)
    try:
        assert db.check_at_head().at_head
    finally:
        db.dispose()


def test_db_current_and_upgrade_commands(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("SOPFLOW_MODE", "production")
    data = tmp_path / "data"
    data.mkdir()
    previous = behind_head(sqlite_url(data))
    assert main(["--data-dir", str(data), "db", "current"]) == 1
    out = capsys.readouterr().out
    assert f"Revisi basis data: {previous}" in out and f"Revisi terbaru:    {head_revision()}" in out
    assert "sopflow db upgrade" in out
    assert main(["--data-dir", str(data), "process", "list"]) == 1  # production CLI: checks, does not migrate
    assert "sopflow db upgrade" in capsys.readouterr().err
    assert main(["--data-dir", str(data), "db", "upgrade"]) == 0
    assert f"dari revisi {previous} ke {head_revision()}" in capsys.readouterr().out
    assert main(["--data-dir", str(data), "db", "current"]) == 0
    assert "Skema mutakhir" in capsys.readouterr().out
    assert main(["--data-dir", str(data), "process", "list"]) == 0


def test_embedded_cli_migrates_for_the_user(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SOPFLOW_MODE", raising=False)
    assert main(["--data-dir", str(tmp_path), "process", "list"]) == 0
    assert main(["--data-dir", str(tmp_path), "db", "current"]) == 0


def test_serve_outside_embedded_mode_refuses_an_outdated_schema(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("SOPFLOW_MODE", "production")
    monkeypatch.setenv("SECRET_KEY", STRONG_KEY)
    assert console_main(["serve", "--data-dir", str(tmp_path), "--port", "1"]) == 1
    assert "sopflow db upgrade" in capsys.readouterr().err


def test_gunicorn_worker_refuses_an_outdated_schema(tmp_path):
    """The real entry point: gunicorn halts at worker boot and prints the Indonesian message."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SOPFLOW_MODE", "SOPFLOW_CONFIG")}
    env.update(SOPFLOW_DATA_DIR=str(tmp_path), SOPFLOW_MODE="production", SECRET_KEY=STRONG_KEY, SOPFLOW_SCHEDULER="0")
    gunicorn = [sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:0", "--workers", "1", "webapp.wsgi:app"]
    done = subprocess.run(gunicorn, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "sopflow db upgrade" in done.stderr
