"""The ``sopflow`` command: validate, demo, process, start, tasks, complete, users, archive, db.

Every subcommand calls the same engine commands and queries as the web app.
Exit status: 0 success, 1 a sopflow error (message printed), 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import handlers  # noqa: F401 - registers every handler
from sopflow.access.tokens import issue_token
from sopflow.access.users import add_user
from sopflow.cli_catalog import add_catalog_commands
from sopflow.cli_jobs import add_job_commands
from sopflow.cli_process import add_process_commands
from sopflow.cli_records import add_record_commands
from sopflow.cli_records import engine_from_args as _engine
from sopflow.cli_users import add_user_commands
from sopflow.demo import DEMO_PASSWORD, load_script, run_demo, script_process_file
from sopflow.engine.commands import ClaimTask, CompleteUserTask, RetryFailedStep, StartInstance, UnclaimTask, Upload
from sopflow.errors import InvalidForm, InvalidProcess, SopflowError
from sopflow.logs import configure_logging
from sopflow.persistence.db import UPGRADE_COMMAND, Database
from sopflow.plugins.process_catalog import resolve_process_file
from sopflow.process.spec_loader import load_process_file
from sopflow.queries import inbox
from sopflow.settings import Settings

Handler = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        settings = Settings.from_env(data_dir=getattr(args, "data_dir", None))
        configure_logging(settings.log_format, settings.log_level)
        return args.run(args)
    except InvalidForm as exc:
        print(f"Galat: {exc.message}", file=sys.stderr)
        for err in exc.errors:
            print(f"  - {err.get('field') or '(formulir)'}: {err['message']}", file=sys.stderr)
        return 1
    except InvalidProcess as exc:
        print(exc.message, file=sys.stderr)
        return 1
    except SopflowError as exc:
        print(f"Galat: {exc.message}", file=sys.stderr)
        return 1


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate BPMN files; print every problem with its element id."""
    status = 0
    processes_dir = Settings.from_env().processes_dir
    for name in args.files:
        try:
            definition = load_process_file(resolve_process_file(name, processes_dir))
        except InvalidProcess as exc:
            status = 1
            print(exc.message)
            continue
        print(f"{name}: sah — proses {definition.process_id} ({definition.name}), SHA-256 {definition.sha256[:12]}…")
    return status


def cmd_demo(args: argparse.Namespace) -> int:
    """Play a whole case with sample data and export its documents."""
    settings = Settings.from_env(data_dir=args.data_dir)
    if args.reset:
        if not settings.database_url.startswith("sqlite"):
            print("Galat: --reset hanya untuk basis data SQLite bawaan; DATABASE_URL diatur.", file=sys.stderr)
            return 1
        shutil.rmtree(settings.data_dir, ignore_errors=True)
    script_path = Path(args.script) if args.script else settings.samples_dir / "monev_kinerja" / "demo.json"
    script = load_script(script_path)
    script_process_file(script, settings.processes_dir)
    engine = _engine(args)
    with engine.db.reading() as session:
        existing = [c for c in inbox.cases(session, script["process_id"]) if c["periode"] == script["periode"]]
    if existing:
        print(
            f"Galat: periode {script['periode']} sudah memiliki kasus di basis data ini ({existing[0]['case_id']}). "
            "Jalankan dengan --reset untuk memulai basis data demo yang baru.",
            file=sys.stderr,
        )
        return 1
    result = run_demo(engine, script, Path(args.out))
    print(f"\nStatus kasus: {result.status}")
    print(f"Dokumen diekspor ke {Path(args.out).resolve()}:")
    for path in result.exported:
        print(f"  {path}")
    with engine.db.reading() as session:
        for entry in inbox.archive_entries(session, result.case_id):
            meta = entry["meta"]
            print(
                f"Arsip: {entry['filename']} SHA-256 {entry['sha256']} retensi s.d. {meta.get('retensi_sampai', '-')}"
            )
    print(f"Akun demo (kata sandi '{DEMO_PASSWORD}'): {', '.join(u['username'] for u in script.get('users', []))}")
    return 0 if result.status == "selesai" else 1


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Bring the database schema to the newest migration (the only command that migrates outside embedded mode)."""
    db = Database(Settings.from_env(data_dir=args.data_dir).database_url)
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


def cmd_db_current(args: argparse.Namespace) -> int:
    """Print the database's revision and the newest one; exit 1 when the schema is behind."""
    db = Database(Settings.from_env(data_dir=args.data_dir).database_url)
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


def cmd_process_publish(args: argparse.Namespace) -> int:
    """Validate and publish a BPMN file as a new process version."""
    engine = _engine(args)
    path = resolve_process_file(args.file, engine.settings.processes_dir)  # a file, or a process id
    version = engine.publish_process(path, args.actor, args.note)
    print(f"Dipublikasikan: {version.process_id} versi {version.version} (SHA-256 {version.sha256})")
    return 0


