"""What the benchmarks share: the databases to run on, emptying a PostgreSQL scratch database, medians,
and wrapping every registered handler."""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402

from sopflow import Database  # noqa: E402
from sopflow.persistence.models import Base, Case  # noqa: E402
from sopflow.plugins import registry  # noqa: E402


def backends(folder: Path) -> list[tuple[str, str]]:
    """Return ``(label, url)``: a SQLite file in ``folder``, plus ``DATABASE_URL`` (PostgreSQL) when set."""
    found = [("sqlite", f"sqlite:///{folder / 'bench.sqlite3'}")]
    url = os.environ.get("DATABASE_URL", "")
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        found.append(("postgresql", url))
    return found


def prepare(db: Database, wipe: bool) -> None:
    """Migrate; on PostgreSQL refuse a database holding cases (unless ``wipe``) and empty its tables."""
    db.upgrade()
    if db.is_sqlite:
        return
    with db.reading() as session:
        existing = session.scalar(select(func.count()).select_from(Case)) or 0
    if existing and not wipe:
        raise SystemExit(f"DATABASE_URL holds {existing} cases; point it at a scratch database or pass --wipe.")
    empty_tables(db)


def empty_tables(db: Database) -> None:
    """TRUNCATE every sopflow table (PostgreSQL only)."""
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


def median_ms(call: Callable[[], Any], warmup: int, n: int) -> float:
    """Call ``warmup`` times unmeasured, then return the median of ``n`` timed calls in milliseconds."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


@contextmanager
def handlers_wrapped(wrap: Callable[[str, Callable[..., Any]], Callable[..., Any]]) -> Iterator[None]:
    """Replace every registered handler by ``wrap(name, handler)`` inside the block, then restore the registry.

    Handlers load on first use: all are loaded first, so every one is wrapped. Only the
    benchmarks swap handlers (through the registry's private table); nothing else may.
    """
    for name in registry.names():
        registry.get(name)
    originals = dict(registry._HANDLERS)
    registry._HANDLERS.update({name: wrap(name, func) for name, func in originals.items()})
    try:
        yield
    finally:
        registry._HANDLERS.clear()
        registry._HANDLERS.update(originals)
