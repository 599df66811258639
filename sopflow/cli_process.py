"""CLI commands about process versions: ``process diff`` and ``process migrate``."""

from __future__ import annotations

import argparse
from typing import Any

from sopflow.cli_records import engine_from_args
from sopflow.engine.commands import MigrateCases
from sopflow.queries import inbox


def cmd_process_diff(args: argparse.Namespace) -> int:
    """Print what changed between two published versions, element by element."""
    engine = engine_from_args(args)
    with engine.db.reading() as session:
        diff = inbox.diff_versions(session, args.process, args.v1, args.v2)
    print(f"Perbedaan {args.process} versi {args.v1} → {args.v2}")
    for element in diff["added"]:
        print(f"  + {element} (ditambahkan)")
    for element in diff["removed"]:
        print(f"  - {element} (dihapus)")
    for item in diff["changed"]:
        print(f"  ~ {item['element']} ({item['name'] or '-'})")
        for change in item["changes"]:
            print(f"      {change['property']}: {_shown(change['before'])} → {_shown(change['after'])}")
    for change in diff["process_changes"]:
        print(f"  proses {change['property']}: {_shown(change['before'])} → {_shown(change['after'])}")
    if not (diff["added"] or diff["removed"] or diff["changed"] or diff["process_changes"]):
        print("  Tidak ada perbedaan.")
    return 0


def cmd_process_migrate(args: argparse.Namespace) -> int:
    """Move running cases to a newer version (``--dry-run`` only reports); exit 1 when a case stays behind."""
    engine = engine_from_args(args)
    rows = engine.migrate_cases(MigrateCases(args.process, args.to, args.actor, dry_run=args.dry_run))
    for row in rows:
        if row["migrated"]:
            state = f"dipindahkan ke versi {args.to}"
        elif row["can_migrate"]:
            state = "dapat dipindahkan (uji coba, tidak ada perubahan)"
        else:
            state = f"tetap: {row['reason']}"
        print(f"{row['case_id']}  {row['periode']}  versi {row['from_version']}  {state}")
    if not rows:
        print(f"Tidak ada kasus berjalan pada versi sebelum {args.to}.")
    return 0 if all(row["can_migrate"] for row in rows) else 1


def add_process_commands(process: Any, add: Any) -> None:
    """Register ``process diff`` and ``process migrate`` on the ``process`` group's subparsers."""
    p = add(process, "diff", cmd_process_diff, "bandingkan dua versi yang dipublikasikan")
    p.add_argument("v1", type=int)
    p.add_argument("v2", type=int)
    p.add_argument("--process", default="monev_kinerja")
    p = add(process, "migrate", cmd_process_migrate, "pindahkan kasus berjalan ke versi yang lebih baru")
    p.add_argument("--to", type=int, required=True)
    p.add_argument("--process", default="monev_kinerja")
    p.add_argument("--dry-run", action="store_true", help="hanya periksa, tidak mengubah apa pun")
    p.add_argument("--actor", default="admin")


def _shown(value: str | None) -> str:
    return "(kosong)" if value is None else repr(value) if "\n" in value else value