def cmd_start(args: argparse.Namespace) -> int:
    """Start a case with start data from a JSON file."""
    data = json.loads(Path(args.data).read_text(encoding="utf-8")) if args.data else {}
    data = {k: v for k, v in data.items() if k in args.keys} if args.keys else data
    outcome = _engine(args).start_instance(StartInstance(args.process, args.actor, args.periode, data))
    _print_outcome(outcome)
    return 0


def cmd_tasks(args: argparse.Namespace) -> int:
    """List the ready tasks of a user."""
    engine = _engine(args)
    with engine.db.reading() as session:
        tasks = inbox.tasks_for_user(session, args.user)
    for t in tasks:
        unit = f" [{t.unit or t.label}]" if (t.unit or t.label) else ""
        claim = f" (diklaim {t.claimed_by})" if t.claimed_by else ""
        print(f"{t.task_id}  {t.periode}  langkah {t.step or '-'}  {t.name}{unit}  tenggat {t.due_at}{claim}")
    if not tasks:
        print("Tidak ada tugas.")
    return 0


def cmd_claim(args: argparse.Namespace) -> int:
    """Claim or release a task."""
    engine = _engine(args)
    if args.release:
        row = engine.unclaim_task(UnclaimTask(args.task, args.actor))
    else:
        row = engine.claim_task(ClaimTask(args.task, args.actor))
    print(f"Tugas {row['name']}: {'diklaim oleh ' + row['claimed_by'] if row['claimed_by'] else 'dilepas'}")
    return 0


def cmd_complete(args: argparse.Namespace) -> int:
    """Complete a task with JSON data and files (``--file field=path``)."""
    data = json.loads(args.data) if args.data else {}
    uploads = {}
    for spec in args.file or []:
        field, _, path = spec.partition("=")
        uploads[field] = Upload(Path(path).name, Path(path).read_bytes())
    outcome = _engine(args).complete_user_task(CompleteUserTask(args.task, args.actor, data, uploads))
    _print_outcome(outcome)
    return 0 if outcome.failure is None else 1


def cmd_retry(args: argparse.Namespace) -> int:
    """Retry the failed step of a case, optionally correcting data first."""
    patch = json.loads(args.data) if args.data else {}
    outcome = _engine(args).retry_failed_step(RetryFailedStep(args.case, args.actor, patch))
    _print_outcome(outcome)
    return 0 if outcome.failure is None else 1


def cmd_case(args: argparse.Namespace) -> int:
    """Show a case: status, tasks, documents."""
    engine = _engine(args)
    with engine.db.reading() as session:
        summary = inbox.case_summary(session, args.case)
        tasks = inbox.tasks_of_case(session, args.case)
        documents = inbox.documents_of_case(session, args.case)
    print(
        json.dumps({"kasus": summary, "tugas": tasks, "dokumen": documents}, default=str, indent=2, ensure_ascii=False)
    )
    return 0


def cmd_users_add(args: argparse.Namespace) -> int:
    """Create a user; a password is generated when none is given."""
    engine = _engine(args)
    password = args.password or secrets.token_urlsafe(12)
    with engine.db.unit_of_work() as session:
        add_user(
            session,
            args.username,
            password,
            args.lane,
            args.bidang,
            args.role or ["aktor"],
            args.name or "",
            lead_lanes=args.lead,
        )
    print(f"Pengguna {args.username} dibuat." + ("" if args.password else f" Kata sandi: {password}"))
    return 0


def cmd_users_token(args: argparse.Namespace) -> int:
    """Issue a bearer token for the REST API (printed once), valid ``--days`` days (default API_TOKEN_DAYS)."""
    engine = _engine(args)
    days = args.days or engine.settings.api_token_days
    with engine.db.unit_of_work() as session:
        token = issue_token(session, args.username, days, engine.clock())
    print(token)
    print(f"Berlaku {days} hari; simpan sekarang, token ini tidak dapat ditampilkan lagi.", file=sys.stderr)
    return 0


def cmd_escalate(args: argparse.Namespace) -> int:
    """Escalate overdue tasks once (``sopflow serve`` does this periodically)."""
    escalated = _engine(args).escalate_overdue()
    for item in escalated:
        print(f"Tugas {item['task_id']} (lane {item['lane']}) terlambat → dieskalasi ke {item['to'] or '-'}")
    print(f"{len(escalated)} tugas dieskalasi.")
    return 0


def _print_outcome(outcome: Any) -> None:
    print(f"Kasus {outcome.case_id}: {outcome.status}")
    for t in outcome.open_tasks:
        unit = f" [{t['unit'] or t['label']}]" if (t["unit"] or t["label"]) else ""
        print(f"  siap: {t['task_id']}  langkah {t['step'] or '-'}  {t['name']}{unit}  lane {t['lane']}")
    if outcome.failure:
        print(f"  GAGAL di {outcome.failure['element_id']}: {outcome.failure['message']}")


