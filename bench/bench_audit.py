"""What the auditor's queries cost as the record grows: chain verification, point-in-time view, audit bytes.

Prints, in one run, on a temporary SQLite file and (when ``DATABASE_URL`` is set) on that
PostgreSQL scratch database (emptied before and after; a database holding cases is refused
unless ``--wipe``). Nothing asserts on time.

(a) ``inbox.verify_audit_chain`` over the whole database at 10,000 and at 100,000 events
    (target ratio ≤ 11, i.e. linear), and its peak Python memory (``tracemalloc``) at both
    sizes: verification streams, so the peak should stay flat. The events are copies of
    the demo case's 80 events (real payloads) under new case ids, chained with
    :func:`sopflow.audit.chain.chain`, bulk-inserted with core ``insert()``; the database
    holds nothing else.
(b) ``history.case_at`` of one event (the middle one) of the real demo case when the
    database holds 10 cases and when it holds 10,000 (target ≤ 1.3). Filler cases copy the
    demo case's rows — its ``cases`` row, 80 audit events (re-chained under the new id) and
    17 snapshots — with new ids; to keep the database at a few hundred MB their bulky
    payloads are cut: ``cases.state`` is ``{}``, the 8 ``service_run`` events keep only
    operation/lane/step (they carry 87 % of the bytes), snapshot blobs are ``zlib("{}")``.
    ``case_at`` reads only the measured case's rows, by index, so other cases' payload
    size only matters for the page cache.
(c) ``history.case_at`` of the first versus the last event of the demo case (target ≤ 2).

And the audit bytes of one full demo case: audit_events rows (JSON data + fixed columns)
and ``case_snapshots.state_zlib``.

Usage: ``.venv/bin/python bench/bench_audit.py [--calls 50] [--wipe]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import tracemalloc
import uuid
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from common import ROOT, backends, empty_tables, median_ms, prepare
from sqlalchemy import func, insert, select, text

import handlers  # noqa: F401 - registers the real handlers
from sopflow import Database, Engine, Settings
from sopflow.audit import history
from sopflow.audit.chain import chain
from sopflow.demo import load_script, run_demo
from sopflow.persistence.models import AuditEvent, AuditHead, Case, CaseSnapshot
from sopflow.queries import inbox

SCRIPT = ROOT / "samples" / "monev_kinerja" / "demo.json"
SMALL_EVENTS, LARGE_EVENTS, TARGET_VERIFY = 10_000, 100_000, 11.0
SMALL_CASES, LARGE_CASES, TARGET_CASE_AT = 10, 10_000, 1.3
TARGET_FIRST_LAST = 2.0
BATCH_CASES = 250
#: Fixed-size columns of an audit event, in bytes: id 8, case_id 32, seq 4, at 8, prev_hash 64, hash 64.
FIXED_EVENT_BYTES = 8 + 32 + 4 + 8 + 64 + 64
_EVENT_FIELDS = ("seq", "at", "actor", "kind", "task_id", "element_id", "data")


def play_demo(db: Database, data_dir: Path) -> str:
    """Play the whole demo quarter (and its second, open case); return the finished case's id."""
    engine = Engine(db, Settings(database_url=db.url, data_dir=data_dir))
    return run_demo(engine, load_script(SCRIPT), data_dir / "demo-out", say=lambda line: None).case_id


def rows_of(db: Database, case_id: str) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """Return the case's ``cases`` row, audit events and snapshots as plain dicts (the copy templates)."""
    with db.reading() as session:
        case = dict(session.execute(select(Case.__table__).where(Case.id == case_id)).mappings().one())
        events = [
            dict(r)
            for r in session.execute(
                select(AuditEvent.__table__).where(AuditEvent.case_id == case_id).order_by(AuditEvent.seq)
            ).mappings()
        ]
        snapshots = [
            dict(r)
            for r in session.execute(
                select(CaseSnapshot.__table__).where(CaseSnapshot.case_id == case_id).order_by(CaseSnapshot.seq)
            ).mappings()
        ]
    return case, events, snapshots


