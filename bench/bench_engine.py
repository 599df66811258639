"""Does one command pay for the case's history? Cost of a command as the "ulang" loop grows.

The mini process (``tests/engine/data/mini.bpmn``) loops: *Isi angka* (Pengusul) → service
*Hitung* → *Periksa per unit* (Pemeriksa, one unit) → *Putuskan* "ulang" → script *Tambah
putaran* → *Isi angka* again. Each round is three engine commands (``complete_user_task``)
and adds six levels to the workflow's task tree. At 1, 50 and 140 rounds the script
times the three commands of the next rounds (median of ``--samples`` rounds) and splits
each command into *load* (restore the workflow), *save* (serialize it, and the compressed
snapshot kept after each command) and the rest (*step*: run the task and what follows it,
projection, audit, SQL). The STYLE guide's anti-pattern E, "paying for history on every
step", shows as ratios well above 1 between the large sizes and 1 round. Nothing asserts on time.

Why 140 and not 150: the engine refuses to save a case whose task tree is deeper than
``sopflow.engine.case_run.MAX_TREE_DEPTH`` (900), which the mini loop reaches after about 148
rounds; 140 rounds plus the measured rounds is the largest size that fits. ``--sizes
1,50,150`` shows the refusal.

Runs on a temporary SQLite file and, when ``DATABASE_URL`` is set, on that PostgreSQL
database too (a scratch database: emptied before and after; refused if it holds cases,
unless ``--wipe``). Usage: ``.venv/bin/python bench/bench_engine.py [--samples 5] [--sizes 1,50,140] [--wipe]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import ROOT, backends, empty_tables, prepare
from sqlalchemy import func, select

from sopflow import CompleteUserTask, Database, Engine, Settings, SopflowError, StartInstance
from sopflow.access.users import add_user
from sopflow.engine import serializer
from sopflow.persistence import store
from sopflow.persistence.models import AuditEvent, Case
from sopflow.plugins import HandlerError, register

MINI = ROOT / "tests" / "engine" / "data" / "mini.bpmn"
SIZES = "1,50,140"
COMMANDS = ("isi_angka", "periksa_unit", "putuskan")
PHASES = ("total", "load", "save", "step")


# The mini process's handlers, as tests/engine/conftest.py registers them.
@register("uji_gandakan")
def uji_gandakan(params: dict, ctx: Any) -> dict:
    """Double ``angka`` and store a small result file."""
    if params["angka"] == 13:
        raise HandlerError("Angka 13 tidak boleh diproses.")
    ref = ctx.files.put(b"hasil %d" % params["angka"], "hasil.txt", "text/plain", kind="hasil")
    return {"nilai": params["angka"] * 2, "berkas": ref}


@register("uji_periksa_angka")
def uji_periksa_angka(params: dict, ctx: Any) -> dict:
    """Form validator: 99 is refused."""
    if params["form"].get("angka") == 99:
        raise HandlerError("Angka 99 dilarang.", [{"field": "angka", "message": "Angka 99 dilarang di sini."}])
    return {}


class PhaseClock:
    """Times the engine's restore, serialize and snapshot calls by wrapping them (restored by :meth:`close`)."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)
        self._undo: list[Callable[[], None]] = []
        self._wrap(serializer, "restore", "load")
        self._wrap(serializer, "dump_state", "save")
        self._wrap(store, "add_snapshot", "save")

    def _wrap(self, module: Any, name: str, phase: str) -> None:
        original = getattr(module, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.spent[phase] += time.perf_counter() - started

        setattr(module, name, timed)
        self._undo.append(lambda: setattr(module, name, original))

    def reset(self) -> None:
        self.spent.clear()

    def close(self) -> None:
        for undo in reversed(self._undo):
            undo()


class Loop:
    """One mini case driven round after round; each command's cost is recorded by phase."""

    def __init__(self, engine: Engine, clock: PhaseClock) -> None:
        self.engine = engine
        self.clock = clock
        outcome = engine.start_instance(StartInstance("mini", "ani", "2026-TW1", {"daftar_unit": [{"unit": "U1"}]}))
        self.case_id = outcome.case_id
        self.open = outcome.open_tasks
        self.rounds = 0

    def _complete(self, element: str, actor: str, data: dict[str, Any]) -> dict[str, float]:
        task = next(t for t in self.open if t["element_id"] == element)
        self.clock.reset()
        started = time.perf_counter()
        outcome = self.engine.complete_user_task(CompleteUserTask(task["task_id"], actor, data))
        total = time.perf_counter() - started
        if outcome.failure:
            raise SopflowError(f"{outcome.failure['element_id']}: {outcome.failure['message']}")
        self.open = outcome.open_tasks
        load, save = self.clock.spent["load"], self.clock.spent["save"]
        return {"total": total, "load": load, "save": save, "step": total - load - save}

    def round(self) -> dict[str, dict[str, float]]:
        """Play one round ending in "ulang"; return the phases of each of its three commands."""
        costs = {
            "isi_angka": self._complete("isi_angka", "ani", {"angka": 7}),
            "periksa_unit": self._complete("periksa_unit", "budi", {"catatan": "sudah diperiksa"}),
            "putuskan": self._complete("putuskan", "budi", {"keputusan": "ulang", "catatan_keputusan": "ulang lagi"}),
        }
        self.rounds += 1
        return costs

    def size(self) -> tuple[int, int]:
        """Return (bytes of the stored workflow state, audit events) of the case."""
        with self.engine.db.reading() as session:
            state = session.scalar(select(Case.state).where(Case.id == self.case_id)) or ""
            count = select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == self.case_id)
            events = session.scalar(count)
        return len(state), int(events or 0)


