"""Does a command cost more when the database holds 10,000 finished cases (~950,000 audit events)?

One run per database (a temporary SQLite file; the PostgreSQL scratch database of
``DATABASE_URL`` when set, emptied before and after, refused when it holds cases unless
``--wipe``). Nothing asserts on time.

1. **Empty.** The mini process (``tests/engine/data/mini.bpmn``, stub handlers as in
   ``bench_floor.py``), one case: ``--warmup`` rounds of its "ulang" loop, then the median of
   the next ``--rounds`` rounds' commands (``complete_user_task``, three per round), and the
   median of ``--claims`` claims (``claim_task``, each followed by ``unclaim_task``) of the
   ready task that follows.
2. **Fill.** The real demo case is played once (real handlers) and copied as finished
   cases with new ids, its audit events (95 today) re-chained per copy (``bench_audit.filler_cases``),
   up to 10,000 cases; PostgreSQL gets ``ANALYZE``, as autovacuum would.
3. **Large.** A second mini case (another periode), exactly the same rounds and claims.

The ratio large/empty is the question (target ≤ 1.3 for a completion). The claim's median
shows what a claim costs (one short transaction, no workflow restore).

Usage: ``.venv/bin/python bench/bench_scale.py [--cases 10000] [--rounds 10] [--claims 40] [--wipe]``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_audit import analyze, case_count, event_count, filler_cases, insert_batches, play_demo, rows_of
from bench_floor import LOOP_COMMANDS, MINI, mini_stubs
from common import backends, empty_tables, prepare

from sopflow import ClaimTask, CompleteUserTask, Database, Engine, Settings, StartInstance, UnclaimTask
from sopflow.access.users import add_user
from sopflow.logs import configure_logging

TARGET = 1.3


class MiniCase:
    """One mini case driven through the engine: its loop's commands, timed; claims of its ready task."""

    def __init__(self, engine: Engine, periode: str) -> None:
        self.engine = engine
        outcome = engine.start_instance(StartInstance("mini", "ani", periode, {"daftar_unit": [{"unit": "U1"}]}))
        self.open = outcome.open_tasks
        self.actors = {element: actor for element, actor, _ in LOOP_COMMANDS}

    def complete(self, element: str, data: dict[str, Any]) -> float:
        task = next(t for t in self.open if t["element_id"] == element)
        started = time.perf_counter()
        outcome = self.engine.complete_user_task(CompleteUserTask(task["task_id"], self.actors[element], data))
        elapsed = time.perf_counter() - started
        self.open = outcome.open_tasks
        return elapsed

    def rounds(self, count: int) -> list[float]:
        """Run ``count`` rounds of the loop; return each command's seconds."""
        return [self.complete(element, data) for _ in range(count) for element, _actor, data in LOOP_COMMANDS]

    def claims(self, count: int) -> list[float]:
        """Claim the ready ``isi_angka`` task ``count`` times (unclaimed after each); return each claim's seconds."""
        task = next(t for t in self.open if t["element_id"] == "isi_angka")
        timed = []
        for _ in range(count):
            started = time.perf_counter()
            self.engine.claim_task(ClaimTask(task["task_id"], "ani"))
            timed.append(time.perf_counter() - started)
            self.engine.unclaim_task(UnclaimTask(task["task_id"], "ani"))
        return timed


def measure(engine: Engine, periode: str, args: argparse.Namespace) -> dict[str, float]:
    """Median milliseconds of a completion and of a claim on a fresh mini case."""
    case = MiniCase(engine, periode)
    case.rounds(args.warmup)
    completions = case.rounds(args.rounds)
    claims = case.claims(args.claims)
    return {"complete": statistics.median(completions) * 1000, "claim": statistics.median(claims) * 1000}


def run_backend(label: str, url: str, folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Measure on the empty database, fill it to ``--cases`` finished cases, measure again."""
    db = Database(url)
    prepare(db, args.wipe)
    try:
        engine = Engine(db, Settings(database_url=url, data_dir=folder / f"{label}-data"))
        with mini_stubs():
            engine.publish_process(MINI, "ani")
            with db.unit_of_work() as session:
                add_user(session, "ani", "kata-sandi-bench", lanes=["Pengusul"], roles=["aktor", "pemilik_proses"])
                add_user(session, "budi", "kata-sandi-bench", lanes=["Pemeriksa"], units=["U1", "U2"])
            print(f"[{label}] empty database …", flush=True)
            empty = measure(engine, "2026-TW1", args) | {"cases": case_count(db), "events": event_count(db)}
            print(f"[{label}] filling to {args.cases} finished cases …", flush=True)
            started = time.perf_counter()
            demo_case = play_demo(db, folder / f"{label}-demo")
            case, events, snapshots = rows_of(db, demo_case)
            insert_batches(db, filler_cases(case, events, snapshots, 0, args.cases - case_count(db)))
            analyze(db)
            fill_seconds = time.perf_counter() - started
            print(
                f"[{label}] {case_count(db)} cases, {event_count(db)} audit events ({fill_seconds:.0f} s) …", flush=True
            )
            large = measure(engine, "2026-TW2", args) | {"cases": case_count(db), "events": event_count(db)}
    finally:
        if not db.is_sqlite:
            empty_tables(db)
        db.dispose()
    return {"label": label, "empty": empty, "large": large}


def report(results: list[dict[str, Any]], cases: int) -> None:
    """Print the table: per database and command, empty vs large, the ratio and the verdict."""
    print()
    print(f"{'database':<11} {'command':<20} {'empty':>10} {f'{cases:,} kasus':>13} {'ratio':>6}  target ≤ {TARGET}")
    for r in results:
        for command in ("complete", "claim"):
            small, large = r["empty"][command], r["large"][command]
            ratio = large / small
            name = "complete_user_task" if command == "complete" else "claim_task"
            print(f"{r['label']:<11} {name:<20} {small:>7.2f} ms {large:>10.2f} ms {ratio:>6.2f}  {_verdict(ratio)}")
        print(
            f"{'':<11} (database: {r['empty']['cases']} cases / {r['empty']['events']} events, "
            f"then {r['large']['cases']} / {r['large']['events']})"
        )


def _verdict(ratio: float) -> str:
    return "ok" if ratio <= TARGET else "MISSED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000, help="finished cases in the large database")
    parser.add_argument("--warmup", type=int, default=3, help="loop rounds before timing")
    parser.add_argument("--rounds", type=int, default=10, help="loop rounds timed (3 commands each)")
    parser.add_argument("--claims", type=int, default=40, help="claims timed")
    parser.add_argument("--wipe", action="store_true", help="empty a PostgreSQL database that holds cases")
    args = parser.parse_args(argv)
    configure_logging("console", "WARNING")
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        folder = Path(tmp)
        results = [run_backend(label, url, folder, args) for label, url in backends(folder)]
    report(results, args.cases)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
