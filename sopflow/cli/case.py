"""``sopflow case``: start a case, list and claim tasks, complete them, retry a failed step, show a case.

Every command calls the same engine commands and queries as the web app.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from sopflow.cli.context import CliContext, pass_cli
from sopflow.cli.options import ManyValuesOption, actor_option, case_argument, json_data_option, task_argument
from sopflow.engine.commands import ClaimTask, CompleteUserTask, RetryFailedStep, StartInstance, UnclaimTask, Upload
from sopflow.queries import inbox


@click.group("case", help="kasus: mulai, tugas, klaim, selesaikan, ulangi, tampilkan")
def case_group() -> None:
    """Group the commands that work on one case or its tasks."""


@case_group.command("start", help="mulai kasus")
@click.argument("process")
@click.option("--periode", required=True, help="periode kasus, mis. 2026-TW4")
@actor_option()
@click.option("--data", metavar="FILE", help="berkas JSON data awal")
@click.option(
    "--keys", cls=ManyValuesOption, help="ambil hanya kunci ini dari berkas data (satu atau lebih: --keys a b)"
)
@pass_cli
def start(cli: CliContext, process: str, periode: str, actor: str, data: str | None, keys: tuple[str, ...]) -> int:
    """Start a case with start data from a JSON file (``--keys`` keeps only those keys)."""
    values = json.loads(Path(data).read_text(encoding="utf-8")) if data else {}
    values = {k: v for k, v in values.items() if k in keys} if keys else values
    outcome = cli.engine().start_instance(StartInstance(process, actor, periode, values))
    print_outcome(outcome)
    return 0


@case_group.command("tasks", help="daftar tugas pengguna")
@click.argument("user")
@pass_cli
def tasks(cli: CliContext, user: str) -> int:
    """List the ready tasks of a user."""
    engine = cli.engine()
    with engine.db.reading() as session:
        rows = inbox.tasks_for_user(session, user)
    for t in rows:
        unit = f" [{t.unit or t.label}]" if (t.unit or t.label) else ""
        claim = f" (diklaim {t.claimed_by})" if t.claimed_by else ""
        print(f"{t.task_id}  {t.periode}  langkah {t.step or '-'}  {t.name}{unit}  tenggat {t.due_at}{claim}")
    if not rows:
        print("Tidak ada tugas.")
    return 0


@case_group.command("claim", help="klaim (atau --release) tugas")
@task_argument
@actor_option()
@click.option("--release", is_flag=True, help="lepas klaim tugas")
@pass_cli
def claim(cli: CliContext, task: str, actor: str, release: bool) -> int:
    """Claim or release a task."""
    engine = cli.engine()
    row = engine.unclaim_task(UnclaimTask(task, actor)) if release else engine.claim_task(ClaimTask(task, actor))
    print(f"Tugas {row['name']}: {'diklaim oleh ' + row['claimed_by'] if row['claimed_by'] else 'dilepas'}")
    return 0


@case_group.command("complete", help="selesaikan tugas")
@task_argument
@actor_option()
@json_data_option("data formulir (JSON)")
@click.option("--file", "files", multiple=True, metavar="FIELD=PATH", help="unggahan: isian=path (boleh berulang)")
@pass_cli
def complete(cli: CliContext, task: str, actor: str, data: str | None, files: tuple[str, ...]) -> int:
    """Complete a task with JSON data and files (``--file field=path``); exit 1 when a step fails."""
    values = json.loads(data) if data else {}
    uploads = {}
    for spec in files:
        field, _, path = spec.partition("=")
        uploads[field] = Upload(Path(path).name, Path(path).read_bytes())
    outcome = cli.engine().complete_user_task(CompleteUserTask(task, actor, values, uploads))
    print_outcome(outcome)
    return 0 if outcome.failure is None else 1


@case_group.command("retry", help="ulangi langkah yang gagal")
@case_argument
@actor_option()
@json_data_option("koreksi data (JSON)")
@pass_cli
def retry(cli: CliContext, case: str, actor: str, data: str | None) -> int:
    """Retry the failed step of a case, optionally correcting data first; exit 1 when it fails again."""
    patch = json.loads(data) if data else {}
    outcome = cli.engine().retry_failed_step(RetryFailedStep(case, actor, patch))
    print_outcome(outcome)
    return 0 if outcome.failure is None else 1


@case_group.command("show", help="tampilkan kasus: status, tugas dengan tenggat, dokumen")
@case_argument
@pass_cli
def show(cli: CliContext, case: str) -> int:
    """Show a case as JSON: status, tasks, documents."""
    engine = cli.engine()
    with engine.db.reading() as session:
        summary = inbox.case_summary(session, case)
        task_rows = inbox.tasks_of_case(session, case)
        documents = inbox.documents_of_case(session, case)
    print(
        json.dumps(
            {"kasus": summary, "tugas": task_rows, "dokumen": documents}, default=str, indent=2, ensure_ascii=False
        )
    )
    return 0


def print_outcome(outcome: Any) -> None:
    """Print a command's outcome: the case's status, its ready tasks and a failed step."""
    print(f"Kasus {outcome.case_id}: {outcome.status}")
    for t in outcome.open_tasks:
        unit = f" [{t['unit'] or t['label']}]" if (t["unit"] or t["label"]) else ""
        print(f"  siap: {t['task_id']}  langkah {t['step'] or '-'}  {t['name']}{unit}  lane {t['lane']}")
    if outcome.failure:
        print(f"  GAGAL di {outcome.failure['element_id']}: {outcome.failure['message']}")