def chained_copy(events: list[dict[str, Any]], case_id: str, trim: bool = False) -> list[dict[str, Any]]:
    """Copy events under ``case_id`` and chain them; ``trim`` cuts ``service_run`` data to operation/lane/step."""
    rows = []
    for e in events:
        row = {k: e[k] for k in _EVENT_FIELDS} | {"case_id": case_id}
        if trim and e["kind"] == "service_run":
            row["data"] = {k: e["data"].get(k) for k in ("operation", "lane", "step")}
        rows.append(row)
    for row, (prev, digest) in zip(rows, chain(rows), strict=True):
        row["prev_hash"], row["hash"] = prev, digest
    return rows


def insert_batches(db: Database, batches: Iterator[dict[str, list[dict[str, Any]]]]) -> None:
    """Insert batches of rows per table (cases first) with core ``insert()``, one transaction per batch."""
    tables = {
        "cases": Case.__table__,
        "audit_events": AuditEvent.__table__,
        "audit_heads": AuditHead.__table__,
        "case_snapshots": CaseSnapshot.__table__,
    }
    for batch in batches:
        with db.engine.begin() as conn:
            for name, table in tables.items():
                if batch.get(name):
                    conn.execute(insert(table), batch[name])


def analyze(db: Database) -> None:
    if not db.is_sqlite:
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))


# -- (a) verify_audit_chain over 10,000 vs 100,000 events ------------------------------------------
def synthetic_events(templates: list[dict[str, Any]], count: int) -> Iterator[dict[str, list[dict[str, Any]]]]:
    """Yield batches of ``count`` chained events in total: demo-case copies under new ids (last one cut short)."""
    batch: list[dict[str, Any]] = []
    heads: list[dict[str, Any]] = []
    left = count
    while left > 0:
        take = templates[: min(left, len(templates))]
        copy = chained_copy(take, uuid.uuid4().hex)
        batch.extend(copy)
        # each copy's anchor, as the engine keeps it: the verified database is intact
        last = copy[-1]
        heads.append({"case_id": last["case_id"], "seq": last["seq"], "hash": last["hash"], "updated_at": last["at"]})
        left -= len(take)
        if len(batch) >= BATCH_CASES * len(templates) // 10 or left == 0:
            yield {"audit_events": batch, "audit_heads": heads}
            batch, heads = [], []


def measure_verify(db: Database, runs: int) -> dict[str, Any]:
    """Return median seconds of a whole-database verification, its peak traced memory, and the report."""

    def verify() -> Any:
        with db.reading() as session:
            return inbox.verify_audit_chain(session)

    times = []
    for _ in range(runs):
        started = time.perf_counter()
        report = verify()
        times.append(time.perf_counter() - started)
    tracemalloc.start()
    verify()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"seconds": statistics.median(times), "peak": peak, "report": report}


def event_count(db: Database) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


# -- (b) case_at with 10 vs 10,000 cases -------------------------------------------------------------
def filler_cases(
    case: dict[str, Any], events: list[dict[str, Any]], snapshots: list[dict[str, Any]], start: int, count: int
) -> Iterator[dict[str, list[dict[str, Any]]]]:
    """Yield batches of filler cases copied from the demo case (new ids, small payloads; see the module doc)."""
    stub = zlib.compress(b"{}")
    batch: dict[str, list[dict[str, Any]]] = {"cases": [], "audit_events": [], "case_snapshots": []}
    for number in range(start, start + count):
        case_id = uuid.uuid4().hex
        batch["cases"].append({**case, "id": case_id, "periode": f"SALINAN-{number:05d}", "state": "{}"})
        batch["audit_events"].extend(chained_copy(events, case_id, trim=True))
        batch["case_snapshots"].extend(
            {k: v for k, v in s.items() if k != "id"}
            | {"case_id": case_id, "state_zlib": stub if s["state_zlib"] is not None else None}
            for s in snapshots
        )
        if len(batch["cases"]) >= BATCH_CASES:
            yield batch
            batch = {"cases": [], "audit_events": [], "case_snapshots": []}
    if batch["cases"]:
        yield batch


