"""How the inbox request grows with the database: 10 cases versus 10,000 cases (50,000 task rows).

Measures the two ways a user reads "Tugas saya" — the HTML page ``GET /`` and the REST API
``GET /api/v1/tasks`` — through the Flask test client, for one user (``kasi_monev``, lane
Kepala Seksi) who sees the same 20 tasks in both databases. Prints the median per request
and the ratio large/small (target ≤ 1.3). Runs on a temporary SQLite file and, when
``DATABASE_URL`` is set, on that PostgreSQL database too (a scratch database: its sopflow
tables are emptied before and after; a database that already holds cases is refused
unless ``--wipe`` is given). Nothing here asserts on time: it prints figures.

How the databases are filled: one real case is played through the engine up to step 5
(five ready "Melaksanakan monitoring" tasks of the Kepala Seksi); its ``cases`` row and its
``human_tasks`` rows are the templates. Copies are written with SQLAlchemy core ``insert()``
in batches (the inbox reads only the projection tables; audit events and documents are
not copied).

- 10 cases: the real case and 3 copies waiting at step 5 (4 × 5 = 20 visible tasks), and
  6 finished copies (all rows completed).
- 10,000 cases, 50,000 task rows: the same 10, plus 9,990 copies: every tenth waits at
  step 2 (five ready Kepala Bidang tasks, one per Bidang — other lane and units), the rest
  are finished (their rows, completed, include Kepala Seksi rows of the user's own lane).

Usage: ``.venv/bin/python bench/bench_inbox.py [--requests 200] [--warmup 20] [--explain] [--wipe]``.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from common import ROOT, backends, empty_tables, median_ms, prepare
from sqlalchemy import event, func, insert, select, text

import handlers  # noqa: F401 - registers the real handlers
from sopflow import CompleteUserTask, Database, Engine, Settings, StartInstance, Upload
from sopflow.access.tokens import issue_token
from sopflow.demo import DEMO_PASSWORD, ensure_users, load_script
from sopflow.persistence.models import Case, HumanTask
from sopflow.queries import inbox
from webapp import create_app

SCRIPT = ROOT / "samples" / "monev_kinerja" / "demo.json"
USER = "kasi_monev"
VISIBLE = 20
SMALL_CASES = 10
LARGE_CASES = 10_000
LARGE_ROWS = 50_000
TARGET = 1.3
BATCH = 500
WAITING_ELEMENT = "langkah05_monitoring"
REQUESTS = {"GET / (HTML)": "html", "GET /api/v1/tasks": "api"}


# -- the template case ----------------------------------------------------------------------------
def play_real_case(engine: Engine) -> str:
    """Publish the SOP, create the demo users and play one real case until step 5 waits; return its id."""
    script = load_script(SCRIPT)
    engine.publish_process(ROOT / script["process_file"], "sistem", "versi bench")
    ensure_users(engine, script)
    data = json.loads((script["_base"] / script["start"]["data_file"]).read_text(encoding="utf-8"))
    start = {key: data[key] for key in script["start"]["data_keys"]}
    outcome = engine.start_instance(StartInstance(script["process_id"], script["start"]["actor"], "2026-TW3", start))
    for step in script["steps"]:
        if any(t["element_id"] == WAITING_ELEMENT for t in outcome.open_tasks):
            break
        task = next(
            t
            for t in outcome.open_tasks
            if t["element_id"] == step["element"] and step.get("unit") in (None, t["unit"], t["label"])
        )
        uploads = {
            name: Upload(Path(file).name, (script["_base"] / file).read_bytes())
            for name, file in step.get("uploads", {}).items()
        }
        outcome = engine.complete_user_task(CompleteUserTask(task["task_id"], step["actor"], step["data"], uploads))
    if not any(t["element_id"] == WAITING_ELEMENT for t in outcome.open_tasks):
        raise SystemExit(f"the template case never reached {WAITING_ELEMENT}")
    return outcome.case_id


def templates(db: Database, case_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Return the real case's ``cases`` row and ``human_tasks`` rows as plain dicts (core select)."""
    with db.engine.connect() as conn:
        case = dict(conn.execute(select(Case.__table__).where(Case.id == case_id)).mappings().one())
        rows = [
            dict(r)
            for r in conn.execute(
                select(HumanTask.__table__).where(HumanTask.case_id == case_id).order_by(HumanTask.ready_at)
            ).mappings()
        ]
    return case, rows


