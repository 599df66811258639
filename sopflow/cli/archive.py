"""``sopflow archive``: list the archived documents, or verify each file against its SHA-256."""

from __future__ import annotations

import click

from sopflow.cli.context import CliContext, pass_cli
from sopflow.cli.options import case_filter_option
from sopflow.engine.files import FileStore
from sopflow.queries import inbox


@click.group("archive", help="arsip dokumen")
def archive_group() -> None:
    """Group the document archive commands."""


@archive_group.command("list", help="daftar arsip")
@case_filter_option
@pass_cli
def list_archive(cli: CliContext, case: str | None) -> int:
    """List archived documents."""
    return _show_archive(cli, case, verify=False)


@archive_group.command("verify", help="periksa SHA-256 setiap berkas arsip")
@case_filter_option
@pass_cli
def verify_archive(cli: CliContext, case: str | None) -> int:
    """List archived documents and verify each file against its SHA-256; exit 1 when one is broken or missing."""
    return _show_archive(cli, case, verify=True)


def _show_archive(cli: CliContext, case: str | None, verify: bool) -> int:
    engine = cli.engine()
    files = FileStore(engine.settings.files_dir)
    with engine.db.reading() as session:
        entries = inbox.archive_entries(session, case)
    broken = 0
    for entry in entries:
        ok = files.verify(entry["sha256"]) if verify else None
        broken += ok is False
        mark = "" if ok is None else ("  UTUH" if ok else "  RUSAK/HILANG")
        meta = entry["meta"]
        print(f"{entry['case_id']}  {meta.get('periode', '-')}  {entry['filename']}  {entry['sha256']}{mark}")
    if not entries:
        print("Arsip kosong.")
    return 1 if broken else 0
