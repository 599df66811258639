"""``sopflow db``: the database schema (``upgrade`` is the only command that migrates outside embedded mode)."""

from __future__ import annotations

import click

from sopflow.cli.context import CliContext, pass_cli
from sopflow.persistence.db import UPGRADE_COMMAND, Database


@click.group("db", help="basis data")
def db_group() -> None:
    """Group the database schema commands."""


@db_group.command("upgrade", help="mutakhirkan skema basis data (migrasi Alembic)")
@pass_cli
def upgrade(cli: CliContext) -> int:
    """Bring the database schema to the newest migration."""
    db = Database(cli.settings.database_url)
    try:
        before = db.schema_status()
        db.upgrade()
        after = db.schema_status()
    finally:
        db.dispose()
    where = db.engine.url.render_as_string(hide_password=True)
    if before.current == after.current:
        print(f"Skema basis data sudah mutakhir: revisi {after.current} ({where}).")
    else:
        start = before.current or "(kosong)"
        print(f"Skema basis data dimutakhirkan dari revisi {start} ke {after.current} ({where}).")
    return 0


@db_group.command("current", help="tampilkan revisi skema basis data dan revisi terbaru")
@pass_cli
def current(cli: CliContext) -> int:
    """Print the database's revision and the newest one; exit 1 when the schema is behind."""
    db = Database(cli.settings.database_url)
    try:
        status = db.schema_status()
    finally:
        db.dispose()
    print(f"Revisi basis data: {status.current or '(kosong)'}")
    print(f"Revisi terbaru:    {status.head}")
    if status.at_head:
        print("Skema mutakhir.")
        return 0
    print(f"Skema belum mutakhir: jalankan `{UPGRADE_COMMAND}`.")
    return 1