def cmd_process_list(args: argparse.Namespace) -> int:
    """List the published process versions."""
    engine = _engine(args)
    with engine.db.reading() as session:
        versions = inbox.process_versions(session)
    for v in versions:
        stamp = f"{v['created_at']:%Y-%m-%d %H:%M}"
        print(f"{v['process_id']}  versi {v['version']}  {v['sha256'][:12]}…  {stamp}  {v['note']}")
    if not versions:
        print("Belum ada proses yang dipublikasikan.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the CLI's argument parser (the web layer adds its ``serve`` command to it)."""
    return _parser()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sopflow", description="Menjalankan SOP sebagai proses BPMN.")
    parser.add_argument("--data-dir", help="folder data (bawaan ./var atau SOPFLOW_DATA_DIR)")
    sub = parser.add_subparsers()

    def add(group: Any, name: str, func: Handler, help_text: str) -> argparse.ArgumentParser:
        p = group.add_parser(name, help=help_text)
        p.set_defaults(run=func)
        return p

    def group(name: str, help_text: str) -> Any:
        return sub.add_parser(name, help=help_text).add_subparsers()

    p = add(sub, "validate", cmd_validate, "periksa berkas BPMN")
    p.add_argument("files", nargs="+")
    p = add(sub, "demo", cmd_demo, "jalankan satu kasus lengkap dengan data contoh")
    p.add_argument("--out", default="demo-output")
    p.add_argument("--script", help="skenario demo (bawaan: samples/monev_kinerja/demo.json dari paket)")
    p.add_argument("--reset", action="store_true", help="hapus basis data SQLite demo sebelum mulai")
    db_group = group("db", "basis data")
    add(db_group, "upgrade", cmd_db_upgrade, "mutakhirkan skema basis data (migrasi Alembic)")
    add(db_group, "current", cmd_db_current, "tampilkan revisi skema basis data dan revisi terbaru")
    process = group("process", "versi proses")
    p = add(process, "publish", cmd_process_publish, "periksa lalu publikasikan berkas BPMN")
    p.add_argument("file", help="berkas .bpmn, atau id proses dari folder proses / paket SOP terpasang")
    p.add_argument("--note", default="")
    p.add_argument("--actor", default="sistem")
    add(process, "list", cmd_process_list, "daftar versi yang dipublikasikan")
    add_process_commands(process, add)
    add_catalog_commands(sub, process, add)
    p = add(sub, "start", cmd_start, "mulai kasus")
    p.add_argument("process")
    p.add_argument("--periode", required=True)
    p.add_argument("--actor", required=True)
    p.add_argument("--data", help="berkas JSON data awal")
    p.add_argument("--keys", nargs="*", help="ambil hanya kunci ini dari berkas data")
    p = add(sub, "tasks", cmd_tasks, "daftar tugas pengguna")
    p.add_argument("user")
    p = add(sub, "claim", cmd_claim, "klaim (atau --release) tugas")
    p.add_argument("task")
    p.add_argument("--actor", required=True)
    p.add_argument("--release", action="store_true")
    p = add(sub, "complete", cmd_complete, "selesaikan tugas")
    p.add_argument("task")
    p.add_argument("--actor", required=True)
    p.add_argument("--data", help="data formulir (JSON)")
    p.add_argument("--file", action="append", help="unggahan: isian=path")
    p = add(sub, "retry", cmd_retry, "ulangi langkah yang gagal")
    p.add_argument("case")
    p.add_argument("--actor", required=True)
    p.add_argument("--data", help="koreksi data (JSON)")
    p = add(sub, "case", cmd_case, "tampilkan kasus")
    p.add_argument("case")
    users = group("users", "pengguna")
    p = add(users, "token", cmd_users_token, "buat token API (Bearer) untuk pengguna")
    p.add_argument("username")
    p.add_argument("--days", type=int, help="masa berlaku dalam hari (bawaan API_TOKEN_DAYS, 90)")
    add_user_commands(users, add)
    add(sub, "escalate", cmd_escalate, "eskalasi tugas yang melewati tenggat (sekali jalan)")
    p = add(users, "add", cmd_users_add, "tambah pengguna")
    p.add_argument("username")
    p.add_argument("--lead", action="append", default=[], help="lane yang dikepalai (boleh mengalihkan tugas)")
    p.add_argument("--lane", action="append", default=[])
    p.add_argument("--bidang", action="append", default=[])
    p.add_argument("--role", action="append")
    p.add_argument("--name")
    p.add_argument("--password")
    add_record_commands(sub, add, group)
    add_job_commands(sub, add, group)
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
