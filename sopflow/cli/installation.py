"""Commands about the installation itself: ``validate``, ``demo`` and ``new-sop``."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from sopflow.cli.context import CliContext, pass_cli
from sopflow.cli.options import out_option
from sopflow.demo import DEMO_PASSWORD, load_script, run_demo, script_process_file
from sopflow.errors import InvalidProcess
from sopflow.plugins.process_catalog import resolve_process_file
from sopflow.plugins.scaffold import new_sop
from sopflow.process.spec_loader import load_process_file
from sopflow.queries import inbox


@click.command("validate", help="periksa berkas BPMN (berkas .bpmn atau id proses)")
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@pass_cli
def validate(cli: CliContext, files: tuple[str, ...]) -> int:
    """Validate BPMN files (or process ids); print every problem with its element id, exit 1 when one is invalid."""
    status = 0
    processes_dir = cli.settings.processes_dir
    for name in files:
        try:
            definition = load_process_file(resolve_process_file(name, processes_dir))
        except InvalidProcess as exc:
            status = 1
            print(exc.message)
            continue
        print(f"{name}: sah — proses {definition.process_id} ({definition.name}), SHA-256 {definition.sha256[:12]}…")
    return status


@click.command("demo", help="jalankan satu kasus lengkap dengan data contoh")
@out_option(default="demo-output", help_text="folder dokumen yang diekspor")
@click.option("--script", help="skenario demo (bawaan: samples/monev_kinerja/demo.json dari paket)")
@click.option("--reset", is_flag=True, help="hapus basis data SQLite demo sebelum mulai")
@pass_cli
def demo(cli: CliContext, out: str, script: str | None, reset: bool) -> int:
    """Play a whole case with sample data and export its documents; exit 1 unless the case ends ``selesai``."""
    settings = cli.settings
    if reset:
        if not settings.database_url.startswith("sqlite"):
            print("Galat: --reset hanya untuk basis data SQLite bawaan; DATABASE_URL diatur.", file=sys.stderr)
            return 1
        shutil.rmtree(settings.data_dir, ignore_errors=True)
    scenario = load_script(Path(script) if script else settings.samples_dir / "monev_kinerja" / "demo.json")
    script_process_file(scenario, settings.processes_dir)
    engine = cli.engine()
    with engine.db.reading() as session:
        existing = [c for c in inbox.cases(session, scenario["process_id"]) if c["periode"] == scenario["periode"]]
    if existing:
        print(
            f"Galat: periode {scenario['periode']} sudah memiliki kasus di basis data ini ({existing[0]['case_id']}). "
            "Jalankan dengan --reset untuk memulai basis data demo yang baru.",
            file=sys.stderr,
        )
        return 1
    result = run_demo(engine, scenario, Path(out))
    print(f"\nStatus kasus: {result.status}")
    print(f"Dokumen diekspor ke {Path(out).resolve()}:")
    for path in result.exported:
        print(f"  {path}")
    with engine.db.reading() as session:
        for entry in inbox.archive_entries(session, result.case_id):
            meta = entry["meta"]
            print(
                f"Arsip: {entry['filename']} SHA-256 {entry['sha256']} retensi s.d. {meta.get('retensi_sampai', '-')}"
            )
    print(f"Akun demo (kata sandi '{DEMO_PASSWORD}'): {', '.join(u['username'] for u in scenario.get('users', []))}")
    return 0 if result.status == "selesai" else 1


@click.command(
    "new-sop",
    short_help="buat paket SOP baru (diagram, formulir, handler, uji)",
    help="Buat paket SOP baru (diagram, formulir, handler, uji). NAME: nama SOP, huruf kecil dan garis bawah, "
    "mis. cuti_pegawai.",
)
@click.argument("name")
@click.option("--dir", "folder", default=".", help="folder tempat paket dibuat (bawaan: folder ini)")
def new_sop_command(name: str, folder: str) -> int:
    """Write a new SOP package (diagram, forms, handler, test) for NAME (lower case and underscores) to ``--dir``."""
    root = new_sop(name, Path(folder))
    print(f"SOP {name} dibuat di {root}.")
    print(f"Pasang dengan `pip install -e {root}`, lalu `sopflow validate {name}`.")
    return 0
