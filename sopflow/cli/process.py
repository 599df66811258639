"""``sopflow process`` (publish, list, available, diff, migrate) and ``sopflow sop-doc``, the SOP document."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from sopflow.cli.context import CliContext, pass_cli
from sopflow.cli.options import actor_option, out_option, process_option
from sopflow.documents.pdf_export import PdfConversionFailed, PdfUnavailable, docx_to_pdf
from sopflow.engine.commands import MigrateCases
from sopflow.persistence import store
from sopflow.plugins.process_catalog import available_processes, resolve_process_file
from sopflow.process.spec_loader import load_process_file
from sopflow.queries import inbox


@click.group("process", help="versi proses")
def process_group() -> None:
    """Group the commands about published process versions."""


@process_group.command(
    "publish",
    short_help="periksa lalu publikasikan berkas BPMN",
    help="Periksa lalu publikasikan berkas BPMN. FILE: berkas .bpmn, atau id proses dari folder proses / paket SOP.",
)
@click.argument("file")
@click.option("--note", default="", help="catatan versi")
@actor_option(default="sistem")
@pass_cli
def publish(cli: CliContext, file: str, note: str, actor: str) -> int:
    """Validate and publish a BPMN file (or a process id of the catalogue) as a new process version."""
    engine = cli.engine()
    path = resolve_process_file(file, engine.settings.processes_dir)
    version = engine.publish_process(path, actor, note)
    print(f"Dipublikasikan: {version.process_id} versi {version.version} (SHA-256 {version.sha256})")
    return 0


@process_group.command("list", help="daftar versi yang dipublikasikan")
@pass_cli
def list_versions(cli: CliContext) -> int:
    """List the published process versions."""
    engine = cli.engine()
    with engine.db.reading() as session:
        versions = inbox.process_versions(session)
    for v in versions:
        stamp = f"{v['created_at']:%Y-%m-%d %H:%M}"
        print(f"{v['process_id']}  versi {v['version']}  {v['sha256'][:12]}…  {stamp}  {v['note']}")
    if not versions:
        print("Belum ada proses yang dipublikasikan.")
    return 0


@process_group.command("available", help="daftar proses dari folder proses dan paket SOP terpasang")
@pass_cli
def available(cli: CliContext) -> int:
    """List the processes the configured folder and installed SOP packages provide."""
    for item in available_processes(cli.settings.processes_dir):
        print(f"{item['process']:<30} {item['source']:<20} {item['file']}")
    return 0


@process_group.command("diff", help="bandingkan dua versi yang dipublikasikan")
@click.argument("v1", type=int)
@click.argument("v2", type=int)
@process_option
@pass_cli
def diff(cli: CliContext, v1: int, v2: int, process: str) -> int:
    """Print what changed between two published versions, element by element."""
    engine = cli.engine()
    with engine.db.reading() as session:
        changes = inbox.diff_versions(session, process, v1, v2)
    print(f"Perbedaan {process} versi {v1} → {v2}")
    for element in changes["added"]:
        print(f"  + {element} (ditambahkan)")
    for element in changes["removed"]:
        print(f"  - {element} (dihapus)")
    for item in changes["changed"]:
        print(f"  ~ {item['element']} ({item['name'] or '-'})")
        for change in item["changes"]:
            print(f"      {change['property']}: {_shown(change['before'])} → {_shown(change['after'])}")
    for change in changes["process_changes"]:
        print(f"  proses {change['property']}: {_shown(change['before'])} → {_shown(change['after'])}")
    if not (changes["added"] or changes["removed"] or changes["changed"] or changes["process_changes"]):
        print("  Tidak ada perbedaan.")
    return 0


@process_group.command("migrate", help="pindahkan kasus berjalan ke versi yang lebih baru")
@click.option("--to", "to_version", type=int, required=True, help="nomor versi tujuan")
@process_option
@click.option("--dry-run", is_flag=True, help="hanya periksa, tidak mengubah apa pun")
@actor_option(default="admin")
@pass_cli
def migrate(cli: CliContext, to_version: int, process: str, dry_run: bool, actor: str) -> int:
    """Move running cases to a newer version (``--dry-run`` only reports); exit 1 when a case stays behind."""
    rows = cli.engine().migrate_cases(MigrateCases(process, to_version, actor, dry_run=dry_run))
    for row in rows:
        if row["migrated"]:
            state = f"dipindahkan ke versi {to_version}"
        elif row["can_migrate"]:
            state = "dapat dipindahkan (uji coba, tidak ada perubahan)"
        else:
            state = f"tetap: {row['reason']}"
        print(f"{row['case_id']}  {row['periode']}  versi {row['from_version']}  {state}")
    if not rows:
        print(f"Tidak ada kasus berjalan pada versi sebelum {to_version}.")
    return 0 if all(row["can_migrate"] for row in rows) else 1


@click.command(
    "sop-doc",
    short_help="buat dokumen SOP resmi (.docx) dari diagram",
    help="Buat dokumen SOP resmi (.docx) dari diagram. FILE: berkas .bpmn (atau gunakan --version).",
)
@click.argument("file", required=False)
@process_option
@click.option("--version", type=int, help="nomor versi yang dipublikasikan (bawaan: terbaru)")
@click.option("--revised-on", metavar="YYYY-MM-DD", help="tanggal revisi untuk diisikan")
@out_option(help_text="berkas .docx tujuan")
@click.option("--pdf", is_flag=True, help="tulis juga PDF/A-2b di samping .docx (perlu LibreOffice)")
@pass_cli
def sop_doc(
    cli: CliContext,
    file: str | None,
    process: str,
    version: int | None,
    revised_on: str | None,
    out: str,
    pdf: bool,
) -> int:
    """Write the official SOP document (.docx) generated from a BPMN file or a published version."""
    # imported here: the document pulls in python-docx and matplotlib, which no other command needs
    from sopflow.sopdoc.document import render_sop_document
    from sopflow.sopdoc.logo import logo_bytes
    from sopflow.sopdoc.publication import publish_date

    number, published = None, None
    if file:
        definition = load_process_file(file)
        logo = cli.settings.logo_file
    else:
        engine = cli.engine()
        with engine.db.reading() as session:
            row = store.version_of(session, process, version)
            definition = store.definition_of(row)
            number, published = row.version, publish_date(row.created_at, engine.settings.timezone)
        logo = engine.settings.logo_file
    revised = date.fromisoformat(revised_on) if revised_on else published
    data = render_sop_document(definition, revised_on=revised, version=number, logo=logo_bytes(logo))
    Path(out).write_bytes(data)
    print(f"Dokumen SOP {definition.properties.get('sop.nomor', definition.process_id)} ditulis ke {out}.")
    return _sop_pdf(data, Path(out).with_suffix(".pdf")) if pdf else 0


def _sop_pdf(docx: bytes, target: Path) -> int:
    """Write the PDF/A-2b of the SOP document beside its .docx (LibreOffice, here in the CLI: no request waits)."""
    try:
        target.write_bytes(docx_to_pdf(docx))
    except (PdfUnavailable, PdfConversionFailed) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(f"PDF/A-2b dokumen SOP ditulis ke {target}.")
    return 0


def _shown(value: str | None) -> str:
    return "(kosong)" if value is None else repr(value) if "\n" in value else value