def case_count(db: Database) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(Case)) or 0


def case_at_ms(db: Database, case_id: str, seq: int, calls: int) -> float:
    def call() -> None:
        with db.reading() as session:
            history.case_at(session, case_id, seq)

    return median_ms(call, warmup=20, n=calls)


# -- audit bytes -------------------------------------------------------------------------------------
def audit_bytes(events: list[dict[str, Any]], snapshots: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the bytes one case's audit record takes: events (JSON data + fixed columns) and snapshots."""
    per_kind: Counter[str] = Counter()
    variable = 0
    for e in events:
        size = len(json.dumps(e["data"], ensure_ascii=False, separators=(",", ":")).encode())
        per_kind[e["kind"]] += size
        variable += len(e["actor"]) + len(e["kind"]) + len(e["task_id"] or "") + len(e["element_id"] or "")
    data = sum(per_kind.values())
    return {
        "events": len(events),
        "data": data,
        "fixed": FIXED_EVENT_BYTES * len(events) + variable,
        "service_run": per_kind["service_run"],
        "snapshots": len(snapshots),
        # engine steps run by a job keep the summary only (no state)
        "with_state": sum(1 for s in snapshots if s["state_zlib"] is not None),
        "zlib": sum(len(s["state_zlib"]) for s in snapshots if s["state_zlib"] is not None),
        "raw": sum(len(zlib.decompress(s["state_zlib"])) for s in snapshots if s["state_zlib"] is not None),
    }


# -- one backend ---------------------------------------------------------------------------------------
def run_backend(label: str, url: str, folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Run (c), bytes and (b) on one database, then (a) on an emptied one; return the figures."""
    out: dict[str, Any] = {"label": label}
    db = Database(url)
    prepare(db, args.wipe)
    try:
        print(f"[{label}] demo case …", flush=True)
        case_id = play_demo(db, folder / f"{label}-data")
        case, events, snapshots = rows_of(db, case_id)
        out["bytes"] = audit_bytes(events, snapshots)
        middle = events[len(events) // 2]["seq"]
        print(f"[{label}] (c) case_at first vs last, (b) with {SMALL_CASES} cases …", flush=True)
        out["first"] = case_at_ms(db, case_id, events[0]["seq"], args.calls)
        out["last"] = case_at_ms(db, case_id, events[-1]["seq"], args.calls)
        insert_batches(db, filler_cases(case, events, snapshots, 0, SMALL_CASES - case_count(db)))
        analyze(db)
        out["cases_small"] = case_count(db)
        out["case_at_small"] = case_at_ms(db, case_id, middle, args.calls)
        print(f"[{label}] (b) filling to {LARGE_CASES} cases …", flush=True)
        started = time.perf_counter()
        insert_batches(db, filler_cases(case, events, snapshots, SMALL_CASES, LARGE_CASES - case_count(db)))
        analyze(db)
        out["fill_seconds"] = time.perf_counter() - started
        out["cases_large"] = case_count(db)
        out["case_at_large"] = case_at_ms(db, case_id, middle, args.calls)
        out["middle"] = middle
    finally:
        if not db.is_sqlite:
            empty_tables(db)
        db.dispose()

    db = Database(url if not db.is_sqlite else f"sqlite:///{folder / f'{label}-chain.sqlite3'}")
    prepare(db, args.wipe)
    try:
        for size in (SMALL_EVENTS, LARGE_EVENTS):
            print(f"[{label}] (a) {size} events …", flush=True)
            insert_batches(db, synthetic_events(events, size - event_count(db)))
            analyze(db)
            measured = measure_verify(db, args.verify_runs)
            out[f"verify_{size}"] = measured | {"count": event_count(db)}
    finally:
        if not db.is_sqlite:
            empty_tables(db)
        db.dispose()
    return out


def report(results: list[dict[str, Any]]) -> None:
    """Print the figures and ratios."""

    def verdict(ratio: float, target: float) -> str:
        return "ok" if ratio <= target else "DI ATAS TARGET"

    print()
    print("(a) verify_audit_chain, seluruh basis data")
    print(f"{'database':11} {'peristiwa':>10} {'waktu':>10} {'per 1.000':>10} {'puncak memori':>14}  hasil")
    for r in results:
        for size in (SMALL_EVENTS, LARGE_EVENTS):
            m = r[f"verify_{size}"]
            per = m["seconds"] / m["count"] * 1000 * 1000
            print(
                f"{r['label']:11} {m['count']:>10,} {m['seconds'] * 1000:>8.0f} ms {per:>7.2f} ms "
                f"{m['peak'] / 1024 / 1024:>11.1f} MB  {'utuh' if m['report'].intact else 'RUSAK'}"
            )
        small, large = r[f"verify_{SMALL_EVENTS}"], r[f"verify_{LARGE_EVENTS}"]
        ratio = large["seconds"] / small["seconds"]
        mem = large["peak"] / small["peak"]
        print(f"{r['label']:11} rasio waktu {ratio:.2f} (target ≤ {TARGET_VERIFY:g}) {verdict(ratio, TARGET_VERIFY)}; "
              f"rasio puncak memori {mem:.2f}")  # fmt: skip
    print()
    print(f"(b) history.case_at satu peristiwa (#{results[0]['middle']} dari kasus demo), median")
    print(f"{'database':11} {'10 kasus':>10} {'10.000 kasus':>13} {'rasio':>7}  target ≤ {TARGET_CASE_AT}")
    for r in results:
        ratio = r["case_at_large"] / r["case_at_small"]
        print(
            f"{r['label']:11} {r['case_at_small']:>7.2f} ms {r['case_at_large']:>10.2f} ms {ratio:>7.2f}  "
            f"{verdict(ratio, TARGET_CASE_AT)}   ({r['cases_small']} → {r['cases_large']} kasus, "
            f"pengisian {r['fill_seconds']:.0f} s)"
        )
    print()
    print("(c) history.case_at peristiwa pertama vs terakhir kasus demo, median")
    print(f"{'database':11} {'pertama':>10} {'terakhir':>10} {'rasio':>7}  target ≤ {TARGET_FIRST_LAST:g}")
    for r in results:
        ratio = r["last"] / r["first"]
        print(f"{r['label']:11} {r['first']:>7.2f} ms {r['last']:>7.2f} ms {ratio:>7.2f}  "
              f"{verdict(ratio, TARGET_FIRST_LAST)}")  # fmt: skip
    print()
    b = results[0]["bytes"]
    total = b["data"] + b["fixed"]
    print("Byte audit satu kasus demo lengkap (2026-TW3)")
    print(
        f"  audit_events: {b['events']} peristiwa, {total / 1024:.1f} KB "
        f"(data JSON {b['data'] / 1024:.1f} KB, kolom tetap {b['fixed'] / 1024:.1f} KB; "
        f"service_run {b['service_run'] / 1024:.1f} KB = {b['service_run'] / b['data']:.0%} dari data JSON)"
    )
    print(
        f"  case_snapshots.state_zlib: {b['snapshots']} snapshot ({b['with_state']} dengan state), "
        f"{b['zlib'] / 1024:.1f} KB "
        f"(tanpa kompresi {b['raw'] / 1024:.1f} KB, {b['raw'] / max(b['zlib'], 1):.1f}×)"
    )
    print(f"  jumlah: {(total + b['zlib']) / 1024:.1f} KB per kasus")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50, help="timed case_at calls per figure (median)")
    parser.add_argument("--verify-runs", type=int, default=3, help="timed verifications per size (median)")
    parser.add_argument("--wipe", action="store_true", help="empty a PostgreSQL database that holds cases")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sopflow-bench-audit-") as tmp:
        results = [run_backend(label, url, Path(tmp), args) for label, url in backends(Path(tmp))]
    report(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
