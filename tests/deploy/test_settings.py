"""One configuration object: environment variables and the TOML instance file, read in Settings.from_env."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from sopflow import Settings
from sopflow.errors import DeploymentError
from sopflow.resources import builtin_processes_dir, builtin_samples_dir, builtin_templates_dir
from webapp import create_app

STRONG_KEY = "k" * 40


def test_defaults_are_the_embedded_sqlite_install_with_packaged_data(tmp_path):
    settings = Settings.from_env(environ={"SOPFLOW_DATA_DIR": str(tmp_path / "data")})
    assert settings.database_url == f"sqlite:///{tmp_path / 'data' / 'sopflow.sqlite3'}"
    assert settings.embedded is True
    assert settings.processes_dir == builtin_processes_dir()
    assert settings.templates_dir == builtin_templates_dir()
    assert settings.samples_dir == builtin_samples_dir()
    assert (settings.calendar_file.name, settings.calendar_file.is_file()) == ("kalender.json", True)
    assert (settings.timezone, settings.secret_key, settings.broker_url, settings.smtp_host) == (
        "Asia/Makassar",
        None,
        None,
        None,
    )
    assert (settings.smtp_port, settings.smtp_starttls, settings.smtp_ssl, settings.mail_from) == (
        25,
        False,
        False,
        "sopflow@localhost",
    )
    assert (settings.base_url, settings.log_format, settings.log_level) == ("http://127.0.0.1:5000", "console", "INFO")
    assert (settings.session_minutes, settings.max_upload_mb) == (30, 64)


def test_built_directly_every_other_field_is_defaulted(tmp_path):
    settings = Settings(database_url="sqlite://", data_dir=tmp_path)
    assert settings.embedded is True and settings.processes_dir == builtin_processes_dir()


def test_every_variable_is_read(tmp_path):
    env = {
        "DATABASE_URL": "postgresql://sopflow:rahasia@db:5432/sopflow",
        "SOPFLOW_DATA_DIR": str(tmp_path / "d"),
        "SOPFLOW_PROCESSES_DIR": str(tmp_path / "p"),
        "SOPFLOW_TEMPLATES_DIR": str(tmp_path / "t"),
        "SOPFLOW_SAMPLES_DIR": str(tmp_path / "s"),
        "SOPFLOW_TIMEZONE": "Asia/Jakarta",
        "SECRET_KEY": STRONG_KEY,
        "BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
        "SMTP_HOST": "mail.example.go.id",
        "SMTP_PORT": "587",
        "SMTP_USERNAME": "pengirim",
        "SMTP_PASSWORD": "sandi-smtp",
        "SMTP_STARTTLS": "ya",
        "SMTP_SSL": "0",
        "MAIL_FROM": "sopflow@example.go.id",
        "SOPFLOW_BASE_URL": "https://sopflow.example.go.id",
        "LOG_FORMAT": "JSON",
        "LOG_LEVEL": "debug",
        "SESSION_MINUTES": "45",
        "MAX_UPLOAD_MB": "10",
    }
    s = Settings.from_env(environ=env)
    assert s.database_url == "postgresql+psycopg://sopflow:rahasia@db:5432/sopflow"
    assert s.embedded is False
    assert (s.data_dir, s.processes_dir, s.templates_dir, s.samples_dir) == (
        tmp_path / "d",
        tmp_path / "p",
        tmp_path / "t",
        tmp_path / "s",
    )
    assert (s.timezone, s.secret_key, s.broker_url) == ("Asia/Jakarta", STRONG_KEY, env["BROKER_URL"])
    assert (s.smtp_host, s.smtp_port, s.smtp_username, s.smtp_password) == (
        "mail.example.go.id",
        587,
        "pengirim",
        "sandi-smtp",
    )
    assert (s.smtp_starttls, s.smtp_ssl, s.mail_from, s.base_url) == (
        True,
        False,
        "sopflow@example.go.id",
        "https://sopflow.example.go.id",
    )
    assert (s.log_format, s.log_level, s.session_minutes, s.max_upload_mb) == ("json", "DEBUG", 45, 10)
    assert STRONG_KEY not in repr(s) and "sandi-smtp" not in repr(s)


def test_old_secret_key_name_is_accepted_and_the_new_one_wins(tmp_path):
    assert Settings.from_env(environ={"SOPFLOW_SECRET_KEY": "lama"}).secret_key == "lama"
    both = {"SOPFLOW_SECRET_KEY": "lama", "SECRET_KEY": "baru"}
    assert Settings.from_env(environ=both).secret_key == "baru"


def test_mode_overrides_what_the_database_url_implies(tmp_path):
    assert Settings.from_env(environ={"SOPFLOW_MODE": "production"}).embedded is False
    pg = {"DATABASE_URL": "postgresql://x@h/db", "SOPFLOW_MODE": "embedded"}
    assert Settings.from_env(environ=pg).embedded is True
    assert Settings.from_env(environ={}, data_dir=tmp_path).embedded is True


def test_instance_file_is_read_and_environment_wins(tmp_path):
    config = tmp_path / "etc" / "sopflow.toml"
    config.parent.mkdir()
    config.write_text(
        'data_dir = "data"\n'
        'database_url = "postgresql://file@db/sopflow"\n'
        "smtp_port = 2525\n"
        "smtp_ssl = true\n"
        'log_format = "json"\n'
        'secret_key = "dari-berkas-yang-panjang-sekali"\n',
        encoding="utf-8",
    )
    s = Settings.from_env(environ={"SOPFLOW_CONFIG": str(config), "SMTP_PORT": "465"})
    assert s.data_dir == tmp_path / "etc" / "data"  # relative to the file's folder
    assert s.database_url == "postgresql+psycopg://file@db/sopflow" and s.embedded is False
    assert (s.smtp_port, s.smtp_ssl, s.log_format) == (465, True, "json")
    assert s.secret_key == "dari-berkas-yang-panjang-sekali"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"SMTP_PORT": "dua-lima"}, "SMTP_PORT"),
        ({"SMTP_PORT": "70000"}, "SMTP_PORT"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
        ({"LOG_LEVEL": "cerewet"}, "LOG_LEVEL"),
        ({"SESSION_MINUTES": "0"}, "SESSION_MINUTES"),
        ({"MAX_UPLOAD_MB": "1.5"}, "MAX_UPLOAD_MB"),
        ({"SMTP_STARTTLS": "mungkin"}, "SMTP_STARTTLS"),
        ({"SOPFLOW_MODE": "uji"}, "SOPFLOW_MODE"),
        ({"SOPFLOW_TIMEZONE": "Asia/Antah_Berantah"}, "SOPFLOW_TIMEZONE"),
        ({"SMTP_STARTTLS": "1", "SMTP_SSL": "1"}, "SMTP_SSL"),
    ],
)
def test_invalid_values_name_the_variable(env, named):
    with pytest.raises(DeploymentError, match=named) as caught:
        Settings.from_env(environ=env)
    assert "tidak sah" in caught.value.message


def test_config_file_problems_are_named(tmp_path):
    missing = tmp_path / "tidak-ada.toml"
    with pytest.raises(DeploymentError, match=r"SOPFLOW_CONFIG.*tidak dapat dibaca") as caught:
        Settings.from_env(environ={"SOPFLOW_CONFIG": str(missing)})
    assert str(missing) in caught.value.message
    bad = tmp_path / "rusak.toml"
    bad.write_text("smtp_port = = 25\n", encoding="utf-8")
    with pytest.raises(DeploymentError, match="bukan TOML yang sah"):
        Settings.from_env(environ={"SOPFLOW_CONFIG": str(bad)})
    typo = tmp_path / "salah-ketik.toml"
    typo.write_text("smtp_prot = 25\n", encoding="utf-8")
    with pytest.raises(DeploymentError, match="smtp_prot"):
        Settings.from_env(environ={"SOPFLOW_CONFIG": str(typo)})
    wrong_type = tmp_path / "tipe.toml"
    wrong_type.write_text('smtp_port = "dua"\n', encoding="utf-8")
    with pytest.raises(DeploymentError, match="smtp_port"):
        Settings.from_env(environ={"SOPFLOW_CONFIG": str(wrong_type)})


@pytest.mark.parametrize("key", [None, "", "   ", "changeme", "secret", "pendek"])
def test_outside_embedded_mode_a_missing_or_default_secret_key_refuses(tmp_path, key):
    settings = Settings(database_url="sqlite://", data_dir=tmp_path, secret_key=key, embedded=False)
    with pytest.raises(DeploymentError, match="SECRET_KEY"):
        settings.require_secret_key()
    with pytest.raises(DeploymentError, match="SECRET_KEY"):
        create_app({"SOPFLOW_SETTINGS": settings})
    assert not (tmp_path / "secret_key").exists()


def test_embedded_mode_keeps_a_random_key_and_a_strong_key_is_used(tmp_path):
    assert Settings(database_url="sqlite://", data_dir=tmp_path).require_secret_key() is None
    strong = Settings(database_url="sqlite://", data_dir=tmp_path, secret_key=STRONG_KEY, embedded=False)
    assert strong.require_secret_key() == STRONG_KEY


def test_create_app_takes_session_upload_and_key_from_settings(settings):
    tuned = replace(settings, session_minutes=7, max_upload_mb=3, secret_key=STRONG_KEY, embedded=False)
    app = create_app({"SOPFLOW_SETTINGS": tuned})
    try:
        assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(minutes=7)
        assert app.config["MAX_CONTENT_LENGTH"] == 3 * 1024 * 1024
        assert app.config["SECRET_KEY"] == STRONG_KEY
        assert not (Path(settings.data_dir) / "secret_key").exists()
    finally:
        app.extensions["sopflow"].db.dispose()
