"""CLI commands about where SOPs come from: ``new-sop`` (scaffold a package) and ``process available``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sopflow.plugins.process_catalog import available_processes
from sopflow.plugins.scaffold import new_sop
from sopflow.settings import Settings


def cmd_new_sop(args: argparse.Namespace) -> int:
    """Write a new SOP package (diagram, forms, handler, test) to ``--dir``."""
    root = new_sop(args.name, Path(args.dir))
    print(f"SOP {args.name} dibuat di {root}.")
    print(f"Pasang dengan `pip install -e {root}`, lalu `sopflow validate {args.name}`.")
    return 0


def cmd_process_available(args: argparse.Namespace) -> int:
    """List the processes the configured folder and installed SOP packages provide."""
    settings = Settings.from_env(data_dir=getattr(args, "data_dir", None))
    for item in available_processes(settings.processes_dir):
        print(f"{item['process']:<30} {item['source']:<20} {item['file']}")
    return 0


def add_catalog_commands(sub: Any, process: Any, add: Any) -> None:
    """Register ``new-sop`` on the top level and ``process available`` on the ``process`` group."""
    p = add(sub, "new-sop", cmd_new_sop, "buat paket SOP baru (diagram, formulir, handler, uji)")
    p.add_argument("name", help="nama SOP, huruf kecil dan garis bawah, mis. cuti_pegawai")
    p.add_argument("--dir", default=".", help="folder tempat paket dibuat (bawaan: folder ini)")
    add(process, "available", cmd_process_available, "daftar proses dari folder proses dan paket SOP terpasang")