class Copier:
    """Makes copies of the template rows: new ids and periode, status and task states set per kind."""

    def __init__(self, case: dict[str, Any], rows: list[dict[str, Any]]) -> None:
        self.case = case
        self.rows = rows
        self.waiting5 = [r for r in rows if r["element_id"] == WAITING_ELEMENT]
        self.step1 = [r for r in rows if r["step"] == 1]
        self.step2 = [r for r in rows if r["step"] == 2]
        self.serial = 0

    def _case(self, status: str, age_days: int) -> dict[str, Any]:
        self.serial += 1
        n = self.serial
        started = self.case["started_at"] - timedelta(days=age_days)
        row = dict(self.case)
        row.update(
            id=uuid.uuid4().hex,
            periode=f"{3000 + n // 4:04d}-TW{n % 4 + 1}",
            status=status,
            started_at=started,
            updated_at=started + timedelta(days=20),
            completed_at=started + timedelta(days=20) if status == "selesai" else None,
        )
        return row

    @staticmethod
    def _task(template: dict[str, Any], case_id: str, state: str, shift: timedelta) -> dict[str, Any]:
        row = dict(template)
        row.update(id=str(uuid.uuid4()), case_id=case_id, state=state, escalated_at=None, escalated_to=None)
        row["ready_at"] = template["ready_at"] - shift
        row["due_at"] = template["due_at"] - shift if template["due_at"] else None
        if state == "ready":
            row.update(claimed_by=None, claimed_at=None, completed_at=None, completed_by=None)
        else:
            done = row["due_at"] or row["ready_at"]
            row.update(completed_at=done, completed_by=template["completed_by"] or USER)
        return row

    def waiting_at_step5(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """A running case like the template: its step-5 tasks ready (visible to the user)."""
        case = self._case("berjalan", 0)
        return case, [
            self._task(r, case["id"], "ready" if r in self.waiting5 else "completed", timedelta(0)) for r in self.rows
        ]

    def waiting_at_step2(self, age_days: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """A running case at step 2: five ready Kepala Bidang tasks (other lane, with units)."""
        case = self._case("berjalan", age_days)
        shift = timedelta(days=age_days)
        rows = [self._task(r, case["id"], "completed", shift) for r in self.step1]
        return case, rows + [self._task(r, case["id"], "ready", shift) for r in self.step2]

    def finished(self, n_rows: int, age_days: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """A finished case with ``n_rows`` completed task rows taken round the template's rows."""
        case = self._case("selesai", age_days)
        shift = timedelta(days=age_days)
        start = self.serial % len(self.rows)
        chosen = [self.rows[(start + k) % len(self.rows)] for k in range(n_rows)]
        return case, [self._task(r, case["id"], "completed", shift) for r in chosen]


def bulk_insert(db: Database, items: Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]) -> tuple[int, int]:
    """Write (case, task rows) pairs with core ``insert()`` in batches; return (cases, rows) written."""
    n_cases = n_rows = 0
    cases: list[dict[str, Any]] = []
    tasks: list[dict[str, Any]] = []

    def flush() -> None:
        if not cases:
            return
        with db.engine.begin() as conn:
            conn.execute(insert(Case.__table__), cases)
            if tasks:
                conn.execute(insert(HumanTask.__table__), tasks)
        cases.clear()
        tasks.clear()

    for case, rows in items:
        cases.append(case)
        tasks.extend(rows)
        n_cases += 1
        n_rows += len(rows)
        if len(cases) >= BATCH:
            flush()
    flush()
    return n_cases, n_rows


def small_set(copier: Copier) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    for _ in range(VISIBLE // len(copier.waiting5) - 1):
        yield copier.waiting_at_step5()
    for _ in range(SMALL_CASES - VISIBLE // len(copier.waiting5)):
        yield copier.finished(len(copier.rows), 100)


def large_set(copier: Copier, have_cases: int, have_rows: int) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    extra_cases = LARGE_CASES - have_cases
    running = extra_cases // 10
    finished = extra_cases - running
    rows_left = LARGE_ROWS - have_rows - running * (len(copier.step1) + len(copier.step2))
    per_case, bonus = divmod(rows_left, finished)
    done = 0
    for i in range(extra_cases):
        age = 30 + i // 4
        if i % 10 == 0:
            yield copier.waiting_at_step2(age)
        else:
            yield copier.finished(per_case + (1 if done < bonus else 0), age)
            done += 1


def counts(db: Database) -> tuple[int, int, int]:
    """Return (cases, task rows, tasks visible to the user)."""
    with db.reading() as session:
        n_cases = session.scalar(select(func.count()).select_from(Case))
        n_rows = session.scalar(select(func.count()).select_from(HumanTask))
        visible = len(inbox.tasks_for_user(session, USER))
    return int(n_cases or 0), int(n_rows or 0), visible


# -- measuring ----------------------------------------------------------------------------------------
def measure(app: Any, token: str, warmup: int, n: int) -> dict[str, float]:
    """Median milliseconds of the HTML inbox and the API task list; checks both show the user's 20 tasks."""
    client = app.test_client()
    login = client.post("/masuk", data={"username": USER, "password": DEMO_PASSWORD})
    if login.status_code != 302:
        raise SystemExit(f"login as {USER} failed: HTTP {login.status_code}")
    headers = {"Authorization": f"Bearer {token}"}

    def html() -> int:
        response = client.get("/")
        if response.status_code != 200:
            raise SystemExit(f"GET / answered {response.status_code}")
        return len(re.findall(rb'data-testid="task-row"', response.data))

    def api() -> int:
        response = client.get("/api/v1/tasks", headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"GET /api/v1/tasks answered {response.status_code}")
        return len(response.get_json()["tasks"])

    for name, call in (("html", html), ("api", api)):
        if call() != VISIBLE:
            raise SystemExit(f"{name}: the user should see {VISIBLE} tasks, sees {call()}")
    return {"html": median_ms(html, warmup, n), "api": median_ms(api, warmup, n)}


def run_backend(label: str, url: str, data_dir: Path, args: argparse.Namespace) -> list[tuple[str, str, float, float]]:
    """Fill and measure one database; return rows (backend, request, small ms, large ms)."""
    db = Database(url)
    prepare(db, args.wipe)
    settings = Settings(database_url=url, data_dir=data_dir)
    engine = Engine(db, settings)
    print(f"[{label}] satu kasus nyata dimainkan sampai langkah 5 ...", flush=True)
    case_id = play_real_case(engine)
    copier = Copier(*templates(db, case_id))
    bulk_insert(db, small_set(copier))
    small = counts(db)
    print(f"[{label}] kecil: {small[0]} kasus, {small[1]} baris tugas, {small[2]} terlihat oleh {USER}", flush=True)
    with db.unit_of_work() as session:
        token = issue_token(session, USER)
    app = create_app({"SOPFLOW_SETTINGS": settings, "WTF_CSRF_ENABLED": False})
    before = measure(app, token, args.warmup, args.requests)
    started = time.perf_counter()
    bulk_insert(db, large_set(copier, small[0], small[1]))
    if not db.is_sqlite:
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))  # what autovacuum would have done after such growth
    filled = time.perf_counter() - started
    large = counts(db)
    print(
        f"[{label}] besar: {large[0]} kasus, {large[1]} baris tugas, {large[2]} terlihat oleh {USER} "
        f"(diisi dalam {filled:.1f} s)",
        flush=True,
    )
    if large[2] != small[2]:
        raise SystemExit(f"visible tasks differ: {small[2]} vs {large[2]}")
    after = measure(app, token, args.warmup, args.requests)
    if args.explain:
        explain_inbox_query(db, label)
    app.extensions["sopflow"].db.dispose()
    if not db.is_sqlite:
        empty_tables(db)
    db.dispose()
    return [(label, name, before[key], after[key]) for name, key in REQUESTS.items()]


def explain_inbox_query(db: Database, label: str) -> None:
    """Print the database's plan of the inbox query (``inbox.tasks_for_user``) on the large database."""
    captured: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        if "human_tasks" in statement and "JOIN cases" in statement:
            captured.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        with db.reading() as session:
            inbox.tasks_for_user(session, USER)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    statement, params = captured[0]
    prefix = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN (ANALYZE, BUFFERS) "
    print(f"[{label}] rencana kueri inbox pada basis data besar:")
    with db.engine.connect() as conn:
        for row in conn.exec_driver_sql(prefix + statement, params):
            print("    " + " ".join(str(v) for v in row))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="measured requests per figure (median)")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured requests before each figure")
    parser.add_argument("--explain", action="store_true", help="print the inbox query's plan on the large database")
    parser.add_argument("--wipe", action="store_true", help="empty a PostgreSQL database that already has cases")
    args = parser.parse_args(argv)
    results: list[tuple[str, str, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="sopflow-bench-") as tmp:
        for label, url in backends(Path(tmp)):
            results += run_backend(label, url, Path(tmp) / label, args)
    print()
    print(f"Median of {args.requests} requests after {args.warmup} warm-up, user {USER} sees {VISIBLE} tasks")
    print(f"{'database':<12}{'request':<20}{'10 kasus':>12}{'10.000 kasus':>15}{'rasio':>8}  target ≤ {TARGET}")
    for backend, name, small_ms, large_ms in results:
        ratio = large_ms / small_ms
        verdict = "ok" if ratio <= TARGET else "DI ATAS TARGET"
        print(f"{backend:<12}{name:<20}{small_ms:>9.2f} ms{large_ms:>12.2f} ms{ratio:>8.2f}  {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