def run_backend(label: str, url: str, data_dir: Path, args: argparse.Namespace) -> list[dict[str, Any]]:
    db = Database(url)
    prepare(db, args.wipe)
    engine = Engine(db, Settings(database_url=url, data_dir=data_dir))
    engine.publish_process(MINI, "ani")
    with db.unit_of_work() as session:
        add_user(session, "ani", "kata-sandi-bench", lanes=["Pengusul"], roles=["aktor", "pemilik_proses"])
        add_user(session, "budi", "kata-sandi-bench", lanes=["Pemeriksa"], units=["U1", "U2"])
    clock = PhaseClock()
    results = []
    try:
        loop = Loop(engine, clock)
        for size in sorted({int(n) for n in args.sizes.split(",")}):
            while loop.rounds < size:
                loop.round()
            state_bytes, events = loop.size()
            samples = [loop.round() for _ in range(args.samples)]
            medians = {
                command: {phase: statistics.median(s[command][phase] for s in samples) * 1000 for phase in PHASES}
                for command in COMMANDS
            }
            results.append({"backend": label, "rounds": size, "state": state_bytes, "events": events, "ms": medians})
            print(f"[{label}] {size} putaran: state {state_bytes / 1024:.0f} KB, {events} peristiwa audit", flush=True)
    except SopflowError as exc:
        print(f"[{label}] berhenti setelah {loop.rounds} putaran: {exc}", flush=True)
    finally:
        clock.close()
        if not db.is_sqlite:
            empty_tables(db)
        db.dispose()
    return results


def report(results: list[dict[str, Any]], samples: int) -> None:
    print()
    print(f"complete_user_task, median of {samples} rounds at each size (ms)")
    print("load = restore the workflow; save = serialize it + compressed snapshot; step = the rest")
    header = f"{'database':<12}{'putaran':>8}{'state':>9}  " + "".join(f"{c:>28}" for c in COMMANDS)
    print(header)
    print(f"{'':<12}{'':>8}{'':>9}  " + "".join(f"{'total  load  save  step':>28}" for _ in COMMANDS))
    for r in results:
        cells = "".join(
            f"{r['ms'][c]['total']:>10.1f}{r['ms'][c]['load']:>6.1f}{r['ms'][c]['save']:>6.1f}{r['ms'][c]['step']:>6.1f}"
            for c in COMMANDS
        )
        print(f"{r['backend']:<12}{r['rounds']:>8}{r['state'] / 1024:>6.0f} KB  {cells}")
    print()
    print("ratio to 1 round (total / load / save / step)")
    for backend in dict.fromkeys(r["backend"] for r in results):
        rows = [r for r in results if r["backend"] == backend]
        base = rows[0]
        for r in rows[1:]:
            parts = []
            for c in COMMANDS:
                ratios = "/".join(f"{r['ms'][c][p] / base['ms'][c][p]:.1f}" for p in PHASES)
                parts.append(f"{c} {ratios}")
            print(f"{backend:<12}{r['rounds']:>4} vs {base['rounds']}: " + "; ".join(parts))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=5, help="rounds measured at each size (median)")
    parser.add_argument("--sizes", default=SIZES, help="rounds before each measurement, comma-separated")
    parser.add_argument("--wipe", action="store_true", help="empty a PostgreSQL database that already has cases")
    args = parser.parse_args(argv)
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="sopflow-bench-") as tmp:
        for label, url in backends(Path(tmp)):
            results += run_backend(label, url, Path(tmp) / label, args)
    report(results, args.samples)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
