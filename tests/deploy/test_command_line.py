"""The ``sopflow`` console command: every command in the help, usage errors exit 2, sopflow errors exit 1.

Runs the installed console script (``webapp.cli:main``) in a subprocess where the entry
point matters, and its ``main`` in-process for the rest.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from webapp.cli import cli, main

SOPFLOW = str(Path(sys.executable).with_name("sopflow"))

TOP_LEVEL = {
    "validate", "demo", "new-sop", "sop-doc", "serve", "worker", "scheduler", "tick", "escalate",
    "db", "users", "process", "case", "audit", "archive", "jobs",
}  # fmt: skip
GROUPS = {
    "db": {"upgrade", "current"},
    "users": {"add", "token", "tokens", "revoke-token", "password", "sync"},
    "process": {"publish", "list", "available", "diff", "migrate"},
    "case": {"start", "tasks", "claim", "complete", "retry", "show"},
    "audit": {"verify", "checkpoint", "replay", "export"},
    "archive": {"list", "verify"},
    "jobs": {"list", "retry"},
}


def run(tmp_path: Path, *args: str, log_level: str = "WARNING") -> subprocess.CompletedProcess:
    """Run ``sopflow ARGS`` on an embedded SQLite database under ``tmp_path`` (never the suite's DATABASE_URL).

    The data folder comes from the environment, not ``--data-dir``, so ARGS are exactly argv[1:].
    """
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SOPFLOW_CONFIG", "BROKER_URL"}}
    env.update(SOPFLOW_DATA_DIR=str(tmp_path / "data"), LOG_LEVEL=log_level)
    return subprocess.run([SOPFLOW, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)


def test_help_lists_every_command_and_group(tmp_path):
    shown = run(tmp_path, "--help")
    assert shown.returncode == 0, shown.stderr
    listed = shown.stdout.split("Commands:")[1]
    names = {line.split()[0] for line in listed.splitlines() if line.strip()}
    assert names == TOP_LEVEL == set(cli.commands)


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_each_group_lists_its_commands_with_a_help_text(group, capsys):
    assert main([group, "--help"]) == 0
    listed = capsys.readouterr().out.split("Commands:")[1]
    rows = {line.split()[0]: line.split(maxsplit=1)[1:] for line in listed.splitlines() if line.strip()}
    assert set(rows) == GROUPS[group]
    assert all(rows.values()), rows  # every command has its short help beside it


def test_every_command_has_an_indonesian_help_text():
    def walk(command: click.Command, path: str):
        yield path, command
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from walk(sub, f"{path} {name}")

    missing = [path for path, command in walk(cli, "sopflow") if not (command.short_help or command.help)]
    assert missing == []


def test_a_user_named_serve_is_created(tmp_path):
    """``sopflow users add serve`` used to be taken for ``serve`` (the word was looked for in argv[:3]): exit 2."""
    before = run(tmp_path, "users", "password", "serve", "--password", "sandi-panjang-1")
    assert before.returncode == 1 and "Galat: Pengguna 'serve' tidak ditemukan." in before.stderr
    made = run(tmp_path, "users", "add", "serve", "--lane", "Pengusul", "--password", "sandi-panjang-1")
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == "Pengguna serve dibuat."
    changed = run(tmp_path, "users", "password", "serve", "--password", "sandi-panjang-2")
    assert changed.returncode == 0 and changed.stdout.startswith("Kata sandi serve diganti"), changed.stderr


def test_an_unknown_command_is_a_usage_error(tmp_path, capsys):
    result = run(tmp_path, "tidak-ada")
    assert result.returncode == 2
    assert result.stderr.startswith("Usage: sopflow [OPTIONS] COMMAND [ARGS]...")
    assert "No such command 'tidak-ada'" in result.stderr
    assert main(["users", "tidak-ada"]) == 2
    assert "Usage: sopflow users [OPTIONS] COMMAND [ARGS]..." in capsys.readouterr().err
    assert main(["users", "add"]) == 2  # the username is missing
    assert "Missing argument 'USERNAME'" in capsys.readouterr().err


def test_no_command_prints_the_help_and_exits_2(capsys):
    assert main([]) == 2
    captured = capsys.readouterr()
    assert "Commands:" in captured.out + captured.err


def test_a_sopflow_error_exits_1_with_its_message(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SOPFLOW_CONFIG", raising=False)
    monkeypatch.setenv("SMTP_PORT", "tidak-angka")  # invalid settings: read once, named, exit 1
    assert main(["--data-dir", str(tmp_path / "data"), "process", "list"]) == 1
    assert "Galat: Pengaturan tidak sah: SMTP_PORT harus bilangan bulat" in capsys.readouterr().err


def test_info_logs_of_a_command_say_what_happened_not_alembics_plugins(tmp_path):
    """At LOG_LEVEL=INFO a migration names its revisions; Alembic's plugin set-up lines (7 per command) are gone."""
    done = run(tmp_path, "db", "upgrade", log_level="INFO")
    assert done.returncode == 0, done.stderr
    assert "Running upgrade" in done.stderr
    assert "setup plugin" not in done.stderr
